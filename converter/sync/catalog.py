"""What the converter knows of each system's master data: IDs, and the few fields transactions need.

Transactions reference customers, vendors, items and G/L accounts that must already exist in the
target system, and need a product's G/L accounts or a customer's terms when the document lacks
them. The catalog remembers the latest master data seen in either system (from every export
read and every master record converted) in a SQLite file, by default
``.bizops-sage50/ledger.db`` beside the config file (or in the working folder).

SQLite is used in WAL mode with every write in one transaction, so two converters can open it
at once; the sync ledger shares the same file.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from itertools import chain, islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from ..core.settings import Settings


def parsed(rows: Iterable[tuple[str, str]]) -> tuple[list[str], list[Any]]:
    """(key, JSON text) rows as their keys and parsed values, the JSON parsed in one call: the
    same values as one ``json.loads`` each, several times faster (a record's keys are read once)."""
    rows = list(rows)
    return list(map(itemgetter(0), rows)), json.loads("[" + ",".join(map(itemgetter(1), rows)) + "]")


RECORD_BLOCK = 20_000  # catalog entries written per executemany
PAGE_SIZE = 16_384  # bytes per page of a new ledger file

SCHEMA = """
CREATE TABLE IF NOT EXISTS masters (
    system  TEXT NOT NULL,           -- sage50 | bizops
    entity  TEXT NOT NULL,           -- customers | vendors | products | accounts
    key     TEXT NOT NULL,           -- the ID, case-folded (Sage IDs are case-insensitive)
    id      TEXT NOT NULL,           -- the ID as written
    data    TEXT NOT NULL,           -- JSON: the fields transactions need
    source  TEXT NOT NULL,           -- file it was last seen in
    seen_at TEXT NOT NULL,
    PRIMARY KEY (system, entity, key)
);
"""


def _blocks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in lists of ``size`` (the last may be shorter)."""
    it = iter(items)
    while block := list(islice(it, size)):
        yield block


def ledger_path(settings: Settings) -> Path:
    """``[ledger] path`` from the config, else ``.bizops-sage50/ledger.db`` beside it."""
    configured = settings.get("ledger.path")
    if configured:
        return settings.resolve_path(configured)
    return settings.base_dir / ".bizops-sage50" / "ledger.db"


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    # A new ledger gets larger pages: a sent record's JSON is close to a kilobyte, and 16 KiB pages
    # write a first load's records with a fifth less work. A ledger that exists keeps its pages
    # (SQLite ignores the setting once the file has any).
    conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
    _wal(conn)
    conn.execute("PRAGMA busy_timeout=30000")
    conn.executescript(SCHEMA)
    return conn


def _wal(conn: sqlite3.Connection, wait: float = 30.0) -> None:
    """WAL mode. Switching a fresh file to it while another converter does the same fails at once
    with "database is locked" (SQLite does not call the busy handler there): try again meanwhile."""
    deadline = time.monotonic() + wait
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class Catalog:
    """Latest known master data of both systems."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None  # opened on first use; created on first write
        self._cache: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def _db(self, *, create: bool) -> sqlite3.Connection | None:
        if self._conn is None and (create or self.path.exists()):
            self._conn = connect(self.path)
        return self._conn

    @classmethod
    def for_settings(cls, settings: Settings) -> Catalog:
        return cls(ledger_path(settings))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def record(
        self, system: str, entity: str, records: Iterable[tuple[str, dict[str, Any]]], *, source: str
    ) -> int:
        """Remember ``(id, data)`` pairs as the latest known state; one transaction."""
        return self.record_all([(system, entity, records, source)])[0]

    def record_all(self, lists: list[tuple[str, str, Iterable[tuple[str, Any]], str]]) -> list[int]:
        """``record`` of several (system, entity, records, source) lists in one transaction (one
        commit to wait for); how many of each were recorded."""
        from ..core.values import printable  # values imports pandas: only when something is recorded

        now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        # A block at a time: a spooled million records is never all in memory.
        blocked = [
            (system, entity, _blocks(filter(itemgetter(0), records), RECORD_BLOCK), printable(source))
            for system, entity, records, source in lists  # no ID: not remembered
        ]
        firsts = [next(blocks, None) for _, _, blocks, _ in blocked]
        if all(first is None for first in firsts):
            return [0] * len(lists)
        conn = self._db(create=True)
        assert conn is not None
        counts = []
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            for (system, entity, blocks, source), first in zip(blocked, firsts, strict=True):
                todo = chain([first], blocks) if first is not None else ()
                counts.append(sum(self._write(conn, system, entity, block, source, now) for block in todo))
        for system, entity, _, _ in lists:
            self._cache.pop((system, entity), None)
        return counts

    @staticmethod
    def _write(conn: sqlite3.Connection, system: str, entity: str, block: list, source: str, now: str) -> int:
        """One block of (id, data) entries into the masters table; how many."""
        from ..core.values import flat_json

        rids, datas = zip(*block, strict=True)
        if set(map(type, datas)) != {str}:  # dicts: their JSON
            datas = [data if isinstance(data, str) else flat_json(data) for data in datas]
        rows = zip(
            repeat(system),
            repeat(entity),
            map(str.casefold, rids),
            rids,
            datas,
            repeat(source),
            repeat(now),
            strict=False,  # the repeats are endless
        )
        conn.executemany(
            "INSERT INTO masters (system, entity, key, id, data, source, seen_at) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT(system, entity, key) DO UPDATE SET id=excluded.id, "
            "source=excluded.source, seen_at=excluded.seen_at, data=json_patch(masters.data, excluded.data)",
            rows,
        )
        return len(rids)

    def entries(self, system: str, entity: str) -> dict[str, dict[str, Any]]:
        """Case-folded ID → data, for one system's entity (empty when nothing is known)."""
        cache_key = (system, entity)
        if cache_key not in self._cache:
            conn = self._db(create=False)
            rows = (
                conn.execute("SELECT key, data FROM masters WHERE system=? AND entity=?", (system, entity))
                if conn
                else []
            )
            self._cache[cache_key] = dict(zip(*parsed(rows), strict=True))
        return self._cache[cache_key]

    def lookup(self, system: str, entity: str, rid: str) -> dict[str, Any] | None:
        return self.entries(system, entity).get(rid.casefold())

    def product(self, sku: str) -> dict[str, Any] | None:
        """The latest product data for a SKU/Item ID from either system (BizOps first)."""
        return self.lookup("bizops", "products", sku) or self.lookup("sage50", "products", sku)

    def partner(self, entity: str, rid: str) -> dict[str, Any] | None:
        """A customer's or vendor's data from either system (BizOps first)."""
        return self.lookup("bizops", entity, rid) or self.lookup("sage50", entity, rid)
