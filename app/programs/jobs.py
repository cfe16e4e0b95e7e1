"""The enrolment check runs as a job: it waits on Partner Center, so it never runs in a web request."""
from __future__ import annotations

from app.connections.services import connection_for, get_client
from app.extensions import db
from app.programs import services
from app.programs.models import Certificate


def check_certificate(certificate_id: int) -> str | None:
    """Ask Partner Center about a certificate waiting for its check; its status afterwards."""
    # Read afresh: the request that asked for the check committed after this session may have loaded it.
    certificate = db.session.get(Certificate, certificate_id, populate_existing=True)
    if certificate is None:
        return None
    services.check(certificate, get_client(connection_for(certificate.account)))
    db.session.commit()
    return certificate.status
