"""Typed values, parsed and formatted a whole column at a time.

Inside the converter every value stays text, in one canonical spelling per type:
dates ``YYYY-MM-DD``, booleans ``TRUE``/``FALSE``, numbers as plain decimals (``-12.50``), blank
for missing. Parsing turns what a system writes into that spelling and returns a mask of the
cells it could not read; formatting turns it into what the target system reads. Nothing here
guesses: a date that is not valid in the stated day/month order is reported, not swapped.
"""

from __future__ import annotations

import json
import operator
import re
from datetime import date
from json.encoder import encode_basestring as _quote
from typing import Any

import numpy as np
import pandas as pd

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})
# Two-digit years 00-79 are 2000-2079, 80-99 are 1980-1999 (Sage writes M/D/YY).
YEAR_PIVOT = 80

_ISO = r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?\s*$"
_PARTS = r"^\s*(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})\s*$"
_NUMBER = r"^\s*[+-]?(?:\d+\.?\d*|\.\d+)\s*$"
_NUMBER_RE = re.compile(_NUMBER)


def blank(series: pd.Series) -> pd.Series:
    """Mask of cells that are empty or whitespace.

    Each distinct value is looked at once (factorize is one C pass; a column's values repeat),
    then the answer is broadcast back; a missing cell (None, NaN) is blank.
    """
    cells = series.to_numpy(dtype=object)
    if len(cells) > 64:
        codes, distinct = pd.factorize(cells, use_na_sentinel=True)
        mask = _blank_cells(distinct)
        return pd.Series(np.append(mask, True)[codes], index=series.index)  # code -1 (missing) → blank
    return pd.Series(_blank_cells(cells), index=series.index)


def _blank_cells(cells: np.ndarray) -> np.ndarray:
    try:  # strip and test run in C (map): a value is blank when nothing is left
        return np.fromiter(map(operator.not_, map(str.strip, cells)), dtype=bool, count=len(cells))
    except (AttributeError, TypeError):  # a missing cell (None, NaN) or a non-text value
        mask = [
            not v.strip() if type(v) is str else (v is None or v != v or not str(v).strip()) for v in cells
        ]
    return np.array(mask, dtype=bool)


def flat_json(data: dict[str, Any]) -> str:
    """``json.dumps(data, ensure_ascii=False)`` for a flat dict of text, several times faster."""
    try:
        return "{" + ", ".join(_quote(k) + ": " + _quote(v) for k, v in data.items()) + "}"
    except TypeError:  # a value that is not text
        return json.dumps(data, ensure_ascii=False)


def row_jsons(frame: pd.DataFrame) -> list[str]:
    """``flat_json`` of every row of a frame of text, the quoting done a column at a time."""
    names = list(frame.columns)
    return column_jsons(names, [texts(frame[name]) for name in names], len(frame))


_SAMPLE = 2_000  # cells a column's kind (mostly distinct or repeating) is told from


def column_jsons(names: list[str], columns: list[Any], count: int) -> list[str]:
    """``flat_json`` of each row of ``columns`` (sequences of str, one per name in ``names``).

    A column's values are quoted once per distinct value (factorize, broadcast) when they repeat,
    one by one when they are mostly distinct (names, addresses: factorizing them costs more than
    it saves). Each row is then one join of the quoted cells between the keys, run in C (``map``):
    no Python code per row.
    """
    if not names:
        return ["{}"] * count
    parts: list[Any] = []
    for n, (name, column) in enumerate(zip(names, columns, strict=True)):
        parts.append([("{" if n == 0 else ", ") + _quote(str(name)) + ": "] * count)
        sample = column[:_SAMPLE]
        if len(set(sample)) * 4 > len(sample):  # mostly distinct
            parts.append(list(map(_quote, column)))
        else:
            cells = np.asarray(column, dtype=object)
            codes, distinct = pd.factorize(cells)  # text only: no missing cell (no second pass for them)
            if len(codes) and codes.min() < 0:  # a missing cell after all: as it is (quoting fails on it)
                codes, distinct = pd.factorize(cells, use_na_sentinel=False)
            parts.append(np.array(list(map(_quote, distinct)) or [""], dtype=object)[codes].tolist())
    parts.append(["}"] * count)
    return list(map("".join, zip(*parts, strict=True)))


