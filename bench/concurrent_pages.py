"""Benchmark: the pages a buyer uses, under 50 concurrent signed-in users, against /healthz.

    .venv/bin/python bench/concurrent_pages.py [--users 50] [--rounds 6] [--seconds 5] [--per-page]

Starts the storefront as `flask serve` does (gunicorn with app/web/gunicorn_conf.py and two web
processes, worker.py, the embedded Redis) on a throw-away SQLite database with the demo data, and
--users new members of the demo reseller Adatum, each signed in with a session of its own, each
with one product in its cart and a checkout started (the customer step confirmed, so the service
step is open). One more member places ORDERS orders of Adatum's for a new customer tenant each, through the
whole wizard, so the order list shows them and the newest order's page is measured too.

Then, in alternating rounds of --seconds each (so a busy moment of the shared machine weighs on
both alike), every user loops as fast as the server answers:
- pages: the wizard's customer and service steps, the catalog, the cart, the order list and the
  order's page, in turn (each user starts at a different one);
- trivial: /healthz.
Prints the median and p99 of each, their ratios and the throughputs (target, issue 14: median under
2x and p99 under 5x /healthz), the median of every page, and the machine's load average. With --per-page,
then every user asks for one page only, page after page, for --seconds each: each page's throughput and the
CPU it costs the server on its own.

Users are asyncio tasks with an httpx client each (its own cookies and connection), so the load
generator's own overhead is the same for both kinds of request. It runs in this one process, on
the same cores as the server: the CPU each side spends per request, and the cores this process
keeps busy, are printed too. At about one core the load generator, not the server, sets the pace
(it does for /healthz on a 2-core machine), and /healthz would answer faster with a load
generator of more processes.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import httpx  # noqa: E402
import psutil  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402

from bench._server import PASSWORD, add_adatum_members, percentile, storefront, storefront_app  # noqa: E402


def prepare(env: dict, users: int) -> tuple[list[str], str]:
    """`users` new members of Adatum, and one more who places the orders; returns their emails."""
    from app.extensions import db

    with storefront_app(env).app_context():
        _, emails = add_adatum_members("pages", users + 1)
        db.engine.dispose()
    return emails[:-1], emails[-1]


def csrf(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html) or \
        re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return found.group(1)


def form_data(form) -> dict:
    """What a browser would send for `form` as rendered (hidden fields, checked boxes, chosen options)."""
    data = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or field.has_attr("disabled"):
            continue
        if field.name == "select":
            option = field.find("option", selected=True) or field.find("option")
            data[name] = option.get("value", option.text) if option else ""
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        elif field.get("type") not in ("submit", "button"):
            data[name] = field.get("value", "")
    return data


async def sign_in(client: httpx.AsyncClient, email: str) -> None:
    page = await client.get("/sign-in")
    signed = await client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf(page.text)})
    assert signed.status_code == 302, (email, signed.status_code)


async def sign_in_and_start(client: httpx.AsyncClient, email: str) -> dict:
    """Sign in, put a product in the cart, start the checkout and confirm its customer step;
    returns the URLs this user measures."""
    await sign_in(client, email)
    catalog = await client.get("/catalog/products")
    soup = BeautifulSoup(catalog.text, "html.parser")
    add = next(f for f in soup.find_all("form") if (f.get("action") or "").endswith("/cart"))
    added = await client.post(add["action"], data=form_data(add))
    assert added.status_code in (200, 302, 303), (email, added.status_code)
    customer = await client.get("/checkout/customer")
    assert customer.status_code == 200, (email, customer.status_code)
    soup = BeautifulSoup(customer.text, "html.parser")
    form = next(f for f in soup.find_all("form") if f.find(attrs={"name": "licensee"}))
    posted = await client.post("/checkout/customer", data=form_data(form))
    assert posted.status_code in (302, 303), (email, posted.status_code, posted.text[:300])
    service = await client.get("/checkout/service")
    assert service.status_code == 200, (email, service.status_code)
    return {}


ORDERS = 3


async def _form(client: httpx.AsyncClient, url: str, wanted) -> dict:
    """What a browser would post from the first form of the page at `url` for which `wanted(form)` holds."""
    page = await client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    soup = BeautifulSoup(page.text, "html.parser")
    return form_data(next(f for f in soup.find_all("form") if wanted(f)))


async def _posted(client: httpx.AsyncClient, url: str, data: dict) -> httpx.Response:
    answer = await client.post(url, data=data)
    assert answer.status_code in (302, 303), (url, answer.status_code, answer.text[:300])
    return answer


async def place_order(client: httpx.AsyncClient, prefix: str) -> str:
    """The whole wizard for the first customer offered, on a new tenant `prefix.onmicrosoft.com`, with what
    each step offers already filled in; returns the order's number."""
    page = await client.get("/catalog/products?q=business+basic")
    add = next(f for f in BeautifulSoup(page.text, "html.parser").find_all("form")
               if (f.get("action") or "").endswith("/cart"))
    await client.post(add["action"], data=form_data(add))
    await _posted(client, "/checkout/customer",
                  await _form(client, "/checkout/customer", lambda f: f.find(attrs={"name": "licensee"})))
    service = await _form(client, "/checkout/service", lambda f: f.find(attrs={"name": "domain_prefix"}))
    await _posted(client, "/checkout/service", {**service, "domain_prefix": prefix})
    for step in ("company", "agreement"):
        data = await _form(client, f"/checkout/{step}", lambda f: (f.get("action") or "").endswith("/" + step))
        await _posted(client, f"/checkout/{step}", {**data, "accepted": "y"} if step == "agreement" else data)
    review = await _form(client, "/checkout/review", lambda f: f.find(attrs={"name": "draft_id"}))
    placed = await _posted(client, "/checkout/review", {**review, "terms": "y"})
    return re.search(r"ORD-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", placed.headers["location"]).group(0)


async def loop(client: httpx.AsyncClient, urls: list[str], start: int, until: float, times: dict) -> None:
    index = start
    while time.perf_counter() < until:
        url = urls[index % len(urls)]
        index += 1
        began = time.perf_counter()
        try:
            response = await client.get(url)
        except (httpx.RemoteProtocolError, httpx.ReadError):
            # The server closed a keep-alive connection that sat idle between rounds (gunicorn's
            # keepalive is a few seconds) as this request went out: ask again, timed afresh.
            began = time.perf_counter()
            response = await client.get(url)
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        times.setdefault(url, []).append(elapsed)


def cpu_seconds() -> tuple[float, float]:
    """CPU time used so far by the server (every process this one started: the web processes, the
    worker, the embedded Redis) and by this process, the load generator."""
    server = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        server += times.user + times.system
    own = psutil.Process().cpu_times()
    return server, own.user + own.system


async def run(base: str, emails: list[str], buyer_email: str, args) -> dict:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=base, timeout=60, limits=limits) for _ in emails]
    try:
        # Sign-ins hash passwords (deliberately slow): a few at a time, before anything is timed.
        semaphore = asyncio.Semaphore(4)

        async def prepared(client, email):
            async with semaphore:
                await sign_in_and_start(client, email)

        await asyncio.gather(*(prepared(c, e) for c, e in zip(clients, emails)))
        async with httpx.AsyncClient(base_url=base, timeout=60) as buyer:
            await sign_in(buyer, buyer_email)
            tag = os.urandom(3).hex()
            for i in range(ORDERS):
                number = await place_order(buyer, f"bench{tag}{i}")
        pages = ["/checkout/customer", "/checkout/service", "/catalog/products", "/cart", "/orders",
                 f"/orders/{number}"]
        # Warm up both web processes on every page.
        await asyncio.gather(*(loop(c, pages, i, time.perf_counter() + 2, {}) for i, c in enumerate(clients)))
        page_times: dict = {}
        trivial_times: dict = {}
        seconds = {"pages": 0.0, "trivial": 0.0}
        cpu = {"pages": [0.0, 0.0], "trivial": [0.0, 0.0]}  # server, load generator
        for _ in range(args.rounds):
            for kind, urls, store in (("pages", pages, page_times), ("trivial", ["/healthz"], trivial_times)):
                began, (server, own) = time.perf_counter(), cpu_seconds()
                until = began + args.seconds
                await asyncio.gather(*(loop(c, urls, i, until, store) for i, c in enumerate(clients)))
                seconds[kind] += time.perf_counter() - began
                server_after, own_after = cpu_seconds()
                cpu[kind][0] += server_after - server
                cpu[kind][1] += own_after - own
        alone = {}
        if args.per_page:
            # Every user on one page at a time: what each page costs the server on its own.
            for url in ["/healthz", *pages]:
                store: dict = {}
                began, (server, own) = time.perf_counter(), cpu_seconds()
                await asyncio.gather(*(loop(c, [url], i, began + args.seconds, store) for i, c in enumerate(clients)))
                wall = time.perf_counter() - began
                server_after, own_after = cpu_seconds()
                count = len(store[url])
                alone[url] = (count / wall, (server_after - server) / count * 1000, (own_after - own) / count * 1000,
                              statistics.median(store[url]))
        return dict(pages=page_times, trivial=trivial_times, page_seconds=seconds["pages"],
                    trivial_seconds=seconds["trivial"], cpu=cpu, order=number, alone=alone)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--per-page", action="store_true",
                        help="then every user on one page at a time for --seconds: each page's throughput and CPU")
    args = parser.parse_args()

    print(f"load average before  {loadavg()} ({os.cpu_count()} cores)")
    with storefront(worker=True) as (base, env):
        emails, buyer_email = prepare(env, args.users)
        result = asyncio.run(run(base, emails, buyer_email, args))
    print(f"load average after   {loadavg()}")
    pages = [t for times in result["pages"].values() for t in times]
    trivial = [t for times in result["trivial"].values() for t in times]
    med_p, med_t = statistics.median(pages), statistics.median(trivial)
    p99_p, p99_t = percentile(pages, 99), percentile(trivial, 99)
    print(f"users                {args.users} signed in, concurrent; {args.rounds} rounds of {args.seconds:.0f} s each kind; "
          "gunicorn as `flask serve` (app/web/gunicorn_conf.py, 2 web processes) + worker.py, SQLite")
    print(f"pages                {len(pages)} requests, {len(pages) / result['page_seconds']:.0f}/s   "
          f"median {med_p:7.1f} ms   p99 {p99_p:7.1f} ms")
    print(f"/healthz             {len(trivial)} requests, {len(trivial) / result['trivial_seconds']:.0f}/s   "
          f"median {med_t:7.1f} ms   p99 {p99_t:7.1f} ms")
    for url, times in result["pages"].items():
        print(f"  {url:40s} median {statistics.median(times):7.1f} ms   p99 {percentile(times, 99):7.1f} ms   "
              f"({len(times)})")
    for label, kind, count in (("pages", "pages", len(pages)), ("/healthz", "trivial", len(trivial))):
        server, own = result["cpu"][kind]
        wall = result["page_seconds" if kind == "pages" else "trivial_seconds"]
        print(f"CPU per request      {label:9s} server {server / count * 1000:.2f} ms, load generator "
              f"{own / count * 1000:.2f} ms; load generator busy {own / wall:.2f} cores")
    for url, (rate, server, own, median) in result["alone"].items():
        print(f"  alone {url:34s} {rate:5.0f}/s   server {server:.2f} ms, load generator {own:.2f} ms a request; "
              f"median {median:6.1f} ms")
    ratio_med, ratio_p99 = med_p / med_t, p99_p / p99_t
    print(f"ratio                median {ratio_med:.1f}x, p99 {ratio_p99:.1f}x /healthz")
    print(f"{'PASS' if ratio_med < 2 else 'FAIL'}: median under 2x /healthz ({ratio_med:.1f}x)")
    print(f"{'PASS' if ratio_p99 < 5 else 'FAIL'}: p99 under 5x /healthz ({ratio_p99:.1f}x)")


if __name__ == "__main__":
    main()
