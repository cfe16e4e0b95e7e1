"""An order page shows the last of several pushes that arrive together: an order that completes moments
after its previous step sends two fragments and `done` at once, and the page must end on the completed
order (the fragment a push replaces takes no listener with it: pushes go into #order-live, which stays)."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.support.browser import a_processing_order, pushes_delivered_together, sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_checkouts")]


def test_the_last_of_order_pushes_that_arrive_together_is_shown(page, live_app, live_server):
    """The page's stream is real; the browser receives everything it sent at once (held until it ends)."""
    from app.extensions import db
    from app.orders.models import Order, OrderStatus
    from app.orders.transitions import publish_progress
    from app.time import utcnow

    number = f"ORD-PUSH-{uuid.uuid4().hex[:4].upper()}-TEST"
    order_id = a_processing_order(live_app, number=number, domain=f"push{uuid.uuid4().hex[:8]}.onmicrosoft.com")

    def move(status=None) -> None:
        with live_app.app_context():
            moved = db.session.get(Order, order_id)
            if status is not None:
                moved.status, moved.completed_at = status, utcnow()
            db.session.commit()
            publish_progress(moved)

    worker = None
    try:
        sign_in_as(page, live_server, "reseller@example.com")
        # The stream sends a step, then the completed order, before the browser receives either.
        worker = pushes_delivered_together(page, live_app, f"**/orders/{number}/events", "order", order_id,
                                           [move, lambda: move(OrderStatus.COMPLETED)])
        page.goto(f"{live_server}/orders/{number}")
        expect(page.locator("#order-status")).to_have_text("Completed", timeout=20_000)
        expect(page.locator("#order-progress[hx-trigger]")).to_have_count(0)
    finally:
        if worker is not None:
            worker.join(timeout=30)
        with live_app.app_context():  # never left processing: the sweep would look at it
            left = db.session.get(Order, order_id)
            if left.status == OrderStatus.PROCESSING:
                left.status = OrderStatus.COMPLETED
                db.session.commit()
