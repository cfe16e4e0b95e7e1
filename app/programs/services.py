"""The rules of the CSP Partner Program: enrolling, checking an enrolment with Partner Center,
Process, the operator's approve / refuse / expire, the gate on CSP orders. No request, no templates;
write operations flush, the caller commits once.

What is checked, in SoftwareOne's words for the same program: the MPN ID (a partner location's PLA
ID) is known to Partner Center, the Microsoft Partner Agreement is signed, the partner is an indirect
reseller of the operator, and the tenant the network lists for it is the reseller's own. The
checks are app/partners/network.py's, the ones the operator's onboarding and the checkout ask.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from app.accounts.countries import country_name
from app.accounts.models import Account, User
from app.accounts.services import operator_account, partner_id_holder
from app.audit import services as audit
from app.audit.services import SYSTEM, Origin
from app.extensions import db
from app.orders.placing import NotAuthorized, OrderRequest, placement_rule
from app.partner_center import PartnerCenterError, PartnerCenterUnavailable, Throttled
from app.partners import network
from app.programs.models import CSP_PROGRAM, Certificate, CertificateStatus, Program
from app.programs.notices import certificate_news
from app.time import utcnow

log = logging.getLogger(__name__)

NUMBER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

DEFAULT_PROGRAM = dict(
    key=CSP_PROGRAM,
    name="CSP Partner Program",
    description=("The Cloud Solution Provider Partner Program makes us your indirect provider in Microsoft's CSP "
                 "program: you resell Microsoft 365, Dynamics 365 and other new-commerce licences to your customers "
                 "through this storefront, and we bill you. Enrolling gives you a certificate that every CSP order "
                 "carries."),
    terms=("To enroll you must be an indirect reseller in Microsoft's CSP program with the Microsoft Partner "
           "Agreement accepted, have accepted our invitation to become our indirect reseller in Partner Center, and "
           "give the MPN ID (PLA ID) of the partner location in the country you sell from. The certificate is valid "
           "for the program's validity period; enroll again to renew it."),
    validity_days=365,
)

IDENTIFIERS_STEP = ("In Partner Center, open Settings (gear icon) > Account settings > Organization profile > "
                    "Identifiers, and find the Partner ID of type PartnerLocation for the country you sell from.")
CORRECT_STEP = "Correct the MPN ID on the Parameters tab of this certificate and press Process."
PROCESS_STEP = "Then press Process on the Parameters tab: the certificate is checked again."


class EnrolmentError(Exception):
    """What the reseller typed cannot be used: `field` names the form field, `message` says why."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(message)


class CertificateStateError(Exception):
    """The action does not apply to the certificate in its current status."""


# ----------------------------------------------------------------------------------- the program

def program() -> Program:
    """The program's settings: the saved row, or the defaults (an unsaved row: a GET never writes)."""
    row = db.session.scalar(db.select(Program).where(Program.key == CSP_PROGRAM))
    return row if row is not None else Program(**DEFAULT_PROGRAM)


def save_program(*, name: str, description: str, terms: str, validity_days: int, actor: User,
                 origin: Origin) -> Program:
    row = program()
    changed = {k: v for k, v in dict(name=name, description=description, terms=terms,
                                     validity_days=validity_days).items() if getattr(row, k) != v}
    for key, value in changed.items():
        setattr(row, key, value)
    if row.id is None:
        db.session.add(row)
    if changed:
        audit.record("program_changed", actor=actor, subject=row.name, origin=origin,
                     details={k: v for k, v in changed.items() if k in ("name", "validity_days")})
    db.session.flush()
    return row


def operator_name() -> str:
    operator = operator_account()
    return operator.name if operator is not None else "the distributor"


# ----------------------------------------------------------------------------------- finding

def find_certificate(user: User, certificate_id: int) -> Certificate | None:
    """A certificate the user may see: its own account's; the operator sees every account's."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        return None
    if user.account.kind != "operator" and certificate.account_id != user.account_id:
        return None
    return certificate


def certificates_of(account_id: int) -> list[Certificate]:
    return db.session.scalars(db.select(Certificate).where(Certificate.account_id == account_id)
                              .order_by(Certificate.created_at.desc(), Certificate.id.desc())).all()


# Built once: the checkout's customer step and placing read it (building a statement and its cache key anew
# cost more than running it).
_USABLE_CERTIFICATES = db.select(Certificate).where(
    Certificate.account_id == db.bindparam("account_id"), Certificate.status == CertificateStatus.ACTIVE,
    db.or_(Certificate.expires_at.is_(None), Certificate.expires_at > db.bindparam("now"))).order_by(
    Certificate.activated_at.desc(), Certificate.id.desc())


def usable_certificates(account_id: int) -> list[Certificate]:
    """The account's active certificates that have not reached their end date, newest first."""
    return db.session.scalars(_USABLE_CERTIFICATES, {"account_id": account_id, "now": utcnow()}).all()


