"""Partner Center calls a person waits on: the checks of the checkout (domain, partner ID, Verify
Authorization, company details) and of the operator's onboarding (a new reseller's partner ID).

One attempt with a short timeout, never sleeping on Retry-After, and at most
PERSON_PC_CALLS_PER_MINUTE such checks per user a minute, so one person cannot spend the
operator's Partner Center quota. What went wrong is said in the words below.
"""
from __future__ import annotations

from flask import current_app, g, has_request_context

from app.accounts.models import User
from app.connections.services import connection_for, get_client
from app.extensions import db
from app.partner_center import (MfaRequired, PartnerCenterAuthError, PartnerCenterError, PartnerCenterUnavailable,
                                Throttled)
from app.web.ratelimit import over_limit

PC_DOWN = ("Partner Center is not answering right now, so this could not be checked. Nothing you entered is "
           "lost: try again in a moment.")
PC_THROTTLED = "Microsoft is busy, try again in {seconds} seconds. Nothing you entered is lost."
TOO_FAST = ("You have made many checks in a short time. Wait {seconds} seconds, then try again; nothing you "
            "entered is lost.")


class TooFast(Exception):
    """One person asked Partner Center too often in a short time (PERSON_PC_CALLS_PER_MINUTE)."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        self.message = TOO_FAST.format(seconds=retry_after)
        super().__init__(self.message)


def person_client(user_id: int, *, account=None, connection: str | None = None):
    """The Partner Center client for a call a person waits on: of `connection`, else of the connection
    that serves `account` (connection_for), else the one serving the person's own account. Raises
    TooFast beyond the person's checks per minute."""
    # One check (one request) counts once, however many calls it makes.
    if has_request_context() and g.get("person_pc_counted") == user_id:
        wait = g.get("person_pc_wait")
    else:
        wait = over_limit(f"pc:person:{user_id}", current_app.config["PERSON_PC_CALLS_PER_MINUTE"], 60)
        if has_request_context():
            g.person_pc_counted, g.person_pc_wait = user_id, wait
    if wait is not None:
        raise TooFast(wait)
    if connection is None:
        if account is None:
            user = db.session.get(User, user_id)
            account = user.account if user is not None else None
        connection = connection_for(account)
    return get_client(connection).for_person(timeout=current_app.config["PERSON_PC_TIMEOUT_SECONDS"])


def partner_center_problem(error: PartnerCenterError | TooFast, *, entered: bool = True) -> str:
    """What a person is told when a check could not be made. `entered`: the check came with what the person
    typed, whom the message reassures that it is kept; a button that sends nothing (the operator's Check with
    Partner Center) is told without it."""
    if isinstance(error, TooFast):
        message = error.message
    elif isinstance(error, MfaRequired):
        message = ("Partner Center refused this check because its consent needs renewing with MFA; the operator "
                   "has been told. Nothing you entered is lost.")
    elif isinstance(error, Throttled):
        message = PC_THROTTLED.format(seconds=int(error.retry_after or 30))
    elif isinstance(error, (PartnerCenterUnavailable, PartnerCenterAuthError)) or (error.status or 500) >= 500:
        message = PC_DOWN
    else:
        message = f"Partner Center refused this request: {error.description} Nothing you entered is lost."
    if entered:
        return message
    for kept, instead in ((" Nothing you entered is lost: try", " Try"), ("; nothing you entered is lost.", "."),
                          (" Nothing you entered is lost.", "")):
        message = message.replace(kept, instead)
    return message
