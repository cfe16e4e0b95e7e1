"""The operator's tools in Chromium: what cannot be taken back asks first, with JavaScript in a dialog and
without on a page, and nothing changes until the operator says yes (dismissing a partner request, wiping
the sandbox); a refused sandbox control is said at its field with what was typed kept."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.support.browser import answer_the_dialog, asked_and_kept, sign_in_as

pytestmark = [pytest.mark.browser]


def _request(live_app, company: str) -> int:
    from app.extensions import db
    from app.programs.models import PartnerRequest

    with live_app.app_context():
        request = PartnerRequest(company=company, name="Sam Spam", email="sam@spam.example.com", country="US")
        db.session.add(request)
        db.session.commit()
        return request.id


def _status(live_app, request_id: int) -> str:
    from app.extensions import db
    from app.programs.models import PartnerRequest

    with live_app.app_context():
        return db.session.get(PartnerRequest, request_id).status


def test_dismissing_a_partner_request_asks_first_with_and_without_javascript(page, no_js_page, live_server,
                                                                             live_app):
    spam = _request(live_app, "Spam Ltd")
    sign_in_as(page, live_server, "admin@example.com")
    page.goto(f"{live_server}/admin/programs/requests")
    asked = answer_the_dialog(page, "Dismiss the request of Spam Ltd", accept=False)
    assert asked[0].startswith("Dismiss the request of Spam Ltd?")
    expect(page.locator(f"#request-{spam}")).to_contain_text("New")
    assert _status(live_app, spam) == "new"

    sign_in_as(no_js_page, live_server, "admin@example.com")
    no_js_page.goto(f"{live_server}/admin/programs/requests")
    asked_and_kept(no_js_page, button="Dismiss the request of Spam Ltd", question="Dismiss the request of Spam Ltd?",
                   way_back="Keep the request", back_to="Partner requests")
    assert _status(live_app, spam) == "new"
    no_js_page.get_by_role("button", name="Dismiss the request of Spam Ltd").click()
    no_js_page.get_by_role("button", name="Dismiss request").click()
    expect(no_js_page.locator("#flash-region")).to_contain_text("The request of Spam Ltd was dismissed.")
    assert _status(live_app, spam) == "dismissed"

    eggs = _request(live_app, "Eggs Ltd")
    page.goto(f"{live_server}/admin/programs/requests")
    answer_the_dialog(page, "Dismiss the request of Eggs Ltd", accept=True)
    expect(page.locator("#flash-region")).to_contain_text("The request of Eggs Ltd was dismissed.")
    assert _status(live_app, eggs) == "dismissed"


def test_wiping_the_sandbox_asks_first_and_a_refused_control_keeps_what_was_typed(page, no_js_page, live_server,
                                                                                  live_app):
    from app.connections.services import in_process_sandbox

    store = in_process_sandbox(live_app).extensions["sandbox_store"]
    store.advance_clock(timedelta(hours=5))  # what a wipe would set back
    try:
        sign_in_as(page, live_server, "admin@example.com")
        page.goto(f"{live_server}/sandbox/_sandbox/admin")
        asked = answer_the_dialog(page, "Wipe and reseed the sandbox", accept=False)
        assert asked[0].startswith("Wipe the sandbox and seed it again?")
        expect(page.get_by_role("heading", level=1)).to_have_text("Sandbox controls")
        assert store.clock_offset() == timedelta(hours=5)

        page.get_by_label("Answer").select_option("slow")
        page.get_by_label("Number of calls").fill("3")
        page.get_by_role("button", name="Add fault").click()
        expect(page.locator("#fault-delay-error")).to_have_text("Enter the delay in seconds, like 2.5: a late answer "
                                                                "needs one.")
        expect(page.get_by_label("Number of calls")).to_have_value("3")
        expect(page.get_by_label("Answer")).to_have_value("slow")
        assert store.faults() == []

        sign_in_as(no_js_page, live_server, "admin@example.com")
        no_js_page.goto(f"{live_server}/sandbox/_sandbox/admin")
        no_js_page.get_by_role("button", name="Wipe and reseed the sandbox").click()
        expect(no_js_page.get_by_role("heading", level=1)).to_have_text("Wipe the sandbox and seed it again?")
        expect(no_js_page.locator("#reset-consequences")).to_contain_text("The clock goes back to real time "
                                                                          "(it is 5.0 hours ahead).")
        no_js_page.get_by_role("link", name="Keep the sandbox as it is").click()
        expect(no_js_page.get_by_role("heading", level=1)).to_have_text("Sandbox controls")
        assert store.clock_offset() == timedelta(hours=5)
    finally:
        store.reset_clock()


def test_the_webinar_form_fields_are_as_wide_as_its_title_and_removing_one_asks_first(page, live_server):
    sign_in_as(page, live_server, "admin@example.com")
    page.goto(f"{live_server}/admin/migration/webinars")
    widths = {label: page.get_by_label(label).bounding_box()["width"]
              for label in ("Title", "Starts at (UTC)", "Link to join or register")}
    assert widths["Starts at (UTC)"] == widths["Title"] and widths["Link to join or register"] == widths["Title"], widths

    page.get_by_label("Title").fill("Welcome to the storefront")
    page.get_by_label("Starts at (UTC)").fill("2030-01-10T16:00")
    page.get_by_label("Link to join or register").fill("https://events.example.com/welcome")
    page.get_by_role("button", name="Add webinar").click()
    expect(page.locator("#webinars")).to_contain_text("Welcome to the storefront")
    asked = answer_the_dialog(page, "Remove Welcome to the storefront", accept=False)
    assert asked == ["Remove the webinar Welcome to the storefront (2030-01-10 16:00 UTC)? Migrated accounts' users no "
                     "longer see it; to announce it again, add it again."]
    expect(page.locator("#webinars")).to_contain_text("Welcome to the storefront")
    answer_the_dialog(page, "Remove Welcome to the storefront", accept=True)
    expect(page.locator("#flash-region")).to_contain_text("The webinar Welcome to the storefront is removed.")


def test_the_sandbox_sign_in_page_shows_each_choice_beside_its_box(page, live_server):
    """The sandbox's inputs are 14rem wide; a radio button or checkbox is not, so its words sit beside it."""
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_as(page, live_server, "admin@example.com")
    page.goto(f"{live_server}/sandbox/_sandbox/tokens/admin")
    for name in ("Rotate refresh tokens: a new one on every use, as Entra does",
                 "With MFA (as Partner Center requires)"):
        box = page.get_by_label(name).bounding_box()
        label = page.locator("label", has=page.get_by_label(name)).bounding_box()
        assert box["width"] < 30, (name, box)
        assert label["height"] < 2 * box["height"] + 10, (name, label)  # one line, not the words under the box