# The checkout's customer step names each usable certificate in its list, at every visit: four columns, not
# whole certificates, read on the session's connection (its transaction) without the ORM's handling of a
# statement, which cost more than the statement itself (issue 14: about 0.2 M instructions each).
_USABLE_CERTIFICATE_CHOICES = _USABLE_CERTIFICATES.with_only_columns(
    Certificate.id, Certificate.number, Certificate.partner_id, Certificate.expires_at)


def usable_certificate_choices(account_id: int) -> list:
    """usable_certificates' rows (id, number, partner_id, expires_at), in the same order. The session is not
    flushed first: a certificate changed in it and not yet flushed is read as it was."""
    return db.session.connection().execute(_USABLE_CERTIFICATE_CHOICES,
                                           {"account_id": account_id, "now": utcnow()}).all()


def usable_certificate_exists(account_id, now):
    """Whether the account (an id or a bind parameter) has a usable certificate at `now`, as a scalar SQL
    expression (the layout reads it with the header's counts: the catalog and the cart ask it on every page)."""
    return db.select(Certificate.id).where(
        Certificate.account_id == account_id, Certificate.status == CertificateStatus.ACTIVE,
        db.or_(Certificate.expires_at.is_(None), Certificate.expires_at > now)).exists()


def usable_certificate(account_id: int, certificate_id: int | None) -> Certificate | None:
    """The account's usable certificate of that id, or (no id) the one preselected: the newest."""
    usable = usable_certificates(account_id)
    if certificate_id is None:
        return usable[0] if usable else None
    return next((c for c in usable if c.id == certificate_id), None)


@dataclass
class AdminFilters:
    status: str = ""
    q: str = ""


def all_certificates(filters: AdminFilters) -> list[Certificate]:
    """Every enrolment, newest first (admin > Programs)."""
    query = db.select(Certificate).join(Account, Account.id == Certificate.account_id)
    now = utcnow()
    if filters.status == CertificateStatus.EXPIRED:
        query = query.where(db.or_(Certificate.status == CertificateStatus.EXPIRED, db.and_(
            Certificate.status == CertificateStatus.ACTIVE, Certificate.expires_at <= now)))
    elif filters.status == CertificateStatus.ACTIVE:
        query = query.where(Certificate.status == CertificateStatus.ACTIVE,
                            db.or_(Certificate.expires_at.is_(None), Certificate.expires_at > now))
    elif filters.status in (CertificateStatus.PENDING, CertificateStatus.REFUSED):
        query = query.where(Certificate.status == filters.status)
    if filters.q:
        like = f"%{filters.q.lower()}%"
        query = query.where(db.or_(db.func.lower(Account.name).like(like), Certificate.partner_id.like(like),
                                   db.func.lower(Certificate.number).like(like)))
    return db.session.scalars(query.order_by(Certificate.created_at.desc(), Certificate.id.desc()).limit(200)).all()


# ----------------------------------------------------------------------------------- the gate

def gate_message(account: Account | None) -> str | None:
    """Why this account cannot place CSP orders (None: it can). Only resellers need a certificate."""
    if account is None or account.kind != "reseller":
        return None
    if usable_certificates(account.id):
        return None
    latest = certificates_of(account.id)
    name = program().name
    if latest and latest[0].current_status == CertificateStatus.PENDING:
        return (f"You cannot order CSP products yet: your {name} certificate {latest[0].number} is pending. "
                "Open it to see what to do.")
    if latest and latest[0].current_status == CertificateStatus.EXPIRED:
        return (f"You cannot order CSP products: your {name} certificate {latest[0].number} has expired. "
                "Enroll again to renew it.")
    return f"You cannot order CSP products until you enroll in the {name} and your certificate is active."


