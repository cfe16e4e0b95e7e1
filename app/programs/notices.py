"""Telling a reseller what became of its certificate, and the operator of a "Become a partner" request:
the "Programs" notification category (Settings > Notifications), in-app and by email as every category.

A certificate's news goes to its account (the person who enrolled when the account's settings say
"the person concerned"): Partner Center's check ended (active, or pending with what to fix) and the
operator approved, refused or expired it. Writes flush; the job or view commits.
"""
from __future__ import annotations

from app.accounts.countries import country_name
from app.accounts.notification_settings import PROGRAMS
from app.accounts.notifications import link_to, notify_operator_admins, send
from app.programs.models import Certificate, CertificateStatus, PartnerRequest

ACTIVE_BODY = "The certificate is active: choose it on the Customer step of every CSP order."


def certificate_news(certificate: Certificate) -> None:
    """Tell the certificate's account its status as it now is (after a check or an operator's action)."""
    status, number = certificate.current_status, certificate.number
    steps = None
    if status == CertificateStatus.ACTIVE:
        title, body = f"Certificate {number} is active", ACTIVE_BODY
    elif status == CertificateStatus.PENDING:
        title, body, steps = (f"Certificate {number} is pending: something to fix", certificate.problem or "",
                              certificate.steps_to_take)
    elif status == CertificateStatus.REFUSED:
        title = f"Certificate {number} was refused"
        body = f"The distributor refused this certificate: {certificate.refusal_reason}"
    else:
        title = f"Certificate {number} has expired"
        body = "It can no longer be used on orders. Enroll again to renew it."
    link = link_to("programs.certificate", f"/programs/certificates/{certificate.id}", certificate_id=certificate.id)
    send(PROGRAMS, account=certificate.account, title=title, body=body, link=link,
         concerning=certificate.created_by, steps=steps)


def partner_request_news(request: PartnerRequest) -> None:
    """Tell the operator's admins that a company asked to become a partner."""
    body = f"{request.name} ({request.email}), {country_name(request.country)}"
    if request.partner_id:
        body += f", partner ID {request.partner_id}"
    notify_operator_admins(f"Partner request from {request.company}", body + ".",
                           link_to("programs.admin_requests", "/admin/programs/requests"), category=PROGRAMS)
