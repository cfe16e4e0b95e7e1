"""Catalog views: products, product pages, price lists, the cart, and the operator's sync page.

Thin: parse, authorize, call services, render. Every URL htmx swaps also answers a full page.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import (Response, abort, flash, make_response, redirect, render_template, request, stream_with_context,
                   url_for)
from flask_login import current_user
from markupsafe import Markup
from werkzeug.routing import BuildError
from wtforms.fields.choices import SelectChoice

from app.catalog import bp
from app.catalog import cart as carts
from app.catalog import price_lists as lists
from app.catalog import results_cache
from app.catalog.forms import AddToCartForm, SearchForm, SyncForm
from app.catalog.models import CartLine, CartPurpose, CatalogSync, PriceList, Product, SyncTrigger
from app.catalog.pricing import MARKET_NAMES, Viewer, pricing_for, sku_pricing, viewer_for
from app.catalog.search import Filters, find_product, from_prices, product_families, search_products
from app.catalog.sync import latest_sync
from app.catalog.terms import BILLING_PLANS, TERMS, billing_adverb, billing_label, term_label
from app.extensions import db
from app.web.access import Permission, allow
from app.web.form_pages import form_on
from app.web.layout import USER_ID, layout_fact, register_layout_fact
from app.web.lookup import found_or_404
from app.web.query import ListPage, page_of
from app.web.rendering import hx_trigger, is_htmx, kept_markup, poll_status, redirect_to, render


def _viewer() -> Viewer:
    return viewer_for(current_user._get_current_object())  # (the user itself: each use of the proxy looks it up)


def checkout_url() -> str:
    """Where the cart's Next posts: the checkout of the cart (the checkout area); its address when
    that area is not loaded."""
    try:
        return url_for("checkout.from_cart")
    except BuildError:
        return "/checkout/cart"


def buy_now_url() -> str:
    """The checkout wizard, where a Buy now goes on: while the Buy now holds a product, the checkout
    buys it (app.checkout), until it is placed or discarded, or the cart's Next is pressed."""
    try:
        return url_for("checkout.start")
    except BuildError:
        return "/checkout/"


# The header's Cart badge: the lines in the user's cart (buyers only), read with the layout's other facts.
register_layout_fact("cart_lines", lambda kind: carts.cart_count_expression(USER_ID)
                     if kind in ("reseller", "customer") else None)


@bp.app_template_global()
def cart_badge_count() -> int:
    return layout_fact("cart_lines") or 0


bp.add_app_template_global(MARKET_NAMES, "market_names")


# ---------------------------------------------------------------- products


def _searched() -> str:
    return request.args.get("q", "").strip()[:200]


def _page() -> int:
    try:
        return int(request.args.get("page", 1))
    except ValueError:
        return 1


def _filters() -> Filters:
    args = request.args
    term = args.get("term", "")
    billing = args.get("billing", "")
    return Filters(q=_searched(), family=args.get("family", "").strip()[:64],
                   term=term if term in TERMS else "", billing=billing if billing in BILLING_PLANS else "",
                   page=_page())


def _search_form(viewer: Viewer, families: list[str]) -> SearchForm:
    form = SearchForm(request.args)
    form.family.choices = [SelectChoice("", "All families")] + [SelectChoice(f, f) for f in families]
    form.billing.choices = [SelectChoice("", "Any billing plan")] + [
        SelectChoice(b, billing_label(b)) for b in viewer.billing_plans]
    return form


@dataclass
class AddToCart:
    """What the add-to-cart form of one product shows: its choices, the values, and any messages.

    Rendered with plain markup (not WTForms widgets): the product list shows twenty of these and
    must stay fast; AddToCartForm parses what comes back.
    """

    product: Product
    skus: list[tuple[str, str]]
    terms: list[tuple[str, str]]
    plans: list[tuple[str, str]]
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    message: str | None = None


