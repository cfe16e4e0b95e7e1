"""Settings > Users: an account admin invites people, changes roles, deactivates and reactivates them;
the last admin stays; members never get in."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.models import Account, User
from app.audit.models import AuditEvent
from app.auth.models import Invitation
from app.mail import MailMessage
from app.time import utcnow
from tests.factories import UserFactory
from tests.helpers import asks_first, refused, signed_in, soup, text_of


def _user(db, email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.email == email))


def _adatum(db) -> Account:
    return db.session.scalar(db.select(Account).where(Account.name == "Adatum IT Services"))


@pytest.mark.parametrize("who", ["reseller_member_client", "customer_member_client", "operator_member_client"])
def test_members_are_refused_every_settings_page(demo, request, who):
    member = request.getfixturevalue(who)
    for url in ("/settings", "/settings/users", "/settings/licensees", "/settings/notifications"):
        refused = member.get(url)
        assert refused.status_code == 403, url
        # They are told who may, so they know whom to ask.
        assert ("This page is for your account's admins. Ask one of them if something here needs to change."
                in text_of(refused)), url
    assert member.post("/settings/users", {"first_name": "A", "last_name": "B", "email": "a@b.example.com",
                                           "role": "admin"}).status_code == 403


def test_the_users_page_lists_the_accounts_people_only(db, reseller_client):
    page = soup(reseller_client.get("/settings/users"))
    emails = [row.select("td")[1].get_text() for row in page.select("#users tbody tr[id^=user-]")]
    assert sorted(emails) == ["reseller-member@example.com", "reseller@example.com"]
    assert "reseller2@example.com" not in page.get_text()


def test_the_users_page_says_what_each_role_does_in_the_account(reseller_client, operator_client):
    """The operator's members buy nothing: its Users page says what its admins and members do instead."""
    assert soup(reseller_client.get("/settings/users")).select_one("#users-lead").get_text(" ", strip=True).endswith(
        "Account admins manage the settings; members buy and manage subscriptions.")
    lead = soup(operator_client.get("/settings/users")).select_one("#users-lead").get_text(" ", strip=True)
    assert "members read the same pages and change nothing there" in lead and "buy" not in lead


def test_an_admin_invites_a_colleague_who_gets_the_mail(db, reseller_client):
    response = reseller_client.post("/settings/users", {"first_name": "Nina", "last_name": "New",
                                                        "email": "Nina.New@Adatum.example.com", "role": "member"})
    assert response.status_code == 303 and response.headers["Location"] == "/settings/users"
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.email == "nina.new@adatum.example.com"))
    assert (invitation.first_name, invitation.last_name, invitation.role) == ("Nina", "New", "member")
    assert invitation.account_id == _adatum(db).id
    mail = db.session.scalar(db.select(MailMessage).where(MailMessage.to_email == "nina.new@adatum.example.com"))
    assert mail.category == "invitations" and mail.account_id == invitation.account_id
    page = soup(reseller_client.get("/settings/users"))
    assert "An invitation was sent to nina.new@adatum.example.com." in page.select_one("#flash-region").get_text()
    row = page.select_one(f"#invitation-{invitation.id}")
    assert "nina.new@adatum.example.com" in row.get_text() and row.select_one("button").get_text(" ", strip=True)


def test_a_bad_invitation_says_what_is_wrong_next_to_the_field_and_keeps_what_was_typed(db, reseller_client):
    response = reseller_client.post("/settings/users", {"first_name": "", "last_name": "Cole",
                                                        "email": "not-an-email", "role": "admin"})
    page = refused(response, errors={"first_name": "Enter the first name.",
                                     "email": "Enter an email address like name@example.com."},
                   kept={"last_name": "Cole", "email": "not-an-email"})
    assert page.select_one("#role-0")["value"] == "admin" and page.select_one("#role-0").has_attr("checked")
    taken = reseller_client.post("/settings/users", {"first_name": "Rita", "last_name": "Again",
                                                     "email": "reseller2@example.com", "role": "member"}, htmx=True)
    fragment = refused(taken, errors={"email": "There is already a user with this email address."})
    assert fragment.select_one("form#invite-form") is not None  # the fragment, for htmx
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0


