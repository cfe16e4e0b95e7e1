"""The mailbox: what the storefront's embedded mail server received, for a demo's invitees to read.

The server (``flask serve`` in sandbox mode) keeps each message in a Maildir; the storefront passes
its path as ``SANDBOX_MAILDIR``. Reading it never changes it: no message is moved or marked.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import os
import re
from datetime import datetime, timezone
from email.message import EmailMessage

from flask import Blueprint, abort, current_app, render_template, request
from markupsafe import Markup, escape

bp = Blueprint("sandbox_mail", __name__)

_URL = re.compile(r"https?://[^\s<>\"']+")


def _maildir() -> mailbox.Maildir | None:
    path = current_app.config.get("SANDBOX_MAILDIR")
    if not path or not all(os.path.isdir(os.path.join(path, sub)) for sub in ("tmp", "new", "cur")):
        return None
    return mailbox.Maildir(path, factory=None, create=False)


def _read(box: mailbox.Maildir, key: str) -> tuple[EmailMessage, datetime]:
    """The message, and when the mail server stored it (its file's time: finer than a Date header)."""
    received = datetime.fromtimestamp(box.get_message(key).get_date(), timezone.utc)
    with box.get_file(key) as handle:
        return email.message_from_binary_file(handle, policy=email.policy.default), received


def _recipients(message: EmailMessage) -> str:
    return str(message.get("X-RcptTo") or message.get("To") or "")


def _part(message: EmailMessage, kind: str) -> str | None:
    body = message.get_body(preferencelist=(kind,))
    return body.get_content() if body is not None else None


@bp.get("/mail")
def inbox():
    box = _maildir()
    wanted = (request.args.get("to") or "").strip()
    messages = []
    if box is not None:
        for key in box.keys():
            message, received = _read(box, key)
            if wanted and wanted.lower() not in _recipients(message).lower():
                continue
            messages.append({"key": key, "to": _recipients(message), "from": str(message.get("From", "")),
                             "subject": str(message.get("Subject", "")), "received": received})
    messages.sort(key=lambda m: m["received"], reverse=True)
    return render_template("sandbox/mail.html", messages=messages, wanted=wanted, configured=box is not None)


@bp.get("/mail/<key>")
def message(key: str):
    message, received = _lookup(key)
    return render_template("sandbox/mail_message.html", key=key, message=message, received=received,
                           to=_recipients(message),
                           text=_part(message, "plain"), has_html=_part(message, "html") is not None)


@bp.get("/mail/<key>/html")
def message_html(key: str):
    """The HTML part on its own, as a mail reader would show it: no scripts, nothing loaded from elsewhere."""
    message, _ = _lookup(key)
    html = _part(message, "html")
    if html is None:
        abort(404)
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                                   "sandbox allow-popups allow-top-navigation-by-user-activation")
    return response


def _lookup(key: str) -> tuple[EmailMessage, datetime]:
    box = _maildir()
    if box is None:
        abort(404)
    try:
        return _read(box, key)
    except KeyError:
        abort(404)


@bp.app_template_filter("linkify")
def linkify(text: str) -> Markup:
    """Plain text with its web addresses as links, everything else escaped."""
    out, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:)")
        out += [escape(text[last:match.start()]), Markup('<a href="{0}">{0}</a>').format(url)]
        last = match.start() + len(url)
    out.append(escape(text[last:]))
    return Markup("").join(out)
