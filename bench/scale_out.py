"""Scale-out, shown: two web processes and two workers on PostgreSQL and Redis by URL.

    .venv/bin/python bench/scale_out.py [--checkouts 6] [--postgres postgresql://postgres@127.0.0.1:5432]
                                        [--database bench_scale] [--redis redis://127.0.0.1:6379/15]

Sets up what README "Running in production" describes, on this machine: a PostgreSQL database of
its own (dropped and created again), a Redis database of its own (emptied at the start and the
end), one SECRET_KEY, ENCRYPTION_KEY, DATABASE_URL and REDIS_URL for every process; migrations and
the demo data; two gunicorn processes on two ports, configured as `flask serve` configures them
(app/web/gunicorn_conf.py), and two RQ workers (worker.py). Partner Center is the sandbox, served
in-process by each of them from one store in the shared instance folder (as one Microsoft).

Then it shows, printing figures and PASS/FAIL lines:
1. Checkouts through both web processes: the direct customer walks the wizard (customer, service,
   company, agreement, review) with one session, each request to the other port than the last
   (HTTP, the CSRF token from the page's meta tag). Orders fulfil after a delay, so they wait.
2. A push published by either worker reaches an event stream served by either web process: for a
   waiting order, its event stream is opened on both ports; the workers publish its progress, and
   --pushes jobs that publish (`app.live.publish`, run by whichever worker takes them) are enqueued;
   every push must reach both streams, and the pushes must have come from both workers.
3. No order is provisioned twice when both workers see it: each order's provisioning job id is
   pushed onto the queue twice at once (as the sweep and a Process press racing would), so both
   workers take it at the same moment; afterwards Microsoft (the sandbox) must hold exactly one customer and one order
   per storefront order, and the storefront one subscription per line.
4. Periodic tasks ran once per period across the two workers: every run of a periodic task is a
   result of its job (`periodic-<name>`) in Redis; for the one-minute tasks, the gaps between runs
   must be at least their interval, and no task may have run more often than its periods allow.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import httpx  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402

from app.cli import stop_children  # noqa: E402
from bench._server import free_port  # noqa: E402

RESULTS: list[tuple[bool, str]] = []


def check(ok: bool, what: str) -> None:
    RESULTS.append((ok, what))
    print(f"{'PASS' if ok else 'FAIL'}: {what}")
    sys.stdout.flush()


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing answered at {url}")


def fresh_database(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


# ----------------------------------------------------------------------------------- the buyer

class Buyer:
    """One browser session, sent alternately to each web process."""

    def __init__(self, bases: list[str]):
        self.bases = bases
        self.turn = 0
        self.cookies = httpx.Cookies()
        self.token = ""
        self.used = {base: 0 for base in bases}

    def _client(self) -> httpx.Client:
        base = self.bases[self.turn % len(self.bases)]
        self.turn += 1
        self.used[base] += 1
        return httpx.Client(base_url=base, cookies=self.cookies, timeout=30)

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        with self._client() as client:
            response = client.request(method, url, **kwargs)
            self.cookies.update(client.cookies)
        found = re.search(r'<meta name="csrf-token" content="([^"]+)"', response.text)
        if found:
            self.token = found.group(1)
        return response

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, data: dict, **kwargs) -> httpx.Response:
        return self.request("POST", url, data={"csrf_token": self.token, **data}, **kwargs)


def expect(response: httpx.Response, statuses: tuple, what: str) -> httpx.Response:
    if response.status_code not in statuses:
        raise SystemExit(f"{what}: {response.status_code}\n{response.text[:2000]}")
    return response


def checkout(buyer: Buyer, prefix: str) -> str:
    """The direct customer's whole wizard for a new tenant `prefix`; returns the order number."""
    page = buyer.get("/catalog/products?q=business+basic")
    soup = BeautifulSoup(page.text, "html.parser")
    form = next(f for f in soup.find_all("form") if (f.get("action") or "").endswith("/cart"))
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    for select in form.find_all("select"):
        option = select.find("option", selected=True) or select.find("option")
        fields[select["name"]] = option.get("value", option.text)
    fields["quantity"] = "3"
    expect(buyer.post(form["action"], fields), (200, 302, 303), "add to cart")
    buyer.get("/checkout/customer")
    expect(buyer.post("/checkout/customer", {}), (302, 303), "customer step")
    buyer.get("/checkout/service")
    expect(buyer.post("/checkout/service", {"domain_prefix": prefix}), (302, 303), "service step")
    buyer.get("/checkout/company")
    expect(buyer.post("/checkout/company", {"address_line1": "1 Main Street", "city": "Seattle", "state": "WA",
                                            "postal_code": "98101"}), (302, 303), "company step")
    buyer.get("/checkout/agreement")
    expect(buyer.post("/checkout/agreement", {"accepted": "y", "first_name": "Carl", "last_name": "Customer",
                                              "email": "carl@tailspin.example.com", "phone": "+1 555 010 0123"}),
           (302, 303), "agreement step")
    review = buyer.get("/checkout/review")
    draft_id = re.search(r'name="draft_id"[^>]*value="(\d+)"', review.text).group(1)
    placed = expect(buyer.post("/checkout/review", {"terms": "y", "draft_id": draft_id}, headers={"HX-Request": "true"}),
                    (200, 204), "place order")
    page = buyer.get(placed.headers["HX-Redirect"])
    return re.search(r"ORD-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", page.text).group(0)


# ----------------------------------------------------------------------------------- streams

class Stream(threading.Thread):
    """An order page's event stream on one web process; collects its events."""

    def __init__(self, base: str, cookies: httpx.Cookies, number: str):
        super().__init__(daemon=True)
        self.base, self.cookies, self.number = base, cookies, number
        self.events: list[tuple[float, str]] = []
        self.opened = threading.Event()
        self.error = None

    def run(self):
        try:
            with httpx.Client(base_url=self.base, cookies=self.cookies, timeout=httpx.Timeout(90, connect=10)) as c:
                with c.stream("GET", f"/orders/{self.number}/events") as response:
                    self.opened.set()
                    event = None
                    for line in response.iter_lines():
                        if line.startswith("event: "):
                            event = line[7:]
                        elif line == "" and event:
                            self.events.append((time.monotonic(), event))
                            if event == "done":
                                return
                            event = None
        except Exception as exc:  # reported by the caller
            self.error = exc
            self.opened.set()


# ----------------------------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkouts", type=int, default=6)
    parser.add_argument("--pushes", type=int, default=10)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="bench_scale")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15", help="a Redis database of its own: emptied")
    parser.add_argument("--fulfil-seconds", type=float, default=25,
                        help="how long the sandbox takes to fulfil an order (orders wait meanwhile)")
    parser.add_argument("--periodic-window", type=float, default=150,
                        help="seconds the workers run at least, so the one-minute tasks run a few times")
    args = parser.parse_args()

    import redis as redis_lib
    from cryptography.fernet import Fernet

    started = time.monotonic()
    print(f"load average before  {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    database_url = fresh_database(args.postgres, args.database)
    r = redis_lib.Redis.from_url(args.redis)
    r.flushdb()
    ports = [free_port(), free_port()]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    with tempfile.TemporaryDirectory(prefix="storefront-scale-") as instance:
        # What every process shares. INSTANCE_PATH is shared here only for the sandbox's store (one
        # Microsoft for all); in production each machine has its own and Partner Center is Microsoft's.
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": args.redis,
               "SECRET_KEY": os.urandom(32).hex(), "ENCRYPTION_KEY": Fernet.generate_key().decode(),
               "INSTANCE_PATH": instance, "PUBLIC_URL": bases[0], "FLASK_APP": "app",
               "SANDBOX_ORDER_DELAY_SECONDS": str(args.fulfil_seconds), "RQ_QUEUE": "storefront"}
        flask = [sys.executable, "-m", "flask"]
        subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run(flask + ["seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
        logs = tempfile.TemporaryDirectory(prefix="storefront-scale-logs-")
        processes, workers = [], []
        for port in ports:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", "python:app.web.gunicorn_conf", "--bind",
                 f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env,
                stdout=subprocess.DEVNULL, stderr=open(os.path.join(logs.name, f"web-{port}.log"), "w")))
        for n in range(2):
            worker = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                      stderr=open(os.path.join(logs.name, f"worker-{n}.log"), "w"))
            processes.append(worker)
            workers.append(worker)
        workers_started = time.monotonic()
        try:
            for base in bases:
                wait_for(base + "/healthz")
            os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENCRYPTION_KEY",
                                                   "INSTANCE_PATH", "PUBLIC_URL", "SANDBOX_ORDER_DELAY_SECONDS",
                                                   "RQ_QUEUE")})
            from app import create_app

            app = create_app()
            with app.app_context():
                run_checks(app, bases, workers, args, workers_started)
        except BaseException:
            for name in sorted(os.listdir(logs.name)):
                print(f"--- {name}\n" + "\n".join(open(os.path.join(logs.name, name)).read().splitlines()[-30:]))
            raise
        finally:
            stop_children(processes)
            r.flushdb()
            for name in sorted(os.listdir(logs.name)):
                text = open(os.path.join(logs.name, name)).read()
                # (gunicorn's workers print an ignored logging error as the interpreter exits: not ours)
                text = re.sub(r"Exception ignored in: <function _removeHandlerRef.*?TypeError: 'NoneType' object is "
                              r"not callable", "", text, flags=re.S)
                errors = [line for line in text.splitlines() if "Traceback" in line or " ERROR " in line]
                if errors:
                    print(f"{name}: {len(errors)} error lines; last lines:\n" + "\n".join(text.splitlines()[-15:]))
            logs.cleanup()
    print(f"load average after   {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {time.monotonic() - started:.0f} s")
    failed = [what for ok, what in RESULTS if not ok]
    print(f"{len(RESULTS) - len(failed)} PASS, {len(failed)} FAIL")
    sys.exit(1 if failed else 0)


def run_checks(app, bases, workers, args, workers_started) -> None:
    from rq import Worker
    from rq.job import Job

    from app.connections.services import in_process_sandbox
    from app.extensions import db, get_redis
    from app.jobs import enqueue, get_queue
    from app.live import publish
    from app.orders.engine import job_id_for
    from app.orders.models import Order
    from app.subscriptions.models import Subscription

    r = get_redis()
    queue = get_queue()
    worker_names = {}
    deadline = time.monotonic() + 30
    while len(worker_names) < 2 and time.monotonic() < deadline:
        worker_names = {w.name: w.pid for w in Worker.all(connection=r) if w.pid in {p.pid for p in workers}}
        time.sleep(0.2)
    print(f"processes            web {bases[0]} and {bases[1]} (gunicorn, app/web/gunicorn_conf.py), "
          f"workers {', '.join(sorted(worker_names))}")

    # 1. Checkouts through both web processes, one session.
    buyer = Buyer(bases)
    page = buyer.get("/sign-in")
    expect(buyer.post("/sign-in", {"email": "customer@example.com", "password": "demo-password"}), (302, 303),
           "sign in")
    numbers = []
    began = time.monotonic()
    for n in range(args.checkouts):
        numbers.append(checkout(buyer, f"scaleout{int(time.time())}{n}"))
    took = time.monotonic() - began
    print(f"checkouts            {len(numbers)} placed in {took:.1f} s ({took / len(numbers):.1f} s each, every "
          f"request to the other web process than the last: {buyer.used[bases[0]]} and {buyer.used[bases[1]]} requests)")
    check(len(set(numbers)) == args.checkouts, f"{args.checkouts} checkouts placed through both web processes, one session")

    # 3 (set up now, while they wait): both workers see every order's job at the same moment, its
    # id pushed twice at once (besides the run the scheduler has waiting for it).
    for number in numbers:
        order_id = db.session.scalar(db.select(Order.id).where(Order.number == number))
        with r.pipeline() as pipeline:
            queue.push_job_id(job_id_for(order_id), pipeline=pipeline)
            queue.push_job_id(job_id_for(order_id), pipeline=pipeline)
            pipeline.execute()

    # 2. Pushes from either worker reach streams on either web process.
    watched = numbers[-1]
    order_id = db.session.scalar(db.select(Order.id).where(Order.number == watched))
    streams = [Stream(base, buyer.cookies, watched) for base in bases]
    for stream in streams:
        stream.start()
        stream.opened.wait(15)
    time.sleep(1.0)  # subscribed
    push_jobs = []
    for n in range(args.pushes):
        push_jobs.append(enqueue(publish, "order", order_id, "progress", {"bench": n}, retry=None))
        time.sleep(0.3)
    def finished(job) -> bool:
        try:
            return job.get_status(refresh=True) == "finished"
        except Exception:  # not saved yet, or gone: not finished as far as we can tell
            return False

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(finished(j) for j in push_jobs):
        time.sleep(0.2)
    time.sleep(1.5)  # the last push rendered and sent
    by_worker = {}
    for job in push_jobs:
        with contextlib.suppress(Exception):
            job.refresh()
        name = job.worker_name or "?"
        by_worker[name] = by_worker.get(name, 0) + 1
    listeners = [job.return_value() for job in push_jobs]
    received = [sum(1 for _, event in s.events if event == "progress") for s in streams]
    print(f"pushes               {len(push_jobs)} published by jobs ({', '.join(f'{k}: {v}' for k, v in sorted(by_worker.items()))}); "
          f"listeners per push {listeners}; progress events received on {bases[0]}: {received[0]}, "
          f"{bases[1]}: {received[1]} (the workers' own provisioning pushes included)")
    check(all(s.error is None for s in streams), "event streams open on both web processes")
    check(all(n == 2 for n in listeners) and all(count >= args.pushes for count in received),
          "every push published by a worker reached the event streams on both web processes")
    check(len([k for k in by_worker if k in worker_names]) == 2, "pushes were published by both workers")

    # 3. Wait for every order to end; count what Microsoft holds.
    deadline = time.monotonic() + args.fulfil_seconds + 120
    statuses = {}
    while time.monotonic() < deadline:
        db.session.expire_all()
        statuses = dict(db.session.execute(db.select(Order.number, Order.status).where(Order.number.in_(numbers))).all())
        if all(str(getattr(s, "value", s)) in ("completed", "failed", "querying") for s in statuses.values()):
            break
        time.sleep(1)
    for stream in streams:
        stream.join(10)
    print(f"streams              ended with: {[s.events[-1][1] if s.events else None for s in streams]}")
    store = in_process_sandbox(app).extensions["sandbox_store"]
    per_order = []
    for number in numbers:
        order = db.session.scalar(db.select(Order).where(Order.number == number))
        tenant = order.tenant_id
        ms_orders = len(store.documents("order", tenant)) if tenant else 0
        ms_customers = len([t for t in store.documents("tenant") if tenant and t["id"] == tenant])
        subscriptions = db.session.scalar(db.select(db.func.count(Subscription.id))
                                          .where(Subscription.tenant_id == tenant)) if tenant else 0
        runs = Job.fetch(job_id_for(order.id), connection=r)
        results = [res.return_value for res in runs.results()] if hasattr(runs, "results") else []
        per_order.append((number, str(getattr(order.status, "value", order.status)), ms_customers, ms_orders,
                          subscriptions, results))
    for number, status, customers, ms_orders, subscriptions, results in per_order:
        print(f"  {number}  {status:10s} Microsoft: {customers} customer, {ms_orders} order; storefront: "
              f"{subscriptions} subscription; job runs (newest first): {', '.join(map(str, results))}")
    busy = sum(1 for *_, results in per_order if "busy" in results)
    check(all(status == "completed" for _, status, *_ in per_order), "every order completed")
    check(all(c == 1 and o == 1 and s == 1 for _, _, c, o, s, _ in per_order),
          "no order was provisioned twice: one customer and one order at Microsoft, one subscription in the storefront, per order")
    print(f"                     {busy} of {len(per_order)} orders had a second run turned away as busy "
          "(the other worker held the order at that moment)")

    # 4. Periodic tasks once per period across both workers.
    remaining = args.periodic_window - (time.monotonic() - workers_started)
    if remaining > 0:
        print(f"periodic             letting the workers tick {remaining:.0f} s more")
        time.sleep(remaining)
    from app.jobs.periodic import TASKS, enqueue_due  # noqa: F401  (registers the tasks)
    import importlib

    from app.jobs import periodic as periodic_module

    for module in periodic_module.PERIODIC_MODULES:
        importlib.import_module(module)
    window = time.monotonic() - workers_started
    too_often, gaps_ok = [], True
    for name, task in sorted(TASKS.items()):
        try:
            job = Job.fetch(f"periodic-{name}", connection=r)
        except Exception:
            continue
        runs = sorted(res.created_at for res in job.results())
        allowed = int(window // task.interval) + 1
        gaps = [(b - a).total_seconds() for a, b in zip(runs, runs[1:])]
        line = f"  {name:24s} every {task.interval:>5.0f} s: {len(runs)} runs in {window:.0f} s (at most {allowed})"
        if gaps:
            line += f", {', '.join(f'{g:.0f}' for g in gaps)} s apart"
            # A run's time here is when it finished, some seconds after its enqueue (it may wait in
            # the queue behind other jobs), so a gap may fall short of the interval by that much; a
            # second run in the same period would finish a few seconds after the first.
            if min(gaps) < task.interval / 2:
                gaps_ok = False
        print(line)
        if len(runs) > allowed and task.due is None:
            too_often.append(name)
    print("                     (times are when each run finished: a run may wait in the queue a few seconds)")
    check(not too_often and gaps_ok, "periodic tasks ran once per period across the two workers")
    done = {w.name: w.successful_job_count + w.failed_job_count for w in Worker.all(connection=r)
            if w.name in worker_names}
    print(f"jobs per worker      {json.dumps(done)}")


if __name__ == "__main__":
    main()
