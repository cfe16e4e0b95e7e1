"""admin > Programs: every enrolment, approve / refuse with a reason / expire, the validity period;
"Become a partner" requests and turning one into a reseller account (the onboarding of admin >
Accounts, with its first admin invited)."""
from __future__ import annotations

from datetime import timedelta

from app.accounts.models import Account
from app.auth.models import Invitation
from app.programs.models import Certificate, PartnerRequest
from tests.helpers import asks_first, soup, text_of
from tests.support.orders import work

FOURTH_COFFEE_TENANT = "4c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e7f"


def _certificate(db, partner_id="1234567") -> Certificate:
    db.session.expire_all()
    account = db.session.scalar(db.select(Account).where(Account.partner_id == partner_id))
    return db.session.scalar(db.select(Certificate).where(Certificate.account_id == account.id)
                             .order_by(Certificate.id.desc()))


def test_the_operator_lists_every_enrolment_and_filters_them(operator_client, operator_member_client, db):
    page = soup(operator_client.get("/admin/programs"))
    rows = page.select("table.certificates tbody tr")
    assert {"Adatum IT Services", "Litware Systems Sp. z o.o."} <= {r.select("td")[1].get_text() for r in rows}
    filtered = soup(operator_client.get("/admin/programs?q=2345678"))
    assert [r.select("td")[1].get_text() for r in filtered.select("table.certificates tbody tr")] == [
        "Litware Systems Sp. z o.o."]
    none = soup(operator_client.get("/admin/programs?status=pending"))
    assert none.select_one("table.certificates tbody").get_text(strip=True) == "No enrollments match."
    # A status not offered (an edited address) is said at the field and not applied.
    from tests.support.filters import assert_bad_choice_refused
    assert_bad_choice_refused(operator_client, "/admin/programs", "status", "a status")
    assert len(soup(operator_client.get("/admin/programs?status=bogus")).select("table.certificates tbody tr")) == len(rows)
    # The member reads it, without the forms that change something.
    member = soup(operator_member_client.get("/admin/programs"))
    assert member.select_one("form.program-form") is None
    certificate = _certificate(db)
    member_view = soup(operator_member_client.get(f"/admin/programs/certificates/{certificate.id}"))
    assert member_view.select_one(".certificate-actions") is None
    assert operator_member_client.post(f"/admin/programs/certificates/{certificate.id}/expire", {}).status_code == 403


def test_expire_asks_first_and_changes_nothing_until_confirmed(operator_client, db):
    """Expiring cannot be undone: the button's post (without JavaScript; with it, hx-confirm asks and
    sends confirmed=yes) opens a page that asks, and only its button expires the certificate."""
    certificate = _certificate(db)
    asked = operator_client.post(f"/admin/programs/certificates/{certificate.id}/expire", {})
    assert asked.status_code == 200
    page = soup(asked)
    assert page.select_one("h1").get_text() == f"Expire certificate {certificate.number} now?"
    assert "Adatum IT Services can no longer choose it on its CSP orders" in page.select_one("#expire-consequences").get_text()
    assert page.select_one("#confirm-expire input[name=confirmed]")["value"] == "yes"
    assert page.find("a", string="Keep the certificate")["href"] == f"/admin/programs/certificates/{certificate.id}"
    assert _certificate(db).status == "active"
    form = page.select_one("#confirm-expire")
    fields = {f["name"]: f.get("value", "") for f in form.select("input[name]")}
    done = operator_client.post(form["action"], fields)
    assert done.status_code == 303
    assert _certificate(db).status == "expired"
    # The certificate page's button asks with JavaScript and posts the confirmation itself.
    button_form = soup(operator_client.get(f"/admin/programs/certificates/{_certificate(db, '2345678').id}")).select_one(
        "form[action$='/expire']")
    assert "Expire certificate" in button_form["hx-confirm"] and "Litware Systems" in button_form["hx-confirm"]
    assert button_form["hx-vals"] == '{"confirmed": "yes"}'


