"""The subscriptions grid (sort, filters, search, paging, URL state, htmx), the home page's renewals,
and navigation."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest

from app.accounts.models import Account
from app.subscriptions.models import Subscription
from tests.helpers import soup, text_of
from tests.support.filters import assert_bad_choice_refused, assert_bad_dates_refused

NOW = datetime(2025, 3, 1, 12, 0)


def _add(db, account, name, *, renewal_days, product="Microsoft 365 Business Basic", customer="Fabrikam, Inc.",
         seats=5, status="active", auto_renew=True, tenant="fabrikam.onmicrosoft.com", term="P1Y", n=[0]):
    n[0] += 1
    sub = Subscription(ms_subscription_id=f"00000000-0000-0000-0000-{n[0]:012d}", account_id=account.id,
                       tenant_id=f"tenant-{tenant}", offer_id="CFQ7TTC0LH18:0001", product_title=product,
                       sku_title=product, friendly_name=name, quantity=seats, term_duration=term,
                       billing_plan="monthly", status=status, auto_renew=auto_renew, customer_name=customer,
                       tenant_domain=tenant, etag="e",
                       commitment_end_date=None if renewal_days is None else NOW + timedelta(days=renewal_days))
    db.session.add(sub)
    db.session.commit()
    return sub


@pytest.fixture
def grid(demo, db, sandbox_store):
    """Subscriptions of Adatum (reseller) and one of Tailspin (direct customer), around a sandbox
    clock moved to NOW."""
    sandbox_store.advance_clock(NOW - sandbox_store.now().replace(tzinfo=None))
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    tailspin = db.session.scalar(db.select(Account).where(Account.kind == "customer"))
    subs = {
        "sales": _add(db, adatum, "Sales team", renewal_days=20, seats=12),
        "office": _add(db, adatum, "Back office", renewal_days=5, product="Exchange Online (Plan 1)", seats=3),
        "litware": _add(db, adatum, "Litware staff", renewal_days=200, customer="Litware, Inc.",
                        tenant="litware.onmicrosoft.com", seats=40),
        "gone": _add(db, adatum, "Old pilot", renewal_days=25, status="deleted", auto_renew=False, seats=1),
        "tailspin": _add(db, tailspin, "Tailspin all staff", renewal_days=10, customer="Tailspin Toys",
                         tenant="tailspin.onmicrosoft.com"),
    }
    return subs


def _names(response):
    return [a.get_text() for a in soup(response).select("table.subscription-table .sub-name a")]


def test_the_grid_shows_every_column_and_each_account_its_own(grid, reseller_client, customer_client,
                                                              operator_client):
    page = soup(reseller_client.get("/subscriptions"))
    headers = [th.select_one("a").contents[0].strip() for th in page.select("table.subscription-table thead th")]
    assert headers == ["Name", "Product", "Customer", "Tenant", "Seats", "Term", "Billing plan", "Status",
                       "Auto-renew", "Renewal date"]
    # Sorted by renewal date by default.
    assert _names(reseller_client.get("/subscriptions")) == ["Back office", "Sales team", "Old pilot", "Litware staff"]
    row = [td.get_text(strip=True) for td in page.select("tbody tr")[1].select("td")]
    assert row == ["Sales team", "Microsoft 365 Business Basic", "Fabrikam, Inc.", "fabrikam.onmicrosoft.com", "12",
                   "1 year", "Monthly", "Active", "On", "2025-03-21"]
    assert _names(customer_client.get("/subscriptions")) == ["Tailspin all staff"]
    assert len(_names(operator_client.get("/subscriptions"))) == 5
    assert "Account" in [th.get_text(strip=True) for th in soup(operator_client.get("/subscriptions")).select("thead th")]


def test_sort_by_any_column_both_ways(grid, reseller_client):
    assert _names(reseller_client.get("/subscriptions?sort=renewal&direction=desc")) == [
        "Litware staff", "Old pilot", "Sales team", "Back office"]
    assert _names(reseller_client.get("/subscriptions?sort=seats")) == [
        "Old pilot", "Back office", "Sales team", "Litware staff"]
    assert _names(reseller_client.get("/subscriptions?sort=name")) == [
        "Back office", "Litware staff", "Old pilot", "Sales team"]
    page = soup(reseller_client.get("/subscriptions?sort=seats"))
    current = page.select_one("th[aria-sort]")
    assert current["data-column"] == "seats" and current["aria-sort"] == "ascending"
    # The current column's link flips the direction; the others sort ascending, keeping the filters.
    assert current.select_one("a")["href"] == "/subscriptions?sort=seats&direction=desc"
    filtered = soup(reseller_client.get("/subscriptions?status=active&sort=seats"))
    assert filtered.select_one("th[data-column=renewal] a")["href"] == "/subscriptions?status=active"
    assert _names(reseller_client.get("/subscriptions?sort=nonsense")) == _names(reseller_client.get("/subscriptions"))


def test_filters_search_and_the_url_keeps_the_state(grid, reseller_client):
    # Old pilot (cancelled) has an end date in March but renews no more: not among the renewals.
    assert _names(reseller_client.get("/subscriptions?renewal_from=2025-03-01&renewal_to=2025-03-31")) == [
        "Back office", "Sales team"]
    assert _names(reseller_client.get("/subscriptions?renewal_from=2025-03-01&renewal_to=2025-03-31&status=active")) == [
        "Back office", "Sales team"]
    assert _names(reseller_client.get("/subscriptions?customer=Litware%2C+Inc.")) == ["Litware staff"]
    assert _names(reseller_client.get("/subscriptions?product=Exchange+Online+%28Plan+1%29")) == ["Back office"]
    assert _names(reseller_client.get("/subscriptions?q=LITWARE")) == ["Litware staff"]
    assert _names(reseller_client.get("/subscriptions?q=tailspin")) == []  # not theirs
    page = soup(reseller_client.get("/subscriptions?q=sales&status=active"))
    assert page.select_one("#q")["value"] == "sales"
    assert page.select_one("#status option[selected]")["value"] == "active"
    assert [o.get_text() for o in page.select("#customer option")] == ["All customers", "Fabrikam, Inc.", "Litware, Inc."]


def test_htmx_gets_the_grid_fragment_and_the_address_to_push(grid, reseller_client):
    response = reseller_client.get("/subscriptions?status=active&sort=seats&direction=desc&q=",
                                   headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "<html" not in body and soup(response).select_one("#subscription-grid")
    assert response.headers["HX-Push-Url"] == "/subscriptions?status=active&sort=seats&direction=desc"
    assert "HX-Request" in response.headers["Vary"]
    form = soup(response).select_one("form.subscription-filters")
    assert form["hx-target"] == "#subscription-grid" and form["hx-push-url"] == "true" and form["method"] == "get"


def test_renewals_in_the_next_30_days_shortcut(grid, reseller_client):
    page = soup(reseller_client.get("/subscriptions"))
    link = page.select_one("#renewals-soon-link")
    assert link["href"] == "/subscriptions?renewal_from=2025-03-01&renewal_to=2025-03-31"
    assert _names(reseller_client.get(link["href"])) == ["Back office", "Sales team"]  # not the cancelled Old pilot


def test_bad_dates_are_422_with_the_message_next_to_the_field(grid, reseller_client):
    assert_bad_dates_refused(reseller_client, "/subscriptions", "renewal_from", "renewal_to")


def test_a_status_customer_or_product_not_offered_is_refused_not_applied(grid, reseller_client):
    everyone = _names(reseller_client.get("/subscriptions"))
    for name, what in (("status", "a status"), ("customer", "a customer"), ("product", "a product")):
        assert_bad_choice_refused(reseller_client, "/subscriptions", name, what)
        assert _names(reseller_client.get(f"/subscriptions?{name}=bogus")) == everyone  # not filtered by "bogus"


def test_paging(grid, db, reseller_client):
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    for i in range(30):
        _add(db, adatum, f"Team {i:02d}", renewal_days=100 + i)
    first = soup(reseller_client.get("/subscriptions?sort=name"))
    assert first.select_one("#subscription-count").get_text() == "34 subscriptions"
    assert len(first.select("tbody tr")) == 25
    assert first.select_one(".pager").get_text(" ", strip=True).startswith("Page 1 of 2")
    nxt = first.select_one(".pager a[rel=next]")["href"]
    assert nxt == "/subscriptions?sort=name&page=2"
    second = reseller_client.get(nxt)
    assert _names(second) == [f"Team {i:02d}" for i in range(21, 30)]
    assert soup(second).select_one(".pager a[rel=prev]")["href"] == "/subscriptions?sort=name"


def _downloaded(client, path: str) -> list[list[str]]:
    """The rows of the CSV at `path`, which comes as a download named subscriptions.csv."""
    response = client.get(path)
    assert (response.status_code, response.mimetype) == (200, "text/csv")
    assert 'attachment; filename="subscriptions.csv"' == response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_grid_downloads_as_csv_what_its_filters_select_in_its_order_every_page_and_only_its_own(
        grid, db, reseller_client, customer_client, operator_client):
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    teams = [_add(db, adatum, f"Team {i:02d}", renewal_days=100 + i).friendly_name for i in range(30)]
    grid["sales"].friendly_name = "=HYPERLINK(\"http://evil\")"  # a typed name a spreadsheet would run
    db.session.commit()
    page = soup(reseller_client.get("/subscriptions?status=active&sort=name&direction=desc"))
    href = page.select_one("#subscriptions-csv")["href"]
    assert href == "/subscriptions.csv?status=active&sort=name&direction=desc"
    rows = _downloaded(reseller_client, href)
    assert rows[0] == ["Name", "Product", "Customer", "Tenant", "Subscription ID", "Seats", "Term", "Billing plan",
                       "Status", "Auto-renew", "Renewal date"]
    assert [r[0] for r in rows[1:]] == [*reversed(teams), "Litware staff", "Back office", "'=HYPERLINK(\"http://evil\")"]
    assert rows[-1][1:] == ["Microsoft 365 Business Basic", "Fabrikam, Inc.", "fabrikam.onmicrosoft.com",
                            grid["sales"].ms_subscription_id, "12", "1 year", "Monthly", "Active", "On", "2025-03-21"]
    ended = _downloaded(reseller_client, "/subscriptions.csv?status=deleted")
    assert [r[0] for r in ended[1:]] == ["Old pilot"] and ended[1][-3:] == ["Cancelled", "Off", ""]
    # Another account's subscriptions are never in it; the operator's has every account's, with the account.
    assert [r[0] for r in _downloaded(customer_client, "/subscriptions.csv")[1:]] == ["Tailspin all staff"]
    operators = _downloaded(operator_client, "/subscriptions.csv?q=tailspin")
    assert operators[0][2] == "Account" and operators[1][:3] == ["Tailspin all staff", "Microsoft 365 Business Basic",
                                                                 "Tailspin Toys"]


def test_a_one_month_term_reads_1_month_beside_its_monthly_billing_plan(grid, db, reseller_client):
    """The term is not "Monthly", the billing plan's word: "Monthly, billed Monthly" said nothing."""
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    month = _add(db, adatum, "Trial month", renewal_days=15, term="P1M")
    row = next(tr for tr in soup(reseller_client.get("/subscriptions")).select("tbody tr")
               if tr.select_one(".sub-name").get_text(strip=True) == "Trial month")
    assert [td.get_text(strip=True) for td in row.select("td")][5:7] == ["1 month", "Monthly"]
    rows = _downloaded(reseller_client, "/subscriptions.csv?q=trial")
    assert [dict(zip(rows[0], r))["Term"] for r in rows[1:]] == ["1 month"]
    details = soup(reseller_client.get(f"/subscriptions/{month.id}"))
    facts = {dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(strip=True) for dt in details.select("dt")}
    assert (facts["Term"], facts["Billing plan"]) == ("1 month", "Monthly")


