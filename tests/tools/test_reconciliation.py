"""Subscriptions reconciliation (admin > Tools > Reconciliation): runs against the sandbox seeded with
drift, the findings page, the corrections (one and bulk), and a second run that is clean."""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from types import SimpleNamespace

import pytest

from app.accounts.models import Account, Notification
from app.audit.models import AuditEvent
from app.orders.models import Order
from app.subscriptions.models import Subscription
from app.tools.models import FindingKind, ReconciliationFinding, ReconciliationRun
from app.tools.reconciliation import differences
from tests.helpers import soup, text_of
from tests.support.orders import line, run_job, work
from tests.support.subscriptions import BASIC, STANDARD, buy, remote
from tests.support.tools import run_reconciliation

WWI = "wideworldimporters.onmicrosoft.com"
ALPINE = "alpineskihouse.onmicrosoft.com"


def findings_page(client, run, **args):
    return soup(client.get(f"/admin/reconciliation/runs/{run.id}", query_string=args))


def rows(page) -> dict[str, list[str]]:
    """Finding rows of the page: id -> [kind, customer, product, storefront, Partner Center]."""
    return {tr["id"]: [" ".join(td.get_text(" ").split()) for td in tr.select("td")[1:6]]
            for tr in page.select("#findings-table tbody tr[id]")}


def finding_ids(db, run, kind) -> list[str]:
    return [str(f.id) for f in db.session.scalars(db.select(ReconciliationFinding).where(
        ReconciliationFinding.run_id == run.id, ReconciliationFinding.kind == kind)
        .order_by(ReconciliationFinding.id))]


def correct(client, run, ids, correction, **extra):
    return client.post(f"/admin/reconciliation/runs/{run.id}/corrections",
                       {"finding": ids, "correction": correction, "apply": "bulk", **extra})


@pytest.fixture
def drift(demo, db, sandbox_store, pc_client):
    """Two subscriptions bought through the storefront, then, in Partner Center: the first one's seats
    changed and its auto-renewal turned off; the second one deleted (missing in Partner Center). The
    sandbox's seed already holds two subscriptions the storefront does not know (WWI, Alpine)."""
    first, second = buy(db, domain="driftco.onmicrosoft.com",
                        lines=[line(**BASIC, quantity=10), line(**STANDARD, quantity=4)])
    pc_client.set_subscription_quantity(first.tenant_id, first.ms_subscription_id, 13)
    pc_client.set_subscription_auto_renew(first.tenant_id, first.ms_subscription_id, False)
    with sandbox_store.tx() as tx:  # gone from Partner Center (as if it had never been created there)
        tx.delete("subscription", second.ms_subscription_id)
    return first, second


def test_a_run_reports_each_kind_of_drift_and_the_subscriptions_the_storefront_does_not_know(
        db, operator_client, redis, sandbox_store, drift):
    first, second = drift
    sandbox_store.clear_calls()
    run = run_reconciliation(operator_client, redis)
    assert run.status == "finished" and run.customers_total == run.customers_done == 3
    assert run.subscriptions_checked == 2 and run.findings_count == 5
    # One list call per customer, the customers listed once, and the unknown ones' details read.
    paths = [c["path"] for c in sandbox_store.calls(method="GET")]
    assert paths.count(f"/v1/customers/{first.tenant_id}/subscriptions") == 1
    assert not sandbox_store.calls(method="PATCH") and not sandbox_store.calls(method="POST")

    page = findings_page(operator_client, run)
    counts = {tr["data-kind"]: tr.select("td")[1].get_text() for tr in page.select("#finding-counts tbody tr")}
    assert counts == {"missing_in_partner_center": "1", "unknown_to_storefront": "2", "quantity": "1",
                      "auto_renew": "1"}
    found = sorted(rows(page).values())
    by_kind = {r[0]: r for r in found if r[0] != "Unknown to the storefront"}
    assert by_kind["Seats differ"][3:] == ["10", "13"]
    assert by_kind["Auto-renewal differs"][3:] == ["On", "Off"]
    assert by_kind["Missing in Partner Center"][3:] == ["Active", "Not found"]
    unknown = sorted(r[1] for r in found if r[0] == "Unknown to the storefront")
    assert unknown[0].startswith("Alpine Ski House") and ALPINE in unknown[0]
    assert unknown[1].startswith("Wide World Importers") and WWI in unknown[1]
    # Each finding offers the corrections that make sense for it.
    buttons = {tr.select("td")[1].get_text(): [b.get_text(" ", strip=True).split(" (")[0]
                                              for b in tr.select("button[name=apply]")]
               for tr in page.select("#findings-table tbody tr[id]")}
    assert buttons["Seats differ"] == ["Take Partner Center's value", "Push the storefront's value"]
    assert buttons["Missing in Partner Center"] == ["Mark cancelled in the storefront"]
    assert buttons["Unknown to the storefront"] == ["Import into an account"]
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "reconciliation_started")).details[
        "scope"] == "All subscriptions"


