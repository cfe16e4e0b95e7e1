"""Querying orders: what blocks them, the steps to take, editing ordering parameters, Process."""
from __future__ import annotations

from app.accounts.models import Account
from app.accounts.models import Notification
from app.orders.models import Order
from app.subscriptions.models import Agreement
from tests.helpers import soup, text_of
from tests.support.orders import existing_customer, place, reseller_request, run_job, work


def _reload(db, order):
    db.session.expire_all()
    return db.session.get(Order, order.id)


def test_a_customer_under_review_queries_until_the_operator_processes_it(
        demo, db, redis, sandbox_store, pc_client, operator_client, reseller_client):
    tenant_id = existing_customer(pc_client, "underreview")
    sandbox_store.set_under_review(tenant_id, True)
    order = place(db, reseller_request(db, domain="underreview.onmicrosoft.com", tenant_mode="existing",
                                       tenant_id=tenant_id))
    work(redis)
    order = _reload(db, order)
    assert order.status == "querying" and order.reason_code == "customer_under_review"
    assert order.step("checkout").status == "blocked"
    assert db.session.scalars(db.select(Notification.title).order_by(Notification.id)).all() == [
        f"Order {order.number} placed", f"Order {order.number} needs action"]

    # The reseller sees what blocks it and the steps to take.
    page = reseller_client.get(f"/orders/{order.number}")
    assert page.status_code == 200
    assert "Microsoft is reviewing the customer's account" in soup(page).select_one("#order-reason").get_text()
    assert "press Process" in soup(page).select_one("#order-steps-to-take").get_text()
    assert soup(page).select_one("#order-status").get_text() == "Querying"

    # Microsoft finishes its review; the operator releases the order with Process.
    sandbox_store.set_under_review(tenant_id, False)
    detail = operator_client.get(f"/orders/{order.number}")
    assert soup(detail).select_one("#process-button").get_text() == "Process"
    response = operator_client.post(f"/orders/{order.number}/process", {})
    assert response.status_code == 303 and response.headers["Location"] == f"/orders/{order.number}"
    assert _reload(db, order).status == "processing"
    work(redis)
    order = _reload(db, order)
    assert order.status == "completed"
    assert len(sandbox_store.documents("order", tenant_id)) == 1
    assert len(sandbox_store.documents("cart", tenant_id)) == 1  # the same cart, checked out on the second try
    titles = db.session.scalars(db.select(Notification.title).order_by(Notification.id)).all()
    assert titles == [f"Order {order.number} placed", f"Order {order.number} needs action",
                      f"Order {order.number} completed"]


def test_process_is_refused_unless_querying(demo, db, reseller_client):
    order = place(db, reseller_request(db))
    page = reseller_client.get(f"/orders/{order.number}")
    assert soup(page).select_one("#process-button") is None
    response = reseller_client.post(f"/orders/{order.number}/process", {})
    assert response.status_code == 409
    assert "Only an order that is querying can be processed" in text_of(response)


def _domain_taken_order(db, sandbox_store):
    # contoso.onmicrosoft.com exists at Microsoft (another partner's customer), unknown to the storefront.
    order = place(db, reseller_request(db, domain="contoso.onmicrosoft.com"))
    assert run_job(order.id) == "querying"
    return order


def test_a_taken_domain_is_edited_saved_and_processed(demo, db, redis, sandbox_store, reseller_client):
    order = _domain_taken_order(db, sandbox_store)
    assert order.reason_code == "domain_taken" and "the domain name must be updated" in order.reason
    assert order.blocked_field == "domain"

    parameters = reseller_client.get(f"/orders/{order.number}?tab=parameters")
    page = soup(parameters)
    assert page.select_one("#param-domain").get_text() == "contoso.onmicrosoft.com"
    assert page.select_one("#param-partner-id").get_text() == "1234567"
    edit = page.select_one("#edit-ordering")
    assert edit.get_text() == "Edit"
    form = soup(reseller_client.get(edit["href"]))
    assert form.select_one("#domain")["value"] == "contoso.onmicrosoft.com"
    assert form.find("button", string="Save") is not None

    # Bad input: 422, the message next to the field, what was typed kept.
    bad = reseller_client.post(f"/orders/{order.number}/parameters",
                               {"domain": "not a domain!", "tenant_id": "nope", "registration_id": "", "phone": ""})
    assert bad.status_code == 422
    page = soup(bad)
    assert "Enter a domain like contoso.onmicrosoft.com" in page.select_one("#domain-error").get_text()
    assert page.select_one("#domain")["value"] == "not a domain!"
    assert "A tenant ID looks like" in page.select_one("#tenant_id-error").get_text()

    saved = reseller_client.post(f"/orders/{order.number}/parameters",
                                 {"domain": "contosofresh", "tenant_id": "", "registration_id": "", "phone": ""})
    assert saved.status_code == 303
    order = _reload(db, order)
    assert order.domain == "contosofresh.onmicrosoft.com" and order.status == "querying"
    assert reseller_client.post(f"/orders/{order.number}/process", {}).status_code == 303
    work(redis)
    order = _reload(db, order)
    assert order.status == "completed"
    assert sandbox_store.tenant_by_domain("contosofresh.onmicrosoft.com")["id"] == order.tenant_id


