"""Settings in Chromium: what cannot be taken back asks first, with JavaScript in a dialog and without on a
page, and nothing changes until the person says yes."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import answer_the_dialog, asked_and_kept, sign_in_as

pytestmark = [pytest.mark.browser]


def _spare_licensee(live_app, name: str) -> int:
    from app.accounts.models import Account
    from app.extensions import db
    from tests.factories import LicenseeFactory

    with live_app.app_context():
        adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
        licensee = LicenseeFactory(reseller=adatum, company_name=name)
        db.session.commit()
        return licensee.id


def _exists(live_app, licensee_id: int) -> bool:
    from app.accounts.models import Licensee
    from app.extensions import db

    with live_app.app_context():
        return db.session.get(Licensee, licensee_id) is not None


def test_deleting_a_licensee_asks_first_with_and_without_javascript(page, no_js_page, live_server, live_app):
    spare = _spare_licensee(live_app, "Spare Parts Ltd")
    sign_in_as(page, live_server, "reseller@example.com")
    page.goto(f"{live_server}/settings/licensees/{spare}")
    asked = answer_the_dialog(page, "Delete", accept=False)
    expect(page.get_by_role("heading", level=1)).to_have_text("Spare Parts Ltd")
    assert asked == ["Delete Spare Parts Ltd? It is removed for good; to sell to it again, add it again."]
    assert _exists(live_app, spare)

    sign_in_as(no_js_page, live_server, "reseller@example.com")
    no_js_page.goto(f"{live_server}/settings/licensees/{spare}")
    asked_and_kept(no_js_page, button="Delete", question="Delete Spare Parts Ltd?", way_back="Keep the licensee",
                   back_to="Spare Parts Ltd")
    assert _exists(live_app, spare)
    no_js_page.get_by_role("button", name="Delete").click()
    no_js_page.get_by_role("button", name="Delete licensee").click()
    expect(no_js_page.locator("#flash-region")).to_contain_text("Spare Parts Ltd was deleted.")
    assert not _exists(live_app, spare)

    other = _spare_licensee(live_app, "Spare Tyres Ltd")
    page.goto(f"{live_server}/settings/licensees/{other}")
    answer_the_dialog(page, "Delete", accept=True)
    expect(page.locator("#flash-region")).to_contain_text("Spare Tyres Ltd was deleted.")
    assert not _exists(live_app, other)


def test_with_javascript_delete_double_clicked_asks_once(page, live_server, live_app):
    """Like every button that asks first in the browser's dialog (hx-confirm), Delete double-clicked asked twice:
    dismissed, the dialog came again at once. The second click of a double click is no second press."""
    spare = _spare_licensee(live_app, "Spare Wheels Ltd")
    sign_in_as(page, live_server, "reseller@example.com")
    page.goto(f"{live_server}/settings/licensees/{spare}")
    page.wait_for_load_state("load")  # (htmx there to ask: tests.support.browser.answer_the_dialog)
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Delete").dblclick()
    page.evaluate("0")  # (both clicks handled)
    assert asked == ["Delete Spare Wheels Ltd? It is removed for good; to sell to it again, add it again."]
    expect(page.get_by_role("heading", level=1)).to_have_text("Spare Wheels Ltd")
    assert _exists(live_app, spare)


def _invitations_to(live_app, email: str) -> int:
    from app.auth.models import Invitation
    from app.extensions import db

    with live_app.app_context():
        return db.session.scalar(db.select(db.func.count(Invitation.id)).where(Invitation.email == email))


def test_send_invitation_double_clicked_sends_one_and_says_so(page, live_server, live_app):
    """A double click on Send invitation: htmx sent the second press once the first was answered, and the page was
    sent "This address has already been invited …" (422) for the form."""
    answers = []
    page.on("response", lambda response: answers.append(response.status)
            if response.request.method == "POST" and response.url.endswith("/settings/users") else None)
    sign_in_as(page, live_server, "reseller@example.com")
    page.goto(f"{live_server}/settings/users")
    form = page.locator("#invite-form")
    for label, typed in (("First name", "Dora"), ("Last name", "Double"), ("Email", "dora.double@adatum.example.com")):
        form.get_by_label(label).fill(typed)
    form.get_by_role("button", name="Send invitation").dblclick()
    expect(page.locator("#flash-region")).to_contain_text("An invitation was sent to dora.double@adatum.example.com.")
    expect(page.locator("#invitations")).to_contain_text("dora.double@adatum.example.com")
    expect(page.locator(".field-error")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    assert 422 not in answers
    assert _invitations_to(live_app, "dora.double@adatum.example.com") == 1
