"""Another account's ids answer 404 or 403, never its data, on every route that takes an id.

The objects belong to reseller A (Adatum IT Services, reseller@example.com): an order that is
querying (its Parameters tab editable, Process allowed), an agreement with an active subscription
still inside its cancellation window, a placed checkout, a cart line, a notification. Reseller B
(Litware Systems, reseller2@example.com) and the direct customer (Tailspin Toys) then ask for each
of them, GET and POST, with valid forms and their own CSRF tokens, so nothing but the ownership
check stands between them and the data.

Routes are discovered from url_map: a new route with a parameter fails here until it has a
sample below, so it is never silently skipped.
"""
from __future__ import annotations

import pytest

from app.accounts.models import Account, Licensee, User
from app.web.access import access_of
from tests.factories import SubscriptionFactory
from tests.support.isolation import SECRET, Scene

INTRUDERS = ["reseller2_client", "customer_client"]


def _same(param: str, attr: str, *endpoints: str) -> dict:
    """The routes that each take `param`, filled with the scene's `attr`."""
    return {endpoint: {param: lambda s, who: getattr(s, attr)} for endpoint in endpoints}


# How to fill each route's parameters with reseller A's objects (or the operator's, for admin
# routes), given the intruder. A route with a parameter that is not here fails the walk.
SAMPLES = {
    **_same("number", "order_number", "orders.detail", "orders.progress", "orders.events", "orders.save_parameters",
            "orders.process", "orders.refresh_gdap", "checkout.placed"),
    **_same("sub_id", "sub_id", "subscriptions.detail", "subscriptions.change_quantity", "subscriptions.schedule",
            "subscriptions.auto_renew", "subscriptions.rename", "subscriptions.cancel", "subscriptions.add_licences"),
    **_same("number", "agreement_number", "subscriptions.terminate_agreement", "subscriptions.agreement"),
    # admin > Audit log (the operator's): one event.
    "admin.audit_event": {"event_id": lambda s, who: 1},
    **_same("line_id", "line_id", "catalog.update_line", "catalog.remove_line"),
    # Price lists are per market: each intruder asks for the market that is not its own.
    **{endpoint: {"market": lambda s, who: "US" if who == "reseller2_client" else "PL"}
       for endpoint in ("catalog.price_list", "catalog.price_list_csv")},
    # The operator's objects: tools and their results.
    "catalog.sync_status": {"sync_id": lambda s, who: s.sync_id},
    "connections.check": {"name": lambda s, who: "default"},
    "connections.register_webhooks": {"name": lambda s, who: "default"},
    "connections.remove": {"name": lambda s, who: "default"},
    "connections.check_status": {"job_id": lambda s, who: "partner-center-check-default"},
    "tools.retry_order": {"number": lambda s, who: s.order_number},
    "tools.retry_sync": {"sync_id": lambda s, who: s.sync_id},
    **_same("run_id", "reconciliation_run_id", "tools.reconciliation_run", "tools.reconciliation_progress",
            "tools.reconciliation_events", "tools.reconciliation_csv", "tools.reconciliation_correct"),
    **_same("run_id", "customer_import_run_id", "tools.customer_import_run", "tools.customer_import_progress",
            "tools.customer_import_events", "tools.customer_import_csv"),
    "tools.import_customer": {"run_id": lambda s, who: s.customer_import_run_id,
                              "candidate_id": lambda s, who: s.import_candidate_id},
    # admin > Accounts: reseller A's account itself (the operator manages it; nobody else may).
    "partners.new": {"kind": lambda s, who: "reseller"},
    "partners.new_reseller_markets": {"kind": lambda s, who: "reseller"},
    **_same("account_id", "account_id", "partners.account", "partners.edit", "partners.check", "partners.suspend",
            "partners.reactivate", "partners.invite_admin", "partners.pin_connection"),
    **{endpoint: {"account_id": lambda s, who: s.account_id, "invitation_id": lambda s, who: s.invitation_id}
       for endpoint in ("partners.resend_invitation", "partners.revoke_invitation")},
    **{endpoint: {"account_id": lambda s, who: s.account_id, "user_id": lambda s, who: s.member_id}
       for endpoint in ("partners.deactivate_user", "partners.reactivate_user")},
    # Programs: reseller A's certificate; admin > Programs: it, and a partner request (the operator's).
    **_same("certificate_id", "certificate_id", "programs.certificate", "programs.certificate_status",
            "programs.process", "programs.admin_certificate", "programs.approve", "programs.expire", "programs.refuse"),
    **_same("request_id", "partner_request_id", "programs.convert_request", "programs.dismiss_request"),
    # Programs > Delegated admin: the GDAP relationship the distributor created for reseller A (the sandbox's seed).
    "programs.gdap_answer": {"rel_id": lambda s, who: _resellers_gdap_relationship(), "action": lambda s, who: "approve"},
    # Account settings: reseller A's licensee, member and pending invitation.
    **_same("licensee_id", "licensee_id", "settings.edit_licensee", "settings.archive_licensee",
            "settings.restore_licensee", "settings.delete_licensee"),
    **_same("user_id", "member_id", "settings.change_role", "settings.deactivate", "settings.reactivate"),
    **_same("invitation_id", "invitation_id", "settings.resend_invitation", "settings.revoke_invitation"),
    # The archive migrated from the previous portal: reseller A's order and invoice (and its document).
    "migration.archived_order": {"order_id": lambda s, who: s.archived_order_id},
    **_same("invoice_id", "archived_invoice_id", "migration.archived_invoice", "migration.invoice_document"),
    # admin > Migration (operator admins only): an import run, reseller A in a migration, a webinar.
    "migration.admin_run": {"run_id": lambda s, who: 1},
    "migration.admin_migrate": {"migrated_id": lambda s, who: 1},
    "migration.admin_remove_webinar": {"webinar_id": lambda s, who: 1},
    "migration.admin_edit_webinar": {"webinar_id": lambda s, who: 1},
}

