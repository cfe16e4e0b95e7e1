"""The subscriptions grid, a subscription's details, and the changes asked for on it.

Pages read the stored state only (never Partner Center); each change becomes an order
(app.orders) whose job talks to Partner Center, and the person is taken to that order's page to
follow it live.
"""
from __future__ import annotations

from dataclasses import replace

from flask import Response, abort, flash, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.accounts.services import accounts_to_filter_by
from app.catalog.terms import billing_label, money, seats, term_label
from app.connections.services import partner_center_now
from app.orders import gdap
from app.orders.placing import order_for_key
from app.subscriptions import bp, commands, grid, instances
from app.subscriptions.agreements import agreement_subscriptions, etags_token, find_agreement
from app.subscriptions.commands import Refused
from app.subscriptions.models import ENDED_STATUSES, SubscriptionStatus, status_label
from app.subscriptions.window import cancel_closed_at, can_cancel, termination_refusal, when, window
from app.subscriptions.forms import (AddLicencesForm, AutoRenewForm, CancelForm, GridForm, QuantityForm, RenameForm,
                                     ScheduleForm, TerminateForm, new_request_key)
from app.web.access import Permission, allow
from app.web.confirm import confirmed
from app.web.csv_export import csv_stream
from app.web.form_pages import form_on
from app.web.lookup import found_or_404
from app.web.origin import request_origin
from app.web.query import (account_filter, applied, applied_account, applied_account_name, offered_account,
                           pushed_address, requested_page, say_not_of_account, unapplied)
from app.web.rendering import is_htmx, redirect_to, render

# What every page of the area reads: a status's label, and the status names, so that templates compare
# with them instead of spelling them again.
bp.add_app_template_global(status_label, "subscription_status")
bp.add_app_template_global(SubscriptionStatus, "SubscriptionStatus")
bp.add_app_template_global(ENDED_STATUSES, "ended_statuses")


# ----------------------------------------------------------------------------------- the grid

def _grid_filters(form: GridForm) -> grid.GridFilters:
    """The filters asked for, without those refused (each said at its field, and above the rows)."""
    args = request.args
    sort = args.get("sort", grid.DEFAULT_SORT)
    return grid.GridFilters(
        q=(form.q.data or "").strip(), account=applied_account(form), status=applied(form.status) or "", customer=applied(form.customer) or "",
        product=applied(form.product) or "",
        renewal_from=applied(form.renewal_from), renewal_to=applied(form.renewal_to),
        sort=sort if sort in grid.SORTS else grid.DEFAULT_SORT,
        direction="desc" if args.get("direction") == "desc" else "asc",
        page=requested_page(args))


def _grid_state() -> tuple[GridForm, bool, grid.GridFilters]:
    """The grid's filter form (its choices the account's customers and products), whether all it was given
    is valid, and the filters to apply."""
    form = GridForm(request.args)
    account_filter(form, accounts_to_filter_by(current_user))
    account = offered_account(form)  # the Customer and Product choices follow it: read before validating them
    choices = grid.filter_choices(current_user, account=account)
    form.customer.choices = [SelectChoice("", "All customers")] + [SelectChoice(c, c) for c in choices["customers"]]
    form.product.choices = [SelectChoice("", "All products")] + [SelectChoice(p, p) for p in choices["products"]]
    valid = not request.args or form.validate()
    say_not_of_account(form, form.customer, form.product)
    return form, valid, _grid_filters(form)


@bp.route("/subscriptions")
@allow(Permission.SUBSCRIPTIONS_VIEW)
def index():
    form, valid, filters = _grid_state()
    result = grid.search(current_user, filters)
    soon_from, soon_to = grid.renewals_range()
    renewals_url = url_for("subscriptions.index", renewal_from=soon_from.isoformat(), renewal_to=soon_to.isoformat())
    clean = url_for("subscriptions.index", **filters.args(page=result.page))
    return render("subscriptions/index.html", "subscriptions/_grid.html", status=200 if valid else 422,
                  form=form, unapplied=unapplied(form), account_name=applied_account_name(form), filters=filters,
                  result=result, renewals_url=renewals_url,
                  csv_url=url_for("subscriptions.grid_csv", **filters.args(page=1)),
                  show_account=current_user.account.kind == "operator", now=partner_center_now(),
                  headers=pushed_address(clean, valid, request.headers))


