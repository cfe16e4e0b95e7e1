"""The product search on the database's full-text index (FTS5 on SQLite, a GIN tsvector index on
PostgreSQL): word prefixes in titles, SKU titles and ids, typed text that is never query syntax, the
index kept current when the sync renames a product, and the query answered by the index."""
from __future__ import annotations

import copy

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from app.catalog.models import Product
from app.catalog.search import matches_words, words_of
from app.catalog.sync import new_sync, run_sync
from app.connections.services import get_client
from tests.support.catalog import BUSINESS_PREMIUM
from tests.helpers import text_of
from tests.catalog.test_products import titles


def test_the_beginnings_of_words_find_a_product_by_title_sku_or_id(reseller_client):
    # What a person types: the start of each word, in any order, any case.
    both = {"Microsoft 365 Business Premium", "Dynamics 365 Business Central Premium"}
    assert set(titles(reseller_client.get("/catalog/products?q=busi+prem"))) == both
    assert "Microsoft 365 Business Premium" in titles(reseller_client.get("/catalog/products?q=PREM+micro"))
    assert titles(reseller_client.get(f"/catalog/products?q={BUSINESS_PREMIUM}")) == ["Microsoft 365 Business Premium"]
    assert titles(reseller_client.get(f"/catalog/products?q={BUSINESS_PREMIUM.lower()}+premium")) == \
        ["Microsoft 365 Business Premium"]
    # Punctuation separates words as spaces do: "Business-Premium" and "(premium)" are the same words.
    assert set(titles(reseller_client.get("/catalog/products?q=Business-Premium"))) == both
    assert set(titles(reseller_client.get("/catalog/products?q=(premium)+business,"))) == both


@pytest.mark.parametrize("typed", ['"', "*", "NEAR(", ":", "&|!", "'", '"*:&|!()^-+{}', "\\", "a:* | b:*",
                                   "premium) OR (basic", "busi\" NEAR(prem*", "!premium", "prem:*B", "%_"])
def test_typed_quotes_and_operators_are_plain_text(reseller_client, typed):
    """FTS5 and tsquery operators in the search field are taken as the words around them, never as
    syntax: every answer is a page of results, and the words typed still count."""
    response = reseller_client.get("/catalog/products", query_string={"q": typed}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    found = titles(response)
    words = words_of(typed)
    if not words:
        assert found == [] and "No products match" in text_of(response)
    if typed == 'busi" NEAR(prem*':
        assert found == []  # "near" is a word like the others, and no product has it
    if typed == "premium) OR (basic":
        assert found == []  # every word must match: no product is premium, "or" and basic at once


def test_hostile_text_around_real_words_still_finds_the_product(reseller_client):
    for typed in ['"busi" (prem*', "busi: & prem!", "'busi' | ^prem", "busi\\ prem%"]:
        found = titles(reseller_client.get("/catalog/products", query_string={"q": typed}))
        assert "Microsoft 365 Business Premium" in found, typed


def test_a_sync_that_renames_a_product_moves_it_in_the_search(demo, db, sandbox_catalog, reseller_client):
    products = copy.deepcopy(sandbox_catalog.products())
    renamed = next(p for p in products if p["id"] == BUSINESS_PREMIUM)
    renamed["title"] = "Microsoft 365 Fabrikam Bundle"
    for sku in renamed["skus"]:
        sku["title"] = "Microsoft 365 Fabrikam Bundle"
    sandbox_catalog.set_products(products)
    run = run_sync(new_sync(), get_client())
    assert run.status == "finished", run.message
    db.session.commit()

    assert titles(reseller_client.get("/catalog/products?q=fabri+bund")) == ["Microsoft 365 Fabrikam Bundle"]
    assert "Microsoft 365 Fabrikam Bundle" not in titles(reseller_client.get("/catalog/products?q=busi+prem"))


def test_the_search_is_answered_by_the_full_text_index(demo, db):
    """The words reach the database's index: on SQLite a MATCH on the FTS5 table, on PostgreSQL the
    same expression as the GIN index (else the planner could not use it) in a plan that uses it."""
    dialect = db.session.get_bind().dialect.name
    stmt = db.select(Product.title).where(matches_words(words_of("busi prem")))
    assert "Microsoft 365 Business Premium" in db.session.scalars(stmt).all()
    if dialect == "sqlite":
        compiled = str(stmt.compile(dialect=sqlite.dialect()))
        assert "catalog_products_fts MATCH" in compiled
        plan = " ".join(str(row) for row in db.session.execute(db.text(
            "EXPLAIN QUERY PLAN SELECT rowid FROM catalog_products_fts WHERE catalog_products_fts MATCH :m"),
            {"m": '"busi"* "prem"*'}))
        assert "VIRTUAL TABLE INDEX" in plan, plan
    else:
        # With 50 products the planner would rather read the table; forbid that to see that it can.
        db.session.execute(db.text("SET LOCAL enable_seqscan = off"))
        compiled = stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        plan = " ".join(row[0] for row in db.session.execute(db.text(f"EXPLAIN {compiled}")))
        assert "ix_catalog_products_search" in plan, plan