def map_distinct(series: pd.Series, func) -> pd.Series:
    """``series.map(func)`` with ``func`` called once per distinct value (factorize, map the
    distinct values, broadcast): IDs, amounts and dates repeat down a column."""
    codes, distinct = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=False)
    if len(distinct) == len(series):
        return series.map(func)
    mapped = pd.Series(distinct, dtype=series.dtype).map(func)
    return mapped.take(codes).set_axis(series.index)


def printable(text: str) -> str:
    """Text every file format can hold: lone surrogates (the undecodable bytes of a file name
    that is not UTF-8) become U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def texts(series: pd.Series) -> np.ndarray:
    """The column's cells as an object array of str (missing → ""), for fast plain loops."""
    cells = series.to_numpy(dtype=object)
    # A column of str only (the common case) is handed back as it is: filling missing values
    # first would scan the column for them. The array may be read-only: callers never write to it.
    if pd.api.types.infer_dtype(cells, skipna=False) in ("string", "empty"):
        return cells
    cells = series.to_numpy(dtype=object, na_value="")
    if isinstance(series.dtype, pd.StringDtype) or pd.api.types.infer_dtype(cells, skipna=False) == "string":
        return cells
    return np.array(
        [v if type(v) is str else "" if v is None or v != v else str(v) for v in cells], dtype=object
    )


def text(series: pd.Series) -> pd.Series:
    """``series.fillna("").astype(str)`` as plain object text: pandas' string dtype scans for
    missing values on every operation, a column of ``str`` objects does not."""
    return pd.Series(texts(series), index=series.index, dtype=object)


def each_distinct(series: pd.Series, func) -> pd.Series:
    """``func`` applied to the text of every cell (missing → ""), called once per distinct value
    and broadcast back: a column's values repeat. Returns an object series on the same index."""
    cells = texts(series)
    if len(cells) <= 64:
        return pd.Series([func(v) for v in cells], index=series.index, dtype=object)
    codes, distinct = pd.factorize(cells)
    done = np.empty(len(distinct), dtype=object)
    done[:] = [func(v) for v in distinct]
    return pd.Series(done[codes] if len(distinct) else done[:0], index=series.index, dtype=object)


def distinct_mask(series: pd.Series, test) -> pd.Series:
    """A boolean series: ``test`` of every cell's text, called once per distinct value."""
    cells = texts(series)
    if len(cells) <= 64:
        return pd.Series(np.array([bool(test(v)) for v in cells], dtype=bool), index=series.index)
    codes, distinct = pd.factorize(cells)
    done = np.array([bool(test(v)) for v in distinct], dtype=bool)
    return pd.Series(done[codes] if len(distinct) else done, index=series.index)


def stripped(series: pd.Series) -> pd.Series:
    """``text(series).str.strip()``, each distinct value stripped once."""
    return each_distinct(series, str.strip)


class Distinct:
    """A column held as its distinct values and each row's code into them, so a chain of checks
    and fixes runs once per distinct value (a column's values repeat) and the rows are built
    only when needed."""

    __slots__ = ("codes", "index", "values")

    def __init__(self, codes: np.ndarray, values: np.ndarray, index: pd.Index) -> None:
        self.codes, self.values, self.index = codes, values, index

    @classmethod
    def of(cls, series: pd.Series) -> Distinct:
        codes, values = pd.factorize(texts(series))
        return cls(codes, np.asarray(values, dtype=object), series.index)

    def blank(self) -> pd.Series:
        """Whether every row's text is empty or whitespace, as a boolean series."""
        return pd.Series(_blank_cells(self.values)[self.codes], index=self.index)

    def mask(self, test) -> pd.Series:
        """``test`` of every row's text, as a boolean series."""
        hits = np.array([bool(test(v)) for v in self.values], dtype=bool)
        return pd.Series(hits[self.codes], index=self.index)

    def map(self, func) -> Distinct:
        """``func`` of every row's text (a new column with the same codes)."""
        done = np.empty(len(self.values), dtype=object)
        done[:] = [func(v) for v in self.values]
        return Distinct(self.codes, done, self.index)

    def at(self, pos: int) -> str:
        """The text of the row at position ``pos``."""
        return self.values[self.codes[pos]]

    @property
    def series(self) -> pd.Series:
        return pd.Series(self.values[self.codes], index=self.index, dtype=object)


