"""Writers for the two systems' import files, appending one chunk at a time.

Sage 50 reads positionally: columns in the layout's order, a heading row (tick "First Row
Contains Headings"), dates ``M/D/YY``, ``TRUE``/``FALSE``, amounts with 2 decimals, Windows-1252,
CRLF, a field quoted only when it needs to be. BizOps files follow ``bizops.md``: UTF-8, ISO
dates, RFC 4180 quoting.
"""

from __future__ import annotations

import csv
import io
from itertools import islice
from pathlib import Path
from typing import IO

import pandas as pd

from ..core.values import format_sage_dates, rows
from .layouts import Layout

_BATCH_ROWS = 4096


class CsvWriter:
    """Writes frames to one CSV file with a fixed column list, heading row first."""

    def __init__(
        self, path: Path, columns: list[str], *, encoding: str, headers: list[str] | None = None
    ) -> None:
        self.path = path
        self.columns = columns
        self.rows = 0
        self._fh: IO[str] = path.open("w", encoding=encoding, newline="")
        # Rows are formatted into memory and reach the file in one write per batch of rows: the csv
        # module quotes the same way, and the file encodes a batch at once instead of each row.
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        self._writer.writerow(headers or columns)
        self._flush_buffer()

    def write(self, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        cells = rows(frame, self.columns)
        for _ in range(0, len(frame), _BATCH_ROWS):  # a bounded buffer, however large the chunk
            self._writer.writerows(islice(cells, _BATCH_ROWS))
            self._flush_buffer()
        self.rows += len(frame)

    def _flush_buffer(self) -> None:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        self._fh.write(text)

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            self._fh.close()


def format_for_target(frame: pd.DataFrame, layout: Layout) -> pd.DataFrame:
    """Canonical values → the target system's spelling (only Sage dates differ)."""
    if layout.system != "sage50":
        return frame
    out = frame.copy()
    for name in out.columns:
        if layout.has_field(name) and layout.field(name).type == "date":
            out[name] = format_sage_dates(out[name])
    return out


def import_writer(path: Path, layout: Layout, columns: list[str]) -> CsvWriter:
    encoding = "cp1252" if layout.system == "sage50" else "utf-8"
    return CsvWriter(path, columns, encoding=encoding)