@placement_rule
def certificate_rule(request: OrderRequest) -> dict:
    """A reseller's CSP order carries one of its active certificates (the chosen one, or the one the
    checkout preselects); without one the order is refused. Direct customers need none."""
    account = db.session.get(Account, request.account_id)
    if account is None or account.kind != "reseller":
        return {}
    chosen = getattr(request, "certificate_id", None)
    certificate = usable_certificate(account.id, chosen)
    if certificate is None:
        if chosen is not None:
            raise NotAuthorized("The certificate chosen for this order is not active any more: choose an active "
                                "certificate on the Customer step, or enroll again under Programs.")
        raise NotAuthorized(gate_message(account) or "An active certificate is needed to place CSP orders.")
    return {"certificate_id": certificate.id}


# ----------------------------------------------------------------------------------- enrolling

def new_certificate_number() -> str:
    return "CRT-" + "-".join("".join(secrets.choice(NUMBER_ALPHABET) for _ in range(4)) for _ in range(2))


def _clean(partner_id: str, contact_email: str, country: str) -> tuple[str, str, str]:
    return (partner_id or "").strip(), (contact_email or "").strip().lower(), (country or "").strip().upper()


def _own_partner_id(account: Account, partner_id: str) -> None:
    holder = partner_id_holder(partner_id, but_not=account.id)
    if holder is not None:
        raise EnrolmentError("partner_id", f"MPN ID {partner_id} belongs to another reseller of this storefront: "
                                           "give your own MPN ID.")


def _no_other_certificate(account: Account, partner_id: str, *, but_not: int | None = None) -> None:
    """One pending or active certificate per MPN ID of an account: refused at the field otherwise."""
    for existing in certificates_of(account.id):
        if existing.id == but_not or existing.partner_id != partner_id:
            continue
        if existing.current_status == CertificateStatus.ACTIVE:
            raise EnrolmentError("partner_id", f"Certificate {existing.number} for MPN ID {partner_id} is active "
                                               "already; enroll again once it has expired.")
        if existing.current_status == CertificateStatus.PENDING:
            raise EnrolmentError("partner_id", f"Certificate {existing.number} for MPN ID {partner_id} is pending: "
                                               "open it, correct what it says and press Process.")


def already_enrolled(account: Account, partner_id: str | None) -> str | None:
    """Why enrolling `partner_id` again would be refused (a pending or active certificate has it), or None."""
    try:
        _no_other_certificate(account, partner_id)
    except EnrolmentError as refused:
        return refused.message
    return None


def enrol(account: Account, *, partner_id: str, contact_email: str, country: str, actor: User,
          origin: Origin) -> Certificate:
    """A new certificate, pending while Partner Center is asked (the caller commits, then calls
    start_check). Refused at the field: another reseller's MPN ID, or one that already has a pending
    or active certificate of this account."""
    if account.kind != "reseller":
        raise EnrolmentError("partner_id", "Only resellers enroll in the CSP Partner Program.")
    partner_id, contact_email, country = _clean(partner_id, contact_email, country)
    _own_partner_id(account, partner_id)
    _no_other_certificate(account, partner_id)
    certificate = Certificate(number=new_certificate_number(), program_key=CSP_PROGRAM, account_id=account.id,
                              status=CertificateStatus.PENDING, check_status="checking", partner_id=partner_id,
                              contact_email=contact_email, country=country, created_by_id=actor.id)
    db.session.add(certificate)
    audit.record("certificate_enrolled", actor=actor, account=account, subject=certificate.number, origin=origin,
                 details={"partner_id": partner_id, "country": country, "contact_email": contact_email})
    db.session.flush()
    return certificate


def start_check(certificate: Certificate) -> bool:
    """Enqueue the enrolment check (after the caller committed the certificate). False when the job
    queue could not be reached: the certificate then says so, and Process tries again."""
    from app.jobs import enqueue
    from app.programs.jobs import check_certificate

    try:
        enqueue(check_certificate, certificate.id, job_id=f"certificate-check-{certificate.id}", timeout=120,
                retry=None, description=f"check certificate {certificate.number}")
    except Exception:  # Redis down: said on the certificate, nothing lost
        log.exception("could not enqueue the check of certificate %s", certificate.number)
        _pending(certificate, "queue", "The check with Partner Center could not be started: the job queue was not "
                                       "reachable.", ["Press Process on the Parameters tab to try again."])
        db.session.commit()
        return False
    return True


