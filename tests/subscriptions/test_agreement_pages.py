"""The Agreements pages: the list, one agreement with its subscriptions and orders, and who sees what."""
from __future__ import annotations

from app.orders.models import Order
from tests.helpers import soup, text_of


def test_the_list_and_details_show_the_agreement_its_subscriptions_and_orders(bought, db, reseller_client):
    agreement = bought.agreement
    listing = soup(reseller_client.get("/agreements"))
    nav = listing.select_one("nav[aria-label=Main]")
    assert nav.find("a", string="Agreements")["href"] == "/agreements"
    row = listing.select_one(f"#agreement-{agreement.number}")
    cells = [td.get_text(strip=True) for td in row.select("td")]
    assert cells[:5] == [agreement.number, "Fabrikam, Inc.", "seatsco.onmicrosoft.com", "Microsoft 365", "1"]
    assert row.select_one("a")["href"] == f"/agreements/{agreement.number}"

    page = reseller_client.get(f"/agreements/{agreement.number}")
    assert page.status_code == 200
    html = soup(page)
    assert html.select_one("h1").get_text() == f"Agreement {agreement.number}"
    assert [a.get_text() for a in html.select(".agreement-subscriptions td a")] == [bought.name]
    purchase = db.session.get(Order, bought.order_id)
    assert [a.get_text() for a in html.select(".agreement-orders td a")] == [purchase.number]
    terminate = html.select_one("a.button-danger")
    assert terminate.get_text() == "Terminate agreement"
    assert terminate["href"] == f"/agreements/{agreement.number}/terminate"


def test_a_change_order_is_listed_with_the_agreement(bought, db, reseller_client):
    from tests.support.subscriptions import submit

    agreement = bought.agreement
    submit(reseller_client, f"/subscriptions/{bought.id}", f"/subscriptions/{bought.id}/auto-renew")
    db.session.expire_all()
    html = soup(reseller_client.get(f"/agreements/{agreement.number}"))
    types = [td.get_text() for td in html.select(".agreement-orders tbody tr td:nth-of-type(3)")]
    assert len(types) == 2 and "Purchase" in types


def test_another_reseller_neither_sees_nor_opens_the_agreement(bought, reseller2_client, operator_client):
    agreement = bought.agreement
    assert reseller2_client.get(f"/agreements/{agreement.number}").status_code == 404
    assert reseller2_client.get(f"/agreements/{agreement.number}/terminate").status_code == 404
    assert soup(reseller2_client.get("/agreements")).select_one(f"#agreement-{agreement.number}") is None
    assert "No agreements yet" in text_of(reseller2_client.get("/agreements"))
    # The operator sees every account's, with the account named.
    operator = soup(operator_client.get("/agreements"))
    assert "Adatum IT Services" in operator.select_one(f"#agreement-{agreement.number}").get_text()


def test_the_operators_list_is_captioned_as_every_accounts_not_its_own(bought, operator_client, reseller_client):
    """The operator's Agreements list (every account's, with an Account column) was captioned "Your agreements,
    newest first", as a reseller's is: the operator holds none of them."""
    operator = soup(operator_client.get("/agreements"))
    assert operator.select_one("table.agreements-list caption").get_text(strip=True) == (
        "Every account's agreements, newest first")
    reseller = soup(reseller_client.get("/agreements"))
    assert reseller.select_one("table.agreements-list caption").get_text(strip=True) == "Your agreements, newest first"


def test_an_operator_member_reads_but_is_not_offered_termination(bought, operator_member_client):
    html = soup(operator_member_client.get(f"/agreements/{bought.agreement.number}"))
    assert html.select_one("h1") is not None
    assert html.select_one("a.button-danger") is None


def test_a_cancelled_subscription_shows_no_renewal_date_on_its_agreement_as_in_the_grid(bought, db, reseller_client):
    url = f"/agreements/{bought.agreement.number}"
    renewal = bought.commitment_end_date.strftime("%Y-%m-%d")
    assert soup(reseller_client.get(url)).select(".agreement-subscriptions tbody td")[-1].get_text() == renewal
    bought.status = "deleted"  # cancelled: it renews no more, though its term's end stays Microsoft's
    db.session.commit()
    cells = [td.get_text() for td in soup(reseller_client.get(url)).select(".agreement-subscriptions tbody td")]
    assert cells[-2:] == ["Cancelled", "No renewal"]  # (it read "None", as a value missing)
    row = soup(reseller_client.get("/subscriptions")).select_one(f"tr[data-subscription='{bought.id}']")
    assert row.select_one(".renewal-date").get_text() == cells[-1]
