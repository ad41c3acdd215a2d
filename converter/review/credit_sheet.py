"""The Credit limits sheet of ``review.xlsx``: what a Sage 50 customer list tells BizOps.

One row per customer (the held ones always, the others up to ``review.max_rows``): the credit
limit and status now, what was sent before, whether it is new, changed, unchanged, held for
review or released with ``--release-held``, and for a held change, why. A changed value is
highlighted with a comment "old → new"; a held change's row is marked for attention.
"""

from __future__ import annotations

from openpyxl.cell import WriteOnlyCell

from .sheets import ALERT, fit_widths
from .workbook import BOLD, NUMBER_FORMATS, _annotate, _text_cell

HEADINGS = (
    "Row",
    "Customer ID",
    "Credit limit",
    "Credit status",
    "Limit before",
    "Status before",
    "Change",
    "Why",
)
MEANING = {
    "new": "new: not sent before",
    "changed": "changed: goes to BizOps",
    "unchanged": "unchanged: not sent again",
    "held": "HELD: not sent",
    "released": "released (--release-held): goes to BizOps",
}


def write_credit_limits_sheet(ws, rows: list[tuple]) -> None:
    """``rows``: (row, ID, limit, status, limit before, status before, change, why)."""
    ws.freeze_panes = "C2"
    shown = [
        (*r[:6], MEANING.get(r[6], r[6]), r[7]) for r in sorted(rows, key=lambda r: (r[6] != "held", r[0]))
    ]
    columns = [[r[i] for r in shown[:2000]] for i in range(len(HEADINGS))]
    wrap = fit_widths(ws, zip(HEADINGS, columns, strict=True), wide=80)
    ws.auto_filter.ref = f"A1:H{max(2, len(shown) + 1)}"
    ws.append([_text_cell(ws, h, font=BOLD) for h in HEADINGS])
    for row, customer, limit, status, was_limit, was_status, change, why in shown:
        cells = [
            WriteOnlyCell(ws, value=row),
            _text_cell(ws, customer),
            _amount(ws, limit),
            _text_cell(ws, status),
            _amount(ws, was_limit),
            _text_cell(ws, was_status),
            _text_cell(ws, change, font=BOLD if change.startswith("HELD") else None),
            _text_cell(ws, why, wrap=wrap[7]),
        ]
        if change.startswith(("changed", "released", "HELD")):
            for cell, now, before, name in (
                (cells[2], limit, was_limit, "limit"),
                (cells[3], status, was_status, "status"),
            ):
                if now != before:
                    _annotate(
                        cell, [("changed", f"Credit {name}: {before!r} → {now!r} (sent before → now).")]
                    )
        if change.startswith("HELD"):
            for cell in cells:
                cell.fill = ALERT
        ws.append(cells)


def _amount(ws, text: str) -> WriteOnlyCell:
    try:
        cell = WriteOnlyCell(ws, value=float(text))
    except ValueError:
        return _text_cell(ws, text)
    cell.number_format = NUMBER_FORMATS["amount"]
    return cell