def _add_forms(viewer, products) -> dict:
    """An add-to-cart form per product (buyers only), with the SKUs and terms it offers."""
    if viewer.kind not in ("reseller", "customer"):
        return {}
    pricing = pricing_for(viewer, products)
    return {p.product_id: _add_form(p, pricing[p.product_id]) for p in products
            if any(sp.options for sp in pricing[p.product_id])}


def _add_form(product: Product, pricing: list, posted: AddToCartForm | None = None) -> AddToCart:
    options = {pair for sp in pricing for pair in sp.options}
    terms = [t for t in TERMS if any(o[0] == t for o in options)]
    plans = [b for b in BILLING_PLANS if any(o[1] == b for o in options)]
    add = AddToCart(product, [(str(sp.sku.id), sp.sku.title) for sp in pricing if sp.options],
                    [(t, TERMS[t]) for t in terms], [(b, BILLING_PLANS[b]) for b in plans])
    if posted is not None:
        add.values = {"sku": posted.sku.data, "term": posted.term.data, "billing_plan": posted.billing_plan.data,
                      "quantity": posted.quantity.data}
    elif options:
        add.values = {"sku": add.skus[0][0], "term": "P1Y" if "P1Y" in terms else terms[0],
                      "billing_plan": "monthly" if "monthly" in plans else plans[0],
                      "quantity": str(min(sp.sku.min_quantity for sp in pricing if sp.options))}
    return add


@bp.route("/catalog/products")
@allow(Permission.CATALOG)
def products():
    viewer = _viewer()
    filters = _filters()
    # The results (search as you type, and the page around them): from the cache while the catalog
    # is unchanged, as they are the most expensive part of the page to build.
    fragment, _ = results_cache.cached_fragment(viewer, filters, lambda: _results_fragment(viewer, filters))
    if is_htmx():
        response = make_response(fragment["html"])
        response.vary.add("HX-Request")
        response.headers["HX-Push-Url"] = fragment["push_url"]
        return response
    # (A fragment kept by the release before this one has no families.)
    search_filters = _search_filters(viewer, fragment.get("families") or product_families())
    return render("catalog/products.html", viewer=viewer, filters=filters, search_filters=search_filters,
                  results=Markup(fragment["html"]), headers={"HX-Push-Url": fragment["push_url"]})


_SEARCH_FILTERS: dict[tuple, Markup] = {}


def _search_filters(viewer: Viewer, families: list[str]) -> Markup:
    """The search form's filters (catalog/_search_filters.html, the fields of _search_form), drawn once for what
    they show and kept: building the form and escaping each option of every page was about a sixth of it
    (cProfile, issue 14). What they show is all in the key: the address, the choices (the families; the billing
    plans the viewer is offered; the terms, fixed) and the value asked of each field, which is what the form takes
    (a select's data: the first value sent under its name, or None)."""
    args = request.args
    url = url_for("catalog.products")
    key = (url, tuple(families), tuple(viewer.billing_plans), args.get("family"), args.get("term"), args.get("billing"))

    def values() -> dict:  # the form is built only to draw filters not kept yet
        form = _search_form(viewer, families)
        return {"fields": (form.family, form.term, form.billing), "url": url}

    return kept_markup(_SEARCH_FILTERS, key, "catalog/_search_filters.html", values)


def _push_url(filters: Filters, result: ListPage) -> str:
    """The address htmx pushes: only the filters in use, so it reads well and reloads the same result."""
    return url_for("catalog.products", **filters.args(page=result.page))


def _results_fragment(viewer: Viewer, filters: Filters) -> dict:
    result = search_products(viewer, filters)
    html = render_template("catalog/_product_results.html", viewer=viewer, filters=filters, result=result,
                           from_prices=from_prices(viewer, result.rows), add_forms=_add_forms(viewer, result.rows))
    # The search form's families change with the catalog only: kept with the results, read with them.
    return {"html": html, "push_url": _push_url(filters, result), "families": product_families()}


def _product_or_404(product_id: str) -> Product:
    return found_or_404(find_product(product_id))


