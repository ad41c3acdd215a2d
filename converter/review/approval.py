"""The approval gate: a batch waits in ``outbox/pending/`` until someone approves or rejects it.

Sage 50 has no undo, so a site can require a second look (``[review] require_approval = true``).
``approve`` checks that the batch's files are byte for byte what was written and reviewed (the
SHA-256 recorded in the ledger), moves the folder to ``outbox/ready/`` and records who approved
it, when, and that hash. ``reject`` un-sends the batch's records, so the next export sends them
again, and moves the folder to ``outbox/rejected/`` with the reason beside it.
"""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Any

from ..core.errors import UsageError
from ..core.settings import Settings
from ..io.batch_names import resolve_batch
from ..io.batches import batch_files, batch_hash
from ..sync.ledger import Ledger, now_iso
from .summary import batch_summary, find_batch, read_manifest

STATES = {
    None: "written",
    "awaiting": "awaiting approval",
    "approved": "approved",
    "rejected": "rejected",
}


def batch_state(row: dict[str, Any]) -> str:
    """A batch's state as people say it: writing, written, awaiting approval, approved, rejected, forgotten."""
    if row.get("review") == "rejected":
        return "rejected"
    if row["state"] == "forgotten":
        return "forgotten"
    if row["state"] == "pending":
        return "writing"
    return STATES.get(row.get("review"), str(row.get("review")))


BATCH_STATES = ("writing", "written", "awaiting approval", "approved", "rejected", "forgotten")


def list_batches(settings: Settings, *, state: str | None = None) -> list[dict[str, Any]]:
    """Every batch the ledger knows (or those in ``state``), newest first, with where its folder is."""
    if state is not None and state not in BATCH_STATES:
        raise UsageError(f"Unknown batch state {state!r}; use one of: {', '.join(BATCH_STATES)}.")
    ledger = Ledger.for_settings(settings)
    if ledger.exists():
        ledger.reconcile()
    out = []
    for row in ledger.batches():
        if state is not None and batch_state(row) != state:
            continue
        out.append(
            {
                "batch": row["batch"],
                "state": batch_state(row),
                "direction": row["direction"],
                "entity": row["entity"],
                "source": row["source"],
                "records": row["records"],
                "created_at": row["created_at"],
                "reviewed_by": row["reviewed_by"],
                "reviewed_at": row["reviewed_at"],
                "reason": row["review_note"],
                "path": row["path"],
                "exists": Path(row["path"]).is_dir(),
            }
        )
    return out


def review_batch(settings: Settings, name: str, *, outbox: Path) -> dict[str, Any]:
    """The summary of one batch (from its manifest) and where its workbook is."""
    ledger = Ledger.for_settings(settings)
    if not (Path(name) / "manifest.json").is_file():  # a folder's path is taken as it is
        name = resolve_batch(name, ledger=ledger, outbox=outbox)
    row = ledger.batch(Path(name).name) if ledger.exists() else None
    folder = find_batch(name, outbox=outbox, ledger_path=row["path"] if row else None)
    manifest = read_manifest(folder)
    summary = batch_summary(manifest, state=batch_state(row) if row else None)
    workbook = folder / (manifest.get("review") or {}).get("workbook", "review.xlsx")
    return {**summary, "folder": str(folder), "workbook": str(workbook) if workbook.is_file() else None}


def _awaiting(ledger: Ledger, name: str, action: str) -> dict[str, Any]:
    row = ledger.batch(name) if ledger.exists() else None
    if row is None:
        raise UsageError(f"No batch named {name!r} in {ledger.path}; `bizops-sage50 batches` lists them.")
    state = batch_state(row)
    if state != "awaiting approval":
        by = f" by {row['reviewed_by']} on {row['reviewed_at'][:19]}" if row.get("reviewed_by") else ""
        hint = (
            " Batches wait for approval only when `[review] require_approval = true` is set."
            if state == "written"
            else ""
        )
        if state == "approved" and action == "reject":
            hint = " If it was never loaded, `bizops-sage50 forget` un-sends it."
        raise UsageError(
            f"Batch {name} is {state}{by}; only a batch awaiting approval can be {action}d.{hint}"
        )
    return row


