"""Synchronising the catalog from the Partner Center sandbox: adds, changes, withdrawals, errors,
the admin page's progress, and the monthly automatic run."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta

from app.catalog.sync import new_sync, run_sync
from app.catalog.jobs import due_for_monthly_sync, monthly_catalog_sync
from app.catalog.models import CatalogSync, PriceList, PriceListEntry, Product
from app.connections.services import get_client
from tests.support.catalog import BUSINESS_BASIC, BUSINESS_PREMIUM
from tests.helpers import soup, text_of


def test_seed_demo_synchronises_the_sandbox_catalog_with_prices(app, db, sandbox_store):
    from app.demo import seed_demo

    seed_demo()
    products = db.session.scalars(db.select(Product)).all()
    assert len(products) == 50 and all(p.available for p in products)
    premium = db.session.scalar(db.select(Product).where(Product.product_id == BUSINESS_PREMIUM))
    assert premium.title == "Microsoft 365 Business Premium" and premium.family == "Microsoft 365"
    assert premium.skus[0].min_quantity == 1 and premium.skus[0].max_quantity == 300
    us = next(o for o in premium.skus[0].offers if o.country == "US")
    assert us.catalog_item_id.startswith(f"{BUSINESS_PREMIUM}:0001:") and us.currency == "USD"
    assert {(t.term_duration, t.billing_plan) for t in us.terms} >= {("P1Y", "monthly"), ("P3Y", "triennial")}
    lists = {pl.market: pl for pl in db.session.scalars(db.select(PriceList))}
    assert set(lists) == {"US", "PL"} and lists["PL"].currency == "PLN" and lists["US"].entry_count > 100
    entry = db.session.scalar(db.select(PriceListEntry).where(
        PriceListEntry.market == "US", PriceListEntry.product_id == BUSINESS_PREMIUM,
        PriceListEntry.term_duration == "P1Y", PriceListEntry.billing_plan == "monthly"))
    assert str(entry.erp_price) in ("22.0000", "22.00", "22") and entry.unit_price < entry.erp_price
    # It asked Partner Center for the OnlineServices products of each market, then SKUs and availabilities.
    product_calls = sandbox_store.calls(method="GET", path="/v1/products")
    assert {c["query"] for c in product_calls} >= {"country=US&targetView=OnlineServices",
                                                   "country=PL&targetView=OnlineServices"}
    assert sandbox_store.calls(path=f"/v1/products/{BUSINESS_PREMIUM}/skus/0001/availabilities")
    # Seeding again changes nothing and calls nobody.
    before = len(sandbox_store.calls())
    seed_demo()
    assert len(sandbox_store.calls()) == before
    assert db.session.scalar(db.select(db.func.count(Product.id))) == 50


def test_a_second_sync_adds_changes_and_withdraws(demo, db, sandbox_catalog, operator_client, run_worker):
    products = copy.deepcopy(sandbox_catalog.products())
    withdrawn = next(p for p in products if p["id"] == BUSINESS_BASIC)
    products.remove(withdrawn)
    renamed = next(p for p in products if p["id"] == BUSINESS_PREMIUM)
    renamed["description"] = "Now with more security."
    new = copy.deepcopy(products[0])
    new.update(id="CFQ7TTC0NEW1", title="Microsoft 365 Contoso Edition")
    for sku in new["skus"]:
        sku["title"] = "Microsoft 365 Contoso Edition"
    products.append(new)
    sandbox_catalog.set_products(products)

    response = operator_client.post("/admin/catalog", {})
    assert response.status_code == 302
    run = db.session.scalar(db.select(CatalogSync).order_by(CatalogSync.id.desc()))
    assert run.trigger == "manual" and run.status == "queued"
    run_worker()
    db.session.expire_all()
    run = db.session.get(CatalogSync, run.id)
    assert run.status == "finished", run.message
    assert (run.added, run.changed, run.withdrawn) == (1, 1, 1)
    assert run.rows_processed == run.rows_total > 0

    gone = db.session.scalar(db.select(Product).where(Product.product_id == BUSINESS_BASIC))
    assert gone is not None, "withdrawn products are kept"
    assert gone.available is False and gone.withdrawn_at is not None
    assert all(not s.available for s in gone.skus)
    assert db.session.scalar(db.select(Product.description).where(Product.product_id == BUSINESS_PREMIUM)) == \
        "Now with more security."
    added = db.session.scalar(db.select(Product).where(Product.product_id == "CFQ7TTC0NEW1"))
    assert added.available and added.skus[0].offers
    # The withdrawn product's prices left the price list; the new one's came in.
    assert not db.session.scalar(db.select(db.func.count(PriceListEntry.id)).where(
        PriceListEntry.product_id == BUSINESS_BASIC))
    assert db.session.scalar(db.select(db.func.count(PriceListEntry.id)).where(
        PriceListEntry.product_id == "CFQ7TTC0NEW1"))

    page = operator_client.get("/admin/catalog")
    assert page.status_code == 200
    html = soup(page)
    assert html.select_one("#sync-status .sync-added").get_text(strip=True) == "1"
    assert html.select_one("#sync-status .sync-changed").get_text(strip=True) == "1"
    assert html.select_one("#sync-status .sync-withdrawn").get_text(strip=True) == "1"
    # Finished: no more polling.
    assert not html.select_one("#sync-status").has_attr("hx-trigger")

    # Microsoft sells it again: it comes back, as a change.
    sandbox_catalog.set_products(products + [withdrawn])
    again = run_sync(new_sync(), get_client())
    assert (again.added, again.changed, again.withdrawn) == (0, 1, 0)
    db.session.refresh(gone)
    assert gone.available and gone.withdrawn_at is None


def test_recording_a_sync_leaves_the_commit_to_the_caller(db):
    run = new_sync("manual")
    assert run.id is not None and run.status == "queued"
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(CatalogSync.id))) == 0


def test_status_fragment_polls_while_running_and_stops_with_286(operator_client, db, demo):
    run = new_sync("manual")
    running = operator_client.get(f"/admin/catalog/syncs/{run.id}", headers={"HX-Request": "true"})
    assert running.status_code == 200
    fragment = soup(running).select_one("#sync-status")
    assert fragment["hx-trigger"] == "every 1s" and "<html" not in running.get_data(as_text=True)
    assert "Waiting for the worker" in text_of(running)
    run.status, run.rows_processed, run.rows_total = "running", 40, 100
    db.session.commit()
    progress = soup(operator_client.get(f"/admin/catalog/syncs/{run.id}", headers={"HX-Request": "true"}))
    bar = progress.select_one("#sync-status progress")
    assert (bar["value"], bar["max"]) == ("40", "100")
    assert "40 of 100" in progress.select_one(".progress-figures").get_text()
    run.status = "finished"
    db.session.commit()
    done = operator_client.get(f"/admin/catalog/syncs/{run.id}", headers={"HX-Request": "true"})
    assert done.status_code == 286
    full = operator_client.get(f"/admin/catalog/syncs/{run.id}")
    assert full.status_code == 200 and soup(full).select_one("h1").get_text() == f"Catalog sync {run.id}"


def test_partner_center_failure_is_reported_in_plain_words_and_withdraws_nothing(demo, db, sandbox_store):
    sandbox_store.inject_fault(method="GET", path_prefix="/v1/products", kind="error", count=50)
    run = run_sync(new_sync(), get_client(), markets=["US"])
    assert run.status == "finished"
    assert run.withdrawn == 0
    assert any("The product list of market US could not be read: Partner Center had an internal error" in e
               for e in run.errors), run.errors
    assert any("Nothing was marked withdrawn" in e for e in run.errors)
    assert db.session.scalar(db.select(db.func.count(Product.id)).where(Product.available.is_(False))) == 0


def test_sync_page_is_for_the_operator_only(reseller_client, customer_client, operator_client):
    assert reseller_client.get("/admin/catalog").status_code == 403
    assert customer_client.post("/admin/catalog", {}).status_code == 403
    page = operator_client.get("/admin/catalog")
    assert page.status_code == 200
    assert soup(page).select_one("form.sync-form button").get_text(strip=True) == "Synchronise now"
    nav = [a.get_text(strip=True) for a in soup(page).select("nav[aria-label=Main] a")]
    assert {"Products", "Price lists", "Catalog sync"} <= set(nav)


def test_a_second_request_while_one_runs_reuses_it(operator_client, db, demo):
    operator_client.post("/admin/catalog", {})
    operator_client.post("/admin/catalog", {})
    assert db.session.scalar(db.select(db.func.count(CatalogSync.id)).where(CatalogSync.status == "queued")) == 1


def test_monthly_sync_follows_the_automatic_catalog_update_option(demo, db):
    from app.admin.settings import StorefrontSettings

    # The seed ran this month: nothing is due.
    assert not due_for_monthly_sync()
    assert monthly_catalog_sync() == "The catalog was already synchronised this month."
    last = db.session.scalar(db.select(CatalogSync).where(CatalogSync.status == "finished"))
    last.finished_at = datetime.utcnow() - timedelta(days=40)
    db.session.commit()
    assert due_for_monthly_sync()

    settings = StorefrontSettings.load()
    settings.automatic_catalog_update = False
    settings.save()
    db.session.commit()
    count = db.session.scalar(db.select(db.func.count(CatalogSync.id)))
    assert monthly_catalog_sync() == "Automatic catalog update is off."
    assert db.session.scalar(db.select(db.func.count(CatalogSync.id))) == count

    settings.automatic_catalog_update = True
    settings.save()
    db.session.commit()
    assert monthly_catalog_sync().startswith("Catalog sync")
    newest = db.session.scalar(db.select(CatalogSync).order_by(CatalogSync.id.desc()))
    assert newest.trigger == "automatic" and newest.status == "finished"
    assert not due_for_monthly_sync()


def test_the_monthly_task_is_registered_with_the_worker(app):
    from app.jobs.periodic import PERIODIC_MODULES, TASKS, enqueue_due

    assert "app.catalog.jobs" in PERIODIC_MODULES
    enqueue_due()
    assert "catalog-monthly-sync" in TASKS


def test_a_failed_syncs_message_names_the_menu_where_the_connection_is():
    """The sync's error sent the operator to "Admin > Partner Center"; the menu reads Settings > Partner Center."""
    from app.catalog.progress import describe_error
    from app.partner_center.errors import PartnerCenterError

    assert describe_error(PartnerCenterError(status=500)) == (
        "Partner Center had an internal error. Try again later; if it keeps happening, check Settings > Partner Center.")


def test_earlier_runs_say_how_each_started_and_how_it_ended_in_words(demo, db, operator_client):
    """The table read "seed", "automatic" and "finished", the stored codes, beside a current run that read "Finished"."""
    db.session.add(CatalogSync(status="failed", trigger="automatic", errors=[]))
    db.session.commit()
    page = soup(operator_client.get("/admin/catalog"))
    rows = [[td.get_text(strip=True) for td in row.select("td")] for row in page.select("#history-heading ~ div tbody tr")]
    assert [row[2:4] for row in rows] == [["Demo data", "Finished"]]
