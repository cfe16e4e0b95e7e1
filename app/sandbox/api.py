"""Partner Center /v1 API: domains, customers, country rules, address
validation, MPN profiles, agreement status, relationships. The Microsoft Customer Agreement and
a customer's validation status are in agreements.py, served through this blueprint."""

from __future__ import annotations

import base64
import json
import re
import secrets
import uuid
from urllib.parse import urlencode

from flask import Blueprint, request

from . import agreements, countries
from .resources import (billing_etag, billing_profile_json, company_profile_json, customer_json,
                        customer_listed_json, reseller_by_tenant, reseller_relationship_json, visible_customer)
from .seed import OPERATOR
from .store import iso
from .web import (INVALID_INPUT, PCError, body_json, collection, idempotent, json_response, link,
                  query_arg, setting, store)

bp = Blueprint("sandbox_api", __name__)

MAX_PAGE = 500
bp.register_blueprint(agreements.bp)

# UNCONFIRMED codes (not in the contract); the sandbox's choices:
# Microsoft documents no code of its own for a malformed or taken domain on customer creation:
# "Invalid request input" (error-codes page) with a description that says which.
DOMAIN_INVALID = INVALID_INPUT
DOMAIN_TAKEN = INVALID_INPUT
# The address validation API's older answer, 400 code 2007
# (https://learn.microsoft.com/partner-center/developer/validate-an-address), for an address that
# fails its country's rules.
ADDRESS_INVALID = 2007
RESELLER_INVALID = 800016    # associatedPartnerId / indirectResellerId not in the reseller network

