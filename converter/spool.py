"""Records waiting to be written to the ledger, kept on disk past a few thousand.

A batch's records are staged in the ledger only when the batch is committed (so a failed file
leaves no trace), which means they must be kept until the end of the file. For a million-line
journal that is more than memory should hold, so past ``limit`` entries they go to a temporary
file of JSON lines, read back in order when the ledger stages them.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from typing import IO, Any

Record = tuple[str, str, dict[str, Any]]  # (natural key, fingerprint, mapped fields)


class Spool:
    """An append-only sequence of records that can be iterated more than once."""

    def __init__(self, *, limit: int = 20_000) -> None:
        self.limit = limit
        self._memory: list[Record] = []
        self._file: IO[str] | None = None
        self._count = 0

    def append(self, record: Record) -> None:
        self._count += 1
        self._memory.append(record)
        if len(self._memory) >= self.limit:
            self._flush()

    def _flush(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - lives with the spool
        self._file.seek(0, 2)
        self._file.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in self._memory)
        self._memory = []

    def __iter__(self) -> Iterator[Record]:
        if self._file is not None:
            self._file.flush()
            self._file.seek(0)
            for line in self._file:
                key, fp, data = json.loads(line)
                yield key, fp, data
        yield from self._memory

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
