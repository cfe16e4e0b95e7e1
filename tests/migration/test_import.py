"""The importer: created, updated, unchanged, refused with the reason; importing again never duplicates."""
from __future__ import annotations

import base64
import json

import pytest

from app.accounts.models import Account, Licensee, User
from app.auth.models import Invitation
from app.mail import MailMessage
from app.migration.importer import EXAMPLE_FILE, import_content
from app.migration.layout import LayoutError
from app.migration.models import ArchivedInvoice, ArchivedOrder, MigratedAccount, MigratedUser


def _count(db, model) -> int:
    return db.session.scalar(db.select(db.func.count(model.id)))


def _outcomes(report) -> dict:
    return {(e["kind"], e["legacy_id"]): (e["outcome"], e["reason"]) for e in report.entries}


def _counts(db):
    return {m.__name__: _count(db, m) for m in (Account, Licensee, User, Invitation, MailMessage, ArchivedOrder,
                                                ArchivedInvoice, MigratedAccount, MigratedUser)}


def test_a_file_creates_the_accounts_their_licensees_history_and_invites_the_users(demo, db, as_file, reseller_record,
                                                                                   customer_record, pdf_bytes):
    report = import_content(as_file([reseller_record, customer_record]))
    db.session.commit()
    assert report.counts == {"created": 9, "updated": 0, "unchanged": 0, "refused": 0}, report.entries

    wingtip = db.session.scalar(db.select(Account).where(Account.name == "Wingtip Partners"))
    assert (wingtip.kind, wingtip.country, wingtip.city, wingtip.state) == ("reseller", "US", "Boise", "ID")
    assert [lic.company_name for lic in wingtip.licensees] == ["Proseware, Inc."]
    [order] = db.session.scalars(db.select(ArchivedOrder).where(ArchivedOrder.account_id == wingtip.id)).all()
    assert (order.number, order.customer_name, str(order.total), order.lines[0]["quantity"]) == \
        ("PO-1", "Proseware, Inc.", "120.00", 20)
    invoices = {i.number: i for i in db.session.scalars(db.select(ArchivedInvoice).where(
        ArchivedInvoice.account_id == wingtip.id))}
    assert invoices["INV-1"].document == pdf_bytes and invoices["INV-1"].document_type == "application/pdf"
    # Without a document of its own an invoice is kept as its record, as the file gave it.
    assert json.loads(invoices["INV-2"].document)["total"] == "0.50"

    # Migrated: each legacy user has an invitation to the account and a message that it moved.
    invitations = {i.email: i for i in db.session.scalars(db.select(Invitation).where(
        Invitation.account_id == wingtip.id))}
    assert {e: i.role for e, i in invitations.items()} == {"wanda@wingtip-partners.example.com": "admin",
                                                           "walt@wingtip-partners.example.com": "member"}
    templates = sorted(m.template for m in db.session.scalars(db.select(MailMessage).where(
        MailMessage.to_email == "wanda@wingtip-partners.example.com")))
    assert templates == ["account_migrated", "invitation"]

    # Scheduled: the account is there, its users wait for the migration.
    margie = db.session.scalar(db.select(Account).where(Account.name == "Margie's Travel"))
    state = db.session.scalar(db.select(MigratedAccount).where(MigratedAccount.account_id == margie.id))
    assert (state.state, state.scheduled_for.isoformat()) == ("scheduled", "2026-12-15")
    assert db.session.scalar(db.select(Invitation).where(Invitation.account_id == margie.id)) is None


def test_importing_the_same_file_again_duplicates_nothing_and_mails_nobody(demo, db, as_file, reseller_record):
    content = as_file([reseller_record])
    import_content(content)
    db.session.commit()
    before = _counts(db)
    report = import_content(content)
    db.session.commit()
    assert _counts(db) == before
    assert {e["outcome"] for e in report.entries} == {"unchanged"}, report.entries


