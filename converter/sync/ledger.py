"""The sync ledger: what was processed and sent, so nothing is ever entered twice.

One SQLite file (``.bizops-sage50/ledger.db`` beside the config, shared with the catalog), WAL mode,
every write in one transaction, safe for two processes at once. It records:

- every input file processed (SHA-256, name, size, time, template id and version, outcome, batch);
- every record sent, per entity and target: natural key, fingerprint of its mapped fields, the
  mapped values (to fill blanks and to name changed fields), batch, time, and whether a later
  export of the target system confirmed it;
- every batch, written in two steps so that a crash between writing a batch and recording it
  neither loses nor duplicates anything: records are staged as *pending* before the batch folder
  is renamed into place, and marked *recorded* after. ``reconcile`` settles pending batches on the
  next run: kept if the folder exists, dropped if it does not.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from ..core.settings import Settings
from . import runs
from .catalog import connect, ledger_path
from .fingerprints import column_fingerprints, fingerprint  # noqa: F401 - imported from here too
from .processes import pid_alive
from .spool import Spool

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    sha256 TEXT NOT NULL, template TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL,
    processed_at TEXT NOT NULL, entity TEXT, direction TEXT, outcome TEXT NOT NULL, batch TEXT,
    PRIMARY KEY (sha256, template)
);
CREATE TABLE IF NOT EXISTS batches (
    batch TEXT PRIMARY KEY, path TEXT NOT NULL, direction TEXT NOT NULL, entity TEXT NOT NULL,
    source TEXT, sha256 TEXT, created_at TEXT NOT NULL,
    state TEXT NOT NULL,           -- pending | recorded | forgotten
    pid INTEGER,                   -- the process that staged it (a live one's pending batch is in flight)
    hash TEXT,                     -- SHA-256 over the batch's files (manifest.json aside)
    review TEXT,                   -- NULL (no approval gate) | awaiting | approved | rejected
    reviewed_by TEXT, reviewed_at TEXT, review_note TEXT
);
CREATE TABLE IF NOT EXISTS sent (
    entity TEXT NOT NULL, target TEXT NOT NULL, key TEXT NOT NULL, id TEXT NOT NULL,
    fingerprint TEXT NOT NULL, data TEXT NOT NULL, batch TEXT NOT NULL, sent_at TEXT NOT NULL,
    confirmed_at TEXT, previous TEXT,   -- previous: the row this one replaced (for forget)
    drift TEXT,                          -- fields a later export of the target showed with other values
    PRIMARY KEY (entity, target, key)
);
CREATE INDEX IF NOT EXISTS sent_batch ON sent(batch);
"""
# Columns added after the first release (older ledgers get them on open).
BATCH_REVIEW_COLUMNS = (
    "hash TEXT",
    "review TEXT",
    "reviewed_by TEXT",
    "reviewed_at TEXT",
    "review_note TEXT",
    "records INTEGER",  # documents/records the batch's import file holds, counted when it was claimed
)
BATCH_KEYS = (
    "batch",
    "path",
    "direction",
    "entity",
    "source",
    "sha256",
    "created_at",
    "state",
    "hash",
    "review",
    "reviewed_by",
    "reviewed_at",
    "review_note",
)


def sent_fingerprints(marks: dict[str, tuple[str, str, str]], keys: Iterable[str]) -> list[str | None]:
    """Each key's fingerprint in ``marks`` (``Ledger.sent_marks``), None for a key never sent."""
    keys = list(keys)
    if not marks:
        return [None] * len(keys)
    fps = {key: mark[0] for key, mark in marks.items()}
    return list(map(fps.get, map(str.casefold, keys)))


def now_iso() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class SentRecord:
    entity: str
    target: str
    key: str
    id: str
    fingerprint: str
    data: dict[str, Any]
    batch: str
    sent_at: str
    confirmed_at: str | None