def test_the_operator_filters_the_grid_by_account_and_buyers_cannot(grid, operator_client, reseller_client):
    tailspin = grid["tailspin"].account
    page = soup(operator_client.get(f"/subscriptions?account={tailspin.id}"))
    assert page.find("label", attrs={"for": "account"}).get_text(strip=True) == "Account"
    assert page.select_one("#account option[selected]").get_text() == "Tailspin Toys"
    assert _names(operator_client.get(f"/subscriptions?account={tailspin.id}")) == ["Tailspin all staff"]
    assert len(_names(operator_client.get(f"/subscriptions?account={grid['sales'].account_id}"))) == 4
    csv_link = page.select_one("#subscriptions-csv")["href"]
    assert csv_link == f"/subscriptions.csv?account={tailspin.id}"
    assert [r[0] for r in _downloaded(operator_client, csv_link)[1:]] == ["Tailspin all staff"]
    assert_bad_choice_refused(operator_client, "/subscriptions", "account", "an account")
    assert soup(reseller_client.get("/subscriptions")).select_one("#account") is None
    assert "Tailspin all staff" not in _names(reseller_client.get(f"/subscriptions?account={tailspin.id}"))


def test_a_reseller_naming_another_accounts_customer_or_product_learns_nothing_of_it(grid, db, reseller2_client):
    """Another account's customer (by name, or a licensee's id) or product in Litware's address is refused as any
    value the filter does not offer is, in every list: 422, "Choose a customer from the list.", Litware's own
    subscriptions shown without that filter; the answer is the one a made-up name gets, word for word, and says
    nothing of Adatum's (nor does the CSV)."""
    from app.accounts.models import Licensee

    litware = db.session.scalar(db.select(Account).where(Account.name.like("Litware%")))
    _add(db, litware, "Wingtip office", renewal_days=30, customer="Wingtip Toys", product="Power BI Pro",
         tenant="wingtip.onmicrosoft.com")
    fabrikam = db.session.scalar(db.select(Licensee).where(Licensee.reseller_id == grid["sales"].account_id))
    adatums = {"Sales team", "Back office", "Litware staff", "Old pilot", "Fabrikam", "Litware, Inc.", "Exchange Online",
               "Adatum", "fabrikam.onmicrosoft.com", fabrikam.company_name}

    def answer(name, value):
        response = reseller2_client.get("/subscriptions", query_string={name: value})
        text = soup(response).select_one("main").get_text(" ", strip=True)
        return response.status_code, text

    for name, values in (("customer", ["Fabrikam, Inc.", "Litware, Inc.", str(fabrikam.id)]),
                         ("product", ["Exchange Online (Plan 1)"])):
        made_up = answer(name, "Nobody at all")
        assert made_up[0] == 422 and f"Choose a {name} from the list." in made_up[1]
        assert "Wingtip office" in made_up[1]
        for value in values:
            assert answer(name, value) == made_up
            listed = soup(reseller2_client.get("/subscriptions", query_string={name: value})).select_one("main")
            assert not [word for word in adatums if word in str(listed)], value
            downloaded = reseller2_client.get("/subscriptions.csv", query_string={name: value}).get_data(as_text=True)
            assert "Wingtip office" in downloaded and not [word for word in adatums if word in downloaded]


