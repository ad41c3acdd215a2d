"""Checks against a layout, collecting every problem as an ``Issue``.

``normalise_source`` reads the typed fields of a source frame into the canonical spelling
(see ``values``) and reports what cannot be read. ``check_target`` makes a mapped frame safe for
the target system: Sage's ID rules, length limits (truncation with a warning), characters
Windows-1252 cannot hold, double quotes Sage cannot import, and text a spreadsheet would run as a
formula. Rows with an error are rejected by the pipeline; warnings keep the row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.issues import Issue
from ..core.values import (
    Distinct,
    blank,
    canonical_number,
    each_distinct,
    parse_bools,
    parse_dates,
    parse_numbers,
)
from ..io.layouts import Field, Layout
from .cp1252 import encodable as _encodable
from .cp1252 import to_cp1252 as _to_cp1252
from .odd_values import OddValues

SAGE_ID_LIMIT = 20


def _report(
    issues: list[Issue],
    mask: pd.Series,
    column: str,
    code: str,
    message,
    values: pd.Series | Distinct,
    severity: str = "error",
    *,
    target: str | None = None,
) -> None:
    # Positional: journal rows built from one source row share its row number.
    value = values.at if isinstance(values, Distinct) else values.iloc.__getitem__
    for pos in np.flatnonzero(mask.to_numpy()):
        issues.append(
            Issue(int(mask.index[pos]), column, code, message(str(value(pos))), severity, target)  # type: ignore[arg-type]
        )


_WHAT = {
    "date": "is not a date",
    "bool": "is not a yes/no value",
    "integer": "is not a whole number",
    "number": "is not a number",
    "amount": "is not an amount",
    "code": "is not a coding we know",
}


def normalise_source(
    frame: pd.DataFrame, layout: Layout, *, date_order: str, odd: OddValues | None = None
) -> tuple[pd.DataFrame, list[Issue]]:
    """Canonical typed values for the layout's fields present in ``frame``; issues for the rest.

    Readers are liberal: a blank or unreadable value rejects the record only in a field it cannot
    exist without (``Layout.critical``). Anywhere else the value is carried as it came and noted
    once per distinct value in ``odd`` (its warnings are added to the issues when no collector
    is handed in).
    """
    issues: list[Issue] = []
    own = odd is None
    odd = OddValues() if odd is None else odd
    out = frame.copy()
    iso_only = layout.system == "bizops"
    for f in layout.fields:
        if f.name not in out.columns:
            continue
        critical = layout.critical(f.name)
        if f.type not in _CODE and not (critical and f.required):
            continue  # plain text nobody checks here: carried as it came, not converted for nothing
        text = Distinct.of(out[f.name])  # each distinct value is read once
        if critical and f.required:
            _report(
                issues,
                text.blank(),
                f.name,
                "missing-value",
                lambda _v, n=f.name: f"{n} is required; fill it in.",
                text,
            )
        distinct = pd.Series(text.values, dtype=object)
        values, wrong, message = _read_typed(distinct, f, layout, date_order, iso_only)
        if values is None:
            continue
        bad = pd.Series(wrong.to_numpy(dtype=bool)[text.codes], index=text.index)
        if critical:
            _report(issues, bad, f.name, f"bad-{_CODE[f.type]}", lambda v, m=message: m(v), text)
        elif bad.any():
            odd.add(f.name, text.series[bad], what=_WHAT[f.type], fate="carried as it came", stage="read")
        canonical = values.where(~wrong, distinct).fillna("").to_numpy(dtype=object)
        out[f.name] = pd.Series(canonical[text.codes], index=text.index, dtype=object)
    if own:
        issues += odd.issues()
    return out, issues


_CODE = {
    "date": "date",
    "bool": "bool",
    "integer": "number",
    "number": "number",
    "amount": "number",
    "code": "code",
}


def _read_typed(text: pd.Series, f, layout: Layout, date_order: str, iso_only: bool):
    """(canonical values, bad mask, message for a bad value) of a typed field; Nones for text."""
    if f.type == "date":
        values, bad = parse_dates(text, order=date_order, iso_only=iso_only)
        hint = (
            "write dates as YYYY-MM-DD"
            if iso_only
            else f"the file is read with --date-order {date_order}; if it was exported under other regional settings, pass --date-order mdy, dmy or ymd"
        )
        return values, bad, lambda v: f"{v!r} is not a valid date: {hint}."
    if f.type == "bool":
        values, bad = parse_bools(text)
        return values, bad, lambda v: f"{v!r} is not a yes/no value: use TRUE or FALSE."
    if f.type in ("amount", "number", "integer"):
        values, bad = canonical_number(text, type_=f.type, decimals=f.decimals)
        what = "a whole number" if f.type == "integer" else "a number"
        return (
            values,
            bad,
            lambda v: (
                f"{v!r} is not {what}: write plain digits with '.' for decimals (no thousands separators or currency signs)."
            ),
        )
    if f.type == "code":
        canon = {a.casefold(): a for a in f.allowed}
        mapped = _canonical_codes(text, canon)
        bad = mapped.isna() & ~blank(text)
        allowed = ", ".join(f.allowed)
        return mapped, bad, lambda v: f"{v!r} is not allowed here; use one of: {allowed}."
    return None, None, None


# A cell (the first, or one after a \x00 separator) starting with = + - or @. Two patterns, not one
# with (?:^|\x00): a pattern led by the literal \x00 is scanned for quickly, about 10x faster.
_FORMULA_FIRST = re.compile(r"\s*[=+\-@]")
_FORMULA_NEXT = re.compile(r"\x00\s*[=+\-@]")
# What a spreadsheet runs when it opens the file: a leading '=', or a leading '+', '-' or '@'
# followed by a function or a DDE call (``+cmd|' /C calc'!A0``, ``@SUM(A1)``). A phone number
# such as ``+1 (617) 555-0100`` or an amount such as ``-5`` is not one.
FORMULA = r"^\s*(?:=|[+\-@].*[A-Za-z_][A-Za-z0-9_.]*[(|])"
_FORMULA_RE = re.compile(FORMULA)
_ID_CHARS = re.compile(r'[*?+"\r\n]')
_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def _canonical_codes(text: pd.Series, canon: dict[str, str]) -> pd.Series:
    """Each cell's code in its allowed spelling (matched stripped, without case); NaN where none."""
    mapped = each_distinct(text, lambda v: canon.get(v.strip().casefold()))
    return mapped.where(mapped.notna(), np.nan)