def test_a_term_or_billing_plan_that_differs_reads_in_words(app):
    """The operator reads "1 month" against "1 year", as every other page says a term, not Partner Center's
    P1M and P1Y; and "Monthly" against "Annual" for the billing plan."""
    row = Subscription(status="active", quantity=5, auto_renew=True, term_duration="P1M", billing_plan="monthly",
                       friendly_name="Basic")
    in_partner_center = SimpleNamespace(status="active", quantity=5, auto_renew_enabled=True, term_duration="P1Y",
                             billing_cycle="annual", commitment_end_date=None, scheduled_next_term_instructions=None,
                             friendly_name="Basic")
    found = {kind: (ours, theirs) for kind, ours, theirs in differences(row, in_partner_center)}
    assert found[FindingKind.TERM] == ("1 month", "1 year")
    assert found[FindingKind.BILLING] == ("Monthly", "Annual")


def test_corrections_make_the_next_run_clean(db, operator_client, redis, sandbox_store, drift):
    first, second = drift
    run = run_reconciliation(operator_client, redis)

    # Push the storefront's values (10 seats, auto-renewal on): one order, sent through the usual job.
    pushed = finding_ids(db, run, "quantity") + finding_ids(db, run, "auto_renew")
    response = correct(operator_client, run, pushed, "push_storefront", confirmed="yes")
    assert response.status_code == 303
    order = db.session.scalar(db.select(Order).where(Order.type == "change").order_by(Order.id.desc()))
    assert [l.change["action"] for l in order.lines] == ["quantity", "auto_renew"]
    assert order.lines[0].change["from"] == 13 and order.lines[0].change["to"] == 10
    assert run_job(order.id) == "completed"
    assert remote(sandbox_store, first)["quantity"] == 10 and remote(sandbox_store, first)["autoRenewEnabled"] is True

    # The one Partner Center no longer has: marked cancelled.
    correct(operator_client, run, finding_ids(db, run, "missing_in_partner_center"), "mark_cancelled")
    # The two the storefront does not know: imported into the matching accounts, both at once.
    response = correct(operator_client, run, finding_ids(db, run, "unknown_to_storefront"), "import", target="match")
    assert response.status_code == 303
    flashes = text_of(operator_client.get(response.headers["Location"]))
    assert "is imported into Alpine Ski House of Adatum IT Services" in flashes
    assert "is imported into Wide World Importers" in flashes

    db.session.expire_all()
    assert db.session.get(Subscription, second.id).status == "deleted"
    wwi = db.session.scalar(db.select(Subscription).where(Subscription.tenant_domain == WWI))
    assert (wwi.quantity, wwi.account.name, wwi.account.kind, wwi.agreement.family) == (
        12, "Wide World Importers", "customer", "Microsoft 365")
    alpine = db.session.scalar(db.select(Subscription).where(Subscription.tenant_domain == ALPINE))
    assert alpine.account.partner_id == "1234567" and alpine.agreement.licensee.company_name == "Alpine Ski House"
    assert alpine.quantity == 8 and alpine.product_title == "Microsoft 365 Business Premium"
    # Every correction is audited.
    audited = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "reconciliation_corrected")).all()
    assert sorted(e.details["correction"] for e in audited) == ["import", "import", "mark_cancelled",
                                                                "push_storefront"]
    page = findings_page(operator_client, run, state="all")
    assert "0 findings still open." in page.select_one("#open-findings").get_text()
    assert page.select_one(f"#finding-{pushed[0]} a[href^='/orders/']").get_text() == order.number

    again = run_reconciliation(operator_client, redis)
    assert again.findings_count == 0 and again.subscriptions_checked == 4  # the two imported ones too
    assert findings_page(operator_client, again).select_one("#no-findings") is not None


