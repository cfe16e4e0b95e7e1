"""Order history, order details (General and Parameters tabs, live progress), Process, editing
ordering parameters, and notifications."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, request, stream_with_context, url_for
from flask_login import current_user
from markupsafe import Markup

from app import live
from app.accounts import notifications as inbox
from app.accounts.services import accounts_to_filter_by
from app.connections.person import TooFast, partner_center_problem
from app.extensions import db
from app.orders import bp, gdap, queries, querying
from app.orders.forms import MarkReadForm, OrderFilterForm, OrderingParametersForm, ProcessForm
from app.orders.models import ChangeAction, Order, OrderStatus, OrderType, StepStatus
from app.orders.placing import DomainInUse, NotAuthorized
from app.orders.transitions import publish_progress
from app.partner_center import PartnerCenterError, Throttled
from app.web.access import Permission, allow
from app.web.csv_export import csv_stream
from app.web.form_pages import form_on
from app.web.layout import USER_ID, layout_fact, register_layout_fact
from app.web.origin import request_origin
from app.web.query import account_filter, applied, applied_account, applied_account_name, requested_page, unapplied
from app.web.rendering import is_htmx, kept_markup, poll_status, redirect_to, render

TABS = ("general", "parameters")


def partner_center_words(error: PartnerCenterError) -> str:
    if isinstance(error, Throttled):
        return f"Microsoft is busy, try again in {int(error.retry_after or 30)} seconds. Nothing was changed."
    return "Partner Center could not be asked right now. Nothing was changed: press Process again in a moment."


# The header's Notifications badge: the user's unread ones, read with the layout's other facts.
register_layout_fact("unread_notifications", lambda _kind: inbox.unread_count_expression(USER_ID))


@bp.app_template_global()
def unread_notifications() -> int:
    return layout_fact("unread_notifications") or 0


# The status and type names, so templates compare with them instead of spelling them again.
for _word in (OrderStatus, OrderType, StepStatus, ChangeAction):
    bp.add_app_template_global(_word, _word.__name__)


# ----------------------------------------------------------------------------------- history

def _history_filters() -> tuple[OrderFilterForm, bool, queries.OrderFilter]:
    """The history's filter form, whether all it was given is valid, and the filters to apply: a refused
    filter is not applied (and the list says so); the others are."""
    form = OrderFilterForm(request.args)
    account_filter(form, accounts_to_filter_by(current_user))
    valid = not request.args or form.validate()
    return form, valid, queries.OrderFilter(q=(form.q.data or "").strip(), account=applied_account(form),
                                            status=applied(form.status) or None,
                                            date_from=applied(form.date_from),
                                            date_to=applied(form.date_to), page=requested_page(request.args))


_FILTER_FIELDS: dict[tuple, Markup] = {}
KEPT_QUERY_LENGTH = 512  # a longer query string (values pasted, not typed) is drawn, not kept


def _filter_fields(form: OrderFilterForm) -> Markup:
    """The history's filter fields (orders/_history_filters.html), drawn once for what they show and kept: drawing
    them through WTForms was about a fifth of the history's page (callgrind, issue 14). What they show is all in the
    key: the Account filter's choices (the operator's: every reseller and customer, as they are named now; None:
    no such filter), the values asked of each field (every value sent under its name: what the field takes and
    shows again) and each field's errors. Nothing else of the user is in them: the form is GET, with no CSRF
    token. The labels, hints and the statuses offered are the form's own, the same for everyone."""
    key = (tuple((c.value, c.label) for c in form.account.choices) if form.account is not None else None,
           *((tuple(request.args.getlist(f.name)), tuple(f.errors)) for f in form))
    return kept_markup(_FILTER_FIELDS, key, "orders/_history_filters.html", lambda: {"form": form},
                       keep=len(request.query_string) <= KEPT_QUERY_LENGTH)


@bp.route("/orders")
@allow(Permission.ORDERS_VIEW)
def index():
    form, valid, filters = _history_filters()
    result = queries.visible_orders(current_user, filters)
    # htmx pushes this address rather than the form's, which names every field, empty or not.
    clean = url_for("orders.index", **filters.args(page=result.page))
    return render("orders/index.html", "orders/_order_table.html", filter_fields=_filter_fields(form),
                  result=result, filters=filters,
                  csv_url=url_for("orders.history_csv", **filters.args(page=1)),
                  status=200 if valid else 422, unapplied=unapplied(form), account_name=applied_account_name(form),
                  show_account=current_user.account.kind == "operator", headers={"HX-Push-Url": clean} if valid else None)


