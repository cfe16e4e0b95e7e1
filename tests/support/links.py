"""The links the storefront mails (invitations, password resets, email changes), read from the
messages it queued, as a person would copy them from the email."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from app.extensions import db
from app.mail import MailMessage


def path_of(url: str) -> str:
    """The part of an absolute link a test client requests: path and query."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def mails_to(address: str, template: str | None = None) -> list[MailMessage]:
    query = db.select(MailMessage).where(MailMessage.to_email == address).order_by(MailMessage.id)
    if template is not None:
        query = query.where(MailMessage.template == template)
    return db.session.scalars(query).all()


def mailed_link(address: str, template: str) -> str:
    """The path of the first link of the newest `template` message to `address`."""
    messages = mails_to(address, template)
    assert messages, f"no {template} message to {address}"
    links = re.findall(r"https?://[^\s<>\"']+", messages[-1].text)
    assert links, f"the {template} message to {address} has no link:\n{messages[-1].text}"
    return path_of(links[0])
