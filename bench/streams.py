"""Benchmark: 1,000 open event streams on one web process, and an ordinary page beside them.

    .venv/bin/python bench/streams.py [--streams 1000] [--users 50] [--requests 300] [--postgresql URL]

Starts the storefront as `flask serve` does (gunicorn with app/web/gunicorn_conf.py, the embedded
Redis), with one web process and no RQ worker, so the order the streams watch stays processing.
Signed-in users (members of the demo reseller Adatum, created here; MAX_STREAMS_PER_USER is left at
its default of 20, so --users must be at least --streams / 20) each open their share of the order
page's event stream (/orders/<number>/events). Then:

- an ordinary page (the order list, /orders) is asked --requests times with no stream open (idle
  median and p95), and again while the streams are open (p95; target: under 3x the idle median,
  issue 14 "Speed targets");
- after at least one keep-alive period, every stream must still be open (no end of file, no `done`
  event, a keep-alive received) and hold its slot in Redis;
- the web process's resident memory with the streams open, less before, divided by the streams;
- with --postgresql, the database's sessions while the streams are open (a stream that held its
  connection would show as "idle in transaction").

Everything else lives in a temporary folder (the SQLite database with the demo data, the instance folder).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import httpx  # noqa: E402
import psutil  # noqa: E402

from bench._server import PASSWORD, add_adatum_members, percentile, storefront, storefront_app  # noqa: E402
USER_AGENT = "bench/streams.py"


def prepare(env: dict, users: int) -> tuple[str, list[str]]:
    """`users` new members of Adatum and one order of Adatum's, placed and left processing (no
    worker runs); returns the order's number and the users' emails."""
    from decimal import Decimal

    from app.accounts.models import Licensee
    from app.audit.services import Origin
    from app.extensions import db
    from app.orders.placing import OrderRequest, RequestLine, place_order
    from app.sandbox.catalog import availability_id

    with storefront_app(env).app_context():
        rita, emails = add_adatum_members("bench", users)
        fabrikam = db.session.scalar(db.select(Licensee).where(Licensee.company_name == "Fabrikam, Inc."))
        product, sku = "CFQ7TTC0LH18", "0001"
        line = RequestLine(product_id=product, sku_id=sku, catalog_item_id=f"{product}:{sku}:{availability_id(product, sku)}",
                           product_title="Microsoft 365 Business Basic", sku_title="Microsoft 365 Business Basic",
                           family="Microsoft 365", term_duration="P1Y", billing_plan="monthly", quantity=5,
                           unit_price=Decimal("6.00"), currency="USD")
        request = OrderRequest(
            account_id=rita.account_id, user_id=rita.id, draft_id=990001, licensee_id=fabrikam.id,
            company_name=fabrikam.company_name, country="US", contact_first_name="Frank", contact_last_name="Miller",
            email="it@fabrikam.example.com", phone="+1 312 555 0175", tenant_mode="new",
            domain="benchstreams.onmicrosoft.com", default_domain=None, tenant_id=None, registration_id=None,
            address={"addressLine1": "1 Microsoft Way", "city": "Redmond", "state": "WA", "postalCode": "98052",
                     "country": "US"},
            partner_id="1234567", reseller_tenant_id="5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71",
            mca={"firstName": "Frank", "lastName": "Miller", "email": "it@fabrikam.example.com",
                 "phoneNumber": "+1 312 555 0175", "templateId": "117a77b0-9360-443b-8795-c6dedc750cf9",
                 "dateAgreed": "2025-03-01T10:00:00Z"},
            lines=[line])
        order = place_order(request, actor=rita, origin=Origin("127.0.0.1", "bench/streams.py"))
        number = order.number
        db.session.commit()
    return number, emails


def sign_in(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, headers={"User-Agent": USER_AGENT})
    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text) or \
        re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    answer = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)})
    if answer.status_code != 302:
        raise SystemExit(f"{email} could not sign in ({answer.status_code})")
    return client


class Stream:
    """One event stream read over a raw connection, as a browser's EventSource holds it."""

    def __init__(self):
        self.status = None
        self.text = ""
        self.closed = False
        self.task = None

    async def open(self, host: str, port: int, path: str, cookie: str):
        reader, self.writer = await asyncio.open_connection(host, port)
        # The same User-Agent as the client that signed in (Flask-Login's session protection).
        self.writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
                           f"User-Agent: {USER_AGENT}\r\nCookie: {cookie}\r\n\r\n").encode())
        await self.writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])
        self.task = asyncio.create_task(self._read(reader))

    async def _read(self, reader):
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                self.closed = True
                return
            self.text += chunk.decode(errors="replace")

    def close(self):
        self.task.cancel()
        self.writer.close()