def _not_of_the_account(client, query: dict, label: str, message: str):
    """The grid's answer to `query`, which names an account and, in the field labelled `label`, a value of another
    account: 422, `message` beside the field, the list said to be shown without it."""
    response = client.get("/subscriptions", query_string=query)
    assert response.status_code == 422
    page = soup(response)
    name = label.lower()
    assert page.select_one(f"#{name}-error").get_text() == message
    assert page.select_one(f"#{name}-said[role=status] > #{name}-error")  # in the field's live region
    assert page.select_one(f"#{name}")["aria-describedby"] == f"{name}-error"
    assert page.select_one("#filters-unapplied").get_text() == f"Shown without the {label} filter: correct it above."
    return response


def test_the_operators_customer_filter_offers_only_the_chosen_accounts_customers(grid, operator_client):
    """With an Account chosen, the Customer filter offers that account's customers only (in the fragment htmx
    swaps in too); a customer of another account chosen before the account (or in an edited address) is
    said beside the field and not applied: the list shows the account's subscriptions, never an error page."""
    tailspin, adatum = grid["tailspin"].account, grid["sales"].account

    def customers(query, **kw):
        return [o.get_text() for o in soup(operator_client.get("/subscriptions" + query, **kw)).select("#customer option")]

    assert customers("") == ["All customers", "Fabrikam, Inc.", "Litware, Inc.", "Tailspin Toys"]
    assert customers(f"?account={adatum.id}") == ["All customers", "Fabrikam, Inc.", "Litware, Inc."]
    assert customers(f"?account={tailspin.id}", headers={"HX-Request": "true"}) == ["All customers", "Tailspin Toys"]
    assert customers("?account=999999") == customers("")  # an account refused narrows nothing
    response = _not_of_the_account(operator_client, {"account": tailspin.id, "customer": "Fabrikam, Inc."}, "Customer",
                                   "Fabrikam, Inc. is not a customer of Tailspin Toys: choose one of its customers from the list.")
    assert soup(response).select_one("#account option[selected]").get_text() == "Tailspin Toys"
    assert _names(response) == ["Tailspin all staff"]
    assert _names(operator_client.get(f"/subscriptions?account={adatum.id}&customer=Litware%2C+Inc.")) == [
        "Litware staff"]


