"""The real worker (worker.py) in a process of its own, as `make run` starts it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

import redis
from rq import Worker

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start_worker(env: dict, *, own_process_group: bool = False, timeout: float = 30.0) -> subprocess.Popen:
    """Start worker.py with `env` on top of this process's environment (REDIS_URL included) and return
    once it has registered itself in Redis, where RQ lists its workers: from then on it takes the
    jobs of its queue. With `own_process_group`, killing the group takes its work horse along."""
    log = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a chatty worker never blocks on it
    process = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env={**os.environ, **env},
                               start_new_session=own_process_group, stdout=subprocess.DEVNULL, stderr=log)
    process.log = log
    connection = redis.Redis.from_url(env["REDIS_URL"])
    deadline = time.monotonic() + timeout
    while not any(worker.pid == process.pid for worker in Worker.all(connection=connection)):
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            output = log.read()
            stop_worker(process)
            raise RuntimeError(f"the worker did not register in Redis within {timeout:.0f} s:\n{output}")
        time.sleep(0.05)
    return process


def stop_worker(process: subprocess.Popen) -> None:
    """Ask the worker to stop (SIGTERM: it finishes the job at hand), killing it after 10 seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    process.log.close()


def _children(pid: int) -> list[int]:
    children = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as listing:
            children += [int(child) for child in listing.read().split()]
    return children


def kill_worker(process: subprocess.Popen) -> None:
    """SIGKILL the worker and its work horse, as a machine that loses power would, and reap it.

    RQ puts each work horse in a process group of its own (so a Ctrl-C meant for the worker does
    not interrupt the job), so killing the worker's group alone would leave the horse running."""
    horses = _children(process.pid)
    os.killpg(process.pid, signal.SIGKILL)
    for horse in horses:
        try:
            os.killpg(horse, signal.SIGKILL)
        except ProcessLookupError:  # not a group leader (RQ's scheduler process): gone with the group
            pass
    process.wait(timeout=10)
    process.log.close()