def _resellers_gdap_relationship() -> str:
    from flask import current_app

    from app.connections.services import in_process_sandbox
    from tests.support.gdap import reseller_relationships

    return reseller_relationships(in_process_sandbox(current_app).extensions["sandbox_store"])[0]["id"]


# Parameters that name no account's object: the catalog is the same for every buyer, and a
# navigation section is a page of links each user sees filtered by what they may open.
SHARED = {"catalog.product", "catalog.add_to_cart", "layout.section",
          # Partner Center's webhook receiver: public by design, each post trusted only by its signature
          # (tests/connections/test_webhooks.py shows a post without one is refused 401 and changes nothing).
          "partner_center_webhooks.receive"}


def _form(scene: Scene, csrf: str) -> dict:
    """Every field of every form on the routes walked, valid, so a missing ownership check would
    let the request through."""
    data = {"csrf_token": csrf, "quantity": "7", "licences": "3", "etag": scene.etag, "request_key": "isolation-key",
            "domain": "intruder.onmicrosoft.com", "tenant_id": "", "registration_id": "", "phone": "",
            "seen": f"{scene.sub_id}:{scene.etag}", "change": "increase", "name": "default"}
    for prefix in ("schedule", "renew", "rename", "cancel"):
        data.update({f"{prefix}-csrf_token": csrf, f"{prefix}-etag": scene.etag,
                     f"{prefix}-request_key": f"isolation-{prefix}"})
    data.update({"schedule-quantity": "9", "renew-enabled": "off", "rename-friendly_name": "Taken over"})
    data.update({"partner_id": "2345678", "contact_email": "eve@intruder.example.com", "reason": "Taken over"})
    data.update({"role": "admin", "company_name": "Taken over", "country": "US", "contact_first_name": "Eve",
                 "contact_last_name": "Intruder", "email": "eve@intruder.example.com"})
    return data


def _state(db, scene: Scene) -> dict:
    """What a leak would change."""
    from app.catalog.models import CartLine
    from app.accounts.models import Notification
    from app.orders.models import Order
    from app.auth.models import Invitation
    from app.subscriptions.models import Subscription

    db.session.expire_all()
    order = db.session.scalar(db.select(Order).where(Order.number == scene.order_number))
    sub = db.session.get(Subscription, scene.sub_id)
    line = db.session.get(CartLine, scene.line_id)
    account = db.session.get(Account, scene.account_id)
    from app.programs.models import Certificate, PartnerRequest

    certificate = db.session.get(Certificate, scene.certificate_id)
    partner_request = db.session.get(PartnerRequest, scene.partner_request_id)
    return {"account": (account.name, account.status, account.partner_status, account.partner_id),
            "orders": db.session.scalar(db.select(db.func.count(Order.id))),
            "order": (order.status, order.domain, order.tenant_id),
            "sub": (sub.quantity, sub.friendly_name, sub.auto_renew, sub.status),
            "line": line.quantity if line is not None else None,
            "notification_read": db.session.get(Notification, scene.notification_id).read_at is not None,
            "licensee": _row(db.session.get(Licensee, scene.licensee_id), "company_name", "email", "archived_at"),
            "member": _row(db.session.get(User, scene.member_id), "role", "is_active_user"),
            "certificate": _row(certificate, "status", "partner_id", "check_status", "expires_at"),
            "partner_request": _row(partner_request, "status", "account_id"),
            "invitation": _row(db.session.get(Invitation, scene.invitation_id), "revoked_at", "send_count",
                               "expires_at")}


def _row(row, *names) -> tuple | None:
    return None if row is None else tuple(getattr(row, name) for name in names)


def _routes_with_ids(app):
    for rule in app.url_map.iter_rules():
        if rule.arguments and rule.endpoint != "static" and rule.endpoint not in SHARED:
            yield rule


