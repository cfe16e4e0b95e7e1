"""Sign-in on the servers it meets: the embedded Redis 6.2, Redis down, and behind reverse proxies."""
from __future__ import annotations

import logging
import socket

import pytest

from tests.helpers import Client, sign_in, soup, text_of


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def test_the_sqlite_run_signs_in_on_the_embedded_redis_6_2(demo, database, redis):
    """The suite's SQLite run uses the embedded server `make run` uses; a command it lacks fails here."""
    if database[0] == "sqlite":
        assert redis.info("server")["redis_version"].startswith("6.2.")
    c = Client(demo.test_client())
    wrong = sign_in(c, "reseller@example.com", "not-the-password")
    assert wrong.status_code == 422
    assert soup(wrong).select_one("#sign-in-form [role=alert]").get_text() == "The email or password is incorrect."
    [key] = [k for k in redis.scan_iter("signin:fail:email:*")]
    assert redis.get(key) == b"1" and 0 < redis.ttl(key) <= 900
    assert sign_in(c, "reseller@example.com").status_code == 302


def test_the_failure_window_starts_at_the_first_failure(demo, redis):
    c = Client(demo.test_client())
    sign_in(c, "customer@example.com", "wrong")
    [key] = [k for k in redis.scan_iter("signin:fail:email:*")]
    redis.expire(key, 100)  # as if 800 of the 900 seconds had passed
    sign_in(c, "customer@example.com", "wrong")
    assert redis.get(key) == b"2" and redis.ttl(key) <= 100  # a later failure does not extend it


class TestRedisDown:
    @pytest.fixture
    def app_config(self):
        return {"REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0"}

    def test_signing_in_still_works_and_the_throttle_says_why_in_the_log(self, demo, caplog):
        c = Client(demo.test_client())
        with caplog.at_level(logging.WARNING, logger="app.auth.services"):
            wrong = sign_in(c, "reseller@example.com", "not-the-password")
        assert wrong.status_code == 422
        assert "The email or password is incorrect." in text_of(wrong)
        assert any("Redis is unreachable" in r.getMessage() for r in caplog.records)
        assert sign_in(c, "reseller@example.com").status_code == 302
        assert soup(c.get("/")).select_one("h1").get_text() == "Reseller home"

    def test_the_connection_check_says_the_queue_is_not_reachable(self, demo):
        c = Client(demo.test_client())
        assert sign_in(c, "admin@example.com").status_code == 302
        response = c.post("/admin/partner-center/default/check")
        assert response.status_code == 302
        page = c.get(response.headers["Location"])
        assert page.status_code == 200
        assert ("The job queue is not reachable right now, so the connection check could not start. Nothing was "
                "lost; please try again in a minute.") in text_of(page)

    def test_a_page_that_needs_the_queue_answers_503_in_plain_words(self, demo):
        c = Client(demo.test_client())
        assert sign_in(c, "admin@example.com").status_code == 302
        page = c.get("/admin/partner-center/checks/partner-center-check-default")
        assert page.status_code == 503 and page.headers["Retry-After"] == "60"
        assert "The job queue is not reachable right now" in text_of(page)
        fragment = c.get("/admin/partner-center/checks/partner-center-check-default", headers={"HX-Request": "true"})
        assert fragment.status_code == 503 and fragment.headers["HX-Retarget"] == "#flash-region"


@pytest.fixture
def app_config():
    return {"LOGIN_MAX_FAILURES_PER_EMAIL": 100, "LOGIN_MAX_FAILURES_PER_IP": 3}


def _attempt(c, email, password, *, remote, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    c.get("/sign-in")
    return c.post("/sign-in", {"email": email, "password": password}, headers=headers,
                  environ_base={"REMOTE_ADDR": remote})


def test_without_trusted_proxies_a_forwarded_header_is_ignored(demo, db):
    """Anyone can send X-Forwarded-For: a guesser changing it every time is still one address."""
    from app.audit.models import AuditEvent

    c = Client(demo.test_client())
    for i in range(3):
        assert _attempt(c, f"guess{i}@example.com", "wrong", remote="198.51.100.7",
                        forwarded=f"203.0.113.{i}").status_code == 422
    blocked = _attempt(c, "admin@example.com", "demo-password", remote="198.51.100.7", forwarded="203.0.113.99")
    assert blocked.status_code == 429
    ips = {e.ip_address for e in db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "sign_in_failed"))}
    assert ips == {"198.51.100.7"}


class TestBehindOneProxy:
    @pytest.fixture
    def app_config(self):
        return {"TRUSTED_PROXIES": 1, "LOGIN_MAX_FAILURES_PER_EMAIL": 100, "LOGIN_MAX_FAILURES_PER_IP": 3}

    def test_one_client_is_throttled_and_the_others_behind_the_proxy_are_not(self, demo, db):
        from app.audit.models import AuditEvent

        guesser, colleague = Client(demo.test_client()), Client(demo.test_client())
        for i in range(3):
            assert _attempt(guesser, f"guess{i}@example.com", "wrong", remote="10.0.0.1",
                            forwarded="203.0.113.9").status_code == 422
        assert _attempt(guesser, "admin@example.com", "demo-password", remote="10.0.0.1",
                        forwarded="203.0.113.9").status_code == 429
        # Another person behind the same proxy signs in.
        assert _attempt(colleague, "reseller@example.com", "demo-password", remote="10.0.0.1",
                        forwarded="198.51.100.20").status_code == 302
        signed_in = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "signed_in"))
        assert signed_in.ip_address == "198.51.100.20"

    def test_an_address_the_client_made_up_in_front_does_not_escape_the_count(self, demo):
        """The proxy appends the address it saw; only that last one is trusted."""
        c = Client(demo.test_client())
        for i in range(3):
            assert _attempt(c, f"guess{i}@example.com", "wrong", remote="10.0.0.1",
                            forwarded=f"192.0.2.{i}, 203.0.113.9").status_code == 422
        assert _attempt(c, "admin@example.com", "demo-password", remote="10.0.0.1",
                        forwarded="192.0.2.200, 203.0.113.9").status_code == 429
