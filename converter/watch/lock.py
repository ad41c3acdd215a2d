"""One watcher per inbox: a lock file in the inbox, tied to the folder it was taken in.

The lock holds the watcher's PID. A watcher remembers the inbox folder it locked (device and
inode) and the lock file it created, so that it notices when its inbox is moved away or replaced
by a fresh folder of the same name (``moved``), and so that it only ever removes the lock it
holds (``release``): the lock file it created, wherever its folder went, never a lock another
watcher took since in a new folder under the same name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from ..core.errors import ConverterError
from ..sync.processes import pid_alive

LOCK_NAME = ".bizops-sage50-watch.lock"
_HELD: set[Path] = set()  # locks held by watchers of this process (their PID is ours, yet they are not stale)


class WatcherBusy(ConverterError):
    """Another watcher holds this inbox."""


def _guard_path(inbox: Path) -> Path:
    """The short-lived OS lock held while a watcher checks or takes an inbox's lock: in the
    system's temporary folder (never clutter in the inbox), one per inbox folder."""
    ident = folder_id(inbox) or (0, 0)
    key = hashlib.sha256(f"{inbox.resolve()}|{ident[0]}|{ident[1]}".encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"bizops-sage50-watch-{key}.guard"


def folder_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of a folder, or None when there is none under that name."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class InboxLock:
    """The lock of one inbox folder, once ``acquire`` succeeded."""

    def __init__(self, inbox: Path) -> None:
        self.inbox = inbox
        self.path = inbox / LOCK_NAME
        self.folder: tuple[int, int] | None = None  # the inbox folder locked
        self.file: tuple[int, int] | None = None  # the lock file created
        self._dir_fd: int | None = None  # that folder, open: its lock is found even after a move

    def acquire(self) -> None:
        """Create the lock holding our PID; a dead holder's lock is taken over.

        Checking a lock and taking over a stale one happen under a short OS-level lock
        (filelock, beside the lock file), so two watchers starting at once cannot both find the
        same stale lock, each remove the other's fresh one and both run."""
        from filelock import FileLock, Timeout

        try:
            with FileLock(str(_guard_path(self.inbox)), timeout=10):
                self._acquire()
        except Timeout:
            raise WatcherBusy(
                f"Could not take the lock {self.path}: another watcher is starting on {self.inbox}."
            ) from None

    def _acquire(self) -> None:
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pid = self._holder(self.path)
                if pid and pid_alive(pid) and (pid != os.getpid() or self.path.resolve() in _HELD):
                    raise WatcherBusy(
                        f"Another watcher (PID {pid}) already watches {self.inbox}. Stop it first, or "
                        f"remove {self.path} if that process is gone."
                    ) from None
                self.path.unlink(missing_ok=True)  # stale: its process is gone
                continue
            try:
                os.write(fd, str(os.getpid()).encode())
                st = os.fstat(fd)
            finally:
                os.close(fd)
            self.file = (st.st_dev, st.st_ino)
            self.folder = folder_id(self.inbox)
            if os.open in os.supports_dir_fd:
                with contextlib.suppress(OSError):
                    self._dir_fd = os.open(self.inbox, os.O_RDONLY)
            _HELD.add(self.path.resolve())
            return
        raise WatcherBusy(f"Could not take the lock {self.path}.")

    @staticmethod
    def _holder(path: Path | str, dir_fd: int | None = None) -> int:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0), dir_fd=dir_fd)
            try:
                return int(os.read(fd, 64).decode().strip() or 0)
            finally:
                os.close(fd)
        except (OSError, ValueError):
            return 0

    def moved(self) -> str | None:
        """None while the inbox is the folder locked; ``missing`` or ``replaced`` otherwise."""
        now = folder_id(self.inbox)
        if now is None:
            return "missing"
        return None if now == self.folder else "replaced"

    def release(self) -> None:
        """Remove the lock file this watcher created, and nothing else."""
        if self.file is None:
            return
        _HELD.discard(self.path.resolve())
        where: tuple[Path | str, int | None] = (
            (LOCK_NAME, self._dir_fd) if self._dir_fd is not None else (self.path, None)
        )
        try:
            st = os.stat(where[0], dir_fd=where[1], follow_symlinks=False)
            if (st.st_dev, st.st_ino) == self.file and self._holder(*where) == os.getpid():
                os.unlink(where[0], dir_fd=where[1])
        except OSError:  # gone already: nothing of ours to remove
            return
        finally:
            self.file = None
            if self._dir_fd is not None:
                os.close(self._dir_fd)
                self._dir_fd = None