def approve_batch(settings: Settings, name: str, *, outbox: Path, by: str | None = None) -> dict[str, Any]:
    """Move a pending batch to ``outbox/ready/`` once its files are proven unchanged since written."""
    ledger = Ledger.for_settings(settings)
    name = resolve_batch(name, ledger=ledger, outbox=outbox)
    row = _awaiting(ledger, name, "approve")
    folder = Path(row["path"])
    if not folder.is_dir():
        raise UsageError(
            f"Batch {name} should be in {folder}, which is gone. Convert the source file again, or "
            f"`bizops-sage50 reject {name} --reason …` to un-send its records."
        )
    files = batch_files(folder)
    digest = batch_hash(files)
    if row["hash"] and digest != row["hash"]:
        recorded = read_manifest(folder).get("files", {})
        changed = sorted(n for n in set(files) | set(recorded) if files.get(n) != recorded.get(n))
        raise UsageError(
            f"Batch {name} changed since it was written ({', '.join(changed) or 'its files'}): what would be "
            f"loaded is not what was reviewed. Reject it (`bizops-sage50 reject {name} --reason …`) and convert "
            "the source file again."
        )
    approver = by or _user()
    ready = _move(folder, outbox, "ready")
    _note_in_manifest(ready, {"approved_by": approver, "approved_at": now_iso(), "batch_sha256": digest})
    ledger.set_review(name, decision="approved", by=approver, note=None, path=ready)
    return {"batch": name, "state": "approved", "by": approver, "batch_sha256": digest, "folder": str(ready)}


def reject_batch(
    settings: Settings, name: str, *, outbox: Path, reason: str, by: str | None = None
) -> dict[str, Any]:
    """Un-send a pending batch's records and move it to ``outbox/rejected/`` with the reason."""
    if not reason.strip():
        raise UsageError("Say why with --reason: the next person to look at the batch will need it.")
    ledger = Ledger.for_settings(settings)
    name = resolve_batch(name, ledger=ledger, outbox=outbox)
    row = _awaiting(ledger, name, "reject")
    rejecter = by or _user()
    count = ledger.drop_batch(name)
    folder = Path(row["path"])
    moved = None
    if folder.is_dir():
        moved = _move(folder, outbox, "rejected")
        stamp = now_iso()
        (moved / "REJECTED.txt").write_text(
            f"Rejected by {rejecter} on {stamp}.\nReason: {reason}\n"
            f"Its {count} records were un-sent: the next export sends them again.\n",
            encoding="utf-8",
        )
        _note_in_manifest(moved, {"rejected_by": rejecter, "rejected_at": stamp, "reason": reason})
    ledger.set_review(name, decision="rejected", by=rejecter, note=reason, path=moved)
    return {
        "batch": name,
        "state": "rejected",
        "by": rejecter,
        "reason": reason,
        "records": count,
        "folder": str(moved) if moved else None,
    }


def _move(folder: Path, outbox: Path, stage: str) -> Path:
    """``outbox/pending/to-sage50/NAME`` → ``outbox/<stage>/to-sage50/NAME`` (never over another folder).

    The outbox is the one the batch is in, whatever folder the command runs from."""
    if folder.parent.parent.name == "pending":
        outbox = folder.parent.parent.parent
    dest_parent = outbox / stage / folder.parent.name
    dest_parent.mkdir(parents=True, exist_ok=True)
    dest = dest_parent / folder.name
    if dest.exists():
        raise UsageError(f"{dest} already exists; move it away first.")
    os.rename(folder, dest)
    return dest


def _note_in_manifest(folder: Path, decision: dict[str, Any]) -> None:
    """The decision goes into the manifest too, so the folder tells its story on its own."""
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["review_decision"] = decision
    manifest["outputs"] = [str(folder / Path(p).name) for p in manifest.get("outputs", [])]
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
