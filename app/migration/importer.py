"""Importing a migration file: accounts, users, licensees, orders and invoices, matched by their legacy
ids, so importing the same file again updates what changed and creates nothing twice.

    report = import_content(content, actor=admin, origin=origin)

Every record is reported: created, updated, unchanged, or refused with the reason (a refused account
refuses what it holds). Writes flush; the caller commits (the CLI, the job)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from app.accounts.models import Account, Licensee, User
from app.auth.invitations import revoke
from app.auth.models import Invitation
from app.audit.services import SYSTEM, Origin
from app.extensions import db
from app.migration import layout
from app.migration.layout import RowRefused
from app.migration.models import (MIGRATED, SCHEDULED, ArchivedInvoice, ArchivedOrder, MigratedAccount,
                                  MigratedLicensee, MigratedUser)
from app.migration.services import complete_migration
from app.time import utcnow

EXAMPLE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "example.json")
CREATED, UPDATED, UNCHANGED, REFUSED = "created", "updated", "unchanged", "refused"
KIND_LABELS = {"account": "Account", "user": "User", "licensee": "Licensee", "order": "Order", "invoice": "Invoice"}
# What names a record in the report.
LABEL_KEYS = {"account": "name", "user": "email", "licensee": "company_name", "order": "number", "invoice": "number"}


@dataclass
class Report:
    entries: list[dict] = field(default_factory=list)

    def add(self, kind: str, legacy_id, name, outcome: str, reason: str = "") -> None:
        self.entries.append({"kind": kind, "legacy_id": None if legacy_id is None else str(legacy_id),
                             "name": name or "", "outcome": outcome, "reason": reason})

    @property
    def counts(self) -> dict:
        counts = {outcome: 0 for outcome in (CREATED, UPDATED, UNCHANGED, REFUSED)}
        for entry in self.entries:
            counts[entry["outcome"]] += 1
        return counts

    def as_dict(self) -> dict:
        return {"entries": self.entries, "counts": self.counts}


def import_content(content: bytes, *, actor: User | None = None, origin: Origin = SYSTEM,
                   invite: bool = True) -> Report:
    """Import a migration file's bytes; raises layout.LayoutError when the file is not the layout.

    `invite=False` (the demo data only) marks accounts migrated without inviting or mailing anyone and
    without audit events: the demo creates those users itself, as if they had joined."""
    report = Report()
    for index, record in enumerate(layout.read_file(content), start=1):
        _import_account(record, index, report, actor, origin, invite)
    return report


def _changed(row, values: dict) -> bool:
    """Set `values` on `row`; whether anything differed."""
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def _name_of(record, key: str) -> str:
    return str(record.get(key) or "") if isinstance(record, dict) else ""


# ------------------------------------------------------------------------------------ accounts

def _import_account(record, index: int, report: Report, actor, origin, invite: bool) -> None:
    name = _name_of(record, "name")
    try:
        checked = layout.check_account(record)
        with db.session.begin_nested():
            migrated, outcome, note = _upsert_account(checked)
    except RowRefused as refused:
        legacy = record.get("legacy_id") if isinstance(record, dict) else None
        report.add("account", legacy, name or f"account {index} of the file", REFUSED, str(refused))
        _refuse_contents(record, report, "Its account was refused.")
        return
    account = migrated.account
    first_entry = len(report.entries)
    report.add("account", checked["legacy_id"], account.name, outcome, note)
    for kind, check, upsert in (("user", layout.check_user, _upsert_user),
                                ("licensee", layout.check_licensee, _upsert_licensee),
                                ("order", layout.check_order, _upsert_order),
                                ("invoice", layout.check_invoice, _upsert_invoice)):
        try:
            rows = layout.items(record, f"{kind}s")
        except RowRefused as refused:
            report.add(kind, None, f"{KIND_LABELS[kind]}s of {account.name}", REFUSED, str(refused))
            continue
        for row in rows:
            _import_row(kind, row, check, upsert, migrated, report)
    if checked["migration_state"] == MIGRATED or migrated.state == MIGRATED:
        # Migrating now invites every legacy user; users added to an account already migrated are
        # invited as they arrive.
        newly = migrated.state != MIGRATED
        problems = complete_migration(migrated, actor=actor, origin=origin, invite=invite)
        for entry in report.entries[first_entry:]:
            if entry["kind"] == "user" and entry["legacy_id"] in problems:
                entry["outcome"], entry["reason"] = REFUSED, problems[entry["legacy_id"]]
        if newly and outcome == UNCHANGED:
            report.entries[first_entry].update(outcome=UPDATED, reason="Migrated: its users were invited.")
    db.session.flush()


def _refuse_contents(record, report: Report, reason: str) -> None:
    if not isinstance(record, dict):
        return
    for kind in ("user", "licensee", "order", "invoice"):
        rows = record.get(f"{kind}s")
        for row in rows if isinstance(rows, list) else []:
            legacy = row.get("legacy_id") if isinstance(row, dict) else None
            report.add(kind, legacy, _name_of(row, LABEL_KEYS[kind]), REFUSED, reason)


def _upsert_account(checked: dict) -> tuple[MigratedAccount, str, str]:
    migrated = db.session.scalar(db.select(MigratedAccount).where(MigratedAccount.legacy_id == checked["legacy_id"]))
    holder = None
    if checked["partner_id"]:
        holder = db.session.scalar(db.select(Account).where(Account.partner_id == checked["partner_id"]))
    values = {key: checked[key] for key in ("name", "country", "email", "phone", "address_line1", "address_line2",
                                             "city", "state", "postal_code")}
    if checked["partner_id"]:
        values["partner_id"] = checked["partner_id"]
    note = ""
    if migrated is None:
        if holder is not None:
            if db.session.scalar(db.select(MigratedAccount.id).where(MigratedAccount.account_id == holder.id)):
                raise RowRefused(f"Partner ID {checked['partner_id']} belongs to {holder.name}, which was migrated "
                                 "under another legacy id.")
            if holder.kind != checked["kind"]:
                raise RowRefused(f"Partner ID {checked['partner_id']} belongs to {holder.name}, which is not a reseller.")
            account, outcome = holder, UPDATED
            note = f"Linked to the storefront's account with partner ID {checked['partner_id']}."
            _changed(account, values)
        else:
            account = Account(kind=checked["kind"], **values)
            db.session.add(account)
            outcome = CREATED
        migrated = MigratedAccount(legacy_id=checked["legacy_id"], account=account, state=SCHEDULED,
                                   scheduled_for=checked["scheduled_for"])
        db.session.add(migrated)
        db.session.flush()
        return migrated, outcome, note
    account = migrated.account
    if account.kind != checked["kind"]:
        raise RowRefused(f"{account.name} is a {account.kind_label.lower()} on the storefront; an account's kind "
                         "cannot change.")
    if holder is not None and holder.id != account.id:
        raise RowRefused(f"Partner ID {checked['partner_id']} belongs to another account, {holder.name}.")
    changed = _changed(account, values)
    if migrated.state == SCHEDULED:
        changed = _changed(migrated, {"scheduled_for": checked["scheduled_for"]}) or changed
    elif checked["migration_state"] == SCHEDULED:
        note = "Already migrated: it stays migrated."
    if changed:
        migrated.updated_at = utcnow()
    db.session.flush()
    return migrated, UPDATED if changed else UNCHANGED, note


# ------------------------------------------------------------------------------- held records

def _import_row(kind: str, row, check, upsert, migrated: MigratedAccount, report: Report) -> None:
    label = _name_of(row, LABEL_KEYS[kind])
    legacy = row.get("legacy_id") if isinstance(row, dict) else None
    try:
        checked = check(row)
        with db.session.begin_nested():
            outcome, note, label = upsert(checked, migrated)
    except RowRefused as refused:
        report.add(kind, legacy, label, REFUSED, str(refused))
        return
    report.add(kind, checked["legacy_id"], label, outcome, note)


def _owned_elsewhere(row, migrated: MigratedAccount, what: str) -> None:
    if row.migrated_account_id != migrated.id:
        raise RowRefused(f"This legacy {what} id belongs to another account of an earlier import.")


def _upsert_user(checked: dict, migrated: MigratedAccount):
    account = migrated.account
    existing = db.session.scalar(db.select(User).where(User.email == checked["email"]))
    if existing is not None and existing.account_id != account.id:
        raise RowRefused(f"{checked['email']} is already a user of another account ({existing.account.name}).")
    row = db.session.scalar(db.select(MigratedUser).where(MigratedUser.legacy_id == checked["legacy_id"]))
    values = {key: checked[key] for key in ("email", "first_name", "last_name", "role")}
    label = checked["email"]
    if row is None:
        row = MigratedUser(legacy_id=checked["legacy_id"], migrated_account=migrated, user=existing, **values)
        db.session.add(row)
        db.session.flush()
        note = f"Already a user of {account.name}: nothing to invite." if existing is not None else ""
        return CREATED, note, label
    _owned_elsewhere(row, migrated, "user")
    old_email = row.email
    changed = _changed(row, values)
    if old_email != row.email and row.invitation_id is not None:
        invitation = db.session.get(Invitation, row.invitation_id)
        if invitation is not None and invitation.accepted_at is not None:
            row.email = old_email
            raise RowRefused(f"{old_email} already joined {account.name}; they change their address in My profile.")
        if invitation is not None:
            revoke(invitation, by=None, origin=SYSTEM)  # its link stops working; the new address is invited
        row.invitation_id = None
    if existing is not None and row.user_id is None:
        row.user = existing
        changed = True
    db.session.flush()
    return (UPDATED if changed else UNCHANGED), "", label


def _upsert_licensee(checked: dict, migrated: MigratedAccount):
    account = migrated.account
    if account.kind != "reseller":
        raise RowRefused("Direct customers have no licensees; only a reseller's are imported.")
    values = {key: value for key, value in checked.items() if key != "legacy_id"}
    label = checked["company_name"]
    link = db.session.scalar(db.select(MigratedLicensee).where(MigratedLicensee.legacy_id == checked["legacy_id"]))
    same_name = db.session.scalar(db.select(Licensee).where(Licensee.reseller_id == account.id,
                                                            Licensee.company_name == checked["company_name"]))
    if link is None:
        if same_name is not None and db.session.scalar(
                db.select(MigratedLicensee.id).where(MigratedLicensee.licensee_id == same_name.id)):
            raise RowRefused(f"{account.name} already has a licensee named {label} from another legacy id.")
        licensee = same_name or Licensee(reseller=account, **values)
        if same_name is None:
            db.session.add(licensee)
        else:
            _changed(licensee, values)
        db.session.flush()
        db.session.add(MigratedLicensee(legacy_id=checked["legacy_id"], migrated_account_id=migrated.id,
                                        licensee_id=licensee.id))
        db.session.flush()
        if same_name is None:
            return CREATED, "", label
        return UPDATED, "Linked to the licensee of the same name.", label
    _owned_elsewhere(link, migrated, "licensee")
    if same_name is not None and same_name.id != link.licensee_id:
        raise RowRefused(f"{account.name} already has another licensee named {label}.")
    changed = _changed(link.licensee, values)
    db.session.flush()
    return (UPDATED if changed else UNCHANGED), "", label


def _upsert_order(checked: dict, migrated: MigratedAccount):
    customer_name = checked.pop("customer_name")
    licensee_legacy = checked.pop("licensee")
    if licensee_legacy is not None:
        link = db.session.scalar(db.select(MigratedLicensee).where(MigratedLicensee.legacy_id == licensee_legacy,
                                                                   MigratedLicensee.migrated_account_id == migrated.id))
        if link is None:
            raise RowRefused(f'"licensee" {licensee_legacy!r} is not a licensee of this account in the file.')
        customer_name = link.licensee.company_name
    values = {**{k: v for k, v in checked.items() if k != "legacy_id"}, "customer_name": customer_name}
    return _upsert_archived(ArchivedOrder, checked["legacy_id"], values, migrated, "order")


def _upsert_invoice(checked: dict, migrated: MigratedAccount):
    values = {k: v for k, v in checked.items() if k != "legacy_id"}
    return _upsert_archived(ArchivedInvoice, checked["legacy_id"], values, migrated, "invoice")


def _upsert_archived(model, legacy: str, values: dict, migrated: MigratedAccount, what: str):
    row = db.session.scalar(db.select(model).where(model.legacy_id == legacy))
    label = values["number"]
    if row is None:
        db.session.add(model(legacy_id=legacy, account_id=migrated.account_id, **values))
        db.session.flush()
        return CREATED, "", label
    if row.account_id != migrated.account_id:
        raise RowRefused(f"This legacy {what} id belongs to another account of an earlier import.")
    changed = _changed(row, values)
    if changed:
        row.imported_at = utcnow()
    db.session.flush()
    return (UPDATED if changed else UNCHANGED), "", label
