"""Connection checks run as jobs: they wait on Microsoft, so they never run in a web request."""
from __future__ import annotations

from app.audit import services as audit
from app.connections.consent import forget_mfa_consent_needed
from app.connections.services import get_client, sandbox_mode
from app.extensions import db
from app.partner_center import (
    MfaRequired,
    PartnerCenterAuthError,
    PartnerCenterError,
    PartnerCenterUnavailable,
    Throttled,
    check_instance,
)

# The operator waits on the check's answer (the page says "Checking the connection…"): each call is asked
# once, within this many seconds, and a 429 is said at once instead of slept through (the client's
# for_person). Orders and other jobs keep the client's own retries.
CHECK_TIMEOUT = 20.0


def check_connection(name: str) -> dict:
    result = check_instance(get_client(name).for_person(timeout=CHECK_TIMEOUT))
    if result.ok:
        forget_mfa_consent_needed(name)  # its App+User step passed: the consent is good again
    audit.record("partner_center_checked", subject=name,
                 details={"ok": result.ok, "message": result.message, "passed": result.passed})
    db.session.commit()
    return {"ok": result.ok, "message": result.message, "passed": result.passed,
            "elapsed": round(result.elapsed, 2), "next_step": next_step(result.error)}


def next_step(error: PartnerCenterError | None) -> str | None:
    """What the operator does about a failed check, in a sentence (None: the message says it already, as the
    MFA notice does with its steps)."""
    if error is None or isinstance(error, MfaRequired):
        return None
    if isinstance(error, Throttled):
        when = f"in {int(error.retry_after)} seconds" if error.retry_after is not None else "in a minute"
        step = f"Check the connection again {when}; orders and other jobs wait and try again by themselves."
    elif isinstance(error, PartnerCenterUnavailable):
        if error.status is None:
            step = ("Partner Center did not answer in time. Check the connection again in a few minutes; if it "
                    "lasts, check that this server reaches Microsoft (network, proxy, firewall).")
        else:
            step = ("The trouble is on Microsoft's side: orders and other jobs try again by themselves. Check the "
                    "connection again in a few minutes.")
    elif isinstance(error, PartnerCenterAuthError) or error.status in (401, 403):
        return ("Correct the connection under Add or update a connection (save it again under its name), then "
                "check it again.")
    else:
        return None
    if sandbox_mode():
        step += " In sandbox mode, a fault set on the sandbox controls answers like this."
    return step