class Ledger:
    """Durable memory of files, batches and records sent."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> Ledger:
        return cls(ledger_path(settings))

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = connect(self.path)
            self._conn.executescript(SCHEMA)
            # Ledgers from before the pid column: add it (SQLite has no ADD COLUMN IF NOT EXISTS).
            if self._missing_columns():
                # In one write transaction, so two converters opening a ledger at once do not both add one.
                with self._conn:
                    self._conn.execute("BEGIN IMMEDIATE")
                    for name in self._missing_columns():
                        self._conn.execute(f"ALTER TABLE batches ADD COLUMN {name}")
            runs.upgrade(self._conn)  # the history of runs (ledgers before it: filled from files)
        return self._conn

    def _missing_columns(self) -> list[str]:
        assert self._conn is not None
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(batches)")}
        return [name for name in ("pid INTEGER", *BATCH_REVIEW_COLUMNS) if name.split()[0] not in columns]

    def exists(self) -> bool:
        return self.path.exists()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # ------------------------------------------------------------------ files
    def seen_file(self, sha256: str, template: str) -> dict[str, Any] | None:
        """The earlier successful processing of the same bytes with the same template, if any."""
        if not self.exists():
            return None
        row = self.conn.execute(
            "SELECT name, processed_at, outcome, batch FROM files WHERE sha256=? AND template=? "
            "AND outcome IN ('converted', 'recorded', 'empty') "  # a file with rejected rows may be retried
            "AND (batch IS NULL OR batch NOT IN (SELECT batch FROM batches WHERE state='forgotten'))",
            (sha256, template),
        ).fetchone()
        return dict(zip(("name", "processed_at", "outcome", "batch"), row, strict=True)) if row else None

    def record_file(
        self,
        *,
        sha256: str,
        template: str,
        name: str,
        size: int,
        entity: str | None,
        direction: str | None,
        outcome: str,
        batch: str | None,
    ) -> None:
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.upsert_file(sha256, template, name, size, entity, direction, outcome, batch)

    def upsert_file(self, *values: Any) -> None:
        """``record_file``'s write, inside a transaction the caller holds (see ``claims``)."""
        from ..core.values import printable  # values imports pandas: only when something is recorded

        sha256, template, name, size, entity, direction, outcome, batch = values
        self.conn.execute(
            "INSERT INTO files VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(sha256, template) DO UPDATE SET "
            "name=excluded.name, processed_at=excluded.processed_at, outcome=excluded.outcome, batch=excluded.batch",
            (sha256, template, printable(name), size, now_iso(), entity, direction, outcome, batch),
        )

    def mark(self) -> int:
        """Where the ledger stands now: a batch staged later has a higher mark (see ``claims``)."""
        if not self.exists():
            return 0
        return int(self.conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM batches").fetchone()[0])

    # ------------------------------------------------------------------ sent records
    def sent(self, entity: str, target: str, keys: Iterable[str]) -> dict[str, SentRecord]:
        """Records sent earlier under these keys (case-folded), live ones only."""
        if not self.exists():
            return {}
        folded = list(dict.fromkeys(k.casefold() for k in keys))
        rows: list[tuple] = []
        for i in range(0, len(folded), 500):
            part = folded[i : i + 500]
            marks = ",".join("?" * len(part))
            rows += self.conn.execute(
                f"SELECT s.key, s.id, s.fingerprint, s.data, s.batch, s.sent_at, s.confirmed_at FROM sent s "
                f"JOIN batches b ON b.batch = s.batch WHERE b.state != 'forgotten' "
                f"AND s.entity=? AND s.target=? AND s.key IN ({marks})",
                (entity, target, *part),
            ).fetchall()
        # All the JSON in one parse: the same values as one json.loads each, several times faster.
        datas = json.loads("[" + ",".join(map(itemgetter(3), rows)) + "]")
        return {
            key: SentRecord(entity, target, key, rid, fp, data, batch, sent_at, confirmed)
            for (key, rid, fp, _, batch, sent_at, confirmed), data in zip(rows, datas, strict=True)
        }

    def sent_marks(self, entity: str, target: str, keys: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        """Case-folded key → (fingerprint, batch, sent_at) of the live records ``sent`` would return:
        enough to tell an unchanged record, without reading (and parsing) what was sent."""
        if not self.has_sent(entity, target):
            return {}
        folded = list(dict.fromkeys(map(str.casefold, keys)))
        out: dict[str, tuple[str, str, str]] = {}
        for i in range(0, len(folded), 500):
            part = folded[i : i + 500]
            cur = self.conn.execute(
                f"SELECT s.key, s.fingerprint, s.batch, s.sent_at FROM sent s "
                f"JOIN batches b ON b.batch = s.batch WHERE b.state != 'forgotten' "
                f"AND s.entity=? AND s.target=? AND s.key IN ({','.join('?' * len(part))})",
                (entity, target, *part),
            )
            out.update((key, (fp, batch, sent_at)) for key, fp, batch, sent_at in cur)
        return out

    def has_sent(self, entity: str, target: str) -> bool:
        """Whether any record of ``entity`` was ever sent to ``target``."""
        if not self.exists():
            return False
        row = self.conn.execute("SELECT 1 FROM sent WHERE entity=? AND target=? LIMIT 1", (entity, target))
        return row.fetchone() is not None

    def stage_batch(self, **batch: Any) -> None:
        """Step 1 of 2, before the batch folder appears: the batch and its records, pending, in a
        transaction of its own (``stage_rows``'s arguments).

        The batch name is reserved here, atomically: a name another converter staged first raises
        ``FileExistsError`` and the caller picks the next one.
        """
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.stage_rows(**batch)

    def stage_rows(
        self,
        *,
        batch: str,
        path: Path,
        direction: str,
        entity: str,
        source: str,
        sha256: str | None,
        records: list[tuple[str, str, dict[str, Any]]] | Spool,
        target: str,
        batch_hash: str | None = None,
        awaiting_review: bool = False,
    ) -> None:
        """``stage_batch``'s writes, inside a transaction the caller holds (see ``claims``)."""
        from ..core.values import flat_json, printable  # values imports pandas: only when a batch is staged

        ts = now_iso()
        row = self.conn.execute("SELECT state, pid FROM batches WHERE batch=?", (batch,)).fetchone()
        if row is not None and not (row[0] == "pending" and row[1] == os.getpid()):
            raise FileExistsError(f"batch name {batch} is taken")
        self.conn.execute(
            "INSERT OR REPLACE INTO batches (batch, path, direction, entity, source, sha256, created_at, "
            "state, pid, hash, review) VALUES (?,?,?,?,?,?,?, 'pending', ?,?,?)",
            (
                batch,
                str(Path(path).absolute()),
                direction,
                entity,
                printable(source),
                sha256,
                ts,
                os.getpid(),
                batch_hash,
                "awaiting" if awaiting_review else None,
            ),
        )
        # Earlier rows of these keys become each new row's `previous` (what forget brings back).
        ids = records.keys() if isinstance(records, Spool) else [rid for rid, _, _ in records]
        keys = list(dict.fromkeys(map(str.casefold, ids))) if self.has_sent(entity, target) else []
        before: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            cur = self.conn.execute(
                "SELECT key, fingerprint, data, batch, sent_at, confirmed_at, previous FROM sent "
                f"WHERE entity=? AND target=? AND key IN ({','.join('?' * len(part))})",
                (entity, target, *part),
            )
            before.update((row[0], json.dumps(list(row[1:]))) for row in cur)
        rows = iter(records)
        while chunk := list(islice(rows, 20_000)):  # a spool's records: a block at a time, in order
            rids, fps, datas = zip(*chunk, strict=True)
            folded = list(map(str.casefold, rids))
            if set(map(type, datas)) != {str}:  # dicts (records changed or re-sent): their JSON
                datas = [data if isinstance(data, str) else flat_json(data) for data in datas]
            self.conn.executemany(
                "INSERT INTO sent VALUES (?,?,?,?,?,?,?,?,NULL,?,NULL) ON CONFLICT(entity, target, key) "
                "DO UPDATE SET id=excluded.id, fingerprint=excluded.fingerprint, data=excluded.data, "
                "batch=excluded.batch, sent_at=excluded.sent_at, confirmed_at=NULL, "
                "previous=excluded.previous, drift=NULL",
                zip(
                    repeat(entity),
                    repeat(target),
                    folded,
                    rids,
                    fps,
                    datas,
                    repeat(batch),
                    repeat(ts),
                    map(before.get, folded),
                    strict=False,  # the repeats are endless
                ),
            )

    def finish_batch(self, batch: str) -> None:
        """Step 2 of 2, after the batch folder is in place."""
        with self.conn:
            self.conn.execute(
                "UPDATE batches SET state='recorded' WHERE batch=? AND state='pending'", (batch,)
            )

    def drop_batch(self, batch: str) -> int:
        """Undo a batch's records (never loaded, or never written): earlier versions come back."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            rows = self.conn.execute(
                "SELECT entity, target, key, previous FROM sent WHERE batch=?", (batch,)
            ).fetchall()
            for entity, target, key, previous in rows:
                if previous:
                    fp, data, pbatch, sent_at, confirmed, older = json.loads(previous)
                    self.conn.execute(
                        "UPDATE sent SET fingerprint=?, data=?, batch=?, sent_at=?, confirmed_at=?, previous=? "
                        "WHERE entity=? AND target=? AND key=?",
                        (fp, data, pbatch, sent_at, confirmed, older, entity, target, key),
                    )
                else:
                    self.conn.execute(
                        "DELETE FROM sent WHERE entity=? AND target=? AND key=?", (entity, target, key)
                    )
            self.conn.execute("UPDATE batches SET state='forgotten' WHERE batch=?", (batch,))
        return len(rows)

    def reconcile(self) -> list[str]:
        """Settle batches left pending by a crash: keep those whose folder exists, drop the rest."""
        if not self.exists():
            return []
        settled = []
        for batch, path, pid in self.conn.execute(
            "SELECT batch, path, pid FROM batches WHERE state='pending'"
        ).fetchall():
            if pid and pid != os.getpid() and pid_alive(pid):
                continue  # another converter is writing it right now
            if Path(path).is_dir():
                self.finish_batch(batch)
            else:
                self.drop_batch(batch)
            settled.append(batch)
        return settled

    def batch(self, name: str) -> dict[str, Any] | None:
        if not self.exists():
            return None
        row = self.conn.execute(
            f"SELECT {', '.join(BATCH_KEYS)} FROM batches WHERE batch=?", (name,)
        ).fetchone()
        return dict(zip(BATCH_KEYS, row, strict=True)) if row else None

    def batches(self) -> list[dict[str, Any]]:
        """Every batch, newest first, with how many records it sent."""
        if not self.exists():
            return []
        cols = ", ".join(f"b.{k}" for k in BATCH_KEYS)
        rows = self.conn.execute(
            # What the import file holds (counted when claimed); older ledgers: the records still on it.
            f"SELECT {cols}, COALESCE(b.records, (SELECT COUNT(*) FROM sent s WHERE s.batch = b.batch)) FROM batches b "
            "ORDER BY b.created_at DESC, b.batch DESC"
        ).fetchall()
        return [{**dict(zip(BATCH_KEYS, r[:-1], strict=True)), "records": int(r[-1])} for r in rows]

    def set_review(self, batch: str, *, decision: str, by: str, note: str | None, path: Path | None) -> None:
        """Record an approval or a rejection (who, when, why) and where the batch folder now is."""
        with self.conn:
            self.conn.execute(
                "UPDATE batches SET review=?, reviewed_by=?, reviewed_at=?, review_note=?, path=COALESCE(?, path) "
                "WHERE batch=?",
                (decision, by, now_iso(), note, str(Path(path).absolute()) if path else None, batch),
            )

    # ------------------------------------------------------------------ confirmations
    def confirm(
        self, entity: str, target: str, seen: dict[str, dict[str, str] | None]
    ) -> tuple[int, list[tuple[str, list[str]]]]:
        """An export of ``target`` holds these records (case-folded key → its values, or None).

        Marks the records sent earlier as confirmed, and notes fields whose values differ (drift).
        Returns the number newly confirmed and the drifted (ID, fields).
        """
        if not self.exists() or not seen:
            return 0, []
        sent = self.sent(entity, target, seen.keys())
        ts = now_iso()
        confirmed, drifted = 0, []
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            for key, record in sent.items():
                values = seen.get(key) or {}
                fields = [f for f, v in record.data.items() if f in values and values[f] != v]
                if fields:
                    drifted.append((record.id, fields))
                self.conn.execute(
                    "UPDATE sent SET confirmed_at=COALESCE(confirmed_at, ?), drift=? WHERE entity=? AND target=? AND key=?",
                    (ts, json.dumps(fields) if fields else None, entity, target, key),
                )
                confirmed += record.confirmed_at is None
        return confirmed, drifted

    # ------------------------------------------------------------------ reports
    def history(self, entity: str | None = None) -> list[dict[str, Any]]:
        """Every run, oldest first: converted, read for reference, failed, retried."""
        return runs.history(self.conn, entity) if self.exists() else []

    def record_run(self, **run: Any) -> None:
        """One run into the history (``runs.record``'s fields; the time is now)."""
        runs.record(self.conn, at=now_iso(), **run)

    def status(self, *, unconfirmed_days: int) -> list[dict[str, Any]]:
        if not self.exists():
            return []
        cutoff = _cutoff(unconfirmed_days)
        rows = self.conn.execute(
            "SELECT s.entity, s.target, COUNT(*), SUM(s.confirmed_at IS NOT NULL), "
            "SUM(s.confirmed_at IS NULL AND julianday(s.sent_at) < julianday(?)), SUM(s.drift IS NOT NULL) FROM sent s JOIN batches b ON b.batch = s.batch "
            "WHERE b.state = 'recorded' GROUP BY s.entity, s.target ORDER BY s.entity, s.target",
            (cutoff,),
        ).fetchall()
        keys = ("entity", "target", "sent", "confirmed", "unconfirmed_overdue", "drift")
        return [
            dict(zip(keys, (e, t, int(n), int(c or 0), int(o or 0), int(d or 0)), strict=True))
            for e, t, n, c, o, d in rows
        ]

    def drift(self, limit: int = 50) -> list[dict[str, Any]]:
        if not self.exists():
            return []
        rows = self.conn.execute(
            "SELECT s.entity, s.target, s.id, s.drift FROM sent s JOIN batches b ON b.batch = s.batch "
            "WHERE b.state = 'recorded' AND s.drift IS NOT NULL ORDER BY s.entity, s.id LIMIT ?",
            (limit,),
        ).fetchall()
        return [{"entity": e, "target": t, "id": i, "fields": json.loads(d)} for e, t, i, d in rows]

    def overdue(self, *, unconfirmed_days: int, limit: int = 50) -> list[dict[str, Any]]:
        if not self.exists():
            return []
        cutoff = _cutoff(unconfirmed_days)
        rows = self.conn.execute(
            "SELECT s.entity, s.target, s.id, s.batch, s.sent_at FROM sent s JOIN batches b ON b.batch = s.batch "
            "WHERE b.state = 'recorded' AND s.confirmed_at IS NULL AND julianday(s.sent_at) < julianday(?) ORDER BY s.sent_at LIMIT ?",
            (cutoff, limit),
        ).fetchall()
        keys = ("entity", "target", "id", "batch", "sent_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]


def _cutoff(days: int) -> str:
    """The moment ``days`` ago; compared with julianday(), so UTC offsets (DST) do not matter."""
    return (dt.datetime.now().astimezone() - dt.timedelta(days=days)).isoformat(timespec="seconds")
