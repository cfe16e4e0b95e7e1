"""Queueing mail: a row in the same transaction as the change that causes it, delivered after commit.

`queue_mail` renders the message and adds its row (flush; the caller commits). When the session
commits, a job per new message is enqueued (app/mail/delivery.py); a message queued in a
transaction that rolls back is never sent. If Redis cannot be reached at that moment, the row is
still there: the periodic `mail-outbox` sweep enqueues every queued message whose attempt is due
and whose job is missing.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app.extensions import db
from app.jobs import enqueue
from app.jobs.periodic import periodic
from app.mail.models import QUEUED, MailMessage
from app.mail.rendering import render_mail
from app.time import utcnow

log = logging.getLogger(__name__)

PENDING = "mail_pending"  # key in Session.info: ids of messages queued in the open transaction
SWEEP_LIMIT = 200


def queue_mail(*, to: str, subject: str, template: str, context: dict, category: str,
               account_id: int | None = None, user_id: int | None = None) -> MailMessage:
    """Render templates/mail/<template>.txt and .html with `context` and queue the message to `to`.

    Flushes; the caller commits, and delivery starts after that commit (in a job, with retries).
    `category` names what the message is about (e.g. "invitations", "orders"), for the log of sent
    messages and the recipients' preferences.
    """
    to = to.strip()
    if not to or any(c in to for c in "\r\n,;"):
        raise ValueError(f"queue_mail takes one email address, not {to!r}")
    subject = " ".join(subject.split())[:255]  # one header line, whatever the text it came from
    text, html = render_mail(template, {"subject": subject, **context})
    message = MailMessage(to_email=to, subject=subject, template=template, category=category,
                          account_id=account_id, user_id=user_id, text=text, html=html, status=QUEUED,
                          attempts=0, created_at=utcnow())
    message.next_attempt_at = message.created_at
    db.session.add(message)
    db.session.flush()
    session = db.session()
    session.info.setdefault(PENDING, []).append(message.id)
    return message


def job_id(message_id: int, attempt: int) -> str:
    """The job of one attempt: enqueuing it twice (the commit hook and the sweep) gives one job."""
    return f"mail-{message_id}-{attempt}"


def enqueue_delivery(message_id: int, attempt: int, at=None) -> None:
    from app.mail.delivery import DELIVERY_TIMEOUT, deliver

    enqueue(deliver, message_id, attempt, job_id=job_id(message_id, attempt), at=at, retry=None,
            timeout=DELIVERY_TIMEOUT, description=f"mail {message_id}, attempt {attempt + 1}")


def _after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    try:
        for message_id in pending:
            enqueue_delivery(message_id, 0)
    except Exception as error:  # Redis down: the rows are committed, and the sweep enqueues them later
        log.warning("mail %s queued, but its delivery job could not be enqueued (%s); the outbox sweep "
                    "will enqueue it", ", ".join(map(str, pending)), error)


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


def install_session_hooks() -> None:
    """Listen on every SQLAlchemy session (once per process)."""
    if not sa.event.contains(Session, "after_commit", _after_commit):
        sa.event.listen(Session, "after_commit", _after_commit)
        sa.event.listen(Session, "after_rollback", _after_rollback)


@periodic("mail-outbox", 60, timeout=120)
def sweep_outbox(now=None) -> list[int]:
    """Enqueue the delivery of every queued message whose attempt is due (its job lost, or never
    enqueued because Redis was down); the ids enqueued. The job ids name the attempt, so a job
    that waits or runs already is not doubled."""
    now = now or utcnow()
    due = db.session.execute(db.select(MailMessage.id, MailMessage.attempts).where(
        MailMessage.status == QUEUED, MailMessage.next_attempt_at <= now)
        .order_by(MailMessage.next_attempt_at).limit(SWEEP_LIMIT)).all()
    db.session.rollback()  # nothing to write; no transaction held while talking to Redis
    for message_id, attempts in due:
        enqueue_delivery(message_id, attempts)
    if due:
        current_app.logger.debug("mail outbox: %d message(s) enqueued", len(due))
    return [message_id for message_id, _ in due]
