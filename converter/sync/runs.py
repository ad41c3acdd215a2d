"""The history of runs: every time a file entered (converted, read for reference, failed, retried).

The ledger's ``files`` table keeps one row per file content and template, for "the same file
twice is a no-op"; it cannot tell the story of a first week, where a file fails, is fixed and
retried. ``runs`` keeps every run, in order, with its outcome, the reason when it did not
convert, and whether it was an initial load. Ledgers from before it get the table on open, filled
from ``files`` (their failed runs were never kept, so they are not there).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ..core.results import ConversionResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL, file TEXT NOT NULL, sha256 TEXT, template TEXT, entity TEXT, direction TEXT,
    outcome TEXT NOT NULL,        -- a result status, or `retried`
    batch TEXT,
    initial_load INTEGER NOT NULL DEFAULT 0,
    reason TEXT                   -- why it did not (fully) convert; what a retry did
);
"""
KEYS = (
    "processed_at",
    "file",
    "entity",
    "direction",
    "outcome",
    "batch",
    "sha256",
    "template",
    "initial_load",
    "reason",
    "records",
)
REASON_MAX = 500


def upgrade(conn: sqlite3.Connection) -> None:
    """Create ``runs`` if missing; a ledger that had files before gets them as its first runs."""
    query = "SELECT 1 FROM sqlite_master WHERE type='table' AND name='runs'"
    if conn.execute(query).fetchone():
        return
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        if conn.execute(query).fetchone():  # another converter upgraded it meanwhile
            return
        conn.execute(SCHEMA)
        conn.execute(
            "INSERT INTO runs (at, file, sha256, template, entity, direction, outcome, batch) "
            "SELECT processed_at, name, sha256, template, entity, direction, outcome, batch FROM files "
            "ORDER BY processed_at, name"
        )


def reason(result: ConversionResult) -> str | None:
    """In a line: why a run did not convert everything (None when it did)."""
    if result.status == "reference-only":
        text = next((i.message for i in result.issues if i.code == "reference-only"), None)
    elif result.status == "rejected-rows":
        text = f"{result.rejected} row(s) rejected; see rejects.csv in the batch"
    elif result.ok:
        return None
    else:
        text = next((i.message for i in result.issues if i.severity == "error"), result.status)
    text = text.strip().splitlines()[0] if text and text.strip() else text  # the details: error.txt
    if text and len(text) > REASON_MAX:
        text = text[: REASON_MAX - 1] + "…"
    return text


def record_result(ledger: Any, result: ConversionResult) -> None:
    """A conversion's result into the history (``ledger``: a ``Ledger``)."""
    template = result.template
    ledger.record_run(
        file=Path(result.input).name,
        outcome=result.status,
        sha256=result.sha256,
        template=f"{template['id']}@{template['version']}" if template else None,
        entity=result.entity,
        direction=f"{result.source_system}-to-{result.target_system}" if result.target_system else None,
        batch=result.batch,
        initial_load=result.initial_load,
        reason=reason(result),
    )


def record(
    conn: sqlite3.Connection,
    *,
    at: str,
    file: str,
    outcome: str,
    sha256: str | None = None,
    template: str | None = None,
    entity: str | None = None,
    direction: str | None = None,
    batch: str | None = None,
    initial_load: bool = False,
    reason: str | None = None,
) -> None:
    from ..core.values import printable  # values imports pandas: only when a run is recorded

    with conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO runs (at, file, sha256, template, entity, direction, outcome, batch, initial_load, "
            "reason) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                at,
                printable(file),  # a name that is not UTF-8 is kept, its odd bytes as U+FFFD
                sha256,
                template,
                entity,
                direction,
                outcome,
                batch,
                int(initial_load),
                printable(reason) if reason else reason,
            ),
        )


def history(conn: sqlite3.Connection, entity: str | None = None) -> list[dict[str, Any]]:
    """Every run, oldest first."""
    # With the batch's record count: what its import file holds (``batches.records``).
    sql = (
        "SELECT r.at, r.file, r.entity, r.direction, r.outcome, r.batch, r.sha256, r.template, r.initial_load, "
        "r.reason, b.records FROM runs r LEFT JOIN batches b ON b.batch = r.batch"
        + (" WHERE r.entity=?" if entity else "")
        + " ORDER BY r.at, r.id"
    )
    rows = conn.execute(sql, (entity,) if entity else ())
    return [{**dict(zip(KEYS, row, strict=True)), "initial_load": bool(row[8])} for row in rows]
