"""Running the operator's tools as an operator admin does: the page's form, then the worker (in-process)."""
from __future__ import annotations

from app.extensions import db
from app.tools.models import CustomerImportRun, ReconciliationRun
from tests.support.orders import work


def _started(client, redis, url: str, form: dict, model):
    response = client.post(url, form)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    work(redis)
    db.session.expire_all()
    return db.session.get(model, int(response.headers["Location"].rsplit("/", 1)[1]))


def run_reconciliation(client, redis, **form) -> ReconciliationRun:
    """Start a reconciliation (scope "all" unless told otherwise) and let the worker run it."""
    return _started(client, redis, "/admin/reconciliation", {"scope": "all", **form}, ReconciliationRun)


def read_customers(client, redis) -> CustomerImportRun:
    """Start a customer import's reading of Partner Center and let the worker run it."""
    return _started(client, redis, "/admin/customer-import", {}, CustomerImportRun)
