"""The cart: one per buyer, its lines checked against the catalog, seat limits and prices each
time it is shown; and, apart from it, the one product of a "Buy now" (CartPurpose.BUY_NOW), so
buying one product at once leaves the cart as it is. Write operations flush; the view commits."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import contains_eager, joinedload

from app.catalog.models import Cart, CartLine, CartPurpose, Offer, PriceListEntry, Product, Sku
from app.catalog.pricing import Viewer, price_entry, sku_offer
from app.catalog.terms import BILLING_PLANS, TERMS, billing_adverb, seats, term_adjective
from app.extensions import db
from app.time import utcnow


class CartError(ValueError):
    """A cart change that cannot be made; `field` says which form field the message belongs to."""

    def __init__(self, message: str, field: str = "quantity") -> None:
        super().__init__(message)
        self.field = field


# The cart with its lines, their SKUs, products and offers in one statement (a SKU has an offer per market the
# catalog holds, a few rows per line; four statements before, then two: the offers' second statement was an
# eighth of the cart page), built once: every cart page and change runs it.
# (On first use: a relationship in a statement configures every mapper, which cannot happen while the models
# are still being imported.)
@cache
def _cart_statement():
    return (select(Cart).where(Cart.user_id == bindparam("user_id"), Cart.purpose == bindparam("purpose"))
            .options(joinedload(Cart.lines).joinedload(CartLine.sku).options(joinedload(Sku.product),
                                                                               joinedload(Sku.offers))))


def cart_for(user, create: bool = False, purpose: str = CartPurpose.CART) -> Cart | None:
    cart = db.session.execute(_cart_statement(), {"user_id": user.id, "purpose": purpose}).unique().scalar_one_or_none()
    if cart is None and create:
        cart = Cart(user_id=user.id, purpose=purpose)
        cart.lines = []
        db.session.add(cart)
        db.session.flush()
    return cart


def cart_count_expression(user_id):
    """The number of lines in the cart of the user `user_id` (a value or a bind parameter), as a scalar
    SQL expression."""
    return select(func.count(CartLine.id)).join(Cart).where(
        Cart.user_id == user_id, Cart.purpose == CartPurpose.CART).scalar_subquery()



@cache
def _anything_statement():
    return select(CartLine.id).join(Cart).where(Cart.user_id == bindparam("user_id")).limit(1)


def anything_to_buy(user) -> bool:
    """The user's checkout has something to buy: a line in the cart, or a Buy now held."""
    return db.session.scalar(_anything_statement(), {"user_id": user.id}) is not None


def withdrawn_message(sku: Sku) -> str:
    return (f"{sku.product.title} is no longer sold: Microsoft withdrew it from the catalog. "
            f"Remove it from your cart to continue.")


def check_quantity(sku: Sku, quantity: int, *, already: int = 0) -> None:
    name = sku.product.title
    if quantity + already < sku.min_quantity:
        raise CartError(f"{name} needs at least {sku.min_quantity} "
                        f"seat{'s' if sku.min_quantity != 1 else ''}.")
    if quantity + already > sku.max_quantity:
        extra = f" Your cart already has {already}." if already else ""
        raise CartError(f"{name} allows at most {sku.max_quantity} seats.{extra}")


def parse_quantity(raw: Any) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise CartError("Enter the number of seats as a whole number, like 5.")
    return value


def offer_refusals(viewer: Viewer, sku: Sku, term: str, billing: str) -> dict[str, str]:
    """Why `sku` cannot be bought by this viewer on `term`/`billing`, by form field ("sku", "term",
    "billing_plan"): every field at fault at once, empty when it can."""
    product = sku.product
    if not (product.available and sku.available):
        return {"sku": withdrawn_message(sku).replace(" Remove it from your cart to continue.", "")}
    refused: dict[str, str] = {}
    if term not in TERMS:
        refused["term"] = "Choose a term."
    if billing not in BILLING_PLANS:
        refused["billing_plan"] = "Choose a billing plan."
    elif billing not in viewer.billing_plans:
        refused["billing_plan"] = "Only monthly billing is offered. Choose Monthly."
    offer = sku_offer(sku, viewer.market)
    if offer is None:
        refused["sku"] = f"{sku.title} is not sold in your market ({viewer.market})."
    if refused:
        return refused
    if (term, billing) not in {(t.term_duration, t.billing_plan) for t in offer.terms}:
        return {"billing_plan": f"{sku.title} is not offered on a {term_adjective(term)} term billed "
                                f"{billing_adverb(billing)}. See Pricing for the combinations offered."}
    if price_entry(viewer.market, sku, term, billing) is None:
        return {"billing_plan": f"No price is published yet for {sku.title} on a {term_adjective(term)} term billed "
                                f"{billing_adverb(billing)}."}
    return {}


