"""The paging every list shares (app/web/query.py): the page an address asks for."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from app.web.query import requested_page


@pytest.mark.parametrize("query, page", [
    ({}, 1), ({"page": "3"}, 3), ({"page": "0"}, 1), ({"page": "-2"}, 1), ({"page": "x"}, 1), ({"page": ""}, 1),
])
def test_an_address_asks_for_a_page_of_1_or_more(query, page):
    assert requested_page(MultiDict(query)) == page
