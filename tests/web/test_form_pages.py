"""Without JavaScript a refused form is shown again (422) at the address it was posted to, and the address bar
keeps that address: its reload, or a copy of it opened later, is a GET. Every address that takes POST only
names the page its form is on (app/web/form_pages.form_on), so that GET leads there instead of answering
405 Not allowed, a dead end. The walk over url_map checks every such route, so a new one is not forgotten.
"""
from __future__ import annotations

import inspect
import os

import pytest
from sqlalchemy import select

from app.web.form_pages import FORM_ON_ATTR

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# POST-only addresses without a page of their own to lead to, and why.
NO_PAGE = {
    "partner_center_webhooks.receive": "Microsoft posts there; no person's browser opens it",
    "settings.state_label": "htmx asks it for a field's label; no address bar shows it",
}


def _where(app, endpoint: str) -> str:
    view = inspect.unwrap(app.view_functions[endpoint])
    return f"{os.path.relpath(inspect.getsourcefile(view), ROOT)}, def {view.__name__}"


def test_every_post_only_address_names_the_page_its_form_is_on(app):
    unnamed = sorted(
        f"{rule.rule} ({_where(app, rule.endpoint)})"
        for rule in app.url_map.iter_rules()
        if rule.methods - {"HEAD", "OPTIONS"} == {"POST"} and rule.endpoint not in NO_PAGE
        if not getattr(app.view_functions[rule.endpoint], FORM_ON_ATTR, None)
    )
    assert not unnamed, (
        "These addresses take POST only and name no page, so a reload of a form refused there answers 405 "
        "Not allowed. Decorate each view with @form_on(\"<endpoint of the page its form is on>\") from "
        "app.web.form_pages:\n  " + "\n  ".join(unnamed))


def _ids(db):
    from app.accounts.models import Account, User
    from app.programs.models import Certificate

    adatum = db.session.scalar(select(Account).where(Account.name == "Adatum IT Services"))
    ray = db.session.scalar(select(User).where(User.email == "reseller-member@example.com"))
    certificate = db.session.scalar(select(Certificate).where(Certificate.account_id == adatum.id))
    return {"account": adatum.id, "user": ray.id, "certificate": certificate.id}


@pytest.mark.parametrize(("who", "address", "page"), [
    ("reseller_client", "/profile/name", "/profile"),
    ("reseller_client", "/profile/password", "/profile"),
    ("reseller_client", "/profile/email", "/profile"),
    ("reseller_client", "/settings/users/{user}/deactivate", "/settings/users"),
    ("reseller_client", "/settings/users/{user}/role", "/settings/users"),
    ("reseller_client", "/settings/invitations/1/resend", "/settings/users"),
    ("reseller_client", "/settings/licensees/1/delete", "/settings/licensees"),
    ("reseller_client", "/programs/certificates/{certificate}/process", "/programs/certificates/{certificate}"),
    ("reseller_client", "/programs/gdap/connect", "/programs/gdap"),
    ("operator_client", "/admin/programs/certificates/{certificate}/refuse",
     "/admin/programs/certificates/{certificate}"),
    ("operator_client", "/admin/programs/requests/1/dismiss", "/admin/programs/requests"),
    ("operator_client", "/admin/migration/schedule", "/admin/migration"),
    ("operator_client", "/admin/migration/webinars/1/remove", "/admin/migration/webinars/1"),
    ("operator_client", "/admin/customer-import/runs/1/customers/2/import", "/admin/customer-import/runs/1"),
    ("operator_client", "/admin/reconciliation/runs/1/corrections", "/admin/reconciliation/runs/1"),
    ("operator_client", "/admin/stuck/orders/ORD-0000-0000-0000/retry", "/admin/stuck"),
    ("operator_client", "/admin/partner-center/default/check", "/admin/partner-center/"),
    ("operator_client", "/admin/partner-center/default/webhooks", "/admin/partner-center/"),
    ("operator_client", "/admin/partner-center/markets", "/admin/partner-center/"),
    # Its page needs the link's token, which the address does not carry: that page says to open the email's link.
    ("client", "/accept-invitation/ask", "/accept-invitation"),
])
def test_a_post_only_address_opened_leads_to_the_page_its_form_is_on(demo, db, request, who, address, page):
    """The address a refused form was shown at (say Refuse without a reason, on a certificate's page, or a
    password too short on My profile), reloaded: the page the form is on, not "Error 405 Not allowed"."""
    client, ids = request.getfixturevalue(who), _ids(db)
    opened = client.get(address.format(**ids))
    assert (opened.status_code, opened.headers.get("Location")) == (303, page.format(**ids))


def test_the_refused_refusal_of_a_certificate_reloaded_shows_the_certificate(db, operator_client):
    """Refuse pressed without a reason, without JavaScript: the page says why at /…/refuse; its reload is the
    certificate's page again."""
    certificate = _ids(db)["certificate"]
    refused = operator_client.post(f"/admin/programs/certificates/{certificate}/refuse", {"reason": ""})
    assert refused.status_code == 422
    reloaded = operator_client.get(f"/admin/programs/certificates/{certificate}/refuse", follow_redirects=True)
    assert reloaded.status_code == 200
    assert "Operator actions" in reloaded.get_data(as_text=True)