def test_every_route_with_an_id_has_a_sample(app):
    missing = [f"{rule.endpoint} ({rule.rule}) takes {sorted(rule.arguments - set(SAMPLES.get(rule.endpoint, {})))}: "
               f"add the id of one of reseller A's (or the operator's) objects to SAMPLES in tests/web/test_isolation.py "
               f"(or the endpoint to SHARED if the id names no account's object)."
               for rule in _routes_with_ids(app) if not rule.arguments <= set(SAMPLES.get(rule.endpoint, {}))]
    assert not missing, "\n".join(missing)


def _url(rule, scene: Scene, who: str) -> str:
    values = {name: fill(scene, who) for name, fill in SAMPLES[rule.endpoint].items()}
    return rule.build(values, append_unknown=False)[1]


@pytest.mark.parametrize("who", INTRUDERS)
def test_another_accounts_ids_answer_404_or_403_never_data(app, db, request, scene, who):
    intruder = request.getfixturevalue(who)
    before = _state(db, scene)
    walked = []
    for rule in _routes_with_ids(app):
        url = _url(rule, scene, who)
        for method in sorted(rule.methods & {"GET", "POST"}):
            if method == "GET":
                response = intruder.get(url, buffered=False)
            else:
                response = intruder.post(url, _form(scene, intruder.csrf_token))
            body = response.get_data(as_text=True) if response.status_code in (403, 404) else ""
            response.close()
            assert response.status_code in (403, 404), f"{who}: {method} {url} answered {response.status_code}"
            for secret in (SECRET, scene.order_number, scene.agreement_number):
                assert secret not in body, f"{who}: {method} {url} shows {secret!r}"
            walked.append((method, rule.endpoint))
    assert _state(db, scene) == before
    assert {("POST", "subscriptions.cancel"), ("POST", "subscriptions.terminate_agreement"),
            ("POST", "orders.save_parameters"), ("GET", "orders.events"), ("POST", "catalog.remove_line"),
            ("GET", "checkout.placed"), ("GET", "catalog.price_list_csv")} <= set(walked)


def test_the_samples_are_real(app, scene, reseller_client):
    """The owner reaches every account object the walk above uses (so its 404s mean something)."""
    for rule in _routes_with_ids(app):
        access = access_of(app.view_functions[rule.endpoint])
        if "GET" not in rule.methods or rule.rule.startswith("/admin"):
            continue
        url = _url(rule, scene, "reseller_client")
        if rule.endpoint.startswith("catalog.price_list"):
            url = url.replace("/PL", "/US")
        response = reseller_client.get(url, buffered=False)
        response.close()
        assert response.status_code == 200, f"{url} answered {response.status_code} to its owner ({access})"
    page = reseller_client.get(f"/agreements/{scene.agreement_number}/terminate")
    assert f"{SECRET} seats" in page.get_data(as_text=True)


def test_an_agreement_lists_only_subscriptions_of_its_own_account(app, db, scene, reseller_client):
    """A subscription of another account inside one of A's agreements (as a wrong "add to existing
    agreement" could make) is neither listed nor cancelled when A terminates the agreement."""
    from app.subscriptions.models import Agreement

    litware = db.session.scalar(db.select(Account).where(Account.partner_id == "2345678"))
    agreement = db.session.scalar(db.select(Agreement).where(Agreement.number == scene.agreement_number))
    SubscriptionFactory(ms_subscription_id="isolation-foreign-0001", agreement=agreement, account=litware,
                        friendly_name="Litware own seats", quantity=4)
    page = reseller_client.get(f"/agreements/{scene.agreement_number}/terminate").get_data(as_text=True)
    assert f"{SECRET} seats" in page and "Litware own seats" not in page
    from app.subscriptions.agreements import agreement_subscriptions

    assert [s.ms_subscription_id for s in agreement_subscriptions(agreement)] == ["isolation-sub-0001"]


def test_marking_another_users_notification_read_changes_nothing(db, scene, reseller2_client):
    from app.accounts.models import Notification

    response = reseller2_client.post("/notifications/read", {"notification_id": str(scene.notification_id)})
    assert response.status_code in (200, 303)
    assert SECRET not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Notification, scene.notification_id).read_at is None


@pytest.mark.usefixtures("something_to_buy")  # it walks the checkout, which buys the cart
def test_another_resellers_licensee_cannot_be_chosen_at_checkout(db, scene, reseller2_client):
    from app.checkout.models import CheckoutDraft

    fabrikam = db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Fabrikam, Inc."))
    page = reseller2_client.get("/checkout/customer")
    assert page.status_code == 200 and "Fabrikam" not in page.get_data(as_text=True)
    response = reseller2_client.post("/checkout/customer", {"licensee": str(fabrikam.id)})
    assert response.status_code == 422
    assert "Choose one of your customers" in response.get_data(as_text=True)
    lidia = db.session.scalar(db.select(User).where(User.email == "reseller2@example.com"))
    db.session.expire_all()
    drafts = db.session.scalars(db.select(CheckoutDraft).where(CheckoutDraft.user_id == lidia.id)).all()
    # A refused step writes nothing (the draft is saved by the first valid form), so either there
    # is no draft at all or none of reseller B's drafts points at reseller A's customer.
    assert all(d.licensee_id != fabrikam.id for d in drafts)
