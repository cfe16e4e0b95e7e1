"""The Microsoft Customer Agreement step: the current template (cached, so the page never calls
Microsoft) and the record of who accepted (direct customer) or confirmed (reseller) it."""
from __future__ import annotations

from dataclasses import dataclass

from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import Origin
from app.checkout.models import CheckoutDraft, McaAcceptance
from app.connections.person import TooFast, partner_center_problem, person_client
from app import cache
from app.extensions import db
from app.partner_center import PartnerCenterError
from app.time import utcnow

# The Microsoft Customer Agreement template changes rarely; the agreement page shows the cached one.
TEMPLATE_CACHE_SECONDS = 12 * 3600
TEMPLATE_KEY = "pc:mca-template"


def agreement_template(user_id: int, *, fetch: bool):
    """(template, problem): the current MCA template from the cache, or, with `fetch`, from Partner
    Center (then cached). Without `fetch` a missing template is not an error: the form fetches it."""
    from app.partner_center.types import AgreementTemplate  # noqa: PLC0415 (a type the client returns)

    data = cache.peek(TEMPLATE_KEY)
    if data is None and fetch:
        try:
            client = person_client(user_id)
            data = cache.remember(TEMPLATE_KEY, TEMPLATE_CACHE_SECONDS,
                                  lambda: _template_json(client.current_agreement_template()))
        except (PartnerCenterError, TooFast) as error:
            return None, partner_center_problem(error)
    if data is None:
        return None, None
    return AgreementTemplate(template_id=data["templateId"], agreement_link=data.get("agreementLink")), None


def _template_json(template) -> dict:
    return {"templateId": template.template_id, "agreementLink": template.agreement_link}


@dataclass
class Signatory:
    first_name: str
    last_name: str
    email: str
    phone: str | None


def record_mca(draft: CheckoutDraft, signatory: Signatory, *, template_id: str, agreement_link: str | None,
               actor: User, origin: Origin):
    """Store who accepted (direct customer) or confirmed (reseller) the MCA, and audit it."""
    acceptance = McaAcceptance(
        kind="confirmed" if draft.is_reseller else "accepted", draft_id=draft.id, account_id=draft.account_id,
        user_id=actor.id, licensee_id=draft.licensee_id, customer_name=draft.customer_name,
        tenant_domain=draft.domain, first_name=signatory.first_name.strip(), last_name=signatory.last_name.strip(),
        email=signatory.email.strip().lower(), phone=(signatory.phone or "").strip() or None,
        template_id=template_id, agreement_link=agreement_link, accepted_at=utcnow(),
        ip_address=origin.ip_address, user_agent=(origin.user_agent or "")[:1000] or None)
    db.session.add(acceptance)
    db.session.flush()
    audit.record("mca_" + acceptance.kind, actor=actor, account=draft.account, subject=draft.customer_name,
                 details={"tenant": draft.domain, "template_id": template_id, "signatory": acceptance.email,
                          "acceptance": acceptance.id}, origin=origin)
    draft.mark_done("agreement")
    return acceptance