@dataclass(frozen=True)
class _Screen:
    """What a whole column may hold, found in one pass over the joined text of its distinct
    values, so the per-cell checks run only on the few columns that need them."""

    quote: bool
    breaks: bool
    cp1252: bool
    formula: bool
    id_chars: bool

    @classmethod
    def of(cls, cells: np.ndarray) -> _Screen:
        joined = "\x00".join(cells)
        cp1252 = joined.isascii()  # ASCII is a subset of Windows-1252: no need to encode
        if not cp1252:
            try:
                joined.encode("cp1252")
                cp1252 = True
            except UnicodeEncodeError:
                pass
        return cls(
            quote='"' in joined,
            breaks="\r" in joined or "\n" in joined,
            cp1252=cp1252,
            formula=_FORMULA_FIRST.match(joined) is not None or _FORMULA_NEXT.search(joined) is not None,
            id_chars=any(c in joined for c in '*?+"\r\n'),
        )


def check_target(
    frame: pd.DataFrame,
    layout: Layout,
    *,
    source_columns: dict[str, str],
    keys: pd.Series,
    odd: OddValues | None = None,
) -> tuple[pd.DataFrame, list[Issue]]:
    """Make ``frame`` importable by ``layout``'s system; returns the fixed frame and issues.

    ``source_columns`` names, per target field, the source column a person should fix;
    ``keys`` holds each row's natural key, so warnings can name the record. Writers are strict:
    a value the target field cannot hold is an error where the record cannot exist without it,
    and is left blank (noted once per distinct value in ``odd``) everywhere else.
    """
    issues: list[Issue] = []
    own = odd is None
    odd = OddValues() if odd is None else odd
    out = frame.copy()
    sage = layout.system == "sage50"
    for name in out.columns:
        f = layout.field(name)
        col = source_columns.get(name, name)
        text = Distinct.of(out[name])  # each check and fix runs once per distinct value
        empty = text.blank() if f.required or name in layout.key or (f.type == "code" and f.allowed) else None
        label = f"{name!r}"
        if empty is not None and (f.required or name in layout.key):
            _report(
                issues,
                empty,
                col,
                "missing-value",
                lambda _v, lab=label: f"{lab} is required in {layout.title} and is blank; fill it in.",
                text,
            )
        if f.type not in ("text", "code"):
            out[name] = _holdable(text, f, layout, col, issues, odd)
            continue
        screen = _Screen.of(text.values)
        if sage:
            text = _sage_quotes_and_breaks(text, f, name, col, label, screen, issues)
            text = _sage_encoding(text, f, name, col, label, screen, issues)
        text = _formulas_and_lengths(text, f, name, col, label, screen, issues, keys=keys, sage=sage)
        if f.type == "code" and f.allowed:
            out[name] = _allowed_codes(text.series, f, layout, name, col, label, issues, empty=empty, odd=odd)
        else:
            out[name] = text.series
    if own:
        issues += odd.issues()
    return out, issues


