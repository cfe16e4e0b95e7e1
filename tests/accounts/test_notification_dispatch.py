"""Who is told what, in the storefront and by mail: the recipients rules, opt-outs and extra addresses of
send(), and the notifications the storefront sends as things happen (orders placed, completed, querying,
failed; a change completed; renewals; cancellation windows closing; catalog changes), delivered over real
SMTP; and a mail server that is down costs nothing but the mail."""
from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from app.accounts.models import Account, Notification, User
from app.accounts.notification_settings import (ADMINS, CATALOG, CONCERNED, EVERYONE, ORDERS, SUBSCRIPTIONS,
                                                choice_of, save_choice, set_opt_outs)
from app.accounts.notifications import notify_operator_admins, send
from app.mail import FAILED, QUEUED, SENT, MailMessage
from app.mail.delivery import MAX_ATTEMPTS, deliver
from app.orders.models import Order
from app.subscriptions.models import Subscription
from tests.factories import UserFactory
from tests.support.orders import line, place, reseller_request, work
from tests.support.smtp import closed_port, deliver_queued, html_of, links_in, text_of
from tests.support.subscriptions import BASIC, buy, submit, submit_and_confirm

ADATUM = "Adatum IT Services"
RITA, MEMBER = "reseller@example.com", "reseller-member@example.com"  # Adatum's admin and member


@pytest.fixture
def app_config():
    # Orders complete as soon as Microsoft is asked; retries inside the client do not sleep long.
    return {"SANDBOX_CONFIG": {"SANDBOX_ORDER_DELAY_SECONDS": 0},
            "PARTNER_CENTER_CLIENT_OPTIONS": {"backoff_base": 0.01, "backoff_max": 0.05}}


def _account(db, name: str = ADATUM) -> Account:
    return db.session.scalar(db.select(Account).where(Account.name == name))


