"""Partner Center /v1 API: the Microsoft Customer Agreement and a customer's account checks.

- agreement templates (``GET /v1/agreements``);
- the enhanced attestation (``POST /v1/attestations/enhanced``, app-only) and the customer's
  agreement created with its id, or the classic attestation without one
  (``POST /v1/customers/{id}/agreements``); reading them back (``GET`` the same);
- whether the customer accepted the MCA itself (``directSignedMicrosoftCustomerAgreementStatus``);
- the customer's account validation status (``validationStatus?type=account``).

Each rule names the page it follows.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

from flask import Blueprint, current_app, g

from .resources import visible_customer
from .seed import AGREEMENT_TEMPLATES
from .store import iso, parse_iso
from .web import (INVALID_INPUT, PCError, body_json, collection, error_body, idempotent, json_response,
                  query_arg, store)

bp = Blueprint("sandbox_agreements", __name__)

# Clouds whose Partner Center has the agreements API ("Does not apply to: Partner Center operated by
# 21Vianet | Partner Center for Microsoft Cloud for US Government",
# https://learn.microsoft.com/en-us/partner-center/developer/get-customer-agreement-metadata).
AGREEMENTS_API_CLOUDS = ("public",)


def agreements_api() -> bool:
    """Whether this sandbox plays a cloud with the agreements API (SANDBOX_CLOUD)."""
    return current_app.config.get("SANDBOX_CLOUD", "public") in AGREEMENTS_API_CLOUDS


@bp.before_request
def _only_where_the_api_exists():
    if not agreements_api():
        # UNCONFIRMED: what such a cloud answers; the API is not there, so a plain not-found.
        return json_response(error_body("NotFound", "This API is not available in this cloud."), 404)
    return None

_DOCS = "https://learn.microsoft.com/partner-center/"
ENHANCED_DOC = _DOCS + "customers/integrate-sandbox-confirm-customer-accept"

# Documented codes (https://learn.microsoft.com/partner-center/developer/error-codes).
# UNCONFIRMED: which one a templateId of another agreement type gets; "Invalid request input".
AGREEMENT_TEMPLATE_INVALID = INVALID_INPUT
# UNCONFIRMED: the code for an App+User token where only app-only is supported; 900308
# "Insufficient privileges to complete the operation." is the documented 403 nearest to it.
APP_USER_NOT_SUPPORTED = 900308

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Attestations dated before 1 April 2023 are of the MCA's older terms: customers who accepted then
# must accept the updated terms (Partner Center announcement, 2023: "Partners who have customers
# that accepted the MCA prior to April 1, 2023"), so such an attestation is not a duplicate of a
# new one with the same contact: the new one renews it.
ATTESTATION_CUTOFF = datetime(2023, 4, 1, tzinfo=timezone.utc)


def _claims():
    return getattr(g, "claims", None)


def _require_app_only(what: str) -> None:
    """The enhanced attestation and the agreement made with it: "This scenario only supports
    AppOnly authentication" (ENHANCED_DOC). UNCONFIRMED: Microsoft's exact refusal (see
    APP_USER_NOT_SUPPORTED)."""
    claims = _claims()
    if claims is None or claims.app_user:
        raise PCError(403, APP_USER_NOT_SUPPORTED, f"{what} requires app-only authentication (an application "
                                                   "token, not an App+User token).")


# templates ------------------------------------------------------------------------

def _template(agreement_type: str) -> dict | None:
    for template in AGREEMENT_TEMPLATES:
        if template["agreementType"].lower() == agreement_type.lower():
            return template
    return None


@bp.get("/v1/agreements")
def agreement_templates():
    """Without agreementType the older Microsoft Cloud Agreement is meant
    (https://learn.microsoft.com/partner-center/developer/get-customer-agreement-metadata)."""
    agreement_type = query_arg("agreementType") or "MicrosoftCloudAgreement"
    if agreement_type.lower() == "all":
        items = list(AGREEMENT_TEMPLATES)
    else:
        template = _template(agreement_type)
        if template is None:
            raise PCError(400, INVALID_INPUT, f"Unknown agreementType '{agreement_type}'.")
        items = [template]
    items = [dict(t, attributes={"objectType": "AgreementMetaData"}) for t in items]
    return json_response(collection(items))


# the enhanced attestation -----------------------------------------------------------

_ATTESTATION_FIELDS = ("country", "language", "companyName", "signatoryFirstName", "signatoryLastName",
                       "signatoryEmail")


def _create_attestation(tx, body: dict):
    for name in _ATTESTATION_FIELDS:
        if not str(body.get(name) or "").strip():
            raise PCError(400, INVALID_INPUT, f"{name} is required.")
    country = str(body["country"]).strip()
    if not re.fullmatch(r"[A-Za-z]{2}", country):
        raise PCError(400, INVALID_INPUT, "country must be a two-letter ISO 3166-1 alpha-2 code.")
    if not EMAIL_RE.match(str(body["signatoryEmail"]).strip()):
        raise PCError(400, INVALID_INPUT, "signatoryEmail is not a valid email address.")
    attestation_id = str(uuid.uuid4())
    attestation = {name: str(body[name]).strip() for name in _ATTESTATION_FIELDS}
    attestation["country"] = country.upper()
    if body.get("signatoryPhoneNumber"):
        attestation["signatoryPhoneNumber"] = str(body["signatoryPhoneNumber"]).strip()
    attestation.update(attestationId=attestation_id, createdDateTime=iso(tx.now()), _customer=None)
    tx.put("attestation", attestation_id, attestation)
    return 201, _public(attestation, "EnhancedAttestation")


@bp.post("/v1/attestations/enhanced")
def create_enhanced_attestation():
    """ENHANCED_DOC: creates an attestation id for a customer, later used to create its agreement.
    UNCONFIRMED: the response's shape (our copy of the page breaks off before it); the sandbox
    answers 201 with ``attestationId`` and what was attested."""
    _require_app_only("The enhanced attestation")
    body = body_json()
    return idempotent("POST attestations/enhanced", lambda tx: _create_attestation(tx, body))


def _public(doc: dict, object_type: str) -> dict:
    body = {k: v for k, v in doc.items() if not k.startswith("_")}
    body["attributes"] = {"objectType": object_type}
    return body


# customer agreements ---------------------------------------------------------------

def _same_contact(existing: dict, contact: dict) -> bool:
    mine = existing["primaryContact"]
    return all((mine.get(k) or "").lower() == (contact.get(k) or "").strip().lower()
               for k in ("firstName", "lastName", "email"))


def _current(agreement: dict) -> bool:
    try:
        return parse_iso(agreement["dateAgreed"]) >= ATTESTATION_CUTOFF
    except (KeyError, TypeError, ValueError):
        return True


def has_current_mca(tx, tenant: dict) -> bool:
    """Whether the customer may buy: it accepted the MCA itself (direct-signed), or a partner
    attested an acceptance of the current terms. Since October 2024 Partner Center takes orders only
    with a current MCA (see ATTESTATION_CUTOFF)."""
    if tenant.get("mcaDirectSigned"):
        return True
    return any(a["type"] == "MicrosoftCustomerAgreement" and _current(a) for a in tx.list("agreement", tenant["id"]))


def _check_attestation(tx, tenant: dict, attestation_id: str, contact: dict) -> dict:
    """The agreement is created "with the attestation ID" (ENHANCED_DOC). UNCONFIRMED, the
    sandbox's defensive reading: the id must exist, belong to no other customer and name the same
    signatory as the agreement's primary contact."""
    attestation = tx.get("attestation", attestation_id.lower())
    if attestation is None:
        raise PCError(400, INVALID_INPUT, f"attestationId '{attestation_id}' is not a valid attestation.")
    if attestation["_customer"] not in (None, tenant["id"]):
        raise PCError(400, INVALID_INPUT, f"attestationId '{attestation_id}' was used for another customer.")
    signatory = {"firstName": attestation["signatoryFirstName"], "lastName": attestation["signatoryLastName"],
                 "email": attestation["signatoryEmail"]}
    if not _same_contact({"primaryContact": signatory}, contact):
        raise PCError(400, INVALID_INPUT, "primaryContact does not match the signatory of the attestation.")
    return attestation


def _attest(tx, tenant_id: str, body: dict):
    tenant = visible_customer(tx, tenant_id)
    contact = body.get("primaryContact") or {}
    for field in ("firstName", "lastName", "email"):
        if not (contact.get(field) or "").strip():
            raise PCError(400, INVALID_INPUT, f"primaryContact.{field} is required.")
    if not EMAIL_RE.match(contact["email"].strip()):
        raise PCError(400, INVALID_INPUT, "primaryContact.email is not a valid email address.")
    agreement_type = body.get("type") or "MicrosoftCloudAgreement"
    template = _template(agreement_type)
    if template is None:
        raise PCError(400, INVALID_INPUT, f"Unknown agreement type '{agreement_type}'.")
    if (body.get("templateId") or "").lower() != template["templateId"]:
        raise PCError(400, AGREEMENT_TEMPLATE_INVALID,
                      f"templateId '{body.get('templateId')}' is not a valid template for {template['agreementType']}.")
    if not body.get("dateAgreed"):
        raise PCError(400, INVALID_INPUT, "dateAgreed is required.")
    try:
        agreed = parse_iso(str(body["dateAgreed"]))
    except ValueError:
        raise PCError(400, INVALID_INPUT, "dateAgreed is not a UTC date and time.")
    # "You can't set the Agreement acceptance date to a future date"
    # (https://learn.microsoft.com/partner-center/customers/confirm-customer-agreement); a day of
    # slack for clocks and time zones.
    if agreed > tx.now() + timedelta(days=1):
        raise PCError(400, INVALID_INPUT, "dateAgreed cannot be in the future.")
    attestation = None
    if body.get("attestationId"):
        attestation = _check_attestation(tx, tenant, str(body["attestationId"]), contact)
    # The same first name, last name and email again is a duplicate (600061,
    # https://learn.microsoft.com/partner-center/developer/confirm-customer-consent-customer-agreement),
    # unless the earlier attestation is older than ATTESTATION_CUTOFF: then this one renews it.
    for existing in tx.list("agreement", tenant["id"]):
        if existing["type"] == template["agreementType"] and _current(existing) and _same_contact(existing, contact):
            raise PCError(400, 600061, "A partner confirmed agreement already exists for the customer.")
    agreement_id = str(uuid.uuid4())
    agreement = {
        "userId": str(uuid.uuid4()),
        "primaryContact": {k: (contact.get(k) or "").strip() for k in ("firstName", "lastName", "email", "phoneNumber")
                           if contact.get(k)},
        "templateId": template["templateId"],
        "dateAgreed": body["dateAgreed"],
        "type": template["agreementType"],
        "agreementLink": template["agreementLink"],
        "_id": agreement_id,
        "_recordedAt": iso(tx.now()),
    }
    if attestation is not None:
        agreement["attestationId"] = attestation["attestationId"]
        attestation["_customer"] = tenant["id"]
        tx.put("attestation", attestation["attestationId"], attestation)
    tx.put("agreement", agreement_id, agreement, parent=tenant["id"])
    return 201, _public(agreement, "Agreement")


@bp.post("/v1/customers/<tenant_id>/agreements")
def create_agreement(tenant_id):
    body = body_json()
    if body.get("attestationId"):
        _require_app_only("Creating an agreement with an attestation")
    return idempotent(f"POST agreements {tenant_id.lower()}", lambda tx: _attest(tx, tenant_id, body))


@bp.get("/v1/customers/<tenant_id>/agreements")
def list_agreements(tenant_id):
    """https://learn.microsoft.com/partner-center/developer/get-confirmation-of-customer-agreement"""
    agreement_type = query_arg("agreementType")
    with store().tx(write=False) as tx:
        tenant = visible_customer(tx, tenant_id)
        items = tx.list("agreement", tenant["id"])
    if agreement_type and agreement_type.lower() != "all":
        items = [a for a in items if a["type"].lower() == agreement_type.lower()]
    return json_response(collection([_public(a, "Agreement") for a in items]))


@bp.get("/v1/customers/<tenant_id>/directSignedMicrosoftCustomerAgreementStatus")
def direct_signed_status(tenant_id):
    """``{"isSigned": bool}``, App+User only (token_rules.APP_USER_ONLY refuses an app-only token before this runs)
    (https://learn.microsoft.com/partner-center/developer/get-customer-agreement-direct-sign-status).
    A tenant's direct acceptance is set with the sandbox's controls."""
    with store().tx(write=False) as tx:
        tenant = visible_customer(tx, tenant_id)
    return json_response({"isSigned": bool(tenant.get("mcaDirectSigned")),
                          "attributes": {"objectType": "DirectSignedCustomerAgreementStatus"}})


# account validation ----------------------------------------------------------------

@bp.get("/v1/customers/<tenant_id>/validationStatus")
def validation_status(tenant_id):
    """``{type, status, lastUpdateDateTime}``, App+User only (refused to an app-only token by token_rules.APP_USER_ONLY)
    (https://learn.microsoft.com/partner-center/developer/retrieve-validation-status). The status
    follows the tenant's review flag, the one checkout refuses with 800073.
    UNCONFIRMED: the status words; the sandbox answers ``UnderReview`` or ``Allowed``."""
    kind = (query_arg("type") or "").strip().lower()
    if kind != "account":
        raise PCError(400, INVALID_INPUT, "type must be account.")
    with store().tx(write=False) as tx:
        tenant = visible_customer(tx, tenant_id)
    return json_response({"type": "Account", "status": "UnderReview" if tenant.get("underReview") else "Allowed",
                          "lastUpdateDateTime": tenant.get("reviewChangedAt") or tenant.get("createdAt"),
                          "attributes": {"objectType": "ValidationStatus"}})
