"""``review.xlsx``: what a bookkeeper reads before loading a batch (Sage 50 has no undo).

Sheets: Summary (source, counts, control totals, the exact import steps), the records exactly as
they will be imported (named after the import file; real dates and numbers, header frozen,
filters on, widths fitted, cells the converter filled in, cut or replaced highlighted with a
comment saying why, updates showing old → new), Changes (updated fields, one row each), Issues
(each linked to its cell) and Rejected (the rows left out, as they came in).

Safety: every text is written as text, never as a formula, even when it starts with ``=``, ``+``,
``-`` or ``@`` (it also gets Excel's quote prefix, so editing the cell keeps it text), and
characters XML cannot hold are replaced, so any data opens safely.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.issues import Issue
from ..core.values import printable
from ..io.layouts import Layout
from ..mapping.engine import CellNotes
from .columns import add_rows, codes_of
from .sheets import ALERT, fit_widths, print_setup, summary_lines
from .xlsx import ILLEGAL_CHARACTERS_RE, Cell, Sheet, Workbook, column_letter, quote_sheet

AUTHOR = "bizops-sage50"
EXCEL_CELL_LIMIT = 32_767
MAX_ISSUE_ROWS = 50_000
FILLS = {  # solid fills
    "changed": "DDEBF7",  # blue: an update's new value
    "defaulted": "FFF2CC",  # yellow: filled in, not in the file
    "blank-kept": "FFF2CC",
    "replaced": "FCE4D6",  # orange: the file's value was altered
}
# Issue codes whose cell was altered on its way out (the record still goes).
ALTERED = {"too-long", "quote-replaced", "newline-replaced", "unencodable"}
BOLD, TITLE, LINK = "bold", "title", "link"  # fonts (see xlsx.FONTS)
DATE_FORMATS = {"sage50": "m/d/yy", "bizops": "yyyy-mm-dd"}
NUMBER_FORMATS = {"amount": "#,##0.00", "integer": "0", "number": "#,##0.00###"}


def safe_text(value: Any) -> str:
    """Text XML can hold, within Excel's cell limit."""
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", printable(str(value)))
    if len(text) > EXCEL_CELL_LIMIT:
        text = text[: EXCEL_CELL_LIMIT - 1] + "…"
    return text