def _user(db, email: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


def _choose(db, category: str, account: str = ADATUM, *, enabled: bool = True, recipients: str | None = None,
            extra: list[str] | None = None) -> None:
    """What an account admin saves on Settings > Notifications."""
    account_id = _account(db, account).id
    current = choice_of(account_id, category)
    save_choice(account_id, category, enabled=enabled, recipients=recipients or current.recipients,
                extra_emails=extra if extra is not None else current.extra_emails)
    db.session.commit()


def _opt_out(db, email: str, *categories: str) -> None:
    """What a user unticks under My profile."""
    set_opt_outs(_user(db, email).id, set(categories))
    db.session.commit()


def _told(db, title: str) -> list[str]:
    """Who has the notification in the storefront (their emails, sorted)."""
    return sorted(db.session.scalars(db.select(User.email).join(Notification, Notification.user_id == User.id)
                                     .where(Notification.title == title)))


def _received(smtp_server, subject: str) -> list[str]:
    """Who the mail server received the message for (sorted)."""
    return sorted(m["To"] for m in smtp_server.messages if m["Subject"] == subject)


def _message(smtp_server, subject: str, to: str):
    [message] = [m for m in smtp_server.messages if m["Subject"] == subject and m["To"] == to]
    return message


# ------------------------------------------------------------------------------ recipients rules

def test_concerned_means_the_person_concerned_or_the_admins_when_there_is_none(demo, db):
    adatum = _account(db)
    member = _user(db, MEMBER)
    second_admin = UserFactory(account=adatum, email="ada@adatum.example.com", role="admin")
    UserFactory(account=adatum, email="left@adatum.example.com", role="admin", is_active_user=False)

    about_member = send(ORDERS, account=adatum, title="About the member", body="b", concerning=member)
    assert about_member.emailed == [MEMBER]
    assert _told(db, "About the member") == [MEMBER]

    nobody = send(ORDERS, account=adatum, title="About nobody", body="b")
    assert sorted(nobody.emailed) == ["ada@adatum.example.com", RITA]  # the active admins
    assert _told(db, "About nobody") == ["ada@adatum.example.com", RITA]

    member.is_active_user = False  # the buyer has left: the admins are told instead
    db.session.commit()
    left = send(ORDERS, account=adatum, title="About someone who left", body="b", concerning=member)
    assert _told(db, "About someone who left") == ["ada@adatum.example.com", RITA]
    assert second_admin.id in left.in_app


def test_admins_means_the_admins_and_the_person_concerned(demo, db):
    _choose(db, ORDERS, recipients=ADMINS)
    adatum, member = _account(db), _user(db, MEMBER)
    UserFactory(account=adatum, email="mo@adatum.example.com", role="member")

    sent = send(ORDERS, account=adatum, title="Order ORD-1 placed", body="b", concerning=member)
    assert _told(db, "Order ORD-1 placed") == [MEMBER, RITA]  # not the other member
    assert sorted(sent.emailed) == [MEMBER, RITA]
    send(ORDERS, account=adatum, title="Order ORD-2 placed", body="b")
    assert _told(db, "Order ORD-2 placed") == [RITA]


def test_everyone_means_every_active_user_of_the_account_and_nobody_elsewhere(demo, db):
    _choose(db, ORDERS, recipients=EVERYONE)
    adatum = _account(db)
    UserFactory(account=adatum, email="mo@adatum.example.com", role="member")
    UserFactory(account=adatum, email="gone@adatum.example.com", role="member", is_active_user=False)

    sent = send(ORDERS, account=adatum, title="For everyone", body="b", concerning=_user(db, RITA))
    assert _told(db, "For everyone") == ["mo@adatum.example.com", MEMBER, RITA]
    assert sorted(sent.emailed) == ["mo@adatum.example.com", MEMBER, RITA]
    assert db.session.scalar(db.select(db.func.count(MailMessage.id))) == 3
    assert {m.account_id for m in db.session.scalars(db.select(MailMessage))} == {adatum.id}


def test_a_disabled_category_tells_nobody_in_the_account(demo, db):
    _choose(db, SUBSCRIPTIONS, enabled=False, extra=["renewals@adatum.example.com"])
    sent = send(SUBSCRIPTIONS, account=_account(db), title="Renews soon", body="b", concerning=_user(db, RITA))
    assert (sent.in_app, sent.emailed) == ([], [])
    assert _told(db, "Renews soon") == []
    assert db.session.scalar(db.select(db.func.count(MailMessage.id))) == 0


def test_extra_addresses_get_the_mail_saying_why_and_no_one_gets_it_twice(demo, db, smtp_server):
    _choose(db, ORDERS, extra=["accounts@adatum.example.com", RITA])
    sent = send(ORDERS, account=_account(db), title="Order ORD-3 completed", body="Done.", concerning=_user(db, RITA),
                link="/orders/ORD-3")
    db.session.commit()
    assert sent.emailed == [RITA, "accounts@adatum.example.com"]
    assert _told(db, "Order ORD-3 completed") == [RITA]  # an address is not a user: no in-app notification
    deliver_queued()
    assert _received(smtp_server, "Order ORD-3 completed") == ["accounts@adatum.example.com", RITA]
    outside = text_of(_message(smtp_server, "Order ORD-3 completed", "accounts@adatum.example.com"))
    assert "Adatum IT Services added this address to its Orders notifications" in outside
    assert "http://127.0.0.1:5000/orders/ORD-3" in outside
    user_mail = text_of(_message(smtp_server, "Order ORD-3 completed", RITA))
    assert "To stop these emails, change your preferences: http://127.0.0.1:5000/profile/notifications" in user_mail


def test_an_opt_out_stops_the_users_email_but_not_their_notification(demo, db):
    _opt_out(db, MEMBER, SUBSCRIPTIONS)
    sent = send(SUBSCRIPTIONS, account=_account(db), title="Renews in 7 days", body="b")
    assert _told(db, "Renews in 7 days") == [MEMBER, RITA]
    assert sent.emailed == [RITA]
    # Other categories still come by mail.
    _choose(db, ORDERS, recipients=EVERYONE)
    assert sorted(send(ORDERS, account=_account(db), title="Order", body="b").emailed) == [MEMBER, RITA]


def test_an_opted_out_users_own_address_among_the_extra_addresses_gets_no_mail(demo, db):
    """The user said no to these emails; the account listing their address too does not overrule them."""
    _choose(db, SUBSCRIPTIONS, extra=[MEMBER, "renewals@adatum.example.com"])
    _opt_out(db, MEMBER, SUBSCRIPTIONS)
    sent = send(SUBSCRIPTIONS, account=_account(db), title="Renews in 30 days", body="b")
    assert sent.emailed == [RITA, "renewals@adatum.example.com"]
    assert MEMBER not in db.session.scalars(db.select(MailMessage.to_email)).all()


def test_operator_alerts_reach_every_operator_admin_in_app_and_by_mail_per_their_settings(demo, db):
    operator = db.session.scalar(db.select(Account).where(Account.kind == "operator"))
    deputy = UserFactory(account=operator, email="deputy@northwind.example.com", role="admin")
    assert notify_operator_admins("Order ORD-9 stuck", "Past its deadline.", category=ORDERS) == 2
    assert _told(db, "Order ORD-9 stuck") == ["admin@example.com", "deputy@northwind.example.com"]
    assert sorted(db.session.scalars(db.select(MailMessage.to_email))) == ["admin@example.com",
                                                                          "deputy@northwind.example.com"]
    # The deputy wants no order mail; the operator then turns order mail off altogether: still in-app.
    _opt_out(db, deputy.email, ORDERS)
    notify_operator_admins("Order ORD-10 stuck", "Past its deadline.", category=ORDERS)
    assert db.session.scalars(db.select(MailMessage.to_email).where(
        MailMessage.subject == "Order ORD-10 stuck")).all() == ["admin@example.com"]
    _choose(db, ORDERS, account=operator.name, enabled=False)
    notify_operator_admins("Order ORD-11 stuck", "Past its deadline.", category=ORDERS)
    assert _told(db, "Order ORD-11 stuck") == ["admin@example.com", "deputy@northwind.example.com"]
    assert db.session.scalar(db.select(db.func.count(MailMessage.id)).where(
        MailMessage.subject == "Order ORD-11 stuck")) == 0
    assert _told(db, "Order ORD-9 stuck") and "operator-member@example.com" not in _told(db, "Order ORD-9 stuck")


# ------------------------------------------------------------------------------ orders, as they happen

def test_an_order_placed_and_completed_is_mailed_to_the_buyer_and_per_the_accounts_choices(
        demo, db, redis, smtp_server):
    member = _user(db, MEMBER)
    # By default only the buyer (the member) hears about the order.
    order = place(db, reseller_request(db, domain="memberbuys.onmicrosoft.com", user_id=member.id))
    work(redis)  # the real worker: provisioning against the sandbox, then the mail jobs
    order = db.session.get(Order, order.id)
    assert order.status == "completed"
    placed, completed = f"Order {order.number} placed", f"Order {order.number} completed"
    assert _received(smtp_server, placed) == _received(smtp_server, completed) == [MEMBER]
    assert _told(db, placed) == _told(db, completed) == [MEMBER]
    mail = _message(smtp_server, completed, MEMBER)
    assert "1 subscription created for Fabrikam, Inc." in text_of(mail)
    assert f"http://127.0.0.1:5000/orders/{order.number}" in links_in(mail)
    assert f'href="http://127.0.0.1:5000/orders/{order.number}"' in html_of(mail)
    assert "Provisioning has started" in text_of(_message(smtp_server, placed, MEMBER))

    # The account wants its admins told too, and a shared mailbox; the admin wants no order mail.
    _choose(db, ORDERS, recipients=ADMINS, extra=["orders@adatum.example.com"])
    _opt_out(db, RITA, ORDERS)
    second = place(db, reseller_request(db, domain="memberbuys2.onmicrosoft.com", draft_id=2, user_id=member.id))
    work(redis)
    done = f"Order {db.session.get(Order, second.id).number} completed"
    assert _received(smtp_server, done) == ["orders@adatum.example.com", MEMBER]
    assert _told(db, done) == [MEMBER, RITA]  # Rita still sees it in the storefront
    assert {m.status for m in db.session.scalars(db.select(MailMessage))} == {SENT}


def test_an_order_placed_through_the_checkout_pages_is_mailed_to_the_member_who_placed_it(
        demo, db, redis, smtp_server, customer_member_client):
    """Tailspin Toys (a direct customer): its member buys through every checkout page; the worker
    provisions it against the sandbox and delivers the mail."""
    from app.catalog.models import Product, Sku
    from app.checkout.models import CheckoutDraft

    c = customer_member_client
    sku = db.session.scalar(db.select(Sku.id).join(Product).where(Product.product_id == "CFQ7TTC0LH18",
                                                                  Sku.sku_id == "0001"))
    c.post("/catalog/products/CFQ7TTC0LH18/cart", {"sku": sku, "term": "P1Y", "billing_plan": "monthly",
                                                   "quantity": "3"})
    c.post("/checkout/customer", {})
    assert c.post("/checkout/service", {"domain_prefix": "tailspinmail"}).status_code == 303
    assert c.post("/checkout/company", {"address_line1": "1 Main Street", "city": "Seattle", "state": "WA",
                                        "postal_code": "98101"}).status_code == 303
    assert c.post("/checkout/agreement", {"accepted": "y", "first_name": "Cora", "last_name": "Member",
                                          "email": "cora@tailspin.example.com", "phone": "+1 555 010 0124"}
                  ).status_code == 303
    draft = db.session.scalar(db.select(CheckoutDraft).where(CheckoutDraft.status == "open"))
    placed = c.post("/checkout/review", {"terms": "y", "draft_id": str(draft.id)}, htmx=True)
    assert placed.headers["HX-Redirect"].startswith("/checkout/placed/")
    number = placed.headers["HX-Redirect"].rsplit("/", 1)[1]
    work(redis)

    assert db.session.scalar(db.select(Order.status).where(Order.number == number)) == "completed"
    member = "customer-member@example.com"
    for subject in (f"Order {number} placed", f"Order {number} completed"):
        assert _received(smtp_server, subject) == [member]  # not Tailspin's admin: the member is concerned
        assert f"http://127.0.0.1:5000/orders/{number}" in links_in(_message(smtp_server, subject, member))
    assert "Tailspin Toys" in text_of(_message(smtp_server, f"Order {number} placed", member))


def test_a_querying_order_mails_what_blocks_it_and_the_steps_to_take(demo, db, redis, smtp_server):
    # contoso.onmicrosoft.com is taken at Microsoft: the order waits for a new domain.
    order = place(db, reseller_request(db, domain="contoso.onmicrosoft.com"))
    work(redis)
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "querying" and order.steps_to_take
    subject = f"Order {order.number} needs action"
    assert _received(smtp_server, subject) == [RITA]
    mail = _message(smtp_server, subject, RITA)
    text = text_of(mail)
    assert order.reason in text
    assert "What to do:" in text
    for number, step in enumerate(order.steps_to_take, start=1):
        assert f"{number}. {step}" in text
    steps = [li.get_text() for li in BeautifulSoup(html_of(mail), "html.parser").select("ol li")]
    assert steps == order.steps_to_take


def test_a_failed_order_mails_why_in_plain_words(demo, db, redis, smtp_server, pc_client):
    from tests.support.orders import existing_customer

    tenant_id = existing_customer(pc_client, "toomanyseats")
    order = place(db, reseller_request(db, domain="toomanyseats.onmicrosoft.com", tenant_mode="existing",
                                       tenant_id=tenant_id, lines=[line(quantity=300000)]))
    work(redis)
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "failed"
    subject = f"Order {order.number} failed"
    assert _received(smtp_server, subject) == [RITA]
    assert order.reason in text_of(_message(smtp_server, subject, RITA))
    assert order.reason.startswith("Microsoft refused the cart")


def test_a_completed_change_is_a_subscriptions_notice_for_the_person_who_asked(
        demo, db, redis, sandbox_store, smtp_server, reseller_member_client):
    [sub] = buy(db, domain="changeme.onmicrosoft.com", lines=[line(**BASIC, quantity=10)])
    _choose(db, SUBSCRIPTIONS, recipients=CONCERNED)
    sandbox_store.advance_clock(timedelta(days=2))
    response = submit_and_confirm(reseller_member_client, f"/subscriptions/{sub.id}",
                                  f"/subscriptions/{sub.id}/quantity", quantity="8")  # a reduction asks first
    assert response.status_code == 303
    number = response.headers["Location"].rsplit("/", 1)[1]
    work(redis)
    assert db.session.scalar(db.select(Order.status).where(Order.number == number)) == "completed"
    subject = f"Change completed: order {number}"
    assert _told(db, subject) == [MEMBER]
    assert _received(smtp_server, subject) == [MEMBER]
    assert "Reduce seats from 10 to 8" in text_of(_message(smtp_server, subject, MEMBER))
    assert db.session.scalar(db.select(Notification.category).where(Notification.title == subject)) == SUBSCRIPTIONS


def test_a_completed_cancellation_is_told_as_a_cancellation_not_a_change(
        demo, db, redis, sandbox_store, smtp_server, reseller_member_client):
    [sub] = buy(db, domain="cancelme.onmicrosoft.com", lines=[line(**BASIC, quantity=3)])
    _choose(db, SUBSCRIPTIONS, recipients=CONCERNED)
    sandbox_store.advance_clock(timedelta(days=2))
    response = submit(reseller_member_client, f"/subscriptions/{sub.id}/cancel", f"/subscriptions/{sub.id}/cancel")
    assert response.status_code == 303
    number = response.headers["Location"].rsplit("/", 1)[1]
    work(redis)
    assert db.session.scalar(db.select(Order.type).where(Order.number == number)) == "termination"
    assert db.session.scalar(db.select(Order.status).where(Order.number == number)) == "completed"
    subject = f"Cancellation completed: order {number}"
    assert _told(db, subject) == [MEMBER]
    assert _received(smtp_server, subject) == [MEMBER]


# ------------------------------------------------------------------------------ subscriptions' notices

def test_the_renewal_notice_goes_to_the_chosen_recipients_and_the_extra_address(demo, db, sandbox_store, smtp_server):
    from app.subscriptions.jobs import renewal_notices

    [sub] = buy(db, domain="renewing.onmicrosoft.com", lines=[line(**BASIC, quantity=4, term="P1M")])
    _choose(db, SUBSCRIPTIONS, recipients=ADMINS, extra=["renewals@adatum.example.com"])
    renewal = sub.commitment_end_date
    assert renewal_notices(now=renewal - timedelta(days=6, hours=12)) == [f"{sub.ms_subscription_id}:7"]
    deliver_queued()
    subject = f"Microsoft 365 Business Basic renews on {renewal:%Y-%m-%d}"
    assert _told(db, subject) == [RITA]  # the buyer and admin; the member is neither
    assert _received(smtp_server, subject) == ["renewals@adatum.example.com", RITA]
    text = text_of(_message(smtp_server, subject, RITA))
    assert "renews automatically on" in text and "in 7 days" in text
    assert f"http://127.0.0.1:5000/subscriptions/{sub.id}" in text
    assert renewal_notices(now=renewal - timedelta(days=6)) == []  # once


def test_the_window_closing_notice_comes_48_hours_before_and_once(demo, db, sandbox_store, smtp_server):
    from app.subscriptions.jobs import window_notices

    [sub] = buy(db, domain="windowed.onmicrosoft.com", lines=[line(**BASIC, quantity=10)])
    closes = sub.cancellation_allowed_until
    assert closes is not None
    _opt_out(db, MEMBER, SUBSCRIPTIONS)
    assert window_notices(now=closes - timedelta(hours=50)) == []  # not yet
    assert window_notices(now=closes - timedelta(hours=47)) == [f"{sub.ms_subscription_id}:window:{closes.isoformat()}"]
    assert window_notices(now=closes - timedelta(hours=30)) == []  # once per window
    deliver_queued()
    subject = "Last 48 hours to cancel Microsoft 365 Business Basic"
    assert _told(db, subject) == [MEMBER, RITA]
    assert _received(smtp_server, subject) == [RITA]  # the member opted out of these emails
    text = text_of(_message(smtp_server, subject, RITA))
    assert "can be cancelled with a refund until" in text and "in 1 day 23 hours" in text
    # After the window closed there is nothing to say.
    assert window_notices(now=closes + timedelta(hours=1)) == []


def test_seats_added_later_get_their_own_window_closing_notice(demo, db, redis, sandbox_store, smtp_server,
                                                               reseller_member_client):
    from app.subscriptions import window
    from app.subscriptions.jobs import window_notices

    [sub] = buy(db, domain="moreseats.onmicrosoft.com", lines=[line(**BASIC, quantity=10)])
    sandbox_store.advance_clock(timedelta(days=10))  # the first window closed on day 7
    response = submit(reseller_member_client, f"/subscriptions/{sub.id}", f"/subscriptions/{sub.id}/quantity",
                      quantity="15")
    assert response.status_code == 303
    work(redis)
    db.session.expire_all()
    sub = db.session.get(Subscription, sub.id)
    [added] = window.open_batches(sub, sandbox_store.now().replace(tzinfo=None))
    assert added.quantity == 5

    assert window_notices(now=added.until - timedelta(hours=47)) == [
        f"{sub.ms_subscription_id}:window:{added.until.isoformat()}"]
    deliver_queued()
    subject = "Last 48 hours to reduce seats of Microsoft 365 Business Basic"
    assert _received(smtp_server, subject) == [MEMBER, RITA]
    assert "5 seats added to Microsoft 365 Business Basic (Fabrikam, Inc.) can be removed with a refund until" in \
        text_of(_message(smtp_server, subject, MEMBER))


# ------------------------------------------------------------------------------ catalog changes

@pytest.fixture
def microsoft_sells(monkeypatch):
    """Change what the sandbox's catalog offers (as Microsoft would) for this test."""
    from app.sandbox import catalog

    def change(products):
        monkeypatch.setattr(catalog, "PRODUCTS", products)
        monkeypatch.setattr(catalog, "_BY_ID", {p["id"].upper(): p for p in products})

    return change


def test_catalog_changes_reach_only_the_accounts_that_turned_catalog_on(demo, db, redis, smtp_server,
                                                                        microsoft_sells):
    from app.catalog.jobs import start_sync
    from app.sandbox import catalog

    products = copy.deepcopy(catalog.PRODUCTS)
    withdrawn = next(p for p in products if p["id"] == "CFQ7TTC0LH18")  # Microsoft 365 Business Basic
    products.remove(withdrawn)
    new = copy.deepcopy(products[0])
    new.update(id="CFQ7TTC0NEW1", title="Microsoft 365 Contoso Edition")
    for sku in new["skus"]:
        sku["title"] = "Microsoft 365 Contoso Edition"
    products.append(new)
    microsoft_sells(products)
    _choose(db, CATALOG, recipients=EVERYONE)  # Adatum follows the catalog; nobody else does

    start_sync()
    work(redis)  # the sync, then the mail

    subject = "Catalog changes: 1 product added, 1 product withdrawn"
    assert _told(db, subject) == [MEMBER, RITA]
    assert _received(smtp_server, subject) == [MEMBER, RITA]
    text = text_of(_message(smtp_server, subject, RITA))
    assert "Added: Microsoft 365 Contoso Edition." in text
    assert "Withdrawn (no longer sold; subscriptions you have keep running): Microsoft 365 Business Basic." in text
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(Notification.category == CATALOG)) == 2


