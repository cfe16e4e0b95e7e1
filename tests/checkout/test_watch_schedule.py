"""The worker enqueues the authorization watch only while a watch's check is due.

RQ forks a work horse per job; before the due check, the watch's job was enqueued (and a process
forked) every second whether or not any checkout waited. Each `tick` below is what the worker's
ticker does once a second (worker.py): `enqueue_due` at the next second.
"""
from __future__ import annotations

import time
from datetime import timedelta

from app.accounts.models import Licensee, utcnow
from app.checkout.jobs import poll_authorizations
from app.checkout.models import AuthorizationWatch
from app.jobs import get_queue
from app.jobs.periodic import enqueue_due

WATCH = "poll-authorizations"
WATCH_JOB = f"periodic-{WATCH}"


def _ticks(count: int) -> list[str]:
    """`count` ticks a second apart; the names of the tasks enqueued, one entry per enqueuing."""
    start = time.time()
    return [name for second in range(count) for name in enqueue_due(now=start + second)]


def _watch_jobs() -> list[str]:
    return [job_id for job_id in get_queue().job_ids if job_id == WATCH_JOB]


def _reseller_waits(c, db):
    fabrikam = db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Fabrikam, Inc."))
    c.post("/checkout/customer", {"licensee": str(fabrikam.id)})
    c.post("/checkout/service/partner-id", {"partner_id": "1234567"}, htmx=True)
    assert c.post("/checkout/service/tenant-mode", {"existing_tenant": "y", "domain_prefix": "fabrikam",
                                                    "partner_id": "1234567"}, htmx=True).status_code == 200
    return db.session.scalar(db.select(AuthorizationWatch))


def test_with_no_waiting_checkout_the_worker_enqueues_no_watch(demo, db, redis):
    # Watches that are over (the tenant verified, or nobody waits any more) are never due, however old.
    long_ago = utcnow() - timedelta(days=1)
    db.session.add_all([AuthorizationWatch(domain="done.onmicrosoft.com", status="done", started_at=long_ago,
                                           next_check_at=long_ago),
                        AuthorizationWatch(domain="stopped.onmicrosoft.com", status="stopped", started_at=long_ago,
                                           next_check_at=long_ago)])
    db.session.commit()
    assert WATCH not in _ticks(60)
    assert _watch_jobs() == []
    assert redis.get(f"periodic:last:{WATCH}") is None


def test_a_waiting_checkout_whose_check_is_due_gets_the_watch(reseller_client, db, redis):
    watch = _reseller_waits(reseller_client, db)
    assert watch.status == "waiting" and watch.next_check_at <= utcnow()  # the first check is due at once
    assert WATCH in _ticks(1)
    assert _watch_jobs() == [WATCH_JOB]
    assert redis.get(f"periodic:last:{WATCH}") is not None


def test_a_rescheduled_watch_is_not_enqueued_before_it_is_due(reseller_client, db):
    watch = _reseller_waits(reseller_client, db)
    # Five minutes into the wait the schedule has backed off to 16 seconds; a check that finds no
    # acceptance yet doubles it: the next check is 32 seconds away.
    watch.started_at = utcnow() - timedelta(minutes=5)
    watch.interval_seconds, watch.next_check_at = 16.0, utcnow()
    db.session.commit()
    assert poll_authorizations()["checked"] == 1
    db.session.expire_all()
    watch = db.session.get(AuthorizationWatch, watch.id)
    assert watch.status == "waiting" and watch.next_check_at >= utcnow() + timedelta(seconds=25)
    assert WATCH not in _ticks(20)
    assert _watch_jobs() == []
    # The 32 seconds pass (moved on the row rather than waited for): the next tick enqueues the watch.
    watch.next_check_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert WATCH in _ticks(1)
    assert _watch_jobs() == [WATCH_JOB]