def test_expire_ends_the_certificate_and_the_reseller_sees_its_end_date(operator_client, reseller_client, db):
    certificate = _certificate(db)
    response = operator_client.post(f"/admin/programs/certificates/{certificate.id}/expire", {"confirmed": "yes"})
    assert response.status_code == 303
    certificate = _certificate(db)
    assert certificate.status == "expired" and certificate.current_status == "expired"
    page = soup(reseller_client.get(f"/programs/certificates/{certificate.id}"))
    assert page.select_one("#certificate-status-label").get_text(strip=True) == "Expired"
    assert page.select_one("#certificate-end").get_text() == certificate.ended_at.strftime("%Y-%m-%d")
    assert "Enroll again to renew it." in page.select_one(".certificate-guidance").get_text()
    # The operator's panel says why it offers nothing, rather than stand empty.
    operator_page = soup(operator_client.get(f"/admin/programs/certificates/{certificate.id}"))
    assert operator_page.select_one(".certificate-actions form") is None
    assert operator_page.select_one("#no-operator-action").get_text() == (
        "No action: an expired certificate stays expired. The reseller enrolls again for a new one.")
    again = operator_client.post(f"/admin/programs/certificates/{certificate.id}/expire", {})
    assert again.status_code == 409
    assert "only an active certificate can be expired" in soup(again).select_one(".alert-error").get_text()
    refused = operator_client.post(f"/admin/programs/certificates/{certificate.id}/refuse", {"reason": "Too late"})
    assert refused.status_code == 409
    assert "only a pending or active certificate can be refused" in soup(refused).select_one(".alert-error").get_text()
    assert _certificate(db).status == "expired"


def test_refuse_needs_a_reason_and_the_reseller_reads_it(operator_client, reseller_client, db):
    certificate = _certificate(db)
    empty = operator_client.post(f"/admin/programs/certificates/{certificate.id}/refuse", {"reason": "  "})
    assert empty.status_code == 422
    assert soup(empty).select_one("#reason-error").get_text() == "Say why the certificate is refused."
    assert _certificate(db).status == "active"
    operator_client.post(f"/admin/programs/certificates/{certificate.id}/refuse",
                         {"reason": "The MPN ID is a head office, not a partner location."})
    assert _certificate(db).status == "refused"
    page = soup(reseller_client.get(f"/programs/certificates/{certificate.id}"))
    assert "The MPN ID is a head office, not a partner location." in page.select_one(".certificate-guidance").get_text()
    assert "You cannot order CSP products" in soup(reseller_client.get("/programs")).select_one(".program-gate").get_text()


def test_approve_activates_a_pending_certificate_for_the_validity_period(operator_client, reseller_client, db, redis):
    saved = operator_client.post("/admin/programs", {"name": "CSP Partner Program", "description": "Resell with us.",
                                                     "terms": "Be our indirect reseller.", "validity_days": "30"})
    assert saved.status_code == 303
    operator_client.post(f"/admin/programs/certificates/{_certificate(db).id}/expire", {"confirmed": "yes"})
    reseller_client.post("/programs/enroll", {"partner_id": "5678901", "contact_email": "partners@adatum.example.com",
                                              "country": "US"})
    work(redis)
    pending = _certificate(db)
    assert pending.status == "pending" and pending.problem_code == "tenant"
    # Its steps (Process on the Parameters tab) are the reseller's, which the operator's page says; it said
    # "What to do" though the operator has no Process.
    headings = [h.get_text() for h in soup(operator_client.get(f"/admin/programs/certificates/{pending.id}")).select("h3")]
    assert "What the reseller is asked to do" in headings and "What to do" not in headings
    # Each action is its own group, so the Reason under Approve reads as Refuse's, not Approve's.
    page = soup(operator_client.get(f"/admin/programs/certificates/{pending.id}"))
    groups = [(g.legend.get_text(), [b.get_text() for b in g.select("button")],
               [f["name"] for f in g.select("textarea, input:not([type=hidden])")])
              for g in page.select(".certificate-actions fieldset")]
    assert groups == [("Approve the certificate", ["Approve"], []), ("Refuse the certificate", ["Refuse"], ["reason"])]
    own = soup(reseller_client.get(f"/programs/certificates/{pending.id}"))
    assert "What to do" in [h.get_text() for h in own.select("h3")]
    assert operator_client.post(f"/admin/programs/certificates/{pending.id}/approve", {}).status_code == 303
    approved = _certificate(db)
    assert approved.status == "active" and approved.expires_at - approved.activated_at == timedelta(days=30)
    assert soup(reseller_client.get("/programs")).select_one(".program-gate") is None