def process(certificate: Certificate, *, partner_id: str, contact_email: str, country: str, actor: User,
            origin: Origin) -> None:
    """A pending certificate's corrected ordering parameters, sent back to Partner Center's check."""
    if certificate.current_status != CertificateStatus.PENDING:
        raise CertificateStateError(f"Certificate {certificate.number} is {certificate.status_label.lower()}: only "
                                    "a pending certificate can be changed and processed.")
    if certificate.checking:
        raise CertificateStateError("Partner Center is checking this certificate already; wait for its answer.")
    partner_id, contact_email, country = _clean(partner_id, contact_email, country)
    account = certificate.account
    _own_partner_id(account, partner_id)
    _no_other_certificate(account, partner_id, but_not=certificate.id)
    changed = {name: {"from": getattr(certificate, name), "to": value} for name, value in
               (("partner_id", partner_id), ("contact_email", contact_email), ("country", country))
               if getattr(certificate, name) != value}
    certificate.partner_id, certificate.contact_email, certificate.country = partner_id, contact_email, country
    certificate.check_status = "checking"
    audit.record("certificate_processed", actor=actor, account=account, subject=certificate.number, origin=origin,
                 details=changed)
    db.session.flush()


# ----------------------------------------------------------------------------------- the check

def _pending(certificate: Certificate, code: str, problem: str, steps: list[str]) -> None:
    certificate.status = CertificateStatus.PENDING
    certificate.check_status = "checked"
    certificate.problem_code, certificate.problem, certificate.steps_to_take = code, problem, steps
    certificate.checked_at = utcnow()


def _activate(certificate: Certificate, *, actor: User | None = None) -> None:
    now = utcnow()
    certificate.status = CertificateStatus.ACTIVE
    certificate.check_status = "checked"
    certificate.problem_code = certificate.problem = certificate.steps_to_take = None
    certificate.activated_at = now
    certificate.expires_at = now + timedelta(days=program().validity_days)
    certificate.ended_at = None


def _not_answered(mpn: str, error: PartnerCenterError) -> str:
    """Why the check has no verdict, in the reseller's words: Microsoft's own words of a failure on its side
    ("Unexpected service error. Please retry.") are for the logs."""
    if isinstance(error, (PartnerCenterUnavailable, Throttled)):
        return f"MPN ID {mpn} could not be checked yet: Partner Center did not answer, a problem on Microsoft's side."
    said = (error.description or "it did not answer").rstrip(".")
    return f"Partner Center could not be asked about MPN ID {mpn}: {said}."


def check(certificate: Certificate, client) -> None:
    """Ask Partner Center about the certificate's MPN ID (profile, agreement, the operator's network,
    the reseller's tenant): active when every requirement is met, else pending with the requirement
    that was not met and the steps to take. The enrolment job calls it; it flushes."""
    if not certificate.checking or certificate.current_status != CertificateStatus.PENDING:
        return
    account = certificate.account
    mpn, where = certificate.partner_id, country_name(certificate.country)
    operator = operator_name()
    holder = partner_id_holder(mpn, but_not=account.id)
    try:
        verdict = None if holder else network.check_partner_id(client, mpn, account.partner_tenant_id)
    except PartnerCenterError as error:
        _pending(certificate, "unavailable", _not_answered(mpn, error),
                 ["Press Process on the Parameters tab to try again in a few minutes."])
    else:
        if holder is not None:
            _pending(certificate, "taken", f"MPN ID {mpn} belongs to another reseller of this storefront.",
                     ["Check the MPN ID: it must be your own partner location's.", CORRECT_STEP])
        elif verdict.verdict == network.UNKNOWN_PARTNER:
            _pending(certificate, "mpn_unknown", f"The MPN ID you gave ({mpn}) is not valid: Partner Center knows no "
                                                 "partner with this ID.", [IDENTIFIERS_STEP, CORRECT_STEP])
        elif verdict.verdict == network.NOT_SIGNED:
            _pending(certificate, "agreement", f"The Microsoft Partner Agreement is not accepted for MPN ID {mpn} in "
                                               f"the region of its partner location ({where}). {verdict.reason}",
                     ["In Partner Center, open Settings > Account settings > Agreements and accept the Microsoft "
                      "Partner Agreement; check that no action is pending there.",
                      f"Check that MPN ID {mpn} is the partner location in {where}; if not, correct it on the "
                      "Parameters tab.", PROCESS_STEP])
        elif verdict.verdict == network.NOT_IN_NETWORK:
            _pending(certificate, "network", f"MPN ID {mpn} is not an indirect reseller of {operator} in Partner "
                                             "Center yet.",
                     [f"Accept {operator}'s invitation to become its indirect reseller: in Partner Center, open "
                      "Settings > Account settings > Indirect providers (or the link in the invitation mail).",
                      PROCESS_STEP])
        elif verdict.verdict == network.TENANT_MISSING:
            # The network lists the MPN ID's tenant; with none of the account's to compare, another reseller's
            # MPN ID would pass. The operator, who knows the account, adds its tenant ID (admin > Accounts).
            _pending(certificate, "tenant_missing", f"{account.name} has no Partner Center tenant ID here, so nothing "
                                                    f"shows that MPN ID {mpn} is your own partner location.",
                     [f"Ask {operator} to add your Partner Center tenant ID to your account (a GUID: in Partner "
                      "Center > Account settings > Organization profile).", PROCESS_STEP])
        elif verdict.verdict == network.TENANT_MISMATCH:
            _pending(certificate, "tenant", f"Partner Center lists MPN ID {mpn} under another tenant than "
                                            f"{account.name}'s Partner Center tenant ({account.partner_tenant_id}).",
                     ["Check that the MPN ID is one of your own partner locations.", CORRECT_STEP,
                      f"If your tenant has changed, ask {operator} to update your account."])
        else:
            certificate.indirect_reseller_id = verdict.network_tenant_id
            if not account.partner_id:  # proven under its own tenant: its partner ID, as checkout would record it
                account.partner_id = mpn
            _activate(certificate)
    certificate.checked_at = utcnow()
    audit.record("certificate_checked", account=account, subject=certificate.number, origin=SYSTEM,
                 details={"status": certificate.status, "problem": certificate.problem_code})
    certificate_news(certificate)
    db.session.flush()


