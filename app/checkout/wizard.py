"""What every step of the wizard shares: the buyer's draft, the step guard and the step context."""
from __future__ import annotations

from functools import wraps

from flask import flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from app.catalog.cart import anything_to_buy
from app.checkout import services as svc
from app.checkout.models import STEPS, CheckoutDraft
from app.web.layout import layout_fact
from app.web.rendering import redirect_to


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


def nothing_to_buy():
    """The checkout has nothing to buy (the cart emptied by its order placed, as the back button after Buy
    finds it, or its last line removed): every step sends the buyer to the cart, saying so, instead of
    asking for a customer, a tenant and an agreement that only the Review would find buy nothing. None
    when there is something to buy. Asked before the draft is read, so a form sent creates none."""
    user = current_user._get_current_object()
    # The header's cart count, read with the signed-in user, answers for a cart with lines without a statement
    # of its own (a held Buy now is not in it: asked only when the cart is empty).
    if layout_fact("cart_lines") or anything_to_buy(user):
        return None
    placed = svc.placed_just_before(svc.current_draft(user))
    flash(f"Your order {placed} is placed. A new purchase starts here." if placed
          else "Your cart is empty: add products to it before you check out.", "info")
    return redirect_to(cart_url() or url_for("home.index"))


# Every step's form after the Customer step sends the customer its page was shown for
# (templates/checkout/_for_customer.html): another tab may have changed the checkout's customer since.
FOR_CUSTOMER = "for_customer"


def customer_key(draft: CheckoutDraft) -> str:
    return str(draft.licensee_id or "")


def customer_changed(draft: CheckoutDraft, step: str):
    """A step's page sent for another customer than the checkout's now (changed in another tab or window):
    nothing it holds is saved (a tenant, an MCA acceptance, an order for the wrong customer); the step is
    shown again for the customer it has now, saying why. None when the page was for this customer."""
    sent = request.form.get(FOR_CUSTOMER)
    if request.method != "POST" or sent is None or sent == customer_key(draft):
        return None
    name = draft.customer_name
    flash(f"The customer of this checkout was changed to {name} in another tab or window, so what the page you sent "
          f"(for another customer) held was not saved. Check this step for {name}, then go on.", "warning")
    return redirect_to(url_for(f"checkout.{step}"))


def cart_url() -> str | None:
    try:
        return url_for("catalog.cart")
    except BuildError:  # the catalog area is optional for the wizard
        return None


def step_context(draft: CheckoutDraft, step: str) -> dict:
    """What the page of a step (templates/checkout/step.html) shows: the stepper, the step's name, the way out."""
    return {"draft": draft, "steps": STEPS, "step": step, "step_label": dict(STEPS)[step],
            "done": set(draft.completed_steps or []), "cart_url": cart_url()}


def step(name: str):
    """A view of a wizard step: it receives the buyer's draft, and is not reached with nothing to buy
    (the buyer is sent to the cart) nor before the steps it needs are complete (to the first open step)."""

    def decorator(view):
        @wraps(view)
        def with_draft(*args, **kwargs):
            empty = nothing_to_buy()
            if empty:
                return empty
            current = draft()
            blocked = guard(current, name) or customer_changed(current, name)
            if blocked:
                return blocked
            return view(current, *args, **kwargs)

        return with_draft

    return decorator