def addition_refusals(viewer: Viewer, product, sku: Sku | None, term: str, billing: str,
                      raw_quantity: Any) -> dict[str, str]:
    """Every field of an Add to cart or Buy now of `product` that cannot be taken, each with its own
    message, so a term the SKU is not offered on and a quantity of 0 are both said at once. `sku`:
    the product's SKU chosen (None: none of its SKUs)."""
    if sku is None:
        refused = {"sku": f"{product.title} is no longer sold: Microsoft withdrew it from the catalog."
                   if not product.available else "Choose a SKU."}
    else:
        refused = offer_refusals(viewer, sku, term, billing)
    try:
        quantity = parse_quantity(raw_quantity)
        if sku is not None:
            check_quantity(sku, quantity)
    except CartError as error:
        refused.setdefault(error.field, str(error))
    return refused


def _check_offered(viewer: Viewer, sku: Sku, term: str, billing: str) -> None:
    """`sku` can be bought by this viewer on `term`/`billing`; else a CartError for the first field to fix."""
    for field_name, message in offer_refusals(viewer, sku, term, billing).items():
        raise CartError(message, field_name)


def add_to_cart(user, viewer: Viewer, sku: Sku, term: str, billing: str, quantity: int) -> CartLine:
    """Put seats of `sku` on `term`/`billing` in the user's cart (adding to a line that has them)."""
    _check_offered(viewer, sku, term, billing)
    cart = cart_for(user, create=True)
    line = next((l for l in cart.lines if l.sku_pk == sku.id and l.term_duration == term
                 and l.billing_plan == billing), None)
    check_quantity(sku, quantity, already=line.quantity if line else 0)
    if line is None:
        line = CartLine(sku=sku, term_duration=term, billing_plan=billing, quantity=quantity)
        cart.lines.append(line)
    else:
        line.quantity += quantity
    cart.updated_at = utcnow()
    db.session.flush()
    return line


def buy_now(user, viewer: Viewer, sku: Sku, term: str, billing: str, quantity: int) -> CartLine:
    """The user's Buy now: exactly these seats, replacing any earlier Buy now; the cart is untouched."""
    _check_offered(viewer, sku, term, billing)
    check_quantity(sku, quantity)
    cart = cart_for(user, create=True, purpose=CartPurpose.BUY_NOW)
    for old in list(cart.lines):
        db.session.delete(old)
    cart.lines.clear()
    db.session.flush()
    line = CartLine(sku=sku, term_duration=term, billing_plan=billing, quantity=quantity)
    cart.lines.append(line)
    cart.updated_at = utcnow()
    db.session.flush()
    return line


def set_line_quantity(line: CartLine, quantity: int) -> None:
    """Change a line's quantity within the SKU's seat limits; on error the line keeps its quantity."""
    if not (line.sku.available and line.sku.product.available):
        raise CartError(withdrawn_message(line.sku))
    check_quantity(line.sku, quantity)
    line.quantity = quantity
    line.cart.updated_at = utcnow()
    db.session.flush()


def refusal_keeping(line: CartLine, error: CartError) -> str:
    """A typed quantity's refusal, saying which number the cart keeps meanwhile (so nobody takes the
    number still in the field for the one that will be bought)."""
    if not (line.sku.available and line.sku.product.available):
        return str(error)
    return f"{error} Your cart still has {seats(line.quantity)}."


def apply_typed_quantities(user, form) -> tuple[dict[int, str], dict[int, str]]:
    """The quantities the cart page's fields showed (``form``, the posted cart form: its Next, or Enter
    in a field) set on the user's lines, checked as a line's Update checks them (a refused one leaves
    its line as it was). Returns what was typed and the refusals, by line id."""
    cart = cart_for(user)
    typed: dict[int, str] = {}
    refused: dict[int, str] = {}
    for line in cart.lines if cart is not None else []:
        raw = form.get(f"quantity-{line.id}")
        if raw is None:
            continue
        typed[line.id] = raw
        try:
            quantity = parse_quantity(raw)
            if quantity != line.quantity:
                set_line_quantity(line, quantity)
        except CartError as error:
            refused[line.id] = refusal_keeping(line, error)
    return typed, refused


def remove_line(line: CartLine) -> None:
    db.session.delete(line)
    db.session.flush()


def empty_cart(user, purpose: str = CartPurpose.CART) -> None:
    """The cart after its order was placed: the lines go, the cart stays for the next purchase."""
    cart = cart_for(user, purpose=purpose)
    if cart is not None:
        for line in list(cart.lines):
            db.session.delete(line)
        db.session.flush()


@dataclass
class CartLineView:
    line: CartLine
    entry: PriceListEntry | None
    problem: str | None
    price: Decimal | None = None
    subtotal: Decimal | None = None
    currency: str | None = None
    # What the line's controls are named by ("Increase quantity of ...", "Remove ..."): set by cart_view.
    name: str = ""