def test_a_certificate_being_checked_offers_the_operator_a_reload_of_its_own_page(operator_client, reseller_client, db):
    """The operator's page does not poll; its reload link led to the reseller's page of the certificate (403)."""
    operator_client.post(f"/admin/programs/certificates/{_certificate(db).id}/expire", {"confirmed": "yes"})
    reseller_client.post("/programs/enroll", {"partner_id": "1234567", "contact_email": "partners@adatum.example.com",
                                              "country": "US"})
    checking = _certificate(db)
    assert checking.checking
    url = f"/admin/programs/certificates/{checking.id}"
    guidance = soup(operator_client.get(url)).select_one(".certificate-guidance")
    assert guidance.select_one(".checking").get_text() == "Partner Center is checking MPN ID 1234567…"
    reload = guidance.find("a", string="Reload this page")
    assert reload is not None and reload.find_parent("noscript") is None
    assert reload["href"] == url
    assert operator_client.get(reload["href"]).status_code == 200
    # The reseller's own page still polls, with its reload link for a browser without JavaScript.
    own = soup(reseller_client.get(f"/programs/certificates/{checking.id}"))
    assert own.select_one("#certificate-status")["hx-get"] == f"/programs/certificates/{checking.id}/status"
    assert own.select_one("noscript a")["href"] == f"/programs/certificates/{checking.id}"


def test_a_refused_certificate_is_not_approved_beside_an_active_one_of_its_mpn_id(operator_client, reseller_client, db,
                                                                                   redis):
    """Refused, then enrolled again and active: approving the refused one gave one MPN ID two active certificates
    (enrolling refuses a second one)."""
    demo = _certificate(db)
    refused = operator_client.post(f"/admin/programs/certificates/{demo.id}/refuse", {"reason": "Head office MPN."})
    assert refused.status_code == 303
    reseller_client.post("/programs/enroll", {"partner_id": "1234567", "contact_email": "partners@adatum.example.com",
                                              "country": "US"})
    work(redis)
    again = _certificate(db)
    assert again.id != demo.id and again.status == "active"
    answer = operator_client.post(f"/admin/programs/certificates/{demo.id}/approve", {})
    assert answer.status_code == 409
    assert soup(answer).select_one(".alert-error").get_text() == (
        f"Certificate {again.number} for MPN ID 1234567 is active already: {demo.number} cannot be approved "
        "beside it.")
    db.session.expire_all()
    assert db.session.get(Certificate, demo.id).status == "refused"


def test_the_validity_period_is_checked_at_its_field(operator_client):
    response = operator_client.post("/admin/programs", {"name": "CSP Partner Program", "description": "x",
                                                        "terms": "y", "validity_days": "0"})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#validity_days-error").get_text() == "Enter a number of days from 1 to 3660."
    assert page.select_one("input#validity_days")["value"] == "0"


# ----------------------------------------------------------------------------------- become a partner

def test_become_a_partner_is_public_and_linked_from_sign_in(client, db):
    sign_in = soup(client.get("/sign-in"))
    link = sign_in.find("a", string="Become a partner")
    assert link is not None
    page = soup(client.get(link["href"]))
    assert page.select_one("#become-heading").get_text() == "Become a partner"
    assert "Cloud Solution Provider Partner Program" in page.select_one(".program-description").get_text()


def test_a_request_is_checked_at_its_fields_and_keeps_what_was_typed(client, db):
    response = client.post("/become-a-partner", {"company": "Fourth Coffee IT", "name": "", "email": "nope",
                                                 "country": "", "partner_id": "12a", "message": "Hello"},
                           token_from="/become-a-partner")
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#name-error").get_text() == "Enter your name."
    assert page.select_one("#email-error").get_text() == "Enter an email address like name@example.com."
    assert page.select_one("#country-error").get_text() == "Choose your country."
    assert page.select_one("#partner_id-error").get_text() == "A partner ID is a number of up to 10 digits, like 1234567."
    assert page.select_one("input#company")["value"] == "Fourth Coffee IT"
    assert page.select_one("textarea#message").get_text().strip() == "Hello"
    assert db.session.scalar(db.select(db.func.count(PartnerRequest.id))) == 0


