"""Mail, for real: messages rendered from templates, kept as rows, delivered over SMTP by jobs.

    from app.mail import queue_mail
    queue_mail(to=user.email, subject="...", template="invitation", context={...},
               category="invitations", account_id=account.id, user_id=user.id)

The caller commits; delivery starts after the commit, in a job with retries (delivery.py), and a
periodic sweep picks up what the commit could not enqueue (outbox.py). Where mail goes: MAIL_URL
or MAIL_SERVER (settings.py); `flask serve` starts an embedded SMTP server on loopback when
neither is set in sandbox mode (embedded.py), whose Maildir the sandbox shows at /sandbox/mail.

Infrastructure: imports no area. The operator's name and support email come from the function
create_app passes as `identity`.
"""
from __future__ import annotations

from typing import Callable

from flask import Flask

from app.mail.models import FAILED, QUEUED, SENT, MailMessage
from app.mail.outbox import install_session_hooks, queue_mail
from app.mail.rendering import absolute_url
from app.mail.settings import MailConfigError, maildir_path, smtp_settings

__all__ = ["queue_mail", "MailMessage", "QUEUED", "SENT", "FAILED", "absolute_url", "init_mail",
           "MailConfigError", "maildir_path"]


def init_mail(app: Flask, identity: Callable[[], dict] | None = None) -> None:
    """Check the mail settings (a wrong MAIL_URL stops the start with the reason), remember who signs
    the mail (`identity()` -> {"operator_name", "support_email"}), and deliver after commits."""
    smtp_settings(app.config)
    if identity is not None:
        app.extensions["mail_identity"] = identity
    install_session_hooks()
