"""What a person does in the browser tests, again and again."""
from __future__ import annotations

import threading
import time
import uuid

from playwright.sync_api import expect


PHONE = {"width": 390, "height": 844}

# What the page is wider than the screen by, and the elements that stick out past its right edge.
OVERFLOW = """() => { const width = document.documentElement.clientWidth; const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.getBoundingClientRect().right > width + 1 && !el.closest('.table-scroll')) {
      out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : ''));
    }
  }
  return {width: document.documentElement.scrollWidth, screen: width, outside: out.slice(0, 5)}; }"""


def sticking_out(page, url: str) -> str | None:
    """What makes the page at `url` wider than the screen, or None when it fits."""
    assert page.goto(url).status == 200, url
    found = page.evaluate(OVERFLOW)
    if found["width"] <= found["screen"]:
        return None
    return f"{url}: {found['width']} px wide on a {found['screen']} px screen, sticking out: {found['outside']}"


def scrolls_with_the_keyboard(page, region_name: str, table: str = "table") -> None:
    """The table in the region named `region_name` is wider than the region, and a keyboard scrolls it:
    the region takes the focus, and the arrow key moves it sideways."""
    region = page.get_by_role("group", name=region_name)
    expect(region.locator(table)).to_be_visible()
    assert region.evaluate("el => el.scrollWidth > el.clientWidth"), "the table fits: nothing to scroll"
    region.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(region).to_be_focused()
    page.wait_for_function("el => el.scrollLeft > 0", arg=region.element_handle())


def sign_in_as(page, base_url: str, email: str, password: str = "demo-password"):
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def answer_the_dialog(page, button, *, accept: bool) -> list[str]:
    """With JavaScript: press `button` (a name, or a locator) and accept or dismiss the browser's dialog it opens;
    what the dialog asked. It waits for the page to have loaded first: the page shows once it is parsed, before
    its deferred scripts have run, and a button pressed then is an ordinary form's (htmx not yet there to ask
    with the browser's dialog; the page that asks answers instead, as it would for a person that quick)."""
    asked = []
    page.wait_for_load_state("load")
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept() if accept else dialog.dismiss()))
    (page.get_by_role("button", name=button) if isinstance(button, str) else button).click()
    return asked


def asked_and_kept(page, *, button: str, question: str, way_back: str, back_to: str) -> None:
    """Without JavaScript: `button` opens a page whose heading asks `question`, and its `way_back` link returns to
    the page headed `back_to` (nothing done; the caller checks that)."""
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(question)
    page.get_by_role("link", name=way_back).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(back_to)


def pushes_delivered_together(page, live_app, events_url: str, kind: str, key, steps) -> threading.Thread:
    """Make the page's next event stream (`events_url`, a glob) arrive all at once: the browser gets what
    the real stream sent only when it ends. Once the stream listens on (`kind`, `key`), each of `steps`
    (callables that move the thing and publish) runs, half a second apart, so the stream sends each
    before the next. Start this before opening the page; join the returned thread afterwards."""
    from app import live
    from app.extensions import get_redis

    def the_worker() -> None:
        with live_app.app_context():
            subscribers = get_redis()
            deadline = time.monotonic() + 20
            while subscribers.pubsub_numsub(live.channel(kind, key))[0][1] < 1:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.05)
        for position, step in enumerate(steps):
            if position:
                time.sleep(0.5)
            step()

    page.route(events_url, lambda route: route.fulfill(response=route.fetch(timeout=30_000)), times=1)
    worker = threading.Thread(target=the_worker, daemon=True)
    worker.start()
    return worker


def accept_in_second_browser(browser, link: str, tenant_label: str):
    """The customer's global administrator, in another browser, opens the relationship link in the
    sandbox's admin-center page, signs in as the tenant's administrator and accepts."""
    context = browser.new_context()
    try:
        admin = context.new_page()
        admin.goto(link)
        admin.get_by_label("Sign in as global administrator of").select_option(label=tenant_label)
        admin.get_by_role("button", name="Accept").click()
        expect(admin.get_by_text("Partner relationship accepted")).to_be_visible()
    finally:
        context.close()


def add_to_cart(page, quantity: str, *, term: str = "1 year", billing_plan: str = "Monthly"):
    """On a product's page: choose the term and billing plan, type the seats, press Add to cart."""
    form = page.locator("form.add-to-cart")
    form.get_by_label("Term").select_option(label=term)
    form.get_by_label("Billing plan").select_option(label=billing_plan)
    form.get_by_label("Quantity").fill(quantity)
    form.get_by_role("button", name="Add to cart").click()


def checkout_on_a_new_tenant(page, customer_label: str, domain_word: str) -> str:
    """On the cart: choose a customer that is ready to buy, press Next, type a free domain prefix for its
    new tenant (`domain_word` and a random tail), press Checkout; the prefix."""
    page.get_by_label("Customer", exact=True).select_option(label=customer_label)
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#readiness")).to_have_text("READY")
    prefix = domain_word + uuid.uuid4().hex[:8]
    page.get_by_label("Domain prefix").fill(prefix)
    expect(page.locator("#domain-status")).to_have_text(f"{prefix}.onmicrosoft.com is available.")
    page.get_by_role("button", name="Checkout").click()
    return prefix


def a_processing_order(live_app, *, number: str, domain: str, steps=()) -> int:
    """An order of Rita's (Adatum), processing, with no job: the test moves it (and must not leave it
    processing, or the sweep would look at it). `steps`: its OrderStep rows. Its id."""
    from app.accounts.models import User
    from app.extensions import db
    from app.orders.models import Order, OrderStatus

    with live_app.app_context():
        rita = db.session.scalar(db.select(User).where(User.email == "reseller@example.com"))
        order = Order(number=number, type="purchase", status=OrderStatus.PROCESSING, account_id=rita.account_id,
                      user_id=rita.id, company_name="Fabrikam, Inc.", country="US", contact_first_name="Frank",
                      contact_last_name="Miller", email="it@fabrikam.example.com", tenant_mode="new",
                      domain=domain, currency="USD", total=0, steps=list(steps))
        db.session.add(order)
        db.session.commit()
        return order.id