def test_the_operator_turns_a_request_into_a_reseller_account(demo, client, operator_client, operator_member_client,
                                                              db):
    sent = client.post("/become-a-partner", {"company": "Fourth Coffee IT", "name": "Fiona Barista",
                                             "email": "Fiona@FourthCoffee.example.com", "country": "US",
                                             "partner_id": "5678901", "message": "We resell in Seattle."},
                       token_from="/become-a-partner")
    assert sent.status_code == 303
    assert "was sent" in text_of(client.get(sent.headers["Location"]))
    partner_request = db.session.scalar(db.select(PartnerRequest))
    listed = soup(operator_client.get("/admin/programs/requests"))
    row = listed.select_one(f"#request-{partner_request.id}")
    assert "fiona@fourthcoffee.example.com" in row.get_text() and "We resell in Seattle." in row.get_text()
    assert soup(operator_member_client.get("/admin/programs/requests")).find("a", string="Create reseller account") is None
    assert operator_member_client.get(f"/admin/programs/requests/{partner_request.id}/convert").status_code == 403

    form = soup(operator_client.get(row.find("a", string="Create reseller account")["href"]))
    assert form.select_one("input#name")["value"] == "Fourth Coffee IT"
    assert form.select_one("input#partner_id")["value"] == "5678901"
    assert form.select_one("input#admin_first_name")["value"] == "Fiona"
    assert form.select_one("input#admin_last_name")["value"] == "Barista"
    assert form.select_one("input#admin_email")["value"] == "fiona@fourthcoffee.example.com"
    created = operator_client.post(f"/admin/programs/requests/{partner_request.id}/convert", {
        "name": "Fourth Coffee IT", "country": "US", "partner_id": "5678901", "partner_tenant_id": FOURTH_COFFEE_TENANT,
        "markets": "US", "admin_first_name": "Fiona", "admin_last_name": "Barista",
        "admin_email": "fiona@fourthcoffee.example.com"})
    assert created.status_code == 303
    account = db.session.scalar(db.select(Account).where(Account.partner_id == "5678901"))
    assert created.headers["Location"].endswith(f"/admin/accounts/{account.id}")
    assert account.kind == "reseller" and account.partner_status == "ready"
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.account_id == account.id))
    assert invitation.email == "fiona@fourthcoffee.example.com" and invitation.role == "admin"
    db.session.expire_all()
    assert db.session.get(PartnerRequest, partner_request.id).status == "converted"
    again = soup(operator_client.get("/admin/programs/requests"))
    assert again.select_one(f"#request-{partner_request.id}").find("a", string="Fourth Coffee IT")


def test_a_request_from_poland_becomes_a_reseller_form_with_polands_market_ticked(demo, operator_client, db):
    """The form of a request from Poland ticked the United States' market."""
    partner_request = PartnerRequest(company="Litware Krakow", name="Lena Nowak", email="lena@litware.example.com",
                                     country="PL", partner_id="5678901")
    db.session.add(partner_request)
    db.session.commit()
    form = soup(operator_client.get(f"/admin/programs/requests/{partner_request.id}/convert"))
    assert form.select_one("#country option[selected]")["value"] == "PL"
    assert [box["value"] for box in form.select("input[name=markets][checked]")] == ["PL"]