def test_pushing_asks_first_and_places_nothing_until_confirmed(db, operator_client, redis, sandbox_store, drift):
    """Pushing places orders at Microsoft (fewer seats, even a cancellation), so the press opens a page
    saying what each order does; only its button places them. The other corrections stay one press."""
    run = run_reconciliation(operator_client, redis)
    [quantity] = finding_ids(db, run, "quantity")
    missing = finding_ids(db, run, "missing_in_partner_center")
    sandbox_store.clear_calls()
    asked = operator_client.post(f"/admin/reconciliation/runs/{run.id}/corrections?kind=quantity",
                                 {"apply": f"{quantity}:push_storefront"})
    assert asked.status_code == 200
    page = soup(asked)
    assert page.select_one("h1").get_text() == "Push the storefront's value to Partner Center?"
    assert "seats differ, 13 in Partner Center becomes 10." in page.select_one("#push-consequences").get_text(" ", strip=True)
    back = f"/admin/reconciliation/runs/{run.id}?kind=quantity&state=open"  # where the press came from
    assert page.find("a", string="Back to the findings")["href"] == back
    assert db.session.scalar(db.select(db.func.count(Order.id)).where(Order.type == "change")) == 0
    assert db.session.scalar(db.select(db.func.count(ReconciliationFinding.id)).where(
        ReconciliationFinding.resolution.is_not(None))) == 0
    # Selected with a finding pushing does not apply to: that one is said to be left.
    both = soup(correct(operator_client, run, [quantity, *missing], "push_storefront"))
    assert both.select_one("#push-left").get_text() == (
        "1 other selected finding is left as it is: pushing does not apply to it.")
    form = page.select_one("#confirm-push")
    assert form["action"] == f"/admin/reconciliation/runs/{run.id}/corrections?kind=quantity"
    fields = {}
    for field in form.select("input[name]"):
        fields.setdefault(field["name"], []).append(field.get("value", ""))
    done = operator_client.post(form["action"], fields)
    assert done.status_code == 303 and done.headers["Location"] == back
    order = db.session.scalar(db.select(Order).where(Order.type == "change"))
    assert order.lines[0].change["to"] == 10


def test_taking_partner_center_values_settles_every_finding_of_the_subscription(
        db, operator_client, redis, sandbox_store, drift):
    first, _ = drift
    run = run_reconciliation(operator_client, redis)
    [quantity] = finding_ids(db, run, "quantity")
    sandbox_store.clear_calls()
    response = operator_client.post(f"/admin/reconciliation/runs/{run.id}/corrections",
                                    {"apply": f"{quantity}:take_partner_center"})
    assert response.status_code == 303 and sandbox_store.calls() == []  # what the run read; no call
    db.session.expire_all()
    sub = db.session.get(Subscription, first.id)
    assert (sub.quantity, sub.auto_renew) == (13, False)
    settled = db.session.scalars(db.select(ReconciliationFinding.resolution).where(
        ReconciliationFinding.subscription_id == first.id)).all()
    assert settled == ["take_partner_center", "take_partner_center"]
    assert db.session.scalar(db.select(db.func.count(Order.id)).where(Order.type != "purchase")) == 0
    again = run_reconciliation(operator_client, redis, scope=f"account-{first.account_id}")
    assert again.findings_count == 1  # only the one missing in Partner Center is left in Adatum's scope
    assert db.session.scalars(db.select(ReconciliationFinding.kind).where(
        ReconciliationFinding.run_id == again.id)).all() == ["missing_in_partner_center"]