def test_price_changes_are_told_in_the_accounts_own_market_only(demo, db):
    from app.catalog.models import CatalogSync
    from app.catalog.notices import announce_changes

    _choose(db, CATALOG)  # Adatum (US)
    _choose(db, CATALOG, account="Litware Systems Sp. z o.o.")  # Litware (Poland)
    sync = CatalogSync(trigger="manual", status="finished",
                       changes={"added": [], "withdrawn": [], "repriced": {"PL": ["CFQ7TTC0LH18"]}})
    db.session.add(sync)
    db.session.flush()
    assert announce_changes(sync) == 1
    [note] = db.session.scalars(db.select(Notification).where(Notification.category == CATALOG)).all()
    assert db.session.get(User, note.user_id).email == "reseller2@example.com"
    assert note.title == "Catalog changes: new prices for 1 product"
    assert "Microsoft 365 Business Basic" in note.body
    # An account that has not turned catalog on hears nothing of a change in its market either.
    _choose(db, CATALOG, account="Litware Systems Sp. z o.o.", enabled=False)
    assert announce_changes(sync) == 0


# ------------------------------------------------------------------------------ mail server down

def test_mail_server_down_the_order_still_completes_and_the_mail_is_retried_then_failed(demo, db, app, redis):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{closed_port()}"
    order = place(db, reseller_request(db, domain="nomail.onmicrosoft.com"))
    work(redis)
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "completed"  # nothing about the order waits for the mail
    assert _told(db, f"Order {order.number} placed") == _told(db, f"Order {order.number} completed") == [RITA]
    messages = db.session.scalars(db.select(MailMessage).order_by(MailMessage.id)).all()
    assert [m.subject for m in messages] == [f"Order {order.number} placed", f"Order {order.number} completed"]
    assert all((m.status, m.attempts) == (QUEUED, 1) for m in messages)  # tried once, the next try scheduled
    assert all(m.last_error.startswith("could not reach the mail server") for m in messages)

    for message in messages:
        for attempt in range(1, MAX_ATTEMPTS):
            deliver(message.id, attempt)
    db.session.expire_all()
    assert {(m.status, m.attempts) for m in db.session.scalars(db.select(MailMessage))} == {(FAILED, MAX_ATTEMPTS)}
    order = db.session.get(Order, order.id)
    assert order.status == "completed"
    assert db.session.scalar(db.select(db.func.count(Subscription.id)).where(Subscription.order_id == order.id)) == 1
    assert db.session.scalar(db.select(db.func.count(Notification.id))) == 2