def test_the_domain_in_use_rule_applies_to_edits_and_shows_on_both_tabs(demo, db, sandbox_store, reseller_client):
    order = _domain_taken_order(db, sandbox_store)
    tailspin = db.session.scalar(db.select(Account).where(Account.kind == "customer"))
    db.session.add(Agreement(number="AGR-TAKE-N001", account_id=tailspin.id, tenant_domain="takenbyother.onmicrosoft.com",
                             family="Microsoft 365"))
    db.session.commit()
    refused = reseller_client.post(f"/orders/{order.number}/parameters",
                                   {"domain": "takenbyother.onmicrosoft.com", "tenant_id": "", "registration_id": "",
                                    "phone": ""}, htmx=True)
    assert refused.status_code == 422
    assert soup(refused).select_one("#domain-error").get_text().startswith("This domain is already in use:")
    assert soup(refused).select_one("#domain")["value"] == "takenbyother.onmicrosoft.com"
    assert _reload(db, order).domain == "contoso.onmicrosoft.com"

    # Someone else's agreement now holds the order's own domain: both tabs say so, Process refuses.
    db.session.add(Agreement(number="AGR-TAKE-N002", account_id=tailspin.id, tenant_domain="contoso.onmicrosoft.com",
                             family="Microsoft 365"))
    db.session.commit()
    general = soup(reseller_client.get(f"/orders/{order.number}"))
    assert general.select_one(".domain-problem").get_text().startswith("This domain is already in use:")
    parameters = soup(reseller_client.get(f"/orders/{order.number}?tab=parameters"))
    assert parameters.select_one("#domain-in-use").get_text().startswith("This domain is already in use:")
    response = reseller_client.post(f"/orders/{order.number}/process", {})
    assert response.status_code == 422
    assert _reload(db, order).status == "querying"


def test_parameters_cannot_be_edited_unless_querying(demo, db, reseller_client):
    order = place(db, reseller_request(db))
    page = soup(reseller_client.get(f"/orders/{order.number}?tab=parameters"))
    assert page.select_one("#edit-ordering") is None
    response = reseller_client.post(f"/orders/{order.number}/parameters",
                                    {"domain": "other", "tenant_id": "", "registration_id": "", "phone": ""})
    assert response.status_code == 303
    assert _reload(db, order).domain == "fabrikamnew.onmicrosoft.com"