def test_removing_a_connection_asks_first_with_and_without_javascript(page, no_js_page, live_server):
    sign_in_as(page, live_server, "admin@example.com")
    page.goto(f"{live_server}/admin/partner-center/")
    page.get_by_label("Name", exact=True).fill("polnad")
    page.get_by_label("Partner tenant ID").fill("3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f")
    page.get_by_label("Application (client) ID").fill("6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d")
    page.get_by_label("Client secret").fill("a-secret")
    page.get_by_role("button", name="Save connection").click()
    expect(page.locator("#flash-region")).to_contain_text("Connection polnad saved.")
    expect(page.locator("#connection-default .connection-remove")).to_have_text("Built in")

    asked = answer_the_dialog(page, "Remove polnad", accept=False)
    assert asked == ["Remove the connection polnad? Its credentials are deleted from the storefront and its webhook "
                     "registration is forgotten; to use it again, add it again."]
    expect(page.locator("#connection-polnad")).to_be_visible()

    sign_in_as(no_js_page, live_server, "admin@example.com")
    no_js_page.goto(f"{live_server}/admin/partner-center/")
    asked_and_kept(no_js_page, button="Remove polnad", question="Remove the connection polnad?",
                   way_back="Keep the connection", back_to="Partner Center")
    expect(no_js_page.locator("#connection-polnad")).to_be_visible()

    answer_the_dialog(page, "Remove polnad", accept=True)
    expect(page.locator("#flash-region")).to_contain_text("Connection polnad removed.")
    expect(page.locator("#connection-polnad")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text("Partner Center")
