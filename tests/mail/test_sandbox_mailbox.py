"""The sandbox's mailbox (/sandbox/mail): what the storefront's mail server received, open to anyone
who reaches the sandbox, read without changing the Maildir; through the served WSGI stack."""
from __future__ import annotations

import os
import re

import pytest
from bs4 import BeautifulSoup
from werkzeug.test import Client as WsgiClient

from app.mail import queue_mail
from app.serving import storefront_wsgi
from tests.support.smtp import deliver_queued


def _page(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def browser(app):
    """A signed-out browser on the served stack (the mailbox is for invitees, who are not users yet)."""
    http = WsgiClient(storefront_wsgi(app))

    class Browser:
        def get(self, url):
            with app.app_context():
                return http.get(url)

    return Browser()


def _mail(to, subject, link="http://127.0.0.1:5000/invitations/abc?x=1&y=2"):
    return queue_mail(to=to, subject=subject, template="renewal_notice", category="invitations",
                      context={"body": "Choose a password <here>.", "link": link})


def test_anyone_reads_the_mail_the_storefront_sent_newest_first(demo, db, smtp_server, browser):
    _mail("ann@fabrikam.example.com", "You are invited to Adatum IT Services")
    _mail("bob@fabrikam.example.com", "Reset your password")
    db.session.commit()
    deliver_queued()

    inbox = browser.get("/sandbox/mail")
    assert inbox.status_code == 200
    rows = _page(inbox).select("#messages tr.message")
    assert [row.select("td")[2].get_text(strip=True) for row in rows] == [
        "Reset your password", "You are invited to Adatum IT Services"]
    assert "Simulation: this is the Partner Center sandbox" in _page(inbox).select_one("#simulation-banner").get_text()

    only_ann = _page(browser.get("/sandbox/mail?to=ann@fabrikam"))
    [row] = only_ann.select("#messages tr.message")
    assert row.select("td")[1].get_text(strip=True) == "ann@fabrikam.example.com"
    assert only_ann.select_one("input[name=to]")["value"] == "ann@fabrikam"

    message = _page(browser.get(row.select_one("a")["href"]))
    assert message.select_one("#subject").get_text(strip=True) == "You are invited to Adatum IT Services"
    assert message.select_one("#to").get_text(strip=True) == "ann@fabrikam.example.com"
    assert "Northwind Cloud Distribution" in message.select_one("#from").get_text()
    body = message.select_one("#body")
    assert body.select_one("a")["href"] == "http://127.0.0.1:5000/invitations/abc?x=1&y=2"
    assert "Choose a password <here>." in body.get_text()  # escaped, shown as typed
    assert body.select_one("here") is None
    # A long link wraps at a phone's width instead of widening the page (its text keeps its lines).
    assert "message-body" in body["class"]
    rule = re.search(r"\.message-body \{([^}]*)\}", message.select_one("style").get_text()).group(1)
    assert "overflow-wrap: anywhere" in rule and "white-space: pre-wrap" in rule

    html = browser.get(message.find("a", string="Open the HTML version")["href"])
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert "default-src 'none'" in html.headers["Content-Security-Policy"]
    assert _page(html).select_one('a[href="http://127.0.0.1:5000/invitations/abc?x=1&y=2"]') is not None


def test_reading_the_mailbox_changes_nothing_in_it(demo, db, smtp_server, browser):
    _mail("ann@fabrikam.example.com", "Hello")
    db.session.commit()
    deliver_queued()
    before = {d: sorted(os.listdir(os.path.join(smtp_server.maildir_path, d))) for d in ("new", "cur", "tmp")}
    [row] = _page(browser.get("/sandbox/mail")).select("#messages tr.message")
    assert browser.get(row.select_one("a")["href"]).status_code == 200
    assert {d: sorted(os.listdir(os.path.join(smtp_server.maildir_path, d))) for d in ("new", "cur", "tmp")} == before


def test_an_unknown_message_is_404_and_no_mailbox_says_so(app, browser):
    from app.connections.services import in_process_sandbox

    sandbox = in_process_sandbox(app)
    sandbox.config["SANDBOX_MAILDIR"] = str(app.instance_path) + "/no-mail-here"
    page = browser.get("/sandbox/mail")
    assert page.status_code == 200
    assert "No mailbox here yet" in _page(page).select_one("#messages").get_text()
    assert browser.get("/sandbox/mail/1700000000.M1P1Q1.host").status_code == 404
    os.makedirs(sandbox.config["SANDBOX_MAILDIR"] + "/new")
    os.makedirs(sandbox.config["SANDBOX_MAILDIR"] + "/cur")
    os.makedirs(sandbox.config["SANDBOX_MAILDIR"] + "/tmp")
    assert browser.get("/sandbox/mail/..%2F..%2Fsecret_key").status_code == 404
    assert "No messages yet." in _page(browser.get("/sandbox/mail")).select_one("#messages").get_text()


def test_the_storefront_tells_the_sandbox_where_its_mail_server_keeps_mail(app):
    from app.connections.services import sandbox_settings
    from app.mail import maildir_path

    assert sandbox_settings(app)["SANDBOX_MAILDIR"] == maildir_path(app.instance_path) == \
        os.path.join(app.instance_path, "mail")
