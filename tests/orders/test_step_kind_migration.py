"""Upgrading an installation that already has orders gives every stored step the kind the engine
runs it by: a purchase step its own name, a change step (change_1, change_2, ...) subscriptions'."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_migrate import upgrade

from app.extensions import db
from app.orders.engine import STEP_KINDS
from tests.helpers import make_app

BEFORE = "b5d1e7f3a902"  # the revision before order_steps.kind
STEP_KINDS_REVISION = "d4e8a1c7f203"


def _row(table: sa.Table, **values) -> dict:
    """`values`, plus a plain value for every other column the table requires."""
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None or column.primary_key:
            continue
        row[column.name] = {str: "x", int: 1, bool: False, Decimal: Decimal("0"),
                            datetime: datetime(2025, 1, 1)}[column.type.python_type]
    return row


def test_existing_steps_get_the_kind_of_their_runner(tmp_path, embedded_redis_url):
    app = make_app("sqlite:///" + str(tmp_path / "upgrade.db"), embedded_redis_url, tmp_path / "instance")
    with app.app_context():
        upgrade(revision=BEFORE)
        tables = sa.MetaData()
        tables.reflect(db.engine, only=["orders", "order_steps"])
        orders, steps = tables.tables["orders"], tables.tables["order_steps"]
        with db.engine.begin() as conn:
            conn.execute(orders.insert().values(_row(orders, id=1, number="ORD-AAAA-BBBB-CCCC")))
            conn.execute(orders.insert().values(_row(orders, id=2, number="ORD-DDDD-EEEE-FFFF")))
            names = {1: ["create_customer", "attest_mca", "create_cart", "checkout", "wait_fulfillment",
                         "record_subscriptions"], 2: ["change_1", "change_2"]}
            for order_id, step_names in names.items():
                for position, name in enumerate(step_names):
                    conn.execute(steps.insert().values(_row(steps, order_id=order_id, position=position, name=name)))

        upgrade(revision=STEP_KINDS_REVISION)

        with db.engine.connect() as conn:
            kinds = dict(conn.execute(sa.text("SELECT name, kind FROM order_steps")).all())
        db.engine.dispose()
    assert kinds == {"create_customer": "create_customer", "attest_mca": "attest_mca", "create_cart": "create_cart",
                     "checkout": "checkout", "wait_fulfillment": "wait_fulfillment",
                     "record_subscriptions": "record_subscriptions",
                     "change_1": "change_subscription", "change_2": "change_subscription"}
    assert set(kinds.values()) <= set(STEP_KINDS)  # each is a kind the areas register
