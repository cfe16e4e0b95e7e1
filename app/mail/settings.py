"""Which mail server the storefront sends through: MAIL_URL, or the older MAIL_SERVER/MAIL_PORT.

    smtp://host:25                 plain SMTP (the embedded server of `flask serve`, a local relay)
    smtp+starttls://user:pass@host:587   upgraded to TLS before signing in
    smtps://user:pass@host:465     TLS from the first byte

A user name or password with reserved characters is percent-encoded in the URL (`@` as `%40`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}


class MailConfigError(ValueError):
    """MAIL_URL cannot be used; the message says why and what a valid one looks like."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str = "plain"  # plain | starttls | tls
    username: str | None = None
    password: str | None = None
    sender: str = "storefront@localhost"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def parse_mail_url(url: str, sender: str = "storefront@localhost") -> SmtpSettings:
    example = "smtp://host:25, smtp+starttls://user:password@host:587 or smtps://user:password@host:465"
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES:
        raise MailConfigError(f"MAIL_URL {_without_password(url)!r} has no known scheme: use {example}.")
    try:
        port = parts.port
    except ValueError:
        raise MailConfigError(f"MAIL_URL {_without_password(url)!r} has a port that is not a number.") from None
    if not parts.hostname:
        raise MailConfigError(f"MAIL_URL {_without_password(url)!r} names no host: use {example}.")
    security, default_port = SCHEMES[parts.scheme]
    return SmtpSettings(host=parts.hostname, port=port or default_port, security=security,
                        username=unquote(parts.username) if parts.username else None,
                        password=unquote(parts.password) if parts.password is not None else None,
                        sender=sender)


def smtp_settings(config) -> SmtpSettings | None:
    """The mail server of this configuration (MAIL_URL first, then MAIL_SERVER), or None."""
    sender = config.get("MAIL_FROM") or "storefront@localhost"
    if config.get("MAIL_URL"):
        return parse_mail_url(config["MAIL_URL"], sender)
    if config.get("MAIL_SERVER"):
        return SmtpSettings(host=config["MAIL_SERVER"], port=int(config.get("MAIL_PORT") or 25), sender=sender)
    return None


def maildir_path(instance_path: str) -> str:
    """Where the embedded mail server of `flask serve` keeps what it received (a Maildir)."""
    return os.path.join(instance_path, "mail")


def _without_password(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.password is None:
        return url.strip()
    return url.strip().replace(f":{parts.password}@", ":***@", 1)
