"""What every step of the wizard shares: the buyer's draft, the step guard and the step context."""
from __future__ import annotations

from functools import wraps

from flask import flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from app.checkout import services as svc
from app.checkout.forms import CancelForm
from app.checkout.models import STEPS, CheckoutDraft


def draft() -> CheckoutDraft:
    """The buyer's open checkout. A GET never writes: it sees an unsaved draft until the first form
    is sent (which creates it)."""
    user = current_user._get_current_object()
    if request.method == "GET":
        return svc.current_draft(user)
    return svc.open_draft(user)


def guard(draft: CheckoutDraft, step: str):
    """A later step cannot be reached before its prerequisites: send the user to the first open step."""
    if not svc.prerequisites_met(draft, step):
        placed = svc.placed_just_before(draft)
        # The back button after Buy: the checkout it shows is finished, and says so, not "do this step".
        flash(f"Your order {placed} is placed. A new purchase starts here." if placed else "Complete this step first.",
              "info")
        return redirect(url_for(f"checkout.{svc.current_step(draft)}"))
    return None


def cart_url() -> str | None:
    try:
        return url_for("catalog.cart")
    except BuildError:  # the catalog area is optional for the wizard
        return None


def step_context(draft: CheckoutDraft, step: str) -> dict:
    """What the page of a step (templates/checkout/step.html) shows: the stepper, the step's name, the way out."""
    return {"draft": draft, "steps": STEPS, "step": step, "step_label": dict(STEPS)[step],
            "done": set(draft.completed_steps or []), "cancel_form": CancelForm(), "cart_url": cart_url()}


def step(name: str):
    """A view of a wizard step: it receives the buyer's draft, and is not reached before the steps
    it needs are complete (the buyer is sent to the first open step instead)."""

    def decorator(view):
        @wraps(view)
        def with_draft(*args, **kwargs):
            current = draft()
            blocked = guard(current, name)
            if blocked:
                return blocked
            return view(current, *args, **kwargs)

        return with_draft

    return decorator
