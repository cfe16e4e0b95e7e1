"""Every page's layout (the header's name, navigation, badges, the migration banner and notices) is cheap:
the storefront options are read at most once per request and not at all while they have not changed (a
signed-in page learns whether they changed in the statement that reads the header's counts), the
migrated-history questions are one statement, and the operator is asked nothing about a migration of its
own. Counted with SQLAlchemy's cursor events; what the pages show is checked by the other tests."""
from __future__ import annotations

import re

from tests.helpers import soup
from tests.support.options import options_form
from tests.support.sql import about, statements

MIGRATION_TABLES = re.compile(r"\b(archive_orders|archive_invoices|migration_accounts)\b")
OPTIONS_READ = re.compile(r"\bstorefront_settings\.value\b")  # the options themselves, not their version


def options_read(seen: list[str]) -> list[str]:
    return [s for s in seen if OPTIONS_READ.search(s)]


def rename_storefront(operator_client, name: str) -> None:
    """The operator saves the options page with another storefront name, the rest as they are."""
    options = soup(operator_client.get("/admin/options"))
    form = options_form(options)
    form.update({"storefront_name": name, "require_mca_acceptance": "y", "annual_billing": "y",
                 "gdap_roles": [o["value"] for o in options.select("input[name=gdap_roles][checked]")]})
    assert operator_client.post("/admin/options", form).status_code == 302


def test_a_resellers_page_asks_about_its_archive_and_migration_once_and_the_options_not_again(reseller_client):
    reseller_client.get("/orders")  # the first page of the process may read the options
    with statements() as seen:
        response = reseller_client.get("/orders")
    assert response.status_code == 200
    assert options_read(seen) == []
    # Whether the options changed is asked in the header's one statement, not on its own.
    assert about(seen, "storefront_settings") == [s for s in seen if MIGRATION_TABLES.search(s)]
    assert len([s for s in seen if MIGRATION_TABLES.search(s)]) == 1
    assert len(about(seen, "cart_lines")) == 1 and len(about(seen, "notifications")) == 1


def test_a_signed_in_user_and_the_headers_counts_are_read_in_one_statement(reseller_client):
    """After the first page (which learns the user's account and its kind) the user loader reads the header's
    counts with the user: the order list is that statement and the orders'."""
    reseller_client.get("/orders")
    with statements() as seen:
        assert reseller_client.get("/orders").status_code == 200
    seen = [s for s in seen if "SAVEPOINT" not in s]  # the test's own transaction
    assert len(seen) == 2
    user, orders = seen
    assert re.search(r"\bFROM users\b", user) and about([user], "cart_lines") and about([user], "notifications")
    assert about([orders], "orders") and not about([orders], "users")


def test_the_operators_page_asks_nothing_about_a_migration_of_its_own(operator_client):
    operator_client.get("/orders")
    with statements() as seen:
        assert operator_client.get("/orders").status_code == 200
    assert about(seen, "migration_accounts") == [] and about(seen, "cart_lines") == []
    assert len([s for s in seen if MIGRATION_TABLES.search(s)]) == 1  # Archive: whether any account has history


def test_saved_options_show_on_the_next_page_of_everyone_and_are_read_once_then(operator_client, reseller_client):
    assert soup(reseller_client.get("/orders")).select_one(".brand").get_text() == "Northwind Cloud Storefront"
    rename_storefront(operator_client, "Adatum's Cloud Shop")
    with statements() as seen:
        page = soup(reseller_client.get("/orders"))
    assert page.select_one(".brand").get_text() == "Adatum's Cloud Shop"
    assert len(options_read(seen)) == 1
    with statements() as seen:
        assert soup(reseller_client.get("/orders")).select_one(".brand").get_text() == "Adatum's Cloud Shop"
    assert options_read(seen) == []


def test_a_signed_out_page_asks_only_whether_the_options_changed(client, operator_client):
    client.get("/sign-in")
    with statements() as seen:
        assert soup(client.get("/sign-in")).select_one(".brand").get_text() == "Northwind Cloud Storefront"
    assert options_read(seen) == [] and len(about(seen, "storefront_settings")) == 1
    rename_storefront(operator_client, "Adatum's Cloud Shop")
    with statements() as seen:
        assert soup(client.get("/sign-in")).select_one(".brand").get_text() == "Adatum's Cloud Shop"
    assert len(options_read(seen)) == 1


def test_the_headers_counts_and_the_migration_questions_are_one_statement(reseller_client):
    reseller_client.get("/cart")
    with statements() as seen:
        assert reseller_client.get("/cart").status_code == 200
    header = [s for s in seen if MIGRATION_TABLES.search(s)]
    assert len(header) == 1 and about(header, "cart_lines") and about(header, "notifications")
    assert len(about(seen, "notifications")) == 1


def test_a_count_changed_in_the_request_is_read_again(app, db, demo):
    """The header's counts are read once per request, and again after the request writes: marking the
    notifications read (a bulk UPDATE) or adding to the cart (a flush) after the page asked for them."""
    from flask_login import login_user

    from app.accounts import notifications as inbox
    from app.accounts.models import User
    from app.accounts.notification_settings import ORDERS
    from app.catalog import cart as carts
    from app.catalog.models import Product
    from app.catalog.pricing import viewer_for
    from app.web.layout import layout_fact
    from tests.support.catalog import BUSINESS_PREMIUM

    rita = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))
    inbox.notify(rita.id, "Order ORD-1 completed", "", "/orders", category=ORDERS)
    db.session.commit()
    sku = db.session.scalar(db.select(Product).where(Product.product_id == BUSINESS_PREMIUM)).skus[0]
    with app.test_request_context("/"):
        login_user(rita)
        assert layout_fact("unread_notifications") == 1 and layout_fact("cart_lines") == 0
        inbox.mark_read(rita)
        assert layout_fact("unread_notifications") == 0
        carts.add_to_cart(rita, viewer_for(rita), sku, "P1Y", "monthly", 1)
        assert layout_fact("cart_lines") == 1
        db.session.rollback()
