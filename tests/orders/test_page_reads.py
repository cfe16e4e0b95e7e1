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


def test_the_gdap_request_read_with_the_order_is_the_one_request_for_finds(demo, db, reseller_client):
    from app.accounts.models import User
    from app.orders.gdap import GdapRequest, request_for

    order = place(db, reseller_request(db, domain="pagegdap.onmicrosoft.com"))
    user = db.session.get(User, order.user_id)

    def both():
        db.session.expire_all()
        found = queries.find_visible_with_gdap(user, order.number.lower())
        assert found is not None and found[0].id == order.id
        return found[1], request_for(found[0].account_id, found[0].domain)

    assert both() == (None, None)
    for n, (account_id, domain) in enumerate([(order.account_id, "pagegdap.onmicrosoft.com"),
                                              (order.account_id, "pagegdap.onmicrosoft.com"),
                                              (order.account_id, "other.onmicrosoft.com"),
                                              (demo_other_account(db, order.account_id), "pagegdap.onmicrosoft.com")]):
        db.session.add(GdapRequest(account_id=account_id, domain=domain, relationship_id=f"rel-pagegdap-{n}",
                                   approval_link="https://example.test", status="approvalPending"))
        db.session.flush()
        mine, theirs = both()
        assert mine is not None and mine is theirs and mine.relationship_id == f"rel-pagegdap-{min(n, 1)}"
    order.domain = "PageGdap.onmicrosoft.com"  # request_for reads the domain in lower case
    db.session.flush()
    mine, theirs = both()
    assert mine is theirs and mine.relationship_id == "rel-pagegdap-1"
    assert queries.find_visible_with_gdap(user, "ORD-NONE-NONE-NONE") is None


def demo_other_account(db, account_id: int) -> int:
    from app.accounts.models import Account

    return db.session.scalar(db.select(Account.id).where(Account.id != account_id).limit(1))
