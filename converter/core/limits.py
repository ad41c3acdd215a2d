"""Resource limits on input files (``[limits]`` in the config), checked while reading.

Why: the converter runs unattended on whatever lands in the inbox. A multi-gigabyte file, a
workbook that unpacks to gigabytes (a zip bomb), a row of 100,000 columns or a cell of ten
million characters must stop as a clear ``LimitError`` that names the file, where the limit was
hit, the limit and the config key that raises it: never an out-of-memory crash or a hang.

Every check is cheap: sizes come from ``stat`` and from the XLSX's zip directory before anything
is read or unpacked; column counts, row numbers and each row's joined length are compared per row
(one C-level ``"".join`` each, no loop over cells), and only a row over the cell limit is looked
at cell by cell, to name the column.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError, LimitError, ReadError

MB = 1024 * 1024
# No real workbook compresses anywhere near this: sheet XML compresses about 10-20:1, deflate's
# ceiling is about 1030:1, which only runs of one repeated byte reach (the stuff of zip bombs).
BOMB_RATIO = 200
_BOMB_MIN_BYTES = 10 * MB  # small parts (styles, themes) may compress well; they are harmless
_RAISE = "If the file is genuine, raise the limit"


@dataclass(frozen=True)
class Limits:
    """The documented defaults (``settings.DEFAULTS["limits"]``); ``from_config`` reads the site's."""

    max_file_mb: float = 1024
    max_rows: int = 5_000_000
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    max_columns: int = 1_000
    max_xlsx_unpacked_mb: float = 500

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> Limits:
        """The ``[limits]`` section as ``Limits``; a wrong key or value is a ``ConfigError`` naming it."""
        section = dict(section or {})
        known = {f.name: f for f in fields(cls)}
        for key in section:
            if key not in known:
                raise ConfigError(
                    f"Unknown setting `limits.{key}` in the config; the [limits] keys are "
                    f"{', '.join(known)}. Fix the spelling or remove the line."
                )
        values: dict[str, Any] = {}
        for name, value in section.items():
            whole = name not in ("max_file_mb", "max_xlsx_unpacked_mb")
            kinds = (int,) if whole else (int, float)
            if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
                example = getattr(cls(), name)
                raise ConfigError(
                    f"`limits.{name}` is {value!r}; it must be a positive "
                    f"{'whole number' if whole else 'number'}, such as {example}."
                )
            values[name] = value
        return cls(**values)

    # ---------------------------------------------------------------- before reading anything
    def check_file(self, path: Path, size: int) -> None:
        """A file larger than ``max_file_mb`` is refused from its size alone, before it is read."""
        if size > self.max_file_mb * MB:
            raise LimitError(
                f"{path.name} is {size / MB:,.1f} MB; the limit is {self.max_file_mb:,} MB "
                f"(`limits.max_file_mb` in the config). Split the export into smaller files "
                f"(by date or ID range). {_RAISE}.",
                key="limits.max_file_mb",
            )

    def check_xlsx(self, path: Path) -> None:
        """Read the zip's central directory only: refuse a workbook that would unpack too large, or
        that compresses like a zip bomb, before openpyxl unpacks anything. ``zipfile`` (which
        openpyxl reads through) never yields more than an entry's declared size, so the declared
        sizes bound what can be unpacked."""
        try:
            with zipfile.ZipFile(path) as archive:
                entries = archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise ReadError(
                f"{path.name} is not a readable XLSX workbook ({exc}). Save it again from Excel as "
                ".xlsx, or export CSV."
            ) from exc
        for info in entries:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size >= _BOMB_MIN_BYTES and ratio > BOMB_RATIO:
                raise LimitError(
                    f"{path.name}: its part {info.filename!r} would unpack to {info.file_size / MB:,.1f} "
                    f"MB from {info.compress_size / MB:,.2f} MB ({ratio:,.0f}:1); no real workbook "
                    f"compresses beyond {BOMB_RATIO}:1, so it was not unpacked (a zip bomb). If the "
                    "workbook is genuine, save it again from Excel or export it as CSV.",
                    key="limits.max_xlsx_unpacked_mb",
                )
        total = sum(info.file_size for info in entries)
        if total > self.max_xlsx_unpacked_mb * MB:
            raise LimitError(
                f"{path.name} would unpack to {total / MB:,.1f} MB; the limit is "
                f"{self.max_xlsx_unpacked_mb:,} MB (`limits.max_xlsx_unpacked_mb` in the config), "
                f"so it was not unpacked. Export it as CSV, or split it. {_RAISE}.",
                key="limits.max_xlsx_unpacked_mb",
            )

    # ---------------------------------------------------------------- while reading rows
    def check_columns(self, path: Path, row_no: int, count: int) -> None:
        """One comparison per row: a row wider than ``max_columns`` stops the file."""
        if count > self.max_columns:
            raise LimitError(
                f"{path.name}: row {row_no} has {count:,} columns; the limit is {self.max_columns:,} "
                f"(`limits.max_columns` in the config), hit at column {self.max_columns + 1:,}. "
                f"Check the delimiter and the quoting of that row. {_RAISE}.",
                key="limits.max_columns",
                row=row_no,
                column=self.max_columns + 1,
            )

    def check_rows(self, path: Path, row_no: int, data_rows: int) -> None:
        """``data_rows`` rows after the heading have been read; one more than allowed stops the file."""
        if data_rows > self.max_rows:
            raise LimitError(
                f"{path.name}: row {row_no} goes past the limit of {self.max_rows:,} data rows "
                f"(`limits.max_rows` in the config). Split the export into smaller files "
                f"(by date or ID range). {_RAISE}.",
                key="limits.max_rows",
                row=row_no,
            )

    def check_cells(self, path: Path, row_no: int, row: Sequence[str], names: Sequence[str] = ()) -> None:
        """The cells of one row; readers call it only for a row whose joined text is over the limit."""
        if row and max(map(len, row)) > self.max_cell_chars:
            pos = next(i for i, cell in enumerate(row) if len(cell) > self.max_cell_chars)
            raise self._cell_error(path, row_no, pos, len(row[pos]), names)

    def _cell_error(
        self, path: Path, row_no: int, col_pos: int, length: int, names: Sequence[str]
    ) -> LimitError:
        label = f' ("{names[col_pos][:40]}")' if col_pos < len(names) and names[col_pos] else ""
        return LimitError(
            f"{path.name}: row {row_no}, column {col_pos + 1}{label} has {length:,} characters; the "
            f"limit is {self.max_cell_chars:,} (`limits.max_cell_chars` in the config). A cell this "
            'long is usually an unclosed double quote (") that swallowed the rest of the file: fix '
            f"the quoting on that row. {_RAISE}.",
            key="limits.max_cell_chars",
            row=row_no,
            column=col_pos + 1,
        )
