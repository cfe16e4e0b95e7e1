"""CI: `make run` on a fresh clone with the embedded defaults, driven over HTTP as a person would.

Clones the checkout into a temporary folder, starts `make run` there on a free port (SQLite and
the embedded Redis: DATABASE_URL and REDIS_URL unset), signs in with a wrong and then the right
password, opens a few pages per role, fails on any 5xx, stops it with Ctrl-C (SIGINT to its
process group) and checks that no process of it, the embedded Redis included, is left.
Standard library only: it runs before the project is installed.
"""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tests.support.net import answers, free_port  # noqa: E402  (standard library only, as this script)
START_SECONDS = 600  # a fresh clone creates its virtualenv first
UNSET = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENCRYPTION_KEY", "INSTANCE_PATH", "PARTNER_CENTER_MODE",
         "PARTNER_CENTER_SANDBOX_URL", "PUBLIC_URL", "MAIL_SERVER", "FLASK_APP")
PAGES = {
    "admin@example.com": ["/", "/admin/options", "/admin/partner-center/", "/admin/audit", "/admin/mca",
                          "/admin/mca?format=csv", "/catalog/price-lists", "/orders", "/subscriptions"],
    "reseller@example.com": ["/", "/catalog/products", "/catalog/products?q=business", "/catalog/price-lists",
                             "/catalog/price-lists/US/download.csv", "/cart", "/checkout/", "/orders", "/subscriptions",
                             "/notifications"],
}


class Failure(Exception):
    pass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # every answer is seen as it is: a 302 comes back as an HTTPError to read


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirect())
        self.csrf = None

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"User-Agent": "ci-make-run-smoke"})
        try:
            with self.opener.open(req, timeout=30) as response:
                status, headers, body = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, dict(error.headers), error.read()
        text = body.decode("utf-8", "replace")
        print(f"  {method} {path} -> {status}")
        if status >= 500:
            raise Failure(f"{method} {path} answered {status}:\n{text[:2000]}")
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', text)
        if token:
            self.csrf = token.group(1)
        return status, headers, text

    def get(self, path: str) -> tuple[int, dict, str]:
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> tuple[int, dict, str]:
        return self.request("POST", path, {**form, "csrf_token": self.csrf or ""})


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failure(message)


def sign_in(browser: Browser, email: str, password: str) -> tuple[int, dict, str]:
    browser.get("/sign-in")
    return browser.post("/sign-in", {"email": email, "password": password})


def drive(base: str) -> None:
    for email, pages in PAGES.items():
        browser = Browser(base)
        status, _, text = sign_in(browser, email, "not-the-password")
        expect(status == 422 and "The email or password is incorrect." in text,
               f"a wrong password for {email} answered {status}")
        status, headers, _ = sign_in(browser, email, "demo-password")
        expect(status == 302, f"the right password for {email} answered {status}")
        for page in pages:
            status, _, _ = browser.get(page)
            expect(status in (200, 302, 303), f"{page} answered {status} to {email}")
        status, _, _ = browser.post("/sign-out", {})
        expect(status == 302, f"sign-out answered {status}")


def processes_in(folder: str) -> list[tuple[int, str]]:
    """Live processes whose working directory is in `folder` (the embedded Redis works in instance/)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            with open(f"/proc/{pid}/stat") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
            with open(f"/proc/{pid}/comm") as fh:
                name = fh.read().strip()
        except OSError:
            continue
        if state != "Z" and (cwd == folder or cwd.startswith(folder + os.sep)):
            found.append((int(pid), name))
    return found


def main(source: str = ROOT) -> int:
    with tempfile.TemporaryDirectory(prefix="make-run-smoke-") as tmp:
        clone = os.path.join(tmp, "clone")
        subprocess.run(["git", "clone", "--quiet", source, clone], check=True)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in UNSET}
        env.update(HOST="127.0.0.1", PORT=str(port))
        log_path = os.path.join(tmp, "make-run.log")
        base = f"http://127.0.0.1:{port}"
        with open(log_path, "w") as log:
            run = subprocess.Popen(["make", "run"], cwd=clone, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + START_SECONDS
            while not answers(base + "/healthz"):
                if run.poll() is not None:
                    raise Failure(f"make run exited with {run.returncode} before the storefront answered")
                if time.monotonic() > deadline:
                    raise Failure(f"the storefront did not answer within {START_SECONDS} s")
                time.sleep(1)
            print(f"make run serves {base}")
            drive(base)
            instance = os.path.join(clone, "instance")
            expect(any(name == "redis-server" for _, name in processes_in(instance)),
                   "no embedded Redis runs in instance/: is REDIS_URL set?")
            os.killpg(run.pid, signal.SIGINT)  # Ctrl-C in its terminal
            try:
                run.wait(timeout=60)
            except subprocess.TimeoutExpired:
                raise Failure("make run did not stop within 60 s of Ctrl-C")
            deadline = time.monotonic() + 10
            while processes_in(clone) and time.monotonic() < deadline:
                time.sleep(0.2)
            left = processes_in(clone)
            expect(not left, f"processes of the clone left after Ctrl-C: {left}")
            expect(not answers(base + "/healthz"), "the storefront still answers after Ctrl-C")
            print("make run stopped cleanly; nothing of it is left running")
            return 0
        except Failure as failure:
            print(f"FAILED: {failure}", file=sys.stderr)
            with open(log_path) as log:
                print("---- make run output (last 80 lines) ----\n" + "".join(log.readlines()[-80:]), file=sys.stderr)
            return 1
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
            for pid, _ in processes_in(clone):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))  # optional: another repository to clone
