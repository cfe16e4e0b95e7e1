"""Reading a migration file: the JSON layout (README, "Migration from a legacy partner portal") and the
checks of each record, which say what is wrong in words an operator can act on.

Pure: no database. `read_file` turns bytes into the list of account records or raises LayoutError
(the file as a whole is unusable); each `check_*` returns the cleaned record or raises RowRefused
with the reason, so one bad row is refused and the rest imported."""
from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email

from app.accounts.countries import COUNTRY_NAMES

FORMAT = "legacy-portal-migration"
VERSIONS = (1,)
KINDS = ("reseller", "customer")
STATES = ("scheduled", "migrated")
ROLES = ("admin", "member")
PARTNER_ID = re.compile(r"^\d{1,10}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
# The invoice documents served back (always as a download, never shown in the storefront's pages).
DOCUMENT_TYPES = {"application/pdf": ".pdf", "application/json": ".json", "text/csv": ".csv",
                  "text/plain": ".txt", "image/png": ".png", "image/jpeg": ".jpg"}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


class LayoutError(Exception):
    """The file cannot be read as a migration file at all; nothing of it is imported."""


class RowRefused(Exception):
    """One record is refused, with the reason; the rest of the file is imported."""


def read_file(content: bytes) -> list[dict]:
    """The account records of a migration file."""
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise LayoutError("The file is not UTF-8 text: save it as UTF-8 JSON.") from None
    except json.JSONDecodeError as exc:
        raise LayoutError(f"The file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LayoutError(f'The file is not a migration file: its top level must be an object with "format": '
                          f'"{FORMAT}".')
    if data.get("version") not in VERSIONS:
        raise LayoutError(f'The file\'s "version" is {data.get("version")!r}; this storefront reads version '
                          f'{", ".join(map(str, VERSIONS))}.')
    accounts = data.get("accounts")
    if not isinstance(accounts, list):
        raise LayoutError('The file has no "accounts" list.')
    return accounts


# ------------------------------------------------------------------------------------ helpers

def _text(record: dict, key: str, *, required: bool = True, max_length: int = 200) -> str | None:
    value = record.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RowRefused(f'"{key}" is missing.')
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise RowRefused(f'"{key}" must be text.')
    value = str(value).strip()
    if len(value) > max_length:
        raise RowRefused(f'"{key}" is longer than {max_length} characters.')
    return value


def legacy_id(record) -> str:
    if not isinstance(record, dict):
        raise RowRefused("The record is not an object.")
    return _text(record, "legacy_id", max_length=64)


def _country(record: dict) -> str:
    code = (_text(record, "country", max_length=2) or "").upper()
    if code not in COUNTRY_NAMES:
        raise RowRefused(f'"country" {record.get("country")!r} is not a country the storefront serves '
                         f'({", ".join(sorted(COUNTRY_NAMES))}).')
    return code


def _email(record: dict, key: str = "email", *, required: bool = True) -> str | None:
    value = _text(record, key, required=required, max_length=254)
    if value is None:
        return None
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise RowRefused(f'"{key}" {value!r} is not an email address like name@example.com.') from None
    return value.lower()


def _date(record: dict, key: str, *, required: bool = True) -> date | None:
    value = record.get(key)
    if value in (None, ""):
        if required:
            raise RowRefused(f'"{key}" is missing.')
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise RowRefused(f'"{key}" {value!r} is not a date like 2025-03-31.') from None


def _amount(record: dict, key: str) -> Decimal:
    value = record.get(key)
    if value is None or isinstance(value, bool):
        raise RowRefused(f'"{key}" is missing.')
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RowRefused(f'"{key}" {value!r} is not an amount like 1234.50.') from None
    if not amount.is_finite() or abs(amount) >= Decimal("1e12"):
        raise RowRefused(f'"{key}" {value!r} is not an amount like 1234.50.')
    return amount.quantize(Decimal("0.01"))


def _currency(record: dict) -> str:
    value = (_text(record, "currency", max_length=3) or "").upper()
    if not CURRENCY.match(value):
        raise RowRefused(f'"currency" {record.get("currency")!r} is not a three-letter code like USD.')
    return value


def _address(record: dict) -> dict:
    address = record.get("address") or {}
    if not isinstance(address, dict):
        raise RowRefused('"address" must be an object (line1, line2, city, state, postal_code).')
    return {"address_line1": _text(address, "line1", required=False),
            "address_line2": _text(address, "line2", required=False),
            "city": _text(address, "city", required=False, max_length=100),
            "state": _text(address, "state", required=False, max_length=50),
            "postal_code": _text(address, "postal_code", required=False, max_length=20)}


def items(record: dict, key: str) -> list:
    value = record.get(key) or []
    if not isinstance(value, list):
        raise RowRefused(f'"{key}" must be a list.')
    return value


# ------------------------------------------------------------------------------------ records

def check_account(record) -> dict:
    legacy = legacy_id(record)
    kind = record.get("kind")
    if kind not in KINDS:
        raise RowRefused(f'"kind" must be "reseller" or "customer", not {kind!r}.')
    state = record.get("state") or "migrated"
    if state not in STATES:
        raise RowRefused(f'"state" must be "scheduled" or "migrated", not {state!r}.')
    partner_id = _text(record, "partner_id", required=False, max_length=20)
    if partner_id is not None and kind != "reseller":
        raise RowRefused('"partner_id" is for resellers only; a direct customer has none.')
    if partner_id is not None and not PARTNER_ID.match(partner_id):
        raise RowRefused(f'"partner_id" {partner_id!r} is not a partner ID (a number of up to 10 digits, like 1234567).')
    return {"legacy_id": legacy, "kind": kind, "migration_state": state, "name": _text(record, "name"),
            "country": _country(record), "partner_id": partner_id,
            "scheduled_for": _date(record, "scheduled_for", required=False),
            "email": _email(record, required=False), "phone": _text(record, "phone", required=False, max_length=40),
            **_address(record)}


def check_user(record) -> dict:
    legacy = legacy_id(record)
    role = record.get("role") or "member"
    if role not in ROLES:
        raise RowRefused(f'"role" must be "admin" or "member", not {role!r}.')
    return {"legacy_id": legacy, "email": _email(record), "first_name": _text(record, "first_name", max_length=60),
            "last_name": _text(record, "last_name", max_length=60), "role": role}


def check_licensee(record) -> dict:
    legacy = legacy_id(record)
    return {"legacy_id": legacy, "company_name": _text(record, "company_name"), "country": _country(record),
            "contact_first_name": _text(record, "contact_first_name", max_length=50),
            "contact_last_name": _text(record, "contact_last_name", max_length=50),
            "email": _email(record), "phone": _text(record, "phone", required=False, max_length=40),
            "registration_id": _text(record, "registration_id", required=False, max_length=64), **_address(record)}


def check_order(record) -> dict:
    legacy = legacy_id(record)
    lines = []
    for number, line in enumerate(items(record, "lines"), start=1):
        if not isinstance(line, dict):
            raise RowRefused(f"Line {number} is not an object.")
        quantity = line.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise RowRefused(f'Line {number}: "quantity" must be a whole number of at least 1.')
        try:
            product = _text(line, "product")
        except RowRefused as refused:
            raise RowRefused(f"Line {number}: {refused}") from None
        lines.append({"product": product, "quantity": quantity,
                      "unit_price": str(_amount(line, "unit_price")) if line.get("unit_price") is not None else None,
                      "term": _text(line, "term", required=False, max_length=40)})
    return {"legacy_id": legacy, "number": _text(record, "number", max_length=64), "placed_on": _date(record, "date"),
            "status": _text(record, "status", max_length=64), "currency": _currency(record),
            "total": _amount(record, "total"), "licensee": _text(record, "licensee", required=False, max_length=64),
            "customer_name": _text(record, "customer_name", required=False), "lines": lines}


def check_invoice(record) -> dict:
    legacy = legacy_id(record)
    orders = [str(n) for n in items(record, "orders")]
    checked = {"legacy_id": legacy, "number": _text(record, "number", max_length=64),
               "issued_on": _date(record, "date"), "due_on": _date(record, "due_date", required=False),
               "status": _text(record, "status", required=False, max_length=64) or "issued",
               "currency": _currency(record), "total": _amount(record, "total"), "order_numbers": orders}
    document = record.get("document")
    if document is None:
        # No document of its own: the invoice is its record, kept as the file gave it.
        checked.update(document=json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True).encode(),
                       document_type="application/json", document_name=f"{_safe_name(checked['number'])}.json")
        return checked
    if not isinstance(document, dict):
        raise RowRefused('"document" must be an object (filename, content_type, base64).')
    content_type = document.get("content_type")
    if content_type not in DOCUMENT_TYPES:
        raise RowRefused(f'"document.content_type" {content_type!r} is not accepted; use one of '
                         f'{", ".join(sorted(DOCUMENT_TYPES))}.')
    try:
        data = base64.b64decode(str(document.get("base64") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise RowRefused('"document.base64" is not valid base64.') from None
    if not data:
        raise RowRefused('"document.base64" is empty.')
    if len(data) > MAX_DOCUMENT_BYTES:
        raise RowRefused(f'"document" is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.')
    name = _safe_name(str(document.get("filename") or checked["number"]))
    if not name.lower().endswith(DOCUMENT_TYPES[content_type]):
        name += DOCUMENT_TYPES[content_type]
    checked.update(document=data, document_type=content_type, document_name=name)
    return checked


def _safe_name(name: str) -> str:
    """A file name for Content-Disposition: letters, digits, dots, dashes and underscores."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip("._")
    return (cleaned or "invoice")[:150]
