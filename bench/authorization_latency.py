"""From the customer's acceptance in the sandbox to the enabled Checkout arriving in the open page.

Runs the storefront as in production (gunicorn + the RQ worker with its default schedule; `flask
seed-demo` registers the sandbox's webhooks), drives the service-details step in headless Chromium,
accepts the relationship in the sandbox 20 times with Partner Center's webhooks delivered, then 20
times with the sandbox dropping every delivery (polling only), and prints the median and p95 of the
delay until Checkout is enabled in the page without a reload. Also prints how many Partner Center
calls one waiting tenant costs per hour under the default schedule, with and without webhooks.

    .venv/bin/python bench/authorization_latency.py [--runs 20]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._server import percentile, storefront  # noqa: E402
from tests.support.sandbox import accept_relationship  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
WINGTIP_TENANT = "6b1e4d7a-2c5f-4a8b-9e3d-f1a2b3c4d5e6"


def calls_per_hour(webhooks: bool = False) -> tuple[int, int]:
    """Partner Center checks of one waiting tenant under the schedule: in its first hour, and per hour once
    backed off; `webhooks`: while Partner Center's events arrive (app/checkout/gate.py)."""
    from app.accounts.models import utcnow
    from app.checkout.models import AuthorizationWatch
    from app.checkout.gate import FAST_INTERVAL, next_interval

    start = utcnow()
    watch = AuthorizationWatch(domain="x.onmicrosoft.com", started_at=start, interval_seconds=FAST_INTERVAL)
    t, calls_first, calls_later = 0.0, 0, 0
    while t < 7200:
        if t < 3600:
            calls_first += 1
        else:
            calls_later += 1
        watch.interval_seconds = next_interval(watch, start + timedelta(seconds=t), webhooks=webhooks)
        t += watch.interval_seconds
    return calls_first, calls_later


def sign_in(page, base: str, email: str):
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    return page


def open_checkout(page, base: str) -> None:
    """The checkout's first step; with an empty cart the checkout sends the buyer to the cart, so one product is
    put in it first (the demo's direct customer starts with an empty cart)."""
    page.goto(f"{base}/checkout/")
    if page.url.endswith("/cart"):
        page.goto(f"{base}/catalog/products")
        page.get_by_role("button", name="Add to cart").first.click()
        page.get_by_text("Added").first.wait_for()
        page.wait_for_load_state("networkidle")  # the header's cart badge follows the swap
        page.goto(f"{base}/checkout/")


def measure(page, operator, base: str, runs: int, *, dropped: bool) -> list[float]:
    delays = []
    for run in range(runs):
        operator.goto(f"{base}/sandbox/_sandbox/admin")
        # The sandbox asks first (window.confirm); Playwright would dismiss the question, and nothing be wiped.
        operator.once("dialog", lambda dialog: dialog.accept())
        operator.get_by_role("button", name="Wipe and reseed the sandbox").click()
        operator.get_by_text("Sandbox wiped and reseeded.").wait_for()
        if dropped:  # the sandbox's fault control: every webhook delivery of this run is lost
            answer = operator.request.post(f"{base}/sandbox/_sandbox/faults", data=json.dumps(
                {"kind": "drop", "count": 100}), headers={"Content-Type": "application/json"})
            assert answer.status == 201, answer.text()
        open_checkout(page, base)
        if page.locator("form.cancel-checkout[hx-confirm]").count():  # the run before's purchase, saved: asked first
            page.once("dialog", lambda dialog: dialog.accept())
            page.get_by_role("button", name="Discard this purchase").click()
            page.wait_for_url(f"{base}/")
            open_checkout(page, base)
        page.get_by_role("button", name="Next").click()
        page.get_by_label("Domain prefix").fill("wingtiptoys")
        page.get_by_label("I am already using Office 365 service and I own this domain").check()
        link = page.get_by_label("Authorization link")
        link.wait_for()
        page.wait_for_selector("#checkout-button[disabled]")
        page.wait_for_timeout(300)  # the event stream is connected
        accept_relationship(base, link.input_value(), tenant_id=WINGTIP_TENANT)
        accepted = time.monotonic()
        page.wait_for_selector("#checkout-button:not([disabled])", timeout=60_000)
        delays.append(time.monotonic() - accepted)
        print(f"{'dropped' if dropped else 'webhooks'} run {run + 1:2d}: {delays[-1]:.2f} s", flush=True)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    # One buyer runs 2 x --runs checkouts back to back, each a few Partner Center checks the buyer waits on: more
    # than the per-user limit of a minute allows (PERSON_PC_CALLS_PER_MINUTE, 60), which would answer "You have
    # made many checks in a short time" instead of the authorization link. The limit is not what is measured.
    with storefront(extra_env={"PERSON_PC_CALLS_PER_MINUTE": "100000"}) as (base, _env), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-background-networking"])
        page = sign_in(browser.new_context().new_page(), base, "customer@example.com")
        # The sandbox's controls answer only to an operator admin: one signed in beside the buyer resets it.
        operator = sign_in(browser.new_context().new_page(), base, "admin@example.com")
        pushed = measure(page, operator, base, args.runs, dropped=False)
        polled = measure(page, operator, base, args.runs, dropped=True)
        operator.goto(f"{base}/sandbox/_sandbox/webhooks")
        browser.close()
    print()
    for label, delays, target in (("with webhooks", pushed, "< 1 s"), ("webhooks dropped, polling only", polled,
                                                                          "< 3 s")):
        print(f"acceptance -> enabled Checkout in the page, {label}, {len(delays)} runs: "
              f"median {statistics.median(delays):.2f} s, p95 {percentile(delays, 95):.2f} s (target p95 {target})")
    for label, webhooks in (("without webhooks", False), ("with webhooks arriving", True)):
        first, later = calls_per_hour(webhooks)
        print(f"Partner Center checks per waiting tenant, {label}: {first} in the first hour, {later} per hour "
              "after that (each check is 1 call while the tenant is invisible, 2 once visible)")


if __name__ == "__main__":
    main()
