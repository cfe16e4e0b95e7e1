"""Another account's ids where tests/web/test_isolation.py does not put them: in query parameters
(searches, filters), in the fields of a form (a cart line's quantity, a placed checkout, an agreement
to add to, a notice), and the operator's pages that take no id, posted to by a reseller or a direct
customer. The walk of test_isolation.py fills only the ids of the URL's path.

The objects are reseller A's (Adatum IT Services), built by tests/support/isolation.py; reseller B
(Litware Systems) and the direct customer (Tailspin Toys) ask for them with their own sessions and
CSRF tokens, so nothing but the ownership checks stands in the way.
"""
from __future__ import annotations

import pytest

from app.catalog.models import CartLine
from app.checkout.models import CheckoutDraft
from app.subscriptions.models import Agreement, Subscription
from tests.helpers import soup
from tests.support.isolation import SECRET, Scene

INTRUDERS = ["reseller2_client", "customer_client"]


def _a_secrets(scene: Scene, db) -> list[str]:
    sub = db.session.get(Subscription, scene.sub_id)
    return [SECRET, scene.order_number, scene.agreement_number, sub.ms_subscription_id]


@pytest.mark.parametrize("who", INTRUDERS)
def test_searches_and_filters_with_another_accounts_ids_find_nothing_of_it(db, request, scene, who):
    intruder = request.getfixturevalue(who)
    sub = db.session.get(Subscription, scene.sub_id)
    agreement = db.session.scalar(db.select(Agreement).where(Agreement.number == scene.agreement_number))
    searches = [f"/orders?q={scene.order_number}", f"/orders?licensee={scene.licensee_id}&account={scene.account_id}",
                f"/subscriptions?q={sub.ms_subscription_id}", "/subscriptions?q=isolationsecret",
                f"/agreements?licensee={scene.licensee_id}&agreement={agreement.id}",
                f"/archive?account={scene.account_id}&order={scene.archived_order_id}",
                f"/notifications?user={scene.member_id}", f"/settings/licensees?archived=1&account={scene.account_id}",
                f"/programs?tab=certificates&certificate={scene.certificate_id}"]
    for url in searches:
        for headers in ({}, {"HX-Request": "true"}):
            response = intruder.get(url, headers=headers)
            assert response.status_code in (200, 302, 403, 404, 422), f"{who}: GET {url} answered {response.status_code}"
            page = soup(response)
            for field in page.select("input"):
                field.decompose()  # a search box shows what was typed: that is the intruder's own text
            for link in page.select("a[href], [hx-get]"):
                link.attrs.pop("href", None), link.attrs.pop("hx-get", None)  # so do the sort links
            shown = str(page)
            for secret in (SECRET, scene.order_number, scene.agreement_number, sub.friendly_name):
                assert secret not in shown, f"{who}: GET {url} shows {secret!r}"


@pytest.mark.parametrize("who", INTRUDERS)
def test_another_users_cart_line_in_the_cart_form_changes_nothing(db, request, scene, who):
    intruder = request.getfixturevalue(who)
    response = intruder.post("/cart/update", {f"quantity-{scene.line_id}": "9", "quantity": "9"})
    assert response.status_code in (302, 303, 404, 422)
    db.session.expire_all()
    assert db.session.get(CartLine, scene.line_id).quantity == 3


@pytest.mark.parametrize("who", INTRUDERS)
def test_another_users_placed_checkout_in_the_review_form_does_not_lead_to_its_order(db, request, scene, who):
    """The review form's draft_id says which placed checkout a second submit shows: only one's own."""
    intruder = request.getfixturevalue(who)
    draft = db.session.scalar(db.select(CheckoutDraft).where(CheckoutDraft.order_number == scene.order_number))
    agreement = db.session.scalar(db.select(Agreement).where(Agreement.number == scene.agreement_number))
    response = intruder.post("/checkout/review", {"draft_id": str(draft.id), "add_to_agreement": str(agreement.id),
                                                  "terms": "y"})
    assert scene.order_number not in response.headers.get("Location", "")
    assert SECRET not in response.get_data(as_text=True)
    # The agreement of another account is not one to add to, whatever the form says.
    follow = intruder.post("/checkout/service", {"use_agreement": str(agreement.id)})
    assert follow.status_code in (302, 303, 404)
    assert scene.agreement_number not in follow.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CheckoutDraft, draft.id).user_id == draft.user_id


@pytest.mark.parametrize("who", INTRUDERS)
def test_the_operators_pages_without_an_id_refuse_a_post_and_change_nothing(app, db, request, scene, who):
    """test_isolation.py walks the routes that take an id; these take none (a new account, a program's
    settings, a migration file, a connection, a tool run), and a POST is refused all the same."""
    from app.accounts.models import Account
    from app.migration.models import OnboardingWebinar
    from app.programs.models import Program
    from app.tools.models import CustomerImportRun, ReconciliationRun

    intruder = request.getfixturevalue(who)

    def counted():
        db.session.expire_all()
        return tuple(db.session.scalar(db.select(db.func.count()).select_from(model))
                     for model in (Account, Program, OnboardingWebinar, ReconciliationRun, CustomerImportRun))

    before = counted()
    form = {"name": "Taken over", "country": "US", "partner_id": "5678901",
            "partner_tenant_id": "4c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e7f", "markets": "US",
            "admin_first_name": "Eve", "admin_last_name": "Intruder", "admin_email": "eve@intruder.example.com",
            "description": "x", "terms": "y", "validity_days": "5", "account": str(scene.account_id),
            "legacy_id": "LP-EVE", "title": "Eve's webinar", "starts_at": "2026-12-03T16:00",
            "url": "https://eve.example.com", "scope": "all", "market_US": "default"}
    posted = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin") and not rule.arguments and "POST" in rule.methods:
            response = intruder.post(rule.rule, form)
            assert response.status_code == 403, f"{who}: POST {rule.rule} answered {response.status_code}"
            posted.append(rule.endpoint)
    assert {"programs.admin_index", "migration.admin_schedule", "migration.admin_webinars",
            "tools.reconciliation", "tools.customer_import", "connections.index"} <= set(posted)
    for kind in ("reseller", "customer"):
        assert intruder.post(f"/admin/accounts/new/{kind}", form).status_code == 403
    assert counted() == before


@pytest.mark.parametrize("who", INTRUDERS)
def test_a_get_with_another_accounts_ids_in_its_query_writes_nothing(db, request, scene, who):
    """GET never writes, with ids in the query string too (test_get_never_writes.py fills only the path)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    intruder = request.getfixturevalue(who)
    agreement = db.session.scalar(db.select(Agreement).where(Agreement.number == scene.agreement_number))
    urls = [f"/checkout/?draft={scene.line_id}&order={scene.order_number}",
            f"/checkout/customer?licensee={scene.licensee_id}&certificate={scene.certificate_id}",
            f"/checkout/service?use_agreement={agreement.id}&default_domain=isolationsecret.onmicrosoft.com",
            f"/checkout/review?draft_id={scene.line_id}&add_to_agreement={agreement.id}",
            f"/programs/gdap?tenant={agreement.tenant_id or 'x'}",
            f"/cart?line={scene.line_id}", f"/orders?order={scene.order_number}"]
    commits = []
    record = lambda session: commits.append(1)  # noqa: E731
    event.listen(Session, "before_commit", record)
    try:
        for url in urls:
            intruder.get(url)
    finally:
        event.remove(Session, "before_commit", record)
    assert not commits, "a GET committed"
