"""`flask serve` (what `make run` starts) with the embedded Redis, as real processes: the embedded
server stops with it in every case, a killed one included."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil
import pytest

from tests.support.net import answers, free_port
from tests.support.waiting import wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _redis_servers(instance) -> list[int]:
    """The embedded Redis servers of this instance folder (a Redis server works in its data folder)."""
    found = []
    for process in psutil.process_iter(["name"]):
        try:
            if process.info["name"] == "redis-server" and _alive(process) and process.cwd() == str(instance):
                found.append(process.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.fixture
def serve_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    env.update(FLASK_APP="app", INSTANCE_PATH=str(tmp_path / "instance"), HOST="127.0.0.1", PORT=str(free_port()))
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    return env


def _serve(env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "serve", "--workers", "1"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)


def test_a_killed_serve_leaves_nothing_that_blocks_the_next_one(serve_env):
    instance, url = serve_env["INSTANCE_PATH"], f"http://127.0.0.1:{serve_env['PORT']}/healthz"
    first = _serve(serve_env)
    started = []
    try:
        assert wait_until(lambda: answers(url), 60), "the storefront did not answer"
        [redis_pid] = _redis_servers(instance)
        children = psutil.Process(first.pid).children(recursive=True)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        # The web server and the worker go with it, so the port is free again ...
        assert wait_until(lambda: not any(_alive(c) for c in children), 30), "its children outlived it"
        assert not answers(url)
        # ... and the next start adopts the embedded Redis it left, rather than starting a second one.
        second = _serve(serve_env)
        started.append(second)
        assert wait_until(lambda: answers(url), 60), "the storefront did not answer after the restart"
        assert _redis_servers(instance) == [redis_pid]
        second.send_signal(signal.SIGINT)  # Ctrl-C
        assert second.wait(timeout=30) == 0, second.stderr.read()
        assert _redis_servers(instance) == []
        assert not answers(url)
    finally:
        for process in [first, *started]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for pid in _redis_servers(instance):
            os.kill(pid, signal.SIGKILL)


def test_a_second_serve_on_the_same_instance_folder_is_refused_in_plain_words(serve_env):
    instance, url = serve_env["INSTANCE_PATH"], f"http://127.0.0.1:{serve_env['PORT']}/healthz"
    first = _serve(serve_env)
    try:
        assert wait_until(lambda: answers(url), 60), "the storefront did not answer"
        second = subprocess.run([sys.executable, "-m", "flask", "serve"], cwd=ROOT, capture_output=True, text=True,
                                env={**serve_env, "PORT": str(free_port())}, timeout=60)
        assert second.returncode != 0
        assert "Another `flask serve` is running with the instance folder" in second.stderr
        assert answers(url) and len(_redis_servers(instance)) == 1  # the first one is untouched
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
        assert _redis_servers(instance) == []
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        for pid in _redis_servers(instance):
            os.kill(pid, signal.SIGKILL)


def test_serve_opens_no_control_socket_that_another_storefront_of_the_same_user_would_share(serve_env, tmp_path):
    """gunicorn's runtime control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl): a second
    storefront of the same user would take it over, and the first to stop would remove the other's. `flask
    serve` manages its processes itself and opens none."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in serve_env.items() if k != "XDG_RUNTIME_DIR"} | {"HOME": str(home)}
    url = f"http://127.0.0.1:{env['PORT']}/healthz"
    server = _serve(env)
    try:
        assert wait_until(lambda: answers(url), 60), "the storefront did not answer"
        assert list(home.rglob("*")) == []
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        for pid in _redis_servers(env["INSTANCE_PATH"]):
            os.kill(pid, signal.SIGKILL)


def test_make_run_registers_the_sandbox_webhooks_where_the_storefront_listens():
    """`make run PORT=...`: seed-demo registers the demo sandbox's webhooks at that port (what `flask serve`
    then listens on), not at the default 5000, where nothing or another storefront answers."""
    env = {k: v for k, v in os.environ.items() if k != "PUBLIC_URL"}
    commands = subprocess.run(["make", "-n", "run", "HOST=127.0.0.1", "PORT=5092"], cwd=ROOT, capture_output=True,
                              text=True, check=True, env=env).stdout.splitlines()
    [seed] = [line for line in commands if "flask seed-demo" in line]
    seed_env = seed.split(" .venv/bin/flask")[0]  # the variables the command is run with
    shown = subprocess.run(["bash", "-c", f'{seed_env} && echo "$PUBLIC_URL"'], capture_output=True, text=True,
                           env=env).stdout.strip()
    assert shown == "http://127.0.0.1:5092"