@dataclass
class ReviewRecorder:
    """Collects, across chunks, what the workbook shows: up to ``max_rows`` records and rejects,
    the cells filled in or changed on those records, and the issues."""

    target: Layout
    fields: list[str]
    max_rows: int
    frames: list[pd.DataFrame] = field(default_factory=list)
    rejected: list[pd.DataFrame] = field(default_factory=list)
    notes: dict[tuple[int, str], list[tuple[str, str]]] = field(default_factory=dict)
    # Every update (shown or not, up to MAX_ISSUE_ROWS): (source row, record key, field, old, new).
    changed: list[tuple[int, str, str, str, str]] = field(default_factory=list)
    shown: int = 0
    total: int = 0
    rejected_shown: int = 0
    show_records: bool = True  # False for a batch of credit limits only (no records are sent)
    credit_limits: list[tuple] = field(default_factory=list)

    def add_credit_limits(self, rows: list[tuple]) -> None:
        """Each customer's credit limit (see ``CreditLimits.review``), for the Credit limits sheet."""
        self.credit_limits += rows

    def add(self, output: pd.DataFrame, notes: list[CellNotes], changes: dict[int, dict]) -> None:
        """One block's output (index: source rows; may hold the journal's ``__kind__``)."""
        self.total += len(output)
        if changes:
            key_fields = [k for k in self.target.key if k in output.columns]
            for row, fields in changes.items():
                if row in output.index and len(self.changed) < MAX_ISSUE_ROWS:
                    first = output.loc[[row]].iloc[0]
                    key = " / ".join(str(first[k]) for k in key_fields)
                    self.changed += [(row, key, name, old, new) for name, (old, new) in fields.items()]
        room = self.max_rows - self.shown
        if room <= 0 or output.empty:
            return
        part = output.iloc[:room]
        self.frames.append(part)
        self.shown += len(part)
        # A note is on the record built from its source row (for journals, its item rows).
        rows = part.index if "__kind__" not in part.columns else part.index[part["__kind__"] == "item"]
        present = set(int(r) for r in rows)
        for group in notes:
            values = group.values[group.values.index.isin(present)]
            for row, value in values.items():
                text = group.message.replace("{value!r}", repr(value))
                self.notes.setdefault((int(row), group.field), []).append((group.code, text))
        for row, fields in changes.items():
            if row in present:
                for name, (old, new) in fields.items():
                    change = f"Changed: {old!r} → {new!r} (the value sent before → now)."
                    self.notes.setdefault((row, name), []).append(("changed", change))

    def add_rejected(self, rows: pd.DataFrame) -> None:
        room = self.max_rows - self.rejected_shown
        if room > 0 and not rows.empty:
            self.rejected.append(rows.iloc[:room])
            self.rejected_shown += min(room, len(rows))

    def write(
        self, path: Path, *, summary: dict[str, Any], issues: list[Issue], source_headers: list[str]
    ) -> None:
        """Write ``review.xlsx`` (each sheet's size is capped: memory stays flat whatever the batch size)."""
        wb = Workbook(AUTHOR)
        summary_ws = _sheet(wb, "Summary")
        records_name = _sheet_name(self.target.file_name)
        records = pd.concat(self.frames) if self.frames else pd.DataFrame(columns=self.fields)
        records = records.reindex(columns=[*self.fields, *[c for c in records.columns if c == "__kind__"]])
        cells = self._write_records(_sheet(wb, records_name), records) if self.show_records else {}
        if self.credit_limits:
            write_credit_limits_sheet(_sheet(wb, "Credit limits"), self.credit_limits)
        if self.changed:
            self._write_changes(_sheet(wb, "Changes"), records_name, cells)
        rejected = pd.concat(self.rejected) if self.rejected else pd.DataFrame()
        issues_ws = _sheet(wb, "Issues")
        rejected_cells: dict[int, int] = {}
        if not rejected.empty:
            rejected_cells = _write_rejected(_sheet(wb, "Rejected"), rejected, source_headers)
        _write_issues(
            issues_ws,
            issues,
            records_name=records_name,
            cells=cells,
            fields=self.fields,
            rejected_cells=rejected_cells,
            rejected_columns=list(rejected.columns) if not rejected.empty else [],
        )
        _write_summary(summary_ws, summary)
        wb.save(path)

    # ---------------------------------------------------------------- the records sheet
    def _write_records(self, ws, records: pd.DataFrame) -> dict[int, int]:
        """Returns source row → the sheet row of its first record (for links)."""
        layout, fields = self.target, self.fields
        typed = [_typed_column(records[name], layout, name) for name in fields]
        _fit_widths(ws, records[fields])
        ws.freeze_panes = "A2"
        last = column_letter(max(1, len(fields)))
        ws.auto_filter = f"A1:{last}{max(2, len(records) + 1)}"
        ws.append([_text_cell(name, font=BOLD) for name in fields])
        source_rows = [int(r) for r in records.index]
        first_row: dict[int, int] = {}
        for sheet_row, source_row in enumerate(source_rows, start=2):
            first_row.setdefault(source_row, sheet_row)
        # Most cells are plain text and go in as they are (fast); a cell that needs a format, a
        # comment, or care (formula-like, characters XML cannot hold) gets a cell object. Each
        # distinct value of a column is made a cell once (add_rows).
        columns = []
        for codes, values, number_format in typed:
            careful = number_format or _needs_care(values)
            cells = [_value_cell(v, number_format) if careful else (v if v != "" else None) for v in values]
            columns.append((codes, cells))
        add_rows(ws, len(source_rows), columns, self._noted_cells(records, source_rows, typed))
        return first_row

    def _noted_cells(
        self,
        records: pd.DataFrame,
        source_rows: list[int],
        typed: list[tuple[np.ndarray, list[Any], str | None]],
    ) -> dict[tuple[int, int], Cell]:
        """(position, column) → the cell of a record's item with notes (a comment and a fill)."""
        kinds = records["__kind__"].tolist() if "__kind__" in records.columns else None
        noted_rows = {row for row, _name in self.notes}
        cells: dict[tuple[int, int], Cell] = {}
        for pos, source_row in enumerate(source_rows):
            if source_row not in noted_rows or (kinds is not None and kinds[pos] != "item"):
                continue
            for i, name in enumerate(self.fields):
                if (source_row, name) in self.notes:
                    codes, values, number_format = typed[i]
                    cell = _value_cell(values[codes[pos]], number_format)
                    _annotate(cell, self.notes[(source_row, name)])
                    cells[(pos, i)] = cell
        return cells

    def add_issue_notes(self, issues: Iterable[Issue]) -> None:
        """Cells cut or replaced on the way out (warnings with a target field) get a comment too."""
        for issue in issues:
            if issue.code in ALTERED and issue.row is not None and issue.target:
                self.notes.setdefault((issue.row, issue.target), []).append(("replaced", issue.message))

    def _write_changes(self, ws, records_name: str, cells: dict[int, int]) -> None:
        """Every changed field of every update; a link to its cell when the record is shown."""
        ws.freeze_panes = "A2"
        headings = ("Record", "Field", "Was", "Now", "Cell")
        ws.append([_text_cell(h, font=BOLD) for h in headings])
        some = self.changed[:2000]
        columns = [[c[i] for c in some] for i in (1, 2, 3, 4)] + [
            [_link_sample(records_name)] if some else []
        ]
        wrap = fit_widths(ws, zip(headings, columns, strict=True))
        for source_row, key, name, old, new in self.changed:
            sheet_row = cells.get(source_row)
            col = self.fields.index(name) + 1 if name in self.fields else None
            ref = f"{column_letter(col)}{sheet_row}" if col and sheet_row else ""
            ws.append(
                [
                    _text_cell(key, wrap=wrap[0]),
                    _text_cell(name, wrap=wrap[1]),
                    _text_cell(old, wrap=wrap[2]),
                    _text_cell(new, wrap=wrap[3]),
                    _link_cell(records_name, ref) if ref else None,
                ]
            )


