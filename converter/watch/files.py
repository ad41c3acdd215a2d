"""The inbox's files: which to ignore, in which order to take them, where to archive them (names
that fit, never overwrite, never through a link), and the results of files refused unread."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
from pathlib import Path

from ..core.errors import ConverterError
from ..core.issues import Issue
from ..core.limits import Limits
from ..core.results import ConversionResult
from ..io.detection import detect
from ..io.layouts import ENTITIES
from ..io.reading import open_table
from ..sync.runs import reason

log = logging.getLogger("bizops-sage50.watch")

IGNORED_SUFFIXES = (".tmp", ".partial", ".crdownload")
SUBFOLDERS = ("processing", "processed", "failed")
NETWORK_FS = {"cifs", "smb3", "smbfs", "nfs", "nfs4", "afs", "fuse.sshfs", "9p", "davfs", "fuse.davfs2"}
# Sage 50 imports lists before journals: masters first, then transactions.
ORDER = [e for e in ENTITIES if e != "credit_limits"]  # layouts lists them in this order


class UnsafeFolder(ConverterError):
    """An archive folder inside the inbox is a symbolic link: writing there could land outside it."""


NAME_MAX = 255  # bytes in one file-name component (ext4, NTFS, SMB)
SIDECARS = (".result.json", ".error.txt")
_NAME_ROOM = max(len(s) for s in SIDECARS) + len("-99999")  # what unique_path may add to a name


def ignored(path: Path) -> bool:
    name = path.name
    return name.startswith((".", "~$")) or name.lower().endswith(IGNORED_SUFFIXES)


def network_filesystem(path: Path, mounts: Path = Path("/proc/mounts")) -> str | None:
    """The file-system type when ``path`` is on SMB/CIFS or NFS (which deliver no change events)."""
    try:
        lines = mounts.read_text().splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best, kind = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        if (target == point or target.startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
            best, kind = point, parts[2]
    return kind if kind in NETWORK_FS else None


def fitting_name(name: str) -> str:
    """``name``, its stem cut (keeping the extension) so that with a ``-N`` counter and a sidecar
    suffix it still fits in one file-name component: a long name must not make archiving fail."""
    limit = NAME_MAX - _NAME_ROOM
    if len(os.fsencode(name)) <= limit:
        return name
    stem, suffix = Path(name).stem, Path(name).suffix
    if len(os.fsencode(suffix)) > 16:
        stem, suffix = name, ""
    while stem and len(os.fsencode(stem + suffix)) > limit:
        stem = stem[:-1]
    return (stem or "file") + suffix


def unique_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name-2``, ``name-3``… so an archived file is never overwritten. Links
    count as taken (``lexists``), so nothing is ever written through one planted there."""
    folder.mkdir(parents=True, exist_ok=True)
    name = fitting_name(name)
    candidate = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while any(os.path.lexists(candidate.with_name(candidate.name + extra)) for extra in ("", *SIDECARS)):
        candidate = folder / f"{stem}-{n}{suffix}"
        n += 1
    return candidate


def checked_folder(root: Path, *parts: str) -> Path:
    """``root/parts…``, created as needed; a symbolic link on the way is refused, since archiving
    through it would write outside the inbox."""
    folder = root
    for part in parts:
        folder = folder / part
        if folder.is_symlink():
            raise UnsafeFolder(
                f"{folder} is a symbolic link (to {os.readlink(folder)}); the watcher writes only "
                f"inside {root}. Replace the link with a plain folder."
            )
        folder.mkdir(exist_ok=True)
    return folder


