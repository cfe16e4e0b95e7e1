"""The order page's own reads give what the ORM's would (app/orders/queries.py)."""
from __future__ import annotations

from app.orders import queries
from app.orders.models import Order
from tests.support.orders import place, reseller_request


def test_steps_and_lines_read_for_the_page_are_what_the_relationships_load(demo, db):
    order = place(db, reseller_request(db, domain="pagereads.onmicrosoft.com"))
    # Positions the reverse of the rows' ids: the page's reads must order them as the relationships do.
    for children in (order.steps, order.lines):
        for position, child in enumerate(reversed(children)):
            child.position = position
    db.session.flush()
    db.session.expire_all()
    read = db.session.get(Order, order.id)
    queries.load_steps_and_lines(read)
    mine = ([s.id for s in read.steps], [line.id for line in read.lines])
    db.session.expire_all()
    lazy = db.session.get(Order, order.id)
    assert mine == ([s.id for s in lazy.steps], [line.id for line in lazy.lines])
    assert len(mine[0]) > 1 and mine[0] == sorted(mine[0], reverse=True)


def test_steps_and_lines_already_loaded_are_kept_as_they_are(demo, db):
    order = place(db, reseller_request(db, domain="pagekeeps.onmicrosoft.com"))
    steps, lines = list(order.steps), list(order.lines)
    order.steps[0].error = "not flushed yet"
    removed = order.steps.pop()
    queries.load_steps_and_lines(order)
    assert order.steps == steps[:-1] and removed not in order.steps and order.lines == lines
    assert order.steps[0].error == "not flushed yet"
