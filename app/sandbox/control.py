"""The sandbox's own controls (no bearer token): faults (webhook deliveries' too), review flag, a customer's
direct MCA acceptance, a reseller's Microsoft Partner Agreement, clock, reset, the call log; JSON under /_sandbox/... and an HTML admin page whose forms
carry the sandbox's CSRF token. Who may reach them is decided by whoever serves
the sandbox: the storefront's mount lets only its operator admins in."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Blueprint, redirect, render_template, request, url_for

from . import csrf
from .store import iso
from .web import json_response, store
from .webhooks import EVENTS as WEBHOOK_EVENTS
from .webhooks import FAULT_PREFIX as WEBHOOK_FAULT_PREFIX

bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")


def _payload() -> dict:
    data = request.get_json(silent=True)
    if isinstance(data, dict):
        return data
    return request.form.to_dict()


def _answers_refusals(view):
    """A JSON control's answer to what it refuses: 400 with the message of a ValueError (a value it
    cannot use), 404 with that of a KeyError (no such tenant, reseller or subscription)."""
    @wraps(view)
    def answer(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        except KeyError as exc:
            return json_response({"error": exc.args[0]}, 404)
    return answer


def _number(value, name, cast=float, default=None):
    if value in (None, ""):
        return default
    try:
        return cast(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number")


def _fault_from(data: dict) -> int:
    kind = str(data.get("kind") or "")
    default_prefix = WEBHOOK_FAULT_PREFIX if kind in ("drop", "delay") else "/v1/"
    return store().inject_fault(
        method=str(data.get("method") or "*"),
        path_prefix=str(data.get("pathPrefix") or data.get("path_prefix") or default_prefix),
        kind=kind,
        count=_number(data.get("count"), "count", int, 1),
        retry_after=_number(data.get("retryAfter", data.get("retry_after")), "retryAfter", int),
        delay=_number(data.get("delay"), "delay", float),
    )


def _delta_from(data: dict) -> timedelta:
    return timedelta(days=_number(data.get("days"), "days", float, 0),
                     hours=_number(data.get("hours"), "hours", float, 0),
                     minutes=_number(data.get("minutes"), "minutes", float, 0),
                     seconds=_number(data.get("seconds"), "seconds", float, 0))


# A reseller's Microsoft Partner Agreement as GET /v1/compliance/csp/agreementstatus answers it for
# this distributor's region (app/sandbox/api.py): signed, not signed for the region (2203) or a
# partner of another region (2201).
RESELLER_AGREEMENTS = {
    "signed": "Signed for this region",
    "not_signed_region": "Not signed for this region (2203)",
    "other_region": "Registered in another region (2201)",
}


def _flag(value, default=True) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes", "on")
    return bool(value)


def _set_reseller_agreement(mpn_id: str, agreement: str) -> dict:
    if agreement not in RESELLER_AGREEMENTS:
        raise ValueError(f"agreement must be one of {', '.join(RESELLER_AGREEMENTS)}")
    with store().tx() as tx:
        reseller = tx.get("reseller", mpn_id.strip())
        if reseller is None:
            raise KeyError(f"unknown reseller {mpn_id}")
        reseller["agreement"] = agreement
        tx.put("reseller", reseller["mpnId"], reseller)
    return reseller


def _set_direct_signed(tenant_id: str, signed: bool) -> dict:
    """The customer accepted the MCA itself in the Microsoft 365 admin center (or not): what
    GET .../directSignedMicrosoftCustomerAgreementStatus answers (app/sandbox/agreements.py)."""
    with store().tx() as tx:
        tenant = tx.get("tenant", tenant_id.strip().lower())
        if tenant is None:
            raise KeyError(f"unknown tenant {tenant_id}")
        tenant["mcaDirectSigned"] = bool(signed)
        tx.put("tenant", tenant["id"], tenant)
    return tenant


def _clock_json() -> dict:
    st = store()
    return {"now": iso(st.now()), "offsetSeconds": st.clock_offset().total_seconds()}


# JSON ------------------------------------------------------------------------

@bp.get("/state")
def state():
    st = store()
    return json_response({"clock": _clock_json(), "faults": st.faults(),
                          "tenants": [{"id": t["id"], "domain": t["domain"], "companyName": t["companyName"],
                                       "relationship": bool(t.get("relationship")),
                                       "underReview": t.get("underReview", False),
                                       "mcaDirectSigned": t.get("mcaDirectSigned", False)}
                                      for t in st.documents("tenant")],
                          "resellers": [{"mpnId": r["mpnId"], "name": r["name"], "agreement": r["agreement"]}
                                        for r in st.documents("reseller")]})


@bp.get("/faults")
def list_faults():
    return json_response({"items": store().faults()})


@bp.post("/faults")
@_answers_refusals
def add_fault():
    fault_id = _fault_from(_payload())
    return json_response({"id": fault_id, "faults": store().faults()}, 201)


@bp.delete("/faults")
def clear_faults():
    store().clear_faults()
    return json_response({"items": []})


@bp.post("/customers/<tenant_id>/review")
@_answers_refusals
def review(tenant_id):
    data = _payload()
    flag = data.get("underReview", True)
    if isinstance(flag, str):
        flag = flag.lower() in ("1", "true", "yes", "on")
    store().set_under_review(tenant_id, bool(flag))
    return json_response({"tenantId": tenant_id.lower(), "underReview": bool(flag)})


@bp.post("/resellers/<mpn_id>/agreement")
@_answers_refusals
def reseller_agreement(mpn_id):
    reseller = _set_reseller_agreement(mpn_id, str(_payload().get("agreement") or ""))
    return json_response({"mpnId": reseller["mpnId"], "agreement": reseller["agreement"]})


@bp.post("/customers/<tenant_id>/mca")
@_answers_refusals
def direct_mca(tenant_id):
    signed = _flag(_payload().get("directSigned"))
    tenant = _set_direct_signed(tenant_id, signed)
    return json_response({"tenantId": tenant["id"], "directSigned": signed})


@bp.get("/clock")
def clock():
    return json_response(_clock_json())


@bp.post("/clock/advance")
@_answers_refusals
def advance_clock():
    store().advance_clock(_delta_from(_payload()))
    return json_response(_clock_json())


@bp.post("/clock/reset")
def reset_clock():
    store().reset_clock()
    return json_response(_clock_json())


@bp.post("/reset")
def reset():
    store().reset()
    return json_response({"reset": True, "clock": _clock_json()})


@bp.get("/calls")
def calls():
    args = request.args
    status = args.get("status")
    items = store().calls(method=args.get("method"), path=args.get("path"),
                          path_prefix=args.get("pathPrefix"), status=int(status) if status else None)
    return json_response({"totalCount": len(items), "items": items})


@bp.delete("/calls")
def clear_calls():
    store().clear_calls()
    return json_response({"items": []})


# HTML admin page ---------------------------------------------------------------

@bp.get("/admin")
def admin():
    return _admin_page()


class FieldRefused(ValueError):
    """A value typed in a form of the controls page that cannot be used: said next to its field (`field`,
    the input's id), the form kept as typed."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _admin_page(*, refused: FieldRefused | None = None, status: int = 200):
    """The controls page; after a refused form, that form as it was typed (the posted `form` names it)
    with the message next to the field, and linked from the top of the page."""
    st = store()
    posted = request.form.get("form", "") if refused else ""

    def kept(form: str, name: str, default: str = "") -> str:
        return request.form.get(name, default) if posted == form else default

    return render_template("sandbox/admin.html", clock=_clock_json(), faults=st.faults(),
                           tenants=st.documents("tenant"), resellers=st.documents("reseller"),
                           reseller_agreements=RESELLER_AGREEMENTS, webhook_events=WEBHOOK_EVENTS,
                           message=None if refused else request.args.get("msg"),
                           error=None if refused else request.args.get("err"), calls=st.calls()[-25:][::-1],
                           problems={refused.field: str(refused)} if refused else {}, kept=kept), status


def _typed_number(field: str, name: str, label: str, *, whole: bool = True, default=None, minimum=0):
    """The number typed in `name` (None or `default` when empty); refused at `field` when it is not a
    number, or below `minimum`."""
    raw = (request.form.get(name) or "").strip()
    if raw == "":
        return default
    kind = "a whole number" if whole else "a number"
    if minimum is not None:
        kind += " of at least 1" if minimum == 1 else f", {minimum} or more"
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        raise FieldRefused(field, f"{label} must be {kind}: “{raw}” is not.")
    if minimum is not None and value < minimum:
        raise FieldRefused(field, f"{label} must be {kind}.")
    return value


def _admin_form(rule: str):
    """Where a form of the admin page posts: refused without the page's CSRF token."""
    def register(view):
        return bp.post(rule)(csrf.protect(view))
    return register


def _back(message: str | None = None, error: str | None = None):
    args = {}
    if message:
        args["msg"] = message
    if error:
        args["err"] = error
    return redirect(url_for("sandbox_control.admin", **args))


@_admin_form("/admin/fault")
def admin_fault():
    """A fault of an API call ("fault" form) or of a webhook delivery ("webhook-fault" form)."""
    prefix = "webhook-fault" if request.form.get("form") == "webhook-fault" else "fault"
    what = "deliveries" if prefix == "webhook-fault" else "calls"
    kind = request.form.get("kind", "")
    try:
        count = _typed_number(f"{prefix}-count", "count", f"Number of {what}", default=1, minimum=1)
        retry_after = None if prefix == "webhook-fault" else _typed_number(
            "fault-retry", "retryAfter", "Retry-After (seconds)")
        delay = _typed_number(f"{prefix}-delay", "delay", "Delay (seconds)", whole=False)
        if kind in ("slow", "delay") and delay is None:
            raise FieldRefused(f"{prefix}-delay", "Enter the delay in seconds, like 2.5: a late answer needs one."
                               if kind == "slow" else "Enter the delay in seconds, like 5: a delayed delivery needs one.")
        try:
            fault_id = store().inject_fault(method=request.form.get("method") or "*",
                                            path_prefix=request.form.get("pathPrefix") or (
                                                WEBHOOK_FAULT_PREFIX if kind in ("drop", "delay") else "/v1/"), kind=kind,
                                            count=count, retry_after=retry_after, delay=delay)
        except ValueError as exc:
            raise FieldRefused(f"{prefix}-kind", str(exc))
    except FieldRefused as refused:
        return _admin_page(refused=refused, status=422)
    return _back(f"Fault #{fault_id} added.")


@_admin_form("/admin/faults/clear")
def admin_clear_faults():
    store().clear_faults()
    return _back("All faults removed.")


@_admin_form("/admin/review")
def admin_review():
    tenant_id = request.form.get("tenantId", "")
    flag = request.form.get("underReview") == "true"
    try:
        store().set_under_review(tenant_id, flag)
    except KeyError:
        return _back(error=f"Unknown tenant {tenant_id}.")
    return _back(f"Tenant {tenant_id} is {'now under review' if flag else 'released from review'}.")


@_admin_form("/admin/reseller-agreement")
def admin_reseller_agreement():
    mpn_id = request.form.get("mpnId", "")
    try:
        reseller = _set_reseller_agreement(mpn_id, request.form.get("agreement", ""))
    except ValueError as exc:
        return _back(error=str(exc))
    except KeyError:
        return _back(error=f"Unknown reseller {mpn_id}.")
    return _back(f"{reseller['name']} ({mpn_id}): Microsoft Partner Agreement "
                 f"{RESELLER_AGREEMENTS[reseller['agreement']].lower()}.")


@_admin_form("/admin/mca")
def admin_direct_mca():
    tenant_id = request.form.get("tenantId", "")
    signed = request.form.get("directSigned") == "true"
    try:
        tenant = _set_direct_signed(tenant_id, signed)
    except KeyError:
        return _back(error=f"Unknown tenant {tenant_id}.")
    return _back(f"{tenant['companyName']} has {'accepted' if signed else 'not accepted'} the Microsoft Customer "
                 "Agreement in the Microsoft 365 admin center.")


@_admin_form("/admin/clock")
def admin_clock():
    if request.form.get("action") == "reset":
        store().reset_clock()
        return _back("Clock reset to real time.")
    try:
        days = _typed_number("clock-days", "days", "Days", default=0)
        hours = _typed_number("clock-hours", "hours", "Hours", default=0)
        if not days and not hours:
            raise FieldRefused("clock-days", "Enter how far to move the clock forward: days, hours or both.")
    except FieldRefused as refused:
        return _admin_page(refused=refused, status=422)
    now = store().advance_clock(timedelta(days=days, hours=hours))
    return _back(f"Clock moved forward; sandbox time is now {iso(now)}.")


# Wiping cannot be undone, so it is asked first: with JavaScript the button's dialog asks and its post
# carries confirmed=yes; without, the post opens a page that asks (what goes, what stays), whose button
# carries it. (The JSON control, POST /_sandbox/reset, is for scripts and tests: it does not ask.)


@_admin_form("/admin/reset")
def admin_reset():
    if request.form.get("confirmed") != "yes":
        st = store()
        tenants = st.documents("tenant")
        held = {kind: sum(len(st.documents(kind, t["id"])) for t in tenants) for kind in ("order", "subscription")}
        return render_template("sandbox/confirm_reset.html", tenants=len(tenants), faults=len(st.faults()),
                               calls=len(st.calls()), clock=_clock_json(), **held)
    store().reset()
    return _back("Sandbox wiped and reseeded.")


# A subscription changed in Partner Center itself (by the customer's admin, Microsoft support, another
# tool): what makes the storefront's copy drift, for reconciliation demos and tests. Seats added are a new
# batch of today (inside its own 7-day window); seats removed come off the newest batches, window or not.

def _change_subscription(sub_id: str, quantity=None, auto_renew=None) -> dict:
    from .resources import new_etag

    with store().tx() as tx:
        sub = tx.get("subscription", (sub_id or "").strip().lower())
        if sub is None:
            raise KeyError(f"unknown subscription {sub_id}")
        if quantity is not None and quantity != sub["quantity"]:
            if not sub["_min"] <= quantity <= sub["_max"]:
                raise ValueError(f"seats must be between {sub['_min']} and {sub['_max']}")
            if quantity > sub["quantity"]:
                sub["_batches"].append({"quantity": quantity - sub["quantity"], "addedAt": iso(tx.now())})
            else:
                remove = sub["quantity"] - quantity
                for batch in reversed(sub["_batches"]):
                    take = min(batch["quantity"], remove)
                    batch["quantity"] -= take
                    remove -= take
            sub["quantity"] = quantity
        if auto_renew is not None and auto_renew != sub["autoRenewEnabled"]:
            sub["autoRenewEnabled"] = auto_renew
            if not auto_renew:
                sub["scheduledNextTermInstructions"] = None
        sub["etag"] = new_etag()
        tx.put("subscription", sub["id"], sub)
    return sub


@bp.app_context_processor
def _subscriptions_for_admin():
    """The subscriptions the admin page's "Change a subscription" form offers (with their customer)."""
    def subscriptions():
        st = store()
        names = {t["id"]: t["companyName"] for t in st.documents("tenant")}
        return [dict(s, customer=names.get(s["_tenantId"], s["_tenantId"]))
                for s in st.documents("subscription") if s["status"] in ("active", "suspended")]
    return {"sandbox_subscriptions": subscriptions}


@bp.post("/subscriptions/<sub_id>")
@_answers_refusals
def change_subscription(sub_id):
    data = _payload()
    quantity = _number(data.get("quantity"), "quantity", int)
    auto = data.get("autoRenewEnabled")
    sub = _change_subscription(sub_id, quantity, None if auto in (None, "") else _flag(auto))
    return json_response({"id": sub["id"], "quantity": sub["quantity"], "autoRenewEnabled": sub["autoRenewEnabled"],
                          "etag": sub["etag"]})


@_admin_form("/admin/subscription")
def admin_subscription():
    sub_id = request.form.get("subscriptionId", "")
    auto = request.form.get("autoRenewEnabled", "")
    try:
        quantity = _typed_number("drift-quantity", "quantity", "Seats", minimum=None)  # its range: below
        if quantity is None and auto == "":  # not a change: it would only give the subscription a new etag
            raise FieldRefused("drift-quantity", "Nothing changed: give the seats, an auto-renewal, or both.")
        try:
            sub = _change_subscription(sub_id, quantity, None if auto == "" else auto == "true")
        except ValueError as exc:
            raise FieldRefused("drift-quantity", f"Nothing changed: {exc}.")
        except KeyError:
            raise FieldRefused("drift-subscription", f"Unknown subscription {sub_id}.")
    except FieldRefused as refused:
        return _admin_page(refused=refused, status=422)
    return _back(f"{sub['friendlyName']} now has {sub['quantity']} seats, auto-renewal "
                 f"{'on' if sub['autoRenewEnabled'] else 'off'}, in Partner Center.")
