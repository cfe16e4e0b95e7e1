"""Keeping in step with Partner Center (the periodic refresh) and renewal notices."""
from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest

from app.audit.models import AuditEvent
from app.accounts.models import Notification
from app.subscriptions.models import Subscription
from tests.helpers import soup
from tests.support.orders import line
from tests.support.subscriptions import BASIC, buy, remote


def _fresh(db, sub) -> Subscription:
    db.session.expire_all()
    return db.session.get(Subscription, sub.id)


def test_a_change_made_outside_the_storefront_shows_up_after_one_refresh_and_is_audited(
        db, reseller_client, sandbox_store, pc_client, bought):
    from app.subscriptions.jobs import refresh_subscriptions

    pc_client.set_subscription_quantity(bought.tenant_id, bought.ms_subscription_id, 17)
    pc_client.set_subscription_auto_renew(bought.tenant_id, bought.ms_subscription_id, False)
    grid = soup(reseller_client.get("/subscriptions"))
    assert [td.get_text() for td in grid.select("tbody tr td")][4] == "10"  # not yet: pages never call Microsoft

    sandbox_store.clear_calls()
    summary = refresh_subscriptions()
    assert summary == {"refreshed": 1, "changed": 1, "tenants": 1, "stopped": None}
    assert [c["path"] for c in sandbox_store.calls()] == [f"/v1/customers/{bought.tenant_id}/subscriptions"]
    row = [td.get_text() for td in soup(reseller_client.get("/subscriptions")).select("tbody tr td")]
    assert row[4] == "17" and row[8] == "Off"
    sub = _fresh(db, bought)
    assert sub.refundable_quantity == 17 and sub.etag == remote(sandbox_store, bought)["etag"]
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "subscription_changed_in_partner_center"))
    assert event.subject == bought.ms_subscription_id
    assert event.details["quantity"] == {"from": 10, "to": 17}
    assert event.details["auto_renew"] == {"from": True, "to": False}
    # Nothing changed since: a second refresh records nothing.
    assert refresh_subscriptions()["changed"] == 0
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
        AuditEvent.action == "subscription_changed_in_partner_center")) == 1


def test_the_refresh_works_in_batches_one_call_per_customer(demo, db, sandbox_store):
    from app.subscriptions.jobs import refresh_subscriptions

    first = buy(db, domain="batchone.onmicrosoft.com", lines=[line(**BASIC, quantity=2)], draft_id=1)
    second = buy(db, domain="batchtwo.onmicrosoft.com", lines=[line(**BASIC, quantity=3)], draft_id=2)
    sandbox_store.clear_calls()
    assert refresh_subscriptions(batch_size=1)["refreshed"] == 1
    assert refresh_subscriptions(batch_size=1)["refreshed"] == 1
    # The least recently refreshed go first: each run took the other customer.
    paths = [c["path"] for c in sandbox_store.calls()]
    assert sorted(paths) == sorted({f"/v1/customers/{s.tenant_id}/subscriptions" for s in first + second})


def test_the_refresh_stops_when_throttled_and_waits_retry_after(db, sandbox_store, app, bought):
    from app.subscriptions.jobs import refresh_subscriptions

    app.config["PARTNER_CENTER_CLIENT_OPTIONS"] = {**app.config["PARTNER_CENTER_CLIENT_OPTIONS"], "max_attempts": 1}
    for client in app.extensions.pop("partner_center_clients", {}).values():
        client.close()
    sandbox_store.inject_fault("GET", "/v1/customers/", "throttle", count=1, retry_after=120)
    assert refresh_subscriptions()["stopped"] == "throttled for 120s"
    sandbox_store.clear_calls()
    summary = refresh_subscriptions()
    assert summary["stopped"].startswith("throttled; paused for") and summary["refreshed"] == 0
    assert sandbox_store.calls() == []  # no call while paused


def test_the_refresh_job_is_periodic(app):
    from app.jobs.periodic import TASKS, enqueue_due

    enqueue_due()
    assert {"refresh-subscriptions", "renewal-notices"} <= set(TASKS)


class _FakeSmtp:
    """Just enough SMTP to receive messages; addresses in `refused` get a 550 at RCPT, as a mail
    server answers for a mailbox that does not exist."""

    def __init__(self):
        self.refused: set[str] = set()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.messages: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn, conn.makefile("rwb") as f:
                def say(text):
                    f.write(text.encode() + b"\r\n")
                    f.flush()

                say("220 fake")
                data = None
                while True:
                    raw = f.readline()
                    if not raw:
                        break
                    command = raw.decode().strip()
                    if data is not None:
                        if command == ".":
                            self.messages.append("\n".join(data))
                            data = None
                            say("250 ok")
                        else:
                            data.append(command)
                        continue
                    verb = command.split(" ")[0].upper()
                    if verb in ("EHLO", "HELO"):
                        say("250 fake")
                    elif verb == "RCPT" and any(f"<{a}>" in command for a in self.refused):
                        say("550 5.1.1 mailbox unavailable")
                    elif verb == "DATA":
                        data = []
                        say("354 go")
                    elif verb == "QUIT":
                        say("221 bye")
                        break
                    else:
                        say("250 ok")

    def close(self):
        self.sock.close()


@pytest.fixture
def smtp(app):
    server = _FakeSmtp()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_FROM="storefront@northwind.example.com")
    yield server
    server.close()


