"""The inbox watcher: drop a file, get an import file, on a local disk or a network share.

Change events are only hints: the inbox is also rescanned on a timer, so a missed event (SMB and
NFS deliver none; Windows drops them when its buffer overflows) costs a delay, never a file.

A file is taken only when it is complete: at least ``settle`` seconds old, with the same size
and mtime on two checks ``check`` seconds apart (a file still empty then goes to ``failed/``). It is then *claimed* by a rename
into ``inbox/processing/`` on the same volume, converted, and archived: ``processed/YYYY-MM-DD/``
with ``<name>.result.json`` beside it, or ``failed/`` with ``<name>.error.txt``. Nothing is ever
deleted, and an archived file is never overwritten by a later one with the same name.

Whoever can drop files can drop hostile ones, so nothing in the inbox can make the watcher read or
write elsewhere: a symbolic link is never followed (the link itself is moved to ``failed/``),
archive folders that are links are refused, archive names are only ever the file's own name
(shortened to fit, with ``-2``… added), and sidecar files are created afresh, never through a link.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
import sqlite3
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from ..core.errors import ConverterError
from ..core.issues import Issue
from ..core.settings import Settings
from ..io.batches import TMP_PREFIX
from ..pipeline.convert import ConversionResult, convert_file
from ..sync.ledger import Ledger
from ..sync.processes import pid_alive
from ..sync.runs import record_result
from .files import (
    SUBFOLDERS,
    UnsafeFolder,
    archive,
    checked_folder,
    empty_file,
    ignored,
    network_filesystem,
    now_iso,
    priority,
    refuse_link,
    shown,
    unique_path,
)
from .health import Heartbeat, States, outbox_problem, quiet_unraisable, why
from .inbox import kind_of, move_odd, odd_entry
from .lock import LOCK_NAME, InboxLock, WatcherBusy

__all__ = ["LOCK_NAME", "UnsafeFolder", "Watcher", "WatcherBusy", "ignored", "network_filesystem"]

log = logging.getLogger("bizops-sage50.watch")


@dataclass
class WatchStats:
    started: str = field(default_factory=lambda: dt.datetime.now().astimezone().isoformat(timespec="seconds"))
    processed: int = 0
    failed: int = 0
    observer_restarts: int = 0


class _Hint(FileSystemEventHandler):
    def __init__(self, wake: threading.Event) -> None:
        self.wake = wake

    def on_any_event(self, event) -> None:
        self.wake.set()


class Watcher:
    """Watches one inbox. ``run`` loops until ``stop`` is set; ``run_once`` handles what is waiting."""

    def __init__(
        self,
        *,
        inbox: Path,
        outbox: Path,
        settings: Settings,
        poll: float | None = None,
        rescan: float = 60.0,
        settle: float = 2.0,
        check: float = 1.0,
        convert: Callable[..., ConversionResult] = convert_file,
        reload_settings: Callable[[], Settings] | None = None,
        initial_load: bool = False,
    ) -> None:
        self.inbox, self.outbox, self.settings = inbox, outbox, settings
        self.reload_settings = reload_settings  # e.g. config_reload.SettingsReloader: edits apply live
        self.network = network_filesystem(inbox)
        self.poll = poll if poll is not None else (5.0 if self.network else None)
        self.rescan, self.settle, self.check = rescan, settle, check
        self.convert = convert
        self.initial_load = initial_load  # the files taken by this watcher are a first copy
        self.stats = WatchStats()
        self.stop = threading.Event()
        self.wake = threading.Event()
        self._seen: dict[Path, tuple[int, float, float]] = {}  # path -> (size, mtime, when checked)
        self._next_due = self.check  # seconds until a file seen can next be ready
        self._observer = None
        self._lock: InboxLock | None = None
        self.states = States(log)  # lasting problems (outbox, inbox, heartbeat), each logged once
        self._beat = Heartbeat(outbox, self._heartbeat_data, self.states)
        self._in_hand: dict[str, str] | None = None  # the file being converted, for the heartbeat
        self._odd: set[tuple[str, int, int]] = set()  # odd entries reported (name, device, inode)
        self.lost: str | None = None  # why the watcher stopped on its own (its inbox taken by another)
        self.refused: list[ConversionResult] = []  # odd entries moved to failed/, for run_once's exit code

    # ------------------------------------------------------------------ lifecycle
    def acquire(self) -> None:
        """One watcher per inbox: a lock file holding our PID (a dead holder's lock is taken over)."""
        self.inbox.mkdir(parents=True, exist_ok=True)
        for sub in SUBFOLDERS:
            checked_folder(self.inbox, sub)
        lock = InboxLock(self.inbox)
        lock.acquire()
        self._lock = lock

    def release(self) -> None:
        """Remove our lock (only ours: see ``watch_lock``)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _check_inbox(self) -> None:
        """Notice an inbox moved away or replaced by another folder: re-take the lock on the folder
        now under its name, or stop when another watcher holds that one."""
        state = self._lock.moved() if self._lock is not None else None
        if state is None:
            self.states.ok("inbox", f"the inbox {self.inbox} is back")
            return
        if state == "missing":
            self.states.problem(
                "inbox", "missing", f"the inbox {self.inbox} is gone (moved or removed); waiting for it"
            )
            return
        self.release()  # ours, in the folder that moved away: removed there
        self._seen.clear()
        try:
            self.acquire()
        except (OSError, ConverterError) as exc:
            self.lost = (
                f"The inbox {self.inbox} is no longer the folder this watcher locked (it was moved or "
                f"replaced), and its lock cannot be taken: {exc} This watcher stops."
            )
            log.error("%s", self.lost)
            self.stop.set()
            return
        self.states.ok("inbox", f"the inbox {self.inbox} is there again")
        if self._observer is not None:  # it watches the folder that went away: watch the new one
            with contextlib.suppress(Exception):
                self._observer.stop()
            self._observer = None
            self._supervise()
        self.wake.set()
        log.warning(
            "the inbox %s was replaced by another folder (moved or recreated); took the lock on the new one",
            self.inbox,
        )

    def _outbox_ready(self) -> bool:
        """Whether a batch can be written now; a problem is logged once and files wait in the inbox."""
        problem = outbox_problem(self.outbox)
        if problem is None:
            self.states.ok("outbox", f"the outbox {self.outbox} is writable again; converting")
            return True
        self.states.problem(
            "outbox",
            why(problem),
            f"cannot write to the outbox {self.outbox} ({problem}); files wait in the inbox, retrying "
            "every second. Free some space, or make the outbox a writable folder again.",
        )
        return False

    def recover(self) -> list[ConversionResult]:
        """After a crash: finish files left in processing/, remove orphan temporary batch folders."""
        orphans = [*self.outbox.glob(f"to-*/{TMP_PREFIX}*"), *self.outbox.glob(f"pending/to-*/{TMP_PREFIX}*")]
        for tmp in orphans:
            pid = tmp.name[len(TMP_PREFIX) :].split("-", 1)[0]
            if not (pid.isdigit() and pid_alive(int(pid)) and int(pid) != os.getpid()):
                shutil.rmtree(tmp, ignore_errors=True)
                log.info("removed orphan temporary folder %s", tmp)
        left = sorted((self.inbox / "processing").glob("*"))
        return [self._handle(path) for path in left if path.is_file() or path.is_symlink()]

    def _start_observer(self) -> None:
        observer = PollingObserver(timeout=self.poll) if self.poll else Observer()
        observer.schedule(_Hint(self.wake), str(self.inbox), recursive=False)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def _supervise(self) -> None:
        """Restart the observer if it died, or if its emitter did (watchdog stops the polling emitter
        when a share goes away while the observer thread lives on); retry until it starts."""
        obs = self._observer
        healthy = obs is not None and obs.is_alive() and all(e.is_alive() for e in obs.emitters)
        if healthy:
            return
        self.stats.observer_restarts += 1
        log.warning("the file observer stopped; restarting it")
        if obs is not None:
            with contextlib.suppress(Exception):  # it is being replaced anyway
                obs.stop()
        try:
            self._start_observer()
        except OSError as exc:  # the share may still be away: the rescan timer keeps going meanwhile
            log.warning("could not restart the observer (%s); rescanning on the timer", exc)
            self._observer = None

    # ------------------------------------------------------------------ scanning
    def ready_files(self, now: float | None = None) -> list[Path]:
        """Complete files waiting in the inbox, masters first."""
        now = time.time() if now is None else now
        if self.reload_settings is not None:
            self.settings = self.reload_settings()
        ready = []
        present = set()
        self._next_due = self.check
        for path in self.inbox.iterdir():
            if ignored(path):
                continue
            if path.is_symlink():  # complete as soon as it exists; refused unread (see _handle)
                ready.append(path)
                continue
            if not path.is_file():
                self._report_odd(path)
                continue
            present.add(path)
            try:
                st = path.stat()
            except OSError:
                continue
            prev = self._seen.get(path)
            if not (prev and prev[:2] == (st.st_size, st.st_mtime)):
                self._seen[path] = (st.st_size, st.st_mtime, now)  # new or changed: check again later
            # When this file can next be ready: the loop wakes then, not up to a check later.
            since = now - self._seen[path][2]
            due = max(self.settle - (now - st.st_mtime), self.check * 0.9 - since)
            if due > 0:  # a file ready now is taken now; one that stays is retried at the normal pace
                self._next_due = min(self._next_due, due)
            if now - st.st_mtime < self.settle:
                continue
            if (
                prev
                and prev[0] == st.st_size
                and prev[1] == st.st_mtime
                and now - prev[2] >= self.check * 0.9
            ):
                ready.append(path)
        for gone in set(self._seen) - present:
            del self._seen[gone]
        limits = self.settings.limits
        return sorted(ready, key=lambda p: priority(p, limits))

    def _report_odd(self, path: Path) -> None:
        """A FIFO, socket, device or stray folder: reported once, moved to failed/ when it can be, never opened."""
        found = odd_entry(path, SUBFOLDERS)
        if found is None or found in self._odd:
            return
        self._odd.add(found)
        kind, movable = kind_of(path)
        if not movable:
            log.error(
                "%s is %s, not a file; not opened, left in the inbox (remove it or move it away)",
                shown(path.name),
                kind,
            )
            return
        result = move_odd(self.inbox, path, kind)
        if result is not None:
            self._odd.discard(found)  # no longer in the inbox
            self.stats.failed += 1
            self.refused.append(result)

    def run_once(self, *, max_wait: float | None = None) -> list[ConversionResult]:
        """Process everything waiting now (for cron and Task Scheduler), then return."""
        with quiet_unraisable(log):
            self._beat.start()
            try:
                results = self._run_once(max_wait)
            finally:
                self._beat.stop()
        self.heartbeat()
        results += self.refused
        self.refused = []
        return results

    def _run_once(self, max_wait: float | None) -> list[ConversionResult]:
        results = self.recover()
        deadline = time.time() + (max_wait if max_wait is not None else self.settle + 3 * self.check + 5)
        tried: set[Path] = set()  # a file that could not be claimed is not retried in this run
        while not self.stop.is_set():
            waiting = [p for p in self.inbox.iterdir() if (p.is_file() or p.is_symlink()) and not ignored(p)]
            if not waiting:
                self.ready_files()  # reports odd entries (FIFOs, folders named like files)
                break
            if not self._outbox_ready():  # the files stay in the inbox for the next run
                result = ConversionResult(input=str(self.outbox), status="failed")
                text = self.states.messages().get("outbox", "the outbox cannot be written")
                result.issues.append(Issue(None, None, "outbox-unwritable", text, "error"))
                results.append(result)
                break
            ready = [p for p in self.ready_files() if p not in tried]
            tried.update(ready)
            for path in ready:
                if self.stop.is_set():
                    break
                results.append(self._take(path))
            if not ready:
                if time.time() > deadline:
                    break
                time.sleep(self.check)
        return results

    def run(self) -> None:
        """Watch until ``stop`` is set; SIGINT/SIGTERM set it and the file in hand is finished.

        The heartbeat is written from its own thread meanwhile; an unwritable outbox or a moved
        inbox is logged once and waited out (see ``_outbox_ready``, ``_check_inbox``)."""
        with quiet_unraisable(log):
            self.heartbeat()
            self._beat.start()
            try:
                self.recover()
                self._start_observer()
                self._loop()
            except Exception:
                log.exception("the watcher stopped on an unexpected error")
                raise
            finally:
                self._beat.stop()
                if self._observer is not None:
                    self._observer.stop()
                    self._observer.join(timeout=5)
                self.heartbeat()

    def _loop(self) -> None:
        last_scan = 0.0
        while not self.stop.is_set():
            self._supervise()
            self._check_inbox()
            pending = bool(self._seen)
            due = time.time() - last_scan >= self.rescan
            if (self.wake.is_set() or pending or due) and not self.stop.is_set():
                self.wake.clear()
                last_scan = time.time()
                try:
                    ready = self.ready_files()
                except OSError as exc:  # the inbox is unreachable (a share dropped out): retry
                    self.states.problem("scan", why(exc), f"cannot scan {self.inbox} ({exc}); retrying")
                    ready = []
                else:
                    self.states.ok("scan", f"scanning {self.inbox} again")
                self.refused.clear()  # logged and counted already; kept only for run_once's exit code
                if ready and not self._outbox_ready():
                    ready = []  # they wait in the inbox until the outbox can take a batch
                for path in ready:
                    if self.stop.is_set():
                        break
                    self._take(path)
            wait = min(self.check, max(0.05, self._next_due)) if self._seen else self.check
            self.wake.wait(timeout=wait)

    # ------------------------------------------------------------------ one file
    def _take(self, path: Path) -> ConversionResult:
        """Claim ``path`` by renaming it into processing/ (so nobody else takes it), then handle it."""
        try:
            claimed = unique_path(checked_folder(self.inbox, "processing"), path.name)
            os.rename(path, claimed)
        except FileNotFoundError:
            return ConversionResult(input=str(path), status="skipped")  # taken by someone else
        except (OSError, ConverterError) as exc:  # that file's problem, never the watcher's
            log.error("cannot claim %s (%s); left in the inbox", shown(path.name), exc)
            result = ConversionResult(input=str(path), status="failed")
            result.issues.append(Issue(None, None, "io-error", f"{shown(path.name)}: {exc}", "error"))
            return result
        self._seen.pop(path, None)
        return self._handle(claimed)

    def _handle(self, claimed: Path) -> ConversionResult:
        own = True  # a result the watcher made itself goes into the history here (convert_file's: there)
        if claimed.is_symlink():
            result = refuse_link(claimed, self.inbox)
        elif claimed.stat().st_size == 0:
            result = empty_file(claimed)
        else:
            self._in_hand = {"file": shown(claimed.name), "since": now_iso()}
            try:
                options = {"initial_load": True} if self.initial_load else {}
                result = self.convert(claimed, settings=self.settings, outbox=self.outbox, **options)
                own = False
            except Exception as exc:
                log.exception("conversion of %s crashed", shown(claimed.name))
                result = ConversionResult(
                    input=str(claimed), status="failed", traceback=traceback.format_exc()
                )
                result.issues.append(
                    Issue(None, None, "internal-error", f"{type(exc).__name__}: {exc}", "error")
                )
            finally:
                self._in_hand = None
            if not result.ok and not self._outbox_ready() and self._give_back(claimed):
                return result  # the outbox's fault, not the file's: converted when it is writable
        if own:
            result.initial_load = self.initial_load
            self._record(result)
        try:
            self._archive(claimed, result)
        except (OSError, ConverterError) as exc:  # never lost: kept in processing/, retried at the next start
            self.stats.failed += 1
            if not os.path.lexists(claimed):  # archived; only its report could not be written
                log.error(
                    "%s was archived, but its report could not be written (%s)", shown(claimed.name), exc
                )
                return result
            log.error("%s could not be archived (%s); it stays in processing/", shown(claimed.name), exc)
            result.issues.append(
                Issue(
                    None,
                    None,
                    "archive-failed",
                    f"{shown(claimed.name)} could not be moved out of processing/ ({exc}); it is kept "
                    "there and retried when the watcher next starts.",
                    "error",
                )
            )
        return result

    def _record(self, result: ConversionResult) -> None:
        try:
            record_result(Ledger.for_settings(self.settings), result)
        except (sqlite3.Error, OSError, ValueError) as exc:
            log.warning("%s: could not be added to the history (%s)", shown(Path(result.input).name), exc)

    def _give_back(self, claimed: Path) -> bool:
        """Put a file whose conversion the outbox stopped back in the inbox, under its name."""
        try:
            back = unique_path(self.inbox, claimed.name)
            os.rename(claimed, back)
        except OSError as exc:
            log.error("%s could not be put back in the inbox (%s)", shown(claimed.name), exc)
            return False
        log.warning(
            "%s could not be finished; put back in the inbox as %s", shown(claimed.name), shown(back.name)
        )
        return True

    def _archive(self, claimed: Path, result: ConversionResult) -> None:
        if archive(self.inbox, claimed, result):
            self.stats.processed += 1
        else:
            self.stats.failed += 1

    def heartbeat(self) -> bool:
        """``outbox/.heartbeat`` now; False (logged once) when it cannot be written."""
        return self._beat.write()

    def _heartbeat_data(self) -> dict[str, Any]:
        """The time, the counts, the file in hand and the problems, so monitoring can tell the
        watcher is alive and what it is doing."""
        return {
            "time": now_iso(),
            "pid": os.getpid(),
            "inbox": str(self.inbox),
            "mode": f"polling every {self.poll:g} s" if self.poll else "native events",
            **self.stats.__dict__,
            "in_hand": self._in_hand,
            "problems": self.states.messages(),
        }
