"""A catalog sync never blocks the next one: a failed enqueue, a lost job, or a run past its deadline
ends `failed` with the reason, the operator's admins hear of the deadline, and a sync can be started
again (from the Catalog sync page, or Retry on the stuck-work page)."""
from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import redis as redis_lib

from app.accounts.models import User, utcnow
from app.catalog.sync import SYNC_DEADLINE
from app.catalog.jobs import expire_stuck_syncs, monthly_catalog_sync
from app.catalog.models import CatalogSync
from app.accounts.models import Notification
from tests.helpers import soup, text_of


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_down(app, monkeypatch):
    """From now on this app's Redis is a closed port (as if the server stopped)."""
    from app.extensions import redis_connection

    def stop():
        # The app keeps one connection per app object; replace it for this test only.
        monkeypatch.setitem(redis_connection._clients, id(app),
                            redis_lib.Redis.from_url(f"redis://127.0.0.1:{_closed_port()}/0", socket_connect_timeout=1))

    return stop


def _syncs(db):
    db.session.expire_all()
    return db.session.scalars(db.select(CatalogSync).order_by(CatalogSync.id)).all()


def _sync(db, status, age: timedelta, trigger="manual") -> CatalogSync:
    started = utcnow() - age
    sync = CatalogSync(status=status, trigger=trigger, created_at=started,
                       started_at=started if status == "running" else None, errors=[])
    db.session.add(sync)
    db.session.commit()
    return sync


def _admin_notifications(db):
    admin = db.session.scalar(db.select(User).where(User.email == "admin@example.com"))
    return db.session.scalars(db.select(Notification).where(Notification.user_id == admin.id)).all()


def test_a_sync_whose_enqueue_failed_says_so_and_can_be_started_again(demo, db, operator_client, redis_down,
                                                                      monkeypatch, run_worker):
    seeded = len(_syncs(db))
    redis_down()
    response = operator_client.post("/admin/catalog", {})
    assert response.status_code == 302
    failed = _syncs(db)[-1]
    assert len(_syncs(db)) == seeded + 1
    assert (failed.status, failed.message) == ("failed", "The job queue was not reachable; start the sync again.")

    page = soup(operator_client.get("/admin/catalog"))
    assert page.select_one(".sync-message").get_text(strip=True) == failed.message
    assert not page.select_one(".sync-form button").has_attr("disabled"), "the operator can start again"

    monkeypatch.undo()  # Redis is back
    assert operator_client.post("/admin/catalog", {}).status_code == 302
    again = _syncs(db)[-1]
    assert again.id != failed.id and again.status == "queued"
    run_worker()
    assert db.session.get(CatalogSync, again.id).status == "finished"


def test_a_queued_sync_whose_job_vanished_does_not_block_a_new_one(demo, db, operator_client, run_worker):
    lost = _sync(db, "queued", timedelta(minutes=5))  # its job went with a Redis restart
    assert operator_client.post("/admin/catalog", {}).status_code == 302
    syncs = _syncs(db)
    assert syncs[-1].id != lost.id and syncs[-1].status == "queued"
    lost = db.session.get(CatalogSync, lost.id)
    assert lost.status == "failed" and "no longer on the queue" in lost.message
    run_worker()
    assert db.session.get(CatalogSync, syncs[-1].id).status == "finished"


def test_a_sync_just_queued_by_someone_else_is_reused(demo, db, operator_client):
    fresh = _sync(db, "queued", timedelta(seconds=5))  # between its commit and its enqueue
    assert operator_client.post("/admin/catalog", {}).status_code == 302
    assert _syncs(db)[-1].id == fresh.id and fresh.status == "queued"


def test_a_sync_past_its_deadline_fails_notifies_and_is_retried_from_the_stuck_work_page(
        demo, db, operator_client, operator_member_client, run_worker):
    running = _sync(db, "running", timedelta(minutes=1))  # the worker died while it ran
    assert expire_stuck_syncs(now=utcnow() + SYNC_DEADLINE - timedelta(minutes=5)) == []
    assert soup(operator_client.get("/admin/stuck")).select_one(f"#stuck-sync-{running.id}") is None

    assert expire_stuck_syncs(now=utcnow() + SYNC_DEADLINE) == [running.id]
    running = _syncs(db)[-1]
    reason = ("The synchronisation did not finish within 2 hours: the worker probably stopped while it ran. "
              "Start the sync again.")
    assert (running.status, running.message) == ("failed", reason)
    assert [(n.title, n.link) for n in _admin_notifications(db)] == [
        (f"Catalog sync {running.id} stopped at its deadline", "/admin/stuck")]

    member_row = soup(operator_member_client.get("/admin/stuck")).select_one(f"#stuck-sync-{running.id}")
    assert member_row is not None and member_row.select_one("form") is None
    row = soup(operator_client.get("/admin/stuck")).select_one(f"#stuck-sync-{running.id}")
    assert row.select_one(".stuck-reason").get_text(strip=True) == reason
    response = operator_client.post(row.select_one("form")["action"], {})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/catalog")
    new = _syncs(db)[-1]
    assert new.id > running.id and new.status == "queued" and new.requested_by.email == "admin@example.com"
    run_worker()
    assert db.session.get(CatalogSync, new.id).status == "finished"
    # A finished run supersedes the failure: nothing stuck any more.
    assert soup(operator_client.get("/admin/stuck")).select_one(f"#stuck-sync-{running.id}") is None


def test_the_stuck_work_page_lists_an_overdue_sync_before_the_periodic_task_fails_it(demo, db, operator_client):
    queued = _sync(db, "queued", SYNC_DEADLINE + timedelta(minutes=1))
    row = soup(operator_client.get("/admin/stuck")).select_one(f"#stuck-sync-{queued.id}")
    assert "No worker started the synchronisation within 2 hours" in row.get_text()
    assert db.session.get(CatalogSync, queued.id).status == "queued", "a GET never writes"
    assert operator_client.post(f"/admin/stuck/syncs/{queued.id}/retry", {}).status_code == 302
    syncs = _syncs(db)
    assert (syncs[-2].id, syncs[-2].status) == (queued.id, "failed")
    assert syncs[-1].status == "queued"


def test_a_sync_within_its_deadline_is_not_retried(demo, db, operator_client):
    running = _sync(db, "running", timedelta(minutes=10))
    operator_client.post(f"/admin/stuck/syncs/{running.id}/retry", {})
    assert [s.status for s in _syncs(db)][-1] == "running"
    assert "still within its deadline" in text_of(operator_client.get("/admin/stuck"))


def test_a_stuck_row_does_not_block_the_monthly_automatic_sync(demo, db):
    from app.admin.settings import StorefrontSettings

    settings = StorefrontSettings.load()
    settings.automatic_catalog_update = True
    settings.save()
    db.session.execute(db.update(CatalogSync).values(finished_at=utcnow() - timedelta(days=62)))
    stuck = _sync(db, "queued", SYNC_DEADLINE + timedelta(hours=1))
    assert monthly_catalog_sync() == f"Catalog sync {stuck.id + 1} ran."
    syncs = _syncs(db)
    assert (syncs[-2].id, syncs[-2].status) == (stuck.id, "failed")
    assert (syncs[-1].trigger, syncs[-1].status) == ("automatic", "finished")


def test_the_deadline_task_is_registered_with_the_worker(app):
    from app.jobs.periodic import TASKS

    assert TASKS["catalog-sync-deadline"].func is expire_stuck_syncs
