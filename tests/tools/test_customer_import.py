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
    assert response.status_code == 422  # said at the customer's row, the page as it was
    assert "belongs to Tailspin Toys in the storefront" in soup(response).select_one(
        f"#candidate-{candidate(db, run, WWI).id} .candidate-import").get_text(" ")
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


def _row(response, found):
    return soup(response).select_one(f"#candidate-{found.id}")


def test_an_indirect_customer_is_offered_and_imported_only_as_a_licensee_of_its_reseller_in_partner_center(
        db, operator_client, redis, demo):
    """Partner Center records Adatum as Alpine Ski House's indirect reseller: the second reseller,
    Litware, is not offered, and a form that asks for it anyway is refused at the field, nothing
    imported. The demo's Fourth Coffee Reseller has a licensee of that name (migrated): the row says so."""
    run = read_customers(operator_client, redis)
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    litware = db.session.scalar(db.select(Account).where(Account.partner_id == "2345678"))
    alpine = candidate(db, run, ALPINE)
    row = _row(operator_client.get(f"/admin/customer-import/runs/{run.id}"), alpine)
    assert [(o["value"], o.get_text()) for o in row.select("select option")] == [
        (f"reseller-{adatum.id}", "Licensee of Adatum IT Services")]
    assert " ".join(row.select_one(".namesakes").get_text().split()) == (
        "Fourth Coffee Reseller already has a licensee named Alpine Ski House in the storefront, with no tenant "
        "recorded: importing leaves it as it is; ask Fourth Coffee Reseller whether it is the same company.")

    response = import_as(operator_client, run, alpine, f"reseller-{litware.id}")
    assert response.status_code == 422
    row = _row(response, alpine)
    select = row.select_one("select[name=target]")
    error = row.select_one(f"#{select['aria-describedby']}")
    assert " ".join(error.get_text().split()) == (
        "Partner Center records Adatum IT Services (partner ID 1234567) as the indirect reseller of Alpine Ski House: "
        "it can be imported only as a licensee of Adatum IT Services, not into another account.")
    assert select["aria-invalid"] == "true"
    assert import_as(operator_client, run, alpine, "new").status_code == 422  # nor as a direct customer
    def alpines():
        db.session.expire_all()
        return sorted(lic.reseller.name for lic in db.session.scalars(db.select(Licensee).where(
            Licensee.company_name == "Alpine Ski House")))

    assert alpines() == ["Fourth Coffee Reseller"]
    assert db.session.scalar(db.select(db.func.count(Subscription.id))) == 0
    assert candidate(db, run, ALPINE).imported_at is None

    response = import_as(operator_client, run, alpine, f"reseller-{adatum.id}")
    assert response.status_code == 303
    assert "ask Fourth Coffee Reseller whether it is the same company" in text_of(
        operator_client.get(response.headers["Location"]))
    assert alpines() == ["Adatum IT Services", "Fourth Coffee Reseller"]


def test_the_note_names_several_resellers_with_a_licensee_of_that_name_in_plain_english(db, operator_client, redis,
                                                                                        demo):
    """It said "ask Fourth Coffee Reseller, Litware Systems whether …", a list without its "and"."""
    litware = db.session.scalar(db.select(Account).where(Account.partner_id == "2345678"))
    db.session.add(Licensee(reseller_id=litware.id, company_name="Alpine Ski House", country="PL",
                            contact_first_name="Anna", contact_last_name="Nowak", email="it@alpine.example.com"))
    db.session.commit()
    run = read_customers(operator_client, redis)
    alpine = candidate(db, run, ALPINE)
    row = _row(operator_client.get(f"/admin/customer-import/runs/{run.id}"), alpine)
    assert " ".join(row.select_one(".namesakes").get_text().split()) == (
        f"Fourth Coffee Reseller and {litware.name} already have licensees named Alpine Ski House in the storefront, "
        "with no tenant recorded: importing leaves them as they are; ask Fourth Coffee Reseller and "
        f"{litware.name} whether it is the same company.")


def test_a_customer_another_reading_imported_meanwhile_for_one_reseller_cannot_become_anothers(
        db, operator_client, redis, demo):
    earlier = read_customers(operator_client, redis)
    later = read_customers(operator_client, redis)
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    litware = db.session.scalar(db.select(Account).where(Account.partner_id == "2345678"))
    assert import_as(operator_client, later, candidate(db, later, ALPINE), f"reseller-{adatum.id}").status_code == 303

    stale = candidate(db, earlier, ALPINE)
    row = _row(operator_client.get(f"/admin/customer-import/runs/{earlier.id}"), stale)
    assert row.select("form") == []
    assert " ".join(row.select_one(".candidate-import").get_text(" ").split()) == (
        f"Its tenant {ALPINE} belongs to Adatum IT Services in the storefront now: there is nothing left to import.")
    response = import_as(operator_client, earlier, stale, f"reseller-{litware.id}")
    assert response.status_code == 422
    assert "belongs to Adatum IT Services in the storefront now" in _row(response, stale).select_one(
        "[role=alert]").get_text()
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Licensee.id)).where(Licensee.reseller_id == litware.id,
                                                                       Licensee.company_name == "Alpine Ski House")) == 0
    assert db.session.scalar(db.select(Tenant).where(Tenant.domain == ALPINE)).account_id == adatum.id