CSV_HEADER = ["Name", "Product", "Customer", "Tenant", "Subscription ID", "Seats", "Term", "Billing plan", "Status",
              "Auto-renew", "Renewal date"]


@bp.route("/subscriptions.csv")
@allow(Permission.SUBSCRIPTIONS_VIEW)
def grid_csv():
    """Every subscription the grid's filters select (all pages, in the grid's order), as a spreadsheet-safe
    CSV download; the operator's with each one's account, as its grid shows."""
    _form, _valid, filters = _grid_state()
    total = grid.search(current_user, replace(filters, page=1), per_page=1).total
    subs = grid.search(current_user, replace(filters, page=1), per_page=max(total, 1)).rows
    operator = current_user.account.kind == "operator"
    header = CSV_HEADER[:2] + ["Account"] + CSV_HEADER[2:] if operator else CSV_HEADER
    rows = ([s.name, s.product_title, *([s.account.name] if operator else []), s.customer_name,
             s.tenant_domain or s.tenant_id, s.ms_subscription_id, s.quantity, term_label(s.term_duration),
             billing_label(s.billing_plan), status_label(s.status), "On" if s.auto_renew else "Off",
             s.commitment_end_date.strftime("%Y-%m-%d") if s.commitment_end_date and s.status not in ENDED_STATUSES
             else ""] for s in subs)
    return Response(csv_stream(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="subscriptions.csv"'})


# ----------------------------------------------------------------------------------- details

def _subscription_or_404(sub_id: int):
    return found_or_404(grid.find_visible(current_user, sub_id))


def _context(sub, *, refused: Refused | None = None, **forms) -> dict:
    now = partner_center_now()
    context = {
        "sub": sub, "window": window(sub, now), "orders": grid.orders_of(sub), "pending": grid.open_order(sub),
        "refused": refused, "offer": refused.offer if refused else None,
        "quantity_form": QuantityForm().prepare(sub), "schedule_form": ScheduleForm(prefix="schedule").prepare(sub),
        "auto_renew_form": AutoRenewForm(prefix="renew").prepare(sub),
        "rename_form": RenameForm(prefix="rename").prepare(sub), "cancel_form": CancelForm(prefix="cancel").prepare(sub),
        "gdap": gdap.request_for(sub.account_id, sub.tenant_domain),
        "instance_name": instances.instance_name(sub), "adds_licences": instances.adds_licences(sub),
        "schedule_dropped": commands.dropped_schedule(sub),
    }
    # Terminate agreement is offered only when the termination can go through; otherwise its reason is said instead.
    active = agreement_subscriptions(sub.agreement) if sub.agreement else []
    context["agreement_terminable"] = bool(active)
    context["termination_refusal"] = termination_refusal(active, now) if active else None
    context["quantity_form"].quantity.data = str(sub.quantity)
    context["schedule_form"].quantity.data = str(sub.scheduled_quantity or sub.quantity)
    context["rename_form"].friendly_name.data = sub.friendly_name
    context["auto_renew_form"].enabled.data = "off" if sub.auto_renew else "on"
    context.update({k: v for k, v in forms.items() if v is not None})
    context["auto_renew_form"].enabled.data = "off" if sub.auto_renew else "on"
    return context


@bp.route("/subscriptions/<int:sub_id>")
@allow(Permission.SUBSCRIPTIONS_VIEW)
def detail(sub_id: int):
    sub = _subscription_or_404(sub_id)
    return render("subscriptions/detail.html", **_context(sub))


def _placed(order, sub, what: str):
    flash(f"{order.type_label} order {order.number} placed: {what} It is on its way to Microsoft; this page shows "
          "its progress.", "success")
    return redirect_to(url_for("orders.detail", number=order.number))


def _refused(sub, error: Refused, **forms):
    """422: the details page again, the message next to the field, what was typed kept; a stale
    form gets the current etag so that submitting again applies to what is shown now."""
    inline = False
    for form in forms.values():
        if form is not None and hasattr(form, "etag"):
            form.prepare(sub)
            field = getattr(form, error.field, None) if error.field else None
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, error.message]
                inline = True
    context = _context(sub, refused=error, **forms)
    context["refused_inline"] = inline
    if error.offer == "schedule":
        typed = (forms.get("quantity_form").quantity.data if forms.get("quantity_form") else "") or ""
        context["schedule_form"].quantity.data = typed
    return render("subscriptions/detail.html", "subscriptions/_actions.html", status=error.status, **context)


def _posted(form):
    """The posted change form, or 400 when it does not validate."""
    if not form.validate_on_submit():
        abort(400)
    return form


def _posted_change(sub_id: int, form_class, prefix: str = ""):
    """The subscription a change is posted on (404 when not visible) and its posted form (400 when invalid)."""
    sub = _subscription_or_404(sub_id)
    return sub, _posted(form_class(prefix=prefix))


def _change(sub, form, slot: str, command, *args, describe):
    """Runs a change command with the form's etag and request key: the new order's page, or the
    details page again with the refusal at the form in ``slot``."""
    try:
        order = command(sub, *args, etag=form.etag.data, actor=current_user, origin=request_origin(),
                        request_key=form.request_key.data or None)
    except Refused as error:
        return _refused(sub, error, **{slot: form})
    return _placed(order, sub, describe(order))


def _ask(template: str, **context):
    """A page asking before a change that cannot be undone, whose button posts the change again with
    confirmed=yes (templates/_confirm.html). Posted through htmx, it takes the place of the page's #main."""
    headers = {"HX-Retarget": "#main", "HX-Reswap": "outerHTML", "HX-Reselect": "#main"} if is_htmx() else None
    return render(template, headers=headers, **context)


# A reduction inside the 7-day window cancels seats at once, so it is asked first (the seats typed decide
# the question, so the server asks, with JavaScript too): the post without confirmed=yes is checked as the
# change would be, then answered with subscriptions/confirm_reduce.html, whose button carries it. Adding
# seats asks nothing.
@bp.route("/subscriptions/<int:sub_id>/quantity", methods=["POST"])
@allow(Permission.SUBSCRIPTIONS_CHANGE)
@form_on("subscriptions.detail")
def change_quantity(sub_id: int):
    sub, form = _posted_change(sub_id, QuantityForm)
    # The same form again (a double click without JavaScript) goes straight to the order it placed.
    if not confirmed() and order_for_key(form.request_key.data or None) is None:
        try:
            quantity = commands.check_quantity(sub, form.quantity.data, form.etag.data)
        except Refused as error:
            # (Sent twice at once, the first press may have placed its order while this one was checked.)
            if order_for_key(form.request_key.data or None) is None:
                return _refused(sub, error, quantity_form=form)
        else:
            if quantity < sub.quantity:
                return _ask("subscriptions/confirm_reduce.html", sub=sub, form=form, quantity=quantity,
                            dropped=commands.dropped_schedule(sub))

    def describe(order) -> str:  # the order's own seats: the subscription may already have them
        line = order.lines[0]
        before, after = (line.change or {}).get("from"), (line.change or {}).get("to")
        refund = commands.refund_estimate(line)
        if refund is None:  # seats added: "Add seats from 4 to 12", mid-sentence after "placed:"
            label = line.change_label
            return f"{label[:1].lower()}{label[1:]}."
        return (f"reduce seats from {before} to {after}. {before - after} seat{'s' if before - after != 1 else ''} "
                f"will be refunded pro rata for the unused days (at most {money(refund, line.currency)}).")

    return _change(sub, form, "quantity_form", commands.change_quantity, form.quantity.data, describe=describe)


@bp.route("/subscriptions/<int:sub_id>/schedule", methods=["POST"])
@allow(Permission.SUBSCRIPTIONS_CHANGE)
@form_on("subscriptions.detail")
def schedule(sub_id: int):
    sub, form = _posted_change(sub_id, ScheduleForm, "schedule")
    return _change(sub, form, "schedule_form", commands.schedule_quantity, form.quantity.data,
                   describe=lambda order: f"from the renewal on {when(sub.commitment_end_date)}, {sub.name} will "
                                          f"have {seats(order.lines[0].change['to'])}.")


@bp.route("/subscriptions/<int:sub_id>/auto-renew", methods=["POST"])
@allow(Permission.SUBSCRIPTIONS_CHANGE)
@form_on("subscriptions.detail")
def auto_renew(sub_id: int):
    sub, form = _posted_change(sub_id, AutoRenewForm, "renew")
    if form.enabled.data not in ("on", "off"):
        abort(400)
    enabled = form.enabled.data == "on"
    # Turning auto-renewal off drops a change scheduled for the renewal, so then it is asked first: with
    # JavaScript the button's hx-confirm, whose post carries confirmed=yes; without, this page asks.
    dropped = None if enabled else commands.dropped_schedule(sub)
    if dropped and not confirmed():
        try:
            commands.check_auto_renew(sub, enabled, form.etag.data)
        except Refused as error:
            return _refused(sub, error, auto_renew_form=form)
        return _ask("subscriptions/confirm_auto_renew_off.html", sub=sub, form=form, dropped=dropped)

    def describe(order) -> str:
        if enabled:
            return f"auto-renewal on: {sub.name} will renew on {when(sub.commitment_end_date)}."
        return (f"auto-renewal off: {sub.name} will end on its renewal date, {when(sub.commitment_end_date)}, "
                "and its licences will stop working then.")

    return _change(sub, form, "auto_renew_form", commands.set_auto_renew, enabled, describe=describe)


@bp.route("/subscriptions/<int:sub_id>/rename", methods=["POST"])
@allow(Permission.SUBSCRIPTIONS_CHANGE)
@form_on("subscriptions.detail")
def rename(sub_id: int):
    sub, form = _posted_change(sub_id, RenameForm, "rename")
    return _change(sub, form, "rename_form", commands.rename, form.friendly_name.data,
                   describe=lambda order: f"rename to “{order.lines[0].change['to']}”.")


# The details page's Cancel button posts without this field: with JavaScript htmx adds it once the
# person said yes to hx-confirm; without, the post opens the confirmation page, whose form carries it.
CANCEL_CONFIRMED = "cancel-confirmed"


@bp.route("/subscriptions/<int:sub_id>/cancel", methods=["GET", "POST"])
@allow(Permission.SUBSCRIPTIONS_CHANGE)
def cancel(sub_id: int):
    """Cancelling is irreversible, so it is asked twice: GET is the confirmation page ("Cancel … now?"
    with what follows, Confirm cancellation, Keep the subscription); a POST cancels only with
    CANCEL_CONFIRMED, and without it (the button with JavaScript off) is refused as cancel would be, or sent
    to the confirmation page. Nothing is written before the confirmed POST."""
    sub = _subscription_or_404(sub_id)
    if request.method == "GET":
        form = CancelForm(prefix="cancel").prepare(sub)
        try:
            commands.check_cancel(sub, form.etag.data)
        except Refused as error:
            refused = error
        else:
            refused = None
        return render("subscriptions/cancel.html", sub=sub, form=form, refused=refused, confirmed=CANCEL_CONFIRMED,
                      window=window(sub, partner_center_now()))
    form = _posted(CancelForm(prefix="cancel"))
    if not confirmed(CANCEL_CONFIRMED):
        try:
            commands.check_cancel(sub, form.etag.data)
        except Refused as error:
            return _refused(sub, error, cancel_form=form)
        return redirect_to(url_for("subscriptions.cancel", sub_id=sub.id))
    return _change(sub, form, "cancel_form", commands.cancel,
                   describe=lambda order: f"cancel {sub.name}; " + (
                       "its seat is refunded pro rata." if sub.quantity == 1 else f"its {sub.quantity} seats are refunded pro rata."))


@bp.route("/subscriptions/<int:sub_id>/add-licences", methods=["GET", "POST"])
@allow(Permission.SUBSCRIPTIONS_CHANGE)
def add_licences(sub_id: int):
    """Dynamics 365 instances: "Add licences to this instance", a change order like adding seats.
    A subscription that is not an instance (or the option is off) gets the reason and a link back."""
    sub = _subscription_or_404(sub_id)
    applies = instances.adds_licences(sub)
    if request.method == "GET" or not applies:
        form = AddLicencesForm().prepare(sub)
        return render("subscriptions/add_licences.html", "subscriptions/_add_licences_form.html",
                      status=200 if request.method == "GET" else 409, sub=sub, form=form, applies=applies,
                      pending=grid.open_order(sub), instance_name=instances.instance_name(sub))
    form = _posted(AddLicencesForm())
    try:
        order = commands.add_licences(sub, form.licences.data, etag=form.etag.data, actor=current_user,
                                      origin=request_origin(), request_key=form.request_key.data or None)
    except Refused as error:
        form.prepare(sub)
        if error.field == "licences":
            form.licences.errors = [*form.licences.errors, error.message]
        return render("subscriptions/add_licences.html", "subscriptions/_add_licences_form.html",
                      status=error.status, sub=sub, form=form, applies=applies, pending=grid.open_order(sub),
                      instance_name=instances.instance_name(sub),
                      refused=None if error.field == "licences" else error)
    line = order.lines[0]
    added = line.change["to"] - line.change["from"]
    return _placed(order, sub, f"add {added} licence{'s' if added != 1 else ''} to {sub.name} "
                               f"({line.change['from']} to {line.change['to']}).")


# ----------------------------------------------------------------------------------- agreements

def _agreement_or_404(number: str):
    return found_or_404(find_agreement(current_user, number))


def _terminate_context(agreement, form: TerminateForm | None = None, refused: Refused | None = None) -> dict:
    subs = agreement_subscriptions(agreement)
    now = partner_center_now()
    if form is None:
        form = TerminateForm()
        form.request_key.data = new_request_key()
    form.seen.data = etags_token(subs)
    rows = [{"sub": s, "cancellable": can_cancel(s, now), "closed_at": cancel_closed_at(s, now)}
            for s in subs]
    return {"agreement": agreement, "rows": rows, "form": form, "refused": refused,
            "all_cancellable": bool(rows) and all(r["cancellable"] for r in rows)}


@bp.route("/agreements/<number>/terminate", methods=["GET", "POST"])
@allow(Permission.SUBSCRIPTIONS_VIEW, post=Permission.SUBSCRIPTIONS_CHANGE)
def terminate_agreement(number: str):
    agreement = _agreement_or_404(number)
    if request.method == "GET":
        return render("subscriptions/terminate.html", **_terminate_context(agreement))
    form = TerminateForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        order = commands.terminate_agreement(agreement, seen=form.seen.data, actor=current_user, origin=request_origin(),
                                        request_key=form.request_key.data or None)
    except Refused as error:
        form.request_key.data = new_request_key()
        return render("subscriptions/terminate.html", status=error.status,
                      **_terminate_context(agreement, form, error))
    flash(f"Termination order {order.number} placed: every subscription of agreement {agreement.number} is being "
          "cancelled and refunded pro rata. This page shows its progress.", "success")
    return redirect_to(url_for("orders.detail", number=order.number))
