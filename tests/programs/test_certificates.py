"""Enrolling in the CSP Partner Program: the job asks Partner Center (the sandbox, over HTTP), the
certificate is active or pending with what to fix, Process sends a corrected MPN ID back, and every
certificate is its own account's."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.models import Account
from app.programs.models import Certificate
from app.time import utcnow
from tests.helpers import soup, text_of
from tests.support.orders import ADATUM_TENANT, work

FOURTH_COFFEE_TENANT = "4c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e7f"


def _adatum(db) -> Account:
    return db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))


def _certificates(db, account) -> list[Certificate]:
    db.session.expire_all()
    return db.session.scalars(db.select(Certificate).where(Certificate.account_id == account.id)
                              .order_by(Certificate.id)).all()


def _expire_demo_certificate(db, account) -> Certificate:
    """The demo's active certificate ends (as time would end it), so Adatum may enrol again."""
    demo = _certificates(db, account)[0]
    demo.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    return demo


def _enroll(client, partner_id, email="partners@adatum.example.com", country="US"):
    return client.post("/programs/enroll", {"partner_id": partner_id, "contact_email": email, "country": country})


def _enrolled_and_checked(client, db, redis, partner_id) -> Certificate:
    """Adatum's demo certificate ends, Adatum enrols with `partner_id` and the worker runs the check:
    the new certificate as the check left it."""
    adatum = _adatum(db)
    _expire_demo_certificate(db, adatum)
    assert _enroll(client, partner_id).status_code == 303
    work(redis)
    return _certificates(db, adatum)[-1]


def _process(client, certificate_id, partner_id, email="partners@adatum.example.com", country="US"):
    return client.post(f"/programs/certificates/{certificate_id}/process",
                       {"partner_id": partner_id, "contact_email": email, "country": country})


def test_programs_page_shows_the_program_its_terms_and_the_demo_certificate(reseller_client, db):
    page = soup(reseller_client.get("/programs"))
    assert page.select_one("#program-heading").get_text() == "CSP Partner Program"
    assert "Microsoft Partner Agreement" in page.select_one(".program-terms").get_text()
    assert page.find("a", string="Enroll")["href"] == "/programs/enroll"
    [row] = page.select("table.certificates tbody tr")
    assert "1234567" in row.get_text() and row.select_one(".badge").get_text() == "Active"
    assert page.select_one(".program-gate") is None


def test_the_reseller_menu_has_programs(reseller_member_client):
    nav = soup(reseller_member_client.get("/"))
    assert nav.find("a", string="Programs")["href"] == "/programs"


def test_enrolling_a_valid_mpn_id_runs_the_check_as_a_job_and_activates(reseller_client, db, redis, sandbox_store):
    adatum = _adatum(db)
    _expire_demo_certificate(db, adatum)
    before = len(sandbox_store.calls())
    response = _enroll(reseller_client, "1234567")
    assert response.status_code == 303
    certificate = _certificates(db, adatum)[-1]
    assert response.headers["Location"].endswith(f"/programs/certificates/{certificate.id}")
    assert certificate.status == "pending" and certificate.checking
    assert len(sandbox_store.calls()) == before  # the request asked nothing of Microsoft
    page = soup(reseller_client.get(f"/programs/certificates/{certificate.id}"))
    assert "Partner Center is checking your MPN ID 1234567" in page.select_one("#certificate-status").get_text()
    assert page.select_one("#certificate-status")["hx-trigger"] == "every 2s"

    work(redis)

    certificate = _certificates(db, adatum)[-1]
    assert certificate.status == "active" and certificate.indirect_reseller_id == ADATUM_TENANT
    assert (certificate.expires_at - certificate.activated_at).days == 365
    # Partner Center was asked: the MPN profile, the agreement status and the reseller network.
    assert sandbox_store.calls(method="GET", path="/v1/profiles/mpn")
    assert sandbox_store.calls(method="GET", path="/v1/compliance/csp/agreementstatus")
    assert sandbox_store.calls(method="GET", path="/v1/relationships")
    fragment = reseller_client.get(f"/programs/certificates/{certificate.id}/status", headers={"HX-Request": "true"})
    assert fragment.status_code == 286  # the poll stops
    assert soup(fragment).select_one("#certificate-status-label").get_text(strip=True) == "Active"
    parameters = soup(reseller_client.get(f"/programs/certificates/{certificate.id}?tab=parameters"))
    assert parameters.select_one("#param-mpn-id").get_text() == "1234567"
    assert parameters.select_one("#param-indirect-reseller-id").get_text() == ADATUM_TENANT
    assert parameters.select_one("#process-button") is None  # an active certificate is not edited