def _sheet(wb: Workbook, name: str) -> Sheet:
    """A new sheet, set up to print."""
    ws = wb.create_sheet(name)
    print_setup(ws)
    return ws


def _sheet_name(name: str) -> str:
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in name)
    return cleaned[:31] or "Records"


def _typed_column(values: pd.Series, layout: Layout, name: str) -> tuple[np.ndarray, list[Any], str | None]:
    """Values as the spreadsheet should hold them: real dates and numbers where the layout says
    so; as (each row's code, the distinct values, number format). Each distinct text is typed once."""
    kind = layout.field(name).type if layout.has_field(name) else "text"
    cells = values.to_numpy(dtype=object)
    if (
        kind not in NUMBER_FORMATS
        and kind != "date"
        and pd.api.types.infer_dtype(cells, skipna=False) == "string"
    ):
        codes, distinct = pd.factorize(cells)  # text already: as it is
        return codes, distinct.tolist(), None
    text = values.astype(object).fillna("").astype(str)
    codes, distinct = pd.factorize(text.to_numpy(dtype=object))
    text = pd.Series(distinct, dtype=text.dtype)
    if kind == "date":
        parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        out = [p.date() if not pd.isna(p) else t for p, t in zip(parsed, text.tolist(), strict=True)]
        return codes, out, DATE_FORMATS.get(layout.system, "yyyy-mm-dd")
    if kind in NUMBER_FORMATS:
        numbers = pd.to_numeric(text.where(text.str.strip() != "", None), errors="coerce")
        out = [
            t if pd.isna(n) else (int(n) if kind == "integer" and float(n).is_integer() else float(n))
            for n, t in zip(numbers.tolist(), text.tolist(), strict=True)
        ]
        return codes, out, NUMBER_FORMATS[kind]
    return codes, text.tolist(), None


def _needs_care(values: list[Any]) -> bool:
    """Whether a text column holds a cell that could be taken for a formula, or that XML or Excel
    cannot hold as it is."""
    text = "\x00".join(v for v in values if isinstance(v, str))
    return (
        any(f"\x00{c}" in text or text.startswith(c) for c in ("=", "+", "-", "@"))
        or ILLEGAL_CHARACTERS_RE.search(text.replace("\x00", "")) is not None
        or max((len(v) for v in values if isinstance(v, str)), default=0) > EXCEL_CELL_LIMIT
        or printable(text) is not text
    )


def _text_cell(value: Any, *, font: str | None = None, wrap: bool = False) -> Cell:
    """Text, never a formula whatever it starts with (the writer stores every str as text); one
    that looks like a formula also gets Excel's quote prefix, so it stays text when edited."""
    text = safe_text(value)
    return Cell(text, font=font, wrap=wrap, quote=text[:1] in ("=", "+", "-", "@"))


def _value_cell(value: Any, number_format: str | None) -> Cell:
    if isinstance(value, str):
        return _text_cell(value) if value != "" else Cell(None)
    return Cell(value, number_format=number_format or None)


def _annotate(cell: Cell, notes: list[tuple[str, str]]) -> None:
    if not notes:
        return
    kinds = [k for k, _ in notes]
    kind = "replaced" if "replaced" in kinds else kinds[0]
    cell.fill = FILLS.get(kind, FILLS["replaced"])
    text = "\n".join(safe_text(m) for _, m in notes)
    cell.comment = (text[:2000], 320, 110)  # text, width and height (px)


def _link_sample(sheet: str) -> str:
    """A link's text at its longest likely width (column widths are fitted to it)."""
    return f"{sheet}!AA999999"


def _link_cell(sheet: str, ref: str) -> Cell:
    cell = _text_cell(f"{sheet}!{ref}", font=LINK)
    cell.link = f"{quote_sheet(sheet)}!{ref}"
    return cell


def _fit_widths(ws, frame: pd.DataFrame) -> list[bool]:
    """Each column as wide as its heading (never cut) or its widest value (of the first 2,000),
    within reason; returns which columns hold wider values."""
    return fit_widths(
        ws, ((str(name), frame.iloc[:2000, i].tolist()) for i, name in enumerate(frame.columns))
    )


def _write_rejected(ws, rejected: pd.DataFrame, source_headers: list[str]) -> dict[int, int]:
    ws.freeze_panes = "A2"
    # The rows as they came in: the file's own headings (as in rejects.csv), plus Error.
    same = len(source_headers) + 1 == len(rejected.columns)
    headers = [*source_headers, "Error"] if same else [str(c) for c in rejected.columns]
    wrap = _fit_widths(ws, rejected.set_axis(headers, axis=1))
    ws.auto_filter = f"A1:{column_letter(len(rejected.columns))}{len(rejected) + 1}"
    ws.append([_text_cell(h, font=BOLD) for h in headers])
    first: dict[int, int] = {}
    for pos, (row, values) in enumerate(zip(rejected.index, rejected.itertuples(index=False), strict=True)):
        first.setdefault(int(row), pos + 2)
        ws.append(
            [
                _text_cell("" if v is None or (isinstance(v, float) and pd.isna(v)) else v, wrap=w)
                for v, w in zip(values, wrap, strict=True)
            ]
        )
    return first


def _write_issues(
    ws,
    issues: list[Issue],
    *,
    records_name: str,
    cells: dict[int, int],
    fields: list[str],
    rejected_cells: dict[int, int],
    rejected_columns: list[str],
) -> None:
    ws.freeze_panes = "A2"
    headers = ("Row", "Column", "Code", "Severity", "Message", "Cell")
    some = issues[:2000]
    fit_widths(
        ws,
        zip(
            headers,
            (
                [i.row for i in some],
                [i.column or "" for i in some],
                [i.code for i in some],
                [i.severity for i in some],
                [i.message for i in some],
                [_link_sample(records_name)] if some else [],
            ),
            strict=True,
        ),
        wide=100,
    )
    ws.auto_filter = f"A1:F{max(2, min(len(issues), MAX_ISSUE_ROWS) + 1)}"
    ws.append([_text_cell(h, font=BOLD) for h in headers])
    for issue in issues[:MAX_ISSUE_ROWS]:
        link = None
        if issue.row is not None and issue.row in cells:
            name = issue.target if issue.target in fields else issue.column
            col = fields.index(name) + 1 if name in fields else 1
            link = _link_cell(records_name, f"{column_letter(col)}{cells[issue.row]}")
        elif issue.row is not None and issue.row in rejected_cells:
            col = rejected_columns.index(issue.column) + 1 if issue.column in rejected_columns else 1
            link = _link_cell("Rejected", f"{column_letter(col)}{rejected_cells[issue.row]}")
        ws.append(
            [
                issue.row,
                _text_cell(issue.column or ""),
                _text_cell(issue.code),
                _text_cell(issue.severity),
                _text_cell(issue.message, wrap=True),
                link,
            ]
        )
    if len(issues) > MAX_ISSUE_ROWS:
        ws.append(
            [
                None,
                None,
                None,
                None,
                _text_cell(f"… and {len(issues) - MAX_ISSUE_ROWS:,} more: see manifest.json."),
            ]
        )


