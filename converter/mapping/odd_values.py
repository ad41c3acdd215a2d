"""Odd values in fields a record can live without: one warning per distinct value and column.

Readers are liberal: a value that does not read as its layout says (a number where a yes/no was
expected, a coding nobody has verified) rejects a record only when the record cannot exist
without it (its key; an amount, quantity or date a transaction balances on). Everywhere else it
is carried as it came, mapped where the mapping is known, or left blank where the target cannot
hold it, and a person is told once per distinct value and column, never once per row:

    'Costing Method' '3' on 1 record is not a coding we know; carried as '3'.

Each step that meets the value (reading, mapping, the target's checks) says what it did; the
last step's word is the one reported, with the count of records and the first row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..core.issues import Issue

CODE = "odd-value"
# Later steps know the value's fate in the output better than earlier ones; the mapping step
# knows best why a value is odd (it can name the template's fix), then the reader.
STAGES = ("read", "map", "target")
_WHY_RANK = {"target": 0, "read": 1, "map": 2}


@dataclass
class _Odd:
    first_row: int
    what: str
    fate: str
    stage: int
    target: str | None
    why: int = 0  # the stage whose ``what`` is kept
    counts: dict[int, int] = field(default_factory=dict)  # stage → records seen at that stage


class OddValues:
    """Collects odd values across the blocks of one file; ``issues()`` gives the warnings."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], _Odd] = {}

    def __bool__(self) -> bool:
        return bool(self._seen)

    def add(
        self,
        column: str,
        values: pd.Series,
        *,
        what: str,
        fate: str,
        stage: str,
        target: str | None = None,
    ) -> None:
        """``values``: the odd cells (index = spreadsheet rows). ``what`` says why the value is odd
        ("is not a whole number"), ``fate`` what became of it; ``{value}`` in either is the value."""
        if values.empty:
            return
        level = STAGES.index(stage)
        text = values.fillna("").astype(str)
        counts = text.value_counts(sort=False)
        firsts = pd.Series(text.index, index=text.index).groupby(text.to_numpy()).min()
        for value, n in counts.items():
            entry = self._seen.get((column, value))
            row = int(firsts[value])
            if entry is None:
                entry = self._seen[(column, value)] = _Odd(row, what, fate, level, target, level)
            else:
                if level >= entry.stage:
                    entry.fate, entry.stage = fate, level
                    entry.target = target or entry.target
                if _WHY_RANK[stage] > _WHY_RANK[STAGES[entry.why]]:
                    entry.what = what
            entry.why = max(entry.why, level, key=lambda s: _WHY_RANK[STAGES[s]])
            entry.first_row = min(entry.first_row, row)
            entry.counts[level] = entry.counts.get(level, 0) + int(n)

    def issues(self) -> list[Issue]:
        out = []
        for (column, value), e in self._seen.items():
            n = max(e.counts.values())
            records = "1 record" if n == 1 else f"{n:,} records"
            what, fate = e.what.format(value=repr(value)), e.fate.format(value=repr(value))
            message = f"{column!r} {value!r} on {records} {what}; {fate}."
            out.append(Issue(e.first_row, column, CODE, message, "warning", e.target))
        return sorted(out, key=lambda i: (i.row or 0, i.column or ""))