def test_a_changed_file_updates_what_changed(demo, db, as_file, reseller_record):
    import_content(as_file([reseller_record]))
    db.session.commit()
    reseller_record["name"] = "Wingtip Partners LLC"
    reseller_record["orders"][0]["total"] = "130.00"
    reseller_record["licensees"][0]["email"] = "helpdesk@proseware.example.com"
    report = _outcomes(import_content(as_file([reseller_record])))
    db.session.commit()
    assert report[("account", "T-ACC-1")][0] == "updated"
    assert report[("order", "T-ORD-1")][0] == "updated"
    assert report[("licensee", "T-LIC-1")][0] == "updated"
    assert report[("invoice", "T-INV-1")][0] == "unchanged"
    assert db.session.scalars(db.select(ArchivedOrder.legacy_id).where(ArchivedOrder.account_id == db.session.scalar(
        db.select(Account.id).where(Account.name == "Wingtip Partners LLC")))).all() == ["T-ORD-1"]
    assert str(db.session.scalar(db.select(ArchivedOrder.total).where(ArchivedOrder.legacy_id == "T-ORD-1"))) == "130.00"
    assert db.session.scalar(db.select(Licensee.email).where(Licensee.company_name == "Proseware, Inc.")) == \
        "helpdesk@proseware.example.com"
    assert db.session.scalar(db.select(db.func.count(Account.id)).where(Account.name.like("Wingtip%"))) == 1


def test_bad_rows_are_refused_with_the_reason_and_the_rest_imported(demo, db, as_file, reseller_record,
                                                                    customer_record):
    reseller_record["users"].append({"legacy_id": "T-USR-9", "email": "not-an-address", "first_name": "No",
                                     "last_name": "Mail"})
    reseller_record["users"].append({"legacy_id": "T-USR-8", "email": "reseller2@example.com", "first_name": "Lidia",
                                     "last_name": "Elsewhere"})
    reseller_record["orders"].append({"legacy_id": "T-ORD-2", "number": "PO-2", "date": "2025-13-01",
                                      "status": "Completed", "currency": "USD", "total": "1"})
    reseller_record["orders"].append({"legacy_id": "T-ORD-3", "number": "PO-3", "date": "2025-07-01",
                                      "status": "Completed", "currency": "USD", "total": "1", "licensee": "NOPE"})
    reseller_record["invoices"][1]["document"] = {"content_type": "application/pdf", "base64": "***"}
    customer_record["country"] = "XX"
    report = _outcomes(import_content(as_file([reseller_record, customer_record, "not an object"])))
    db.session.commit()

    assert report[("user", "T-USR-9")] == ("refused", "\"email\" 'not-an-address' is not an email address like "
                                                      "name@example.com.")
    assert report[("user", "T-USR-8")] == ("refused", "reseller2@example.com is already a user of another account "
                                                      "(Litware Systems Sp. z o.o.).")
    assert report[("order", "T-ORD-2")] == ("refused", "\"date\" '2025-13-01' is not a date like 2025-03-31.")
    assert report[("order", "T-ORD-3")] == ("refused", "\"licensee\" 'NOPE' is not a licensee of this account in "
                                                       "the file.")
    assert report[("invoice", "T-INV-2")] == ("refused", '"document.base64" is not valid base64.')
    assert report[("account", "T-ACC-2")][0] == "refused" and "\"country\" 'XX'" in report[("account", "T-ACC-2")][1]
    assert report[("user", "T-USR-3")] == ("refused", "Its account was refused.")
    assert report[("account", None)] == ("refused", "The record is not an object.")
    # The rest is in.
    for key in (("account", "T-ACC-1"), ("user", "T-USR-1"), ("order", "T-ORD-1"), ("invoice", "T-INV-1")):
        assert report[key][0] == "created", key
    assert db.session.scalar(db.select(Account).where(Account.name == "Margie's Travel")) is None
    assert db.session.scalar(db.select(ArchivedOrder).where(ArchivedOrder.legacy_id == "T-ORD-3")) is None
    assert db.session.scalar(db.select(Invitation).where(Invitation.email == "reseller2@example.com")) is None


