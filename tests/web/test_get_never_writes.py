"""GET never writes and never calls Microsoft: every GET route of url_map, as each kind of user,
with a session that records commits and the sandbox recording the calls it receives.

A page that needs Partner Center's answer gets it from a job or a form (POST); a page that changes
something does it on POST. A new GET route that commits or calls Partner Center fails here.
"""
from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.web.test_isolation import SAMPLES, SHARED

ROLES = ("operator_client", "reseller_client", "customer_client", "reseller_member_client")
# Endpoints whose GET answer is a stream that stays open: opened, never read, so nothing runs.
STREAMS = {"checkout.events", "orders.events", "tools.reconciliation_events", "tools.customer_import_events"}


def _get_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static" and rule.endpoint not in STREAMS:
            yield rule


def _url(rule, scene, product_id):
    values = {}
    for name in rule.arguments:
        if rule.endpoint == "layout.section":
            values[name] = "settings"  # a section every kind of account has
        elif rule.endpoint in SHARED:
            values[name] = product_id
        else:
            values[name] = SAMPLES[rule.endpoint][name](scene, "reseller_client")
    return rule.build(values, append_unknown=False)[1]


@pytest.mark.parametrize("who", ROLES)
def test_no_get_route_commits_or_calls_partner_center(app, db, request, scene, sandbox_store, who):
    from app.catalog.models import Product

    client = request.getfixturevalue(who)
    product_id = db.session.scalars(db.select(Product.product_id).order_by(Product.id)).first()
    commits: list[str] = []

    def refuse_commit(session):
        commits.append("commit")

    event.listen(Session, "before_commit", refuse_commit)
    offenders = []
    try:
        for rule in _get_rules(app):
            url = _url(rule, scene, product_id)
            for headers in ({}, {"HX-Request": "true"}):
                commits.clear()
                sandbox_store.clear_calls()
                response = client.get(url, headers=headers)
                response.get_data()  # a streamed answer (a CSV download) runs to its end
                response.close()
                calls = [f"{c['method']} {c['path']}" for c in sandbox_store.calls()]
                if commits or calls or response.status_code >= 500:
                    offenders.append(f"GET {url} ({rule.endpoint}, {'htmx' if headers else 'page'}) as {who}: "
                                     f"status {response.status_code}, {len(commits)} commit(s), "
                                     f"Partner Center calls {calls}")
    finally:
        event.remove(Session, "before_commit", refuse_commit)
    assert not offenders, ("A GET must not write nor call Partner Center; do it on POST or in a job:\n"
                           + "\n".join(offenders))
