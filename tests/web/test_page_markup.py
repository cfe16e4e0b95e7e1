"""Every page's markup, as each kind of user sees it: every GET route of url_map (as in
test_get_never_writes), full page and htmx fragment.

- No id is used twice on a page: duplicate ids are invalid HTML, and a label, aria-labelledby or a
  skip link that points at one finds the first only (the hidden CSRF input of each form used to be
  rendered with id="csrf_token", once per form).
- Every data table sits in a scroll container of its own (`.table-scroll`, a focusable, named group), so on
  a narrow screen the table scrolls sideways and the page does not (tests/browser/test_narrow_screen_browser.py
  measures it).
- No two regions of a page share a name (a table's scroll container was a region named by the heading of
  the section around it, so "the Users region" was two regions to a screen reader, and to anything that
  finds regions by name, as a person does).
- Every GET form with fields (a list's filters) says autocomplete="off": else, after the browser's Back, the
  browser puts back what its fields held when the page was left, and the drop-downs disagree with the
  address and the rows it shows (tests/browser/test_list_filters_browser.py goes Back in Chromium); and it is a
  search landmark (role="search"), as a list's filters are on every other page, so that a screen reader's
  landmarks lead to it.
"""
from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.web.test_get_never_writes import _get_rules, _url

ROLES = ("operator_client", "operator_member_client", "reseller_client", "reseller_member_client",
         "customer_client", "customer_member_client")
APP = Path(__file__).resolve().parents[2] / "app"


def _problems(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    ids = Counter(element["id"] for element in soup.select("[id]"))
    problems = [f'id="{name}" {count} times' for name, count in ids.items() if count > 1]
    for table in soup.select("table.table"):
        region = table.find_parent(class_="table-scroll")
        what = table.get("id") or " ".join(table.get("class", []))
        if region is None:
            problems.append(f"table {what} is not in a .table-scroll region")
            continue
        if region.find_parent(class_="table-scroll") is not None:
            problems.append(f"table {what} is in two nested .table-scroll regions")
        named = region.get("aria-label") or (region.get("aria-labelledby") and
                                             soup.find(id=region["aria-labelledby"]))
        if region.get("role") != "group" or region.get("tabindex") != "0" or not named:
            problems.append(f"the scroll container of table {what} is not a focusable, named group: "
                            f"{str(region)[:120]}")
    for form in soup.select("form"):
        fields = form.select("select, textarea, input:not([type=hidden]):not([type=submit]):not([type=button])")
        if form.get("method", "get").lower() == "get" and fields and form.get("autocomplete") != "off":
            problems.append(f'a GET form with fields has no autocomplete="off": {str(form)[:120]}')
        if form.get("method", "get").lower() == "get" and fields and form.get("role") != "search":
            problems.append(f'a GET form with fields is not a search landmark (role="search"): {str(form)[:120]}')
    names = [name for region in soup.select("[role=region], section[aria-labelledby], section[aria-label]")
             if (name := _region_name(soup, region))]
    problems += [f'{count} regions named "{name}"' for name, count in Counter(names).items() if count > 1]
    return problems


def _region_name(soup, element) -> str:
    if element.get("aria-label"):
        return element["aria-label"].strip()
    label = soup.find(id=element.get("aria-labelledby", "")) if element.get("aria-labelledby") else None
    return " ".join(label.get_text(" ").split()) if label is not None else ""


@pytest.mark.parametrize("who", ROLES)
def test_no_page_repeats_an_id_and_every_table_scrolls_in_its_own_region(app, db, request, scene, who):
    from app.catalog.models import Product

    client = request.getfixturevalue(who)
    product_id = db.session.scalars(db.select(Product.product_id).order_by(Product.id)).first()
    offenders, pages = [], 0
    for rule in _get_rules(app):
        url = _url(rule, scene, product_id)
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            if response.status_code != 200 or not response.content_type.startswith("text/html"):
                response.close()
                continue
            pages += 1
            offenders += [f"GET {url} ({'htmx' if headers else 'page'}): {problem}"
                          for problem in _problems(response.get_data(as_text=True))]
    assert pages > 20
    assert not offenders, f"As {who}:\n" + "\n".join(offenders)


def test_forms_render_their_csrf_input_without_an_id():
    """The forms of app/ derive from app.web.forms.FlaskForm, whose hidden CSRF input has no id (so two
    forms on a page do not both say id="csrf_token"); flask_wtf's own FlaskForm is imported there only."""
    offenders = []
    for path in APP.rglob("*.py"):
        if path == APP / "web" / "forms.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "flask_wtf" and \
                    any(alias.name == "FlaskForm" for alias in node.names):
                offenders.append(str(path.relative_to(APP.parent)))
    assert not offenders, ("Import FlaskForm from app.web.forms (its CSRF input has no id), not flask_wtf: "
                           + ", ".join(sorted(offenders)))
