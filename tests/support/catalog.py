"""Products of the sandbox's catalog that the catalog tests name."""
from __future__ import annotations

BUSINESS_PREMIUM = "CFQ7TTC0LCHC"  # Microsoft 365 Business Premium, seats 1 to 300
BUSINESS_BASIC = "CFQ7TTC0LH18"    # monthly and 1-year terms only
FINANCE = "CFQ7TTC0LGX8"           # Dynamics 365 Finance: at least 20 seats, 1-year term only


def put_in_cart(db, email: str, product_id: str = BUSINESS_PREMIUM, quantity: int = 5, term: str = "P1Y",
                billing_plan: str = "monthly") -> None:
    """Seats of `product_id` in the cart of the user `email`, as Add to cart puts them: what a checkout
    buys (with nothing to buy, its steps lead to the cart: app/checkout/wizard.py, nothing_to_buy)."""
    from app.accounts.models import User
    from app.catalog.cart import cart_for
    from app.catalog.models import CartLine, Product, Sku

    user = db.session.scalar(db.select(User).where(User.email == email))
    sku = db.session.scalar(db.select(Sku).join(Product).where(Product.product_id == product_id, Sku.sku_id == "0001"))
    cart = cart_for(user, create=True)
    cart.lines.append(CartLine(sku=sku, term_duration=term, billing_plan=billing_plan, quantity=quantity))
    db.session.commit()