@bp.route("/catalog/products/<product_id>")
@allow(Permission.CATALOG)
def product(product_id: str):
    viewer = _viewer()
    product = _product_or_404(product_id)
    pricing = sku_pricing(viewer, product)
    add = _add_form(product, pricing) if viewer.kind in ("reseller", "customer") and any(
        sp.options for sp in pricing) else None
    return render("catalog/product.html", viewer=viewer, product=product, pricing=pricing, add=add)


@bp.route("/catalog/products/<product_id>/cart", methods=["POST"])
@allow(Permission.CART)
@form_on("catalog.product")
def add_to_cart(product_id: str):
    viewer = _viewer()
    product = _product_or_404(product_id)
    pricing = sku_pricing(viewer, product)
    form = AddToCartForm(formdata=request.form)
    add = _add_form(product, pricing, posted=form)
    sku = next((s for s in product.skus if str(s.id) == (form.sku.data or "")), None)
    # "Buy now": the purchase wizard for these seats alone; the cart stays as it is.
    buying_now = request.form.get("action") == "buy_now"
    # Every field at fault at once, each next to itself.
    add.errors = carts.addition_refusals(viewer, product, sku, form.term.data, form.billing_plan.data,
                                         form.quantity.data)
    if not add.errors:
        quantity = carts.parse_quantity(form.quantity.data)
        try:
            if buying_now:
                carts.buy_now(current_user, viewer, sku, form.term.data, form.billing_plan.data, quantity)
            else:
                carts.add_to_cart(current_user, viewer, sku, form.term.data, form.billing_plan.data, quantity)
        except carts.CartError as exc:  # the seats already in the cart with these
            db.session.rollback()
            add.errors[exc.field] = str(exc)
    if add.errors:
        if is_htmx():
            return render("catalog/_add_to_cart.html", status=422, add=add, viewer=viewer,
                          compact=request.form.get("compact") == "1")
        return render("catalog/product.html", status=422, viewer=viewer, product=product, pricing=pricing, add=add)
    if buying_now:
        db.session.commit()
        return redirect_to(buy_now_url())
    db.session.commit()
    message = (f"Added {quantity} × {sku.title} ({term_label(form.term.data)} term, billed "
               f"{billing_adverb(form.billing_plan.data)}) to your cart.")
    if not is_htmx():
        flash(message, "success")
        return redirect(url_for("catalog.cart"))
    fresh = _add_form(product, pricing)
    fresh.message = message
    response = render("catalog/_add_to_cart_response.html", add=fresh, viewer=viewer,
                      compact=request.form.get("compact") == "1")
    return hx_trigger(response, "cart-updated")


# ---------------------------------------------------------------- price lists


@bp.route("/catalog/price-lists")
@allow(Permission.CATALOG)
def price_lists():
    viewer = _viewer()
    return render("catalog/price_lists.html", viewer=viewer, price_lists=lists.price_lists_for(viewer))


def _price_list_asked(market: str) -> tuple[Viewer, PriceList, str]:
    """What a price list's page and its CSV show: the viewer, the list of `market` (404 for none,
    403 for one the viewer may not see) and the search typed."""
    viewer = _viewer()
    market = market.upper()
    price_list = db.first_or_404(db.select(PriceList).where(PriceList.market == market))
    if not lists.may_see_price_list(viewer, market):
        abort(403)
    return viewer, price_list, _searched()


@bp.route("/catalog/price-lists/<market>")
@allow(Permission.CATALOG)
def price_list(market: str):
    viewer, price_list, q = _price_list_asked(market)
    found = page_of(lists.price_list_query(viewer, price_list.market, q), _page(), lists.PAGE_SIZE)
    clean = url_for("catalog.price_list", market=price_list.market, q=q or None,
                    page=found.page if found.page > 1 else None)
    return render("catalog/price_list.html", "catalog/_price_list_entries.html", viewer=viewer,
                  price_list=price_list, entries=found.rows, total=found.total, page_no=found.page,
                  pages=found.pages, q=q,
                  headers={"HX-Push-Url": clean})


