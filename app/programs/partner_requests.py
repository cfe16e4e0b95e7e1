""""Become a partner": requests from companies that want to resell through the storefront, and the
operator turning one into a reseller account (the onboarding of app/partners: the account, checked
with Partner Center, and the invitation of its first admin)."""
from __future__ import annotations

from app.accounts.models import Account, User
from app.audit import services as audit
from app.audit.services import Origin
from app.extensions import db
from app.partners import services as onboarding
from app.programs.models import PartnerRequest
from app.programs.notices import partner_request_news
from app.time import utcnow


def submit(*, company: str, name: str, email: str, country: str, partner_id: str | None, message: str | None,
           origin: Origin) -> PartnerRequest:
    """A new request, or the same one still waiting for the operator when it is sent again word for word (Send
    pressed twice, or Back and Send again): one row for the operator and one notification."""
    request = PartnerRequest(company=company.strip(), name=name.strip(), email=email.strip().lower(),
                             country=country.upper(), partner_id=(partner_id or "").strip() or None,
                             message=(message or "").strip() or None, status="new")
    same = db.session.scalar(db.select(PartnerRequest).where(
        PartnerRequest.status == "new", PartnerRequest.company == request.company,
        PartnerRequest.name == request.name, PartnerRequest.email == request.email,
        PartnerRequest.country == request.country,
        _same(PartnerRequest.partner_id, request.partner_id), _same(PartnerRequest.message, request.message),
    ).limit(1))
    if same is not None:
        return same
    db.session.add(request)
    db.session.flush()
    audit.record("partner_request_received", subject=request.company, origin=origin,
                 details={"email": request.email, "country": request.country, "partner_id": request.partner_id})
    partner_request_news(request)
    db.session.flush()
    return request


def _same(column, value):
    return column.is_(None) if value is None else column == value


def open_requests() -> list[PartnerRequest]:
    return db.session.scalars(db.select(PartnerRequest).order_by(
        (PartnerRequest.status == "new").desc(), PartnerRequest.created_at.desc(), PartnerRequest.id.desc())
        .limit(200)).all()


def find(request_id: int) -> PartnerRequest | None:
    return db.session.get(PartnerRequest, request_id)


def split_name(name: str) -> tuple[str, str]:
    first, _, last = (name or "").strip().partition(" ")
    return first, last.strip()


def convert(request: PartnerRequest, details: dict, admin: onboarding.FirstAdmin, *, actor: User,
            origin: Origin) -> Account:
    """Create the reseller account as admin > Accounts does and invite its first admin; the request
    is marked converted. Raises partners' OnboardingError (nothing added) when a field is wrong."""
    if request.status == "converted":
        raise onboarding.OnboardingError("name", "This request was turned into an account already.")
    if request.status == "dismissed":
        raise onboarding.OnboardingError("name", "This request was dismissed: it cannot become an account.")
    account = onboarding.create_account("reseller", details, admin, actor=actor, origin=origin)
    request.status, request.account_id = "converted", account.id
    request.handled_at, request.handled_by_id = utcnow(), actor.id
    audit.record("partner_request_converted", actor=actor, account=account, subject=request.company, origin=origin)
    db.session.flush()
    return account


def dismiss(request: PartnerRequest, *, actor: User, origin: Origin) -> bool:
    if request.status != "new":
        return False
    request.status, request.handled_at, request.handled_by_id = "dismissed", utcnow(), actor.id
    audit.record("partner_request_dismissed", actor=actor, subject=request.company, origin=origin)
    db.session.flush()
    return True