DOMAIN_RE = re.compile(r"^[a-z0-9]{1,27}\.onmicrosoft\.com$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# domains ---------------------------------------------------------------------

@bp.route("/v1/domains/<path:domain>", methods=["HEAD"])
def domain_exists(domain):
    """200 = the domain exists (NOT available); 404 = available. No body."""
    found = store().tenant_by_domain(domain.strip())
    return ("", 200) if found else ("", 404)


# country rules and address validation -----------------------------------------

@bp.get("/v1/countryvalidationrules/<iso2>")
def country_validation_rules(iso2):
    if not re.fullmatch(r"[A-Za-z]{2}", iso2):
        raise PCError(400, INVALID_INPUT, f"Country code '{iso2}' is not a valid ISO 3166-1 alpha-2 code.")
    return json_response(countries.country_rules(iso2))


@bp.post("/v1/validations/address")
def validate_address():
    return json_response(countries.validate_address(body_json()))


# customers -------------------------------------------------------------------

def _check_address(address: dict, country: str) -> str:
    """The country's rules (city, postal code, state) on a default address; its state upper-cased."""
    rules = countries.country_rules(country)
    if rules["isCityRequired"] and not (address.get("city") or "").strip():
        raise PCError(400, ADDRESS_INVALID, "defaultAddress.city is required.")
    postal = (address.get("postalCode") or "").strip()
    if rules["isPostalCodeRequired"] and not postal:
        raise PCError(400, ADDRESS_INVALID, "defaultAddress.postalCode is required.")
    if postal and rules["postalCodeRegex"] and not re.fullmatch(rules["postalCodeRegex"], postal):
        raise PCError(400, ADDRESS_INVALID,
                      f"The postal code '{postal}' is not valid for country {country}.")
    state = (address.get("state") or "").strip().upper()
    if rules["isStateRequired"] and state not in rules["supportedStatesList"]:
        raise PCError(400, ADDRESS_INVALID, f"The state '{state}' is not valid for country {country}.")
    if state:
        address["state"] = state
    return state


def _limit(value, name, low, high):
    length = len(value or "")
    if length < low or length > high:
        raise PCError(400, INVALID_INPUT,
                      f"{name} must be between {low} and {high} characters long (got {length}).")


def _create_customer(tx, body: dict):
    company = body.get("companyProfile") or {}
    billing = body.get("billingProfile") or {}
    address = billing.get("defaultAddress") or {}
    domain = (company.get("domain") or "").strip().lower()
    if not DOMAIN_RE.match(domain):
        raise PCError(400, DOMAIN_INVALID,
                      f"The domain '{domain}' is not valid: use a prefix of up to 27 letters and digits "
                      "followed by .onmicrosoft.com.")
    for tenant in tx.list("tenant"):
        if domain in [d.lower() for d in tenant["domains"]]:
            raise PCError(400, DOMAIN_TAKEN, f"The domain '{domain}' already exists. Choose another domain prefix.")

    for field in ("email", "companyName", "culture", "language"):
        if not (billing.get(field) or "").strip():
            raise PCError(400, INVALID_INPUT, f"billingProfile.{field} is required.")
    if not EMAIL_RE.match(billing["email"].strip()):
        raise PCError(400, INVALID_INPUT, "billingProfile.email is not a valid email address.")
    _limit(billing["companyName"], "billingProfile.companyName", 1, 255)
    _limit(address.get("firstName"), "defaultAddress.firstName", 1, 50)
    _limit(address.get("lastName"), "defaultAddress.lastName", 1, 50)
    _limit(address.get("addressLine1"), "defaultAddress.addressLine1", 1, 200)
    _limit(address.get("addressLine2"), "defaultAddress.addressLine2", 0, 200)
    _limit(address.get("state"), "defaultAddress.state", 0, 2)
    country = (address.get("country") or "")
    if not re.fullmatch(r"[A-Za-z]{2}", country):
        raise PCError(400, INVALID_INPUT, "defaultAddress.country must be a two-letter ISO 3166-1 code.")
    country = country.upper()
    state = _check_address(address, country)

    registration = (company.get("organizationRegistrationNumber") or "").strip()
    pattern = countries.REGISTRATION_ID_RULES.get(country)
    if pattern:
        if not registration:
            raise PCError(400, 600049,
                          f"Organization registration number is required for customers in {country}.")
        if not re.fullmatch(pattern, registration):
            raise PCError(400, 600050,
                          f"Organization registration number '{registration}' is invalid for {country}. "
                          f"It must match the regular expression {pattern}")
        if not (address.get("phoneNumber") or "").strip():
            raise PCError(400, 600051,
                          f"defaultAddress.phoneNumber is required for customers in {country}.")
    elif registration:
        raise PCError(400, 600002,
                      f"Organization registration number is not allowed for customers in {country}.")

    associated = (body.get("associatedPartnerId") or "").strip().lower()
    if associated:
        reseller = reseller_by_tenant(tx, associated)
        if reseller is None or not reseller["inNetwork"]:
            raise PCError(400, RESELLER_INVALID,
                          f"associatedPartnerId '{associated}' is not an indirect reseller of this partner.")

    now = tx.now()
    tenant_id = str(uuid.uuid4())
    stored_address = {k: v for k, v in address.items() if k != "attributes"}
    stored_address["country"] = country
    if state:
        stored_address["state"] = state
    tenant = {
        "id": tenant_id,
        "commerceId": str(uuid.uuid4()),
        "domain": domain,
        "domains": [domain],
        "defaultDomain": domain,
        "companyName": billing["companyName"].strip(),
        "organizationRegistrationNumber": registration or None,
        "billingProfile": {
            "email": billing["email"].strip(),
            "culture": billing["culture"],
            "language": billing["language"],
            "companyName": billing["companyName"].strip(),
            "firstName": billing.get("firstName") or address.get("firstName"),
            "lastName": billing.get("lastName") or address.get("lastName"),
            "defaultAddress": stored_address,
        },
        "createdAt": iso(now),
        "origin": "created",
        "otherPartners": [],
        "underReview": False,
        "relationship": {"type": "reseller", "since": iso(now), "via": "created"},
        "indirectResellers": [associated] if associated else [],
        "associatedPartnerId": associated or None,
    }
    tx.put("tenant", tenant_id, tenant)
    credentials = {"userName": "admin", "password": "Sbx-" + secrets.token_urlsafe(12),
                   "attributes": {"objectType": "UserCredentials"}}
    return 201, customer_json(tenant, credentials)


@bp.post("/v1/customers")
def create_customer():
    body = body_json()
    return idempotent("POST /v1/customers", lambda tx: _create_customer(tx, body))


def _encode_token(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def _decode_token(token: str) -> dict:
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        raise PCError(400, INVALID_INPUT, "The continuation token is not valid.")


@bp.get("/v1/customers")
def list_customers():
    if (query_arg("seekOperation") or "").lower() == "next":
        token = request.headers.get("MS-ContinuationToken", "")
        if not token:
            raise PCError(400, INVALID_INPUT, "seekOperation=Next requires the MS-ContinuationToken header.")
        state = _decode_token(token)
    else:
        size_text = query_arg("size", "0")
        try:
            size = int(size_text)
        except ValueError:
            raise PCError(400, INVALID_INPUT, "size must be an integer.")
        # size=0 is what Microsoft's customer-search examples send (get-a-customer-by-name,
        # get-customers-of-an-indirect-reseller) and what its SDK sends for a query without a page
        # size: the service's own page size. UNCONFIRMED: that page size and the upper limit;
        # the sandbox uses 500 for both.
        if size == 0:
            size = MAX_PAGE
        if not 1 <= size <= MAX_PAGE:
            raise PCError(400, INVALID_INPUT, f"size must be between 0 and {MAX_PAGE}.")
        raw_filter = query_arg("filter")
        parsed = None
        if raw_filter:
            try:
                parsed = {k.lower(): v for k, v in json.loads(raw_filter).items()}
            except (ValueError, AttributeError):
                raise PCError(400, INVALID_INPUT, "filter is not valid JSON.")
            if str(parsed.get("operator", "")).lower() != "starts_with":
                raise PCError(400, INVALID_INPUT, "Only the starts_with operator is supported.")
            if str(parsed.get("field", "")).lower() not in ("domain", "companyname", "indirectreseller"):
                raise PCError(400, INVALID_INPUT, "filter Field must be Domain, CompanyName or IndirectReseller.")
        state = {"offset": 0, "size": size, "filter": parsed}

    with store().tx(write=False) as tx:
        tenants = [t for t in tx.list("tenant") if t.get("relationship")]
    flt = state.get("filter")
    if flt:
        value = str(flt.get("value", "")).lower()
        field = str(flt["field"]).lower()

        def matches(t):
            # UNCONFIRMED: Domain matches any of the tenant's domains by prefix.
            if field == "domain":
                return any(d.lower().startswith(value) for d in t["domains"])
            if field == "companyname":
                return t["companyName"].lower().startswith(value)
            return any(r.lower().startswith(value) for r in t.get("indirectResellers", []))

        tenants = [t for t in tenants if matches(t)]
    offset, size = state["offset"], state["size"]
    page = tenants[offset:offset + size]
    links = {"self": link(f"/customers?size={size}")}
    extra = {}
    if offset + size < len(tenants):
        token = _encode_token({"offset": offset + size, "size": size, "filter": flt})
        links["next"] = link(f"/customers?size={size}&seekOperation=Next",
                             headers=[{"key": "MS-ContinuationToken", "value": token}])
        extra["continuationToken"] = token
    return json_response(collection([customer_listed_json(t) for t in page], links, **extra))


@bp.get("/v1/customers/<tenant_id>")
def get_customer(tenant_id):
    with store().tx(write=False) as tx:
        tenant = visible_customer(tx, tenant_id)
    return json_response(customer_json(tenant))


@bp.get("/v1/customers/<tenant_id>/profiles/company")
def company_profile(tenant_id):
    with store().tx(write=False) as tx:
        tenant = visible_customer(tx, tenant_id)
    return json_response(company_profile_json(tenant))


@bp.get("/v1/customers/<tenant_id>/profiles/billing")
def billing_profile(tenant_id):
    with store().tx(write=False) as tx:
        tenant = visible_customer(tx, tenant_id)
    return json_response(billing_profile_json(tenant))


def _update_billing_profile(tx, tenant_id: str, body: dict) -> dict:
    """``PUT /v1/customers/{id}/profiles/billing`` with the full resource and ``If-Match: "<etag>"``,
    "required for concurrency detection"
    (https://learn.microsoft.com/partner-center/developer/update-a-customer-s-billing-profile).
    A missing or stale etag is refused as Partner Center refuses a stale one elsewhere, 400 2055
    "Etag is no longer valid" (error-codes page; UNCONFIRMED for this route)."""
    tenant = visible_customer(tx, tenant_id)
    sent = (request.headers.get("If-Match") or "").strip().removeprefix("W/").strip('"')
    if sent != billing_etag(tenant):
        raise PCError(400, 2055, "Etag is no longer valid. The billing profile changed since it was read (or no "
                                 "If-Match was sent): GET it again and reapply the change.")
    address = {k: v for k, v in (body.get("defaultAddress") or {}).items() if k not in ("attributes", "links")}
    for field in ("email", "companyName", "culture", "language"):
        if not str(body.get(field) or "").strip():
            raise PCError(400, INVALID_INPUT, f"{field} is required.")
    if not EMAIL_RE.match(str(body["email"]).strip()):
        raise PCError(400, INVALID_INPUT, "email is not a valid email address.")
    _limit(address.get("firstName"), "defaultAddress.firstName", 1, 50)
    _limit(address.get("lastName"), "defaultAddress.lastName", 1, 50)
    _limit(address.get("addressLine1"), "defaultAddress.addressLine1", 1, 200)
    country = tenant["billingProfile"]["defaultAddress"].get("country")
    if str(address.get("country") or "").upper() != country:
        # UNCONFIRMED: a customer's country is fixed at creation (its market and currency follow it).
        raise PCError(400, INVALID_INPUT, f"defaultAddress.country cannot change (it is {country}).")
    _check_address(address, country)
    address["country"] = country
    tenant["billingProfile"] = {
        "email": str(body["email"]).strip(), "culture": body["culture"], "language": body["language"],
        "companyName": str(body["companyName"]).strip(), "firstName": body.get("firstName"),
        "lastName": body.get("lastName"), "defaultAddress": address,
    }
    tx.put("tenant", tenant["id"], tenant)
    return billing_profile_json(tenant)


@bp.put("/v1/customers/<tenant_id>/profiles/billing")
def update_billing_profile(tenant_id):
    body = body_json()
    with store().tx() as tx:
        return json_response(_update_billing_profile(tx, tenant_id, body))


@bp.get("/v1/customers/<tenant_id>/relationships")
def customer_relationships(tenant_id):
    with store().tx(write=False) as tx:
        tenant = visible_customer(tx, tenant_id)
        items = []
        for reseller_tenant in tenant.get("indirectResellers", []):
            reseller = reseller_by_tenant(tx, reseller_tenant)
            if reseller:
                items.append(reseller_relationship_json(reseller, "is_indirect_reseller_of"))
    return json_response(collection(items))


# relationship requests ---------------------------------------------------------

@bp.get("/v1/customers/relationshiprequests")
def relationship_request():
    operator = setting("SANDBOX_TENANT_ID")
    reseller_id = (query_arg("indirectResellerId") or "").strip().lower()
    public = setting("SANDBOX_PUBLIC_URL")
    if reseller_id:
        with store().tx(write=False) as tx:
            reseller = reseller_by_tenant(tx, reseller_id)
        if reseller is None or not reseller["inNetwork"]:
            raise PCError(400, RESELLER_INVALID,
                          f"indirectResellerId '{reseller_id}' is not an indirect reseller of this partner.")
        query = urlencode({"invType": "IndirectResellerRelationship", "partnerId": reseller["tenantId"],
                           "msppId": reseller["mpnId"], "indirectCSPId": operator, "DAP": "false"})
    else:
        query = urlencode({"invType": "ResellerRelationship", "partnerId": operator,
                           "msppId": "0", "DAP": "false"})
    url = f"{public}/Adminportal/Home?{query}#/BillingAccounts/partner-invitation"
    return json_response({"url": url, "attributes": {"objectType": "RelationshipRequest"}})


@bp.get("/v1/relationships")
def partner_relationships():
    kind = (query_arg("relationship_type") or "").lower()
    if kind != "isindirectcloudsolutionproviderof":
        raise PCError(400, INVALID_INPUT,
                      "relationship_type must be IsIndirectCloudSolutionProviderOf.")
    with store().tx(write=False) as tx:
        items = [reseller_relationship_json(r, "is_indirect_cloud_solution_provider_of")
                 for r in tx.list("reseller") if r["inNetwork"]]
    return json_response(collection(items))


# MPN profile and agreement status ------------------------------------------------

@bp.get("/v1/profiles/mpn")
def mpn_profile():
    mpn_id = (query_arg("mpnId") or "").strip()
    if not mpn_id or mpn_id == OPERATOR["mpnId"]:
        name, mpn_id = OPERATOR["name"], OPERATOR["mpnId"]
    else:
        with store().tx(write=False) as tx:
            reseller = tx.get("reseller", mpn_id)
        if reseller is None:
            raise PCError(404, 3000, f"Partner Organization with partner_id {mpn_id} could not be found")
        name = reseller["name"]
    return json_response({"partnerName": name, "mpnId": mpn_id, "profileType": "MpnProfile",
                          "links": {"self": link(f"/profiles/mpn?mpnId={mpn_id}")},
                          "attributes": {"objectType": "MpnProfile"}})


AGREEMENT_ERRORS = {
    "other_region": (2201, "The partner's MPN id belongs to a different region than the indirect provider."),
    "not_signed_region": (2203, "The partner has not signed the Microsoft Partner Agreement for this region."),
}


@bp.get("/v1/compliance/csp/agreementstatus")
def agreement_status():
    mpn_id = (query_arg("mpnId") or "").strip()
    tenant_id = (query_arg("tenantId") or "").strip().lower()
    if not mpn_id and not tenant_id:
        raise PCError(400, INVALID_INPUT, "Either mpnId or tenantId is required.")
    with store().tx(write=False) as tx:
        if mpn_id:
            if mpn_id == OPERATOR["mpnId"]:
                return json_response({"isAgreementSigned": True})
            reseller = tx.get("reseller", mpn_id)
            if reseller is None:
                raise PCError(400, 2200, f"The MPN id {mpn_id} is invalid.")
        else:
            if tenant_id == setting("SANDBOX_TENANT_ID"):
                return json_response({"isAgreementSigned": True})
            reseller = reseller_by_tenant(tx, tenant_id)
            if reseller is None:
                raise PCError(400, 2205, f"The tenant id {tenant_id} is invalid.")
    if reseller["agreement"] in AGREEMENT_ERRORS:
        code, description = AGREEMENT_ERRORS[reseller["agreement"]]
        raise PCError(400, code, description)
    return json_response({"isAgreementSigned": True})
