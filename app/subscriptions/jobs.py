"""The subscriptions' periodic jobs (registered with app.jobs.periodic; the worker runs them):

- `refresh_subscriptions`: keeps the stored state in step with Partner Center, in batches, one list
  call per customer, pausing when throttled (app/subscriptions/sync.py);
- `renewal_notices`: the 14- and 7-day renewal notices (app/subscriptions/notices.py).

The changes people ask for run as orders, through the orders' engine (app/subscriptions/steps.py).
"""
from __future__ import annotations

from app.extensions import db
from app.jobs.periodic import periodic
from app.subscriptions import notices, sync

REFRESH_INTERVAL = 15 * 60    # seconds between runs


@periodic("refresh-subscriptions", interval_seconds=REFRESH_INTERVAL, timeout=900)
def refresh_subscriptions(batch_size: int = sync.REFRESH_BATCH) -> dict:
    return sync.refresh(batch_size)


@periodic("renewal-notices", interval_seconds=3600, timeout=600)
def renewal_notices() -> list[str]:
    db.session.expire_all()
    return notices.send_renewal_notices()
