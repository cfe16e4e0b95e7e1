"""The Programs notification category (Settings > Notifications: "Partner programs and certificates.")
is not an empty promise: a reseller is told when Partner Center's check of its enrolment ends (active,
or pending with what to fix) and when the operator approves, refuses or expires a certificate; the
operator's admins are told of a new "Become a partner" request. In-app (the Notifications page) and by
email, as every category."""
from __future__ import annotations

from app.mail.models import MailMessage
from tests.helpers import soup
from tests.programs.test_certificates import _adatum, _certificates, _enrolled_and_checked, _process
from tests.support.orders import work


def _notifications(client) -> list[tuple[str, str, str | None]]:
    """(title, body, link) of each notification on the Notifications page, newest first."""
    page = soup(client.get("/notifications"))
    return [(li.select_one(".notification-title").get_text(" ", strip=True).removeprefix("New ").strip(),
             li.select_one(".notification-body").get_text(strip=True),
             (li.select_one(".notification-title a") or {}).get("href"))
            for li in page.select("li.notification")]


def test_the_reseller_is_told_how_partner_centers_check_of_its_enrolment_ended(reseller_client, db, redis):
    certificate = _enrolled_and_checked(reseller_client, db, redis, "9999999")
    title, body, link = _notifications(reseller_client)[0]
    assert title == f"Certificate {certificate.number} is pending: something to fix"
    assert body.startswith("The MPN ID you gave (9999999) is not valid")
    assert link == f"/programs/certificates/{certificate.id}"
    mail = db.session.scalars(db.select(MailMessage).where(MailMessage.subject == title)).all()
    assert [m.to_email for m in mail] == ["reseller@example.com"]

    _process(reseller_client, certificate.id, "1234567")
    work(redis)
    title, body, _ = _notifications(reseller_client)[0]
    assert title == f"Certificate {certificate.number} is active"
    assert "choose it on the Customer step of every CSP order" in body


def test_the_reseller_is_told_when_the_operator_refuses_expires_or_approves(operator_client, reseller_client, db):
    certificate = _certificates(db, _adatum(db))[0]
    operator_client.post(f"/admin/programs/certificates/{certificate.id}/refuse", {"reason": "A head office MPN ID."})
    title, body, link = _notifications(reseller_client)[0]
    assert title == f"Certificate {certificate.number} was refused"
    assert "A head office MPN ID." in body and link == f"/programs/certificates/{certificate.id}"
    operator_client.post(f"/admin/programs/certificates/{certificate.id}/approve", {})
    assert _notifications(reseller_client)[0][0] == f"Certificate {certificate.number} is active"
    operator_client.post(f"/admin/programs/certificates/{certificate.id}/expire", {"confirmed": "yes"})
    title, body, _ = _notifications(reseller_client)[0]
    assert title == f"Certificate {certificate.number} has expired"
    assert "Enroll again to renew it." in body


def test_the_operators_admins_are_told_of_a_become_a_partner_request(client, operator_client, db):
    sent = client.post("/become-a-partner", {"company": "Fourth Coffee IT", "name": "Fiona Barista",
                                             "email": "fiona@fourthcoffee.example.com", "country": "US",
                                             "partner_id": "5678901", "message": ""},
                       token_from="/become-a-partner")
    assert sent.status_code == 303
    title, body, link = _notifications(operator_client)[0]
    assert title == "Partner request from Fourth Coffee IT"
    assert "Fiona Barista (fiona@fourthcoffee.example.com), United States" in body
    assert link == "/admin/programs/requests"