def test_resend_and_revoke_a_pending_invitation(db, reseller_client):
    reseller_client.post("/settings/users", {"first_name": "Ola", "last_name": "Nowak", "email": "ola@adatum.example.com",
                                             "role": "member"})
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.email == "ola@adatum.example.com"))
    assert reseller_client.post(f"/settings/invitations/{invitation.id}/resend", {}).status_code == 303
    assert db.session.scalar(db.select(db.func.count(MailMessage.id)).where(
        MailMessage.to_email == "ola@adatum.example.com")) == 2
    # Revoking asks first in both modes: the button's dialog with JavaScript; without, a page that asks.
    asks_first(reseller_client, page="/settings/users", form=f"#invitation-{invitation.id} form[action$='/revoke']",
               dialog_start="Revoke the invitation of ola@adatum.example.com?",
               action=f"/settings/invitations/{invitation.id}/revoke",
               heading="Revoke the invitation of ola@adatum.example.com?", confirm="confirm-revoke",
               button="Revoke invitation")
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).revoked_at is None
    assert reseller_client.post(f"/settings/invitations/{invitation.id}/revoke", {"confirmed": "yes"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).revoked_at is not None
    assert soup(reseller_client.get("/settings/users")).select_one(f"#invitation-{invitation.id}") is None
    again = reseller_client.post(f"/settings/invitations/{invitation.id}/resend", {})
    assert again.status_code == 422  # a revoked invitation is not sent again
    assert soup(again).select_one("#users-problem").get_text() == "This invitation was revoked; invite the person again."


def test_settings_act_only_on_the_own_account_s_invitations(db, reseller_client, operator_client):
    """The operator's admins too: Settings is their own account's; other accounts' are admin > Accounts'."""
    reseller_client.post("/settings/users", {"first_name": "Ola", "last_name": "Nowak", "email": "ola@adatum.example.com",
                                             "role": "member"})
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.email == "ola@adatum.example.com"))
    for action in ("resend", "revoke"):
        assert operator_client.post(f"/settings/invitations/{invitation.id}/{action}", {}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).revoked_at is None


def test_an_admin_promotes_a_member_and_demotes_them_again(db, reseller_client):
    member = _user(db, "reseller-member@example.com")
    assert reseller_client.post(f"/settings/users/{member.id}/role", {"role": "admin"}).status_code == 303
    assert _user(db, "reseller-member@example.com").role == "admin"
    assert reseller_client.post(f"/settings/users/{member.id}/role", {"role": "member"}).status_code == 303
    assert _user(db, "reseller-member@example.com").role == "member"
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "user_role_changed")
                                .order_by(AuditEvent.id)).all()
    assert [(e.details["from"], e.details["to"], e.actor_id) for e in events] == [
        ("member", "admin", _user(db, "reseller@example.com").id), ("admin", "member", _user(db, "reseller@example.com").id)]


def test_changing_a_role_says_what_the_person_is_now_in_plain_words(db, reseller_client):
    """It said "Rose Member is now account admin.", and pressing Change role on the role a person has said nothing."""
    member = _user(db, "reseller-member@example.com")
    promoted = reseller_client.post(f"/settings/users/{member.id}/role", {"role": "admin"})
    assert f"{member.name} is now an account admin." in text_of(reseller_client.get(promoted.headers["Location"]))
    reseller_client.post(f"/settings/users/{member.id}/role", {"role": "member"})
    assert f"{member.name} is now a member." in text_of(reseller_client.get("/settings/users"))
    same = reseller_client.post(f"/settings/users/{member.id}/role", {"role": "member"})
    assert same.status_code == 303
    assert f"{member.name} is already a member; nothing changed." in text_of(reseller_client.get("/settings/users"))


def test_the_last_admin_cannot_be_demoted_or_deactivated(db, demo):
    adatum = _adatum(db)
    rita = _user(db, "reseller@example.com")
    second = UserFactory(account=adatum, email="second-admin@adatum.example.com", name="Sam Second", role="admin")
    sam = signed_in(demo, "second-admin@adatum.example.com")
    # Sam demotes Rita: allowed, Sam is still an admin.
    assert sam.post(f"/settings/users/{rita.id}/role", {"role": "member"}).status_code == 303
    # Sam is now the only admin: demoting himself is refused, with the reason next to his row.
    refused = sam.post(f"/settings/users/{second.id}/role", {"role": "member"})
    assert refused.status_code == 422
    message = soup(refused).select_one(f"#user-{second.id}-error").get_text()
    assert message == ("Sam Second is the only active account admin of Adatum IT Services, so you cannot make them a "
                       "member. Make another user an account admin first.")
    assert _user(db, "second-admin@adatum.example.com").role == "admin"
    # Nor can anyone deactivate the last admin (Sam cannot deactivate himself at all).
    assert "cannot deactivate yourself" in text_of(sam.post(f"/settings/users/{second.id}/deactivate", {}))
    assert _user(db, "second-admin@adatum.example.com").is_active_user
    # With Rita an admin again, Sam can step down.
    assert sam.post(f"/settings/users/{rita.id}/role", {"role": "admin"}).status_code == 303
    done = sam.post(f"/settings/users/{second.id}/role", {"role": "member"})
    assert done.status_code == 303 and done.headers["Location"] == "/"  # no longer his to manage
    assert sam.get("/settings/users").status_code == 403


