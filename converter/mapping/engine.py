"""The transform vocabulary and the engine that applies a mapping template to a frame.

Templates are data: each rule names target and source columns and a list of transforms from the
fixed vocabulary below. Every transform works on a whole pandas column. Nothing is evaluated.

Vocabulary (options in brackets):
- ``copy``: the value as it is (the default when a rule has no transforms).
- ``strip`` / ``upper``: trim surrounding spaces / upper-case.
- ``date``: parse a date in the source system's convention (Sage: the ``--date-order``;
  BizOps: ISO) into the canonical ``YYYY-MM-DD``. The writer formats it for the target.
- ``bool``: true/false, yes/no, 1/0 → ``TRUE``/``FALSE``.
- ``code_map`` [map, default, fallback]: translate codes (``"Stock": "1"``). A value the map
  lacks gets ``default`` when one is given, else the ``fallback``: ``carry`` (the default: the
  value goes on as it came, with one warning per distinct value), ``blank`` (left blank, with a
  warning) or ``reject`` (an error that rejects the record: for keys).
- ``number`` [decimals, scale, negate]: parse a number, multiply by ``scale``, flip the sign,
  round half away from zero.
- ``truncate`` [length]: cut to ``length`` or to the target field's limit, with a warning.
- ``split_name`` [part]: ``"Jane Q. Doe"`` → first ``Jane Q.`` / last ``Doe``.
- ``join`` [separator]: join several source columns, skipping blanks.
- ``first`` [warn]: the first non-blank of several source columns (``warn``: say so when a later
  column had to stand in, e.g. a blank name filled with the ID).
- ``default`` [value]: fill blanks.  ``constant`` [value]: the same value on every row.
- ``if_blank`` [then, else]: ``then`` where the value is blank, ``else`` where it is not.
- ``config`` [key, when]: a setting's value, on every row (``when: always``) or in blanks.
- ``config_lookup`` [table, reverse]: look each value up in a config table (or find the key of
  a value with ``reverse``); a value missing from the table names the key to add.

Readers are liberal: a value a transform cannot read (a date, number, yes/no or code) rejects the
record only when the target field is critical (``Layout.critical``: a key, or what a transaction
balances on); elsewhere it is left blank (``code_map``: per its fallback) with one warning per
distinct value and column. Several rules may name the same target: the first that gives a value
wins, so a later rule is a fallback for the rows the earlier ones left blank.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import ConfigError
from ..core.issues import Issue
from ..core.settings import Settings
from ..core.values import (
    blank,
    distinct_mask,
    each_distinct,
    format_numbers,
    parse_bools,
    parse_dates,
    parse_numbers,
    stripped,
    text,
)
from ..io.layouts import (
    Layout,
    MapTemplate,
    Rule,
)
from ..io.transforms import TRANSFORM_OPTIONS
from .odd_values import OddValues


@dataclass(frozen=True)
class CellNotes:
    """Cells of one output field that a step filled in rather than copied (not problems, so not
    issues): the review workbook highlights them with ``message`` (``{value}`` = the file's value)."""

    field: str
    code: str  # defaulted | blank-kept
    values: pd.Series  # index: spreadsheet rows; values: what the file had
    message: str


@dataclass
class MapContext:
    """What transforms may know besides the data: settings and conventions of the source."""

    settings: Settings
    source_system: str
    date_order: str
    target_layout: Layout
    issues: list[Issue] = field(default_factory=list)
    notes: list[CellNotes] = field(default_factory=list)
    odd: OddValues = field(default_factory=OddValues)


@dataclass
class _Step:
    rule: Rule
    column: str  # the column named in issues: the source column, else the target
    ctx: MapContext

    def report(
        self,
        mask: pd.Series,
        code: str,
        message: Callable[[str], str],
        values: pd.Series,
        severity: str = "error",
    ) -> None:
        for pos in np.flatnonzero(mask.to_numpy()):
            row = int(mask.index[pos])
            self.ctx.issues.append(
                Issue(row, self.column, code, message(str(values.iloc[pos])), severity, self.rule.target)  # type: ignore[arg-type]
            )

    @property
    def critical(self) -> bool:
        return self.ctx.target_layout.critical(self.rule.target)

    def unreadable(
        self, bad: pd.Series, code: str, message: Callable[[str], str], values: pd.Series, what: str
    ) -> pd.Series:
        """Cells a transform cannot read: errors where the target is critical, else left blank with
        one warning per distinct value. Returns the mask of cells to blank."""
        if self.critical:
            self.report(bad, code, message, values)
            return bad & False
        self.odd(values[bad], what, "left blank")
        return bad

    def odd(self, values: pd.Series, what: str, fate: str) -> None:
        target = self.ctx.target_layout
        system = "Sage 50" if target.system == "sage50" else "BizOps"
        fate = f"{fate} in {system} {self.rule.target!r}"
        self.ctx.odd.add(self.column, values, what=what, fate=fate, stage="map", target=self.rule.target)

    def note(self, mask: pd.Series, values: pd.Series, message: str) -> None:
        """Cells this step filled in (a default, a setting), for the review workbook."""
        if mask.any():
            self.ctx.notes.append(CellNotes(self.rule.target, "defaulted", values[mask], message))


def _text(value: pd.Series | list[pd.Series]) -> pd.Series:
    if isinstance(value, list):
        raise ValueError("several source columns must be combined with `join` first")
    return text(value)


def _looked_up(values: pd.Series, table: dict[str, str], key) -> pd.Series:
    """Each cell's entry in ``table`` (under ``key(cell)``), NaN where it has none; each distinct
    value is looked up once."""
    found = each_distinct(values, lambda v: table.get(key(v)))
    return found.where(found.notna(), np.nan)


def _op_copy(v, _t, _s):
    return v


def _op_strip(v, _t, _s):
    return stripped(_text(v))


def _op_upper(v, _t, _s):
    return each_distinct(_text(v), str.upper)


def _op_date(v, _t, s: _Step):
    text = _text(v)
    iso_only = s.ctx.source_system == "bizops"
    out, bad = parse_dates(text, order=s.ctx.date_order, iso_only=iso_only)
    if iso_only:
        hint = "write it as YYYY-MM-DD"
    else:
        hint = f"the file is read with --date-order {s.ctx.date_order}; if it was exported under other regional settings, pass --date-order mdy, dmy or ymd"
    blanked = s.unreadable(
        bad, "bad-date", lambda x: f"{x!r} is not a valid date: {hint}.", text, "is not a date"
    )
    return out.where(~bad, text).where(~blanked, "")


def _op_bool(v, _t, s: _Step):
    text = _text(v)
    out, bad = parse_bools(text)
    blanked = s.unreadable(
        bad,
        "bad-bool",
        lambda x: f"{x!r} is not a yes/no value: use TRUE or FALSE.",
        text,
        "is not a yes/no value",
    )
    return out.where(~bad, text).where(~blanked, "")


def _op_code_map(v, t, s: _Step):
    text = stripped(_text(v))
    mapping = {str(k).casefold(): str(val) for k, val in t["map"].items()}
    out = _looked_up(text, mapping, str.casefold)
    unknown = out.isna() & (text != "")
    if "default" in t:
        s.note(
            unknown,
            text,
            f"{{value!r}} has no translation in the template; its default {t['default']!r} was used.",
        )
        return out.where(~unknown, t["default"]).fillna("")
    fallback = t.get("fallback", "carry")
    if fallback == "reject":
        known = ", ".join(repr(k) for k in t["map"])
        s.report(
            unknown,
            "bad-code",
            lambda x: (
                f"{x!r} has no translation for {s.rule.target!r}; use one of {known}, "
                "or add it to the code_map of a site copy of the template."
            ),
            text,
        )
    elif unknown.any():
        what = "is not a coding we know (add it to the template's code_map to translate it)"
        s.odd(text[unknown], what, "carried as it came" if fallback == "carry" else "left blank")
    return out.where(~unknown, text if fallback != "blank" else "").fillna("")


def _op_number(v, t, s: _Step):
    text = _text(v)
    values, bad = parse_numbers(text)
    blanked = s.unreadable(
        bad,
        "bad-number",
        lambda x: (
            f"{x!r} is not a number: write plain digits with '.' for decimals (no thousands separators or currency signs)."
        ),
        text,
        "is not a number",
    )
    values = values * float(t.get("scale", 1))
    if t.get("negate"):
        values = -values
    decimals = int(t.get("decimals", 2))
    out = format_numbers(values, decimals=decimals, min_decimals=min(2, decimals))
    return out.where(~bad, text).where(~blanked, "")


def _op_truncate(v, t, s: _Step):
    text = _text(v)
    length = t.get("length")
    if length is None:
        length = s.ctx.target_layout.field(s.rule.target).max_length
    if not length:
        return text
    long = distinct_mask(text, lambda x: len(x) > length)
    s.report(
        long,
        "too-long",
        lambda x: f"{x!r} is longer than {length} characters; cut to {x[:length]!r}.",
        text,
        "warning",
    )
    return each_distinct(text, lambda x: x[:length])


def _op_split_name(v, t, _s):
    text = stripped(_text(v))
    if t["part"] == "first":  # "Jane Q. Doe" → "Jane Q."; a single word is the first name
        return each_distinct(text, lambda x: x.rsplit(" ", 1)[0])
    return each_distinct(text, lambda x: x.rsplit(" ", 1)[1] if " " in x else "")


def _op_join(v, t, _s):
    cols = v if isinstance(v, list) else [v]
    sep = t.get("separator", " ")
    texts = [stripped(c) for c in cols]
    out = texts[0]
    for nxt in texts[1:]:
        both = (out != "") & (nxt != "")
        out = (out + sep + nxt).where(both, out.where(out != "", nxt))
    return out


def _op_first(v, t, s: _Step):
    cols = v if isinstance(v, list) else [v]
    out = text(cols[0])
    for n, nxt in enumerate(cols[1:], start=1):
        filled = text(nxt)
        stand_in = blank(out) & ~blank(filled)
        if t.get("warn") and stand_in.any():
            first, other = s.rule.sources[0], s.rule.sources[n]
            s.ctx.issues += [
                Issue(
                    int(row),
                    first,
                    "filled-in",
                    f"{first!r} is blank; {other!r} {value!r} stands in for it in {s.rule.target!r}.",
                    "warning",
                    s.rule.target,
                )
                for row, value in filled[stand_in].items()
            ]
        out = out.where(~stand_in, filled)
    return out


def _op_default(v, t, s: _Step):
    text = _text(v)
    empty = blank(text)
    s.note(empty, text, f"Blank in the file; the template's default {t['value']!r} was used.")
    return text.where(~empty, t["value"])


def _op_constant(v, t, _s):
    index = (v[0] if isinstance(v, list) else v).index
    return pd.Series(t["value"], index=index, dtype=object)


def _op_if_blank(v, t, _s):
    text = _text(v) if not isinstance(v, list) else _op_join(v, {}, _s)
    return pd.Series(t["else"], index=text.index, dtype=object).where(~blank(text), t["then"])


def _op_config(v, t, s: _Step):
    text = _text(v) if not isinstance(v, list) else _op_join(v, {}, s)
    value = str(s.ctx.settings.require(t["key"], why=f"It fills {s.rule.target!r}."))
    if t.get("when", "always") == "blank":
        empty = blank(text)
        s.note(empty, text, f"Blank in the file; filled from the config (`{t['key']}` = {value!r}).")
        return text.where(~empty, value)
    return pd.Series(value, index=text.index, dtype=object)


def _op_config_lookup(v, t, s: _Step):
    text = stripped(_text(v))
    table = s.ctx.settings.get(t["table"])
    if not isinstance(table, dict):
        raise ConfigError(
            f"Missing setting table `[{t['table']}]`, needed for {s.rule.target!r}. Add it to the config file."
        )
    pairs = {str(k): str(val) for k, val in table.items()}
    if t.get("reverse"):
        pairs = {val: k for k, val in pairs.items()}
    out = _looked_up(text, pairs, str)
    missing = out.isna() & (text != "")
    where = f"[{t['table']}]"
    if s.critical or not t.get("reverse"):
        # A value the site's table lacks is the config's gap, not the data's: name the key to add.
        # Reading the other system's codes back (``reverse``) is liberal like any other reading.
        s.report(
            missing,
            "missing-setting",
            lambda x: (
                f"{x!r} is not in the config table {where}; add an entry for it (entries now: {pairs})."
            ),
            text,
        )
        return out.where(~missing, text).fillna("")
    if missing.any():
        s.odd(text[missing], f"is not in the config table {where} (add an entry to map it)", "left blank")
    return out.fillna("")


_OPS: dict[str, Callable[[Any, dict[str, Any], _Step], Any]] = {
    "copy": _op_copy,
    "strip": _op_strip,
    "upper": _op_upper,
    "date": _op_date,
    "bool": _op_bool,
    "code_map": _op_code_map,
    "number": _op_number,
    "truncate": _op_truncate,
    "split_name": _op_split_name,
    "join": _op_join,
    "first": _op_first,
    "default": _op_default,
    "constant": _op_constant,
    "if_blank": _op_if_blank,
    "config": _op_config,
    "config_lookup": _op_config_lookup,
}
assert set(_OPS) == set(TRANSFORM_OPTIONS)


def apply_rule(frame: pd.DataFrame, rule: Rule, ctx: MapContext) -> pd.Series:
    """One target column from ``frame`` (index = spreadsheet row numbers)."""
    empty = pd.Series("", index=frame.index, dtype=object)
    sources = [frame[c] if c in frame.columns else empty for c in rule.sources]
    value: Any = sources[0] if len(sources) == 1 else (sources or empty)
    step = _Step(rule, _blamed_column(rule), ctx)
    transforms = list(rule.transforms)
    combines = ("join", "first", "constant", "config", "if_blank")
    if isinstance(value, list) and (not transforms or transforms[0]["op"] not in combines):
        transforms.insert(0, {"op": "join"})
    for transform in transforms:
        value = _OPS[transform["op"]](value, transform, step)
    result = _text(value) if not isinstance(value, list) else _op_join(value, {}, step)
    if rule.when:
        cond_col = frame[rule.when["column"]] if rule.when["column"] in frame.columns else empty
        cond = each_distinct(cond_col, lambda x: x.strip().casefold())
        keep = pd.Series(True, index=frame.index)
        if "equals" in rule.when:
            keep &= cond == rule.when["equals"].casefold()
        if "not_equals" in rule.when:
            keep &= cond != rule.when["not_equals"].casefold()
        result = result.where(keep, "")
    return result


def apply_map(frame: pd.DataFrame, template: MapTemplate, ctx: MapContext) -> pd.DataFrame:
    """Map a source frame to the target layout's columns (in layout order).

    Issues (bad codes, bad dates, truncations) are appended to ``ctx.issues``. A missing
    setting raises ``ConfigError``, which stops the file: there is no safe value to use.
    """
    layout = ctx.target_layout
    columns: dict[str, pd.Series] = {}
    for rule in template.rules:
        if rule.target not in columns:
            columns[rule.target] = apply_rule(frame, rule, ctx)
            continue
        # A fallback: it fills only the rows the earlier rules left blank.
        earlier = columns[rule.target]
        empty = blank(earlier)
        if empty.any():
            columns[rule.target] = earlier.where(~empty, apply_rule(frame[empty.to_numpy()], rule, ctx))
    ordered = [name for name in layout.field_names if name in columns]
    return pd.DataFrame({name: columns[name] for name in ordered}, index=frame.index)


def output_fields(template: MapTemplate, layout: Layout) -> list[str]:
    """The target fields a template writes, in the layout's order (what to Show in Sage)."""
    targets = {rule.target for rule in template.rules}
    return [name for name in layout.field_names if name in targets]


def source_column_for(template: MapTemplate) -> dict[str, str]:
    """Target field → the source column a person should fix (for target-side issues)."""
    out: dict[str, str] = {}
    for rule in template.rules:
        out.setdefault(rule.target, _blamed_column(rule))
    return out


def _blamed_column(rule: Rule) -> str:
    """The source column named in a rule's issues: its only source, the first of a ``first``
    chain (the one a person fills in), else the target (several columns joined)."""
    if len(rule.sources) == 1 or (rule.sources and rule.transforms and rule.transforms[0]["op"] == "first"):
        return rule.sources[0]
    return rule.target
