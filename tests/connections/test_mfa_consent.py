"""When Partner Center refuses App+User calls for want of MFA (401, 900421), the storefront says
so once, in admin > Partner Center, with what to do, instead of failing calls one by one; a
passing connection check after a fresh consent clears it."""
from __future__ import annotations

import pytest
from rq import SimpleWorker

from app.connections.services import in_process_sandbox
from app.jobs import get_queue
from app.partner_center import APP, MfaRequired
from tests.helpers import soup, text_of

NOTICE = "Partner Center needs a fresh consent with MFA"


def _consent_signed_in(app, *, mfa: bool) -> None:
    """The sandbox's consent behind the refresh token, signed in with or without MFA."""
    answer = in_process_sandbox(app).test_client().post("/_sandbox/tokens", json={"mfa": mfa})
    assert answer.status_code == 200 and answer.json["mfa"] is mfa


def _check(operator_client, redis) -> str:
    response = operator_client.post("/admin/partner-center/default/check")
    job_id = response.headers["Location"].split("check=")[1]
    SimpleWorker([get_queue()], connection=redis).work(burst=True)
    return text_of(operator_client.get(f"/admin/partner-center/checks/{job_id}", headers={"HX-Request": "true"}))


def test_an_mfa_refusal_is_shown_to_the_operator_once_with_the_steps(app, operator_client, pc_client, redis):
    assert NOTICE not in text_of(operator_client.get("/admin/partner-center/"))
    _consent_signed_in(app, mfa=False)

    with pytest.raises(MfaRequired) as refused:
        pc_client.get_mpn_profile("1234567")  # an App+User call
    assert refused.value.status == 401 and refused.value.code == "900421"
    assert pc_client.get_country_rules("US").iso2_code == "US"  # app-only calls go on

    page = soup(operator_client.get("/admin/partner-center/"))
    notice = page.select_one(".mfa-consent")
    assert notice is not None and NOTICE in notice.get_text()
    assert "GET /v1/profiles/mpn" in notice.get_text()
    assert notice.find("a", string="Sign-in and tokens")["href"].endswith("/_sandbox/tokens/admin")

    # The connection check says why it fails, and the notice stays until the consent is renewed.
    assert "needs a fresh consent with MFA" in _check(operator_client, redis)
    assert soup(operator_client.get("/admin/partner-center/")).select_one(".mfa-consent") is not None

    _consent_signed_in(app, mfa=True)
    assert "Connection works." in _check(operator_client, redis)
    assert NOTICE not in text_of(operator_client.get("/admin/partner-center/"))
    assert pc_client.get_mpn_profile("1234567").partner_name == "Adatum IT Services"


def test_app_only_work_is_not_affected(app, pc_client):
    _consent_signed_in(app, mfa=False)
    assert pc_client.tokens.get_token(APP)
    assert pc_client.is_domain_available("a-brand-new-prefix") is True


@pytest.mark.usefixtures("something_to_buy")  # it walks the checkout, which buys the cart
def test_a_person_checking_a_partner_id_is_told_the_consent_needs_renewing(app, reseller_client, db):
    from tests.checkout.test_customer_and_service import _adatum_without_partner_id, _choose_fabrikam

    _adatum_without_partner_id(db)
    _choose_fabrikam(reseller_client, db)
    _consent_signed_in(app, mfa=False)
    answer = reseller_client.post("/checkout/service/partner-id", {"partner_id": "1234567"}, htmx=True)
    assert "consent needs renewing with MFA" in text_of(answer)
    assert "Nothing you entered is lost" in text_of(answer)
    assert "admin >" not in text_of(answer)  # a reseller has no admin menu to look in


def test_an_order_that_hits_it_waits_querying_with_that_reason_until_processed(
        app, demo, db, redis, operator_client, sandbox_store):
    from datetime import timedelta

    from app.orders.models import Order
    from tests.support.orders import place, reseller_request, run_job, work

    _consent_signed_in(app, mfa=False)
    order = place(db, reseller_request(db, domain="mfawaits.onmicrosoft.com"))  # a customer for a reseller: App+User
    work(redis)
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "querying" and order.reason_code == "mfa_consent_needed"
    page = soup(operator_client.get(f"/orders/{order.number}"))
    assert NOTICE in page.select_one("#order-reason").get_text()
    assert "(Settings > Partner Center shows how)" in page.select_one("#order-steps-to-take").get_text()

    _consent_signed_in(app, mfa=True)
    assert operator_client.post(f"/orders/{order.number}/process", {}).status_code == 303
    run_job(order.id)
    sandbox_store.advance_clock(timedelta(minutes=1))  # the sandbox completes new orders after a few seconds
    assert run_job(order.id) == "completed"