def test_without_javascript_a_requests_markets_left_as_the_form_ticked_them_follow_the_country_sent(
        demo, operator_client, db):
    """A request from the United States, made a reseller in Poland without JavaScript (nothing swaps the markets in
    when Poland is chosen): the account was saved with the United States' market, although the form's hint says the
    markets follow the country until the operator ticks others. Markets the operator ticked stand."""
    requests = [PartnerRequest(company=company, name="Carl Convert", email=f"carl@{domain}", country="US",
                               partner_id=partner_id) for company, domain, partner_id in (
        ("Fourth Coffee IT", "fourthcoffee.example.com", "5678901"),
        ("Proseware Solutions", "proseware.example.com", "3456789"))]
    db.session.add_all(requests)
    db.session.commit()
    shown = soup(operator_client.get(f"/admin/programs/requests/{requests[0].id}/convert"))
    assert shown.select_one("input[name=markets_default]")["value"] == "US"
    assert "Until you tick others, they follow the country chosen, as you choose it or else when you save" in (
        shown.select_one("#markets-hint").get_text())
    for partner_request, tenant, markets in ((requests[0], FOURTH_COFFEE_TENANT, ["US"]),
                                             (requests[1], "9c8b7a6f-5e4d-4c3b-a2f1-0e9d8c7b6a5f", ["US", "PL"])):
        sent = operator_client.post(f"/admin/programs/requests/{partner_request.id}/convert", {
            "name": partner_request.company, "country": "PL", "partner_id": partner_request.partner_id,
            "partner_tenant_id": tenant, "markets": markets, "markets_default": "US", "admin_first_name": "Carl",
            "admin_last_name": "Convert", "admin_email": partner_request.email})
        assert sent.status_code == 303
    db.session.expire_all()
    assert db.session.scalar(db.select(Account).where(Account.partner_id == "5678901")).markets == ["PL"]
    assert sorted(db.session.scalar(db.select(Account).where(Account.partner_id == "3456789")).markets) == ["PL", "US"]


def test_a_wrong_tenant_is_refused_at_its_field_and_nothing_is_created(demo, operator_client, db):
    partner_request = PartnerRequest(company="Fourth Coffee IT", name="Fiona", email="f@fourthcoffee.example.com",
                                     country="US", partner_id="5678901")
    db.session.add(partner_request)
    db.session.commit()
    response = operator_client.post(f"/admin/programs/requests/{partner_request.id}/convert", {
        "name": "Fourth Coffee IT", "country": "US", "partner_id": "5678901",
        "partner_tenant_id": "5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71", "markets": "US", "admin_first_name": "Fiona",
        "admin_last_name": "Barista", "admin_email": "f@fourthcoffee.example.com"})
    assert response.status_code == 422
    assert "is not the one Partner Center lists" in soup(response).select_one("#partner_tenant_id-error").get_text()
    assert db.session.scalar(db.select(Account).where(Account.partner_id == "5678901")) is None
    db.session.expire_all()
    assert db.session.get(PartnerRequest, partner_request.id).status == "new"


