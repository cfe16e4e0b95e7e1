"""What the users of a migrated account are told: the enrollment prompt (resellers) and the onboarding
webinars, each hidden per user with a form; GET changes nothing."""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from app.migration.models import HiddenNotice, OnboardingWebinar
from app.time import utcnow
from tests.helpers import signed_in, soup


@pytest.fixture
def migrated_client(demo):
    return signed_in(demo, "migrated@example.com")


def _webinar(db, title="Welcome to the new storefront", when=datetime(2031, 1, 15, 16, 0)):
    webinar = OnboardingWebinar(title=title, starts_at=when, url="https://events.example.com/w", created_at=utcnow())
    db.session.add(webinar)
    db.session.commit()
    return webinar


def test_a_migrated_reseller_is_prompted_to_enroll_before_ordering_csp_products(app, migrated_client):
    prompt = soup(migrated_client.get("/")).select_one("#enrol-prompt")
    assert prompt.select_one("strong").get_text() == "Enroll in the CSP Partner Program before ordering CSP products."
    assert prompt.select_one("a").get_text() == "Enroll in the CSP Partner Program"
    assert prompt.select_one("button").get_text() == "Hide the enrollment prompt"
    link = prompt.select_one("a")["href"]
    expected = "/getting-started#partner-program"
    if "programs.index" in app.view_functions:
        with app.test_request_context():
            from flask import url_for

            expected = url_for("programs.index")
    assert link == expected
    assert migrated_client.get(link.split("#")[0]).status_code == 200


def test_accounts_not_migrated_see_no_migration_notice(reseller_client, customer_client, operator_client, db):
    _webinar(db)
    for client in (reseller_client, customer_client, operator_client):
        page = soup(client.get("/"))
        assert page.select(".migration-notice, #migration-banner") == []


def test_the_webinars_notice_lists_the_upcoming_ones(migrated_client, db):
    assert soup(migrated_client.get("/")).select_one("#webinars-notice") is None  # none announced yet
    _webinar(db)
    _webinar(db, title="Already held", when=datetime(2020, 1, 1, 10, 0))
    notice = soup(migrated_client.get("/")).select_one("#webinars-notice")
    assert [li.get_text(" ", strip=True) for li in notice.select("li")] == [
        "Welcome to the new storefront , 15 January 2031, 16:00 UTC"]
    assert notice.select_one("a")["href"] == "https://events.example.com/w"


def test_a_user_hides_a_notice_for_themselves_and_a_new_webinar_shows_it_again(demo, migrated_client, db):
    _webinar(db)
    assert migrated_client.get("/").status_code == 200
    assert db.session.scalar(db.select(HiddenNotice)) is None  # GET changes nothing
    response = migrated_client.post("/notices/hide", {"notice": "webinars"}, headers={"Referer": "http://localhost/orders"})
    assert response.status_code == 303 and response.headers["Location"] == "http://localhost/orders"
    assert soup(migrated_client.get("/")).select_one("#webinars-notice") is None
    assert soup(migrated_client.get("/")).select_one("#enrol-prompt") is not None
    # Hidden for Mia only: her colleague still sees it.
    colleague = signed_in(demo, "migrated-member@example.com")
    assert soup(colleague.get("/")).select_one("#webinars-notice") is not None
    _webinar(db, title="Ordering in the new storefront", when=datetime(2031, 2, 1, 9, 0))
    assert soup(migrated_client.get("/")).select_one("#webinars-notice") is not None
    migrated_client.post("/notices/hide", {"notice": "enrol"})
    assert soup(migrated_client.get("/")).select_one("#enrol-prompt") is None


def test_hiding_needs_a_known_notice_and_the_csrf_token(migrated_client, db):
    assert migrated_client.post("/notices/hide", {"notice": "everything"}).status_code == 400
    assert migrated_client.post("/notices/hide", {"notice": "enrol"}, csrf=False).status_code == 400
    assert db.session.scalar(db.select(HiddenNotice)) is None


def test_the_enrollment_prompt_goes_once_the_reseller_has_an_active_certificate(demo, migrated_client, db):
    """It says "Enroll ... before ordering CSP products": once enrolled (its certificate active) it would be
    wrong, so it goes for every user of the account, while a pending certificate keeps it."""
    from app.accounts.models import Account
    from app.programs import services as programs

    account = db.session.scalar(db.select(Account).where(Account.name == "Fourth Coffee Reseller"))
    account.partner_id = "5678901"
    certificate = programs.issue_active(account, contact_email="it@fourthcoffee.example.com")
    certificate.status = "pending"
    db.session.commit()
    assert soup(migrated_client.get("/")).select_one("#enrol-prompt") is not None  # pending: still to do
    certificate.status = "active"
    db.session.commit()
    for client in (migrated_client, signed_in(demo, "migrated-member@example.com")):
        page = soup(client.get("/catalog/products"))
        assert page.select_one("#enrol-prompt") is None
        assert "Enroll in the CSP Partner Program before ordering CSP products." not in page.get_text()


def test_enroll_is_spelt_as_the_programs_enroll_button_spells_it_on_every_page_that_says_it(
        demo, migrated_client, operator_client):
    """The prompt said "Enrol in the CSP Partner Program" and led to a page whose button says "Enroll": the
    storefront's words are in US spelling (enroll, enrollment), the prompt's and the pages' around it too."""
    pages = {path: migrated_client.get(path) for path in ("/", "/getting-started", "/programs")}
    pages["/admin/programs"] = operator_client.get("/admin/programs")
    assert soup(pages["/programs"]).find("a", class_="button", string="Enroll") is not None  # where the prompt leads
    british = {path: re.findall(r"(?i)\benrol(?!l)\w*", soup(page).select_one("main").get_text())
               for path, page in pages.items()}
    assert british == {path: [] for path in pages}
