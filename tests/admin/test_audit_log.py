"""admin > Audit log: filters (actor, account, action, date range), paging, an event's details and
the CSV of what the filters select; the operator's only."""
from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from app.accounts.models import Account, User
from app.audit.models import AuditEvent
from tests.helpers import soup
from tests.support.filters import assert_bad_choice_refused, assert_bad_dates_refused


@pytest.fixture
def events(db):
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    reseller = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))
    admin = db.session.scalar(db.select(User).where(User.email == "admin@example.com"))
    rows = [
        AuditEvent(occurred_at=datetime(2026, 3, 1, 9, 0), actor_id=reseller.id, account_id=adatum.id,
                   action="order_placed", subject="Order ORD-1", details={"lines": 2}, ip_address="203.0.113.5",
                   user_agent="Firefox"),
        AuditEvent(occurred_at=datetime(2026, 3, 2, 10, 0), actor_id=admin.id, account_id=admin.account_id,
                   action="storefront_options_changed", subject="Storefront options",
                   details={"annual_billing": {"from": True, "to": False}}),
        AuditEvent(occurred_at=datetime(2026, 3, 3, 23, 59), actor_id=None, account_id=adatum.id,
                   action="order_completed", subject="=HYPERLINK(\"http://evil\")"),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def _listed(response) -> list[str]:
    return [row.select("td")[3].get_text() for row in soup(response).select(".audit-table tbody tr[id]")]


def test_filters_by_actor_account_action_and_dates(events, operator_client):
    assert _listed(operator_client.get("/admin/audit?actor=reseller@"))[:1] == ["Order placed"]
    assert "Storefront options changed" not in _listed(operator_client.get("/admin/audit?actor=reseller@"))
    assert _listed(operator_client.get("/admin/audit?actor=system&date_from=2026-03-01&date_to=2026-03-03")) == \
        ["Order completed"]
    adatum = events[0].account_id
    by_account = _listed(operator_client.get(f"/admin/audit?account={adatum}&date_from=2026-03-01&date_to=2026-03-31"))
    assert by_account == ["Order completed", "Order placed"]
    page = soup(operator_client.get("/admin/audit?action=storefront_options_changed&date_to=2026-03-02"))
    assert [r.select("td")[4].get_text() for r in page.select(".audit-table tbody tr[id]")] == ["Storefront options"]
    assert page.select_one("#action option[selected]")["value"] == "storefront_options_changed"
    assert page.select_one("#audit-count").get_text() == "1 event"


def test_actions_read_in_words_and_their_codes_stay_in_the_address(db, events, operator_client):
    """The list, the Action filter and an event's page name an action in words; the filter's value, and so the
    address, is its stable code."""
    db.session.add(AuditEvent(action="partner_center_webhooks_registered", subject="default"))
    db.session.add(AuditEvent(action="sign_in_refused_suspended", subject="someone@example.com"))
    db.session.commit()
    page = soup(operator_client.get("/admin/audit"))
    assert _listed(operator_client.get("/admin/audit"))[:2] == ["Sign-in refused: account suspended",
                                                                "Partner Center webhooks registered"]
    choices = {o.get_text(): o["value"] for o in page.select("#action option")}
    assert choices["Partner Center webhooks registered"] == "partner_center_webhooks_registered"
    assert choices["Order placed"] == "order_placed"
    assert list(choices)[0] == "All actions" and list(choices)[1:] == sorted(list(choices)[1:])
    event = soup(operator_client.get(page.select_one(".audit-table tbody tr[id] a")["href"]))
    assert event.select_one("h1").get_text() == "Sign-in refused: account suspended"
    facts = {dt.get_text(): dt.find_next("dd").get_text() for dt in event.select("#audit-event dt")}
    assert facts["Action code"] == "sign_in_refused_suspended"


def test_htmx_gets_the_list_and_the_address_to_push(events, operator_client):
    response = operator_client.get("/admin/audit?action=order_placed", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<h1" not in response.get_data(as_text=True)
    assert response.headers["HX-Push-Url"] == "/admin/audit?action=order_placed"
    assert soup(response).select_one("#audit-log") is not None


def test_bad_dates_are_explained_next_to_the_field(operator_client):
    assert_bad_dates_refused(operator_client, "/admin/audit", "date_from", "date_to")
    assert_bad_choice_refused(operator_client, "/admin/audit", "action", "an action")
    assert_bad_choice_refused(operator_client, "/admin/audit", "account", "an account")


def test_an_events_details(events, operator_client):
    listing = soup(operator_client.get("/admin/audit?action=order_placed"))
    link = listing.select_one(f"#event-{events[0].id} a")
    page = soup(operator_client.get(link["href"]))
    facts = {dt.get_text(): dt.find_next("dd").get_text() for dt in page.select("#audit-event dt")}
    assert facts["Actor"] == "reseller@example.com" and facts["IP address"] == "203.0.113.5"
    assert facts["Browser"] == "Firefox" and facts["Time"] == "2026-03-01 09:00:00 UTC"
    assert page.select_one("#audit-details dd").get_text() == "2"
    assert operator_client.get("/admin/audit/999999").status_code == 404


def test_the_csv_has_what_the_filters_select_and_is_safe_in_a_spreadsheet(events, operator_client):
    page = soup(operator_client.get("/admin/audit?actor=system&date_from=2026-03-03&date_to=2026-03-03"))
    href = page.select_one("#audit-csv")["href"]
    assert href == "/admin/audit.csv?actor=system&date_from=2026-03-03&date_to=2026-03-03"
    response = operator_client.get(href)
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["Time (UTC)", "Actor", "Account", "Action", "Subject", "IP address", "Browser", "Details"]
    assert rows[1][:5] == ["2026-03-03 23:59:00", "system", "Adatum IT Services", "order_completed",
                           "'=HYPERLINK(\"http://evil\")"]
    assert len(rows) == 2


def test_only_the_operator_reads_it(events, reseller_client, customer_client, operator_member_client):
    for client in (reseller_client, customer_client):
        assert client.get("/admin/audit").status_code == 403
        assert client.get(f"/admin/audit/{events[0].id}").status_code == 403
        assert client.get("/admin/audit.csv").status_code == 403
    assert operator_member_client.get("/admin/audit").status_code == 200


def test_an_event_of_no_account_and_no_subject_says_so_in_words(db, operator_client):
    """A worker's event of the storefront as a whole has no account and may have no subject: its page says
    so, never "None"."""
    event = AuditEvent(occurred_at=datetime(2026, 3, 4, 8, 0), actor_id=None, account_id=None,
                       action="catalog_synced", subject=None)
    db.session.add(event)
    db.session.flush()
    page = soup(operator_client.get(f"/admin/audit/{event.id}"))
    facts = {dt.get_text(): dt.find_next("dd").get_text() for dt in page.select("#audit-event dt")}
    assert facts["Actor"] == "system"
    assert facts["Account"] == "No account (the storefront as a whole)"
    assert facts["Subject"] == "Not recorded"
    assert "None" not in page.select_one("#audit-event").get_text()