def test_a_correction_that_does_not_suit_a_finding_changes_nothing_and_says_why(db, operator_client, redis, drift):
    run = run_reconciliation(operator_client, redis)
    ids = finding_ids(db, run, "unknown_to_storefront") + finding_ids(db, run, "missing_in_partner_center")
    response = correct(operator_client, run, ids, "take_partner_center")
    page = text_of(operator_client.get(response.headers["Location"]))
    assert "does not apply to “Unknown to the storefront”" in page
    assert "does not apply to “Missing in Partner Center”" in page
    assert db.session.scalar(db.select(db.func.count(ReconciliationFinding.id)).where(
        ReconciliationFinding.resolution.is_not(None))) == 0
    # Nothing selected: nothing to do.
    response = correct(operator_client, run, [], "import")
    assert "Select the findings to correct." in text_of(operator_client.get(response.headers["Location"]))


def test_import_refuses_a_tenant_that_another_account_holds(db, operator_client, redis, demo):
    from app.accounts.models import Tenant

    tailspin = db.session.scalar(db.select(Account).where(Account.name == "Tailspin Toys"))
    db.session.add(Tenant(domain=WWI, tenant_id="9d4c1a7e-3b2f-4e6d-8a5c-7f1e2d3c4b5a", account_id=tailspin.id))
    db.session.commit()
    run = run_reconciliation(operator_client, redis)
    [wwi] = [f for f in run.findings if f.tenant_domain == WWI]
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    response = correct(operator_client, run, [str(wwi.id)], "import", target=str(adatum.id))
    assert "belongs to Tailspin Toys in the storefront" in text_of(operator_client.get(response.headers["Location"]))
    # The matching account is the one holding the tenant.
    correct(operator_client, run, [str(wwi.id)], "import", target="match")
    db.session.expire_all()
    assert db.session.scalar(db.select(Subscription).where(Subscription.tenant_domain == WWI)).account_id == tailspin.id


def test_scope_of_one_account_reads_only_its_customers(db, operator_client, redis, sandbox_store, drift):
    first, _ = drift
    sandbox_store.clear_calls()
    run = run_reconciliation(operator_client, redis, scope=f"account-{first.account_id}")
    assert run.scope_label == "Account Adatum IT Services" and run.customers_total == 1
    assert {c["path"] for c in sandbox_store.calls()} == {f"/v1/customers/{first.tenant_id}/subscriptions"}
    assert sorted(f.kind for f in run.findings) == ["auto_renew", "missing_in_partner_center", "quantity"]

    one = run_reconciliation(operator_client, redis, subscription=first.ms_subscription_id)
    assert one.scope == "subscription" and sorted(f.kind for f in one.findings) == ["auto_renew", "quantity"]


def test_a_scope_that_cannot_be_run_is_refused_next_to_its_field(db, operator_client, demo):
    response = operator_client.post("/admin/reconciliation", {"scope": "all", "subscription": "no-such-sub"})
    assert response.status_code == 422
    page = soup(response)
    assert "No subscription of the storefront has the id no-such-sub" in page.select_one("#subscription-error").get_text()
    assert page.select_one("#subscription")["value"] == "no-such-sub"
    response = operator_client.post("/admin/reconciliation", {"scope": "account-999999"})
    assert response.status_code == 422 and soup(response).select_one("#scope-error") is not None
    assert db.session.scalar(db.select(db.func.count(ReconciliationRun.id))) == 0


