"""Import Partner Center customers (admin > Tools > Customer import): the reading lists the customers
the storefront does not know, with their indirect reseller; importing a direct and an indirect
customer brings their tenant and subscriptions; importing twice changes nothing."""
from __future__ import annotations

import csv
import io

from app.accounts.models import Account, Licensee, Tenant
from app.audit.models import AuditEvent
from app.subscriptions.models import Subscription
from app.tools.models import CustomerImportRun, ImportCandidate
from tests.helpers import soup, text_of
from tests.support.orders import line, work
from tests.support.subscriptions import BASIC, buy
from tests.support.tools import read_customers, run_reconciliation

WWI = "wideworldimporters.onmicrosoft.com"
ALPINE = "alpineskihouse.onmicrosoft.com"


def candidate(db, run, domain) -> ImportCandidate:
    return db.session.scalar(db.select(ImportCandidate).where(ImportCandidate.run_id == run.id,
                                                              ImportCandidate.domain == domain))


def import_as(client, run, found, target):
    return client.post(f"/admin/customer-import/runs/{run.id}/customers/{found.id}/import", {"target": target})


def test_the_reading_lists_only_the_customers_the_storefront_does_not_know(db, operator_client, redis, demo,
                                                                           sandbox_store):
    buy(db, domain="knownco.onmicrosoft.com", lines=[line(**BASIC, quantity=3)])  # a customer it knows
    sandbox_store.clear_calls()
    run = read_customers(operator_client, redis)
    assert run.status == "finished" and run.customers_read == 3 and run.candidates_count == 2
    assert "/v1/customers/" not in " ".join(c["path"] for c in sandbox_store.calls() if "knownco" in c["path"])
    page = soup(operator_client.get(f"/admin/customer-import/runs/{run.id}"))
    listed = {tr["data-domain"]: tr for tr in page.select("#candidates-table tbody tr[id]")}
    assert set(listed) == {WWI, ALPINE}
    assert listed[WWI].select_one(".candidate-reseller").get_text(strip=True) == "Direct customer"
    alpine = " ".join(listed[ALPINE].select_one(".candidate-reseller").get_text(" ").split())
    assert alpine == "Adatum IT Services (1234567) Account: Adatum IT Services"
    assert "Microsoft 365 Business Premium: 8 seats (active)" in listed[ALPINE].get_text()
    # The matching account comes first in each customer's choice.
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    assert listed[ALPINE].select("select option")[0]["value"] == f"reseller-{adatum.id}"
    assert listed[WWI].select("select option")[0]["value"] == "new"


def test_importing_a_direct_and_an_indirect_customer_and_again_changes_nothing(db, operator_client, redis, demo):
    run = read_customers(operator_client, redis)
    wwi, alpine = candidate(db, run, WWI), candidate(db, run, ALPINE)
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))

    response = import_as(operator_client, run, wwi, "new")
    assert response.status_code == 303
    assert "Wide World Importers (wideworldimporters.onmicrosoft.com): 1 subscription imported into Wide World " \
           "Importers." in text_of(operator_client.get(response.headers["Location"]))
    import_as(operator_client, run, alpine, f"reseller-{adatum.id}")
    db.session.expire_all()
    account = db.session.scalar(db.select(Account).where(Account.name == "Wide World Importers"))
    assert account.kind == "customer" and account.country == "US" and account.city == "Seattle"
    [sub] = db.session.scalars(db.select(Subscription).where(Subscription.tenant_domain == WWI)).all()
    assert (sub.account_id, sub.quantity, sub.product_title, sub.agreement.family) == (
        account.id, 12, "Microsoft 365 Business Standard", "Microsoft 365")
    assert db.session.scalar(db.select(Tenant).where(Tenant.domain == WWI)).account_id == account.id
    licensee = db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Alpine Ski House",
                                                           Licensee.reseller_id == adatum.id))
    assert (licensee.contact_first_name, licensee.contact_last_name, licensee.country) == ("Alex", "Wilber", "US")
    [premium] = db.session.scalars(db.select(Subscription).where(Subscription.tenant_domain == ALPINE)).all()
    assert premium.account_id == adatum.id and premium.agreement.licensee_id == licensee.id
    assert premium.customer_name == "Alpine Ski House" and premium.quantity == 8
    # The reseller sees it among its subscriptions.
    assert sorted(e.subject for e in db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "customer_imported"))) == [ALPINE, WWI]

    # Again, from this reading (the form sent twice) and from a new one: nothing changes.
    import_as(operator_client, run, wwi, "new")
    again = read_customers(operator_client, redis)
    assert again.candidates_count == 0
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Account.id)).where(Account.name == "Wide World Importers")) == 1
    assert db.session.scalar(db.select(db.func.count(Subscription.id))) == 2