def shown(name: str) -> str:
    """A file name as it can be logged and written: bytes that are not UTF-8 escaped, not fatal."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def write_new(path: Path, text: str) -> None:
    """Create ``path`` afresh (never over a file, never through a link planted under its name)."""
    with path.open("x", encoding="utf-8", errors="backslashreplace") as fh:
        fh.write(text)


def refuse_link(link: Path, inbox: Path) -> ConversionResult:
    """A symbolic link in the inbox is refused unread: following it would let whoever drops files
    make the watcher read (and report on) any file it can reach."""
    try:
        target = os.readlink(link)
    except OSError:  # gone or no longer a link: still never followed
        target = "?"
    where = os.path.normpath(os.path.join(inbox, target))
    outside = os.path.commonpath([os.path.abspath(inbox), os.path.abspath(where)]) != os.path.abspath(inbox)
    result = ConversionResult(input=str(link), status="failed")
    result.issues.append(
        Issue(
            None,
            None,
            "symlink",
            f"{shown(link.name)} is a symbolic link to {shown(target)}"
            f"{', outside the inbox' if outside else ''}; the watcher never follows links, so the "
            "target was not read. Copy the file itself into the inbox.",
            "error",
        )
    )
    return result


def empty_file(path: Path) -> ConversionResult:
    """A file still empty after the stability wait: nothing will come, so it is not left waiting."""
    result = ConversionResult(input=str(path), status="failed")
    message = (
        f"{shown(path.name)}: empty file (0 bytes, unchanged for the whole stability wait): the export "
        "or the copy into the inbox did not finish. Export it again and drop the new file into the inbox."
    )
    result.issues.append(Issue(None, None, "empty-file", message, "error"))
    return result


def now_iso() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def priority(path: Path, limits: Limits | None = None) -> tuple[int, str]:
    """Sage's import order, from the file's header (its name only when it cannot be read, and for
    a link, which is never read)."""
    try:
        if not path.is_symlink():
            entity = detect(open_table(path, limits=limits)).entity
            return (
                ORDER.index(entity) if entity in ORDER else -1 if entity == "chart" else len(ORDER)
            ), path.name
    except Exception:
        pass
    name = path.name.casefold()
    hints = {
        "customer": 0,
        "vendor": 1,
        "item": 2,
        "product": 2,
        "so.": 3,
        "order": 3,
        "sales": 4,
        "invoice": 4,
        "receipts": 5,
        "payment": 5,
        "po.": 6,
        "purchase_order": 6,
        "purchase.": 7,
        "po_receipt": 7,
        "chart": -1,
    }
    rank = next((r for hint, r in hints.items() if hint in name), len(ORDER))
    return rank, name


def error_text(name: str, result: ConversionResult) -> str:
    """Every problem in plain words, and what to do."""
    lines = [f"{shown(name)} could not be converted ({result.status}).", ""]
    errors = [i for i in result.issues if i.severity == "error"]
    for issue in errors:
        where = issue.where()
        lines.append(f"- {where}: {issue.message}" if where != "file" else f"- {issue.message}")
    lines += [
        "",
        "The file is kept here unchanged. Fix the problem (or the setting named above), then drop the "
        "corrected file into the inbox again.",
    ]
    if result.traceback:
        lines += ["", "Traceback of the failure (include it when you report it):", result.traceback.rstrip()]
    return "\n".join(lines) + "\n"


def archive(inbox: Path, claimed: Path, result: ConversionResult) -> bool:
    """A handled file into ``processed/<date>/`` with its ``.result.json`` (True), or into ``failed/``
    with its ``.error.txt`` (False); logged either way."""
    good = (
        result.ok or result.status == "rejected-rows"
    )  # not-exchanged and reference-only files are done with too
    if good:
        folder = checked_folder(inbox, "processed", dt.date.today().isoformat())
        dest = unique_path(folder, claimed.name)
        shutil.move(str(claimed), dest)
        write_new(
            dest.with_name(dest.name + ".result.json"),
            json.dumps(result.as_dict() | {"input": str(dest)}, indent=2, ensure_ascii=False) + "\n",
        )
        why = reason(result) if result.status == "reference-only" else None
        log.info(
            "%s: %s, %d in, %d out, %d rejected, batch %s%s",
            shown(claimed.name),
            result.status,
            result.rows_in,
            result.records_out,
            result.rejected,
            result.batch or "-",
            f"; {why}" if why else "",
        )
    else:
        dest = unique_path(checked_folder(inbox, "failed"), claimed.name)
        shutil.move(str(claimed), dest)
        write_new(dest.with_name(dest.name + ".error.txt"), error_text(dest.name, result))
        first = next((i.message for i in result.issues if i.severity == "error"), result.status)
        log.error("%s: %s (%s); moved to failed/", shown(claimed.name), result.status, shown(first))
        if result.traceback:  # an unexpected failure: keep where it happened, for the report
            log.error("%s: traceback of the failure:\n%s", shown(claimed.name), result.traceback.rstrip())
    return good
