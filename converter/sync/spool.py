"""Records waiting to be written to the ledger, kept on disk past ``hold`` of them.

A batch's records are staged in the ledger only when the batch is committed (so a failed file
leaves no trace), which means they must be kept until the end of the file. For a million-line
journal that is more than memory should hold: once a spool holds more than ``hold`` records they
all go to a temporary file, and after that every ``limit`` more (pickled blocks: the converter's
own data, written and read by this process only), read back in order when the ledger stages them.
A file of ordinary size never touches the disk; a large one is in memory ``hold`` records at
most, and only until its first block is written.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from operator import itemgetter
from typing import IO, Any


class Spool:
    """An append-only sequence of records (tuples; the ledger's are (natural key, fingerprint,
    mapped fields)) that can be iterated more than once."""

    def __init__(self, *, limit: int = 20_000, keep_keys: bool = True, hold: int = 0) -> None:
        self.limit = limit
        self.hold = hold
        self._memory: list[Any] = []
        self._file: IO[bytes] | None = None
        self._count = 0
        # Each record's first item, kept in memory: small, and the ledger needs them first. A spool
        # of other tuples (the catalog's (ID, JSON) entries) keeps none.
        self._keys: list[str] | None = [] if keep_keys else None

    def keys(self) -> list[str]:
        if self._keys is None:
            raise TypeError("this spool keeps no keys (Spool(keep_keys=False))")
        return self._keys

    def append(self, record: Any) -> None:
        self.extend([record])

    def extend(self, records: list[Any]) -> None:
        """``append`` of every record of ``records``, in order."""
        self._count += len(records)
        if self._keys is not None:
            self._keys.extend(map(itemgetter(0), records))
        self._memory += records
        # The first block waits until more than ``hold`` records are held; then one every ``limit``.
        first = max(self.limit, self.hold + 1)
        if len(self._memory) >= (self.limit if self._file is not None else first):
            self._flush()

    def _flush(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the spool
        self._file.seek(0, 2)
        pickle.dump(self._memory, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._memory = []

    def __iter__(self) -> Iterator[Any]:
        if self._file is not None:
            self._file.flush()
            end = self._file.seek(0, 2)
            self._file.seek(0)
            while self._file.tell() < end:
                yield from pickle.load(self._file)
        yield from self._memory

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