@bp.route("/orders.csv")
@allow(Permission.ORDERS_VIEW)
def history_csv():
    """Every order the history's filters select (all pages), as a spreadsheet-safe CSV download."""
    _form, _valid, filters = _history_filters()
    rows = queries.csv_rows(current_user, filters)
    return Response(stream_with_context(csv_stream(queries.csv_header(current_user), rows)), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="orders.csv"'})


# ----------------------------------------------------------------------------------- details

def _order_or_404(number: str) -> Order:
    order = queries.find_visible(current_user, number)
    if order is None:
        abort(404)
    return order


def _order_to_act_on(number: str) -> Order:
    """An order the signed-in person may also change (403 for one they may only read)."""
    order = _order_or_404(number)
    if not queries.can_act(current_user, order):
        abort(403)
    return order


def _parameters_form(order: Order, formdata=None) -> OrderingParametersForm:
    form = OrderingParametersForm(formdata=formdata)
    form.domain.label.text = "Primary domain name" if order.tenant_mode == "new" else "Existing domain name"
    if formdata is None:
        form.domain.data = order.domain
        form.tenant_id.data = order.tenant_id or ""
        form.registration_id.data = order.registration_id or ""
        form.phone.data = order.phone or ""
    return form


def _detail_context(order: Order, **extra) -> dict:
    queries.load_steps_and_lines(order)
    tab = request.args.get("tab", "general")
    context = {
        "order": order,
        "tab": tab if tab in TABS else "general",
        "can_act": queries.can_act(current_user, order),
        # Only a querying order shows Process: building the form for any other was a twentieth of its page.
        "process_form": ProcessForm() if order.status == OrderStatus.QUERYING else None,
        "editing": False,
        "domain_problem": queries.domain_problem(order),
        "admin_password": queries.admin_password(order) if order.account_id == current_user.account_id else None,
        # The order's page reads it with the order (extra["gdap"]).
        "gdap": extra["gdap"] if "gdap" in extra else gdap.request_for(order.account_id, order.domain),
        "line_subscriptions": queries.line_subscriptions(current_user, order),  # the Items link each line to it
        # The page opens a stream only while the order waits and this user is under the cap.
        "streams": not order.terminal and live.may_stream(current_user.id),
    }
    context["polls"] = not order.terminal and not context["streams"]  # only a page without a stream polls
    context.update(extra)
    return context


@bp.route("/orders/<number>")
@allow(Permission.ORDERS_VIEW)
def detail(number):
    found = queries.find_visible_with_gdap(current_user, number)
    if found is None:
        abort(404)
    order, gdap_request = found
    context = _detail_context(order, gdap=gdap_request)
    if context["tab"] == "parameters" and request.args.get("edit") == "ordering":
        if order.status == OrderStatus.QUERYING and context["can_act"]:
            context.update(editing=True, form=_parameters_form(order))
        if is_htmx():
            return render("orders/_ordering_parameters.html", **context)
    return render("orders/detail.html", **context)


@bp.route("/orders/<number>/gdap", methods=["POST"])
@allow(Permission.ORDERS_ACT)
@form_on("orders.detail")
def refresh_gdap(number):
    """Read the GDAP request's status from Microsoft Graph now (the customer may have approved)."""
    order = _order_to_act_on(number)
    request_row = gdap.request_for(order.account_id, order.domain)
    if request_row is None or not ProcessForm().validate_on_submit():
        abort(400)
    try:
        gdap.refresh(gdap.person_client_for(request_row, current_user.id), request_row)
    except (TooFast, PartnerCenterError) as error:
        db.session.rollback()
        flash(error.message if isinstance(error, TooFast) else partner_center_problem(error), "error")
        return redirect(url_for("orders.detail", number=order.number), code=303)
    db.session.commit()
    flash(f"Delegated admin (GDAP): {request_row.shown_status()}.", "success")
    return redirect(url_for("orders.detail", number=order.number), code=303)


@bp.route("/orders/<number>/parameters", methods=["POST"])
@allow(Permission.ORDERS_ACT)
@form_on("orders.detail")
def save_parameters(number):
    order = _order_to_act_on(number)
    form = _parameters_form(order, formdata=request.form)
    context = _detail_context(order, tab="parameters", editing=True, form=form)
    if order.status != OrderStatus.QUERYING:
        flash("Ordering parameters can be changed only while the order is querying.", "error")
        return redirect_to(url_for("orders.detail", number=order.number, tab="parameters"))
    valid = form.validate_on_submit()
    changes = querying.ParameterChanges(domain=form.domain.data, tenant_id=form.tenant_id.data,
                                        registration_id=form.registration_id.data, phone=form.phone.data)
    problems, problem = ({}, None)
    if valid:
        # The registration ID and phone follow the country's rules, as at checkout.
        problems, problem = querying.parameter_problems(order, changes, actor=current_user)
        for name, message in problems.items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        if problem:
            flash(problem, "error")
    if valid and not problems and not problem:
        try:
            querying.update_ordering_parameters(order, changes, actor=current_user, origin=request_origin())
        except DomainInUse as error:
            form.domain.errors = [*form.domain.errors, error.message]
            context["domain_problem"] = error.message
        else:
            db.session.commit()
            publish_progress(order)
            flash("Ordering parameters saved. Press Process to send the order again.", "success")
            return redirect_to(url_for("orders.detail", number=order.number, tab="parameters"))
    return render("orders/detail.html", "orders/_ordering_parameters.html", status=422, **context)


@bp.route("/orders/<number>/process", methods=["POST"])
@allow(Permission.ORDERS_ACT)
@form_on("orders.detail")
def process(number):
    order = _order_to_act_on(number)
    form = ProcessForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        querying.process(order, actor=current_user, origin=request_origin())
    except DomainInUse as error:
        db.session.rollback()
        flash(error.message + " Change the domain name on the Parameters tab, then press Process.", "error")
        return render("orders/detail.html", status=422, **_detail_context(order, domain_problem=error.message))
    except NotAuthorized as error:
        db.session.rollback()
        flash(error.message, "error")
        return render("orders/detail.html", status=422, **_detail_context(order))
    except PartnerCenterError as error:
        db.session.rollback()
        flash(partner_center_words(error), "error")
        return render("orders/detail.html", status=503, **_detail_context(order))
    except querying.NotAllowed as error:
        flash(str(error), "error")
        return render("orders/detail.html", status=409, **_detail_context(order))
    flash(f"Order {order.number} is processing again.", "success")
    return redirect_to(url_for("orders.detail", number=order.number))


@bp.route("/orders/<number>/progress")
@allow(Permission.ORDERS_VIEW)
def progress(number):
    """The cheap status the page polls when pushes cannot arrive; 286 stops the polling once the
    order has reached its end."""
    order = _order_or_404(number)
    if not is_htmx():
        return render("orders/detail.html", **_detail_context(order))
    return render("orders/_progress.html", status=poll_status(order.terminal),
                  **_detail_context(order, polls=not order.terminal, pushed=True))


@bp.route("/orders/<number>/events")
@allow(Permission.ORDERS_VIEW)
def events(number):
    """Server-sent events for an open order page (htmx SSE extension), until the order stops
    processing or querying: then the last fragment (without polling) and `done`. While it waits it
    holds no database connection (app/live.py)."""
    return live.row_events("order", Order, _order_or_404(number).id, event="progress", fragment="orders/_progress.html",
                           context=lambda order, **extra: _detail_context(order, pushed=True, **extra),
                           finished=lambda order: order.terminal)


# ----------------------------------------------------------------------------------- notifications

@bp.route("/notifications")
@allow(Permission.NOTIFICATIONS)
def notifications():
    return render("orders/notifications.html", notifications=inbox.notifications_of(current_user),
                  form=MarkReadForm())


@bp.route("/notifications/read", methods=["POST"])
@allow(Permission.NOTIFICATIONS)
@form_on("orders.notifications")
def mark_read():
    form = MarkReadForm()
    if not form.validate_on_submit():
        abort(400)
    raw = request.form.get("notification_id", "")
    notification_id = int(raw) if raw.isdigit() else None
    inbox.mark_read(current_user, notification_id)
    db.session.commit()
    if is_htmx():
        return render("orders/_notifications_list.html", notifications=inbox.notifications_of(current_user),
                      form=MarkReadForm(), oob_badge=True)
    return redirect_to(url_for("orders.notifications"))

