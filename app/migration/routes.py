"""What the users of a migrated account see: the read-only Archive of the history imported from the
previous portal (orders, invoices and their documents as imported), the getting-started page, the
banner before migration and the notices after it (every page's layout includes them)."""
from __future__ import annotations

from flask import abort, current_app, request, url_for
from flask_login import current_user

from app.extensions import db
from app.migration import bp
from app.migration import services as svc
from app.migration.forms import HideNoticeForm
from app.migration.models import NOTICE_ENROL, NOTICE_WEBINARS, MigratedAccount
from app.web.access import Permission, allow
from app.web.form_pages import form_on
from app.web.layout import ACCOUNT_ID, LAYOUT_FACTS, NAV_CONDITIONS, layout_fact, register_layout_fact
from app.web.lookup import found_or_404
from app.web.rendering import redirect_to, render

PROGRAMS_ENDPOINT = "programs.index"  # the reseller's programs page (app/programs), when it exists
USABLE_CERTIFICATE_FACT = "has_usable_certificate"  # app/programs' layout fact: the account may order CSP products


# What every page's layout asks of the signed-in account, read with the layout's other facts: whether it
# has migrated history (the navigation's Archive entry) and its migration (the banner and the notices).
register_layout_fact("has_archive", lambda kind: svc.has_archive_expression(ACCOUNT_ID, operator=kind == "operator"),
                     False)
register_layout_fact("migration_id", lambda kind: None if kind == "operator"
                     else svc.migration_id_expression(ACCOUNT_ID), None)


def history() -> svc.History:
    """The signed-in user's account's archive and migration (the operator has no migration of its own)."""
    migration_id = layout_fact("migration_id")
    return svc.History(bool(layout_fact("has_archive")),
                       db.session.get(MigratedAccount, migration_id) if migration_id else None)


# Archive is in the navigation of accounts that have migrated history (the operator: when any has).
NAV_CONDITIONS["migration.archive"] = lambda _user: bool(layout_fact("has_archive"))  # as history() reads it


def enrol_url() -> str:
    """Where a migrated reseller enrols in the CSP Partner Program: the programs page when the
    storefront has it, else the getting-started page's section about it."""
    if PROGRAMS_ENDPOINT in current_app.view_functions:
        return url_for(PROGRAMS_ENDPOINT)
    return url_for("migration.getting_started", _anchor="partner-program")


@bp.app_template_global()
def migration_notices():
    """The banner and notices of every page (templates/migration/_notices.html reads them lazily)."""
    user = current_user._get_current_object()
    if not user.is_authenticated or user.account.kind == "operator":
        return {}  # the operator has no migration of its own
    if not layout_fact("migration_id"):
        return {}  # no migration: neither a banner nor notices (every page asks, most accounts have none)
    migrated = history().migration
    banner = svc.banner_for(user, migrated)
    if banner is not None:
        return {"banner": banner}
    # A reseller with a usable certificate has enrolled (the programs area's layout fact, when it exists).
    enrolled = USABLE_CERTIFICATE_FACT in LAYOUT_FACTS and bool(layout_fact(USABLE_CERTIFICATE_FACT))
    return svc.notices_for(user, migrated, enrolled=enrolled)


bp.add_app_template_global(enrol_url, "migration_enrol_url")


@bp.route(svc.GETTING_STARTED_PATH)
@allow(Permission.HOME)
def getting_started():
    migrated = svc.migration_of(current_user.account)
    return render("migration/getting_started.html", migrated=migrated, enrol=enrol_url(),
                  webinars=svc.upcoming_webinars())


@bp.route("/notices/hide", methods=["POST"])
@allow(Permission.NOTIFICATIONS)
@form_on("home.index")
def hide_notice():
    """Hide a migrated account's notice for oneself (the enrolment prompt, the webinars)."""
    form = HideNoticeForm()
    if not form.validate_on_submit() or form.notice.data not in (NOTICE_ENROL, NOTICE_WEBINARS):
        abort(400)
    svc.hide_notice(current_user, form.notice.data)
    db.session.commit()
    back = request.referrer or url_for("home.index")
    if not back.startswith(request.host_url):
        back = url_for("home.index")
    return redirect_to(back)


@bp.route(svc.ARCHIVE_PATH)
@allow(Permission.ARCHIVE_VIEW)
def archive():
    """The orders and invoices imported from the previous portal, read-only."""
    account = current_user.account
    return _archive_page("migration/archive.html", orders=svc.archived_orders(account),
                         invoices=svc.archived_invoices(account), migrated=svc.migration_of(account))


def _archive_page(template: str, **context):
    """An Archive page; the operator's (who sees every migrated account's history) says whose it is."""
    return render(template, operator=current_user.account.kind == "operator", **context)


@bp.route(f"{svc.ARCHIVE_PATH}/orders/<int:order_id>")
@allow(Permission.ARCHIVE_VIEW)
def archived_order(order_id: int):
    order = found_or_404(svc.archived_order_of(current_user.account, order_id))
    return _archive_page("migration/archived_order.html", order=order, invoices=svc.invoices_of_order(order))


@bp.route(f"{svc.ARCHIVE_PATH}/invoices/<int:invoice_id>")
@allow(Permission.ARCHIVE_VIEW)
def archived_invoice(invoice_id: int):
    invoice = found_or_404(svc.archived_invoice_of(current_user.account, invoice_id))
    orders = {o.number: o for o in svc.archived_orders(invoice.account) if o.number in (invoice.order_numbers or [])}
    return _archive_page("migration/archived_invoice.html", invoice=invoice, orders=orders)


@bp.route(f"{svc.ARCHIVE_PATH}/invoices/<int:invoice_id>/document")
@allow(Permission.ARCHIVE_VIEW)
def invoice_document(invoice_id: int):
    """The invoice's document, byte for byte as imported, always as a download (never rendered here)."""
    invoice = found_or_404(svc.archived_invoice_of(current_user.account, invoice_id))
    response = current_app.response_class(invoice.document, mimetype=invoice.document_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{invoice.document_name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
