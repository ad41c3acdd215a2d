"""Entries of the inbox that are not files: reported once, never opened.

A FIFO named ``pipe.csv`` would block the watcher the moment it was opened, and a folder named
``subdir.csv`` cannot be converted; neither may sit in the inbox unseen. Each is reported once
(in the log, and with an ``.error.txt`` in ``failed/`` when it can be moved there). Folders whose
names do not look like an export (no readable file extension) are reported but left where they are:
they may be someone's own.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

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