def test_a_polish_registration_id_microsoft_refused_is_said_in_words_and_checked_when_edited(
        demo, db, redis, sandbox_store, reseller_client):
    from tests.support.orders import licensee, line

    litware = licensee(db, "Litware, Inc.")
    order = place(db, reseller_request(
        db, domain="litwareparams.onmicrosoft.com", licensee_id=litware.id, company_name="Litware, Inc.",
        country="PL", registration_id="12-34", phone="+48 22 555 0134",
        address={"addressLine1": "ul. Marszalkowska 100", "city": "Warszawa", "postalCode": "00-026", "country": "PL"},
        lines=[line(currency="PLN", price="25.00")]))
    assert run_job(order.id) == "querying"
    # Microsoft quotes a regular expression (^\d{10}$); the reseller reads it in words.
    reason = soup(reseller_client.get(f"/orders/{order.number}")).select_one("#order-reason").get_text()
    assert "The company registration ID 12-34 is not valid for customers in Poland. Microsoft expects 10 digits." in reason
    assert "^" not in reason and "\\d" not in reason and "must match" not in reason

    # The Parameters form checks the registration ID with the country's rules, as the checkout does.
    bad = reseller_client.post(f"/orders/{order.number}/parameters", {
        "domain": "litwareparams", "tenant_id": "", "registration_id": "abc", "phone": "+48 22 555 0134"})
    assert bad.status_code == 422
    page = soup(bad)
    assert page.select_one("#registration_id-error").get_text() == (
        "A Polish company registration ID (NIP) has 10 digits, like 5260250274.")
    assert page.select_one("#registration_id")["value"] == "abc"
    assert _reload(db, order).registration_id == "12-34"  # nothing saved

    # Typed with the country prefix and the usual dashes, it is kept as Microsoft takes it.
    saved = reseller_client.post(f"/orders/{order.number}/parameters", {
        "domain": "litwareparams", "tenant_id": "", "registration_id": "PL 526-025-02-74", "phone": "+48 22 555 0134"})
    assert saved.status_code == 303
    assert _reload(db, order).registration_id == "5260250274"
    assert reseller_client.post(f"/orders/{order.number}/process", {}).status_code == 303
    work(redis)
    order = _reload(db, order)
    assert order.status == "completed"
    created = sandbox_store.tenant_by_domain("litwareparams.onmicrosoft.com")
    assert created is not None


def test_a_querying_order_says_what_blocks_it_once_on_the_page_and_in_its_live_progress(
        demo, db, sandbox_store, reseller_client):
    order = _domain_taken_order(db, sandbox_store)
    for response in (reseller_client.get(f"/orders/{order.number}"),
                     reseller_client.get(f"/orders/{order.number}/progress", headers={"HX-Request": "true"})):
        assert text_of(response).count(order.reason) == 1
        page = soup(response)
        assert order.reason in page.select_one(".order-blocker").get_text()
        # The blocked step says it needs action and leaves the reason to the alert above.
        blocked = page.select_one('.provisioning-step[data-step="create_customer"]')
        assert blocked.select_one(".step-status").get_text() == "Needs action"


def test_a_failed_order_gives_its_reason_once(demo, db, pc_client, reseller_client):
    from tests.support.orders import line
    tenant_id = existing_customer(pc_client, "toomanyonce")
    order = place(db, reseller_request(db, domain="toomanyonce.onmicrosoft.com", tenant_mode="existing",
                                       tenant_id=tenant_id, lines=[line(quantity=300000)]))
    assert run_job(order.id) == "failed"
    response = reseller_client.get(f"/orders/{order.number}")
    assert text_of(response).count(order.reason) == 1
    assert order.reason in soup(response).select_one(".alert-error").get_text()


def test_the_address_of_a_refused_order_form_reloaded_leads_back_to_the_order(demo, db, sandbox_store, reseller_client):
    """Without JavaScript a refused Parameters form is shown again at /orders/<number>/parameters; a reload of
    it (a GET), or of Process's or the GDAP check's address, leads back to the order instead of a 405."""
    order = _domain_taken_order(db, sandbox_store)
    refused = reseller_client.post(f"/orders/{order.number}/parameters",
                                   {"domain": "not a domain!", "tenant_id": "", "registration_id": "", "phone": ""})
    assert refused.status_code == 422
    for action in ("parameters", "process", "gdap"):
        reloaded = reseller_client.get(f"/orders/{order.number}/{action}")
        assert (reloaded.status_code, reloaded.headers["Location"]) == (303, f"/orders/{order.number}")


def test_only_a_querying_order_says_its_domain_is_in_use(demo, db, sandbox_store, reseller_client):
    """A processing order is in the worker's hands (a domain taken at Microsoft sends it to querying, above):
    nobody could act on the message, so its page does not say it; the querying order's page does (above)."""
    order = place(db, reseller_request(db, domain="heldelsewhere.onmicrosoft.com"))
    assert order.status == "processing"
    tailspin = db.session.scalar(db.select(Account).where(Account.kind == "customer"))
    db.session.add(Agreement(number="AGR-TAKE-N003", account_id=tailspin.id,
                             tenant_domain="heldelsewhere.onmicrosoft.com", family="Microsoft 365"))
    db.session.commit()
    page = reseller_client.get(f"/orders/{order.number}")
    assert page.status_code == 200
    shown = soup(page)
    assert "Status: Processing" in " ".join(shown.select_one("main").get_text(" ").split())
    assert shown.select_one(".domain-problem") is None
    assert "This domain is already in use" not in shown.get_text()