def test_the_last_admin_rule_counts_only_active_admins(db, demo, reseller_client):
    adatum = _adatum(db)
    rita = _user(db, "reseller@example.com")
    gone = UserFactory(account=adatum, email="gone-admin@adatum.example.com", name="Gone Admin", role="admin",
                       is_active_user=False)
    assert not gone.is_active_user  # a deactivated admin cannot step in: Rita stays the last one
    refused = reseller_client.post(f"/settings/users/{rita.id}/role", {"role": "member"})
    assert refused.status_code == 422
    assert soup(refused).select_one(f"#user-{rita.id}-error").get_text().startswith(
        "Rita Reseller is the only active account admin of Adatum IT Services")
    assert _user(db, "reseller@example.com").role == "admin"


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in_until_reactivated(db, demo, reseller_client):
    from tests.helpers import Client, sign_in

    member = _user(db, "reseller-member@example.com")
    member_browser = signed_in(demo, "reseller-member@example.com")
    assert member_browser.get("/orders").status_code == 200
    page = soup(reseller_client.get("/settings/users"))
    assert page.select_one(f"#user-{member.id} form[action$='/deactivate'] button") is not None
    # Asked first in both modes: with JavaScript the button's dialog; without, its post opens a page that
    # asks, and nothing changes until that page's button is pressed.
    deactivate = page.select_one(f"#user-{member.id} form[action$='/deactivate']")
    assert deactivate["hx-confirm"].startswith("Deactivate Ray Member?") and deactivate["hx-vals"] == '{"confirmed": "yes"}'
    asked = reseller_client.post(f"/settings/users/{member.id}/deactivate", {})
    assert asked.status_code == 200 and _user(db, "reseller-member@example.com").is_active_user
    assert soup(asked).select_one("h1").get_text() == "Deactivate Ray Member?"
    assert soup(asked).select_one("#confirm-deactivate button").get_text() == "Deactivate user"
    assert member_browser.get("/orders").status_code == 200
    assert reseller_client.post(f"/settings/users/{member.id}/deactivate", {"confirmed": "yes"}).status_code == 303
    assert not _user(db, "reseller-member@example.com").is_active_user
    # The open session ends at its next request; signing in again is refused.
    assert member_browser.get("/orders").status_code == 302
    assert sign_in(Client(demo.test_client()), "reseller-member@example.com").status_code != 302
    row = soup(reseller_client.get("/settings/users")).select_one(f"#user-{member.id}")
    assert "Deactivated" in row.get_text() and row.select_one("form[action$='/reactivate']") is not None
    assert reseller_client.post(f"/settings/users/{member.id}/reactivate", {}).status_code == 303
    assert sign_in(Client(demo.test_client()), "reseller-member@example.com").status_code == 302
    # The browser signed out by the deactivation asks for the password again (it was let straight back in).
    assert member_browser.get("/orders").status_code == 302
    actions = db.session.scalars(db.select(AuditEvent.action).where(
        AuditEvent.subject == "reseller-member@example.com").order_by(AuditEvent.id)).all()
    assert [a for a in actions if a.startswith("user_")] == ["user_deactivated", "user_reactivated"]


def test_another_accounts_user_is_not_found(db, reseller2_client):
    member = _user(db, "reseller-member@example.com")
    for action, data in (("role", {"role": "admin"}), ("deactivate", {}), ("reactivate", {})):
        assert reseller2_client.post(f"/settings/users/{member.id}/{action}", data).status_code == 404
    member = _user(db, "reseller-member@example.com")
    assert (member.role, member.is_active_user) == ("member", True)


def test_user_changes_need_the_csrf_token(db, reseller_client):
    member = _user(db, "reseller-member@example.com")
    response = reseller_client.post(f"/settings/users/{member.id}/deactivate", {}, csrf=False)
    assert response.status_code == 400
    assert _user(db, "reseller-member@example.com").is_active_user


