"""Asking before something that cannot be undone (expiring a certificate, suspending an account,
migrating it, pushing to Partner Center, deleting a licensee, deactivating a user, revoking an
invitation, cancelling a subscription).

With JavaScript the button's hx-confirm asks, and its post carries CONFIRMED=yes (hx-vals); without,
the post opens a page that asks, whose button (templates/_confirm.html) carries it. The route acts
only on a post that carries the answer."""
from __future__ import annotations

from flask import request

CONFIRMED = "confirmed"


def confirmed(name: str = CONFIRMED) -> bool:
    """The post carries the answer to the question asked first."""
    return request.form.get(name) == "yes"
