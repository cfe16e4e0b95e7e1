"""The history's filter fields are drawn once for what they show and kept (app/orders/routes.py, _filter_fields):
what a kept drawing puts on the page is what drawing them afresh puts there, and nobody gets another's."""
from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from app.accounts.models import Account
from app.orders import routes


@pytest.fixture(autouse=True)
def nothing_kept(monkeypatch):
    monkeypatch.setattr(routes, "_FILTER_FIELDS", {})


def _filters(response) -> str:
    """The filter form of a history page (the fields, its buttons and the address it is sent to)."""
    return re.search(r'<form class="search-form order-filters".*?</form>', response.get_data(as_text=True), re.S)[0]


def _drawn_then_kept(client, url: str, status: int = 200) -> str:
    """The filters of `url` drawn afresh (nothing kept for them), then of the same page again (kept): the same."""
    before = dict(routes._FILTER_FIELDS)
    fresh = client.get(url)
    assert fresh.status_code == status
    new = [markup for key, markup in routes._FILTER_FIELDS.items() if key not in before]
    assert len(new) == 1, "the first visit draws and keeps them"
    assert str(new[0]) in _filters(fresh)
    # The second visit takes what was kept (a marker in it shows), with nothing drawn.
    (key,) = [key for key in routes._FILTER_FIELDS if key not in before]
    routes._FILTER_FIELDS[key] = Markup(str(new[0]) + "<!-- kept -->")
    kept = client.get(url)
    assert kept.status_code == status
    assert _filters(kept) == _filters(fresh).replace(str(new[0]), str(new[0]) + "<!-- kept -->")
    routes._FILTER_FIELDS[key] = new[0]
    assert _filters(client.get(url)) == _filters(fresh)
    return _filters(fresh)


def test_kept_filters_are_the_fresh_ones_with_no_args_with_values_and_with_errors(demo, db, reseller_client):
    plain = _drawn_then_kept(reseller_client, "/orders")
    assert 'id="account"' not in plain  # a reseller has no Account filter
    typed = _drawn_then_kept(reseller_client, "/orders?q=cont%3Coso&status=completed&date_from=2025-01-01"
                                              "&date_to=2025-02-01")
    assert 'value="cont&lt;oso"' in typed and '<option selected value="completed">' in typed
    assert 'value="2025-02-01"' in typed
    wrong = _drawn_then_kept(reseller_client, "/orders?date_from=31/01/2025", status=422)
    assert 'id="date_from-error"' in wrong and 'value="31/01/2025"' in wrong
    backwards = _drawn_then_kept(reseller_client, "/orders?date_from=2025-03-01&date_to=2025-01-01", status=422)
    assert 'id="date_to-error"' in backwards and 'id="date_from-error"' not in backwards
    # A refused choice: its error is drawn beside it, not the plain fields.
    assert _drawn_then_kept(reseller_client, "/orders?status=bogus", status=422) != plain
    # Only the page differs: the same fields as with no args, kept once for both.
    assert _filters(reseller_client.get("/orders?page=2")) == plain


def test_the_operators_account_choices_are_in_the_key(demo, db, operator_client):
    plain = _drawn_then_kept(operator_client, "/orders")
    assert '<select id="account" name="account">' in plain and "Adatum IT Services" in plain
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    chosen = _drawn_then_kept(operator_client, f"/orders?account={adatum.id}")
    assert f'<option selected value="{adatum.id}">Adatum IT Services</option>' in chosen
    # An account renamed: the choices differ, so the fields are drawn again, never the old ones shown.
    adatum.name = "Adatum Renamed Ltd"
    db.session.commit()
    renamed = _drawn_then_kept(operator_client, "/orders")
    assert "Adatum Renamed Ltd" in renamed and "Adatum IT Services" not in renamed


def test_nobody_gets_fields_kept_for_other_choices(demo, db, operator_client, reseller_client, reseller2_client):
    operators = _filters(operator_client.get("/orders"))
    assert 'id="account"' in operators
    resellers = _filters(reseller_client.get("/orders"))
    assert 'id="account"' not in resellers  # not the operator's, kept just before
    # Another reseller: nothing of the first's (their fields show nothing of either), and the operator's
    # choices never.
    assert _filters(reseller2_client.get("/orders")) == resellers
    assert len(routes._FILTER_FIELDS) == 2


def test_a_long_query_is_drawn_and_not_kept(demo, db, reseller_client):
    page = reseller_client.get("/orders?q=" + "x" * (routes.KEPT_QUERY_LENGTH + 1))
    assert 'value="' + "x" * (routes.KEPT_QUERY_LENGTH + 1) + '"' in _filters(page)
    assert routes._FILTER_FIELDS == {}
