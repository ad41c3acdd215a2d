"""Dirty data is collected, never raised: every problem becomes an ``Issue``.

Rows are 1-based *as a spreadsheet shows them*: the heading row is row 1, so the first data
row of a file with headings is row 2. ``row`` is ``None`` for a file-level issue and
``column`` is ``None`` when no single column is at fault. Codes are stable kebab-case strings
that tests and scripts may rely on, each listed once in ``issue_codes`` (the registry); messages
are for people and may change.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from . import issue_codes

Severity = Literal["error", "warning", "info"]

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

# With BIZOPS_SAGE50_STRICT_CODES=1 (the test suite sets it) an Issue whose code or severity is not
# in the registry raises, so a new code cannot slip past ``issue_codes``. Off in normal use: a
# missing registry entry must never cost a user a conversion.
STRICT_CODES = os.environ.get("BIZOPS_SAGE50_STRICT_CODES") == "1"


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in the data, with the fix in its message."""

    row: int | None
    column: str | None
    code: str
    message: str
    severity: Severity = "error"
    # The output field the issue is about, when it is not the source column (a value cut or
    # replaced on its way out): the review workbook marks that cell. Not part of the JSON shape.
    target: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if STRICT_CODES:
            issue_codes.check(self.code, self.severity)

    def as_dict(self) -> dict[str, object]:
        return {
            "row": self.row,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "severity": self.severity,
        }

    def where(self) -> str:
        """Human location: ``row 7, column "Zip"``."""
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f'column "{self.column}"')
        return ", ".join(parts) or "file"


def count_by_severity(issues: Iterable[Issue]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for issue in issues:
        counts[issue.severity] += 1
    return counts