def records(frame: pd.DataFrame) -> list[dict[str, str]]:
    """The frame's rows as dicts of text, built from object arrays (``to_dict`` boxes every cell)."""
    columns = list(frame.columns)
    arrays = [texts(frame[c]) for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*arrays, strict=True)]


def rows(frame: pd.DataFrame, columns: list[str]) -> zip:
    """The frame's rows as tuples of text in ``columns`` order (a missing column is blank)."""
    blank_column = np.full(len(frame), "", dtype=object)
    return zip(*[texts(frame[c]) if c in frame.columns else blank_column for c in columns], strict=True)


def parse_dates(
    series: pd.Series, *, order: str = "mdy", iso_only: bool = False
) -> tuple[pd.Series, pd.Series]:
    """Parse dates to ``YYYY-MM-DD``. Returns (values, bad mask). ISO dates are always accepted."""
    empty = blank(series).to_numpy()
    out = np.full(len(series), "", dtype=object)
    bad = np.zeros(len(series), dtype=bool)
    if empty.all():  # most date columns of most exports are blank: nothing to parse
        return pd.Series(out, index=series.index, dtype=object), pd.Series(bad, index=series.index)
    filled = texts(series)[~empty]
    # A date repeats on every line of a document: parse each distinct spelling once; one already
    # in the canonical spelling (the common case) needs no parsing at all.
    codes, distinct = pd.factorize(filled)
    values = np.empty(len(distinct), dtype=object)
    values[:] = [_plain_date(v, order, iso_only) for v in distinct]
    plain = np.array([v is not None for v in values], dtype=bool)  # None: the full parse decides
    wrong = np.zeros(len(distinct), dtype=bool)
    if not plain.all():
        rest = pd.Series(np.asarray(distinct, dtype=object)[~plain], dtype=object)
        parsed, unread = _parse_filled_dates(rest, order=order, iso_only=iso_only)
        values[~plain] = parsed.to_numpy(dtype=object)
        wrong[~plain] = unread.to_numpy(dtype=bool)
    # Filled in as arrays, the series built once (a series set through a numpy mask is slow).
    out[~empty] = values[codes]
    bad[~empty] = wrong[codes]
    return pd.Series(out, index=series.index, dtype=object), pd.Series(bad, index=series.index)


_PLAIN_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAIN_PARTS = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{2}|[0-9]{4})")


def _plain_date(text: str, order: str, iso_only: bool) -> str | None:
    """The canonical spelling of a date in one of the plain forms (``YYYY-MM-DD``; ``M/D/YY`` or
    ``D/M/YYYY`` in the stated order), a real day between 1900 and 2199, exactly as the full parse
    would give it; None for anything else (the full parse decides)."""
    if _PLAIN_ISO.fullmatch(text) is not None:
        if not "1900" <= text[:4] <= "2199":
            return None
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    found = None if iso_only or order not in ("mdy", "dmy") else _PLAIN_PARTS.fullmatch(text)
    if found is None:
        return None
    first, second, spelled_year = found.groups()
    month, day = (int(first), int(second)) if order == "mdy" else (int(second), int(first))
    year = int(spelled_year)
    if len(spelled_year) == 2:
        year += 2000 if year < YEAR_PIVOT else 1900
    elif not 1900 <= year <= 2199:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _parse_filled_dates(series: pd.Series, *, order: str, iso_only: bool) -> tuple[pd.Series, pd.Series]:
    text = series.fillna("").astype(str)
    empty = text.str.strip() == ""
    year = pd.Series(np.nan, index=series.index)
    month = year.copy()
    day = year.copy()
    iso = text.str.extract(_ISO)
    is_iso = iso[0].notna()
    year[is_iso] = iso.loc[is_iso, 0].astype(float)
    month[is_iso] = iso.loc[is_iso, 1].astype(float)
    day[is_iso] = iso.loc[is_iso, 2].astype(float)
    if not iso_only:
        parts = text.str.extract(_PARTS)
        other = parts[0].notna() & ~is_iso
        if other.any():
            pos = {"mdy": (2, 0, 1), "dmy": (2, 1, 0), "ymd": (0, 1, 2)}[order]
            y = parts.loc[other, pos[0]]
            year[other] = y.astype(float)
            month[other] = parts.loc[other, pos[1]].astype(float)
            day[other] = parts.loc[other, pos[2]].astype(float)
            short = other & (y.str.len() <= 2).reindex(series.index, fill_value=False)
            year[short] = np.where(year[short] < YEAR_PIVOT, 2000 + year[short], 1900 + year[short])
            long_ok = other & (y.str.len() == 4).reindex(series.index, fill_value=False)
            year[other & ~short & ~long_ok] = np.nan
    stamp = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce")
    good = stamp.notna()
    out = pd.Series("", index=series.index, dtype=object)
    out[good] = stamp[good].dt.strftime("%Y-%m-%d")
    return out, ~good & ~empty