def _sage_quotes_and_breaks(
    text: Distinct, f: Field, name: str, col: str, label: str, screen: _Screen, issues: list[Issue]
) -> Distinct:
    """Sage takes double quotes as field delimiters and reads one line per row: both replaced."""
    if not f.id and (screen.quote or screen.breaks):
        # Sage takes double quotes as field delimiters and cannot import them inside text.
        quoted = text.mask(lambda v: '"' in v)
        if quoted.any():
            fixed = text.map(lambda v: v.replace('"', "''"))
            _report(
                issues,
                quoted,
                col,
                "quote-replaced",
                lambda v, lab=label: (
                    f"{lab}: double quotes replaced by two apostrophes in {v!r}; Sage 50 cannot import them."
                ),
                text,
                "warning",
                target=name,
            )
            text = fixed
        breaks = text.mask(lambda v: "\r" in v or "\n" in v)
        if breaks.any():
            _report(
                issues,
                breaks,
                col,
                "newline-replaced",
                lambda v, lab=label: (
                    f"{lab}: line breaks replaced by spaces in {v[:40]!r}; Sage 50 reads one line per row."
                ),
                text,
                "warning",
                target=name,
            )
            text = text.map(lambda v: _BREAKS.sub(" ", v))
    return text


def _sage_encoding(
    text: Distinct, f: Field, name: str, col: str, label: str, screen: _Screen, issues: list[Issue]
) -> Distinct:
    """Characters Windows-1252 cannot hold: an error in an ID, replaced (with a warning) elsewhere."""
    if f.id and not screen.cp1252:
        # An ID is a key: it is never rewritten, so a character Sage cannot hold is an error.
        unfit = text.mask(lambda v: not _encodable(v))
        _report(
            issues,
            unfit,
            col,
            "bad-id",
            lambda v, lab=label: (
                f"{lab} {v!r} has characters Windows-1252 cannot hold, so Sage 50 cannot store it. "
                "Change the ID in the source system."
            ),
            text,
        )
    elif not screen.cp1252:
        unfit = text.mask(lambda v: not _encodable(v))
        if unfit.any():
            fixed = text.map(lambda v: v if _encodable(v) else _to_cp1252(v))
            for pos in np.flatnonzero(unfit.to_numpy()):
                issues.append(
                    Issue(
                        int(text.index[pos]),
                        col,
                        "unencodable",
                        f"{label}: {text.at(pos)!r} has characters Windows-1252 cannot hold; written as {fixed.at(pos)!r}.",
                        "warning",
                        name,
                    )
                )
            text = fixed
    return text


