"""The main navigation marks the open page, whichever page was drawn before it: its markup is kept per set of
entries and open page (app/web/layout.py, navigation_markup), so these ask page after page of one user and of
users who see other entries."""
from __future__ import annotations

from tests.helpers import soup


def _nav(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return soup(response).select_one('nav[aria-label="Main"]')


def _current(nav) -> list[str]:
    return [a.get_text(strip=True) for a in nav.select("a[aria-current=page]")]


def test_the_open_page_is_marked_page_after_page(reseller_client):
    assert _current(_nav(reseller_client, "/orders")) == ["Orders"]
    assert _current(_nav(reseller_client, "/catalog/products")) == ["Products"]
    assert _current(_nav(reseller_client, "/orders")) == ["Orders"]
    # A page the navigation does not point at marks nothing, and the next page is marked again.
    assert _current(_nav(reseller_client, "/profile")) == []
    assert _current(_nav(reseller_client, "/catalog/products")) == ["Products"]


def test_a_group_heading_shows_where_one_is(reseller_client):
    nav = _nav(reseller_client, "/settings/users")
    assert _current(nav) == ["Users"]
    assert [a.get_text(strip=True) for a in nav.select("a.nav-heading-current")] == ["Settings"]
    section = _nav(reseller_client, "/sections/settings")
    assert _current(section) == ["Settings"] and section.select("a.nav-heading-current") == []
    assert _current(_nav(reseller_client, "/orders")) == ["Orders"]
    assert _nav(reseller_client, "/orders").select("a.nav-heading-current") == []


def test_each_kind_of_account_sees_its_own_entries_on_the_same_page(reseller_client, customer_client,
                                                                    operator_client):
    def entries(nav):
        return [a.get_text(strip=True) for a in nav.select("a")]

    reseller, customer, operator = (entries(_nav(c, "/orders")) for c in (reseller_client, customer_client,
                                                                             operator_client))
    assert "Programs" in reseller and "Licensees" in reseller
    assert "Programs" not in customer and "Licensees" not in customer
    assert "Reconciliation" in operator and "Reconciliation" not in reseller
    assert entries(_nav(reseller_client, "/orders")) == reseller


def test_a_member_who_opens_the_settings_section_is_told_whom_to_ask(customer_member_client, reseller_member_client):
    """The section page of a group the user may open nothing of answered the generic "Your account does not have
    access to this page.", where each of its pages says who may."""
    from tests.helpers import text_of

    for member in (customer_member_client, reseller_member_client):
        refused = member.get("/sections/settings")
        assert refused.status_code == 403
        assert ("This page is for your account's admins. Ask one of them if something here needs to change."
                in text_of(refused))
    assert reseller_member_client.get("/sections/nothing-here").status_code == 404


def test_a_member_who_opens_a_resellers_admin_only_page_is_told_whom_to_ask(reseller_member_client):
    """Delegated admin (GDAP) as a partner is for a reseller's account admins: a member was given the generic
    "Your account does not have access to this page."."""
    from tests.helpers import text_of

    refused = reseller_member_client.get("/programs/gdap/connected")
    assert refused.status_code == 403
    assert ("This page is for a reseller's account admins. Ask one of your account's admins if something here needs "
            "to change." in text_of(refused))
