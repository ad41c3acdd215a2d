"""``bizops-sage50 retry``: put failed files back into the inbox once their problem is fixed.

A file the watcher could not convert waits in ``inbox/failed/`` with ``<name>.error.txt`` beside
it. Once the cause is fixed (a setting, the master list it needed, the file itself), ``retry``
moves it back into the inbox for the watcher to take again, removes its error report (the new
run writes its own) and records the retry in the history.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..core.errors import UsageError
from ..core.results import file_sha256
from ..core.settings import Settings
from ..core.values import printable
from ..sync.ledger import Ledger
from ..watch.files import SIDECARS, checked_folder, unique_path

ERROR_SUFFIX = ".error.txt"


def failed_files(inbox: Path) -> list[Path]:
    """The files waiting in ``failed/`` (their sidecar reports aside), by name."""
    folder = inbox / "failed"
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if (p.is_file() or p.is_symlink()) and not p.name.endswith(SIDECARS) and not p.name.startswith(".")
    )


def retry_failed(
    settings: Settings, *, inbox: Path, names: list[str], all_files: bool = False
) -> list[dict[str, Any]]:
    """Move the named failed files (or all of them) back into the inbox; one dict per file moved."""
    if not inbox.is_dir():
        raise UsageError(f"No inbox at {inbox}; pass --inbox DIR, or set `paths.inbox` in the config.")
    checked_folder(inbox, "failed")  # a failed/ that is a link is refused: never read or write through it
    waiting = failed_files(inbox)
    chosen = _choose(waiting, names, all_files=all_files, inbox=inbox)
    ledger = Ledger.for_settings(settings)
    moved = []
    for path in chosen:
        dest = unique_path(inbox, path.name)
        digest = file_sha256(path) if path.is_file() and not path.is_symlink() else None
        os.rename(path, dest)
        report = path.with_name(path.name + ERROR_SUFFIX)
        removed = report.is_file() and not report.is_symlink()
        if removed:
            report.unlink()
        ledger.record_run(
            file=path.name,  # runs.record keeps a name that is not UTF-8 printable
            outcome="retried",
            sha256=digest,
            reason=f"moved from failed/ back into the inbox as {dest.name}",
        )
        moved.append(  # printable: a name that is not UTF-8 must not stop the report
            {
                "file": printable(path.name),
                "from": printable(str(path)),
                "to": printable(str(dest)),
                "error_report_removed": removed,
            }
        )
    return moved


def _choose(waiting: list[Path], names: list[str], *, all_files: bool, inbox: Path) -> list[Path]:
    if all_files and names:
        raise UsageError("Give file names or --all, not both.")
    if all_files:
        return waiting
    if not names:
        raise UsageError(
            "Name the files to retry (as listed in failed/), or pass --all. " + _listing(waiting, inbox)
        )
    by_name = {p.name: p for p in waiting}
    chosen, unknown = [], []
    for name in dict.fromkeys(Path(n).name for n in names):
        (chosen.append(by_name[name]) if name in by_name else unknown.append(name))
    if unknown:
        raise UsageError(
            f"Not in {inbox / 'failed'}: {', '.join(unknown)}. Nothing was moved. " + _listing(waiting, inbox)
        )
    return chosen


def _listing(waiting: list[Path], inbox: Path) -> str:
    if not waiting:
        return f"{inbox / 'failed'} holds no failed files."
    shown = ", ".join(p.name for p in waiting[:20]) + (" …" if len(waiting) > 20 else "")
    return f"Failed files: {shown}."
