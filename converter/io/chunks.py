"""A block of rows read from a file, as text, with each row's spreadsheet number; the ragged-row issue."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..core.issues import Issue


@dataclass
class Chunk:
    """A block of rows as text. ``first_row`` is the spreadsheet row number of row 0; ``rows``
    holds each row's own number, since blank lines skipped inside a chunk leave gaps."""

    frame: pd.DataFrame
    first_row: int
    issues: list[Issue] = field(default_factory=list)
    rows: list[int] | None = None
    bytes_read: int | None = None  # how far into the file this chunk reaches (progress)

    @property
    def row_numbers(self) -> range | list[int]:
        if self.rows is not None:
            return self.rows
        return range(self.first_row, self.first_row + len(self.frame))


def ragged_issue(row_no: int, row: list[str], width: int) -> Issue:
    """A row with more or fewer cells than the heading row (it is kept, padded or cut to width)."""
    if len(row) > width:
        extra = ", ".join(repr(c) for c in row[width:] if c)[:200]
        msg = (
            f"has {len(row)} cells but the heading row has {width}"
            + (f" (extra values: {extra})" if extra else "")
            + ". A value probably holds an unquoted comma: quote it or remove the comma."
        )
    else:
        msg = (
            f"has {len(row)} cells but the heading row has {width}. The row looks cut short: "
            "export it again or add the missing cells."
        )
    return Issue(row_no, None, "ragged-row", f"Row {msg}", "error")


def text_frame(rows: list[list[str]], columns: list[str]) -> pd.DataFrame:
    """Rows (each already ``len(columns)`` cells) as a frame of text columns."""
    if rows:
        return pd.DataFrame(rows, columns=columns, dtype=object)
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