def test_the_progress_polls_until_the_run_ends(db, operator_client, redis, demo):
    response = operator_client.post("/admin/reconciliation", {"scope": "all"})
    run_url = response.headers["Location"]
    run_id = int(run_url.rsplit("/", 1)[1])
    page = soup(operator_client.get(run_url))
    assert page.select_one("#run-status").get_text() == "Waiting for the worker"
    live = page.select_one("#reconciliation-live")
    assert live["sse-connect"] == f"/admin/reconciliation/runs/{run_id}/events"
    polled = operator_client.get(f"/admin/reconciliation/runs/{run_id}/progress", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and soup(polled).select_one("#reconciliation-progress")["hx-trigger"] == "every 1s"
    assert page.select_one("#reconciliation-progress a").get_text() == "Reload"  # without JavaScript
    work(redis)
    polled = operator_client.get(f"/admin/reconciliation/runs/{run_id}/progress", headers={"HX-Request": "true"})
    assert polled.status_code == 286
    done = soup(polled)
    assert done.select_one("#reconciliation-progress").get("hx-trigger") is None
    assert done.select_one("#run-status").get_text() == "Finished" and len(done.select("#findings-table tbody tr[id]")) == 2
    streamed = operator_client.event_stream(f"/admin/reconciliation/runs/{run_id}/events",
                                            until=lambda text: "event: done" in text)
    assert "event: progress" in streamed and "Unknown to the storefront" in streamed


def test_the_stream_first_sends_the_run_as_it_is_once_it_listens(db, operator_client, redis, demo, monkeypatch):
    """Steps the worker published before the page's stream listened (or between two streams) are not lost:
    the stream starts with the run as it is then, not as the page showed it."""
    from app import live
    from app.tools.models import RunStatus

    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.2)  # keep-alives come often: never a long wait here
    run_url = operator_client.post("/admin/reconciliation", {"scope": "all"}).headers["Location"]
    assert soup(operator_client.get(run_url)).select_one("#run-status").get_text() == "Waiting for the worker"
    run = db.session.get(ReconciliationRun, int(run_url.rsplit("/", 1)[1]))
    run.status, run.customers_total, run.customers_done = RunStatus.RUNNING, 3, 2  # published to no one
    db.session.commit()
    streamed = operator_client.event_stream(f"{run_url}/events", until=lambda text: "event: progress" in text
                                            or text.count(": keep-alive") >= 3)
    assert "event: progress" in streamed and "2 of 3 customers" in streamed and "event: done" not in streamed


def test_findings_filter_and_export_as_csv(db, operator_client, redis, drift):
    run = run_reconciliation(operator_client, redis)
    page = findings_page(operator_client, run, kind="unknown_to_storefront")
    assert [r[0] for r in rows(page).values()] == ["Unknown to the storefront"] * 2
    page = findings_page(operator_client, run, q="alpine")
    assert [r[1].split(" alpine")[0] for r in rows(page).values()] == ["Alpine Ski House"]
    link = page.select_one("#findings-csv")["href"]
    response = operator_client.get(link)
    assert response.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table[0][:3] == ["Finding", "Kind", "Customer"] and len(table) == 2
    assert table[1][1:4] == ["Unknown to the storefront", "Alpine Ski House", ALPINE]


def test_operator_members_read_and_only_operator_admins_run_or_correct(
        db, operator_member_client, reseller_client, operator_client, redis, demo):
    run = run_reconciliation(operator_client, redis)
    page = soup(operator_member_client.get("/admin/reconciliation"))
    assert page.select_one("#read-only") is not None and page.select_one("form.reconciliation-form") is None
    assert operator_member_client.post("/admin/reconciliation", {"scope": "all"}).status_code == 403
    assert findings_page(operator_member_client, run).select("#findings-table button") == []
    [finding] = finding_ids(db, run, "unknown_to_storefront")[:1]
    assert operator_member_client.post(f"/admin/reconciliation/runs/{run.id}/corrections",
                                       {"apply": f"{finding}:import"}).status_code == 403
    assert reseller_client.get(f"/admin/reconciliation/runs/{run.id}").status_code == 403
    assert reseller_client.get("/admin/reconciliation").status_code == 403