def test_a_refused_deactivation_with_javascript_answers_the_whole_page_for_its_main(db, reseller_client):
    """The Deactivate button swaps in the answer's #main (hx-select): a refusal is the users page with the
    reason at the row, not the invite form's fragment."""
    rita = _user(db, "reseller@example.com")
    refused = reseller_client.post(f"/settings/users/{rita.id}/deactivate", {"confirmed": "yes"}, htmx=True)
    assert refused.status_code == 422
    main = soup(refused).select_one("main#main")
    assert main.select_one(f"#user-{rita.id}-error").get_text() == (
        "You cannot deactivate yourself. Ask another account admin to do it.")
    assert _user(db, "reseller@example.com").is_active_user


def test_resend_pressed_twice_sends_one_new_invitation(db, reseller_client):
    """Resend pressed twice (a double submit): two mails went out, and the link of the first, which the invitee
    may well open, already said "A newer invitation replaced this link"."""
    reseller_client.post("/settings/users", {"first_name": "Ola", "last_name": "Nowak", "email": "ola@adatum.example.com",
                                             "role": "member"})
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.email == "ola@adatum.example.com"))

    def resend_as_shown():
        page = soup(reseller_client.get("/settings/users"))
        return page.select_one(f"#invitation-{invitation.id} form[action*='/resend']")["action"]

    def mails():
        return db.session.scalar(db.select(db.func.count(MailMessage.id)).where(
            MailMessage.to_email == "ola@adatum.example.com"))

    action = resend_as_shown()
    for _ in range(2):
        assert reseller_client.post(action, {}).status_code == 303
    assert mails() == 2  # the invitation and one new one
    flash = soup(reseller_client.get("/settings/users")).select_one("#flash-region").get_text(" ", strip=True)
    assert "A new invitation was sent to ola@adatum.example.com; the previous link no longer works." in flash
    assert reseller_client.post(resend_as_shown(), {}).status_code == 303  # pressed again later: sent again
    assert mails() == 3


def test_send_invitation_pressed_twice_sends_one_invitation_and_says_it_was_sent(db, reseller_client):
    """Send invitation pressed twice (a double click; with JavaScript htmx sent the second press after the first's
    answer): the second was answered 422, "already been invited … resend it instead", next to the Email field."""
    data = {"first_name": "Ola", "last_name": "Nowak", "email": "ola@adatum.example.com", "role": "member"}
    assert reseller_client.post("/settings/users", data, htmx=True).headers["HX-Redirect"] == "/settings/users"
    second = reseller_client.post("/settings/users", data, htmx=True)
    assert second.status_code == 204 and second.headers["HX-Redirect"] == "/settings/users"
    without_javascript = reseller_client.post("/settings/users", data)  # both sent, the second's answer shown
    assert without_javascript.status_code == 303 and without_javascript.headers["Location"] == "/settings/users"
    page = soup(reseller_client.get("/settings/users"))
    assert "An invitation was sent to ola@adatum.example.com." in page.select_one("#flash-region").get_text()
    assert page.select(".field-error") == []
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 1
    assert db.session.scalar(db.select(db.func.count(MailMessage.id)).where(
        MailMessage.to_email == "ola@adatum.example.com")) == 1
    # Sent again a minute later it is no double click: the person is told to resend the invitation instead.
    db.session.execute(db.update(Invitation).values(created_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    later = reseller_client.post("/settings/users", data)
    refused(later, errors={"email": "This address has already been invited and the invitation is still valid; "
                                    "resend it instead."})


def test_send_invitation_sent_twice_at_once_says_it_was_sent_both_times(db, reseller_client, monkeypatch):
    """Both posts at once: the second looked for the first's invitation before the first was saved, found none, and
    was then refused under the address's lock ("already been invited … resend it instead") although it was the same
    press. Simulated: the second post's first look finds nothing, as it would have."""
    from app.auth import invitations

    data = {"first_name": "Ola", "last_name": "Nowak", "email": "ola@adatum.example.com", "role": "member"}
    assert reseller_client.post("/settings/users", data).status_code == 303
    looked = []
    real = invitations.just_sent

    def too_early(*args, **kwargs):
        looked.append(1)
        return None if len(looked) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(invitations, "just_sent", too_early)
    second = reseller_client.post("/settings/users", data)
    assert second.status_code == 303 and second.headers["Location"] == "/settings/users"
    page = soup(reseller_client.get("/settings/users"))
    assert "An invitation was sent to ola@adatum.example.com." in page.select_one("#flash-region").get_text()
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 1