def test_an_invalid_mpn_id_leaves_it_pending_with_the_steps_and_process_corrects_it(reseller_client, db, redis):
    adatum = _adatum(db)
    certificate = _enrolled_and_checked(reseller_client, db, redis, "9999999")
    assert certificate.status == "pending" and certificate.problem_code == "mpn_unknown"
    general = soup(reseller_client.get(f"/programs/certificates/{certificate.id}"))
    assert general.select_one("#certificate-status-label").get_text(strip=True) == "Pending"
    assert ("The MPN ID you gave (9999999) is not valid"
            in general.select_one(".certificate-problem").get_text())
    steps = [li.get_text() for li in general.select(".steps-to-take li")]
    assert "Correct the MPN ID on the Parameters tab of this certificate and press Process." in steps
    assert any("Identifiers" in step for step in steps)

    parameters = soup(reseller_client.get(f"/programs/certificates/{certificate.id}?tab=parameters"))
    assert parameters.select_one("#ordering-heading").get_text() == "Ordering parameters"
    assert parameters.select_one("#fulfillment-heading").get_text() == "Fulfillment parameters"
    assert parameters.select_one("input#partner_id")["value"] == "9999999"
    # A wrong format is said next to the field and keeps what was typed.
    refused = _process(reseller_client, certificate.id, "12ab")
    assert refused.status_code == 422
    page = soup(refused)
    assert page.select_one("#partner_id-error").get_text() == "A partner ID is a number of up to 10 digits, like 1234567."
    assert page.select_one("input#partner_id")["value"] == "12ab"

    processed = _process(reseller_client, certificate.id, "1234567")
    assert processed.status_code == 303
    work(redis)
    certificate = _certificates(db, adatum)[-1]
    assert certificate.status == "active" and certificate.partner_id == "1234567" and certificate.problem is None


def test_partner_center_failing_is_said_in_plain_words_with_what_to_do(reseller_client, db, redis, sandbox_store):
    """Partner Center answering 500: the reseller read Microsoft's own words with two full stops, "Partner Center
    could not be asked about MPN ID 1234567: Unexpected service error. Please retry..", as if the reseller had to
    make sense of them."""
    sandbox_store.inject_fault("*", "/v1/", "error", count=50)
    certificate = _enrolled_and_checked(reseller_client, db, redis, "1234567")
    assert certificate.status == "pending" and certificate.problem_code == "unavailable"
    page = soup(reseller_client.get(f"/programs/certificates/{certificate.id}"))
    assert " ".join(page.select_one(".certificate-problem").get_text().split()) == (
        "MPN ID 1234567 could not be checked yet: Partner Center did not answer, a problem on Microsoft's side.")
    assert [li.get_text() for li in page.select(".steps-to-take li")] == [
        "Press Process on the Parameters tab to try again in a few minutes."]


@pytest.mark.parametrize("partner_id, code, words", [
    ("3456789", "agreement", "The Microsoft Partner Agreement is not accepted for MPN ID 3456789"),
    ("5678901", "tenant", "Partner Center lists MPN ID 5678901 under another tenant"),
])
def test_a_requirement_not_met_is_named(reseller_client, db, redis, partner_id, code, words):
    certificate = _enrolled_and_checked(reseller_client, db, redis, partner_id)
    assert certificate.status == "pending" and certificate.problem_code == code
    page = soup(reseller_client.get(f"/programs/certificates/{certificate.id}"))
    assert words in page.select_one(".certificate-problem").get_text()


