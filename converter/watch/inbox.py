"""Entries of the inbox that are not files: reported once, never opened.

A FIFO named ``pipe.csv`` would block the watcher the moment it was opened, and a folder named
``subdir.csv`` cannot be converted; neither may sit in the inbox unseen. Each is reported once
(in the log, and with an ``.error.txt`` in ``failed/`` when it can be moved there). Folders whose
names do not look like an export (no readable file extension) are reported but left where they are:
they may be someone's own.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

from ..core.errors import ConverterError
from ..core.issues import Issue
from ..core.results import ConversionResult
from .files import checked_folder, shown, unique_path, write_new

log = logging.getLogger("bizops-sage50.watch")

EXPORT_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls"}


def odd_entry(path: Path, ours: tuple[str, ...]) -> tuple[str, int, int] | None:
    """(name, device, inode) of an entry that is neither a file, a link nor one of our folders."""
    try:
        st = os.lstat(path)  # never follows, never opens
    except OSError:
        return None
    if stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
        return None
    if stat.S_ISDIR(st.st_mode) and path.name in ours:
        return None
    return path.name, st.st_dev, st.st_ino


def kind_of(path: Path) -> tuple[str, bool]:
    """What the entry is, in words, and whether it goes to failed/ (anything but a folder that
    does not look like an export)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "gone", False
    if stat.S_ISDIR(mode):
        return "a folder", path.suffix.lower() in EXPORT_SUFFIXES
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)", True
    if stat.S_ISSOCK(mode):
        return "a socket", True
    return "a device", True


def odd_text(name: str, kind: str) -> str:
    """The ``.error.txt`` of an odd entry: what it is, and what to do."""
    return (
        f"{name} is {kind}, not a file, so the watcher did not open it (nothing was read or converted).\n\n"
        "Drop the export file itself into the inbox: copy the CSV or XLSX file, not a folder or a pipe.\n"
    )


def move_odd(inbox: Path, path: Path, kind: str) -> ConversionResult | None:
    """An odd entry moved to ``failed/`` with its ``.error.txt``, never opened: the result that
    reports it, or None (and an error logged) when it cannot be moved."""
    name = shown(path.name)
    try:
        dest = unique_path(checked_folder(inbox, "failed"), path.name)
        os.rename(path, dest)
    except (OSError, ConverterError) as exc:
        log.error("%s is %s, not a file; it cannot be moved to failed/ (%s); remove it", name, kind, exc)
        return None
    result = ConversionResult(input=str(dest), status="failed")
    result.issues.append(Issue(None, None, "not-a-file", odd_text(name, kind).split("\n")[0], "error"))
    with contextlib.suppress(OSError):
        write_new(dest.with_name(dest.name + ".error.txt"), odd_text(name, kind))
    log.error("%s is %s, not a file; not opened, moved to failed/", name, kind)
    return result
