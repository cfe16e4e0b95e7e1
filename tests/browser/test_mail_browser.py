"""A demo's invitee reads the storefront's mail in the sandbox's mailbox and follows its link: the
live worker delivered it over SMTP to the embedded mail server, as under `make run`."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_mail_the_worker_sent_is_read_and_its_link_followed_in_the_mailbox(page, live_app, live_server,
                                                                              live_worker):
    from app.extensions import db
    from app.mail import queue_mail

    with live_app.app_context():
        queue_mail(to="new.colleague@fabrikam.example.com", subject="Your storefront is waiting",
                   template="renewal_notice", category="invitations",
                   context={"body": "Sign in to see your subscriptions.", "link": f"{live_server}/sign-in"})
        db.session.commit()

    page.goto(f"{live_server}/sandbox/mail?to=new.colleague@fabrikam.example.com")
    subject = page.get_by_role("link", name="Your storefront is waiting")
    for _ in range(60):  # the worker delivers within seconds; each look is a fresh page load
        if subject.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    subject.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your storefront is waiting")
    expect(page.locator("#to")).to_have_text("new.colleague@fabrikam.example.com")
    page.locator("#body").get_by_role("link", name=f"{live_server}/sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