def test_without_its_partner_center_tenant_the_account_cannot_prove_an_mpn_id_is_its_own(reseller_client, db, redis):
    """Partner Center's network lists which tenant an MPN ID is under; an account with no Partner Center tenant ID
    (a migrated one, say) cannot show it is that tenant, so another reseller's MPN ID would have passed. The
    certificate stays pending until the operator adds the tenant ID; Process then checks it again."""
    adatum = _adatum(db)
    adatum.partner_tenant_id = None
    db.session.commit()
    certificate = _enrolled_and_checked(reseller_client, db, redis, "5678901")  # Fourth Coffee IT's
    assert certificate.status == "pending" and certificate.problem_code == "tenant_missing"
    page = soup(reseller_client.get(f"/programs/certificates/{certificate.id}"))
    assert page.select_one("#certificate-status-label").get_text(strip=True) == "Pending"
    assert page.select_one(".certificate-problem").get_text(strip=True) == (
        "Adatum IT Services has no Partner Center tenant ID here, so nothing shows that MPN ID 5678901 is your "
        "own partner location.")
    assert [li.get_text() for li in page.select(".steps-to-take li")] == [
        "Ask Northwind Cloud Distribution to add your Partner Center tenant ID to your account (a GUID: in "
        "Partner Center > Account settings > Organization profile).",
        "Then press Process on the Parameters tab: the certificate is checked again."]
    # With the tenant added, Process checks it again: Fourth Coffee IT's MPN ID is under another tenant.
    adatum = _adatum(db) or db.session.get(Account, certificate.account_id)
    adatum.partner_tenant_id = ADATUM_TENANT
    db.session.commit()
    assert _process(reseller_client, certificate.id, "5678901").status_code == 303
    work(redis)
    assert _certificates(db, adatum)[-1].problem_code == "tenant"


def test_an_mpn_id_proven_by_enrolment_becomes_the_accounts_partner_id(reseller_client, db, redis):
    """As at checkout, the first partner ID a reseller proves is its account's: the home page showed "not set"
    beside an active certificate, and checkout asked for the MPN ID again."""
    adatum = _adatum(db)
    adatum.partner_id = None
    db.session.commit()
    _expire_demo_certificate(db, adatum)
    assert "Partner ID (MPN ID) not set" in soup(reseller_client.get("/")).select_one(".lead").get_text(" ", strip=True)
    assert _enroll(reseller_client, "1234567").status_code == 303
    work(redis)
    assert _certificates(db, adatum)[-1].status == "active"
    assert soup(reseller_client.get("/")).select_one(".lead").get_text(" ", strip=True) == \
        "Adatum IT Services · Partner ID (MPN ID) 1234567"


def test_an_agreement_not_accepted_is_said_in_one_plain_sentence_and_partner_centers_words(reseller_client, db, redis):
    """It read "in United States's region (Partner Center says ... (partner ID 3456789).)." before."""
    certificate = _enrolled_and_checked(reseller_client, db, redis, "3456789")
    page = soup(reseller_client.get(f"/programs/certificates/{certificate.id}"))
    assert page.select_one(".certificate-problem").get_text(strip=True) == (
        "The Microsoft Partner Agreement is not accepted for MPN ID 3456789 in the region of its partner location "
        "(United States). Partner Center says the Microsoft Partner Agreement is not signed for this region "
        "(partner ID 3456789).")


def test_enrolment_refuses_another_resellers_mpn_id_and_a_second_active_one(reseller_client, db):
    adatum = _adatum(db)
    other = _enroll(reseller_client, "2345678")
    assert other.status_code == 422
    page = soup(other)
    assert "belongs to another reseller" in page.select_one("#partner_id-error").get_text()
    assert page.select_one("input#partner_id")["value"] == "2345678"
    again = soup(_enroll(reseller_client, "1234567"))
    assert "is active already" in again.select_one("#partner_id-error").get_text()
    missing = soup(reseller_client.post("/programs/enroll", {"partner_id": "", "contact_email": "x", "country": ""}))
    assert missing.select_one("#partner_id-error").get_text() == "Enter your MPN ID."
    assert missing.select_one("#contact_email-error").get_text() == "Enter an email address like name@example.com."
    assert missing.select_one("#country-error").get_text() == "Choose the country of your partner location."
    assert len(_certificates(db, adatum)) == 1


