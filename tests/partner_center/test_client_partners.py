"""Contract: partner ID (MPN) profiles, MPA agreement status, the reseller network, the
relationship request link and accepting it, MCA templates and attestation."""

from datetime import datetime, timezone

import pytest

from app.partner_center import (
    Agreement,
    AgreementAlreadyExists,
    AgreementTemplate,
    Contact,
    NoRelationship,
    NotFound,
    PartnerAgreementNotSigned,
    PartnerCenterAuthError,
    PartnerIdUnknown,
)
from tests.partner_center.pc_support import (
    ADATUM,
    CONTACT,
    FABRIKAM_ID,
    LITWARE,
    TENANT_ID,
    new_customer,
)
from tests.support.sandbox import accept_relationship


def test_mpn_profile_known(pc_client):
    profile = pc_client.get_mpn_profile("1234567")
    assert profile.mpn_id == "1234567" and profile.partner_name == "Adatum IT Services"
    assert profile.profile_type == "MpnProfile"
    own = pc_client.get_mpn_profile()
    assert own.partner_name


def test_unknown_partner_id_is_partner_id_unknown(pc_client):
    with pytest.raises(PartnerIdUnknown) as info:
        pc_client.get_mpn_profile(9999999)
    err = info.value
    assert err.code == "3000" and err.status == 404
    assert isinstance(err, NotFound)
    assert "9999999" in err.description
    assert err.request_id and err.correlation_id


def test_agreement_status_signed(pc_client):
    assert pc_client.get_agreement_status("1234567").is_agreement_signed is True
    assert pc_client.get_agreement_status(LITWARE[0]).is_agreement_signed is True
    assert pc_client.get_agreement_status(tenant_id=ADATUM[1]).is_agreement_signed is True


@pytest.mark.parametrize("mpn,code", [("3456789", "2203"), ("4567890", "2201"), ("9999999", "2200")])
def test_agreement_status_not_signed_keeps_code(pc_client, mpn, code):
    with pytest.raises(PartnerAgreementNotSigned) as info:
        pc_client.get_agreement_status(mpn)
    assert info.value.code == code and info.value.status == 400
    assert info.value.reason


def test_agreement_status_needs_one_id(pc_client):
    with pytest.raises(ValueError):
        pc_client.get_agreement_status()


def test_indirect_resellers(pc_client):
    resellers = {r.mpn_id: r for r in pc_client.list_indirect_resellers()}
    assert set(resellers) == {"1234567", "2345678", "5678901"}
    adatum = resellers["1234567"]
    assert adatum.id == ADATUM[1] and adatum.is_active and adatum.name == "Adatum IT Services"
    assert adatum.relationship_type == "is_indirect_cloud_solution_provider_of"


def test_relationship_request_direct_and_indirect_then_accept(pc_client, sbx_url):
    direct = pc_client.get_relationship_request()
    assert "invType=ResellerRelationship" in direct.url and f"partnerId={TENANT_ID}" in direct.url
    indirect = pc_client.get_relationship_request(indirect_reseller_id=ADATUM[1])
    assert "invType=IndirectResellerRelationship" in indirect.url
    assert "msppId=1234567" in indirect.url and f"indirectCSPId={TENANT_ID}" in indirect.url

    # Before the customer's admin accepts, Partner Center does not show the tenant.
    with pytest.raises(NoRelationship):
        pc_client.get_customer(FABRIKAM_ID)
    assert pc_client.try_get_customer(FABRIKAM_ID) is None
    assert pc_client.find_customer_by_domain("fabrikam.onmicrosoft.com") is None

    accept_relationship(sbx_url, indirect.url, tenant_id=FABRIKAM_ID)

    customer = pc_client.try_get_customer(FABRIKAM_ID)
    assert customer.domain == "fabrikam.onmicrosoft.com" and customer.relationship_to_partner
    assert pc_client.find_customer_by_domain("fabrikam").id == FABRIKAM_ID
    assert [r.mpn_id for r in pc_client.list_customer_relationships(FABRIKAM_ID)] == ["1234567"]


def test_app_user_operations_need_a_refresh_token(make_pc, sbx_store):
    app_only = make_pc(refresh_token=None)
    for call in (
        lambda: app_only.get_mpn_profile("1234567"),
        app_only.list_indirect_resellers,
        app_only.get_relationship_request,
        app_only.list_agreement_templates,
    ):
        with pytest.raises(PartnerCenterAuthError) as info:
            call()
        assert "sandbox-test" in str(info.value)
    assert sbx_store.calls(path_prefix="/v1/") == []


def test_mca_templates_and_attestation(pc_client, sbx_store):
    templates = pc_client.list_agreement_templates()
    assert [t.agreement_type for t in templates] == ["MicrosoftCustomerAgreement"]
    assert isinstance(templates[0], AgreementTemplate) and templates[0].agreement_link
    template = pc_client.current_agreement_template()
    assert template.template_id == templates[0].template_id
    assert sbx_store.calls(path="/v1/agreements")[0]["query"] == "agreementType=MicrosoftCustomerAgreement"

    customer = new_customer(pc_client)
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    agreement = pc_client.attest_agreement(customer.id, contact=CONTACT, template_id=template.template_id, date_agreed=when)
    assert isinstance(agreement, Agreement)
    assert agreement.template_id == template.template_id and agreement.type == "MicrosoftCustomerAgreement"
    assert agreement.date_agreed == when
    assert agreement.primary_contact.email == "alex@example.com"

    with pytest.raises(AgreementAlreadyExists) as info:
        pc_client.attest_agreement(customer.id, contact=CONTACT, template_id=template.template_id)
    assert info.value.code == "600061"
    assert pc_client.ensure_agreement(customer.id, contact=CONTACT, template_id=template.template_id) is None

    other = Contact(first_name="Bo", last_name="Lee", email="bo@example.com")
    assert pc_client.ensure_agreement(customer.id, contact=other, template_id=template.template_id) is not None

    listed = pc_client.list_agreements(customer.id)
    assert sorted(a.primary_contact.email for a in listed) == ["alex@example.com", "bo@example.com"]
