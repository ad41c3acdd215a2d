"""Reading CSV with pandas' C parser, with the rows, row numbers and issues of the csv module.

Why: the csv module hands over one row at a time, a Python list per row; pandas' C parser turns a
chunk of rows into text columns in one call, about twice as fast. But the two differ at the edges
(pandas pads a short row with empty cells, stops at a long one, refuses an unclosed quote, drops a
BOM), and the reader owes its callers the csv module's reading exactly: every ragged row and blank
line reported by its spreadsheet row, every limit and every bad byte stopping the same row. So:

- The file is read in blocks of bytes. A numpy pass over a block finds its records (line ends
  outside quotes: ``\\n``, ``\\r\\n`` or a lone ``\\r``), each record's cell count (delimiters outside
  quotes, plus one; none for an empty line) and the records that may be blank (no printable byte
  but delimiters and quotes); the csv module reads those few, to know for sure.
- That structure is the csv module's wherever every quote is one its default dialect reads the
  same way: opening a field at its start, closing it right before a delimiter or a line end, or
  ``""`` inside quotes. A block where that does not hold (a quote inside an unquoted field, as in
  12" pipe; an unclosed quote), that holds a NUL byte or a byte its encoding cannot decode, or a
  record that may break a limit (more cells than ``max_columns``, more bytes than
  ``max_cell_chars``, a row past ``max_rows``) raises ``Fallback``: the caller reads on with the
  csv module from the first row not yet handed out, so an odd file is read, or fails, exactly as
  before.
- The non-blank records of a chunk go to pandas' C parser in one call, with as many columns as the
  widest record (a short record comes back padded with empty cells, as the csv reader pads it); a
  ragged record's cells, for its issue, come from the csv module.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from ..core.limits import Limits
from .chunks import Chunk, ragged_issue

BLOCK = 4 << 20  # bytes read at a time
# Bytes past a block's last record that must decode before its rows are handed out: the csv
# module's reader decodes 8 KB ahead of the row it hands out, and a bad byte there stops it first.
MARGIN = 64 << 10
_QUOTE, _LF, _CR = 0x22, 0x0A, 0x0D
# The encodings in which a delimiter, a quote and a line end are each the one ASCII byte (Python's
# name -> the name pandas reads the bytes with; a UTF-8 BOM is skipped before pandas sees them).
_ENCODINGS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "ascii": "utf-8",
    "cp1252": "cp1252",
    "latin-1": "latin-1",
    codecs.lookup("latin-1").name: "latin-1",  # what --encoding latin1 normalises to
}
_LATIN1 = ("latin-1", codecs.lookup("latin-1").name)  # every byte decodes
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


class Fallback(Exception):
    """The csv module must read on, after the rows already handed out."""


class Table(Protocol):
    path: Path
    encoding: str | None
    delimiter: str
    limits: Limits

    @property
    def size(self) -> int: ...


def can_read(table: Table, columns: list[str]) -> bool:
    """Whether ``table`` is a CSV file this reader reads exactly (else the csv module reads it)."""
    delim = table.delimiter
    return (
        table.encoding in _ENCODINGS
        and len(delim) == 1
        and delim.isascii()
        and delim not in '"\r\n\0'
        and len(columns) > 0
    )


@dataclass
class _Block:
    """Whole records of the file: ``data[starts[i]:ends[i]]`` is record ``i`` (its line end
    included), row number ``first + i``; ``offset`` is where ``data`` starts in the file."""

    data: bytes
    offset: int
    first: int
    starts: np.ndarray
    ends: np.ndarray
    fields: np.ndarray  # each record's cell count (0 for an empty line)
    blank: np.ndarray  # no cell holds anything but whitespace
    final: bool  # nothing in the file after it

    def split(self, k: int) -> tuple[_Block, _Block]:
        """Records ``[0, k)`` and ``[k, n)``."""
        head = replace(self, starts=self.starts[:k], ends=self.ends[:k], fields=self.fields[:k])
        head.blank, head.final = self.blank[:k], False
        tail = replace(self, starts=self.starts[k:], ends=self.ends[k:], fields=self.fields[k:])
        tail.blank, tail.first = self.blank[k:], self.first + k
        return head, tail


def _record_ends(a: np.ndarray, final: bool) -> tuple[np.ndarray, np.ndarray]:
    """The byte after each line end outside quotes (by quote parity, which ``_quotes_ok`` then
    proves right), up to ``MARGIN`` before the end of a block that is not the file's last; and
    every quote's position."""
    n = a.size
    quotes = np.flatnonzero(a == _QUOTE)
    lf = np.flatnonzero(a == _LF)
    cr = np.flatnonzero(a == _CR)
    if quotes.size:
        lf = lf[(np.searchsorted(quotes, lf) & 1) == 0]
        cr = cr[(np.searchsorted(quotes, cr) & 1) == 0]
    if cr.size:  # a lone \r ends a line; the \r of \r\n does not (its \n does)
        lone = a[np.minimum(cr + 1, n - 1)] != _LF
        lone[cr + 1 >= n] = final  # a \r at the end of a block may be followed by \n
        cr = cr[lone]
    ends = np.concatenate((lf, cr))
    ends.sort()
    ends += 1
    if not final:
        ends = ends[ends <= n - MARGIN]
    elif n and (ends.size == 0 or ends[-1] < n):
        ends = np.append(ends, n)  # the last line, without a line end
    return ends, quotes


