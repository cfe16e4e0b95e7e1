"""admin > Migration: the upload runs as a job with a result page, audited; forms say what is wrong next
to the field; announcing and completing a migration; the webinars; `flask migration import`."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest

from app.accounts.models import Account
from app.audit.models import AuditEvent
from app.auth.models import Invitation
from app.migration.models import ImportRun, MigratedAccount, OnboardingWebinar
from app.time import utcnow
from tests.helpers import asks_first, soup
from tests.support.orders import work


def _upload(client, content: bytes, filename="legacy.json"):
    client.get("/admin/migration")
    return client.post("/admin/migration", {"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def test_an_uploaded_file_is_imported_by_a_job_whose_page_shows_the_report(operator_client, db, redis, as_file,
                                                                         reseller_record):
    reseller_record["users"].append({"legacy_id": "T-USR-9", "email": "nobody", "first_name": "N", "last_name": "O"})
    response = _upload(operator_client, as_file([reseller_record]))
    assert response.status_code == 303
    run_url = response.headers["Location"]
    run = db.session.scalar(db.select(ImportRun).order_by(ImportRun.id.desc()))
    assert run_url == f"/admin/migration/runs/{run.id}" and run.status == "queued"
    waiting = operator_client.get(run_url, headers={"HX-Request": "true"})
    assert waiting.status_code == 200 and soup(waiting).select_one(f"#run-{run.id}")["hx-get"] == run_url

    work(redis)
    done = operator_client.get(run_url, headers={"HX-Request": "true"})
    assert done.status_code == 286  # the finished fragment stops the polling
    page = soup(operator_client.get(run_url))
    assert page.select_one("#run-summary").get_text(" ", strip=True) == \
        "Import finished: 7 created, 0 updated, 0 unchanged, 1 refused."
    refused = [row for row in page.select("#run-report tbody tr.outcome-refused")]
    assert [[td.get_text() for td in row.select("td")] for row in refused] == [
        ["user", "T-USR-9", "nobody", "refused", "\"email\" 'nobody' is not an email address like name@example.com."]]
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "migration_imported"))
    assert event.actor.email == "admin@example.com" and event.details["counts"]["created"] == 7
    assert db.session.scalar(db.select(Account).where(Account.name == "Wingtip Partners")) is not None


def test_a_file_uploaded_twice_at_once_is_imported_once(operator_client, db, redis, as_file, reseller_record):
    """Import pressed twice (a double submit, or Back and Import again while it ran): two runs imported the same
    file, and the page shown, the second one's, read "0 created, … 8 unchanged", as if the file had added
    nothing."""
    content = as_file([reseller_record])
    first = _upload(operator_client, content).headers["Location"]
    again = _upload(operator_client, content)
    assert again.status_code == 303 and again.headers["Location"] == first
    assert db.session.scalar(db.select(db.func.count(ImportRun.id))) == 1
    flash = soup(operator_client.get(first)).select_one("#flash-region").get_text(" ", strip=True)
    assert flash == "This file is being imported already: its report is below."
    work(redis)
    assert soup(operator_client.get(first)).select_one("#run-summary").get_text(" ", strip=True) == \
        "Import finished: 7 created, 0 updated, 0 unchanged, 0 refused."
    # Once that import has ended, importing the file again is a new import (the README: it updates what changed).
    db.session.execute(db.update(ImportRun).values(created_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    later = _upload(operator_client, content).headers["Location"]
    assert later != first and db.session.scalar(db.select(db.func.count(ImportRun.id))) == 2


def test_a_file_that_is_not_the_layout_fails_the_run_with_the_reason(operator_client, db, redis):
    run_url = _upload(operator_client, b'{"hello": "world"}').headers["Location"]
    work(redis)
    error = soup(operator_client.get(run_url)).select_one("#run-error").get_text(" ", strip=True)
    assert error.startswith("Nothing was imported. The file is not a migration file")


@pytest.mark.parametrize("content, filename, message", [
    (None, None, "Choose the migration file to import."),
    (b"{}", "legacy.csv", "Choose a .json file in the migration layout."),
    (b"  ", "legacy.json", "The file is empty."),
])
def test_the_upload_form_says_what_is_wrong_next_to_the_field(operator_client, db, content, filename, message):
    operator_client.get("/admin/migration")
    data = {} if content is None else {"file": (io.BytesIO(content), filename)}
    response = operator_client.post("/admin/migration", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert soup(response).select_one("#file-field .field-error").get_text() == message
    assert db.session.scalar(db.select(ImportRun)) is None


def test_only_operator_admins_import_members_read(operator_member_client, reseller_client, db, as_file,
                                                  reseller_record):
    assert operator_member_client.get("/admin/migration").status_code == 200
    assert soup(operator_member_client.get("/admin/migration")).select_one("#upload-form") is None
    assert _upload(operator_member_client, as_file([reseller_record])).status_code == 403
    assert reseller_client.get("/admin/migration").status_code == 403
    assert db.session.scalar(db.select(ImportRun)) is None


def test_the_upload_needs_its_csrf_token(operator_client, db, as_file, reseller_record):
    response = operator_client.post("/admin/migration", {"file": (io.BytesIO(as_file([reseller_record])), "a.json")},
                                    csrf=False, content_type="multipart/form-data")
    assert response.status_code == 400
    assert db.session.scalar(db.select(ImportRun)) is None


def test_announcing_an_accounts_migration_shows_its_users_the_banner(operator_client, reseller_client, db):
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    assert soup(reseller_client.get("/")).select_one("#migration-banner") is None
    operator_client.get("/admin/migration")
    planned = (utcnow() + timedelta(days=20)).date()  # a date to come, whenever the test runs
    missing = operator_client.post("/admin/migration/schedule", {"account": str(adatum.id), "legacy_id": "",
                                                                 "scheduled_for": planned.isoformat()})
    assert missing.status_code == 422
    form = soup(missing).select_one("#schedule-form")
    assert form.select_one("#legacy_id-field .field-error").get_text() == "Enter the account's id in the previous portal."
    assert form.select_one("#scheduled_for")["value"] == planned.isoformat()
    assert form.select_one("#account option[selected]")["value"] == str(adatum.id)

    response = operator_client.post("/admin/migration/schedule", {"account": str(adatum.id), "legacy_id": "LP-ADATUM",
                                                                  "scheduled_for": planned.isoformat()})
    assert response.status_code == 303
    banner = soup(reseller_client.get("/")).select_one("#migration-banner")
    assert "Your account will be migrated soon." in banner.get_text() and planned.strftime("%d %B %Y") in banner.get_text()
    assert "No action is needed" in banner.get_text()
    # Who reads the banner is signed in already: migrating mails only the previous portal's users not yet invited,
    # so it promised them an email that never came.
    assert "email" not in banner.get_text()
    assert "you keep signing in here as you do now." in " ".join(banner.get_text().split())
    # No history imported yet: nothing under Archive, so no Archive in its navigation.
    assert "Archive" not in [a.get_text() for a in soup(reseller_client.get("/")).select("nav[aria-label=Main] a")]
    links = [a["href"] for a in banner.select("a")]
    assert links[0] == "/getting-started" and "/getting-started#archive" in links
    assert reseller_client.get(links[0]).status_code == 200
    assert db.session.scalar(db.select(AuditEvent.subject).where(AuditEvent.action == "migration_scheduled")) == \
        "Adatum IT Services"
    # Announced without a file: no user of the previous portal imported yet, said in words (it read "None").
    row = soup(operator_client.get("/admin/migration")).select_one("#migrated-accounts tbody tr")
    assert row.select("td")[3].get_text() == "None imported yet"

    taken = operator_client.post("/admin/migration/schedule", {"account": str(adatum.id), "legacy_id": "LP-2"})
    assert taken.status_code == 422
    assert soup(taken).select_one("#account-field .field-error").get_text() == \
        "Adatum IT Services is already in a migration."


def test_a_planned_date_gone_by_or_not_a_date_is_refused_at_its_field(operator_client, reseller_client, db):
    """The banner tells the account's users they "will be migrated ... on" the planned date: one that
    has passed would be untrue, and one that is not a date says so in words, keeping what was typed."""
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    # The box is the browser's date box, which shows a date its own way (mm/dd/yyyy in an en-US Chromium): the
    # hint names no format.
    page = soup(operator_client.get("/admin/migration"))
    assert page.select_one("#scheduled_for")["type"] == "date"
    assert page.select_one("#scheduled_for-hint").get_text() == "Optional; shown in the banner."
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    for typed, message in ((yesterday, "The planned date has passed: enter today or a later date, or leave it empty."),
                           ("2026-13-45", "Enter a date like 2026-12-31.")):
        response = operator_client.post("/admin/migration/schedule", {"account": str(adatum.id),
                                                                      "legacy_id": "LP-ADATUM", "scheduled_for": typed})
        assert response.status_code == 422
        form = soup(response).select_one("#schedule-form")
        assert form.select_one("#scheduled_for-field .field-error").get_text() == message
        assert form.select_one("#scheduled_for")["value"] == typed
        assert form.select_one("#legacy_id")["value"] == "LP-ADATUM"
    assert db.session.scalar(db.select(MigratedAccount).where(MigratedAccount.account_id == adatum.id)) is None
    assert soup(reseller_client.get("/")).select_one("#migration-banner") is None
    today = operator_client.post("/admin/migration/schedule", {"account": str(adatum.id), "legacy_id": "LP-ADATUM",
                                                               "scheduled_for": utcnow().date().isoformat()})
    assert today.status_code == 303


def test_migrate_now_invites_the_legacy_users(operator_client, db, as_file, customer_record):
    from app.migration.importer import import_content

    import_content(as_file([customer_record]))
    db.session.commit()
    migrated = db.session.scalar(db.select(MigratedAccount).where(MigratedAccount.legacy_id == "T-ACC-2"))
    page = soup(operator_client.get("/admin/migration"))
    row = page.select_one(f"#migrated-{migrated.id}")
    assert "margie@margiestravel.example.com (not invited yet)" in row.get_text()
    # Mail cannot be called back: the button's post (without JavaScript; with it, hx-confirm asks and
    # sends confirmed=yes) opens a page that says who is mailed, and only its button migrates.
    assert row.select_one("form")["hx-confirm"] == (
        "Migrate Margie's Travel now? 1 user of the previous portal is mailed that the account moved, with an "
        "invitation to join: margie@margiestravel.example.com. Mail cannot be called back.")
    asked = operator_client.post(f"/admin/migration/accounts/{migrated.id}/migrate", {})
    assert asked.status_code == 200
    page = soup(asked)
    assert page.select_one("h1").get_text() == "Migrate Margie's Travel now?"
    assert "1 user of the previous portal is mailed that the account moved, with an invitation to join: " \
           "margie@margiestravel.example.com." in page.select_one("#migrate-consequences").get_text(" ", strip=True)
    assert db.session.scalar(db.select(Invitation).where(Invitation.email == "margie@margiestravel.example.com")) is None
    db.session.expire_all()
    assert migrated.state == "scheduled"
    form = page.select_one("#confirm-migrate")
    response = operator_client.post(form["action"], {f["name"]: f.get("value", "") for f in form.select("input[name]")})
    assert response.status_code == 303
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.email == "margie@margiestravel.example.com"))
    assert invitation.role == "admin" and invitation.invited_by.email == "admin@example.com"
    row = soup(operator_client.get("/admin/migration")).select_one(f"#migrated-{migrated.id}")
    assert "margie@margiestravel.example.com (invited)" in row.get_text() and row.select_one("form") is None


def test_the_operator_edits_the_webinars(operator_client, operator_member_client, db):
    operator_client.get("/admin/migration/webinars")
    bad = operator_client.post("/admin/migration/webinars", {"title": "Welcome", "starts_at": "2030-01-10T16:00",
                                                            "url": "javascript:alert(1)"})
    assert bad.status_code == 422
    page = soup(bad)
    assert page.select_one("#url-field .field-error").get_text(" ", strip=True) == "Enter a link starting with https://."
    assert page.select_one("#title")["value"] == "Welcome"
    # Only webinars to come are shown to migrated accounts: one that has started is refused at its field.
    gone = operator_client.post("/admin/migration/webinars", {"title": "Welcome", "starts_at": "2026-01-10T16:00",
                                                             "url": "https://events.example.com/welcome"})
    assert gone.status_code == 422
    assert soup(gone).select_one("#starts_at-field .field-error").get_text(" ", strip=True) == \
        "This time has passed: enter when the webinar starts, like 2026-12-03 16:00."
    assert soup(gone).select_one("#starts_at")["value"] == "2026-01-10T16:00"
    assert db.session.scalar(db.select(OnboardingWebinar)) is None
    ok = operator_client.post("/admin/migration/webinars", {"title": "Welcome", "starts_at": "2030-01-10T16:00",
                                                           "url": "https://events.example.com/welcome"})
    assert ok.status_code == 303
    webinar = db.session.scalar(db.select(OnboardingWebinar))
    assert (webinar.title, webinar.starts_at.isoformat(), webinar.url) == \
        ("Welcome", "2030-01-10T16:00:00", "https://events.example.com/welcome")
    assert operator_member_client.post(f"/admin/migration/webinars/{webinar.id}/remove", {}).status_code == 403
    # Removing asks first in both modes: the button's dialog with JavaScript; without, a page that asks.
    asks_first(operator_client, page="/admin/migration/webinars", form="#webinars form[action$='/remove']",
               dialog=("Remove the webinar Welcome (2030-01-10 16:00 UTC)? Migrated accounts' users no longer see it; "
                       "to announce it again, add it again."),
               action=f"/admin/migration/webinars/{webinar.id}/remove", heading="Remove the webinar Welcome?",
               confirm="confirm-remove-webinar", button="Remove webinar", way_back="Keep the webinar")
    assert db.session.scalar(db.select(OnboardingWebinar)) is not None
    assert operator_client.post(f"/admin/migration/webinars/{webinar.id}/remove", {"confirmed": "yes"}).status_code == 303
    assert db.session.scalar(db.select(OnboardingWebinar)) is None
    assert {"onboarding_webinar_added", "onboarding_webinar_removed"} <= set(db.session.scalars(
        db.select(AuditEvent.action)))


def test_the_operator_changes_a_webinars_date_and_link(operator_client, operator_member_client, db):
    """Issue 15: the operator edits the webinars' dates and links (not only adds and removes them)."""
    webinar = OnboardingWebinar(title="Welcome", starts_at=utcnow() + timedelta(days=10),
                                url="https://events.example.com/welcome", created_at=utcnow())
    db.session.add(webinar)
    db.session.commit()
    listing = soup(operator_client.get("/admin/migration/webinars"))
    [edit] = [a for a in listing.select("#webinars a") if a.get_text(" ", strip=True) == "Edit Welcome"]
    edit_url = edit["href"]
    assert edit_url == f"/admin/migration/webinars/{webinar.id}"
    form = soup(operator_client.get(edit_url))
    assert form.select_one("h1").get_text() == "Edit the webinar Welcome"
    assert form.select_one("#title")["value"] == "Welcome"
    assert form.select_one("#url")["value"] == "https://events.example.com/welcome"
    # A bad link is said next to the field, and what was typed stays.
    bad = operator_client.post(edit_url, {"title": "Welcome, part 1", "starts_at": "2031-02-03T17:30", "url": "nope"})
    assert bad.status_code == 422
    page = soup(bad)
    assert page.select_one("#url-field .field-error").get_text(" ", strip=True) == "Enter a link starting with https://."
    assert page.select_one("#title")["value"] == "Welcome, part 1"
    assert page.select_one("#starts_at")["value"] == "2031-02-03T17:30"
    assert operator_member_client.post(edit_url, {"title": "x", "starts_at": "2031-02-03T17:30",
                                                  "url": "https://x.example.com"}).status_code == 403
    saved = operator_client.post(edit_url, {"title": "Welcome, part 1", "starts_at": "2031-02-03T17:30",
                                            "url": "https://events.example.com/part-1"}, follow_redirects=True)
    assert "The webinar Welcome, part 1 is saved." in soup(saved).select_one(".flash, .alert, [role=status]").get_text()
    row = soup(saved).select_one("#webinars tbody tr").get_text(" ", strip=True)
    assert "Welcome, part 1" in row and "2031-02-03 17:30" in row and "https://events.example.com/part-1" in row
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "onboarding_webinar_changed")).details[
        "starts_at"] == {"from": webinar.starts_at.isoformat(), "to": "2031-02-03T17:30:00"}
    assert operator_client.get("/admin/migration/webinars/999999").status_code == 404


