"""Batch names as people type them: unique across the outbox, never guessed.

A batch is named ``YYYYMMDD-HHMMSS-<entity>`` (``-2``, ``-3``… when taken), and the name is unique
across the whole outbox: both directions and every stage (``to-*/``, ``pending/``, ``ready/``,
``rejected/``), so a name alone always says which batch. ``review``, ``approve``, ``reject`` and
``forget`` act only on a full name (or a batch folder's path); a partial name lists the batches
it matches instead of picking one, since Sage 50 has no undo.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import UsageError

if TYPE_CHECKING:  # an annotation only: io sits below sync
    from ..sync.ledger import Ledger

STAGES = ("pending", "ready", "rejected")
TMP_PREFIX = ".tmp-"


def outbox_folders(outbox: Path, name: str = "*") -> list[Path]:
    """Batch folders called ``name`` (a glob) anywhere in the outbox: every direction and stage."""
    patterns = [f"to-*/{name}", *(f"{stage}/to-*/{name}" for stage in STAGES)]
    return sorted(
        p
        for pattern in patterns
        for p in outbox.glob(pattern)
        if p.is_dir() and not p.name.startswith(TMP_PREFIX)
    )


def name_taken(outbox: Path, name: str) -> bool:
    """Whether a batch folder of this name exists anywhere in the outbox (forgotten ones too)."""
    return bool(outbox_folders(outbox, name) or outbox_folders(outbox, f"{name}.forgotten"))


def resolve_batch(name: str, *, ledger: Ledger, outbox: Path) -> str:
    """The full batch name ``name`` stands for: itself, or a batch folder's name when it is a path.

    A name that is only part of one (or of several) raises a ``UsageError`` listing the matches.
    """
    given = Path(name)
    if given.name != name and (given / "manifest.json").is_file():
        return given.name
    known = {row["batch"] for row in ledger.batches()} if ledger.exists() else set()
    known |= {p.name for p in outbox_folders(outbox) if not p.name.endswith(".forgotten")}
    if name in known:
        return name
    folded = name.casefold()
    matches = sorted((k for k in known if folded in k.casefold()), reverse=True)
    if not matches:
        raise UsageError(
            f"No batch named {name!r} in {ledger.path} or {outbox}; `bizops-sage50 batches` lists them."
        )
    shown = "\n  ".join(matches[:20]) + (f"\n  … and {len(matches) - 20} more" if len(matches) > 20 else "")
    raise UsageError(
        f"{name!r} is not a full batch name; it matches {len(matches)} batch(es), newest first:\n  {shown}\n"
        "Give the full name: nothing was done."
    )