def test_the_operators_product_filter_offers_only_the_chosen_accounts_products(grid, operator_client):
    """As its Customer filter: with an Account chosen, the Product filter offers that account's products only; a
    product of another account is said beside the field and not applied."""
    tailspin, adatum = grid["tailspin"].account, grid["sales"].account

    def products(query, **kw):
        return [o.get_text() for o in soup(operator_client.get("/subscriptions" + query, **kw)).select("#product option")]

    assert products("") == ["All products", "Exchange Online (Plan 1)", "Microsoft 365 Business Basic"]
    assert products(f"?account={adatum.id}") == products("")
    assert products(f"?account={tailspin.id}", headers={"HX-Request": "true"}) == [
        "All products", "Microsoft 365 Business Basic"]
    response = _not_of_the_account(
        operator_client, {"account": tailspin.id, "product": "Exchange Online (Plan 1)"}, "Product",
        "Exchange Online (Plan 1) is not a product of Tailspin Toys: choose one of its products from the list.")
    assert _names(response) == ["Tailspin all staff"]
    assert _names(operator_client.get(f"/subscriptions?account={adatum.id}&product=Exchange+Online+%28Plan+1%29")) == [
        "Back office"]


def test_choosing_an_account_asks_for_its_customer_and_product_choices_only(grid, operator_client):
    """With JavaScript, the Account drop-down's change asks the grid again (htmx names the field: HX-Trigger-Name)
    and swaps in the Customer and Product drop-downs only, and their messages into the live regions beside them
    (there with or without a message, so that one put in is announced), never the search box a person may be
    typing in; the rows are not applied until Filter, so the answer names no address to push."""
    tailspin = grid["tailspin"].account
    account = soup(operator_client.get("/subscriptions")).select_one("form.subscription-filters #account")
    assert (account["hx-get"], account["hx-trigger"], account["hx-swap"], account["hx-push-url"]) == (
        "/subscriptions", "change", "none", "false")
    assert account["hx-select-oob"] == "#customer,#product,#customer-said:innerHTML,#product-said:innerHTML"
    asked = operator_client.get(f"/subscriptions?q=staff&account={tailspin.id}",
                                headers={"HX-Request": "true", "HX-Trigger-Name": "account", "HX-Trigger": "account"})
    assert asked.status_code == 200 and "HX-Push-Url" not in asked.headers
    page = soup(asked)
    assert [o.get_text() for o in page.select("#customer-field option")] == ["All customers", "Tailspin Toys"]
    assert [o.get_text() for o in page.select("#product-field option")] == ["All products", "Microsoft 365 Business Basic"]
    for name in ("customer", "product"):
        said = page.select_one(f"#{name}-field #{name}-said")
        assert (said["role"], said["aria-live"], said.get_text()) == ("status", "polite", "")
    filtered = operator_client.get(f"/subscriptions?q=staff&account={tailspin.id}", headers={"HX-Request": "true"})
    assert filtered.headers["HX-Push-Url"] == f"/subscriptions?q=staff&account={tailspin.id}"


