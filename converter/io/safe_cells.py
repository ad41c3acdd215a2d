"""Cells a spreadsheet program would run as a formula, made harmless in ``rejects.csv``, and
restored when that file is dropped back in.

``rejects.csv`` is made for Excel (UTF-8 with a BOM), and it copies rows as they came in: a cell
such as ``=cmd|' /C calc'!A0`` would be run when the file is opened. Such a cell (one that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, and is not a plain number like
``-12.50``) is written with a leading apostrophe, which every spreadsheet shows as text. A cell
that already starts with apostrophes before such a character gets one more, so the change can be
undone exactly: reading a dropped-back rejects file (its last column is ``Error``), one leading
apostrophe is removed from each such cell again.
"""

from __future__ import annotations

import pandas as pd

MARK = "'"
ERROR_COLUMN = "Error"
_FORMULA = r"^'*(?:\s*[=+\-@][\s\S]|[\t\r])"  # a lone "-" (Sage's placeholder customer) is text
_NUMBER = r"^'*\s*[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$"
NOTE = (
    "a leading ' was added to {columns} so that a spreadsheet shows the value as text instead of running "
    "it as a formula; the converter removes it again when this file is dropped back in"
)


def formula_like(values: pd.Series) -> pd.Series:
    """True where a cell would be neutralised (or, with a mark, restored)."""
    text = values.fillna("").astype(str)
    return text.str.contains(_FORMULA, regex=True) & ~text.str.contains(_NUMBER, regex=True)


def neutralise(frame: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, dict[object, list[str]]]:
    """A copy of ``frame`` with formula-like cells in ``columns`` prefixed; and, per row label, the
    columns changed (for the ``Error`` column)."""
    out = frame.copy()
    changed: dict[object, list[str]] = {}
    for column in columns:
        if column not in out.columns or out[column].dtype != object:
            continue
        hit = formula_like(out[column])
        if hit.any():
            out.loc[hit, column] = MARK + out.loc[hit, column].astype(str)
            for label in out.index[hit.to_numpy()]:
                changed.setdefault(label, []).append(str(column))
    return out, changed


def is_dropped_back(columns: list[str]) -> bool:
    """A rejects.csv dropped back in: its last column is ``Error``."""
    return bool(columns) and columns[-1] == ERROR_COLUMN


def restore(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo ``neutralise`` on a dropped-back rejects file (every column but ``Error``)."""
    out = frame
    for column in frame.columns:
        if column == ERROR_COLUMN:
            continue
        values = frame[column].fillna("").astype(str)
        hit = values.str.startswith(MARK) & formula_like(values)
        if hit.any():
            if out is frame:
                out = frame.copy()
            out.loc[hit, column] = values[hit].str.slice(1)
    return out
