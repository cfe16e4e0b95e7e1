"""The agreement rules orders follow without importing subscriptions: registered with orders when
the app is built, asked in their place (the agreements' claim on a tenant before its tenant row)."""
from __future__ import annotations

from app.accounts.models import Account, Tenant
from app.orders import tenancy
from app.orders.placing import PLACEMENT_RULES
from app.subscriptions.agreements import one_agreement_per_tenant_and_line
from app.subscriptions.models import Agreement
from tests.support.orders import licensee

DOMAIN = "heldbyagreement.onmicrosoft.com"


def _adatum_holds_the_tenant(db) -> tuple[Account, Agreement]:
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    agreement = Agreement(number="AGR-HELD-0001", account_id=adatum.id, licensee_id=licensee(db).id,
                          tenant_domain=DOMAIN, tenant_id="0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
                          family="Microsoft 365")
    # Its tenant row too: the agreement's words must win, since its claim is asked first.
    db.session.add_all([agreement, Tenant(domain=DOMAIN, account_id=adatum.id, licensee_id=licensee(db).id)])
    db.session.commit()
    return adatum, agreement


def test_another_organisations_agreement_claims_the_tenant_by_domain_or_id(demo, db):
    adatum, agreement = _adatum_holds_the_tenant(db)
    litware = db.session.scalar(db.select(Account).where(Account.partner_id == "2345678"))

    by_domain = tenancy.claim_on(litware.id, None, DOMAIN.upper(), None)
    by_id = tenancy.claim_on(litware.id, None, "other.onmicrosoft.com", agreement.tenant_id.upper())

    assert by_domain == by_id == tenancy.Claim(True, "it belongs to another organisation's agreement.")


def test_the_agreement_of_another_customer_of_the_same_reseller_is_named(demo, db):
    adatum, _ = _adatum_holds_the_tenant(db)
    litware_inc = licensee(db, "Litware, Inc.")

    claim = tenancy.claim_on(adatum.id, litware_inc.id, DOMAIN, None)

    assert claim == tenancy.Claim(False, "it belongs to your customer Fabrikam, Inc.")
    assert tenancy.refusal(claim) == ("This tenant is already used for another of your customers: it belongs to "
                                      "your customer Fabrikam, Inc.")
    assert tenancy.claim_on(adatum.id, licensee(db).id, DOMAIN, None) is None  # its own customer's tenant


def test_placing_asks_the_agreement_rule(app):
    assert one_agreement_per_tenant_and_line in PLACEMENT_RULES
