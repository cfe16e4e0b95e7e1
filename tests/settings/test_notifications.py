"""Settings > Notifications (account admins: each category's enabled, recipients and extra addresses; the
log of the mail sent) and each user's own email preferences under My profile."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.models import Account, Notification, User
from app.accounts.notification_settings import CATALOG, ORDERS, SUBSCRIPTIONS, choice_of, opted_out
from app.accounts.notifications import send
from app.audit.models import AuditEvent
from app.auth.recovery import send_reset_link
from app.mail import FAILED, MailMessage
from app.mail.delivery import MAX_ATTEMPTS
from app.time import utcnow
from tests.helpers import soup, text_of
from tests.support.smtp import deliver_queued

PAGE = "/settings/notifications"
PREFERENCES = "/profile/notifications"


def _account(db, name: str) -> Account:
    return db.session.scalar(db.select(Account).where(Account.name == name))


def _user(db, email: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


def _form(page, selector: str = "form#notification-settings") -> dict:
    """What a browser sends for the form as the page shows it: hidden fields, ticked boxes, the chosen
    radio buttons and the text areas."""
    form = page.select_one(selector)
    assert form is not None, f"no {selector} on the page"
    data = {}
    for field in form.select("input[name]"):
        kind = field.get("type", "text")
        if kind in ("checkbox", "radio") and not field.has_attr("checked"):
            continue
        data[field["name"]] = field.get("value", "y" if kind == "checkbox" else "")
    for area in form.select("textarea[name]"):
        data[area["name"]] = area.get_text().removeprefix("\r\n").removeprefix("\n")  # the line break after <textarea> is not content
    return data


def _post_settings(client, htmx: bool = False, **changes):
    data = _form(soup(client.get(PAGE)))
    for name, value in changes.items():
        name = name.replace("__", "-")
        if value is None:
            data.pop(name, None)  # an unticked box is not sent
        else:
            data[name] = value
    return client.post(PAGE, data, htmx=htmx)


def _words(element) -> str:
    """The text as a reader sees it: words separated by single spaces."""
    return " ".join(element.get_text().split())


def _events(db, action: str) -> list[AuditEvent]:
    return db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


# ------------------------------------------------------------------------------ the settings page

def test_the_page_shows_every_category_with_its_defaults(db, reseller_client):
    page = soup(reseller_client.get(PAGE))
    legends = [f.select_one("legend").get_text(strip=True) for f in page.select("fieldset.panel")]
    assert legends == ["Orders", "Subscriptions and renewals", "Catalog", "Billing", "Programs"]
    data = _form(page)
    # Orders go to the person concerned, renewals to everyone, the catalog is off until the account turns it on.
    assert (data.get("orders-enabled"), data["orders-recipients"]) == ("y", "concerned")
    assert (data.get("subscriptions-enabled"), data["subscriptions-recipients"]) == ("y", "everyone")
    assert "catalog-enabled" not in data and data["catalog-recipients"] == "everyone"
    assert data["billing-recipients"] == "admins" and data["billing-extra_emails"] == ""
    assert "No messages sent yet." in page.select_one("#mail-log").get_text()


def test_an_admin_changes_a_category_and_the_change_is_saved_and_audited(db, reseller_client):
    adatum, rita = _account(db, "Adatum IT Services"), _user(db, "reseller@example.com")
    response = _post_settings(reseller_client, catalog__enabled="y", catalog__recipients="admins",
                              catalog__extra_emails="Accounts@Adatum.example.com;\nbuyers@adatum.example.com, "
                                                    "accounts@adatum.example.com",
                              orders__enabled=None)
    assert response.status_code == 303 and response.headers["Location"] == PAGE

    page = soup(reseller_client.get(PAGE))
    assert "Notification settings saved." in page.select_one("#flash-region").get_text()
    data = _form(page)
    assert (data["catalog-enabled"], data["catalog-recipients"]) == ("y", "admins")
    # Lower-cased, each address once, shown as a list the admin can edit.
    assert data["catalog-extra_emails"] == "accounts@adatum.example.com, buyers@adatum.example.com"
    assert "orders-enabled" not in data
    catalog = choice_of(adatum.id, CATALOG)
    assert (catalog.enabled, catalog.recipients, catalog.extra_emails) == (
        True, "admins", ["accounts@adatum.example.com", "buyers@adatum.example.com"])
    assert choice_of(adatum.id, ORDERS).enabled is False
    assert choice_of(adatum.id, SUBSCRIPTIONS).enabled is True  # untouched

    [event] = _events(db, "notification_settings_changed")
    assert (event.actor_id, event.account_id, event.subject) == (rita.id, adatum.id, "Adatum IT Services")
    assert set(event.details) == {"catalog", "orders"}  # what changed, nothing else
    assert event.details["catalog"]["extra_emails"] == ["accounts@adatum.example.com", "buyers@adatum.example.com"]
    assert event.details["orders"]["enabled"] is False

    # With htmx the page is loaded again in full, as after a plain post.
    again = _post_settings(reseller_client, htmx=True, catalog__enabled=None)
    assert again.status_code == 204 and again.headers["HX-Redirect"] == PAGE
    assert choice_of(adatum.id, CATALOG).enabled is False
    _post_settings(reseller_client, catalog__enabled="y")

    # Saving again without a change says so and records nothing.
    _post_settings(reseller_client)
    assert "Nothing changed." in soup(reseller_client.get(PAGE)).select_one("#flash-region").get_text()
    assert len(_events(db, "notification_settings_changed")) == 3  # the first save, off, on again


def test_a_post_without_the_forms_csrf_token_changes_nothing(db, reseller_client):
    adatum = _account(db, "Adatum IT Services")
    data = _form(soup(reseller_client.get(PAGE)))
    data.pop("csrf_token")
    data["catalog-enabled"] = "y"
    response = reseller_client.post(PAGE, data, csrf=False)
    assert response.status_code in (400, 422)
    assert choice_of(adatum.id, CATALOG).enabled is False


def test_a_bad_extra_address_is_named_next_to_its_field_and_everything_typed_is_kept(db, reseller_client):
    adatum = _account(db, "Adatum IT Services")
    typed = "accounts@adatum.example.com, not-an-address"
    response = _post_settings(reseller_client, billing__extra_emails=typed, catalog__enabled="y",
                              orders__recipients="everyone")
    assert response.status_code == 422
    page = soup(response)
    field = page.select_one("#billing-extra_emails")
    assert field.get_text().strip() == typed and field["aria-invalid"] == "true"
    assert "billing-extra_emails-error" in field["aria-describedby"]
    assert page.select_one("#billing-extra_emails-error").get_text() == \
        "not-an-address is not an email address like name@example.com."
    assert page.select_one("#orders-extra_emails-error") is None  # only the field that is wrong
    # The other changes typed in the same form are still there to save once the address is fixed.
    assert page.select_one("#catalog-enabled").has_attr("checked")
    assert page.select_one("#orders-recipients-2").has_attr("checked")
    # Nothing was saved or audited.
    assert choice_of(adatum.id, CATALOG).enabled is False and choice_of(adatum.id, ORDERS).recipients == "concerned"
    assert _events(db, "notification_settings_changed") == []

    # With htmx the form alone comes back, with the same message.
    fragment = _post_settings(reseller_client, htmx=True, billing__extra_emails="a@b.example.com\nnope, nada")
    assert fragment.status_code == 422
    assert soup(fragment).select_one("form#notification-settings") is not None
    assert soup(fragment).select_one("h1") is None
    assert soup(fragment).select_one("#billing-extra_emails-error").get_text() == \
        "nope, nada are not email addresses like name@example.com."


def test_too_many_extra_addresses_or_an_unknown_recipients_choice_are_refused(db, reseller_client):
    adatum = _account(db, "Adatum IT Services")
    many = ", ".join(f"person{i}@adatum.example.com" for i in range(11))
    response = _post_settings(reseller_client, orders__extra_emails=many, billing__recipients="the-world")
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#orders-extra_emails-error").get_text() == "Give at most 10 addresses."
    assert "Choose who receives them." in page.select_one("#billing-recipients-error").get_text()
    # The radio group is described by its error, so it is read when the group is entered.
    error = page.select_one("#billing-recipients-error")
    assert error.find_parent("fieldset")["aria-describedby"] == "billing-recipients-error"
    assert choice_of(adatum.id, ORDERS).extra_emails == []


@pytest.mark.parametrize("who", ["reseller_member_client", "customer_member_client", "operator_member_client"])
def test_members_cannot_see_or_change_the_accounts_settings(demo, db, request, who):
    member = request.getfixturevalue(who)
    assert member.get(PAGE).status_code == 403
    response = member.post(PAGE, {"catalog-enabled": "y", "catalog-recipients": "everyone",
                                  "catalog-extra_emails": "spy@example.com"})
    assert response.status_code == 403
    assert db.session.scalar(db.select(db.func.count()).select_from(
        db.Model.metadata.tables["notification_settings"])) == 0
    assert _events(db, "notification_settings_changed") == []


def test_another_accounts_settings_and_mail_are_never_shown_or_changed(db, reseller_client, reseller2_client):
    adatum, litware = _account(db, "Adatum IT Services"), _account(db, "Litware Systems Sp. z o.o.")
    _post_settings(reseller_client, orders__extra_emails="secret-box@adatum.example.com")
    send(ORDERS, account=adatum, title="Order ORD-SECRET placed", body="Adatum's own business")
    db.session.commit()

    theirs = reseller2_client.get(PAGE)
    assert theirs.status_code == 200
    assert "secret-box@adatum.example.com" not in theirs.get_data(as_text=True)
    assert "ORD-SECRET" not in theirs.get_data(as_text=True)
    assert "No messages sent yet." in soup(theirs).select_one("#mail-log").get_text()
    # Litware's save touches Litware only.
    _post_settings(reseller2_client, orders__extra_emails="biuro@litware-systems.example.com")
    assert choice_of(litware.id, ORDERS).extra_emails == ["biuro@litware-systems.example.com"]
    assert choice_of(adatum.id, ORDERS).extra_emails == ["secret-box@adatum.example.com"]
    # And Adatum's log has its own messages.
    assert "ORD-SECRET" in text_of(reseller_client.get(PAGE))


def test_a_direct_customer_is_not_offered_partner_programs_notifications(db, customer_client):
    """Direct customers have no partner programs or certificates, yet their settings and every user's email
    preferences offered a Programs category."""
    page = soup(customer_client.get(PAGE))
    legends = [f.select_one("legend").get_text(strip=True) for f in page.select("fieldset.panel")]
    assert legends == ["Orders", "Subscriptions and renewals", "Catalog", "Billing"]
    saved = _post_settings(customer_client, billing__recipients="everyone")
    assert saved.status_code == 303
    assert choice_of(_account(db, "Tailspin Toys").id, "billing").recipients == "everyone"

    section = soup(customer_client.get("/profile")).select_one("#notification-preferences")
    data = _form(section, "form")
    assert {"orders", "subscriptions", "catalog", "billing"} <= set(data) and "programs" not in data
    assert "Email me about programs" not in section.get_text()
    data.pop("orders")
    assert customer_client.post(PREFERENCES, data).status_code == 303
    assert opted_out(_user(db, "customer@example.com").id) == {ORDERS}


# ------------------------------------------------------------------------------ the mail log

def test_the_log_says_to_whom_what_when_and_whether_it_was_delivered(db, app, reseller_client, smtp_server):
    adatum = _account(db, "Adatum IT Services")
    _post_settings(reseller_client, subscriptions__extra_emails="gone@adatum.example.com")
    smtp_server.refuse("gone@adatum.example.com")
    send(SUBSCRIPTIONS, account=adatum, title="Microsoft 365 Business Basic renews on 2030-01-31", body="Soon.")
    db.session.commit()
    deliver_queued()
    send(ORDERS, account=adatum, title="Order ORD-WAIT placed", body="Still waiting for the mail server.")
    db.session.commit()

    page = soup(reseller_client.get(PAGE))
    rows = [[_words(td) for td in row.select("td")] for row in page.select("#mail-log tbody tr")]
    messages = db.session.scalars(db.select(MailMessage).order_by(MailMessage.created_at.desc(),
                                                                  MailMessage.id.desc())).all()
    assert len(rows) == len(messages) == 4
    for cells, message in zip(rows, messages):  # newest first
        assert cells[0] == message.created_at.strftime("%Y-%m-%d %H:%M")
    renews = "Microsoft 365 Business Basic renews on 2030-01-31"
    delivered = {m.to_email: f"Delivered {m.sent_at:%Y-%m-%d %H:%M}" for m in messages if m.sent_at}
    assert sorted(cells[1:] for cells in rows) == sorted([
        ["reseller@example.com", "Order ORD-WAIT placed", "Orders", "Waiting to be sent"],
        ["reseller@example.com", renews, "Subscriptions and renewals", delivered["reseller@example.com"]],
        ["reseller-member@example.com", renews, "Subscriptions and renewals",
         delivered["reseller-member@example.com"]],
        ["gone@adatum.example.com", renews, "Subscriptions and renewals",
         "Failed: gone@adatum.example.com refused: 550 5.1.1 No such mailbox here"],
    ])
    assert rows[0][2] == "Order ORD-WAIT placed"


def test_the_log_names_the_category_of_the_mail_about_a_user_in_words(db, reseller_client):
    """Invitations, password resets and changes of address are no notification category: the log said
    "Password_resets" and "Email_changes"."""
    reseller_client.post("/settings/users", {"first_name": "Nina", "last_name": "New",
                                             "email": "nina.new@adatum.example.com", "role": "member"})
    send_reset_link("reseller-member@example.com")  # the job of Forgot password?
    reseller_client.post("/profile/email", {"email-new_email": "rita.new@adatum.example.com",
                                            "email-password": "demo-password"})
    rows = soup(reseller_client.get(PAGE)).select("#mail-log tbody tr")
    categories = {r.select("td")[2].get_text(): r.select("td")[3].get_text() for r in rows}
    assert categories == {"You are invited to join Adatum IT Services": "Invitations",
                          "Reset your password": "Password resets",
                          "Confirm your new email address": "Email address changes"}


def test_a_message_the_mail_server_never_took_shows_its_attempts_then_failed(db, app, reseller_client, smtp_server):
    adatum = _account(db, "Adatum IT Services")
    smtp_server.stop()
    send(ORDERS, account=adatum, title="Order ORD-DOWN failed", body="Microsoft refused it.")
    db.session.commit()
    deliver_queued()
    row = soup(reseller_client.get(PAGE)).select_one("#mail-log tbody tr .mail-status")
    assert _words(row).startswith("Waiting to be sent (tried 1 time: could not reach the mail server 127.0.0.1:")

    later = utcnow()
    for _ in range(MAX_ATTEMPTS - 1):
        later += timedelta(hours=2)
        deliver_queued(now=later)
    message = db.session.scalar(db.select(MailMessage).where(MailMessage.subject == "Order ORD-DOWN failed"))
    assert (message.status, message.attempts) == (FAILED, MAX_ATTEMPTS)
    row = soup(reseller_client.get(PAGE)).select_one(f"#mail-{message.id} .mail-status")
    assert _words(row).startswith("Failed: could not reach the mail server 127.0.0.1:")


def test_the_log_pages_through_many_messages(db, reseller_client):
    from app.mail import queue_mail
    from app.settings.notifications import LOG_PAGE_SIZE

    adatum = _account(db, "Adatum IT Services")
    for i in range(LOG_PAGE_SIZE + 3):
        queue_mail(to="reseller@example.com", subject=f"Message {i:03d}", template="notification",
                   context={"title": f"Message {i:03d}", "body": "b"}, category=ORDERS, account_id=adatum.id)
    db.session.commit()
    first = soup(reseller_client.get(PAGE))
    assert len(first.select("#mail-log tbody tr")) == LOG_PAGE_SIZE
    assert first.select_one("#mail-log .pager").get_text(" ", strip=True).startswith("Page 1 of 2")
    older = first.select_one('#mail-log a[rel="next"]')["href"]
    second = soup(reseller_client.get(older))
    assert [r.select("td")[2].get_text() for r in second.select("#mail-log tbody tr")] == [
        "Message 002", "Message 001", "Message 000"]
    # A page number out of range or not a number shows a page that exists.
    assert len(soup(reseller_client.get(PAGE + "?page=99")).select("#mail-log tbody tr")) == 3
    assert len(soup(reseller_client.get(PAGE + "?page=x")).select("#mail-log tbody tr")) == LOG_PAGE_SIZE


# ------------------------------------------------------------------------------ own preferences

def test_a_member_turns_off_an_email_category_under_my_profile(db, reseller_member_client):
    member = _user(db, "reseller-member@example.com")
    profile = soup(reseller_member_client.get("/profile"))
    section = profile.select_one("#notification-preferences")
    assert section is not None
    data = _form(section, "form")
    assert {"orders", "subscriptions", "catalog", "billing", "programs"} <= set(data)  # all ticked by default
    # Adatum has not turned on catalog notifications: the member is told.
    assert "Your account does not send these at the moment." in section.select_one("#catalog-pref-hint").get_text()
    assert "does not send" not in section.select_one("#orders-pref-hint").get_text()

    data.pop("orders")
    response = reseller_member_client.post(section.select_one("form")["action"], data)
    assert response.status_code == 303
    assert response.headers["Location"] == "/profile#notification-preferences"
    assert opted_out(member.id) == {ORDERS}
    page = soup(reseller_member_client.get("/profile"))
    assert "Your email preferences were saved." in page.select_one("#flash-region").get_text()
    assert not page.select_one("#notification-preferences input[name=orders]").has_attr("checked")
    assert page.select_one("#notification-preferences input[name=billing]").has_attr("checked")
    [event] = _events(db, "notification_preferences_changed")
    assert (event.actor_id, event.subject, event.details) == (
        member.id, "reseller-member@example.com", {"opted_out": ["orders"], "opted_in": []})

    # Ticking it again opts back in.
    data["orders"] = "y"
    reseller_member_client.post(PREFERENCES, data)
    assert opted_out(member.id) == set()
    assert _events(db, "notification_preferences_changed")[-1].details == {"opted_out": [], "opted_in": ["orders"]}


def test_the_preferences_page_of_its_own_is_there_without_javascript_and_refuses_a_post_without_csrf(
        db, customer_member_client):
    page = soup(customer_member_client.get(PREFERENCES))
    assert page.select_one("h1").get_text() == "My email preferences"
    assert page.select_one("#notification-preferences form")["action"] == PREFERENCES
    response = customer_member_client.post(PREFERENCES, {"orders": "y"}, csrf=False)
    assert response.status_code in (400, 422)
    assert opted_out(_user(db, "customer-member@example.com").id) == set()


def test_an_opt_out_stops_that_users_email_but_not_their_notification_in_the_storefront(
        db, reseller_client, reseller_member_client):
    adatum, member = _account(db, "Adatum IT Services"), _user(db, "reseller-member@example.com")
    data = _form(soup(reseller_member_client.get(PREFERENCES)), "#notification-preferences form")
    data.pop("subscriptions")
    reseller_member_client.post(PREFERENCES, data)

    sent = send(SUBSCRIPTIONS, account=adatum, title="Microsoft 365 Business Basic renews on 2030-01-31",
                body="Soon.")
    db.session.commit()
    assert member.id in sent.in_app
    assert "reseller-member@example.com" not in sent.emailed and "reseller@example.com" in sent.emailed
    assert db.session.scalars(db.select(MailMessage.to_email)).all() == ["reseller@example.com"]
    # The member still sees it in the storefront.
    assert "Microsoft 365 Business Basic renews on 2030-01-31" in text_of(reseller_member_client.get("/notifications"))
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(Notification.user_id == member.id)) == 1
    # And the admin's mail log shows who was mailed.
    rows = soup(reseller_client.get(PAGE)).select("#mail-log tbody tr")
    assert [r.select("td")[1].get_text() for r in rows] == ["reseller@example.com"]