def test_the_cli_imports_a_file_and_prints_the_report(app, db, tmp_path, as_file, reseller_record):
    path = tmp_path / "legacy.json"
    reseller_record["licensees"][0]["country"] = "ZZ"
    path.write_bytes(as_file([reseller_record]))
    result = app.test_cli_runner().invoke(args=["migration", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "created   account  T-ACC-1 Wingtip Partners" in result.output
    assert "refused   licensee T-LIC-1 Proseware, Inc.: \"country\" 'ZZ' is not a country" in result.output
    assert "refused   order    T-ORD-1 PO-1: \"licensee\" 'T-LIC-1' is not a licensee of this account" in result.output
    assert result.output.strip().endswith("5 created, 0 updated, 0 unchanged, 2 refused.")
    again = app.test_cli_runner().invoke(args=["migration", "import", str(path)])
    assert again.output.strip().endswith("0 created, 0 updated, 5 unchanged, 2 refused.")

    path.write_bytes(b"[]")
    failed = app.test_cli_runner().invoke(args=["migration", "import", str(path)])
    assert failed.exit_code == 1 and "Nothing was imported: The file is not a migration file" in failed.output


def test_a_run_whose_job_is_gone_says_so_and_stops_polling(operator_client, db, redis, as_file, reseller_record):
    """Redis lost the job (restarted without its data): the page says to upload again, writes nothing."""
    from datetime import timedelta

    run_url = _upload(operator_client, as_file([reseller_record])).headers["Location"]
    run = db.session.scalar(db.select(ImportRun).order_by(ImportRun.id.desc()))
    fresh = operator_client.get(run_url, headers={"HX-Request": "true"})
    assert fresh.status_code == 200 and soup(fresh).select_one("#run-error") is None  # its job waits
    redis.flushdb()
    run.created_at -= timedelta(minutes=5)
    db.session.commit()
    lost = operator_client.get(run_url, headers={"HX-Request": "true"})
    assert lost.status_code == 286
    assert soup(lost).select_one("#run-error").get_text(" ", strip=True).startswith(
        "This import stopped. Its job is no longer on the queue")
    db.session.expire_all()
    assert db.session.get(ImportRun, run.id).status == "queued"