def test_a_legacy_id_of_another_accounts_history_is_refused(demo, db, as_file, reseller_record, customer_record):
    import_content(as_file([reseller_record]))
    customer_record["orders"] = [dict(reseller_record["orders"][0], licensee=None, customer_name="Margie")]
    report = _outcomes(import_content(as_file([customer_record])))
    assert report[("order", "T-ORD-1")] == ("refused", "This legacy order id belongs to another account of an "
                                                       "earlier import.")
    assert db.session.scalar(db.select(ArchivedOrder.customer_name).where(ArchivedOrder.legacy_id == "T-ORD-1")) == \
        "Proseware, Inc."


def test_a_reseller_with_a_storefront_partner_id_is_linked_not_duplicated(demo, db, as_file, reseller_record):
    reseller_record.update(partner_id="1234567", name="Adatum IT Services", users=[], licensees=[], orders=[],
                           invoices=[], state="scheduled")
    report = _outcomes(import_content(as_file([reseller_record])))
    assert report[("account", "T-ACC-1")] == ("updated", "Linked to the storefront's account with partner ID 1234567.")
    assert db.session.scalar(db.select(db.func.count(Account.id)).where(Account.partner_id == "1234567")) == 1
    adatum = db.session.scalar(db.select(Account).where(Account.partner_id == "1234567"))
    assert db.session.scalar(db.select(MigratedAccount.legacy_id).where(MigratedAccount.account_id == adatum.id)) == \
        "T-ACC-1"


def test_a_scheduled_account_is_migrated_by_a_later_import(demo, db, as_file, customer_record):
    import_content(as_file([customer_record]))
    assert db.session.scalar(db.select(db.func.count(Invitation.id)).where(
        Invitation.email == "margie@margiestravel.example.com")) == 0
    customer_record["state"] = "migrated"
    report = _outcomes(import_content(as_file([customer_record])))
    assert report[("account", "T-ACC-2")] == ("updated", "Migrated: its users were invited.")
    assert db.session.scalar(db.select(db.func.count(Invitation.id)).where(
        Invitation.email == "margie@margiestravel.example.com")) == 1
    # A migrated account stays migrated whatever a later file says.
    customer_record["state"] = "scheduled"
    report = _outcomes(import_content(as_file([customer_record])))
    assert report[("account", "T-ACC-2")] == ("unchanged", "Already migrated: it stays migrated.")


@pytest.mark.parametrize("content, message", [
    (b"{not json", "The file is not valid JSON (line 1, column 2"),
    (b'{"accounts": []}', 'The file is not a migration file: its top level must be an object with "format": '
                          '"legacy-portal-migration".'),
    (b'{"format": "legacy-portal-migration", "version": 7, "accounts": []}', "The file's \"version\" is 7"),
    (b"\xff\xfe", "The file is not UTF-8 text"),
])
def test_a_file_that_is_not_the_layout_imports_nothing(db, content, message):
    with pytest.raises(LayoutError) as refused:
        import_content(content)
    assert str(refused.value).startswith(message)


def test_the_example_file_is_the_demos_fourth_coffee_reseller(demo, db):
    """The demo imported app/migration/example.json; its records are all there, once."""
    with open(EXAMPLE_FILE, "rb") as fh:
        example = json.loads(fh.read())
    [record] = example["accounts"]
    account = db.session.scalar(db.select(Account).where(Account.name == "Fourth Coffee Reseller"))
    assert account is not None and account.kind == "reseller"
    migrated = db.session.scalar(db.select(MigratedAccount).where(MigratedAccount.account_id == account.id))
    assert (migrated.legacy_id, migrated.state) == (record["legacy_id"], "migrated")
    numbers = sorted(db.session.scalars(db.select(ArchivedOrder.number).where(ArchivedOrder.account_id == account.id)))
    assert numbers == sorted(o["number"] for o in record["orders"])
    pdf = db.session.scalar(db.select(ArchivedInvoice).where(ArchivedInvoice.legacy_id == "LP-INV-4401"))
    assert pdf.document == base64.b64decode(record["invoices"][0]["document"]["base64"])
    assert {u.email for u in account.users} == {u["email"] for u in record["users"]}
    with open(EXAMPLE_FILE, "rb") as fh:
        assert {e["outcome"] for e in import_content(fh.read()).entries} == {"unchanged"}
