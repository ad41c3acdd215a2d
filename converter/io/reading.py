"""Reading CSV and XLSX files as text, in chunks.

Why this module is careful:
- Every cell is read as text. IDs such as ``00123`` and ZIP ``02134`` keep their leading zeros;
  types are converted later, and only where a layout says so.
- Encodings are detected, not assumed: a BOM (UTF-8, UTF-16), UTF-16 without a BOM (Excel's
  "Unicode text"), strict UTF-8 over the whole file, else Windows-1252 (what Sage 50 writes).
  ``--encoding`` overrides the guess.
- Rows are streamed in chunks so memory stays flat as files grow; row numbers are spreadsheet
  row numbers (the heading row is row 1).
- A CSV file's chunks come from pandas' C parser (``csv_blocks``) wherever it provably reads
  the file as the csv module does; anything it cannot be sure of (odd quoting, a bad byte, a
  limit) is read on by the csv module, so the rows, row numbers, issues and errors are the csv
  module's in every case.
- Ragged rows (too many or too few cells) are reported per row, not silently padded.
- Resource limits (``limits``) are checked on the way: the file's size before anything is read,
  an XLSX's unpacked size before it is unpacked, then columns, rows and cell lengths (a row's
  joined length first, one C call, so the per-cell look happens only for a row that is over), so
  a hostile or broken file stops as a ``LimitError`` instead of exhausting memory.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO

from ..core.errors import ReadError
from ..core.issues import Issue
from ..core.limits import Limits
from . import csv_blocks
from .chunks import Chunk, ragged_issue, text_frame

ENCODING_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf8-sig": "utf-8-sig",
    "utf-16": "utf-16",
    "utf16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
    "ansi": "cp1252",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
}
ENCODING_CHOICES = "utf-8, utf-8-sig, utf-16, cp1252, latin-1"
_BLOCK = 1 << 20
_DELIMITERS = (",", "\t", ";", "|")
csv.field_size_limit(1 << 30)


def normalise_encoding(name: str) -> str:
    key = name.strip().lower().replace("_", "-")
    if key in ENCODING_ALIASES:
        return ENCODING_ALIASES[key]
    try:
        return codecs.lookup(key).name
    except LookupError as exc:
        raise ReadError(f"Unknown encoding {name!r}; use one of: {ENCODING_CHOICES}.") from exc


def _looks_utf16(head: bytes) -> str | None:
    """Excel's UTF-16 without BOM: every other byte of ASCII text is a NUL."""
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def detect_encoding(path: Path) -> str:
    """Best encoding for ``path``; raises ``ReadError`` for binary or undecodable files."""
    with path.open("rb") as fh:
        head = fh.read(_BLOCK)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        utf16 = _looks_utf16(head)
        if utf16:
            return utf16
        decoder = codecs.getincrementaldecoder("utf-8")()
        block, offset, utf8_ok = head, 0, True
        while block:
            if b"\x00" in block:
                raise ReadError(
                    f"{path.name} is not a text file (it holds NUL bytes at offset "
                    f"{offset + block.index(0)}). Export it again as CSV, or as XLSX."
                )
            if utf8_ok:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8_ok = False
            offset += len(block)
            block = fh.read(_BLOCK)
        if utf8_ok:
            try:
                decoder.decode(b"", final=True)
                return "utf-8"
            except UnicodeDecodeError:
                pass
    _check_decodes(path, "cp1252")
    return "cp1252"


