"""Process liveness (psutil, so it holds on Windows too) and a stale watcher lock taken over by
one watcher only, however many start at once."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from converter.sync.processes import pid_alive
from converter.watch.lock import LOCK_NAME, InboxLock, WatcherBusy


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_running_process_is_alive_and_a_finished_one_is_not():
    assert pid_alive(os.getpid())
    assert not pid_alive(_dead_pid())
    assert not pid_alive(0) and not pid_alive(-5)


def test_a_zombie_is_not_alive():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # exited, not yet reaped: a zombie
        import psutil

        if psutil.Process(proc.pid).status() == psutil.STATUS_ZOMBIE:
            break
        time.sleep(0.02)
    try:
        assert not pid_alive(proc.pid)
    finally:
        proc.wait()


def _take(inbox: str, barrier, queue) -> None:
    barrier.wait(timeout=30)
    try:
        lock = InboxLock(Path(inbox))
        lock.acquire()
        queue.put("won")
        time.sleep(1.0)  # hold it while the others try
        lock.release()
    except WatcherBusy:
        queue.put("busy")


@pytest.mark.parametrize("trial", range(5))
def test_a_stale_lock_is_taken_over_by_one_watcher_only(tmp_path, trial):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / LOCK_NAME).write_text(str(_dead_pid()))  # its watcher died without cleaning up
    ctx = multiprocessing.get_context("fork")
    n = 3
    barrier, queue = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_take, args=(str(inbox), barrier, queue)) for _ in range(n)]
    for p in procs:
        p.start()
    outcomes = sorted(queue.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=30)
    assert outcomes == ["busy"] * (n - 1) + ["won"]
    assert not (inbox / LOCK_NAME).exists()  # the winner removed its own lock, nothing else