@bp.route("/catalog/price-lists/<market>/download.csv")
@allow(Permission.CATALOG)
def price_list_csv(market: str):
    viewer, price_list, q = _price_list_asked(market)
    filename = f"price-list-{price_list.market}-{price_list.currency}.csv"
    return Response(stream_with_context(lists.price_list_csv(viewer, price_list.market, q)),
                    mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# ---------------------------------------------------------------- cart


def _cart_response(status: int = 200, errors: dict | None = None, quantities: dict | None = None,
                   line_id: int | None = None, said: str | None = None):
    """The cart page; to htmx, the whole cart, or with `line_id` only that line (nothing if it is
    gone) plus the summary and badge out of band, so no other line's quantity field is replaced
    while someone types in it. An emptied cart is answered whole (its empty message replaces the
    table). `said`: what the change did, said to htmx in the flash region (catalog/_cart_said.html)."""
    viewer = _viewer()
    if is_htmx():
        view = carts.cart_view(current_user._get_current_object(), viewer)
        context = {}
    else:
        # The page says when a Buy now's checkout is going on (its stepper's Cart link leads here), as
        # this cart's Next would replace it.
        view, buying_now = carts.cart_and_buy_now(current_user._get_current_object(), viewer)
        context = dict(buying_now=buying_now, buy_now_url=buy_now_url())
    context.update(viewer=viewer, cart=view, errors=errors or {}, quantities=quantities or {},
                   checkout_url=checkout_url(), said=said)
    if line_id is not None and is_htmx() and view.lines:
        lv = next((lv for lv in view.lines if lv.line.id == line_id), None)
        return render("catalog/cart.html", "catalog/_cart_line_response.html", status=status, lv=lv, **context)
    # (settle:0ms as the line's controls say it: catalog/_cart_line.html)
    headers = {"HX-Retarget": "#cart", "HX-Reswap": "outerHTML settle:0ms"} if line_id is not None else None
    return render("catalog/cart.html", "catalog/_cart_response.html", status=status, headers=headers, **context)


@bp.route("/cart")
@allow(Permission.CART)
def cart():
    return _cart_response()


def cart_refused(errors: dict, quantities: dict):
    """The cart page (422) with typed quantities it refuses, each kept in its field beside its message:
    what the checkout answers a Next whose typed quantities are refused."""
    return _cart_response(422, errors=errors, quantities=quantities)


def _own_line(line_id: int) -> CartLine:
    line = db.session.get(CartLine, line_id)
    if line is None or line.cart.user_id != current_user.id or line.cart.purpose != CartPurpose.CART:
        abort(404)
    return line


def _save_other_fields(line_id: int) -> tuple[dict, dict]:
    """Without JavaScript a line's Update, minus, plus and Remove send the whole cart form: the
    quantities typed in the other lines' fields are saved as Enter saves them, not lost (with
    JavaScript each field's change event has sent its own). Their refusals and what was typed."""
    if is_htmx():
        return {}, {}
    others = {name: value for name, value in request.form.items() if name != f"quantity-{line_id}"}
    typed, refused = carts.apply_typed_quantities(current_user._get_current_object(), others)
    return refused, {other: typed[other] for other in refused}


@bp.route("/cart/lines/<int:line_id>", methods=["POST"])
@allow(Permission.CART)
@form_on("catalog.cart")
def update_line(line_id: int):
    line = _own_line(line_id)
    change = request.form.get("change", "set")
    # The line's field is named by its line (every button of the cart's form sends every line's field);
    # "quantity" from older pages.
    typed = request.form.get(f"quantity-{line_id}", request.form.get("quantity"))
    problem = None
    try:
        if change in ("increase", "decrease"):
            # One more or fewer than the field shows: a number typed there without Update counts.
            try:
                shown = carts.parse_quantity(typed) if typed is not None else line.quantity
            except carts.CartError:
                shown = line.quantity
            quantity = shown + 1 if change == "increase" else shown - 1
        else:
            quantity = carts.parse_quantity(typed)
        carts.set_line_quantity(line, quantity)
    except carts.CartError as exc:
        db.session.rollback()
        problem = carts.refusal_keeping(line, exc)
    others_refused, others_typed = _save_other_fields(line_id)
    db.session.commit()
    if problem:
        # The field keeps what was typed, beside the message; the saved quantity is unchanged.
        return _cart_response(422, errors={**others_refused, line_id: problem},
                              quantities={**others_typed, **({line_id: typed or ""} if change == "set" else {})},
                              line_id=line_id)
    if others_refused:
        return cart_refused(others_refused, others_typed)
    if not is_htmx():
        return redirect(url_for("catalog.cart"))
    return hx_trigger(_cart_response(line_id=line_id), "cart-updated")


@bp.route("/cart/update", methods=["POST"])
@allow(Permission.CART)
@form_on("catalog.cart")
def update_cart():
    """Enter in a quantity field without JavaScript: every line's field saved, a refused one kept in its
    field beside its message (the others saved). CSRFProtect has checked the token."""
    typed, refused = carts.apply_typed_quantities(current_user._get_current_object(), request.form)
    db.session.commit()
    if refused:
        return cart_refused(refused, {line_id: typed[line_id] for line_id in refused})
    if not is_htmx():
        flash("Your cart was updated.", "success")
        return redirect(url_for("catalog.cart"))
    return hx_trigger(_cart_response(), "cart-updated")


@bp.route("/cart/lines/<int:line_id>/remove", methods=["POST"])
@allow(Permission.CART)
@form_on("catalog.cart")
def remove_line(line_id: int):
    line = _own_line(line_id)
    said = f"{line.sku.title} was removed from your cart."
    others_refused, others_typed = _save_other_fields(line_id)
    carts.remove_line(line)
    db.session.commit()
    if others_refused:
        flash(said, "success")
        return cart_refused(others_refused, others_typed)
    if not is_htmx():
        flash(said, "success")
        return redirect(url_for("catalog.cart"))
    return hx_trigger(_cart_response(line_id=line_id, said=said), "cart-updated")


# ---------------------------------------------------------------- the operator's sync page


@bp.route("/admin/catalog", methods=["GET", "POST"])
@allow(Permission.ADMIN_VIEW, post=Permission.TOOLS_RUN)
def sync():
    form = SyncForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        from app.audit import services as audit
        from app.catalog.jobs import start_sync
        from app.web.origin import request_origin

        run = start_sync(SyncTrigger.MANUAL, current_user)
        audit.record("catalog_sync_requested", actor=current_user, subject=f"Catalog sync {run.id}",
                     origin=request_origin())
        db.session.commit()
        return redirect(url_for("catalog.sync"))
    latest = latest_sync()
    history = db.session.scalars(db.select(CatalogSync).order_by(CatalogSync.id.desc()).limit(10)).all()
    counts = {
        "products": db.session.scalar(db.select(db.func.count(Product.id)).where(Product.available.is_(True))),
        "withdrawn": db.session.scalar(db.select(db.func.count(Product.id)).where(Product.available.is_(False))),
    }
    from app.admin.settings import StorefrontSettings

    return render("catalog/sync.html", form=form, sync=latest, history=history, counts=counts,
                  price_lists=db.session.scalars(db.select(PriceList).order_by(PriceList.market)).all(),
                  automatic=StorefrontSettings.load().automatic_catalog_update)


@bp.route("/admin/catalog/syncs/<int:sync_id>")
@allow(Permission.ADMIN_VIEW)
def sync_status(sync_id: int):
    """One run's progress; htmx polls it every second until it ends (286 stops the polling)."""
    run = found_or_404(db.session.get(CatalogSync, sync_id))
    return render("catalog/sync_status.html", "catalog/_sync_status.html", sync=run,
                  status=poll_status(run.done and is_htmx()))
