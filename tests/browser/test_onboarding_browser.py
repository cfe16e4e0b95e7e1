"""The operator onboards its network in Chromium, as people would: the operator admin creates a
reseller in admin > Accounts (Partner Center says READY), the invitation reaches the sandbox's
mailbox over SMTP (the live worker delivers it to the embedded mail server of `flask serve`), the
invitee sets a password and is signed in, invites a colleague, adds a licensee and finds it in
checkout; the colleague, a member, has no Settings. Then the core of it with JavaScript off."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import add_to_cart, sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_checkouts")]

# The sandbox's network reseller that the demo storefront has not onboarded (app/sandbox/seed.py).
FOURTH_COFFEE_PARTNER_ID = "5678901"
FOURTH_COFFEE_TENANT_ID = "4c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e7f"
STRONG_PASSWORD = "roasted beans every morning"


def open_in_nav(page, group: str, entry: str, *, javascript: bool = True):
    """Open a page through the main navigation: the group's menu (a disclosure button with
    JavaScript, a link to the section page without), then the entry."""
    nav = page.get_by_role("navigation", name="Main")
    if javascript:
        button = nav.get_by_role("button", name=group, exact=True)
        button.click()
        expect(button).to_have_attribute("aria-expanded", "true")
        nav.get_by_role("link", name=entry, exact=True).click()
    else:
        nav.get_by_role("link", name=group, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(group)
        page.get_by_role("main").get_by_role("link", name=entry, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(entry)


def follow_mailed_link(page, base: str, to: str, subject: str, path: str):
    """Open the message to `to` in the sandbox's mailbox and follow its link to `path`. The worker
    delivers within seconds; each look is a fresh page load, as a person checking mail would."""
    page.goto(f"{base}/sandbox/mail?to={to}")
    message = page.get_by_role("link", name=subject)
    for _ in range(60):
        if message.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    message.first.click()
    expect(page.locator("#to")).to_have_text(to)
    # (Playwright's regular expressions may not hold a slash, so the link is found by its page's name.)
    link = page.locator("#body").get_by_role("link", name=re.compile(re.escape(path.strip("/")) + r"\?token="))
    assert link.get_attribute("href").startswith(f"{base}{path}?token=")  # to this storefront
    link.click()


def accept_invitation(page, base: str, to: str, account: str, name: str):
    """The invitee opens the mailed link, sets name and password, and is signed in."""
    follow_mailed_link(page, base, to, f"You are invited to join {account}", "/accept-invitation")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Join {account}")
    expect(page.locator("#invitation-email")).to_have_text(to)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Create my user and sign in").click()
    expect(page.get_by_text(f"Welcome, {name}.")).to_be_visible()
    expect(page.locator(".user-name")).to_contain_text(name)
    expect(page.locator(".user-name")).to_contain_text(account)


def test_operator_onboards_a_reseller_whose_admin_invites_a_colleague_adds_a_licensee_and_checks_out(
        page, browser, live_server, live_worker):
    base = live_server
    sign_in_as(page, base, "admin@example.com")
    open_in_nav(page, "Partners", "Accounts")
    page.get_by_role("link", name="New reseller").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New reseller")
    page.get_by_label("Company name").fill("Fourth Coffee IT")
    page.get_by_label("Country").select_option(label="United States")
    page.get_by_label("Partner ID (MPN ID)").fill(FOURTH_COFFEE_PARTNER_ID)
    page.get_by_label("Partner Center tenant ID").fill(FOURTH_COFFEE_TENANT_ID)
    expect(page.get_by_label("United States")).to_be_checked()  # the markets: the storefront's first
    page.get_by_label("First name").fill("Dana")
    page.get_by_label("Last name").fill("Brewer")
    page.get_by_label("Email").fill("dana@fourthcoffee.example.com")
    page.get_by_role("button", name="Create reseller and invite its admin").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Fourth Coffee IT")
    expect(page.get_by_text("dana@fourthcoffee.example.com was invited to be its admin")).to_be_visible()
    readiness = page.get_by_role("region", name="Partner Center")
    expect(readiness.get_by_text("READY", exact=True)).to_be_visible()
    invited = page.get_by_role("region", name="Users")
    expect(invited).to_contain_text("dana@fourthcoffee.example.com")
    expect(invited).to_contain_text("Invited")

    dana_context = browser.new_context()
    try:
        dana = dana_context.new_page()
        dana.set_default_timeout(10_000)
        accept_invitation(dana, base, "dana@fourthcoffee.example.com", "Fourth Coffee IT", "Dana Brewer")
        expect(dana.get_by_text("As an account admin you invite colleagues under Settings > Users")).to_be_visible()

        # She invites a colleague as a member.
        open_in_nav(dana, "Settings", "Users")
        dana.get_by_label("First name").fill("Milo")
        dana.get_by_label("Last name").fill("Barista")
        dana.get_by_label("Email").fill("milo@fourthcoffee.example.com")
        dana.get_by_label("Member").check()
        dana.get_by_role("button", name="Send invitation").click()
        expect(dana.get_by_text("An invitation was sent to milo@fourthcoffee.example.com.")).to_be_visible()
        expect(dana.locator("#invitations")).to_contain_text("milo@fourthcoffee.example.com")

        # She adds a licensee on the Licensees page.
        open_in_nav(dana, "Settings", "Licensees")
        dana.get_by_role("link", name="Add a licensee").click()
        dana.get_by_label("Company name").fill("Alpine Ski House")
        dana.get_by_label("Country").select_option(label="United States")
        dana.get_by_label("Contact first name").fill("Ana")
        dana.get_by_label("Contact last name").fill("Trujillo")
        dana.get_by_label("Contact email").fill("it@alpineskihouse.example.com")
        dana.get_by_label("Contact phone").fill("+1 303 555 0190")
        dana.get_by_role("button", name="Add licensee").click()
        expect(dana.get_by_text("Alpine Ski House was added.")).to_be_visible()
        expect(dana.get_by_role("table").get_by_role("link", name="Alpine Ski House")).to_be_visible()

        # Before ordering CSP products she enrols in the CSP Partner Program; the check makes the
        # certificate active, and the products are open to her.
        dana.get_by_role("navigation", name="Main").get_by_role("link", name="Programs").click()
        dana.get_by_role("link", name="Enroll").click()
        dana.get_by_label("MPN ID").fill(FOURTH_COFFEE_PARTNER_ID)
        dana.get_by_role("button", name="Enroll").click()
        expect(dana.locator("#certificate-status-label")).to_have_text("Active", timeout=30_000)

        # She puts a product in the cart and finds her licensee in checkout's customer step.
        dana.get_by_role("navigation", name="Main").get_by_role("link", name="Products").click()
        dana.get_by_label("Search products").press_sequentially("business premium", delay=10)
        dana.locator("#product-results .product-title a", has_text="Microsoft 365 Business Premium").first.click()
        add_to_cart(dana, "3", term="1 year", billing_plan="Monthly")
        expect(dana.locator("#cart-badge .cart-count")).to_have_text("1")
        dana.locator("#cart-badge").click()
        dana.get_by_role("button", name="Next").click()
        expect(dana.get_by_role("heading", name="Customer", exact=True)).to_be_visible()
        customer = dana.get_by_label("Customer", exact=True)
        expect(customer.locator("option", has_text="Alpine Ski House (US)")).to_have_count(1)
        customer.select_option(label="Alpine Ski House (US)")
        dana.get_by_role("button", name="Next").click()
        expect(dana.get_by_role("heading", name="Service details")).to_be_visible()
        expect(dana.get_by_text("Buying for Alpine Ski House.")).to_be_visible()
        expect(dana.locator("#readiness")).to_have_text("READY")
    finally:
        dana_context.close()

    # The colleague's invitation arrived too; as a member he has no Settings.
    milo_context = browser.new_context()
    try:
        milo = milo_context.new_page()
        milo.set_default_timeout(10_000)
        accept_invitation(milo, base, "milo@fourthcoffee.example.com", "Fourth Coffee IT", "Milo Barista")
        nav = milo.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Orders")).to_be_visible()
        expect(nav.get_by_role("button", name="Settings")).to_have_count(0)
        expect(nav.get_by_role("link", name="Settings")).to_have_count(0)
        response = milo.goto(f"{base}/settings")
        assert response.status == 403
        assert milo.goto(f"{base}/settings/users").status == 403
    finally:
        milo_context.close()

    # The operator sees Fourth Coffee's two users on the account.
    page.reload()
    users = page.get_by_role("region", name="Users")
    expect(users.get_by_role("row", name=re.compile("Dana Brewer"))).to_contain_text("Account admin")
    expect(users.get_by_role("row", name=re.compile("Milo Barista"))).to_contain_text("Member")


def test_a_new_resellers_market_follows_the_country_chosen_until_the_operator_ticks_markets(page, live_server):
    """A reseller in Poland was offered the United States' market ticked: choosing the country ticks its market,
    and once the operator has ticked markets of their own, another country leaves them as they are."""
    sign_in_as(page, live_server, "admin@example.com")
    page.goto(live_server + "/admin/accounts/new/reseller")
    markets = page.get_by_role("group", name="Markets")
    expect(markets.get_by_label("United States")).to_be_checked()
    page.get_by_label("Country").select_option(label="Poland")
    expect(markets.get_by_label("Poland")).to_be_checked()
    expect(markets.get_by_label("United States")).not_to_be_checked()
    markets.get_by_label("United States").check()
    page.locator("#new-reseller-markets").evaluate("element => element.dataset.before = 'yes'")
    page.get_by_label("Country").select_option(label="Germany")
    expect(page.locator("#new-reseller-markets[data-before]")).to_have_count(0)  # swapped: the server's answer is shown
    expect(markets.get_by_label("Poland")).to_be_checked()
    expect(markets.get_by_label("United States")).to_be_checked()


def test_without_javascript_the_operator_onboards_a_direct_customer_whose_admin_accepts_and_invites(
        no_js_page, browser, live_server, live_worker):
    base, page = live_server, no_js_page
    sign_in_as(page, base, "admin@example.com")
    open_in_nav(page, "Partners", "Accounts", javascript=False)
    page.get_by_role("link", name="New direct customer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New direct customer")
    page.get_by_label("Company name").fill("Wide World Importers")
    page.get_by_label("Country").select_option(label="United States")
    page.get_by_label("Street address").fill("100 Harbor Way")
    page.get_by_label("City").fill("Boston")
    page.get_by_label("State or province", exact=True).fill("MA")  # required in the United States
    page.get_by_label("Postal code").fill("02110")
    page.get_by_label("First name").fill("Wanda")
    page.get_by_label("Last name").fill("Importer")
    page.get_by_label("Email").fill("not-an-address")
    page.get_by_role("button", name="Create direct customer and invite its admin").click()
    # The bad address is refused beside its field, and what was typed stays.
    expect(page.locator("#admin_email-error")).to_have_text("Enter an email address like name@example.com.")
    expect(page.get_by_label("Company name")).to_have_value("Wide World Importers")
    page.get_by_label("Email").fill("wanda@wideworldimporters.example.com")
    page.get_by_role("button", name="Create direct customer and invite its admin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wide World Importers")
    expect(page.get_by_text("wanda@wideworldimporters.example.com was invited to be its admin")).to_be_visible()

    context = browser.new_context(java_script_enabled=False)
    try:
        wanda = context.new_page()
        wanda.set_default_timeout(10_000)
        accept_invitation(wanda, base, "wanda@wideworldimporters.example.com", "Wide World Importers",
                          "Wanda Importer")
        open_in_nav(wanda, "Settings", "Users", javascript=False)
        wanda.get_by_label("First name").fill("Walt")
        wanda.get_by_label("Last name").fill("Importer")
        wanda.get_by_label("Email").fill("walt@wideworldimporters.example.com")
        wanda.get_by_role("button", name="Send invitation").click()
        expect(wanda.get_by_text("An invitation was sent to walt@wideworldimporters.example.com.")).to_be_visible()
        follow_mailed_link(wanda, base, "walt@wideworldimporters.example.com",
                           "You are invited to join Wide World Importers", "/accept-invitation")
        expect(wanda.get_by_role("heading", level=1)).to_have_text("Join Wide World Importers")
    finally:
        context.close()