def test_a_direct_customer_is_not_offered_to_resellers(db, operator_client, redis, demo):
    run = read_customers(operator_client, redis)
    wwi = candidate(db, run, WWI)
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    row = _row(operator_client.get(f"/admin/customer-import/runs/{run.id}"), wwi)
    values = [o["value"] for o in row.select("select option")]
    assert values[0] == "new" and not [v for v in values if v.startswith("reseller-")]
    response = import_as(operator_client, run, wwi, f"reseller-{adatum.id}")
    assert response.status_code == 422
    assert _row(response, wwi).select_one(".field-error").get_text().startswith(
        "Partner Center records no indirect reseller for Wide World Importers: import it as a direct customer.")
    assert db.session.scalar(db.select(db.func.count(Licensee.id)).where(
        Licensee.company_name == "Wide World Importers")) == 0


def test_an_indirect_customer_whose_reseller_has_no_account_waits_for_that_account(db, operator_client, redis, demo):
    from tests.factories import AccountFactory

    run = read_customers(operator_client, redis)
    alpine = candidate(db, run, ALPINE)
    alpine.reseller_tenant_id, alpine.reseller_partner_id, alpine.reseller_name = (
        "4c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e7f", "5678901", "Fourth Coffee IT")
    db.session.commit()
    row = _row(operator_client.get(f"/admin/customer-import/runs/{run.id}"), alpine)
    assert row.select("form") == []
    assert " ".join(row.select_one(".not-offered").get_text().split()) == (
        "Partner Center records Fourth Coffee IT (partner ID 5678901) as its indirect reseller, and no reseller account "
        "matches: add that reseller under Partners > Accounts, then import the customer as its licensee.")
    assert import_as(operator_client, run, alpine, "new").status_code == 422

    assert row.select_one(".candidate-reseller .hint").get_text() == "No reseller account matches"
    fourth = AccountFactory(name="Fourth Coffee IT", partner_id="5678901")
    row = _row(operator_client.get(f"/admin/customer-import/runs/{run.id}"), alpine)
    assert [o["value"] for o in row.select("select option")] == [f"reseller-{fourth.id}"]
    assert row.select_one(".candidate-reseller .hint").get_text() == "Account: Fourth Coffee IT"  # as matched now


def test_a_reading_of_one_customer_says_one_customer(db, operator_client, demo):
    from app.tools.customer_import import finish

    run = CustomerImportRun(status="running", problems=[], customers_read=1, pages_read=1)
    db.session.add(run)
    db.session.flush()
    finish(run)
    db.session.commit()
    page = soup(operator_client.get(f"/admin/customer-import/runs/{run.id}"))
    assert page.select_one("#import-message").get_text(strip=True) == (
        "1 Partner Center customer read; 0 are not known to the storefront.")
    assert page.select_one("#import-figures").get_text(strip=True) == "1 customer on 1 page"


def test_a_new_direct_customer_account_from_an_import_says_nobody_can_sign_in_yet_and_links_its_page(
        db, operator_client, redis, demo):
    """The account an import creates has no user: the operator is told to invite its first admin, and the
    imported row links to the account's page, where Invite an account admin is."""
    run = read_customers(operator_client, redis)
    response = import_as(operator_client, run, candidate(db, run, WWI), "new")
    account = db.session.scalar(db.select(Account).where(Account.name == "Wide World Importers"))
    page = soup(operator_client.get(response.headers["Location"].replace("state=pending", "state=all")))
    assert ("Nobody can sign in to Wide World Importers yet: invite its first admin on its page."
            in " ".join(page.select_one("#flash-region").get_text().split()))
    link = page.select_one(f"#candidate-{candidate(db, run, WWI).id} .candidate-import a")
    assert link["href"] == f"/admin/accounts/{account.id}" and link.get_text() == "Wide World Importers"

    # Into an existing account with users: no such words.
    alpine = candidate(db, run, ALPINE)
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    response = import_as(operator_client, run, alpine, f"reseller-{adatum.id}")
    assert "Nobody can sign in" not in text_of(operator_client.get(response.headers["Location"]))


def test_a_customer_with_no_subscription_says_so_in_words(db, operator_client, redis, demo):
    """A Partner Center customer with no subscription yet (a tenant just created) is listed with "No
    subscriptions", not "None"."""
    run = read_customers(operator_client, redis)
    found = candidate(db, run, WWI)
    found.subscriptions = []
    db.session.flush()
    page = soup(operator_client.get(f"/admin/customer-import/runs/{run.id}"))
    assert page.select_one(f"#candidate-{found.id} .candidate-subscriptions").get_text(strip=True) == "No subscriptions"
