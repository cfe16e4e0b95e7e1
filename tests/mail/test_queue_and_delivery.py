"""queue_mail and delivery: a row with both bodies, a job after the caller's commit, real SMTP,
retries when the mail server is down, and nothing else lost."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry

from app.accounts.models import Account, User
from app.admin.settings import StorefrontSettings
from app.jobs import get_queue
from app.mail import FAILED, QUEUED, SENT, MailMessage, queue_mail
from app.mail.delivery import MAX_ATTEMPTS, RETRY_DELAYS, deliver
from app.mail.outbox import job_id, sweep_outbox
from app.time import utcnow
from tests.support.smtp import closed_port, deliver_queued, html_of, text_of

CONTEXT = {"body": "Microsoft 365 Business Basic renews on 2030-01-31.", "link": "http://127.0.0.1:5000/subscriptions/7"}


def _queue(to="reseller@example.com", **extra):
    return queue_mail(to=to, subject="Microsoft 365 Business Basic renews on 2030-01-31",
                      template="renewal_notice", context=CONTEXT, category="subscriptions", **extra)


def _adatum(db):
    return db.session.scalar(db.select(Account).where(Account.name == "Adatum IT Services"))


def test_a_queued_message_has_both_bodies_signed_by_the_operator_with_its_support_email(demo, db):
    settings = StorefrontSettings.load()
    settings.operator_support_email = "help@northwind.example.com"
    settings.save()
    adatum = _adatum(db)
    user = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))

    message = _queue(account_id=adatum.id, user_id=user.id)

    stored = db.session.get(MailMessage, message.id)
    assert (stored.status, stored.attempts, stored.category, stored.template) == (QUEUED, 0, "subscriptions",
                                                                                  "renewal_notice")
    assert (stored.account_id, stored.user_id, stored.to_email) == (adatum.id, user.id, "reseller@example.com")
    assert stored.text.startswith(CONTEXT["body"])
    assert CONTEXT["link"] in stored.text
    assert "Northwind Cloud Distribution" in stored.text and "help@northwind.example.com" in stored.text
    from bs4 import BeautifulSoup

    html = BeautifulSoup(stored.html, "html.parser")
    assert html.select_one(f'a[href="{CONTEXT["link"]}"]').get_text(strip=True) == "Open the subscription"
    assert html.select_one('a[href="mailto:help@northwind.example.com"]') is not None
    assert "Northwind Cloud Distribution" in html.get_text()


def test_html_bodies_escape_what_the_context_carries(demo, db):
    message = queue_mail(to="reseller@example.com", subject="s", template="renewal_notice", category="orders",
                         context={"body": "<script>alert(1)</script> & co", "link": "http://x/"})
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    assert "<script>alert(1)</script> & co" in message.text  # plain text stays as typed


def test_delivery_is_enqueued_after_the_callers_commit_and_never_for_a_rollback(demo, db, redis):
    queue = get_queue()
    kept = _queue()
    assert queue.fetch_job(job_id(kept.id, 0)) is None  # not before the commit: the worker could not see the row
    db.session.commit()
    assert queue.fetch_job(job_id(kept.id, 0)).get_status() == "queued"

    dropped = _queue(to="gone@example.com")
    dropped_id = dropped.id
    db.session.rollback()
    db.session.commit()
    assert queue.fetch_job(job_id(dropped_id, 0)) is None
    assert db.session.get(MailMessage, dropped_id) is None


def test_the_worker_delivers_it_over_smtp_as_text_and_html(demo, db, redis, smtp_server):
    message = _queue()
    db.session.commit()

    SimpleWorker([get_queue()], connection=redis).work(burst=True)

    db.session.refresh(message)
    assert (message.status, message.attempts, message.last_error) == (SENT, 1, None)
    assert message.sent_at is not None
    [received] = smtp_server.to("reseller@example.com")
    assert received["Subject"] == "Microsoft 365 Business Basic renews on 2030-01-31"
    assert received["From"].addresses[0].display_name == "Northwind Cloud Distribution"
    assert received["From"].addresses[0].addr_spec == "storefront@localhost"
    assert received["Reply-To"] == StorefrontSettings.load().operator_support_email
    assert CONTEXT["link"] in text_of(received)
    assert f'href="{CONTEXT["link"]}"' in html_of(received)


def test_mail_server_down_is_retried_then_failed_with_the_reason_and_nothing_else_is_lost(demo, db, redis,
                                                                                          app, caplog):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{closed_port()}"
    adatum = _adatum(db)
    adatum.phone = "+1 555 0100"  # the change the message is about, in the same transaction
    message = _queue(account_id=adatum.id)
    db.session.commit()

    assert deliver(message.id, 0) == "retrying"
    db.session.refresh(message)
    assert (message.status, message.attempts) == (QUEUED, 1)
    assert message.last_error.startswith("could not reach the mail server 127.0.0.1:")
    assert message.next_attempt_at > utcnow() + timedelta(seconds=RETRY_DELAYS[0] - 10)
    # The next attempt waits in RQ's schedule.
    assert job_id(message.id, 1) in ScheduledJobRegistry(queue=get_queue()).get_job_ids()
    # A job for an attempt already made does nothing.
    assert deliver(message.id, 0) == "skipped"

    with caplog.at_level(logging.WARNING, logger="app.mail.delivery"):
        for attempt in range(1, MAX_ATTEMPTS):
            deliver(message.id, attempt)
    db.session.refresh(message)
    assert (message.status, message.attempts, message.next_attempt_at) == (FAILED, MAX_ATTEMPTS, None)
    assert "could not reach the mail server" in message.last_error
    assert any(f"mail {message.id}" in r.getMessage() and "failed after 5 attempt(s)" in r.getMessage()
               for r in caplog.records)
    # The change that queued it, and everything else, stays.
    db.session.expire_all()
    assert db.session.get(Account, adatum.id).phone == "+1 555 0100"
    assert db.session.scalar(db.select(db.func.count(MailMessage.id))) == 1


def test_a_message_that_failed_once_goes_out_when_the_server_is_back(demo, db, redis, app, smtp_server):
    smtp_server.stop()  # the same port, nobody answering
    message = _queue()
    db.session.commit()
    assert deliver_queued() == {message.id: "retrying"}
    assert deliver_queued() == {}  # not due yet

    smtp_server.start()
    assert deliver_queued(now=utcnow() + timedelta(seconds=RETRY_DELAYS[0] + 1)) == {message.id: SENT}
    db.session.refresh(message)
    assert (message.status, message.attempts, message.last_error) == (SENT, 2, None)
    assert len(smtp_server.to("reseller@example.com")) == 1


def test_a_refused_recipient_fails_at_once_and_costs_no_one_else_their_mail(demo, db, smtp_server):
    smtp_server.refuse("gone@adatum.example.com")
    refused = _queue(to="gone@adatum.example.com")
    kept = _queue(to="reseller@example.com")
    db.session.commit()

    assert deliver_queued() == {refused.id: FAILED, kept.id: SENT}
    db.session.refresh(refused)
    assert refused.attempts == 1
    assert refused.last_error == "gone@adatum.example.com refused: 550 5.1.1 No such mailbox here"
    assert [m["To"] for m in smtp_server.messages] == ["reseller@example.com"]


def test_without_a_mail_server_the_message_fails_saying_so(demo, db, app):
    app.config.update(MAIL_URL=None, MAIL_SERVER=None)
    message = _queue()
    db.session.commit()
    for attempt in range(MAX_ATTEMPTS):
        deliver(message.id, attempt)
    db.session.refresh(message)
    assert message.status == FAILED
    assert message.last_error == "no mail server is configured (set MAIL_URL)"


def test_the_outbox_sweep_enqueues_what_the_commit_could_not(demo, db, redis):
    message = _queue()
    db.session.commit()
    get_queue().empty()  # as if Redis had been down at the commit

    assert message.id in sweep_outbox()
    assert get_queue().fetch_job(job_id(message.id, 0)).get_status() == "queued"
    # Swept again while its job waits: still one job.
    sweep_outbox()
    assert get_queue().job_ids.count(job_id(message.id, 0)) == 1
    # Sent and failed messages are not swept.
    message.status = SENT
    db.session.commit()
    assert message.id not in sweep_outbox()


def test_a_commit_while_redis_is_down_keeps_the_message_for_the_sweep(demo, db, app, caplog):
    from app.extensions import redis_connection

    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    redis_connection._clients.pop(id(app), None)
    try:
        with caplog.at_level(logging.WARNING, logger="app.mail.outbox"):
            message = _queue()
            db.session.commit()  # the commit stands
        assert db.session.get(MailMessage, message.id).status == QUEUED
        assert any("the outbox sweep will enqueue it" in r.getMessage() for r in caplog.records)
    finally:
        redis_connection._clients.pop(id(app), None)


@pytest.mark.parametrize("url, expected", [
    ("smtp://mail.example.com", ("mail.example.com", 25, "plain", None, None)),
    ("smtp+starttls://user%40example.com:p%3Ass@smtp.example.com:2587", ("smtp.example.com", 2587, "starttls",
                                                                         "user@example.com", "p:ss")),
    ("smtps://apikey:secret@smtp.example.com", ("smtp.example.com", 465, "tls", "apikey", "secret")),
])
def test_mail_url_forms(url, expected):
    from app.mail.settings import parse_mail_url

    s = parse_mail_url(url)
    assert (s.host, s.port, s.security, s.username, s.password) == expected


def test_mail_server_and_port_still_work_and_mail_url_comes_first():
    from app.mail.settings import smtp_settings

    assert smtp_settings({"MAIL_SERVER": "relay", "MAIL_PORT": 2525}).address == "relay:2525"
    assert smtp_settings({"MAIL_URL": "smtp://a:26", "MAIL_SERVER": "relay"}).address == "a:26"
    assert smtp_settings({}) is None


def test_a_wrong_mail_url_stops_the_start_with_the_reason(tmp_path):
    from app import ConfigurationError, create_app

    with pytest.raises(ConfigurationError, match=r"MAIL_URL 'http://u:\*\*\*@host' has no known scheme"):
        create_app({"MAIL_URL": "http://u:secret@host", "INSTANCE_PATH": str(tmp_path),
                    "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_the_support_email_the_operator_sets_in_options_signs_the_next_mail(operator_client, db, smtp_server):
    from tests.helpers import soup

    page = soup(operator_client.get("/admin/options"))
    assert "every email the storefront sends" in page.select_one("#operator_support_email").find_parent().get_text()
    from tests.support.options import options_form

    form = options_form(page)
    form.update({"operator_support_email": "care@northwind.example.com", "require_mca_acceptance": "y",
                 "annual_billing": "y", "automatic_catalog_update": "y",
                 "gdap_roles": [o["value"] for o in page.select("input[name=gdap_roles][checked]")]})
    assert operator_client.post("/admin/options", form).status_code == 302

    message = _queue()
    db.session.commit()
    deliver_queued()
    assert "Questions? Write to care@northwind.example.com." in message.text
    [received] = smtp_server.to("reseller@example.com")
    assert received["Reply-To"] == "care@northwind.example.com"
    assert 'href="mailto:care@northwind.example.com"' in html_of(received)


def test_one_address_and_one_subject_line_per_message(demo, db):
    for wrong in ("a@example.com, b@example.com", "a@example.com\nBcc: b@example.com", "  "):
        with pytest.raises(ValueError, match="queue_mail takes one email address"):
            queue_mail(to=wrong, subject="s", template="renewal_notice", category="orders", context=CONTEXT)
    message = queue_mail(to=" a@example.com ", subject="Contoso\nrenews\r\n soon", template="renewal_notice",
                         category="orders", context=CONTEXT)
    assert (message.to_email, message.subject) == ("a@example.com", "Contoso renews soon")


def test_a_message_that_cannot_be_built_fails_at_once_instead_of_being_retried_forever(demo, db, smtp_server,
                                                                                     caplog):
    message = MailMessage(to_email="a@example.com\nBcc: b@example.com", subject="s", template="t", category="c",
                          text="t", html="<p>t</p>", status=QUEUED, attempts=0, next_attempt_at=utcnow())
    db.session.add(message)
    db.session.commit()
    with caplog.at_level(logging.ERROR, logger="app.mail.delivery"):
        assert deliver_queued() == {message.id: FAILED}
    db.session.refresh(message)
    assert message.attempts == 1 and message.last_error.startswith("the message could not be built:")
    assert smtp_server.messages == []
    assert message.id not in sweep_outbox()
