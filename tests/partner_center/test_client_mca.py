"""Contract: the Microsoft Customer Agreement as Microsoft documents it today, and a customer's
account validation status, client against the sandbox over HTTP.

- the enhanced attestation (app-only) and the agreement created with its id;
- reading back the customer's agreements and whether it accepted the MCA itself (App+User);
- renewing an attestation dated before 1 April 2023;
- the customer's validation status (App+User).
"""
from datetime import datetime, timezone

import pytest

from app.partner_center import (
    Agreement,
    EnhancedAttestation,
    PartnerCenterAuthError,
    ValidationStatus,
)
from app.partner_center.agreements import MCA_ATTESTATION_CUTOFF
from tests.partner_center.pc_support import CONTACT, new_customer


def _direct_signed(sbx, tenant_id: str, signed: bool = True) -> None:
    """Microsoft's side: the customer accepted the MCA itself in the Microsoft 365 admin center."""
    assert sbx.test_client().post(f"/_sandbox/customers/{tenant_id}/mca", json={"directSigned": signed}).status_code == 200


def test_enhanced_attestation_then_the_agreement_with_its_id(pc_client, sbx_store):
    customer = new_customer(pc_client)
    attestation = pc_client.create_enhanced_attestation(contact=CONTACT, company_name="Test Company", country="us")
    assert isinstance(attestation, EnhancedAttestation) and attestation.attestation_id
    sent = sbx_store.documents("attestation")[0]
    assert (sent["country"], sent["language"], sent["signatoryEmail"]) == ("US", "en", "alex@example.com")

    when = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
    agreement = pc_client.attest_mca(customer.id, contact=CONTACT, company_name="Test Company", country="US",
                                     date_agreed=when)
    assert isinstance(agreement, Agreement) and agreement.type == "MicrosoftCustomerAgreement"
    assert agreement.raw["attestationId"] and agreement.date_agreed == when
    listed = pc_client.list_agreements(customer.id)
    assert [a.raw.get("attestationId") for a in listed] == [agreement.raw["attestationId"]]
    # The same contact again: Partner Center says it exists (600061), which is done.
    assert pc_client.attest_mca(customer.id, contact=CONTACT, company_name="Test Company", country="US") is None


def test_the_two_calls_of_a_retried_attestation_are_idempotent(pc_client, sbx_store):
    customer = new_customer(pc_client)
    request_id = "7d0c1f4e-2b9a-4c8d-9e1f-0a2b3c4d5e6f"
    first = pc_client.attest_mca(customer.id, contact=CONTACT, company_name="Test Company", country="US",
                                 request_id=request_id)
    again = pc_client.attest_mca(customer.id, contact=CONTACT, company_name="Test Company", country="US",
                                 request_id=request_id)
    assert again is not None and again.raw["attestationId"] == first.raw["attestationId"]
    assert len(sbx_store.documents("attestation")) == 1
    assert len(sbx_store.documents("agreement", customer.id)) == 1
    ids = {c["requestId"] for c in sbx_store.calls(method="POST", path_prefix="/v1/")}
    assert request_id not in ids  # each call has its own id, derived from the step's


def test_direct_signed_status_and_the_mca_state(pc_client, sbx):
    customer = new_customer(pc_client)
    assert pc_client.get_direct_signed_status(customer.id).is_signed is False
    state = pc_client.mca_state(customer.id)
    assert not state.accepted and not state.needs_renewal
    _direct_signed(sbx, customer.id)
    assert pc_client.get_direct_signed_status(customer.id).is_signed is True
    assert pc_client.mca_state(customer.id).accepted
    how, agreement = pc_client.ensure_current_mca(customer.id, contact=CONTACT, company_name="Test Company",
                                                  country="US")
    assert (how, agreement) == ("direct_signed", None)


def test_an_attestation_older_than_microsoft_accepts_is_renewed(pc_client, sbx_store):
    customer = new_customer(pc_client)
    template = pc_client.current_agreement_template().template_id
    pc_client.attest_agreement(customer.id, contact=CONTACT, template_id=template,
                               date_agreed=datetime(2022, 11, 30, tzinfo=timezone.utc))
    state = pc_client.mca_state(customer.id)
    assert state.needs_renewal and [a.date_agreed < MCA_ATTESTATION_CUTOFF for a in state.stale] == [True]
    how, renewed = pc_client.ensure_current_mca(customer.id, contact=CONTACT, company_name="Test Company",
                                                country="US")
    assert how == "renewed" and renewed.raw["attestationId"]
    assert renewed.date_agreed >= MCA_ATTESTATION_CUTOFF
    how, current = pc_client.ensure_current_mca(customer.id, contact=CONTACT, company_name="Test Company",
                                                country="US")
    assert how == "current" and current.raw["attestationId"] == renewed.raw["attestationId"]
    assert len(sbx_store.documents("agreement", customer.id)) == 2


def test_each_call_goes_with_its_token_kind(make_pc):
    app_only = make_pc(refresh_token=None)
    customer = new_customer(app_only)
    # The enhanced attestation and its agreement are app-only: an app-only storefront can attest.
    template = make_pc().current_agreement_template().template_id
    assert app_only.attest_mca(customer.id, contact=CONTACT, company_name="Test Company", country="US",
                               template_id=template) is not None
    # The direct-signed status and the validation status are App+User only.
    for call in (app_only.get_direct_signed_status, app_only.get_validation_status):
        with pytest.raises(PartnerCenterAuthError):
            call(customer.id)


def test_validation_status(pc_client, sbx_store):
    customer = new_customer(pc_client)
    status = pc_client.get_validation_status(customer.id)
    assert isinstance(status, ValidationStatus) and status.type == "Account"
    assert not status.under_review and not status.not_allowed and status.last_updated is not None
    assert sbx_store.calls(path=f"/v1/customers/{customer.id}/validationStatus")[0]["query"] == "type=account"
    sbx_store.set_under_review(customer.id, True)
    assert pc_client.get_validation_status(customer.id).under_review


@pytest.mark.parametrize("word,under_review,not_allowed", [
    ("UnderReview", True, False), ("under_review", True, False), ("Allowed", False, False),
    ("NotAllowed", False, True), ("Rejected", False, True), (None, False, False)])
def test_validation_status_words(word, under_review, not_allowed):
    status = ValidationStatus.from_json({"type": "account", "status": word})
    assert (status.under_review, status.not_allowed) == (under_review, not_allowed)