def _name_lines(lines: list[CartLineView]) -> None:
    """Each line's name for its controls: its SKU, with its term and billing plan when another line has
    the same SKU, so that a screen reader, or a person finding a control by its label, tells the
    lines' −, +, Quantity, Update and Remove apart."""
    titles = [lv.line.sku.title for lv in lines]
    for lv in lines:
        line = lv.line
        lv.name = line.sku.title if titles.count(line.sku.title) == 1 else (
            f"{line.sku.title} ({term_adjective(line.term_duration)} term, billed {billing_adverb(line.billing_plan)})")


@dataclass
class CartView:
    lines: list[CartLineView] = field(default_factory=list)
    totals: dict[str, Decimal] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        return [l.problem for l in self.lines if l.problem]

    @property
    def ready(self) -> bool:
        return bool(self.lines) and not self.problems


def cart_view(user, viewer: Viewer, purpose: str = CartPurpose.CART) -> CartView:
    return _views(user, viewer, (purpose,))[0]


def cart_and_buy_now(user, viewer: Viewer) -> tuple[CartView, CartLine | None]:
    """The cart's view, and the seats a Buy now holds apart from the cart while its checkout goes on (None: no Buy
    now), read together."""
    view, held = _views(user, viewer, (CartPurpose.CART, CartPurpose.BUY_NOW))
    return view, (held.lines[0].line if held.lines else None)


def _views(user, viewer: Viewer, purposes: tuple[str, ...]) -> list[CartView]:
    """The view of each of the user's carts of these purposes, read in one statement (_view_statement)."""
    rows = db.session.execute(_view_statement(len(purposes)), {
        "user_id": user.id, "market": viewer.market, **{f"purpose_{i}": p for i, p in enumerate(purposes)}}).unique()
    carts: dict[str, Cart] = {}
    entries: dict[tuple, PriceListEntry] = {}
    for cart, entry in rows:
        carts[cart.purpose] = cart
        if entry is not None:
            key = (entry.product_id, entry.sku_id, entry.term_duration, entry.billing_plan)
            if key not in entries or entry.tier_min < entries[key].tier_min:
                entries[key] = entry  # the lowest tier, as price_entry answers
    return [_view(carts.get(purpose), viewer, entries) for purpose in purposes]


# A cart page's carts (the cart, and the Buy now's) with their lines, SKUs, products and offers, and each line's
# price entries in the viewer's market, in one statement: the price of each line, and the Buy now, were a
# statement each before (with the user's, four statements on a cart page of one line, now two; issue 14).
# Built once per number of purposes.
@cache
def _view_statement(purposes: int):
    purpose = [bindparam(f"purpose_{i}") for i in range(purposes)]
    price = and_(PriceListEntry.market == bindparam("market"), PriceListEntry.product_id == Product.product_id,
                 PriceListEntry.sku_id == Sku.sku_id, PriceListEntry.term_duration == CartLine.term_duration,
                 PriceListEntry.billing_plan == CartLine.billing_plan)
    return (select(Cart, PriceListEntry)
            .where(Cart.user_id == bindparam("user_id"), Cart.purpose.in_(purpose))
            .outerjoin(Cart.lines).outerjoin(CartLine.sku).outerjoin(Sku.product).outerjoin(Sku.offers)
            .outerjoin(PriceListEntry, price)
            .options(contains_eager(Cart.lines).contains_eager(CartLine.sku).options(contains_eager(Sku.product),
                                                                                   contains_eager(Sku.offers)))
            .order_by(CartLine.id, Offer.country))  # the order of Cart.lines and of Sku.offers


def _view(cart: Cart | None, viewer: Viewer, entries: dict[tuple, PriceListEntry]) -> CartView:
    view = CartView()
    if cart is None:
        return view
    for line in cart.lines:
        sku = line.sku
        entry = entries.get((sku.product.product_id, sku.sku_id, line.term_duration, line.billing_plan))
        problem = None
        if not (sku.available and sku.product.available):
            problem = withdrawn_message(sku)
        elif sku_offer(sku, viewer.market) is None or entry is None:
            problem = f"{sku.title} is no longer offered on this term and billing plan. Remove it to continue."
        elif line.billing_plan not in viewer.billing_plans:
            problem = "Only monthly billing is offered now. Remove this line and add it again billed monthly."
        lv = CartLineView(line, entry, problem)
        if entry is not None and not problem:
            lv.price = viewer.pays(entry)
            lv.subtotal = lv.price * line.quantity
            lv.currency = entry.currency
            view.totals[entry.currency] = view.totals.get(entry.currency, Decimal(0)) + lv.subtotal
        view.lines.append(lv)
    _name_lines(view.lines)
    return view
