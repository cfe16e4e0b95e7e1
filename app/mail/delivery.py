"""Delivering a queued message over SMTP, one attempt per job.

An attempt that fails for a reason that may pass (the server cannot be reached, a 4xx answer, a
refused sign-in that an operator may fix) schedules the next attempt after RETRY_DELAYS; after the
last one, or at once when the server refuses the message for good (5xx for the recipient, the
sender or the content), the message is `failed` with the reason, and the log says so. Whatever
happens to one message changes nothing else.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import formataddr, format_datetime, make_msgid

from flask import current_app

from app.extensions import db
from app.mail.models import FAILED, QUEUED, SENT, MailMessage
from app.mail.rendering import identity
from app.mail.settings import MailConfigError, SmtpSettings, smtp_settings
from app.time import utcnow

log = logging.getLogger(__name__)

# Seconds before attempts 2, 3, 4 and 5: a mail server restarted within the hour loses nothing.
RETRY_DELAYS = (60, 300, 900, 3600)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
SMTP_TIMEOUT = 20
DELIVERY_TIMEOUT = 120


class NoMailServer(Exception):
    pass


def deliver(message_id: int, attempt: int) -> str:
    """Attempt number `attempt` (0 for the first) to send the message; what happened, in a word.

    The row is locked while the mail server is talked to, so two jobs never send one message, and a
    job for an attempt already made (the sweep and a retry racing) does nothing.
    """
    message = db.session.get(MailMessage, message_id, with_for_update=True)
    if message is None or message.status != QUEUED or message.attempts != attempt:
        db.session.rollback()
        return "skipped"
    next_at = settings = None
    try:
        settings = smtp_settings(current_app.config)
        if settings is None:
            raise NoMailServer("no mail server is configured (set MAIL_URL)")
        send(settings, build(message, settings))
    except Exception as error:  # whatever it was, it is recorded on the message and ends in `failed`
        if not isinstance(error, (OSError, smtplib.SMTPException, NoMailServer, MailConfigError)):
            log.exception("mail %s could not be built or sent", message.id)
        message.attempts = attempt + 1
        message.last_error = describe(error, settings)[:2000]
        if is_permanent(error) or message.attempts >= MAX_ATTEMPTS:
            message.status = FAILED
            message.next_attempt_at = None
            log.warning("mail %s (%s) to %s failed after %d attempt(s): %s", message.id, message.subject,
                        message.to_email, message.attempts, message.last_error)
        else:
            next_at = utcnow() + timedelta(seconds=RETRY_DELAYS[attempt])
            message.next_attempt_at = next_at
            log.warning("mail %s to %s not sent (attempt %d of %d, next at %s UTC): %s", message.id,
                        message.to_email, message.attempts, MAX_ATTEMPTS, next_at.strftime("%H:%M:%S"),
                        message.last_error)
    else:
        message.attempts = attempt + 1
        message.status = SENT
        message.sent_at = utcnow()
        message.next_attempt_at = None
        message.last_error = None
        log.info("mail %s (%s) sent to %s", message.id, message.subject, message.to_email)
    outcome, attempts = message.status, message.attempts
    db.session.commit()
    if next_at is not None:
        from app.mail.outbox import enqueue_delivery

        try:
            enqueue_delivery(message_id, attempts, at=next_at)
        except Exception:  # Redis gone meanwhile: the outbox sweep enqueues it when it is due
            log.warning("retry of mail %s not scheduled; the outbox sweep will", message_id, exc_info=True)
        return "retrying"
    return outcome


def build(message: MailMessage, settings: SmtpSettings) -> EmailMessage:
    who = identity()
    email = EmailMessage()
    email["From"] = formataddr((who["operator_name"], settings.sender))
    email["To"] = message.to_email
    if who.get("support_email"):
        email["Reply-To"] = who["support_email"]
    email["Subject"] = message.subject
    email["Date"] = format_datetime(datetime.now(timezone.utc))
    email["Message-ID"] = make_msgid(f"mail-{message.id}", domain=settings.sender.rpartition("@")[2] or None)
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email


def send(settings: SmtpSettings, email: EmailMessage) -> None:
    """One SMTP conversation; raises OSError or smtplib.SMTPException when the message was not taken."""
    context = ssl.create_default_context()
    if settings.security == "tls":
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=SMTP_TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT)
    with smtp:
        smtp.ehlo()
        if settings.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        smtp.send_message(email)  # one recipient: a refusal raises SMTPRecipientsRefused


def is_permanent(error: Exception) -> bool:
    """A 5xx answer about this message (its recipient, sender or content), or a message that cannot
    be built: trying again changes nothing."""
    if not isinstance(error, (OSError, smtplib.SMTPException, NoMailServer, MailConfigError)):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        return error.smtp_code >= 500
    return False


def describe(error: Exception, settings: SmtpSettings | None) -> str:
    """The reason in words an operator can act on."""
    where = f"the mail server {settings.address}" if settings else "the mail server"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{address} refused: {code} {_text(reply)}" for address, (code, reply)
                         in error.recipients.items())
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"{where} refused the sign-in: {error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{where} answered {error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"{where} closed the connection: {error}"
    if isinstance(error, (NoMailServer, MailConfigError)):
        return str(error)
    if isinstance(error, OSError):
        return f"could not reach {where}: {error.strerror or error}"
    if isinstance(error, smtplib.SMTPException):
        return f"{where}: {error}"
    return f"the message could not be built: {error}"


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
