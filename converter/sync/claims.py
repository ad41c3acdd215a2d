"""Claiming a batch: the one moment two converters sharing a ledger must not both win.

Two ``convert`` runs on the same file (a person by hand while the watcher takes a copy, two
terminals) each read the ledger, find the same documents unsent, and write an import file. Only one
of those files may ever reach Sage 50. So before a batch folder appears, the converter *claims* it
in one SQLite transaction (``BEGIN IMMEDIATE``: one writer at a time, across processes):

- the file: if the same bytes with the same template were processed by someone else since this
  converter looked, the claim fails;
- every record/document key in the batch: if another batch staged since this converter read the
  ledger (its ``mark``) sent any of them, the claim fails;
- otherwise the batch, its records (pending), how many records the import file holds, and the
  file's row in ``files`` are written, all at once.

A failed claim raises ``ClaimConflict``; nothing was written, and the caller converts the file
again from the start: it then finds the file already processed, or those documents already sent
(skipped as duplicates), exactly as if the two runs had come one after the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.results import ConversionResult
from .ledger import Ledger
from .spool import Spool

CLAIM_ATTEMPTS = 5  # conversions of one file in a row that lose their claim before it fails


class ClaimConflict(Exception):
    """Another converter sent this file, or some of these records, since this one read the ledger."""


@dataclass(frozen=True)
class FileClaim:
    """The input file's row in the ledger's ``files`` table, and whether a repeat is refused."""

    sha256: str
    template: str
    name: str
    size: int
    entity: str | None
    direction: str | None
    outcome: str
    once: bool = True  # False with --full / --release-held: the same bytes may go again

    def values(self, batch: str | None) -> tuple:
        return (
            self.sha256,
            self.template,
            self.name,
            self.size,
            self.entity,
            self.direction,
            self.outcome,
            batch,
        )


def file_claim(path: Path, result: ConversionResult, template: str, *, once: bool) -> FileClaim | None:
    """The claim of ``path`` as converted into ``result`` (None when its hash is unknown)."""
    if not result.sha256:
        return None
    return FileClaim(
        sha256=result.sha256,
        template=template,
        name=path.name,
        size=path.stat().st_size,
        entity=result.entity,
        direction=f"{result.source_system}-to-{result.target_system}",
        outcome=result.status,
        once=once,
    )


Staged = list[tuple[str, str, Spool | list]]  # (entity, target, records) per record kind in the batch


def taken_since(
    ledger: Ledger, mark: int, batch: str, entity: str, target: str, keys: list[str]
) -> list[str]:
    """Keys (as sent) that a batch other than ``batch``, staged after ``mark`` and not forgotten, sent."""
    others = ledger.conn.execute(
        "SELECT 1 FROM batches WHERE rowid > ? AND batch != ? AND state != 'forgotten' LIMIT 1", (mark, batch)
    )
    if others.fetchone() is None:  # no other batch staged since: none of the keys can be taken
        return []
    folded = list(dict.fromkeys(k.casefold() for k in keys))
    taken: list[str] = []
    for i in range(0, len(folded), 500):
        part = folded[i : i + 500]
        cur = ledger.conn.execute(
            "SELECT s.id FROM sent s JOIN batches b ON b.batch = s.batch WHERE b.rowid > ? AND b.batch != ? "
            f"AND b.state != 'forgotten' AND s.entity=? AND s.target=? AND s.key IN ({','.join('?' * len(part))})",
            (mark, batch, entity, target, *part),
        )
        taken += [row[0] for row in cur]
    return taken


def _check_file(ledger: Ledger, file: FileClaim | None) -> None:
    if file is not None and file.once and ledger.seen_file(file.sha256, file.template):
        raise ClaimConflict(f"{file.name} was processed by another converter meanwhile")


def claim_batch(
    ledger: Ledger,
    *,
    mark: int,
    batch: str,
    path: Path,
    direction: str,
    source: str,
    sha256: str | None,
    staged: Staged,
    file: FileClaim | None,
    batch_hash: str | None = None,
    awaiting_review: bool = False,
) -> None:
    """Stage ``batch`` (pending) with its records and the file's row, or raise ``ClaimConflict``.

    A batch name another converter took raises ``FileExistsError`` (the caller picks the next).
    """
    with ledger.conn:
        ledger.conn.execute("BEGIN IMMEDIATE")
        _check_file(ledger, file)
        for entity, target, records in staged:
            keys = records.keys() if isinstance(records, Spool) else [rid for rid, _, _ in records]
            taken = taken_since(ledger, mark, batch, entity, target, keys)
            if taken:
                shown = ", ".join(taken[:5]) + (f" and {len(taken) - 5} more" if len(taken) > 5 else "")
                raise ClaimConflict(f"another converter sent {shown} meanwhile")
        for entity, target, records in staged:
            ledger.stage_rows(
                batch=batch,
                path=path,
                direction=direction,
                entity=entity,
                source=source,
                sha256=sha256,
                records=records,
                target=target,
                batch_hash=batch_hash,
                awaiting_review=awaiting_review,
            )
        held = sum(len(records) for _, _, records in staged)
        ledger.conn.execute("UPDATE batches SET records=? WHERE batch=?", (held, batch))
        if file is not None:
            ledger.upsert_file(*file.values(batch))


def record_unsent(ledger: Ledger, file: FileClaim) -> None:
    """The file's row when it sent nothing (nothing new): refused, like a claim, if another
    converter processed the same file meanwhile, so its batch is not hidden behind ``batch None``."""
    with ledger.conn:
        ledger.conn.execute("BEGIN IMMEDIATE")
        _check_file(ledger, file)
        ledger.upsert_file(*file.values(None))
