"""The embedded mail server of `flask serve` in sandbox mode: real SMTP on loopback (aiosmtpd),
keeping every message in a Maildir under instance/ that the sandbox shows at /sandbox/mail.

It runs in a thread of the `flask serve` process, so it ends with that process however it ends.
"""
from __future__ import annotations

import logging
import os

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


class LoopbackController(Controller):
    """aiosmtpd's threaded server, on the port the system picks when asked for port 0."""

    def _trigger_server(self):
        # The base class connects to self.port to check the server answers: give it the real one.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def start_embedded_smtp(maildir: str, host: str = "127.0.0.1", port: int = 0) -> LoopbackController:
    """Start the server (returns once it answers); `.port` is where it listens, `.stop()` ends it."""
    for folder in ("tmp", "new", "cur"):  # a Maildir; mailbox.Maildir adds them only to a folder it creates
        os.makedirs(os.path.join(maildir, folder), exist_ok=True)
    # aiosmtpd logs every connection at INFO (its own readiness probe included), which would bury
    # the storefront's address and demo users that `flask serve` prints; its warnings still show.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = LoopbackController(Mailbox(maildir), hostname=host, port=port)
    controller.start()
    return controller
