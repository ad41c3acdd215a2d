"""How every sheet of ``review.xlsx`` reads on screen and on paper: widths, wrapping, printing.

Column widths fit the headings and the values (labels are never cut), long messages wrap instead
of running off the sheet, and each sheet prints landscape, one page wide, with its heading row
repeated on every page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .xlsx import Sheet

MAX_WIDTH = 60  # a column wider than this wraps its text instead
ALERT = "F8CBAD"  # fill of rejected rows, held changes: look here first


def print_setup(ws: Sheet, *, title_rows: str = "1:1") -> None:
    """Landscape, fitted to one page wide (as many pages tall as needed), headings on every page."""
    ws.landscape = True
    ws.fit_to_width = True
    ws.title_rows = title_rows


def text_width(value: Any) -> int:
    """Characters a value needs on its widest line."""
    return max((len(line) for line in str(value).splitlines()), default=0)


def fit_widths(
    ws: Sheet, columns: Iterable[tuple[str, Iterable[Any]]], *, wide: int = MAX_WIDTH
) -> list[bool]:
    """Each column as wide as its heading and widest value, up to ``wide``; returns, per column,
    whether some value is wider (its cells should wrap)."""
    wraps = []
    for i, (heading, values) in enumerate(columns, start=1):
        # The widest line of any value: values joined by line breaks split into the same lines.
        lines = "\n".join(map(str, values)).splitlines()
        need = max(text_width(heading), max(map(len, lines), default=0)) + 2
        ws.set_width(i, max(text_width(heading) + 2, min(wide, need)))
        wraps.append(need > wide)
    return wraps


def summary_lines(summary: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """The summary as (label, value, style) lines: the workbook's Summary sheet."""
    lines: list[tuple[str, Any, str]] = [
        (f"Review of batch {summary.get('batch') or ''}".strip(), None, "title")
    ]
    for section in summary["sections"]:
        lines.append((section["title"], None, "section"))
        lines += [
            (label, value, "alert" if _alerting(section, label, value) else "line")
            for label, value in section["lines"]
        ]
    return lines


ALERT_LABELS = ("Rows rejected", "Held")


def _alerting(section: dict[str, Any], label: str, value: Any) -> bool:
    """The lines the Summary highlights: the attention section, and rejected or held counts above 0."""
    if section.get("attention"):
        return True
    return str(label).startswith(ALERT_LABELS) and isinstance(value, int) and value > 0