def test_the_daily_run_notifies_the_operator_when_findings_appear(db, demo, app):
    from app.admin.settings import StorefrontSettings
    from app.tools.reconciliation_jobs import daily_reconciliation

    assert daily_reconciliation() == "Daily reconciliation is off."
    settings = StorefrontSettings.load()
    settings.daily_reconciliation = True
    settings.save()
    db.session.commit()
    assert "'findings': 2" in daily_reconciliation()
    notes = db.session.scalars(db.select(Notification).join(Notification.user)).all()
    assert [n.title for n in notes] == ["Reconciliation found 2 differences"]
    assert notes[0].link.startswith("/admin/reconciliation/runs/")
    assert daily_reconciliation() == "Already reconciled in the last 24 hours."


def test_the_daily_run_tells_the_operator_when_it_stops_or_cannot_read_a_customer(db, demo, app, sandbox_store):
    """A daily run nobody watches that stops (Partner Center down) or skips customers it could not read is
    not silence: the operator's admins are told why, and where to look."""
    from app.admin.settings import StorefrontSettings
    from app.tools.reconciliation_jobs import daily_reconciliation

    settings = StorefrontSettings.load()
    settings.daily_reconciliation = True
    settings.save()
    db.session.commit()
    sandbox_store.inject_fault(method="GET", path_prefix="/v1/customers", kind="error", count=50)
    assert "'status': 'failed'" in daily_reconciliation()
    run = db.session.scalars(db.select(ReconciliationRun).order_by(ReconciliationRun.id.desc())).first()
    notes = db.session.scalars(db.select(Notification).join(Notification.user)).all()
    assert {n.user.email for n in notes} == {"admin@example.com"}
    [note] = notes
    assert note.title == "The daily reconciliation stopped"
    assert note.body.startswith(run.message) and "Partner Center had an internal error" in note.body
    assert note.body.endswith("It runs again tomorrow, or start it now under Tools > Reconciliation.")
    assert note.link == f"/admin/reconciliation/runs/{run.id}"

    sandbox_store.clear_faults()
    run.created_at -= timedelta(days=1)  # a day later
    db.session.commit()
    sandbox_store.inject_fault(method="GET", path_prefix="/v1/customers/9d4c1a7e", kind="error", count=50)
    assert "'status': 'finished'" in daily_reconciliation()
    newest = db.session.scalars(db.select(Notification).order_by(Notification.id.desc())).first()
    assert newest.title == "Reconciliation found 1 difference"
    assert newest.body.endswith("1 customer could not be read: its subscriptions were not compared.")


def test_the_daily_run_is_a_periodic_task_and_an_option():
    from app.admin.settings import StorefrontSettings
    from app.jobs.periodic import PERIODIC_MODULES

    assert "app.tools.reconciliation_jobs" in PERIODIC_MODULES
    assert StorefrontSettings().daily_reconciliation is False


def test_an_import_into_a_chosen_account_follows_the_reseller_partner_center_records(db, operator_client, redis, demo):
    """Alpine Ski House's subscription carries Adatum's partner ID: it cannot become the second reseller
    Litware's, and Wide World Importers' (no reseller) cannot become a reseller's licensee."""
    from app.accounts.models import Licensee

    run = run_reconciliation(operator_client, redis)
    [alpine] = [f for f in run.findings if f.tenant_domain == ALPINE]
    [wwi] = [f for f in run.findings if f.tenant_domain == WWI]
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    litware = db.session.scalar(db.select(Account).where(Account.partner_id == "2345678"))

    response = correct(operator_client, run, [str(alpine.id)], "import", target=str(litware.id))
    assert ("Partner Center records partner ID 1234567 as this subscription's reseller: it can be imported only into "
            "that reseller's account, not into Litware Systems Sp. z o.o.") in text_of(
        operator_client.get(response.headers["Location"]))
    response = correct(operator_client, run, [str(wwi.id)], "import", target=str(adatum.id))
    assert ("Partner Center records no reseller on this subscription: import it into a direct customer account, not "
            "as a licensee of Adatum IT Services.") in text_of(operator_client.get(response.headers["Location"]))
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Subscription.id)).where(
        Subscription.tenant_domain.in_((ALPINE, WWI)))) == 0
    assert db.session.scalar(db.select(db.func.count(Licensee.id)).where(Licensee.reseller_id == litware.id,
                                                                       Licensee.company_name == "Alpine Ski House")) == 0

    correct(operator_client, run, [str(alpine.id)], "import", target=str(adatum.id))
    db.session.expire_all()
    assert db.session.scalar(db.select(Subscription).where(Subscription.tenant_domain == ALPINE)).account_id == adatum.id


