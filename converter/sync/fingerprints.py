"""Fingerprints: a short, stable hash of a record's mapped fields, so the ledger can tell changed
from same. Existing ledgers hold them: the text hashed must never change."""

from __future__ import annotations

import hashlib
from operator import itemgetter, methodcaller
from typing import Any


def fingerprint(data: dict[str, Any]) -> str:
    """A short, stable hash of a record's mapped fields, so the ledger can tell changed from same."""
    joined = "\x1f".join(f"{k}\x1e{v}" for k, v in sorted(data.items()))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


def column_fingerprints(names: list[str], columns: list[Any], count: int) -> list[str]:
    """``fingerprint`` of each row of ``columns`` (sequences of str, one per name in ``names``).

    The text hashed is exactly ``fingerprint``'s: ``name\x1evalue`` pairs sorted by name, joined
    with ``\x1f``. Each row is one join of its cells between the names' constant separators, then
    its encoding and hash, all run in C (``map``): no Python code per row, no string per cell.
    """
    if not names:
        return [fingerprint({})] * count
    ordered = sorted(zip(map(str, names), columns, strict=True), key=itemgetter(0))
    parts: list[Any] = []
    for n, (name, column) in enumerate(ordered):
        parts += [["\x1f" * (n > 0) + name + "\x1e"] * count, column]
    hashed = map(hashlib.sha256, map(str.encode, map("".join, zip(*parts, strict=True))))
    return list(map(itemgetter(slice(16)), map(methodcaller("hexdigest"), hashed)))
