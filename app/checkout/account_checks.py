"""Account checks before an order is placed: is the customer's account under review at Microsoft,
and has the reseller signed the Microsoft Partner Agreement for the region the order is placed in?

Microsoft's checkout refuses both (403 800073-800075 for an account under review or not approved;
a reseller without the agreement is not accepted as partner of record), but only once the order is
recorded and being provisioned, which leaves a querying order behind. Asked when the buyer presses
Buy, the buyer is told in plain words and nothing is recorded yet.

These are calls a person waits on: the person client (app/connections/person.py), one attempt, a
short timeout and the per-user limit.
"""
from __future__ import annotations

from app.accounts.countries import country_name
from app.checkout.models import CheckoutDraft
from app.connections.person import TooFast, partner_center_problem, person_client
from app.partner_center import PartnerAgreementNotSigned, PartnerCenterError
from app.partners import network

# The order's country -> the region a reseller signs the Microsoft Partner Agreement for.
# UNCONFIRMED: Microsoft's agreement-status check answers for the distributor's own region and takes
# no country (https://learn.microsoft.com/partner-center/developer/verify-indirect-reseller-mpa-status,
# codes 2201 "different region" and 2203 "not signed for this region"); the names below are the CSP
# regions the storefront's countries belong to, so the buyer knows which agreement is meant.
REGIONS = {
    "US": "North America", "CA": "North America",
    "PL": "Europe", "GB": "Europe", "DE": "Europe", "FR": "Europe", "NL": "Europe",
    "IN": "Asia Pacific", "AU": "Asia Pacific",
    "BR": "Latin America",
}

NOT_PLACED = "Your order has not been placed, and nothing you entered is lost."


def region_of(country: str | None) -> str:
    code = (country or "").upper()
    return REGIONS.get(code, country_name(code) or "this region")


def _under_review(draft: CheckoutDraft) -> str:
    whose = f"{draft.customer_name}'s account" if draft.is_reseller else "your company's account"
    return (f"Microsoft is reviewing {whose} (tenant {draft.default_domain or draft.domain}), and does not accept "
            "orders for it until the review is finished; this usually takes one to three business days. "
            f"{NOT_PLACED} Place the order again once Microsoft has approved the account; the distributor can "
            "follow the review in Partner Center and may be asked for documents about the company.")


def _not_approved(draft: CheckoutDraft) -> str:
    whose = f"{draft.customer_name}'s account" if draft.is_reseller else "your company's account"
    return (f"Microsoft has not approved {whose} (tenant {draft.default_domain or draft.domain}), so it does not "
            f"accept orders for it. {NOT_PLACED} Contact the distributor: it can ask Microsoft why in Partner "
            "Center.")


def _no_partner_agreement(draft: CheckoutDraft, refused: PartnerCenterError) -> str:
    country = draft.customer_country
    region = region_of(country)
    where = f"{region} (the region of {country_name(country)}, where this order is placed)"
    who = f"{draft.account.name} (partner ID {draft.partner_id})"
    if refused.code == "2201":
        problem = (f"{who} is registered with Microsoft in another region than {where}, so Microsoft would not "
                   "accept it as the reseller on this order.")
    elif refused.code == "2203":
        problem = (f"{who} has not signed the Microsoft Partner Agreement for {where}, so Microsoft would not "
                   "accept it as the reseller on this order.")
    else:
        reason = refused.reason if isinstance(refused, PartnerAgreementNotSigned) else "it has no agreement status"
        problem = f"Microsoft does not accept {who} as a reseller for {where}: {reason}."
    return (f"{problem} {NOT_PLACED} To go on, sign in to Partner Center as {draft.account.name}, accept the "
            f"Microsoft Partner Agreement for {region} (Account settings > Legal info), and make sure you are an "
            "indirect reseller of your distributor there; then place the order again.")


def check_before_placing(draft: CheckoutDraft, user_id: int) -> str | None:
    """None when Microsoft would take the order, else what to tell the buyer. Partner Center down,
    throttling or the per-user limit are said too: the order waits, it is not placed blind."""
    existing = draft.tenant_mode == "existing" and draft.tenant_id
    reseller = draft.is_reseller and draft.partner_id
    if not (existing or reseller):
        return None
    try:
        client = person_client(user_id)
        if existing:
            # https://learn.microsoft.com/partner-center/developer/retrieve-validation-status
            status = client.get_validation_status(draft.tenant_id)
            if status.under_review:
                return _under_review(draft)
            if status.not_allowed:
                return _not_approved(draft)
        if reseller:
            refused = network.agreement_refusal(client, draft.partner_id)
            if refused is not None:
                return _no_partner_agreement(draft, refused)
    except TooFast as too_fast:
        return too_fast.message
    except PartnerCenterError as error:
        return partner_center_problem(error)
    return None