def _check_decodes(path: Path, encoding: str) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                raise ReadError(
                    f"{path.name}: byte 0x{block[exc.start]:02X} at offset {offset + exc.start} is "
                    f"neither UTF-8 nor Windows-1252. Pass --encoding with the file's real "
                    f"encoding ({ENCODING_CHOICES})."
                ) from exc
            offset += len(block)


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: 0 for d in _DELIMITERS}
    in_quotes = False
    for ch in first_line:
        if ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and ch in counts:
            counts[ch] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def cell_text(value: object) -> str:
    """An XLSX cell as the text a person sees, never a guessed type."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


@dataclass
class TableFile:
    """An opened input file: how to decode it and how to iterate its rows."""

    path: Path
    format: str  # "csv" or "xlsx"
    encoding: str | None
    delimiter: str = ","
    limits: Limits = field(default_factory=Limits)
    _fh: IO[str] | None = field(default=None, repr=False, compare=False)

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    @property
    def bytes_read(self) -> int:
        """How far into the file the rows read so far reach (for a progress bar); read-ahead makes
        it a little early. A workbook, read by openpyxl, counts as read once its rows are."""
        fh = self._fh
        if fh is None or fh.closed:
            return self.size
        return fh.buffer.tell()

    def iter_rows(self) -> Iterator[list[str]]:
        """Every row as a list of cells; a row wider than ``limits.max_columns`` stops the file."""
        widest = self.limits.max_columns
        for row_no, row in enumerate(self._raw_rows(), start=1):
            if len(row) > widest:
                self.limits.check_columns(self.path, row_no, len(row))
            yield row

    def _raw_rows(self) -> Iterator[list[str]]:
        if self.format == "xlsx":
            yield from self._xlsx_rows()
            return
        try:
            with self.path.open("r", encoding=self.encoding, newline="") as fh:
                self._fh = fh
                reader = csv.reader(fh, delimiter=self.delimiter)
                try:
                    yield from reader
                except csv.Error as exc:
                    raise ReadError(
                        f"{self.path.name}: row {reader.line_num}: the file is not valid CSV "
                        f"({exc}). Check the quoting on that row."
                    ) from exc
        except UnicodeDecodeError as exc:
            raise ReadError(
                f"{self.path.name} cannot be decoded as {self.encoding} ({exc.reason} at byte "
                f"{exc.start}). Pass --encoding with the file's real encoding ({ENCODING_CHOICES})."
            ) from exc

    def _xlsx_rows(self) -> Iterator[list[str]]:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (InvalidFileException, OSError, KeyError, ValueError) as exc:
            raise ReadError(
                f"{self.path.name} is not a readable XLSX workbook ({exc}). Save it again from "
                "Excel as .xlsx, or export CSV."
            ) from exc
        try:
            sheet = book.worksheets[0]
            for row in sheet.iter_rows(values_only=True):
                cells = [cell_text(v) for v in row]
                while cells and cells[-1] == "":
                    cells.pop()
                yield cells
        finally:
            book.close()

    def head(self, n: int = 5) -> list[list[str]]:
        rows: list[list[str]] = []
        longest = self.limits.max_cell_chars
        for row_no, row in enumerate(self.iter_rows(), start=1):
            if not any(c.strip() for c in row):
                continue
            if len("".join(row)) > longest:  # before detection quotes any of it
                self.limits.check_cells(self.path, row_no, row, rows[0] if rows else ())
            rows.append(row)
            if len(rows) >= n:
                break
        return rows

    def iter_chunks(
        self, columns: list[str], *, has_header: bool, chunk_rows: int = 50_000
    ) -> Iterator[Chunk]:
        """Rows as text frames with ``columns``; ragged rows become ``ragged-row`` issues.

        Blank lines are skipped (Excel leaves them at the end of files). A CSV file is read by
        pandas' C parser where that reads it as the csv module does (``csv_blocks``); where it
        may not, the csv module reads on from the first row not yet handed out.
        """
        if self.format != "csv" or not csv_blocks.can_read(self, columns):
            yield from self.csv_module_chunks(columns, has_header=has_header, chunk_rows=chunk_rows)
            return
        reader = csv_blocks.BlockReader(self, columns, has_header=has_header, chunk_rows=chunk_rows)
        try:
            yield from reader.chunks()
        except csv_blocks.Fallback:
            yield from self.csv_module_chunks(
                columns, has_header=has_header, chunk_rows=chunk_rows, resume=reader.resume
            )

    def csv_module_chunks(
        self,
        columns: list[str],
        *,
        has_header: bool,
        chunk_rows: int = 50_000,
        resume: tuple[int, int] | None = None,
    ) -> Iterator[Chunk]:
        """``iter_chunks`` row by row (the csv module's reader, or openpyxl's). ``resume`` =
        ``(rows handed out, heading rows)`` skips the rows another reader handed out already."""
        width = len(columns)
        limits = self.limits
        longest = limits.max_cell_chars
        rows: list[list[str]] = []
        numbers: list[int] = []
        issues: list[Issue] = []
        it = self.iter_rows()
        if resume is None:
            row_no = header_rows = self._skip_header(it) if has_header else 0
        else:
            row_no, header_rows = resume
            deque(islice(it, row_no), maxlen=0)
        last = limits.max_rows + header_rows  # the last row number allowed
        for row in it:
            row_no += 1
            if row_no > last:
                limits.check_rows(self.path, row_no, row_no - header_rows)
            joined = "".join(row)  # one C call per row: blank rows, and no cell is longer than its row
            if not joined.strip():
                continue
            if len(joined) > longest:
                limits.check_cells(self.path, row_no, row, columns)
            if len(row) != width:
                # XLSX rows lose their trailing blank cells: only extra values are ragged there.
                if self.format == "csv" or any(c.strip() for c in row[width:]):
                    issues.append(ragged_issue(row_no, row, width))
                row = (row + [""] * width)[:width]
            rows.append(row)
            numbers.append(row_no)
            if len(rows) >= chunk_rows:
                yield self._numbered(rows, numbers, columns, issues)
                rows, numbers, issues = [], [], []
        if rows or issues:
            yield self._numbered(rows, numbers or [row_no], columns, issues)

    def _skip_header(self, it: Iterator[list[str]]) -> int:
        """Read up to the heading row (the first that is not blank); its row number."""
        row_no = 0
        for header in it:
            row_no += 1
            if any(c.strip() for c in header):
                if len("".join(header)) > self.limits.max_cell_chars:
                    self.limits.check_cells(self.path, row_no, header)
                break
        return row_no

    def _numbered(
        self, rows: list[list[str]], numbers: list[int], columns: list[str], issues: list[Issue]
    ) -> Chunk:
        """A chunk that knows each row's spreadsheet number."""
        chunk = Chunk(frame=text_frame(rows, columns), first_row=numbers[0], issues=issues)
        chunk.rows = numbers if rows else None
        chunk.bytes_read = self.bytes_read
        return chunk