def _write_summary(ws, summary: dict[str, Any]) -> None:
    lines = summary_lines(summary)
    body = [(label, value) for label, value, style in lines if style in ("line", "alert")]
    fit_widths(ws, [("", [label for label, _ in body]), ("", [value for _, value in body])], wide=100)
    for label, value, style in lines:
        if style == "title":
            ws.append([_text_cell(label, font=TITLE)])
        elif style == "section":
            ws.append([])
            ws.append([_text_cell(label, font=BOLD)])
        else:
            cell = Cell(value) if isinstance(value, int | float) else _text_cell(value, wrap=True)
            if isinstance(value, float):
                cell.number_format = "#,##0.00"
            head = _text_cell(label, wrap=True)
            if style == "alert":  # rejected rows, held changes: what the reader must look at
                head.fill = cell.fill = ALERT
                head.font = BOLD
            ws.append([head, cell])


# The Credit limits sheet of ``review.xlsx``: what a Sage 50 customer list tells BizOps.
#
# One row per customer (the held ones always, the others up to ``review.max_rows``): the credit
# limit and status now, what was sent before, whether it is new, changed, unchanged, held for
# review or released with ``--release-held``, and for a held change, why. A changed value is
# highlighted with a comment "old → new"; a held change's row is marked for attention.

CREDIT_HEADINGS = (
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


def write_credit_limits_sheet(ws: Sheet, rows: list[tuple]) -> None:
    """``rows``: (row, ID, limit, status, limit before, status before, change, why)."""
    ws.freeze_panes = "C2"
    shown = [
        (*r[:6], MEANING.get(r[6], r[6]), r[7]) for r in sorted(rows, key=lambda r: (r[6] != "held", r[0]))
    ]
    columns = [[r[i] for r in shown[:2000]] for i in range(len(CREDIT_HEADINGS))]
    wrap = fit_widths(ws, zip(CREDIT_HEADINGS, columns, strict=True), wide=80)
    ws.auto_filter = f"A1:H{max(2, len(shown) + 1)}"
    ws.append([_text_cell(h, font=BOLD) for h in CREDIT_HEADINGS])
    if not shown:
        return
    makers = (
        Cell,
        _text_cell,
        _amount,
        _text_cell,
        _amount,
        _text_cell,
        lambda change: _text_cell(change, font=BOLD if change.startswith("HELD") else None),
        lambda why: _text_cell(why, wrap=wrap[7]),
    )
    # Each distinct value of a column is made a cell once (add_rows); a cell with a comment, and
    # every cell of a held change's row (marked for attention), is made for its row.
    columns = [codes_of(values) for values in zip(*shown, strict=True)]
    columns = [
        (codes, [make(v) for v in values]) for make, (codes, values) in zip(makers, columns, strict=True)
    ]
    special: dict[tuple[int, int], Cell] = {}
    for pos, (_row, _customer, limit, status, was_limit, was_status, change, _why) in enumerate(shown):
        if not change.startswith(("changed", "released", "HELD")):
            continue
        made = [make(v) for make, v in zip(makers, shown[pos], strict=True)]
        for i, now, before, name in ((2, limit, was_limit, "limit"), (3, status, was_status, "status")):
            if now != before:
                _annotate(made[i], [("changed", f"Credit {name}: {before!r} → {now!r} (sent before → now).")])
                special[(pos, i)] = made[i]
        if change.startswith("HELD"):
            for i, cell in enumerate(made):
                cell.fill = ALERT
                special[(pos, i)] = cell
    add_rows(ws, len(shown), columns, special)


def _amount(text: str) -> Cell:
    try:
        return Cell(float(text), number_format=NUMBER_FORMATS["amount"])
    except ValueError:
        return _text_cell(text)