def format_sage_dates(series: pd.Series) -> pd.Series:
    """``YYYY-MM-DD`` → Sage's ``M/D/YY`` (no leading zeros); blanks stay blank."""
    codes, distinct = pd.factorize(texts(series))  # each distinct date is spelled once
    if len(distinct) < len(series):
        spelled = format_sage_dates(pd.Series(distinct, dtype=object)).to_numpy()
        return pd.Series(spelled[codes], index=series.index, dtype=object)
    text = series.fillna("").astype(str)
    parts = text.str.extract(r"^(\d{4})-(\d{2})-(\d{2})$")
    ok = parts[0].notna().to_numpy()
    if not ok.any():
        return text
    out = text.to_numpy(dtype=object).copy()
    p = parts[ok]
    spelled = p[1].astype(int).astype(str) + "/" + p[2].astype(int).astype(str) + "/" + p[0].str[2:]
    out[ok] = spelled.to_numpy(dtype=object)
    return pd.Series(out, index=series.index, dtype=text.dtype)


def parse_bools(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """true/false, yes/no, 1/0, t/f, y/n in any case → ``TRUE``/``FALSE``."""
    codes, distinct = pd.factorize(texts(series))  # a handful of spellings: each is read once
    if len(distinct) < len(series):
        out, bad = parse_bools(pd.Series(distinct, dtype=object))
        return (
            pd.Series(out.to_numpy()[codes], index=series.index, dtype=object),
            pd.Series(bad.to_numpy()[codes], index=series.index),
        )
    low = [v.strip().lower() for v in texts(series)]
    is_true = np.array([v in TRUE_WORDS for v in low], dtype=bool)
    is_false = np.array([v in FALSE_WORDS for v in low], dtype=bool)
    out = np.full(len(low), "", dtype=object)
    out[is_true] = "TRUE"
    out[is_false] = "FALSE"
    bad = ~(is_true | is_false | np.array([v == "" for v in low], dtype=bool))
    return pd.Series(out, index=series.index, dtype=object), pd.Series(bad, index=series.index)


def parse_numbers(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Plain decimals → float (NaN for blank). Returns (floats, bad mask).

    Thousands separators, currency signs and brackets are refused, not guessed: ``1.234`` could
    be one thousand or one point two.
    """
    cells = texts(series)
    codes, distinct = pd.factorize(cells)  # amounts and quantities repeat: each is read once
    if len(distinct) < len(cells):
        values, bad = parse_numbers(pd.Series(distinct, dtype=object))
        return (
            pd.Series(values.to_numpy()[codes], index=series.index),
            pd.Series(bad.to_numpy()[codes], index=series.index),
        )
    match = _NUMBER_RE.match
    parsed = [float(v) if match(v) else (np.nan if not v.strip() else None) for v in cells]
    bad = np.array([v is None for v in parsed], dtype=bool)
    values = np.array([np.nan if v is None else v for v in parsed], dtype=float)
    return pd.Series(values, index=series.index), pd.Series(bad, index=series.index)


def round_half_up(values: pd.Series, decimals: int) -> pd.Series:
    """Round like an accountant (half away from zero), not like a float."""
    factor = 10.0**decimals
    return np.sign(values) * np.floor(np.abs(values) * factor + 0.5 + 1e-9) / factor


def format_numbers(values: pd.Series, *, decimals: int, min_decimals: int | None = None) -> pd.Series:
    """Floats → text with ``decimals`` places (trailing zeros kept down to ``min_decimals``)."""
    rounded = round_half_up(values, decimals)
    # -0.00 is written 0.00
    rounded = rounded.where(rounded != 0, 0.0)
    fmt = f"{{:.{decimals}f}}".format
    trim = min_decimals is not None and min_decimals < decimals
    keep = min_decimals or 0

    def spell(v: float) -> str:
        if v != v:
            return ""
        text = fmt(v)
        if trim:
            whole, _, frac = text.partition(".")
            frac = frac.rstrip("0")
            frac += "0" * (keep - len(frac))
            text = f"{whole}.{frac}" if frac else whole
        return text

    codes, distinct = pd.factorize(rounded.to_numpy(dtype=float), use_na_sentinel=False)
    spelled = np.array([spell(v) for v in distinct] or [""], dtype=object)  # each distinct value once
    return pd.Series(spelled[codes], index=values.index, dtype=object)


def canonical_number(series: pd.Series, *, type_: str, decimals: int | None) -> tuple[pd.Series, pd.Series]:
    """Parse and re-spell a numeric column per its layout type. Returns (text, bad mask)."""
    cells = texts(series)
    codes, distinct = pd.factorize(cells)  # amounts and quantities repeat: each is read once
    if len(distinct) < len(series):
        out, bad = canonical_number(pd.Series(distinct, dtype=object), type_=type_, decimals=decimals)
        return (
            pd.Series(out.to_numpy()[codes], index=series.index, dtype=object),
            pd.Series(bad.to_numpy()[codes], index=series.index),
        )
    # A value already in its canonical spelling (most amounts of an export) is its own result.
    plain = _PLAIN_NUMBER.get(type_)
    same = np.array([plain.fullmatch(v) is not None for v in cells], dtype=bool) if plain else None
    if same is None or not same.any():
        return _canonical_numbers(series, type_=type_, decimals=decimals)
    out = np.array(cells, dtype=object)
    bad = np.zeros(len(cells), dtype=bool)
    if not same.all():
        rest_out, rest_bad = _canonical_numbers(series[~same], type_=type_, decimals=decimals)
        out[~same] = rest_out.to_numpy(dtype=object)
        bad[~same] = rest_bad.to_numpy(dtype=bool)
    return pd.Series(out, index=series.index, dtype=object), pd.Series(bad, index=series.index)


# Canonical spellings that parsing and re-spelling give back unchanged: no sign but "-", no
# leading zeros, no negative zero, and few enough digits that a float holds them exactly.
_PLAIN_NUMBER = {
    "amount": re.compile(r"(?!-0\.00\Z)-?(?:0|[1-9][0-9]{0,11})\.[0-9]{2}"),
    "integer": re.compile(r"(?!-0\Z)-?(?:0|[1-9][0-9]{0,14})"),
}


def _canonical_numbers(series: pd.Series, *, type_: str, decimals: int | None) -> tuple[pd.Series, pd.Series]:
    values, bad = parse_numbers(series)
    if type_ == "integer":
        not_whole = values.notna() & (values != np.floor(values))
        bad = bad | not_whole
        out = values.map(lambda v: "" if v != v else str(int(v)))
        return out.where(~bad, series.fillna("").astype(str)), bad
    places = 2 if type_ == "amount" else (decimals if decimals is not None else 5)
    out = format_numbers(values, decimals=places, min_decimals=2 if type_ == "amount" else min(2, places))
    return out.where(~bad, series.fillna("").astype(str)), bad
