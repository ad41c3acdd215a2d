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
    with ``\x1f``. The prefixing, joins, encodings and hashes all run in C (``map``): no Python
    code per row.
    """
    if not names:
        return [fingerprint({})] * count
    ordered = sorted(zip(map(str, names), columns, strict=True), key=itemgetter(0))
    prefixes = ["\x1f" * (n > 0) + name + "\x1e" for n, (name, _) in enumerate(ordered)]
    parts = [map(prefix.__add__, column) for prefix, (_, column) in zip(prefixes, ordered, strict=True)]
    hashed = map(hashlib.sha256, map(str.encode, map("".join, zip(*parts, strict=True))))
    return list(map(itemgetter(slice(16)), map(methodcaller("hexdigest"), hashed)))