def test_renewal_notices_go_out_14_and_7_days_before_in_app_and_by_email(demo, db, sandbox_store, reseller_client,
                                                                        smtp):
    from app.subscriptions.jobs import renewal_notices

    [sub] = buy(db, domain="monthly.onmicrosoft.com", lines=[line(**BASIC, quantity=4, term="P1M")])
    renewal = sub.commitment_end_date
    assert renewal_notices() == []  # more than 14 days ahead

    sandbox_store.advance_clock(renewal - sandbox_store.now().replace(tzinfo=None) - timedelta(days=13))
    assert renewal_notices() == [f"{sub.ms_subscription_id}:14"]
    assert renewal_notices() == []  # once
    note = db.session.scalar(db.select(Notification).where(Notification.title.like("%renews on%")))
    assert note.title == f"Microsoft 365 Business Basic renews on {renewal:%Y-%m-%d}"
    assert "in 13 days" in note.body and note.link == f"/subscriptions/{sub.id}"
    # One message per user of the account, each addressed to that user only.
    adatum = _account_emails(db, "reseller@example.com")
    assert sorted(_to(m) for m in smtp.messages) == adatum
    assert f"Subject: Microsoft 365 Business Basic renews on {renewal:%Y-%m-%d}" in smtp.messages[0]
    # The home page lists it as renewing soon.
    assert "Microsoft 365 Business Basic" in soup(reseller_client.get("/")).select_one("#renewals-soon").get_text()

    sandbox_store.advance_clock(timedelta(days=7))  # 6 days left
    assert renewal_notices() == [f"{sub.ms_subscription_id}:7"]
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(
        Notification.link == f"/subscriptions/{sub.id}")) == 2 * len(adatum)
    assert len(smtp.messages) == 2 * len(adatum)


def _account_emails(db, email: str) -> list[str]:
    from app.accounts.models import User

    account_id = db.session.scalar(db.select(User.account_id).where(User.email == email))
    return sorted(db.session.scalars(db.select(User.email).where(User.account_id == account_id)))


def _to(message: str) -> str:
    return next(line[4:] for line in message.splitlines() if line.startswith("To: "))


def test_a_refused_address_loses_no_other_notice_and_is_recorded(demo, db, sandbox_store, smtp, caplog):
    """One failing message (a mailbox that does not exist) must not cost anyone else theirs."""
    import logging

    from app.accounts.models import Account, User
    from app.subscriptions.jobs import renewal_notices as send_renewal_notices

    adatum = db.session.scalar(db.select(Account).where(Account.name == "Adatum IT Services"))
    db.session.add(User(account_id=adatum.id, name="Gone Away", email="gone@adatum.example.com", role="member",
                        password_hash="x"))
    db.session.commit()
    smtp.refused.add("gone@adatum.example.com")
    [first] = buy(db, domain="refused.onmicrosoft.com", lines=[line(**BASIC, quantity=4, term="P1M")])
    [second] = buy(db, domain="second.onmicrosoft.com", draft_id=2, lines=[line(**BASIC, quantity=2, term="P1M")])
    second.commitment_end_date = first.commitment_end_date
    db.session.commit()

    with caplog.at_level(logging.WARNING, logger="app.subscriptions.notices"):
        sent = send_renewal_notices(now=first.commitment_end_date - timedelta(days=10))
    assert sent == [f"{first.ms_subscription_id}:14", f"{second.ms_subscription_id}:14"]
    reachable = [e for e in _account_emails(db, "reseller@example.com") if e != "gone@adatum.example.com"]
    assert sorted(_to(m) for m in smtp.messages) == sorted(reachable * 2)
    # Everyone, the unreachable user included, has the in-app notice of both subscriptions.
    for sub in (first, second):
        assert db.session.scalar(db.select(db.func.count(Notification.id)).where(
            Notification.link == f"/subscriptions/{sub.id}")) == len(reachable) + 1
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "renewal_notice_sent")
                                .order_by(AuditEvent.id)).all()
    assert [e.details["mail_failed"] for e in events] == [["gone@adatum.example.com"]] * 2
    assert sorted(events[0].details["mailed"]) == reachable
    assert sum("not mailed to gone@adatum.example.com" in r.getMessage() for r in caplog.records) == 2


def test_a_renewal_notice_with_auto_renew_off_says_it_ends_without_mail_configured(demo, db, sandbox_store):
    from app.subscriptions.jobs import renewal_notices as send_renewal_notices

    [sub] = buy(db, domain="ending.onmicrosoft.com", lines=[line(**BASIC, quantity=4, term="P1M")])
    sub.auto_renew = False
    db.session.commit()
    sent = send_renewal_notices(now=sub.commitment_end_date - timedelta(days=5))
    assert sent == [f"{sub.ms_subscription_id}:7"]  # the nearest notice only
    note = db.session.scalar(db.select(Notification).where(Notification.link == f"/subscriptions/{sub.id}"))
    assert note.title == f"Microsoft 365 Business Basic ends on {sub.commitment_end_date:%Y-%m-%d}"
    assert "Auto-renewal of Microsoft 365 Business Basic" in note.body and "is off" in note.body
    assert send_renewal_notices(now=sub.commitment_end_date - timedelta(days=4)) == []