def test_the_operators_grid_filtered_to_one_account_says_whose_subscriptions_it_shows(grid, operator_client):
    """As the orders' lead: it follows the Account filter, also in the fragment htmx swaps in."""
    tailspin = grid["tailspin"].account
    rest = ": change seats, auto-renewal and names, or cancel within 7 days of a purchase."

    def lead(query, **kw):
        return soup(operator_client.get("/subscriptions" + query, **kw)).select_one(".lead").get_text()

    assert lead("") == "Every subscription bought through the storefront" + rest
    assert lead(f"?account={tailspin.id}") == "What Tailspin Toys has bought" + rest
    assert lead(f"?account={tailspin.id}", headers={"HX-Request": "true"}) == "What Tailspin Toys has bought" + rest
    assert lead("?account=999999") == "Every subscription bought through the storefront" + rest


def test_the_operator_reads_who_sold_each_subscription_and_reaches_that_account(grid, operator_client, reseller_client):
    """A reseller's subscription was sold by the reseller; a direct customer's was not "sold by" itself."""
    def customer_fact(client, sub):
        page = soup(client.get(f"/subscriptions/{sub.id}"))
        dd = next(dt for dt in page.select("dt") if dt.get_text(strip=True) == "Customer").find_next_sibling("dd")
        return dd.get_text(" ", strip=True), [(a.get_text(), a["href"]) for a in dd.select("a")]

    adatum, tailspin = grid["sales"].account, grid["tailspin"].account
    assert customer_fact(operator_client, grid["sales"]) == (
        "Fabrikam, Inc. (sold by Adatum IT Services )", [("Adatum IT Services", f"/admin/accounts/{adatum.id}")])
    assert customer_fact(operator_client, grid["tailspin"]) == (
        "Tailspin Toys (direct customer: Tailspin Toys )", [("Tailspin Toys", f"/admin/accounts/{tailspin.id}")])
    assert customer_fact(reseller_client, grid["sales"]) == ("Fabrikam, Inc.", [])