def open_table(path: Path, *, encoding: str | None = None, limits: Limits | None = None) -> TableFile:
    """Open ``path`` for reading: work out CSV vs XLSX, the encoding and the delimiter.

    ``limits`` (the documented defaults when ``None``) are checked from the file's size and, for
    a workbook, its zip directory before any of it is read; the rest while its rows are read.
    """
    limits = limits or Limits()
    if not path.is_file():
        raise ReadError(f"{path} does not exist or is not a file.")
    size = path.stat().st_size
    if size == 0:
        raise ReadError(f"{path.name} is empty (0 bytes). Export the file again from its system.")
    limits.check_file(path, size)
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"PK\x03\x04"):
        limits.check_xlsx(path)
        return TableFile(path=path, format="xlsx", encoding=None, limits=limits)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise ReadError(
            f"{path.name} is an old Excel .xls workbook. Save it as .xlsx or CSV and drop it again."
        )
    enc = normalise_encoding(encoding) if encoding and encoding != "auto" else detect_encoding(path)
    with path.open("r", encoding=enc, newline="", errors="replace") as fh:
        first_line = io.StringIO(fh.read(64 * 1024)).readline()
    return TableFile(
        path=path, format="csv", encoding=enc, delimiter=_sniff_delimiter(first_line), limits=limits
    )