def test_a_request_can_be_dismissed(operator_client, db):
    partner_request = PartnerRequest(company="Spam Ltd", name="S", email="s@spam.example.com", country="US")
    db.session.add(partner_request)
    db.session.commit()
    # Dismissing asks first in both modes: the button's dialog with JavaScript; without, a page that asks.
    asks_first(operator_client, page="/admin/programs/requests",
               form=f"#request-{partner_request.id} form[action$='/dismiss']",
               dialog_start="Dismiss the request of Spam Ltd?",
               action=f"/admin/programs/requests/{partner_request.id}/dismiss",
               heading="Dismiss the request of Spam Ltd?", confirm="confirm-dismiss", button="Dismiss request",
               way_back="Keep the request")
    db.session.expire_all()
    assert db.session.get(PartnerRequest, partner_request.id).status == "new"
    assert operator_client.post(f"/admin/programs/requests/{partner_request.id}/dismiss",
                                {"confirmed": "yes"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(PartnerRequest, partner_request.id).status == "dismissed"
    # It cannot be taken up again: its Create reseller account link is gone, and its address (kept from before,
    # or in a second tab) showed the filled-in form, whose post created the account.
    row = soup(operator_client.get("/admin/programs/requests")).select_one(f"#request-{partner_request.id}")
    assert row.find("a", string="Create reseller account") is None
    convert = f"/admin/programs/requests/{partner_request.id}/convert"
    for answer in (operator_client.get(convert), operator_client.post(convert, {
            "name": "Spam Ltd", "country": "US", "partner_id": "5678901", "partner_tenant_id": FOURTH_COFFEE_TENANT,
            "markets": "US", "admin_first_name": "S", "admin_last_name": "Spam", "admin_email": "s@spam.example.com"})):
        assert answer.status_code == 303 and answer.headers["Location"].endswith("/admin/programs/requests")
    assert ("The request of Spam Ltd was dismissed, so it cannot become a reseller account. To onboard the company, "
            "create the reseller under Partners > Accounts.") in text_of(operator_client.get("/admin/programs/requests"))
    assert db.session.scalar(db.select(Account).where(Account.name == "Spam Ltd")) is None
    db.session.expire_all()
    assert db.session.get(PartnerRequest, partner_request.id).status == "dismissed"


def test_one_address_may_send_a_few_requests_an_hour(client, db):
    form = {"company": "Eager Ltd", "name": "Ed Eager", "email": "ed@eager.example.com", "country": "GB",
            "partner_id": "", "message": "Please"}
    client.get("/become-a-partner")  # the form's CSRF token, as a browser reads it
    for n in range(5):  # five requests (the same one sent again is one: test_a_request_sent_twice_is_one_request)
        assert client.post("/become-a-partner", {**form, "message": f"Please ({n + 1})"}).status_code == 303
    sixth = client.post("/become-a-partner", form)
    assert sixth.status_code == 422
    page = soup(sixth)
    assert "Several requests were sent from your address in the last hour" in page.select_one("#message-error").get_text()
    assert page.select_one("input#company")["value"] == "Eager Ltd"
    assert db.session.scalar(db.select(db.func.count(PartnerRequest.id))) == 5


def test_a_request_sent_twice_is_one_request(client, operator_client, db):
    """Send pressed twice (a double submit, or Back and Send again): the operator found two identical requests,
    each row with its own "Create reseller account" and "Dismiss the request of Fourth Coffee IT", and was
    told twice."""
    request = {"company": "Fourth Coffee IT", "name": "Fiona Barista", "email": "fiona@fourthcoffee.example.com",
               "country": "US", "partner_id": "5678901", "message": "We resell in Seattle."}
    client.get("/become-a-partner")
    for _ in range(2):
        sent = client.post("/become-a-partner", request)
        assert sent.status_code == 303 and "was sent" in text_of(client.get(sent.headers["Location"]))
    listed = soup(operator_client.get("/admin/programs/requests"))
    assert len([b for b in listed.find_all("button") if "Dismiss" in b.get_text()]) == 1
    assert db.session.scalar(db.select(db.func.count(PartnerRequest.id))) == 1
    news = [li.select_one(".notification-title").get_text(" ", strip=True)
            for li in soup(operator_client.get("/notifications")).select("li.notification")]
    assert len([title for title in news if "Partner request from Fourth Coffee IT" in title]) == 1
    # Another message is another request.
    client.post("/become-a-partner", {**request, "message": "And in Portland."})
    assert db.session.scalar(db.select(db.func.count(PartnerRequest.id))) == 2


def test_a_become_a_partner_page_left_open_past_its_session_keeps_what_was_written(client, db):
    """The page open while the session cookie ended (the tab kept, the browser closed in between): Send read
    "Security check failed … Go back, reload the page", and the company, the name and the message were gone."""
    written = {"company": "Fourth Coffee IT", "name": "Fiona Barista", "email": "fiona@fourthcoffee.example.com",
               "country": "US", "partner_id": "5678901", "message": "We resell in Seattle, and would like to grow."}
    client.get("/become-a-partner")
    client.http.delete_cookie("session")
    stale = client.post("/become-a-partner", written)
    assert stale.status_code == 400
    page = soup(stale)
    assert " ".join(page.select_one("main [role=alert]").get_text().split()) == (
        "This page had been open for a long time, so it could not be sent safely. Nothing was sent: check what you "
        "wrote below and press Send again.")
    assert page.select_one("input#company")["value"] == "Fourth Coffee IT"
    assert page.select_one("textarea#message").get_text().strip() == "We resell in Seattle, and would like to grow."
    assert db.session.scalar(db.select(db.func.count(PartnerRequest.id))) == 0
    assert client.post("/become-a-partner", written).status_code == 303
    assert db.session.scalar(db.select(db.func.count(PartnerRequest.id))) == 1