def test_navigation_has_subscriptions_after_orders(demo, reseller_client, customer_client, operator_client):
    for client in (reseller_client, customer_client, operator_client):
        labels = [a.get_text() for a in soup(client.get("/")).select("nav[aria-label=Main] a")]
        assert labels[labels.index("Orders") + 1] == "Subscriptions"


def test_home_pages_list_renewals_in_the_next_30_days(grid, reseller_client, customer_client):
    page = soup(reseller_client.get("/"))
    section = page.select_one("#renewals-soon")
    assert section.select_one("h2").get_text() == "Renewals in the next 30 days"
    rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in section.select("tbody tr")]
    assert rows == [["2025-03-06", "Back office", "Fabrikam, Inc.", "3", "On (renews)"],
                    ["2025-03-21", "Sales team", "Fabrikam, Inc.", "12", "On (renews)"]]
    assert section.select_one("p a")["href"] == "/subscriptions?renewal_from=2025-03-01&renewal_to=2025-03-31"
    customer = soup(customer_client.get("/")).select_one("#renewals-soon")
    assert [a.get_text() for a in customer.select("tbody a")] == ["Tailspin all staff"]


def test_home_page_without_renewals_says_so(demo, reseller_client):
    assert "No subscription renews in the next 30 days." in text_of(reseller_client.get("/"))


def test_an_empty_grid_says_none_yet_unless_a_filter_is_applied(demo, reseller2_client):
    """Litware has no subscriptions: fields the grid does not filter by, or only its sort, apply no filter."""
    for url in ("/subscriptions", "/subscriptions?foo=bar", "/subscriptions?sort=name"):
        assert "No subscriptions yet: they appear here when an order completes." in \
            text_of(reseller2_client.get(url)), url
    assert "No subscriptions match these filters." in text_of(reseller2_client.get("/subscriptions?q=nothing"))