def test_process_refuses_an_mpn_id_whose_certificate_is_active_already(reseller_client, db, redis):
    """Enrolling refuses an MPN ID with an active certificate; correcting a pending one to that MPN ID and pressing
    Process let its check activate a second certificate of it."""
    adatum = _adatum(db)
    active = _certificates(db, adatum)[0]
    assert active.status == "active" and active.partner_id == "1234567"
    _enroll(reseller_client, "9999999")
    work(redis)
    pending = _certificates(db, adatum)[-1]
    assert pending.status == "pending"
    refused = _process(reseller_client, pending.id, "1234567")
    assert refused.status_code == 422
    page = soup(refused)
    assert page.select_one("#partner_id-error").get_text() == (
        f"Certificate {active.number} for MPN ID 1234567 is active already; enroll again once it has expired.")
    assert page.select_one("input#partner_id")["value"] == "1234567"
    db.session.expire_all()
    assert db.session.get(Certificate, pending.id).partner_id == "9999999"
    assert _process(reseller_client, pending.id, "9999999").status_code == 303  # its own MPN ID still goes


def test_the_enroll_form_starts_from_the_account(reseller_client, db):
    """It offers the account's MPN ID, unless a certificate has it already (Enroll would be refused at once):
    then it says so and leaves the field for another MPN ID."""
    active = _certificates(db, _adatum(db))[0]
    page = soup(reseller_client.get("/programs/enroll"))
    assert page.select_one("#already-enrolled").get_text(" ", strip=True) == (
        f"Certificate {active.number} for MPN ID 1234567 is active already; enroll again once it has expired. "
        "To enroll another MPN ID, enter it below.")
    assert page.select_one("input#partner_id").get("value", "") == ""
    assert page.select_one("input#contact_email")["value"] == "reseller@example.com"
    assert page.select_one("select#country option[selected]")["value"] == "US"

    active.expires_at = utcnow() - timedelta(days=1)  # expired: enrolling again renews it
    db.session.commit()
    page = soup(reseller_client.get("/programs/enroll"))
    assert page.select_one("#already-enrolled") is None
    assert page.select_one("input#partner_id")["value"] == "1234567"


def test_certificates_are_their_own_accounts(reseller_client, reseller2_client, customer_client, operator_client, db):
    adatum_certificate = _certificates(db, _adatum(db))[0]
    url = f"/programs/certificates/{adatum_certificate.id}"
    assert reseller_client.get(url).status_code == 200
    for intruder in (reseller2_client, customer_client):
        assert intruder.get(url).status_code == 404
        assert intruder.get(url + "/status").status_code == 404
        assert _process(intruder, adatum_certificate.id, "2345678", "a@b.example.com", "PL").status_code == 404
    assert operator_client.get(url).status_code == 403  # the operator reads it under admin
    assert operator_client.get(f"/admin/programs/certificates/{adatum_certificate.id}").status_code == 200
    # Litware's own page lists only its own certificate.
    litware_page = text_of(reseller2_client.get("/programs"))
    assert "2345678" in litware_page and adatum_certificate.number not in litware_page


def test_a_direct_customer_needs_no_certificate(customer_client):
    page = soup(customer_client.get("/programs"))
    assert "you need no certificate" in page.get_text()
    assert page.find("a", string="Enroll") is None
    assert customer_client.get("/programs/enroll").status_code == 404
    assert soup(customer_client.get("/catalog/products")).select_one(".program-gate") is None


def test_process_is_refused_for_a_certificate_that_is_not_pending(reseller_client, db):
    certificate = _certificates(db, _adatum(db))[0]
    response = _process(reseller_client, certificate.id, "7654321", "a@adatum.example.com")
    assert response.status_code == 409
    assert ("is active: only a pending certificate can be changed and processed"
            in soup(response).select_one(".alert-error").get_text())
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).partner_id == "1234567"


def test_every_certificate_status_has_a_coloured_badge():
    """The status badge of the Programs pages (badge status-<status>) was drawn without colour: the stylesheet had no
    rule for any of them, so Active, Pending, Refused and Expired all looked alike."""
    import os
    import re

    from app.programs.models import CertificateStatus

    css = open(os.path.join(os.path.dirname(__file__), "..", "..", "static", "css", "app.css")).read()
    for status in CertificateStatus:
        rule = re.search(rf"\.badge\.status-{status.value} {{([^}}]*)}}", css)
        assert rule and "background" in rule.group(1) and "color" in rule.group(1), status