# ----------------------------------------------------------------------------------- the operator

def approve(certificate: Certificate, *, actor: User, origin: Origin) -> None:
    """The operator activates a pending (or refused) certificate for the validity period."""
    if certificate.current_status not in (CertificateStatus.PENDING, CertificateStatus.REFUSED):
        raise CertificateStateError(f"Certificate {certificate.number} is {certificate.status_label.lower()}: "
                                    "only a pending or refused certificate can be approved.")
    for other in certificates_of(certificate.account_id):  # one active certificate per MPN ID, as enrolling keeps it
        if (other.id != certificate.id and other.partner_id == certificate.partner_id
                and other.current_status == CertificateStatus.ACTIVE):
            raise CertificateStateError(f"Certificate {other.number} for MPN ID {certificate.partner_id} is active "
                                        f"already: {certificate.number} cannot be approved beside it.")
    _activate(certificate)
    certificate.refusal_reason = None
    audit.record("certificate_approved", actor=actor, account=certificate.account, subject=certificate.number,
                 origin=origin)
    certificate_news(certificate)
    db.session.flush()


def refuse(certificate: Certificate, reason: str, *, actor: User, origin: Origin) -> None:
    if certificate.current_status not in (CertificateStatus.PENDING, CertificateStatus.ACTIVE):
        raise CertificateStateError(f"Certificate {certificate.number} is {certificate.status_label.lower()}: "
                                    "only a pending or active certificate can be refused.")
    certificate.status = CertificateStatus.REFUSED
    certificate.check_status = "checked"
    certificate.refusal_reason = reason.strip()
    certificate.ended_at = utcnow()
    audit.record("certificate_refused", actor=actor, account=certificate.account, subject=certificate.number,
                 origin=origin, details={"reason": certificate.refusal_reason})
    certificate_news(certificate)
    db.session.flush()


def expire(certificate: Certificate, *, actor: User, origin: Origin) -> None:
    if certificate.current_status != CertificateStatus.ACTIVE:
        raise CertificateStateError(f"Certificate {certificate.number} is {certificate.status_label.lower()}: "
                                    "only an active certificate can be expired.")
    now = utcnow()
    certificate.status = CertificateStatus.EXPIRED
    certificate.ended_at = now
    certificate.expires_at = now
    audit.record("certificate_expired", actor=actor, account=certificate.account, subject=certificate.number,
                 origin=origin)
    certificate_news(certificate)
    db.session.flush()


def issue_active(account: Account, *, contact_email: str, actor: User | None = None) -> Certificate:
    """An active certificate for an account Partner Center already vouched for (the demo's resellers)."""
    certificate = Certificate(number=new_certificate_number(), program_key=CSP_PROGRAM, account_id=account.id,
                              partner_id=account.partner_id, contact_email=contact_email, country=account.country,
                              indirect_reseller_id=account.partner_tenant_id,
                              created_by_id=actor.id if actor else None)
    certificate.account = account
    _activate(certificate)
    certificate.checked_at = utcnow()
    db.session.add(certificate)
    db.session.flush()
    return certificate