def _quotes_ok(a: np.ndarray, quotes: np.ndarray, delim: int) -> bool:
    """Every quote opens a field at its start, closes it before a delimiter or line end, or is one
    of a ``""`` inside quotes: then quote parity is how the csv module reads them."""
    if quotes.size % 2:
        return False  # a quote left open at the end of the file
    if not quotes.size:
        return True
    n = a.size
    opens, closes = quotes[0::2], quotes[1::2]
    before = a[np.maximum(opens - 1, 0)]
    ok_open = (opens == 0) | (before == delim) | (before == _LF) | (before == _CR)
    ok_open[1:] |= closes[:-1] == opens[1:] - 1
    after = a[np.minimum(closes + 1, n - 1)]
    ok_close = (closes + 1 >= n) | (after == delim) | (after == _LF) | (after == _CR)
    ok_close[:-1] |= opens[1:] == closes[:-1] + 1
    return bool(ok_open.all() and ok_close.all())


def _field_counts(a: np.ndarray, quotes: np.ndarray, delim: int, starts: np.ndarray, ends: np.ndarray):
    """Cells per record: delimiters outside quotes, plus one; none for an empty line (the csv
    module reads one as ``[]``)."""
    delims = np.flatnonzero(a == delim)
    fields = np.diff(np.searchsorted(delims, np.concatenate(([0], ends)))) + 1
    if quotes.size:
        opens, closes = quotes[0::2], quotes[1::2]
        inside = np.searchsorted(delims, closes) - np.searchsorted(delims, opens)
        record = np.searchsorted(ends, opens, side="right")
        fields -= np.bincount(record, weights=inside, minlength=ends.size).astype(fields.dtype)
    last = a[ends - 1]
    line_end = ((last == _LF) | (last == _CR)).astype(fields.dtype)
    line_end += (last == _LF) & (ends - 2 >= starts) & (a[np.maximum(ends - 2, 0)] == _CR)
    fields[ends - starts == line_end] = 0
    return fields


