"""A real SMTP server for tests that receive mail: aiosmtpd on loopback, as the storefront meets it.

`SmtpServer` keeps what it received (parsed, in `messages`) and also writes it into a Maildir, as
the embedded server of `flask serve` does, so the sandbox's mailbox page can show it. A recipient
can be refused (`refuse`), and the server can be stopped and started again on the same port to
play a mail server that is down. The `smtp_server` fixture (tests/conftest.py) points the app's
MAIL_URL at one; `deliver_queued` runs the delivery job of every message whose attempt is due, in
the test's own process, as the worker would.
"""
from __future__ import annotations

import email
import email.policy
import mailbox
import os
import re
import socket
import threading
from email.message import EmailMessage

from aiosmtpd.smtp import Envelope, Session

from app.mail.embedded import LoopbackController


class _Handler:
    def __init__(self, server: "SmtpServer"):
        self.server = server

    async def handle_RCPT(self, smtp, session: Session, envelope: Envelope, address: str, rcpt_options):
        if address.lower() in self.server.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session: Session, envelope: Envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-RcptTo"] = ", ".join(envelope.rcpt_tos)
        with self.server.lock:
            self.server.messages.append(message)
            self.server.maildir.add(message)
        return "250 OK"


class SmtpServer:
    def __init__(self, maildir: str | os.PathLike, port: int = 0):
        self.maildir_path = str(maildir)
        self.maildir = mailbox.Maildir(self.maildir_path, create=True)
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()
        self.lock = threading.Lock()
        self.port = port
        self._controller: LoopbackController | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "SmtpServer":
        self._controller = LoopbackController(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def refuse(self, address: str) -> None:
        """Answer RCPT for this address with a permanent 550 from now on."""
        self.refused.add(address.lower())

    def to(self, address: str) -> list[EmailMessage]:
        """The messages received for one address, oldest first."""
        return [m for m in self.messages if address.lower() in m["X-RcptTo"].lower().split(", ")]


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def links_in(message: EmailMessage) -> list[str]:
    """The web addresses in the plain-text part, in order (an invitation's link, a reset link)."""
    return re.findall(r"https?://[^\s<>\"']+", text_of(message))


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): a mail server that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deliver_queued(now=None) -> dict[int, str]:
    """Run the delivery job of every queued message whose attempt is due, as the worker would;
    {message id: outcome}. In the test's app context."""
    from app.extensions import db
    from app.mail.delivery import deliver
    from app.mail.models import QUEUED, MailMessage
    from app.time import utcnow

    due = db.session.execute(db.select(MailMessage.id, MailMessage.attempts).where(
        MailMessage.status == QUEUED, MailMessage.next_attempt_at <= (now or utcnow()))
        .order_by(MailMessage.id)).all()
    return {message_id: deliver(message_id, attempts) for message_id, attempts in due}
