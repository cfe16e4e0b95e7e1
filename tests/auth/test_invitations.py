"""Invitations: a signed, single-use link for 7 days; the invitee sets name and password and is signed
in; resend, revoke; a link that no longer works says why and offers to ask for a new one."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.models import Account, User
from app.audit.models import AuditEvent
from app.audit.services import Origin
from app.auth.invitations import InvitationError, invite, pending, resend, revoke
from app.auth.models import Invitation
from app.time import utcnow
from tests.helpers import Client, sign_in, soup, text_of
from tests.support.links import mailed_link, mails_to
from tests.support.smtp import deliver_queued, links_in, text_of as mail_text

ORIGIN = Origin("203.0.113.9", "pytest")
STRONG = "correct horse battery staple"


def _account(db, name="Adatum IT Services") -> Account:
    return db.session.scalar(db.select(Account).where(Account.name == name))


def _user(db, email) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


def _invite(db, email="new.colleague@adatum.example.com", role="member", account="Adatum IT Services",
            by="reseller@example.com") -> Invitation:
    invitation = invite(_account(db, account), email=email, first_name="Nina", last_name="Novak", role=role,
                        invited_by=_user(db, by), origin=ORIGIN)
    db.session.commit()
    return invitation


def _accept(client: Client, link: str, *, name="Nina Novak", password=STRONG):
    client.get(link)
    token = soup(client.get(link)).select_one("#accept-form input[name=token]")["value"]
    return client.post("/accept-invitation", {"token": token, "name": name, "password": password})


def test_the_invitee_sets_name_and_password_from_the_mailed_link_and_is_signed_in(demo, db):
    invitation = _invite(db, role="admin")
    link = mailed_link("new.colleague@adatum.example.com", "invitation")
    browser = Client(demo.test_client())

    page = browser.get(link)
    assert page.status_code == 200
    assert soup(page).select_one("#invitation-email").get_text() == "new.colleague@adatum.example.com"
    assert soup(page).select_one("input[name=name]")["value"] == "Nina Novak"
    assert page.headers["Referrer-Policy"] == "no-referrer" and "no-store" in page.headers["Cache-Control"]

    response = _accept(browser, link, name="Nina Novak-Kowalska")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    home = browser.get("/")
    assert home.status_code == 200 and soup(home).select_one("h1").get_text() == "Reseller home"
    # A new admin is told where the account's settings are.
    assert ("Welcome, Nina Novak-Kowalska. Your user is ready, and you are signed in. As an account admin you invite "
            "colleagues under Settings > Users and add the customers you resell to under Settings > Licensees."
            ) in text_of(home)
    user = _user(db, "new.colleague@adatum.example.com")
    assert (user.name, user.role, user.account.name) == ("Nina Novak-Kowalska", "admin", "Adatum IT Services")
    assert user.check_password(STRONG)
    db.session.refresh(invitation)
    assert invitation.accepted_at is not None and invitation.user_id == user.id
    actions = db.session.scalars(db.select(AuditEvent.action).where(
        AuditEvent.subject == "new.colleague@adatum.example.com").order_by(AuditEvent.id)).all()
    assert actions == ["user_invited", "invitation_accepted"]
    # And the password works for signing in later.
    assert sign_in(Client(demo.test_client()), "new.colleague@adatum.example.com", STRONG).status_code == 302


def test_the_invitation_goes_out_over_smtp_with_a_link_that_works(demo, db, smtp_server):
    _invite(db)
    deliver_queued()
    [message] = smtp_server.to("new.colleague@adatum.example.com")
    assert message["Subject"] == "You are invited to join Adatum IT Services"
    assert "Rita Reseller invited you to join Adatum IT Services as a member on" in mail_text(message)
    [link] = [url for url in links_in(message) if "/accept-invitation?token=" in url]
    browser = Client(demo.test_client())
    assert browser.get(link.replace("http://127.0.0.1:5000", "")).status_code == 200


def test_a_used_link_says_so_and_leads_to_sign_in(demo, db):
    _invite(db)
    link = mailed_link("new.colleague@adatum.example.com", "invitation")
    member = Client(demo.test_client())
    assert _accept(member, link).status_code == 303
    welcome = text_of(member.get("/"))
    assert "Welcome, Nina Novak." in welcome and "Settings" not in welcome.split("Welcome, Nina Novak.")[1][:80]

    again = Client(demo.test_client()).get(link)
    assert again.status_code == 410
    page = soup(again)
    assert page.select_one("h1").get_text() == "This invitation has already been used"
    assert page.select_one('a[href="/sign-in"]') and page.select_one('a[href="/forgot-password"]')
    # Posting the old form again creates nothing.
    late = Client(demo.test_client())
    late.get("/sign-in")
    token = link.split("token=")[1]
    assert late.post("/accept-invitation", {"token": token, "name": "X", "password": STRONG}).status_code == 410
    assert db.session.scalar(db.select(db.func.count(User.id)).where(
        User.email == "new.colleague@adatum.example.com")) == 1


def test_an_expired_link_says_so_and_the_invitee_can_ask_the_admins_for_a_new_one(demo, db):
    invitation = _invite(db)
    link = mailed_link("new.colleague@adatum.example.com", "invitation")
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    browser = Client(demo.test_client())

    page = browser.get(link)
    assert page.status_code == 410
    assert soup(page).select_one("h1").get_text() == "This invitation has expired"
    assert soup(page).select_one("#accept-form") is None
    ask = soup(page).select_one("#ask-form")
    response = browser.post(ask["action"], {"token": ask.select_one("input[name=token]")["value"]})
    assert response.status_code == 200
    assert "know that you would like a new invitation" in text_of(response)
    # Every active admin of Adatum (the inviter is one) is told, once, with a link to the users page.
    [told] = mails_to("reseller@example.com", "invitation_requested")
    assert "Nina Novak (new.colleague@adatum.example.com)" in told.text and "has expired" in told.text
    assert "/settings/users" in told.text
    assert mails_to("reseller-member@example.com", "invitation_requested") == []
    db.session.refresh(invitation)
    assert invitation.renewal_requested_at is not None
    # A second click tells nobody again.
    again = browser.post(ask["action"], {"token": ask.select_one("input[name=token]")["value"]})
    assert "were already told" in text_of(again)
    assert len(mails_to("reseller@example.com", "invitation_requested")) == 1


def test_the_ask_address_reloaded_says_to_open_the_link_in_the_invitation_email_again(demo, db):
    """A refused ask is shown at /accept-invitation/ask, and the address bar keeps it: reloaded, it answered
    "405 Not allowed", a dead end. Its page needs the link's token, which that address does not carry: it now
    leads to the invitation page, which says to open the link in the invitation email again."""
    browser = Client(demo.test_client())
    refused = browser.post("/accept-invitation/ask", {"token": ""}, token_from="/sign-in")
    assert refused.status_code == 404
    reloaded = browser.get("/accept-invitation/ask")
    assert (reloaded.status_code, reloaded.headers["Location"]) == (303, "/accept-invitation")
    opened = browser.get("/accept-invitation")
    assert opened.status_code == 404  # no invitation at this address
    page = soup(opened)
    assert page.select_one("h1").get_text() == "Open the link in your invitation email"
    assert " ".join(page.select_one("#invitation-link p").get_text().split()) == (
        "This address does not carry your invitation: the link in the email does. Open that link again to accept "
        "the invitation or, if it no longer works, to ask for a new one.")
    assert page.find("a", string="Sign in")["href"] == "/sign-in"


def test_a_revoked_link_says_it_was_withdrawn_and_offers_to_ask_again(demo, db):
    invitation = _invite(db)
    link = mailed_link("new.colleague@adatum.example.com", "invitation")
    revoke(invitation, by=_user(db, "reseller@example.com"), origin=ORIGIN)
    db.session.commit()

    page = Client(demo.test_client()).get(link)
    assert page.status_code == 410
    assert soup(page).select_one("h1").get_text() == "This invitation was withdrawn"
    ask = soup(page).select_one("#ask-form")
    assert ask.select_one("button").get_text() == "Ask for a new invitation"
    assert invitation not in pending(_account(db))
    # A withdrawn invitation is not listed to be resent: the admin is told to invite the person again.
    Client(demo.test_client()).post(ask["action"], {"token": ask.select_one("input[name=token]")["value"]},
                                    token_from=link)
    [told] = mails_to("reseller@example.com", "invitation_requested")
    assert "was withdrawn" in told.text and "Resend" not in told.text
    assert "A withdrawn invitation cannot be resent: to send a new one, open the users of Adatum IT Services and " \
           "invite new.colleague@adatum.example.com again" in " ".join(told.text.split())


def test_resending_mails_a_new_link_for_seven_more_days_and_the_old_one_stops(demo, db):
    invitation = _invite(db)
    old_link = mailed_link("new.colleague@adatum.example.com", "invitation")
    invitation.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()

    resend(invitation, by=_user(db, "reseller@example.com"), origin=ORIGIN)
    db.session.commit()
    new_link = mailed_link("new.colleague@adatum.example.com", "invitation")
    assert new_link != old_link
    assert timedelta(days=6, hours=23) < invitation.expires_at - utcnow() <= timedelta(days=7)
    assert invitation.send_count == 2
    old = Client(demo.test_client()).get(old_link)
    assert old.status_code == 410 and soup(old).select_one("h1").get_text() == "A newer invitation replaced this link"
    assert _accept(Client(demo.test_client()), new_link).status_code == 303


def test_a_link_that_was_never_issued_is_not_found(demo, db):
    _invite(db)
    link = mailed_link("new.colleague@adatum.example.com", "invitation")
    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    for url in (tampered, "/accept-invitation?token=not-a-token"):  # (no token at all: the test of the ask's address)
        response = Client(demo.test_client()).get(url)
        assert response.status_code == 404, url
        assert soup(response).select_one("h1").get_text() == "This invitation link does not work"


def test_a_weak_password_is_refused_next_to_the_field_and_the_name_is_kept(demo, db):
    _invite(db)
    link = mailed_link("new.colleague@adatum.example.com", "invitation")
    browser = Client(demo.test_client())
    for password, message in [("short", "Use at least 12 characters (this one has 5)."),
                              ("new.colleague@adatum.example.com", "Do not use your email address as your password."),
                              ("password1234", "This is one of the most common passwords")]:
        response = _accept(browser, link, name="Nina N.", password=password)
        assert response.status_code == 422
        page = soup(response)
        assert page.select_one("#password-error").get_text().startswith(message)
        assert page.select_one("input[name=name]")["value"] == "Nina N."
        assert not page.select_one("input[name=password]").get("value")
    assert _user(db, "new.colleague@adatum.example.com") is None


def test_a_missing_name_and_a_weak_password_are_both_said_in_one_submit(demo, db):
    """Not the name's message alone, and the password's only after the name is given: both at once."""
    _invite(db)
    link = mailed_link("new.colleague@adatum.example.com", "invitation")
    response = _accept(Client(demo.test_client()), link, name="  ", password="short")
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#name-error").get_text() == "Enter your name."
    assert page.select_one("#password-error").get_text() == "Use at least 12 characters (this one has 5)."
    assert _user(db, "new.colleague@adatum.example.com") is None


@pytest.mark.parametrize("email, message", [
    ("reseller-member@example.com", "There is already a user with this email address."),
    ("RESELLER2@example.com", "There is already a user with this email address."),
    ("not-an-address", "Enter an email address like name@example.com."),
])
def test_invite_refuses_addresses_that_cannot_be_invited(demo, db, email, message):
    with pytest.raises(InvitationError) as refused:
        _invite(db, email=email)
    assert (refused.value.field, refused.value.message) == ("email", message)


def test_a_deactivated_user_of_the_account_is_pointed_at_reactivate_and_others_get_the_plain_message(demo, db):
    member, other = _user(db, "reseller-member@example.com"), _user(db, "reseller2@example.com")
    assert member.account == _account(db) and other.account != _account(db)
    member.is_active_user = other.is_active_user = False
    db.session.commit()
    with pytest.raises(InvitationError) as refused:
        _invite(db, email="Reseller-Member@example.com")
    assert (refused.value.field, refused.value.message) == (
        "email", f"{member.name} is a deactivated user of this account; reactivate them from the Users list "
                 "(Reactivate) instead.")
    # Another account's user, deactivated or not, is never revealed.
    with pytest.raises(InvitationError) as refused:
        _invite(db, email="reseller2@example.com")
    assert refused.value.message == "There is already a user with this email address."
    with pytest.raises(InvitationError) as refused:
        _invite(db, email="reseller-member@example.com", account="Litware Systems Sp. z o.o.",
                by="reseller2@example.com")
    assert refused.value.message == "There is already a user with this email address."


def test_an_address_with_a_waiting_invitation_is_refused_and_resend_is_suggested(demo, db):
    _invite(db)
    with pytest.raises(InvitationError, match="resend it instead"):
        _invite(db)
    with pytest.raises(InvitationError, match="waiting from another organisation"):
        _invite(db, account="Litware Systems Sp. z o.o.", by="reseller2@example.com")
    # Once it expired, or was revoked, the address may be invited again.
    [waiting] = pending(_account(db))
    revoke(waiting, by=None, origin=ORIGIN)
    db.session.commit()
    assert _invite(db).id != waiting.id


def test_invite_checks_names_and_role(demo, db):
    adatum, rita = _account(db), _user(db, "reseller@example.com")
    for fields, field in [({"first_name": " "}, "first_name"), ({"last_name": ""}, "last_name"),
                          ({"role": "owner"}, "role")]:
        values = {"email": "x@adatum.example.com", "first_name": "Nina", "last_name": "Novak", "role": "member",
                  **fields}
        with pytest.raises(InvitationError) as refused:
            invite(adatum, invited_by=rita, origin=ORIGIN, **values)
        assert refused.value.field == field
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0


def test_an_invitation_to_a_suspended_account_cannot_be_accepted(demo, db):
    _invite(db)
    link = mailed_link("new.colleague@adatum.example.com", "invitation")
    adatum = _account(db)
    adatum.status = "suspended"
    db.session.commit()

    response = _accept_direct(Client(demo.test_client()), link)
    assert response.status_code == 403
    assert "The account of Adatum IT Services is suspended" in text_of(response)
    assert _user(db, "new.colleague@adatum.example.com") is None


def _accept_direct(client: Client, link: str):
    client.get("/sign-in")
    return client.post("/accept-invitation", {"token": link.split("token=")[1], "name": "Nina", "password": STRONG})


def test_accepting_while_someone_else_is_signed_in_switches_to_the_new_user(demo, db, customer_client):
    _invite(db)
    link = mailed_link("new.colleague@adatum.example.com", "invitation")
    page = customer_client.get(link)
    assert "You are signed in as customer@example.com" in text_of(page)
    assert _accept(customer_client, link).status_code == 303
    assert soup(customer_client.get("/")).select_one("h1").get_text() == "Reseller home"


def _new_account_with_its_first_admin_invited(db, operator_client):
    """The operator onboards the direct customer Wide World Importers: (the account, its first admin Wanda's
    invitation, the link mailed to her)."""
    operator_client.post("/admin/accounts/new/customer", {
        "name": "Wide World Importers", "country": "US", "address_line1": "100 Harbor Way", "city": "Boston",
        "state": "MA", "postal_code": "02110", "admin_first_name": "Wanda", "admin_last_name": "World",
        "admin_email": "wanda@wideworld.example.com"})
    account = _account(db, "Wide World Importers")
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.account_id == account.id))
    link = mailed_link("wanda@wideworld.example.com", "invitation")
    return account, invitation, link


def test_a_new_accounts_first_admin_asking_for_a_new_link_tells_the_operators_admins(demo, db, operator_client):
    # A new account has no admin of its own yet: the operator's admins, who onboarded it, are told,
    # with a link to the account's page where they resend it; its members never exist yet.
    account, invitation, link = _new_account_with_its_first_admin_invited(db, operator_client)
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    browser = Client(demo.test_client())

    ask = soup(browser.get(link)).select_one("#ask-form")
    response = browser.post(ask["action"], {"token": ask.select_one("input[name=token]")["value"]})
    assert "Northwind Cloud Distribution knows that you would like a new invitation" in " ".join(text_of(response).split())
    [told] = mails_to("admin@example.com", "invitation_requested")
    assert "Wanda World (wanda@wideworld.example.com)" in told.text and "has expired" in told.text
    assert f"/admin/accounts/{account.id}" in told.text
    assert mails_to("operator-member@example.com", "invitation_requested") == []
    page = operator_client.get(f"/admin/accounts/{account.id}")
    assert "asked for a new one" in soup(page).select_one(f"#invitation-{invitation.id}").get_text()


def test_a_new_accounts_first_admin_is_told_to_ask_the_operator_not_the_accounts_admins(demo, db, operator_client):
    """The first admin of a new account is its only admin to be: a withdrawn link named the account as who
    withdrew it and whose admins to ask ("Ask the admins of Wide World Importers"), and the page after asking
    said they were told; the operator did, and is told."""
    account, invitation, link = _new_account_with_its_first_admin_invited(db, operator_client)
    revoke(invitation, by=_user(db, "admin@example.com"), origin=ORIGIN)
    db.session.commit()
    browser = Client(demo.test_client())

    page = soup(browser.get(link))
    said = " ".join(page.select_one("#invitation-link").get_text(" ", strip=True).split())
    assert "Northwind Cloud Distribution withdrew the invitation for wanda@wideworld.example.com" in said
    assert "Ask Northwind Cloud Distribution for a new invitation" in said
    assert "admins of Wide World Importers" not in said
    ask = page.select_one("#ask-form")
    asked = " ".join(text_of(browser.post(ask["action"], {"token": ask.select_one("input[name=token]")["value"]})).split())
    assert "We told Northwind Cloud Distribution" in asked
    assert "Northwind Cloud Distribution knows that you would like a new invitation" in asked
    assert "admins of Wide World Importers" not in asked
    # An account with admins of its own: they are the ones asked, as before.
    adatum_invitation = _invite(db)
    adatum_link = mailed_link("new.colleague@adatum.example.com", "invitation")
    revoke(adatum_invitation, by=_user(db, "reseller@example.com"), origin=ORIGIN)
    db.session.commit()
    said = " ".join(soup(browser.get(adatum_link)).select_one("#invitation-link").get_text(" ", strip=True).split())
    assert "Adatum IT Services withdrew the invitation" in said
    assert "Ask the admins of Adatum IT Services for a new invitation" in said


# Two threads race on the database: each sees only what the other committed.
@pytest.mark.commits
def test_one_address_invited_twice_at_once_gets_one_invitation(demo, db, app, monkeypatch):
    """A form sent twice at once (a double press the browser sent both of): both checked the address at the same
    moment, found it free, and each made an invitation and mailed a link. The address's lock lets one through; the
    other sees it. The rendezvous after the check would let both through if the lock were missing."""
    import threading

    from app.auth import invitations as svc

    barrier = threading.Barrier(2)
    checked = svc._refuse_taken

    def check_then_meet(email, account):
        checked(email, account)
        try:
            barrier.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass  # the other one is waiting for the lock: as it should

    monkeypatch.setattr(svc, "_refuse_taken", check_then_meet)
    outcome: list[str] = []

    def send():
        from app.extensions import db as _db

        with app.app_context():
            try:
                invite(_account(_db), email="twice@adatum.example.com", first_name="Tom", last_name="Twice",
                       role="member", invited_by=_user(_db, "reseller@example.com"), origin=ORIGIN)
                _db.session.commit()
                outcome.append("invited")
            except InvitationError as refused:
                _db.session.rollback()
                outcome.append(refused.message)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    db.session.expire_all()
    assert sorted(outcome) == ["This address has already been invited and the invitation is still valid; resend it "
                               "instead.", "invited"], outcome
    assert db.session.scalar(db.select(db.func.count(Invitation.id)).where(
        Invitation.email == "twice@adatum.example.com")) == 1