def rss(process: psutil.Process) -> int:
    return process.memory_info().rss


def page_times(client: httpx.Client, url: str, count: int, pause: float = 0.0) -> list[float]:
    """Milliseconds per request, asked one after the other. Run in a thread of its own, beside the
    event loop that holds the streams, so the time is the server's and the network's, not the wait
    for a busy loop."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        answer = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{url} answered {answer.status_code}")
        if pause:
            time.sleep(pause)
    return times


async def run(base: str, env: dict, args) -> None:
    number, emails = prepare(env, args.users)
    clients = [sign_in(base, email) for email in emails]
    cookies = ["; ".join(f"{k}={v}" for k, v in c.cookies.items()) for c in clients]
    host, port = base.split("//")[1].split(":")
    port = int(port)
    web = [p for p in psutil.Process().children(recursive=True)
           if "gunicorn" in " ".join(p.cmdline()) and "gunicorn" in " ".join(p.parent().cmdline())]
    if len(web) != 1:
        raise SystemExit(f"expected one gunicorn worker process, found {len(web)}")
    web = web[0]
    page_url = "/orders"
    page_client = clients[0]
    # Asked at the same pace idle and busy (spread over one keep-alive period): a page asked right
    # after the previous answer finds everything warm, which would flatter the idle figure.
    pause = max(0.0, 30 / args.requests - 0.01)
    if True:
        await asyncio.to_thread(page_times, page_client, page_url, 30)  # warm-up
        idle = await asyncio.to_thread(page_times, page_client, page_url, args.requests, pause)
        before = rss(web)
        streams, started = [], time.monotonic()
        for i in range(args.streams):
            streams.append(Stream())
        for first in range(0, args.streams, 50):  # opened 50 at a time, as pages load
            await asyncio.gather(*(streams[i].open(host, port, f"/orders/{number}/events", cookies[i % len(cookies)])
                                   for i in range(first, min(first + 50, args.streams))))
        opened_in = time.monotonic() - started
        refused = [s for s in streams if s.status != 200]
        # Measured over at least one keep-alive period (30 s), so slot refreshes and keep-alives
        # of every stream happen while the page is asked.
        measure_started = time.monotonic()
        cpu_started = sum(web.cpu_times()[:2])
        busy = await asyncio.to_thread(page_times, page_client, page_url, args.requests, pause)
        while time.monotonic() - measure_started < 35:
            await asyncio.sleep(0.5)
        await asyncio.sleep(0.5)
        during = rss(web)
        cpu_share = (sum(web.cpu_times()[:2]) - cpu_started) / (time.monotonic() - measure_started)
        connections = len(web.net_connections(kind="inet")) if hasattr(web, "net_connections") else len(web.connections())
        open_streams = [s for s in streams if s.status == 200 and not s.closed and "event: done" not in s.text
                        and ": keep-alive" in s.text]
        if len(open_streams) != args.streams:  # say how the others ended
            from collections import Counter

            print("streams not open (status, ended, `done`, keep-alive): ", dict(Counter(
                (s.status, s.closed, "event: done" in s.text, ": keep-alive" in s.text) for s in streams
                if s not in open_streams)))
        import redis

        r = redis.Redis.from_url(env["REDIS_URL"])
        slots = sum(r.zcount(key, time.time(), "+inf") for key in r.scan_iter("live:streams:*"))
        held = database_connections(env["DATABASE_URL"])
        for stream in streams:
            stream.close()
    for c in clients:
        c.close()

    idle_median, idle_p95, busy_p95 = statistics.median(idle), percentile(idle, 95), percentile(busy, 95)
    ratio = busy_p95 / idle_median
    database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgresql") else "SQLite"
    print(f"server               gunicorn {'/'.join(_worker_class())} worker, 1 web process (app/web/gunicorn_conf.py), "
          f"embedded Redis, {database}, no RQ worker")
    print(f"users                {args.users} signed-in members of Adatum; MAX_STREAMS_PER_USER default (20)")
    print(f"streams asked        {args.streams} of /orders/{number}/events, opened in {opened_in:.1f} s "
          f"({len(refused)} refused)")
    print(f"streams still open   {len(open_streams)} after {time.monotonic() - measure_started:.0f} s "
          "(no end of file, no `done`, a keep-alive received)")
    print(f"slots held in Redis  {slots}")
    print(f"web process sockets  {connections} (inet)")
    print(f"web process CPU      {cpu_share:.0%} of a core while the streams were open and the page was asked")
    if held is not None:
        print(f"PostgreSQL sessions  {held['total']} of the storefront's database with the streams open: "
              f"{held.get('idle in transaction', 0)} idle in a transaction, {held.get('active', 0)} active, "
              f"{held.get('idle', 0)} idle in the pool")
    print(f"page {page_url:<15} idle: median {idle_median:.1f} ms, p95 {idle_p95:.1f} ms ({args.requests} requests)")
    print(f"page {page_url:<15} with {len(open_streams)} streams open: median {statistics.median(busy):.1f} ms, "
          f"p95 {busy_p95:.1f} ms, p99 {percentile(busy, 99):.1f} ms")
    print(f"p95 open / idle median  {ratio:.2f}x (target under 3x): {'met' if ratio < 3 else 'MISSED'}")
    print(f"web process RSS      {before / 2**20:.1f} MiB before, {during / 2**20:.1f} MiB with the streams open: "
          f"{(during - before) / max(1, len(open_streams)) / 1024:.1f} KiB per open stream")
    ok = len(open_streams) == args.streams and ratio < 3
    print("result               " + ("all streams stayed open; target met" if ok else "NOT MET"))


def database_connections(url: str) -> dict | None:
    """PostgreSQL: the sessions connected to the storefront's database, by state (None on SQLite)."""
    if not url.startswith("postgresql"):
        return None
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT state, count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND pid <> pg_backend_pid() GROUP BY state").fetchall()
    counts = {state: n for state, n in rows}
    counts["total"] = sum(n for _, n in rows)
    return counts


@contextlib.contextmanager
def fresh_database(url: str | None):
    """--postgresql URL: that database, created empty for the run and dropped afterwards."""
    if url is None:
        yield {}
        return
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"DATABASE_URL": url}
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _worker_class() -> list[str]:
    from app.web import gunicorn_conf

    return [gunicorn_conf.worker_class, f"{gunicorn_conf.worker_connections} connections"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--postgresql", metavar="URL",
                        help="run on this PostgreSQL database (created for the run, then dropped) instead of "
                             "SQLite, and print its sessions while the streams are open")
    args = parser.parse_args()
    if args.users * 20 < args.streams:
        raise SystemExit("--users must be at least --streams / 20 (MAX_STREAMS_PER_USER)")
    with fresh_database(args.postgresql) as database, \
            storefront(workers=1, worker=False, extra_env=database) as (base, env):
        asyncio.run(run(base, env, args))


if __name__ == "__main__":
    main()
