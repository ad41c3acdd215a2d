"""Sheet rows given a column at a time, each column as its distinct values and each row's code.

A record sheet's columns repeat their values (dates, amounts, IDs, blanks), so each distinct
value's cell XML is built once and only the cell reference differs from row to row. The rows
come out exactly as ``Sheet.append`` row by row would write them: styles are numbered in the
order of their first use, row by row, and comments are listed in row order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .xlsx import Sheet, column_letter


def add_rows(
    ws: Sheet, count: int, columns: list[tuple[np.ndarray, list[Any]]], special: dict[tuple[int, int], Any]
) -> None:
    """Append ``count`` rows to ``ws``: in column ``i`` (from 0), ``columns[i]`` is (codes, values)
    and row ``pos`` (from 0) holds ``values[codes[pos]]``, a value as ``Sheet.append`` takes it;
    ``special[(pos, i)]`` (a cell with a comment) stands in place of that value."""
    if count == 0:
        return
    start = len(ws.rows) + 1
    tails, pieces = _render(ws, columns, special, start)
    numbers = [str(start + pos) for pos in range(count)]
    parts = []
    for i, (codes, _values) in enumerate(columns):
        opening = '<c r="' + column_letter(i + 1)
        cells = np.array(tails[i], dtype=object)[codes].tolist()
        parts.append([opening + n + '"' + t if t else "" for n, t in zip(numbers, cells, strict=True)])
    for (pos, i), xml in pieces.items():
        parts[i][pos] = xml
    heads = ['<row r="' + n + '">' for n in numbers]
    ws.rows.extend(map("".join, zip(heads, *parts, ["</row>"] * count, strict=True)))


def _render(
    ws: Sheet, columns: list[tuple[np.ndarray, list[Any]]], special: dict[tuple[int, int], Any], start: int
) -> tuple[list[list[str]], dict[tuple[int, int], str]]:
    """Each distinct value's cell XML after its reference, and each special cell's whole XML,
    built in the order row-by-row writing would meet them (a style's number is its first use)."""
    firsts: list[tuple[int, int, int]] = []
    for i, (codes, values) in enumerate(columns):
        count = len(codes)
        rows = np.arange(count)
        keep = np.ones(count, dtype=bool)
        for pos, column in special:
            if column == i:
                keep[pos] = False  # a special cell does not use its value's XML
        first = np.full(len(values), count, dtype=np.int64)
        np.minimum.at(first, codes[keep], rows[keep])
        firsts += [(pos, i, k) for k, pos in enumerate(first.tolist()) if pos < count]
    firsts += [(pos, i, -1) for pos, i in special]
    tails: list[list[str]] = [[""] * len(values) for _codes, values in columns]
    pieces: dict[tuple[int, int], str] = {}
    for pos, i, k in sorted(firsts):
        if k >= 0:
            tails[i][k] = ws.tail(columns[i][1][k])
        else:
            row = start + pos
            pieces[(pos, i)] = ws.piece(f"{column_letter(i + 1)}{row}", special[(pos, i)], row, i + 1)
    return tails, pieces


def codes_of(values: Iterable[Any]) -> tuple[np.ndarray, list[Any]]:
    """(each value's code, the distinct values in order of first appearance); values of different
    types are never taken for one another (``1``, ``1.0`` and ``True`` stay apart)."""
    index: dict[tuple[type, Any], int] = {}
    codes = [index.setdefault((type(v), v), len(index)) for v in values]
    return np.array(codes, dtype=np.int64), [v for _t, v in index]
