"""Connection checks run as jobs: they wait on Microsoft, so they never run in a web request."""
from __future__ import annotations

from app.audit import services as audit
from app.connections.consent import forget_mfa_consent_needed
from app.connections.services import get_client
from app.extensions import db
from app.partner_center import check_instance


def check_connection(name: str) -> dict:
    result = check_instance(get_client(name))
    if result.ok:
        forget_mfa_consent_needed(name)  # its App+User step passed: the consent is good again
    audit.record("partner_center_checked", subject=name,
                 details={"ok": result.ok, "message": result.message, "passed": result.passed})
    db.session.commit()
    return {"ok": result.ok, "message": result.message, "passed": result.passed,
            "elapsed": round(result.elapsed, 2)}
