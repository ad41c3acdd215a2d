"""Checks against a layout, collecting every problem as an ``Issue``.

``normalise_source`` reads the typed fields of a source frame into the canonical spelling
(see ``values``) and reports what cannot be read. ``check_target`` makes a mapped frame safe for
the target system: Sage's ID rules, length limits (truncation with a warning), characters
Windows-1252 cannot hold, double quotes Sage cannot import, and text a spreadsheet would run as a
formula. Rows with an error are rejected by the pipeline; warnings keep the row.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .issues import Issue
from .layouts import Layout
from .values import blank, canonical_number, parse_bools, parse_dates, texts

ID_FORBIDDEN = "*?+"
SAGE_ID_LIMIT = 20
# Characters Windows-1252 lacks, spelled the nearest way it can hold them.
_CP1252_FALLBACK = {
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Ø": "O",
    "ø": "o",
    "ı": "i",
    "Ħ": "H",
    "ħ": "h",
    "→": "->",
    "←": "<-",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "−": "-",
    "‐": "-",
    "‑": "-",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
}


def _report(
    issues: list[Issue],
    mask: pd.Series,
    column: str,
    code: str,
    message,
    values: pd.Series,
    severity: str = "error",
    *,
    target: str | None = None,
) -> None:
    # Positional: journal rows built from one source row share its row number.
    for pos in np.flatnonzero(mask.to_numpy()):
        issues.append(
            Issue(int(mask.index[pos]), column, code, message(str(values.iloc[pos])), severity, target)  # type: ignore[arg-type]
        )


def normalise_source(
    frame: pd.DataFrame, layout: Layout, *, date_order: str
) -> tuple[pd.DataFrame, list[Issue]]:
    """Canonical typed values for the layout's fields present in ``frame``; issues for the rest."""
    issues: list[Issue] = []
    out = frame.copy()
    iso_only = layout.system == "bizops"
    for f in layout.fields:
        if f.name not in out.columns:
            continue
        text = out[f.name].fillna("").astype(str)
        empty = blank(text) if f.required or f.type == "code" else None
        if empty is not None and f.required and empty.any():
            _report(
                issues,
                empty,
                f.name,
                "missing-value",
                lambda _v, n=f.name: f"{n} is required; fill it in.",
                text,
            )
        if f.type == "date":
            values, bad = parse_dates(text, order=date_order, iso_only=iso_only)
            hint = (
                "write dates as YYYY-MM-DD"
                if iso_only
                else f"the file is read with --date-order {date_order}; if it was exported under other regional settings, pass --date-order mdy, dmy or ymd"
            )
            _report(
                issues,
                bad,
                f.name,
                "bad-date",
                lambda v, h=hint: f"{v!r} is not a valid date: {h}.",
                text,
            )
            out[f.name] = values.where(~bad, text)
        elif f.type == "bool":
            values, bad = parse_bools(text)
            _report(
                issues,
                bad,
                f.name,
                "bad-bool",
                lambda v: f"{v!r} is not a yes/no value: use TRUE or FALSE.",
                text,
            )
            out[f.name] = values.where(~bad, text)
        elif f.type in ("amount", "number", "integer"):
            values, bad = canonical_number(text, type_=f.type, decimals=f.decimals)
            what = "a whole number" if f.type == "integer" else "a number"
            _report(
                issues,
                bad,
                f.name,
                "bad-number",
                lambda v, w=what: (
                    f"{v!r} is not {w}: write plain digits with '.' for decimals (no thousands separators or currency signs)."
                ),
                text,
            )
            out[f.name] = values
        elif f.type == "code":
            canon = {a.casefold(): a for a in f.allowed}
            stripped = text.str.strip()
            mapped = stripped.str.casefold().map(canon)
            bad = mapped.isna() & ~empty
            allowed = ", ".join(f.allowed)
            _report(
                issues,
                bad,
                f.name,
                "bad-code",
                lambda v, a=allowed: f"{v!r} is not allowed here; use one of: {a}.",
                text,
            )
            out[f.name] = mapped.where(~bad, text).fillna("")
    return out, issues


def _to_cp1252(text: str) -> str:
    out = []
    for ch in text:
        try:
            ch.encode("cp1252")
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        if ch in _CP1252_FALLBACK:
            out.append(_CP1252_FALLBACK[ch])
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        try:
            base.encode("cp1252")
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


