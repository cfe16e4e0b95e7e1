"""Removing a Partner Center connection (admin > Partner Center): one nothing holds (a connection added by
mistake, or under a mistyped name) can be removed, asked first; one that serves the storefront, or that a
tenant, order, subscription, pinned account, waiting checkout or tool's finding names, stays, and the page
says what holds it."""
from __future__ import annotations

import pytest

from app.accounts.models import Account
from app.audit.models import AuditEvent
from app.connections.models import PartnerCenterInstance, PartnerCenterWebhook
from app.extensions import db as _db
from tests.connections.test_several_instances import add_connection, assign, litware_request
from tests.helpers import soup, text_of
from tests.support.orders import place

PAGE = "/admin/partner-center/"


@pytest.fixture
def app_config():
    return {"SANDBOX_CONFIG": {"SANDBOX_ORDER_DELAY_SECONDS": 0}}


def _exists(db, name: str) -> bool:
    db.session.expire_all()
    return db.session.scalar(db.select(PartnerCenterInstance).where(PartnerCenterInstance.name == name)) is not None


def _remove_cell(page, name: str):
    return page.select_one(f"#connection-{name} .connection-remove")


def test_a_connection_nothing_holds_is_removed_after_asking(db, operator_client):
    assert add_connection(operator_client, name="polnad").status_code == 302  # a typo
    db.session.add(PartnerCenterWebhook(connection="polnad", token="t" * 40, status="registered",
                                        url="http://127.0.0.1:5000/webhooks/partner-center/" + "t" * 40))
    db.session.commit()
    page = soup(operator_client.get(PAGE))
    form = _remove_cell(page, "polnad").select_one("form")
    button = form.select_one("button")
    assert " ".join(button.get_text().split()) == "Remove polnad"
    assert form["hx-confirm"].startswith("Remove the connection polnad?")
    assert _remove_cell(page, "default").get_text().strip() == "Built in"

    # Without JavaScript the button opens a page that asks; nothing is removed yet.
    asked = operator_client.post(form["action"], {})
    assert asked.status_code == 200
    question = soup(asked)
    assert question.select_one("h1").get_text() == "Remove the connection polnad?"
    assert "Its webhook registration is forgotten" in question.select_one("#remove-consequences").get_text()
    assert question.find("a", string="Keep the connection")["href"] == PAGE
    assert _exists(db, "polnad")

    removed = operator_client.post(form["action"], {"confirmed": "yes"})
    assert removed.status_code == 303 and removed.headers["Location"].endswith(PAGE)
    assert not _exists(db, "polnad")
    assert db.session.scalar(db.select(PartnerCenterWebhook).where(PartnerCenterWebhook.connection == "polnad")) is None
    after = soup(operator_client.get(PAGE))
    assert "Connection polnad removed." in after.select_one("#flash-region").get_text()
    assert after.select_one("#connection-polnad") is None and after.select_one("#webhooks-polnad") is None
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "partner_center_instance_removed"))
    assert event is not None and event.subject == "polnad"


def test_a_connection_in_use_says_what_holds_it_and_stays(db, demo, operator_client):
    add_connection(operator_client, name="poland")
    assign(operator_client, PL="poland")
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    adatum.partner_center_connection = "poland"
    db.session.commit()
    place(db, litware_request(db, domain="cohowinery9.onmicrosoft.com"))  # an order of the Polish market
    cell = _remove_cell(soup(operator_client.get(PAGE)), "poland")
    assert cell.select_one("button") is None
    assert " ".join(cell.get_text().split()) == ("Kept: it serves the market Poland (PL); 1 account is pinned to it; "
                                                "1 order names it.")

    refused = operator_client.post(f"{PAGE}poland/remove", {"confirmed": "yes"}, follow_redirects=True)
    assert refused.status_code == 200
    assert ("The connection poland cannot be removed: it serves the market Poland (PL); 1 account is pinned to it; "
            "1 order names it.") in text_of(refused)
    assert _exists(db, "poland")

    # Once the market and the pin are moved, the order still holds it: orders stay with their connection.
    assign(operator_client)
    adatum.partner_center_connection = None
    db.session.commit()
    cell = _remove_cell(soup(operator_client.get(PAGE)), "poland")
    assert " ".join(cell.get_text().split()) == "Kept: 1 order names it."


def test_the_built_in_sandbox_and_unknown_names_are_not_found(db, operator_client):
    assert operator_client.post(f"{PAGE}default/remove", {"confirmed": "yes"}).status_code == 404
    assert operator_client.post(f"{PAGE}nowhere/remove", {"confirmed": "yes"}).status_code == 404


def test_only_the_operator_admin_may_remove_one(db, demo, operator_client, operator_member_client, reseller_client):
    add_connection(operator_client, name="spare")
    member_page = soup(operator_member_client.get(PAGE))
    assert member_page.select_one("#connection-spare") is not None
    assert _remove_cell(member_page, "spare") is None
    assert operator_member_client.post(f"{PAGE}spare/remove", {"confirmed": "yes"}).status_code == 403
    assert reseller_client.post(f"{PAGE}spare/remove", {"confirmed": "yes"}).status_code in (403, 404)
    assert _exists(db, "spare")


def test_every_column_that_names_a_connection_is_counted(app):
    """A table added later with a column naming a connection must be counted before a connection can go."""
    from app.connections.services import NAMED_BY

    own = {"partner_center_instances", "partner_center_markets", "partner_center_webhooks",
           "partner_center_webhook_events"}
    naming = {(table.name, column.name) for table in _db.metadata.sorted_tables if table.name not in own
              for column in table.columns
              if column.name in ("partner_center_instance", "partner_center_connection", "connection")}
    assert naming == {(table, column) for table, (column, *_) in NAMED_BY.items()}
