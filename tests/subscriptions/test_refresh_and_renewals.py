"""Keeping in step with Partner Center (the periodic refresh) and renewal notices."""
from __future__ import annotations

from datetime import timedelta


from app.audit.models import AuditEvent
from app.accounts.models import Notification
from app.subscriptions.models import Subscription
from tests.helpers import soup
from tests.support.orders import line
from tests.support.smtp import deliver_queued, text_of
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
    assert {"refresh-subscriptions", "renewal-notices", "window-notices"} <= set(TASKS)


def test_renewal_notices_go_out_30_and_7_days_before_in_app_and_by_email(demo, db, sandbox_store, reseller_client,
                                                                        smtp_server):
    from app.subscriptions.jobs import renewal_notices

    [sub] = buy(db, domain="yearly.onmicrosoft.com", lines=[line(**BASIC, quantity=4, term="P1Y")])
    renewal = sub.commitment_end_date
    assert renewal_notices() == []  # more than 30 days ahead

    sandbox_store.advance_clock(renewal - sandbox_store.now().replace(tzinfo=None) - timedelta(days=29))
    assert renewal_notices() == [f"{sub.ms_subscription_id}:30"]
    assert renewal_notices() == []  # once
    note = db.session.scalar(db.select(Notification).where(Notification.title.like("%renews on%")))
    assert note.title == f"Microsoft 365 Business Basic renews on {renewal:%Y-%m-%d}"
    assert "in 29 days" in note.body and note.link == f"/subscriptions/{sub.id}"
    assert note.category == "subscriptions"
    # One message per user of the account, each addressed to that user only, delivered by the mail job.
    deliver_queued()
    adatum = _account_emails(db, "reseller@example.com")
    received = _renewal_mail(smtp_server)
    assert sorted(m["To"] for m in received) == adatum
    assert received[0]["Subject"] == f"Microsoft 365 Business Basic renews on {renewal:%Y-%m-%d}"
    assert f"http://127.0.0.1:5000/subscriptions/{sub.id}" in text_of(received[0])
    # The home page lists it as renewing soon.
    assert "Microsoft 365 Business Basic" in soup(reseller_client.get("/")).select_one("#renewals-soon").get_text()

    sandbox_store.advance_clock(timedelta(days=23))  # 6 days left
    assert renewal_notices() == [f"{sub.ms_subscription_id}:7"]
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(
        Notification.link == f"/subscriptions/{sub.id}")) == 2 * len(adatum)
    deliver_queued()
    assert len(_renewal_mail(smtp_server)) == 2 * len(adatum)


def _renewal_mail(smtp_server):
    """What the mail server received about renewals (buying the subscription mails the buyer too)."""
    return [m for m in smtp_server.messages if " renews on " in m["Subject"] or " ends on " in m["Subject"]]


def _account_emails(db, email: str) -> list[str]:
    from app.accounts.models import User

    account_id = db.session.scalar(db.select(User.account_id).where(User.email == email))
    return sorted(db.session.scalars(db.select(User.email).where(User.account_id == account_id)))


def test_a_refused_address_loses_no_other_notice_and_is_recorded(demo, db, sandbox_store, smtp_server, caplog):
    """One failing message (a mailbox that does not exist) must not cost anyone else theirs."""
    import logging

    from app.accounts.models import Account, User
    from app.mail import FAILED, SENT, MailMessage
    from app.subscriptions.jobs import renewal_notices as send_renewal_notices

    adatum = db.session.scalar(db.select(Account).where(Account.name == "Adatum IT Services"))
    db.session.add(User(account_id=adatum.id, name="Gone Away", email="gone@adatum.example.com", role="member",
                        password_hash="x"))
    db.session.commit()
    smtp_server.refuse("gone@adatum.example.com")
    [first] = buy(db, domain="refused.onmicrosoft.com", lines=[line(**BASIC, quantity=4, term="P1M")])
    [second] = buy(db, domain="second.onmicrosoft.com", draft_id=2, lines=[line(**BASIC, quantity=2, term="P1M")])
    second.commitment_end_date = first.commitment_end_date
    db.session.commit()

    sent = send_renewal_notices(now=first.commitment_end_date - timedelta(days=10))
    assert sent == [f"{first.ms_subscription_id}:30", f"{second.ms_subscription_id}:30"]
    with caplog.at_level(logging.WARNING, logger="app.mail.delivery"):
        deliver_queued()
    reachable = [e for e in _account_emails(db, "reseller@example.com") if e != "gone@adatum.example.com"]
    assert sorted(m["To"] for m in _renewal_mail(smtp_server)) == sorted(reachable * 2)
    # Everyone, the unreachable user included, has the in-app notice of both subscriptions.
    for sub in (first, second):
        assert db.session.scalar(db.select(db.func.count(Notification.id)).where(
            Notification.link == f"/subscriptions/{sub.id}")) == len(reachable) + 1
    # The mail log says which message failed and why; the others were sent.
    statuses = db.session.execute(db.select(MailMessage.to_email, MailMessage.status, MailMessage.last_error)
                                  .where(MailMessage.subject.like("% renews on %"))).all()
    assert sorted((to, status) for to, status, _ in statuses) == sorted(
        [("gone@adatum.example.com", FAILED)] * 2 + [(e, SENT) for e in reachable] * 2)
    assert {error for to, _, error in statuses if to == "gone@adatum.example.com"} == {
        "gone@adatum.example.com refused: 550 5.1.1 No such mailbox here"}
    assert sum("to gone@adatum.example.com failed" in r.getMessage() for r in caplog.records) == 2
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "renewal_notice_sent")
                                .order_by(AuditEvent.id)).all()
    assert [sorted(e.details["mailed"]) for e in events] == [sorted(reachable + ["gone@adatum.example.com"])] * 2


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