_FORMULA_START = re.compile(r"(?:^|\x00)\s*[=+\-@]")
# What a spreadsheet runs when it opens the file: a leading '=', or a leading '+', '-' or '@'
# followed by a function or a DDE call (``+cmd|' /C calc'!A0``, ``@SUM(A1)``). A phone number
# such as ``+1 (617) 555-0100`` or an amount such as ``-5`` is not one.
FORMULA = r"^\s*(?:=|[+\-@].*[A-Za-z_][A-Za-z0-9_.]*[(|])"


@dataclass(frozen=True)
class _Screen:
    """What a whole column may hold, found in one pass over its joined text, so the per-cell
    checks run only on the few columns that need them."""

    quote: bool
    breaks: bool
    cp1252: bool
    formula: bool
    id_chars: bool

    @classmethod
    def of(cls, cells: np.ndarray) -> _Screen:
        joined = "\x00".join(cells)
        try:
            joined.encode("cp1252")
            cp1252 = True
        except UnicodeEncodeError:
            cp1252 = False
        return cls(
            quote='"' in joined,
            breaks="\r" in joined or "\n" in joined,
            cp1252=cp1252,
            formula=_FORMULA_START.search(joined) is not None,
            id_chars=any(c in joined for c in '*?+"\r\n'),
        )


def check_target(
    frame: pd.DataFrame,
    layout: Layout,
    *,
    source_columns: dict[str, str],
    keys: pd.Series,
) -> tuple[pd.DataFrame, list[Issue]]:
    """Make ``frame`` importable by ``layout``'s system; returns the fixed frame and issues.

    ``source_columns`` names, per target field, the source column a person should fix;
    ``keys`` holds each row's natural key, so warnings can name the record.
    """
    issues: list[Issue] = []
    out = frame.copy()
    sage = layout.system == "sage50"
    for name in out.columns:
        f = layout.field(name)
        col = source_columns.get(name, name)
        text = out[name].fillna("").astype(str)
        empty = blank(text) if f.required or name in layout.key or (f.type == "code" and f.allowed) else None
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
            continue
        screen = _Screen.of(texts(text))
        if sage and not f.id and (screen.quote or screen.breaks):
            # Sage takes double quotes as field delimiters and cannot import them inside text.
            quoted = text.str.contains('"', regex=False)
            if quoted.any():
                fixed = text.str.replace('"', "''", regex=False)
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
            breaks = text.str.contains(r"[\r\n]", regex=True)
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
                text = text.str.replace(r"\s*[\r\n]+\s*", " ", regex=True)
        if sage and f.id and not screen.cp1252:
            # An ID is a key: it is never rewritten, so a character Sage cannot hold is an error.
            odd = ~text.map(_encodable)
            _report(
                issues,
                odd,
                col,
                "bad-id",
                lambda v, lab=label: (
                    f"{lab} {v!r} has characters Windows-1252 cannot hold, so Sage 50 cannot store it. "
                    "Change the ID in the source system."
                ),
                text,
            )
        elif sage and not screen.cp1252:
            odd = ~text.map(_encodable)
            if odd.any():
                fixed = text.map(lambda v: v if _encodable(v) else _to_cp1252(v))
                for pos in np.flatnonzero(odd.to_numpy()):
                    issues.append(
                        Issue(
                            int(text.index[pos]),
                            col,
                            "unencodable",
                            f"{label}: {text.iloc[pos]!r} has characters Windows-1252 cannot hold; written as {fixed.iloc[pos]!r}.",
                            "warning",
                            name,
                        )
                    )
                text = fixed
        none = pd.Series(False, index=text.index)
        formula = text.str.match(FORMULA) if screen.formula else none
        longest = max(map(len, texts(text)), default=0)
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
            too_long = text.str.len() > SAGE_ID_LIMIT if longest > SAGE_ID_LIMIT else none
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
            bad_chars = text.str.contains(r'[*?+"\r\n]', regex=True) if screen.id_chars else none
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
            long = text.str.len() > f.max_length
            if long.any():
                for pos in np.flatnonzero(long.to_numpy()):
                    value = text.iloc[pos]
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
                text = text.where(~long, text.str.slice(0, f.max_length))
        if f.type == "code" and f.allowed:
            canon = {a.casefold(): a for a in f.allowed}
            mapped = text.str.strip().str.casefold().map(canon)
            bad = mapped.isna() & ~empty
            allowed = ", ".join(f.allowed)
            _report(
                issues,
                bad,
                col,
                "bad-code",
                lambda v, lab=label, a=allowed: f"{lab} {v!r} is not allowed; use one of: {a}.",
                text,
            )
            text = mapped.where(~bad, text).fillna("")
        out[name] = text
    return out, issues


def _encodable(text: str) -> bool:
    try:
        text.encode("cp1252")
        return True
    except UnicodeEncodeError:
        return False