class BlockReader:
    """Chunks of a CSV file's rows, exactly as ``TableFile``'s csv-module reader makes them. On
    ``Fallback``, ``resume`` says where the csv module reads on: ``(rows handed out, heading
    rows)``, or ``None`` to read from the start."""

    def __init__(self, table: Table, columns: list[str], *, has_header: bool, chunk_rows: int):
        self.table, self.columns, self.chunk_rows = table, columns, chunk_rows
        self.width = len(columns)
        self.delim = table.delimiter
        enc = table.encoding or "utf-8"
        self.encoding = "utf-8" if enc == "utf-8-sig" else enc  # for a record in the middle
        self.pandas_encoding = _ENCODINGS[enc]
        self.header_rows: int | None = None if has_header else 0
        self.done = 0  # the row number of the last row handed out (or of the heading row)
        content = [33 <= b <= 126 and b not in (_QUOTE, ord(self.delim)) for b in range(256)]
        self.content = bytes(content)  # bytes that put a visible character in a cell

    @property
    def resume(self) -> tuple[int, int] | None:
        return None if self.header_rows is None else (self.done, self.header_rows)

    def chunks(self) -> Iterator[Chunk]:
        pending: list[_Block] = []
        count = 0  # non-blank records in ``pending``
        for block in self._blocks():
            if self.header_rows is None:
                block = self._after_header(block)
                if block is None:
                    continue
            if block.first + block.ends.size - 1 > self.table.limits.max_rows + self.header_rows:
                raise Fallback  # the csv-module reader stops at the first row past the limit
            while block.ends.size:
                filled = np.flatnonzero(~block.blank)
                if filled.size < self.chunk_rows - count:
                    pending.append(block)
                    count += filled.size
                    break
                head, block = block.split(int(filled[self.chunk_rows - count - 1]) + 1)
                last = block.final and bool(block.blank.all())
                yield self._chunk([*pending, head], last)
                pending, count = [], 0
        if count:
            yield self._chunk(pending, True)

    def _after_header(self, block: _Block) -> _Block | None:
        """The records after the heading row (the first that is not blank), once it is found."""
        filled = np.flatnonzero(~block.blank)
        if not filled.size:
            return None
        self.header_rows = self.done = block.first + int(filled[0])
        return block.split(int(filled[0]) + 1)[1]

    def _chunk(self, pieces: list[_Block], last: bool) -> Chunk:
        """One chunk of the non-blank records of ``pieces``."""
        numbers, parts, issues, widest = [], [], [], self.width
        for piece in pieces:
            keep = np.flatnonzero(~piece.blank)
            if not keep.size:
                continue
            numbers.append(piece.first + keep)
            parts.extend(_runs(piece, ~piece.blank))
            fields = piece.fields[keep]
            widest = max(widest, int(fields.max()))
            for i in keep[fields != self.width]:
                issues.append(ragged_issue(piece.first + int(i), self._cells(piece, int(i)), self.width))
        rows = np.concatenate(numbers).tolist()
        frame = self._parse(b"".join(parts), widest, len(rows))
        end = pieces[-1]
        chunk = Chunk(frame=frame, first_row=rows[0], issues=issues, rows=rows)
        chunk.bytes_read = self.table.size if last else end.offset + int(end.ends[-1])
        self.done = end.first + end.ends.size - 1
        return chunk

    def _parse(self, data: bytes, widest: int, rows: int) -> pd.DataFrame:
        """Records as a text frame, by pandas' C parser (a BOM at its start would be dropped)."""
        if data.startswith(codecs.BOM_UTF8):
            raise Fallback
        try:
            frame = pd.read_csv(
                io.BytesIO(data),
                sep=self.delim,
                header=None,
                names=list(range(widest)),
                index_col=False,
                dtype=object,
                na_filter=False,
                skip_blank_lines=False,
                engine="c",
                encoding=self.pandas_encoding,
                quotechar='"',
                doublequote=True,
            )
        except Exception as exc:  # whatever pandas makes of it, the csv module has the last word
            raise Fallback from exc
        if len(frame) != rows:
            raise Fallback
        if widest > self.width:
            frame = frame.iloc[:, : self.width]
        frame.columns = self.columns
        return frame

    def _cells(self, block: _Block, i: int) -> list[str]:
        """Record ``i`` of ``block`` as the csv module reads it."""
        text = block.data[block.starts[i] : block.ends[i]].decode(self.encoding)
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=self.delim), [])

    def _blocks(self) -> Iterator[_Block]:
        """The file's records, block by block."""
        with self.table.path.open("rb") as fh:
            size = max(BLOCK, len(codecs.BOM_UTF8))
            buf = fh.read(size)
            final = len(buf) < size
            offset = first = 0
            if self.table.encoding == "utf-8-sig" and buf.startswith(codecs.BOM_UTF8):
                buf, offset = buf[3:], 3
            while True:
                block = self._scan(buf, offset, first + 1, final)
                if block is not None:
                    yield block
                    cut = int(block.ends[-1])
                    buf, offset, first = buf[cut:], offset + cut, first + block.ends.size
                if final:
                    return
                more = fh.read(BLOCK)
                final = len(more) < BLOCK
                buf += more

    def _scan(self, buf: bytes, offset: int, first: int, final: bool) -> _Block | None:
        """The whole records at the start of ``buf``; ``None`` if it holds none yet."""
        self._check_decodes(buf, final)
        a = np.frombuffer(buf, dtype=np.uint8)
        ends, quotes = _record_ends(a, final)
        limits = self.table.limits
        if not ends.size:
            if len(buf) > limits.max_cell_chars + MARGIN:
                raise Fallback  # a record longer than the longest cell allowed: let the limit speak
            return None
        cut = int(ends[-1])
        a, quotes = a[:cut], quotes[: np.searchsorted(quotes, cut)]
        delim = ord(self.delim)
        if buf.find(b"\0", 0, cut) >= 0 or not _quotes_ok(a, quotes, delim):
            raise Fallback
        starts = np.concatenate(([0], ends[:-1]))
        fields = _field_counts(a, quotes, delim, starts, ends)
        if (fields > limits.max_columns).any() or (ends - starts > limits.max_cell_chars).any():
            raise Fallback
        block = _Block(buf[:cut], offset, first, starts, ends, fields, fields == 0, final and cut == len(buf))
        block.blank = self._blank(block)
        return block

    def _blank(self, block: _Block) -> np.ndarray:
        """Which records are blank: those with no visible byte, when the csv module agrees."""
        visible = np.frombuffer(block.data.translate(self.content), dtype=np.uint8)
        blank = np.maximum.reduceat(visible, block.starts) == 0
        for i in np.flatnonzero(blank & (block.fields > 0)):
            blank[i] = not "".join(self._cells(block, int(i))).strip()
        return blank

    def _check_decodes(self, buf: bytes, final: bool) -> None:
        enc = self.encoding
        if enc == "cp1252":
            if any(b in buf for b in _CP1252_UNDEFINED):
                raise Fallback
        elif enc not in _LATIN1:
            try:
                codecs.getincrementaldecoder(enc)().decode(buf, final)
            except UnicodeDecodeError as exc:
                raise Fallback from exc


def _runs(block: _Block, keep: np.ndarray) -> list[bytes]:
    """The bytes of the kept records, a slice per run of them."""
    edges = np.diff(np.concatenate(([0], keep.astype(np.int8), [0])))
    begin, stop = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    starts, ends = block.starts[begin], block.ends[stop - 1]
    return [block.data[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