def test_an_import_into_a_tenant_another_account_holds_is_refused(db, operator_client, redis, demo):
    tailspin = db.session.scalar(db.select(Account).where(Account.name == "Tailspin Toys"))
    run = read_customers(operator_client, redis)
    db.session.add(Tenant(domain=WWI, account_id=tailspin.id))  # claimed meanwhile, by domain
    db.session.commit()
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    response = import_as(operator_client, run, candidate(db, run, WWI), f"reseller-{adatum.id}")
    assert "belongs to Tailspin Toys in the storefront" in text_of(operator_client.get(response.headers["Location"]))
    assert db.session.scalar(db.select(db.func.count(Subscription.id))) == 0
    assert candidate(db, run, WWI).imported_at is None


def test_the_customers_filter_page_and_export_as_csv(db, operator_client, redis, demo):
    run = read_customers(operator_client, redis)
    page = soup(operator_client.get(f"/admin/customer-import/runs/{run.id}", query_string={"kind": "indirect"}))
    assert [tr["data-domain"] for tr in page.select("#candidates-table tbody tr[id]")] == [ALPINE]
    response = operator_client.get(page.select_one("#candidates-csv")["href"])
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table[0][:4] == ["Customer", "Domain", "Tenant id", "Kind"]
    assert table[1][:2] == ["Alpine Ski House", ALPINE] and table[1][3:6] == [
        "Indirect", "Adatum IT Services (1234567)", "Adatum IT Services"]
    page = soup(operator_client.get(f"/admin/customer-import/runs/{run.id}", query_string={"q": "wide"}))
    assert [tr["data-domain"] for tr in page.select("#candidates-table tbody tr[id]")] == [WWI]


def test_the_reading_follows_partner_centers_pages(db, demo, pc_client):
    from app.tools.customer_import_jobs import run_customer_import

    for n in range(3):
        pc_client.create_customer(domain=f"pagedco{n}x", company_name=f"Paged Co {n}", email=f"a@paged{n}.example.com",
                                  address={"addressLine1": "1 Main Street", "city": "Seattle", "state": "WA",
                                           "postalCode": "98101", "country": "US"}, first_name="Ann", last_name="Admin")
    run = CustomerImportRun(status="queued", problems=[])
    db.session.add(run)
    db.session.commit()
    assert run_customer_import(run.id, page_size=2) == {"status": "finished", "candidates": 5}
    assert (run.pages_read, run.customers_read) == (3, 5)


def test_the_progress_polls_and_only_operator_admins_import(db, operator_client, operator_member_client,
                                                            reseller_client, redis, demo):
    response = operator_client.post("/admin/customer-import", {})
    run_id = int(response.headers["Location"].rsplit("/", 1)[1])
    polled = operator_client.get(f"/admin/customer-import/runs/{run_id}/progress", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and soup(polled).select_one("#customer-import-progress")["hx-trigger"] == "every 1s"
    work(redis)
    assert operator_client.get(f"/admin/customer-import/runs/{run_id}/progress",
                               headers={"HX-Request": "true"}).status_code == 286
    page = soup(operator_member_client.get(f"/admin/customer-import/runs/{run_id}"))
    assert len(page.select("#candidates-table tbody tr[id]")) == 2 and page.select(".candidate-import form") == []
    run = db.session.get(CustomerImportRun, run_id)
    assert operator_member_client.post(f"/admin/customer-import/runs/{run_id}/customers/{run.candidates[0].id}/import",
                                       {"target": "new"}).status_code == 403
    assert operator_member_client.post("/admin/customer-import", {}).status_code == 403
    assert reseller_client.get("/admin/customer-import").status_code == 403


def test_the_demo_story_import_then_drift_made_in_partner_center_shows_on_the_next_reconciliation(
        db, operator_client, redis, demo, app):
    """README: on a fresh sandbox import offers both customers; after importing them, changing Wide World
    Importers' seats or auto-renewal on the sandbox's controls shows up as drift on the next run."""
    from app.connections.services import in_process_sandbox

    run = read_customers(operator_client, redis)
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    import_as(operator_client, run, candidate(db, run, WWI), "new")
    import_as(operator_client, run, candidate(db, run, ALPINE), f"reseller-{adatum.id}")
    assert run_reconciliation(operator_client, redis).findings_count == 0

    wwi = db.session.scalar(db.select(Subscription).where(Subscription.tenant_domain == WWI))
    controls = in_process_sandbox(app).test_client()
    answer = controls.post(f"/_sandbox/subscriptions/{wwi.ms_subscription_id}",
                           json={"quantity": 15, "autoRenewEnabled": False})
    assert answer.status_code == 200
    drift = run_reconciliation(operator_client, redis)
    assert sorted((f.kind, f.storefront_value, f.partner_center_value) for f in drift.findings) == [
        ("auto_renew", "On", "Off"), ("quantity", "12", "15")]