def test_a_run_of_one_subscription_says_one_subscription(db, operator_client, redis, drift):
    first, _ = drift
    one = run_reconciliation(operator_client, redis, subscription=first.ms_subscription_id)
    page = soup(operator_client.get(f"/admin/reconciliation/runs/{one.id}"))
    assert page.select_one("#run-message").get_text(strip=True) == "1 subscription compared; 2 findings."
    assert page.select_one("#run-figures").get_text(" ", strip=True) == "1 of 1 customer; 1 subscription compared"


def test_a_run_that_could_not_read_a_customer_does_not_say_both_sides_agree(db, operator_client, redis, sandbox_store,
                                                                            demo):
    """Partner Center failed for every customer's subscriptions: nothing was compared, so the page does not
    claim the storefront and Partner Center agree; it says what went unchecked."""
    sandbox_store.inject_fault(method="GET", path_prefix="/v1/customers/", kind="error", count=50)
    run = run_reconciliation(operator_client, redis)
    page = soup(operator_client.get(f"/admin/reconciliation/runs/{run.id}"))
    assert page.select_one("#run-message").get_text(strip=True) == (
        "0 subscriptions compared; no findings in what could be read. 2 customers could not be read (below): "
        "their subscriptions were not compared.")
    assert " ".join(page.select_one("#no-findings").get_text().split()) == (
        "No findings in what could be read; the subscriptions of the customers that could not be read were not "
        "compared. Run the reconciliation again when Partner Center answers.")


def test_a_run_of_an_account_with_no_subscription_says_there_was_nothing_to_compare(db, operator_client, redis, demo):
    """Tailspin Toys holds no subscription: the run read nothing, so it does not say both sides agree."""
    tailspin = db.session.scalar(db.select(Account).where(Account.name == "Tailspin Toys"))
    run = run_reconciliation(operator_client, redis, scope=f"account-{tailspin.id}")
    page = soup(operator_client.get(f"/admin/reconciliation/runs/{run.id}"))
    assert page.select_one("#run-message").get_text(strip=True) == (
        "Nothing to compare: Account Tailspin Toys has no subscription in the storefront.")
    assert page.select_one("#no-findings").get_text(strip=True) == "No findings: there was nothing to compare."


def test_correct_every_selected_finding_is_offered_only_with_a_finding_to_select(db, operator_client, redis, demo):
    """With every finding corrected, or a filter that matches none, the list read "No findings match." and still
    offered "Correct every selected finding" with Apply to selected, which could only answer "Select the findings
    to correct."; it is offered while a finding listed can be selected."""
    run = run_reconciliation(operator_client, redis)
    listed = findings_page(operator_client, run)
    assert listed.select("#findings-table input[name=finding]")  # the two the storefront does not know
    assert listed.select_one("fieldset.bulk-correction") is not None
    none_match = findings_page(operator_client, run, kind="quantity")
    assert none_match.select_one("#findings-table tbody").get_text(strip=True) == "No findings match."
    assert none_match.select_one("fieldset.bulk-correction") is None
    assert not none_match.find("button", string="Apply to selected")
    corrected = correct(operator_client, run, finding_ids(db, run, "unknown_to_storefront"), "import", target="match")
    assert corrected.status_code == 303
    all_done = findings_page(operator_client, run)
    assert all_done.select_one("#open-findings").get_text(strip=True) == "0 findings still open."
    assert all_done.select_one("fieldset.bulk-correction") is None
