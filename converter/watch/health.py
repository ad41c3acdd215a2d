"""The watcher's health: a heartbeat of its own, problems logged once, clean-up noise kept quiet.

- ``States`` logs a lasting problem (an outbox that cannot be written, an inbox gone) once when it
  starts or changes, and once when it clears, never once a second.
- ``Heartbeat`` rewrites ``outbox/.heartbeat`` every second from its own thread, whatever the
  watcher is doing (a long conversion, a burst of files), and says which file is in hand. A write
  that fails (disk full, the outbox replaced by a file) is logged through ``States`` and retried.
- ``outbox_problem`` tells whether the outbox can take a batch right now.
- ``quiet_unraisable``: errors raised in clean-up code (openpyxl's and lxml's writers closing on a
  full disk: "Exception ignored in ...") go to the log, once per kind, never to the console.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HEARTBEAT = ".heartbeat"


def why(exc: BaseException) -> str:
    """A short, stable description of an error: what changes it is a change of state."""
    return os.strerror(exc.errno) if isinstance(exc, OSError) and exc.errno else type(exc).__name__


class States:
    """Lasting problems by topic; each logged when it starts or changes, and when it clears."""

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self.current: dict[str, tuple[str, str]] = {}  # topic -> (state, message)
        self._lock = threading.Lock()

    def problem(self, topic: str, state: str, message: str, level: int = logging.ERROR) -> None:
        with self._lock:
            if self.current.get(topic, ("",))[0] == state:
                return
            self.current[topic] = (state, message)
        self.log.log(level, message)

    def ok(self, topic: str, message: str) -> None:
        with self._lock:
            if self.current.pop(topic, None) is None:
                return
        self.log.info(message)

    def messages(self) -> dict[str, str]:
        with self._lock:
            return {topic: message for topic, (_, message) in self.current.items()}


def outbox_problem(outbox: Path) -> OSError | None:
    """Why a batch cannot be written to ``outbox`` now (a file in its place, no space, no
    permission), or None. A tiny probe file is written, flushed to disk and removed."""
    probe = outbox / f".probe-{os.getpid()}"
    try:
        outbox.mkdir(parents=True, exist_ok=True)
        with probe.open("w", encoding="utf-8") as fh:
            fh.write("probe\n")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        return exc
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
    return None


class Heartbeat:
    """``outbox/.heartbeat`` rewritten every ``interval`` seconds from its own thread."""

    def __init__(
        self, outbox: Path, data: Callable[[], dict[str, Any]], states: States, interval: float = 1.0
    ) -> None:
        self.outbox, self.data, self.states, self.interval = outbox, data, states, interval
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def write(self) -> bool:
        """Write it now; a failure is logged (once per change) and reported, never raised."""
        with self._write_lock:
            tmp = self.outbox / (HEARTBEAT + ".tmp")
            try:
                self.outbox.mkdir(parents=True, exist_ok=True)
                tmp.write_text(json.dumps(self.data(), indent=2) + "\n", encoding="utf-8")
                os.replace(tmp, self.outbox / HEARTBEAT)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    tmp.unlink(missing_ok=True)
                self.states.problem(
                    "heartbeat",
                    why(exc),
                    f"cannot write the heartbeat {self.outbox / HEARTBEAT} ({exc}); the watcher keeps "
                    "running and retries every second",
                )
                return False
        self.states.ok("heartbeat", f"the heartbeat {self.outbox / HEARTBEAT} is written again")
        return True

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="bizops-sage50-heartbeat", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.write()
            except Exception:  # the data callback failed: never end the heartbeat for it
                self.states.log.exception("the heartbeat could not be built")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


@contextlib.contextmanager
def quiet_unraisable(log: logging.Logger) -> Iterator[None]:
    """While the watcher runs: "Exception ignored in ..." goes to the log (once per kind)."""
    seen: set[tuple[str, str]] = set()
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        exc = unraisable.exc_value
        kind = (type(exc).__name__, why(exc) if exc is not None else "")
        if kind in seen:
            return
        seen.add(kind)
        where = getattr(unraisable.object, "__qualname__", None) or type(unraisable.object).__name__
        log.warning("ignored an error while cleaning up (%s in %s: %s)", kind[0], where, exc)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous
