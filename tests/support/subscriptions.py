"""Buying through the orders machinery against the sandbox, and filling the subscription pages' forms."""
from __future__ import annotations

from app.subscriptions.models import Subscription
from tests.helpers import soup
from tests.support.orders import line, place, reseller_request, run_job

BASIC = dict(product_id="CFQ7TTC0LH18", title="Microsoft 365 Business Basic", family="Microsoft 365", price="6.00")
STANDARD = dict(product_id="CFQ7TTC0LDPB", title="Microsoft 365 Business Standard", family="Microsoft 365",
                price="12.50")


def buy(db, *, domain="seatsco.onmicrosoft.com", lines=None, draft_id=1) -> list[Subscription]:
    """Adatum buys for Fabrikam (10 seats of Business Basic, 1 year, monthly, unless told otherwise)."""
    order = place(db, reseller_request(db, domain=domain, draft_id=draft_id,
                                       lines=lines or [line(**BASIC, quantity=10)]))
    assert run_job(order.id) == "completed"
    db.session.expire_all()
    return db.session.scalars(db.select(Subscription).where(Subscription.order_id == order.id)
                              .order_by(Subscription.id)).all()


def form_data(page, action: str) -> dict:
    """The fields of the page's form posting to `action`, as the browser would send them."""
    form = page.select_one(f'form[action="{action}"]')
    assert form is not None, f"no form posting to {action}"
    return {i["name"]: i.get("value", "") for i in form.select("input[name]")}


def submit(client, url_of_page: str, action: str, **values):
    """Open the page, fill the form posting to `action`, send it."""
    page = soup(client.get(url_of_page))
    data = form_data(page, action)
    data.update(values)
    return client.post(action, data)


def remote(sandbox_store, sub: Subscription) -> dict:
    return sandbox_store.document("subscription", sub.ms_subscription_id)


def submit_and_confirm(client, url_of_page: str, action: str, **values):
    """`submit`, then answer the page that asks first (a reduction of seats) with its button, as the person would."""
    asked = submit(client, url_of_page, action, **values)
    assert asked.status_code == 200, f"{action} asked nothing ({asked.status_code})"
    return client.post(action, form_data(soup(asked), action))