def _formulas_and_lengths(
    text: Distinct,
    f: Field,
    name: str,
    col: str,
    label: str,
    screen: _Screen,
    issues: list[Issue],
    *,
    keys: pd.Series,
    sage: bool,
) -> Distinct:
    """Formula-like values are errors; Sage IDs too long or with forbidden characters are errors,
    other text too long for Sage is cut (with a warning)."""
    none = pd.Series(False, index=text.index)
    formula = text.mask(_FORMULA_RE.match) if screen.formula else none
    longest = max(map(len, text.values), default=0)
    _report(
        issues,
        formula,
        col,
        "formula",
        lambda v, lab=label: (
            f"{lab} {v[:40]!r} would run as a formula in a spreadsheet program (it starts with "
            f"{v.strip()[:1]!r}). Change the value in the source system; remove the {v.strip()[:1]!r} if it is real."
        ),
        text,
    )
    if sage and f.id:
        too_long = text.mask(lambda v: len(v) > SAGE_ID_LIMIT) if longest > SAGE_ID_LIMIT else none
        _report(
            issues,
            too_long,
            col,
            "bad-id",
            lambda v, lab=label: (
                f"{lab} {v!r} is {len(v)} characters; Sage 50 IDs hold at most {SAGE_ID_LIMIT}. Shorten the ID in the source system."
            ),
            text,
        )
        bad_chars = text.mask(_ID_CHARS.search) if screen.id_chars else none
        _report(
            issues,
            bad_chars,
            col,
            "bad-id",
            lambda v, lab=label: (
                f"{lab} {v!r} contains * ? + a double quote or a line break, which Sage 50 cannot take in IDs. "
                "Change the ID in the source system."
            ),
            text,
        )
    elif sage and f.max_length and longest > f.max_length:
        long = text.mask(lambda v: len(v) > f.max_length)
        if long.any():
            for pos in np.flatnonzero(long.to_numpy()):
                value = text.at(pos)
                issues.append(
                    Issue(
                        int(text.index[pos]),
                        col,
                        "too-long",
                        f"{label} of record {keys.iloc[pos]!r} is {len(value)} characters; Sage 50 holds {f.max_length}, so it was cut to {value[: f.max_length]!r}.",
                        "warning",
                        name,
                    )
                )
            text = text.map(lambda v: v[: f.max_length])  # only the long ones change
    return text


def _allowed_codes(
    text: pd.Series,
    f: Field,
    layout: Layout,
    name: str,
    col: str,
    label: str,
    issues: list[Issue],
    *,
    empty: pd.Series,
    odd: OddValues,
) -> pd.Series:
    """A code the field does not allow: an error where it is critical, else left blank (noted once)."""
    if f.type == "code" and f.allowed:
        canon = {a.casefold(): a for a in f.allowed}
        mapped = _canonical_codes(text, canon)
        bad = mapped.isna() & ~empty
        allowed = ", ".join(f.allowed)
        if layout.critical(name):
            _report(
                issues,
                bad,
                col,
                "bad-code",
                lambda v, lab=label, a=allowed: f"{lab} {v!r} is not allowed; use one of: {a}.",
                text,
            )
            text = mapped.where(~bad, text).fillna("")
        else:
            _leave_blank(odd, col, text[bad], layout, name, f"is not one of {allowed}")
            text = mapped.where(~bad, "").fillna("")
    return text


def _leave_blank(
    odd: OddValues, column: str, values: pd.Series, layout: Layout, name: str, what: str
) -> None:
    system = "Sage 50" if layout.system == "sage50" else "BizOps"
    fate = f"{system} {name!r} cannot hold it, so it is left blank there"
    odd.add(column, values, what=what, fate=fate, stage="target", target=name)


def _holdable(
    column_text: Distinct, f, layout: Layout, column: str, issues: list[Issue], odd: OddValues
) -> pd.Series:
    """A typed target field keeps only values in its canonical spelling (the writer formats
    them for the target); others are an error where critical, else left blank with a warning."""
    distinct = pd.Series(column_text.values, dtype=object)  # each distinct value is read once
    if f.type == "date":
        _, wrong = parse_dates(distinct, order="ymd", iso_only=True)
    elif f.type == "bool":
        _, wrong = parse_bools(distinct)
    else:  # canonical_number's bad mask, without spelling the numbers out
        values, wrong = parse_numbers(distinct)
        if f.type == "integer":
            wrong = wrong | (values.notna() & (values != np.floor(values)))
    text = column_text.series
    if not wrong.any():
        return text
    bad = pd.Series(wrong.to_numpy(dtype=bool)[column_text.codes], index=text.index)
    if layout.critical(f.name):
        what = _WHAT[f.type]
        _report(
            issues,
            bad,
            column,
            f"bad-{_CODE[f.type]}",
            lambda v: (
                f"{f.name!r} {v!r} {what}, and {layout.title} cannot take it; correct it in the source."
            ),
            text,
        )
        return text
    _leave_blank(odd, column, text[bad], layout, f.name, _WHAT[f.type])
    return text.where(~bad, "")
