"""Reconciliation in Chromium: the operator makes a subscription drift on the sandbox's controls page,
runs the reconciliation, watches it progress (run by the real worker, pushed to the page), corrects the
findings in bulk, runs it again and sees no findings."""
from __future__ import annotations

import csv
import random
import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.support.browser import pushes_delivered_together, sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_checkouts")]


@pytest.fixture
def bought(live_app, live_worker):
    """The storefront knows only what this test buys: earlier tests' subscriptions went with the sandbox
    they were bought in (fresh_checkouts reset it). One purchase for Adatum's licensee Fabrikam."""
    from app.extensions import db
    from app.orders.models import OrderLine
    from app.subscriptions.models import Subscription
    from app.tools.models import ReconciliationFinding
    from tests.support.orders import line, place_and_provision, reseller_request

    with live_app.app_context():
        db.session.execute(db.delete(ReconciliationFinding))
        db.session.execute(db.update(OrderLine).values(subscription_id=None))
        db.session.execute(db.delete(Subscription))
        db.session.commit()
        sub = place_and_provision(db, reseller_request(db, domain=f"recon{uuid.uuid4().hex[:10]}.onmicrosoft.com",
                                                       draft_id=random.randint(10**6, 10**9),
                                                       lines=[line(quantity=10, family="Microsoft 365")]))
        return sub.ms_subscription_id


def _run(page, live_server):
    page.goto(live_server + "/admin/reconciliation")
    page.get_by_label("What to reconcile").select_option("all")
    page.get_by_role("button", name="Run reconciliation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reconciliation")
    expect(page.locator("#run-progress-" + page.url.rsplit("/", 1)[1])).to_be_visible()
    # The worker runs it; the page follows without being reloaded.
    expect(page.locator("#run-status")).to_have_text("Finished", timeout=30_000)


def test_operator_reconciles_corrects_in_bulk_and_the_next_run_is_clean(page, live_server, bought):
    sign_in_as(page, live_server, "admin@example.com")
    # Someone changes the subscription in Partner Center itself.
    page.goto(live_server + "/sandbox/_sandbox/admin")
    page.get_by_label("Subscription", exact=True).select_option(bought)
    page.get_by_label("Seats (empty: unchanged)").fill("13")
    page.get_by_label("Auto-renewal").select_option("false")
    page.get_by_role("button", name="Change in Partner Center").click()
    expect(page.locator("p.notice")).to_contain_text("now has 13 seats, auto-renewal off, in Partner Center")

    _run(page, live_server)
    rows = page.locator("#findings-table tbody tr[id]")
    expect(rows).to_have_count(4)
    expect(page.locator("#finding-counts")).to_contain_text("Seats differ")
    expect(page.locator("#findings-table tr[data-kind=quantity] .partner-center-value")).to_have_text("13")
    expect(page.locator("#findings-table tr[data-kind=unknown_to_storefront]")).to_have_count(2)

    # The drift: take Partner Center's values, both findings at once.
    for kind in ("quantity", "auto_renew"):
        page.locator(f"#findings-table tr[data-kind={kind}] input[type=checkbox]").check()
    page.get_by_label("Correction", exact=True).select_option("take_partner_center")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator("#flash-region")).to_contain_text("the storefront now shows Partner Center's values")
    # The subscriptions only Partner Center knew: imported into the matching accounts.
    for box in page.locator("#findings-table tr[data-kind=unknown_to_storefront] input[type=checkbox]").all():
        box.check()
    page.get_by_label("Correction", exact=True).select_option("import")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator("#flash-region")).to_contain_text("is imported into Alpine Ski House of Adatum IT Services")
    expect(page.locator("#open-findings")).to_have_text("0 findings still open.")

    _run(page, live_server)
    expect(page.locator("#no-findings")).to_have_text("No findings: the storefront and Partner Center agree.")
    expect(page.locator("#run-message")).to_contain_text("3 subscriptions compared")


def test_with_javascript_off_the_operator_reloads_to_follow_the_run_and_imports_a_customer(no_js_page, live_server,
                                                                                          bought):
    page = no_js_page
    sign_in_as(page, live_server, "admin@example.com")
    page.goto(live_server + "/admin/reconciliation")
    page.get_by_role("button", name="Run reconciliation").click()
    deadline = time.monotonic() + 30
    while page.locator("#run-status").inner_text() != "Finished" and time.monotonic() < deadline:
        time.sleep(0.5)
        page.get_by_role("link", name="Reload").click()  # no pushes, no polling: the page says how far it got
    expect(page.locator("#run-status")).to_have_text("Finished")
    expect(page.locator("#findings-table tr[data-kind=unknown_to_storefront]")).to_have_count(2)
    # One row's own button, a plain form post.
    page.get_by_role("button", name="Import into an account (Microsoft 365 Business Standard)").click()
    expect(page.locator("#flash-region")).to_contain_text("is imported into Wide World Importers")
    expect(page.locator("#findings-table tr[data-kind=unknown_to_storefront]")).to_have_count(1)
    # The CSV of every finding says which account the corrected one went to (read before the response
    # streams: the live server's database session is gone by then).
    page.get_by_label("Show").select_option("all")
    page.get_by_role("button", name="Filter").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    with open(download_info.value.path(), encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    [corrected] = [row for row in table[1:] if row[9]]
    assert corrected[2] == "Wide World Importers" and corrected[6] == "Wide World Importers"
    assert corrected[10] == "Nora Admin"


def test_the_last_of_pushes_that_arrive_together_is_shown(page, live_app, live_server):
    """A run that ends moments after its previous step (the CI flake: the second, clean run took well under
    a second): its page receives two fragments and `done` together. The page shows the last fragment, the
    finished run, not the one before it (the page's listener must not be lost with the fragment it replaced).

    The page's stream is real; the browser receives everything it sent at once (held until the stream ends)."""
    from app.accounts.models import User
    from app.extensions import db
    from app.tools import reconciliation as rules
    from app.tools import run_progress
    from app.tools.models import ReconciliationRun, RunStatus, Scope

    with live_app.app_context():
        admin = db.session.scalar(db.select(User).where(User.email == "admin@example.com"))
        run = rules.new_run(Scope.ALL, None, "All subscriptions", actor=admin)
        run.status, run.customers_total = RunStatus.RUNNING, 2  # no job: this test moves it
        db.session.commit()
        run_id = run.id

    def move(run_done: int, finish: bool = False) -> None:
        with live_app.app_context():
            moved = db.session.get(ReconciliationRun, run_id)
            moved.customers_done = run_done
            if finish:
                rules.finish(moved)
            db.session.commit()
            run_progress.publish("reconciliation", moved)

    worker = None
    try:
        sign_in_as(page, live_server, "admin@example.com")
        # The stream sends the first step before the run ends.
        worker = pushes_delivered_together(page, live_app, f"**/admin/reconciliation/runs/{run_id}/events",
                                           "reconciliation", run_id, [lambda: move(1), lambda: move(2, finish=True)])
        page.goto(f"{live_server}/admin/reconciliation/runs/{run_id}")
        expect(page.locator("#run-status")).to_have_text("Finished", timeout=20_000)
        expect(page.locator("#run-figures")).to_contain_text("2 of 2 customers")
    finally:
        if worker is not None:
            worker.join(timeout=30)
        with live_app.app_context():  # never left open: it would hold up the other tests' runs
            left = db.session.get(ReconciliationRun, run_id)
            if not left.done:
                rules.fail(left, "Ended by the test.")
                db.session.commit()
