"""Round trips: Sage → BizOps → Sage and BizOps → Sage → BizOps keep every mapped field.

Values are generated within Sage's limits (lengths, Windows-1252, no double quotes, IDs without
* ? +) since only those survive a trip through Sage by design.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from converter.core.settings import load_settings
from converter.io.layouts import Field, MapTemplate, default_map_path, load_layout, load_map
from converter.mapping.validation import FORMULA
from converter.pipeline.convert import convert_file

# Every character Windows-1252 can hold, but quotes, line breaks and control characters.
CP1252 = [
    c
    for c in map(chr, range(0x20, 0x2200))
    if c not in '"\x7f' and c.isprintable() and c.encode("cp1252", "ignore")
]
SAFE = st.sampled_from(CP1252)


def _template(src: str, tgt: str, entity: str) -> MapTemplate:
    return load_map(default_map_path(src, tgt, entity).resolve())


def _text(max_len: int, *, key: bool = False, required: bool = False):
    strat = st.text(SAFE, min_size=1 if key or required else 0, max_size=max_len)
    strat = strat.filter(lambda s: not re.match(FORMULA, s))  # refused on purpose (formula injection)
    if required:
        strat = strat.filter(lambda s: s.strip() != "")
    if key:
        strat = (
            strat.filter(lambda s: s.strip() and not any(c in s for c in "*?+")).map(str.strip).filter(bool)
        )
    return strat


def _date(sage: bool):
    days = st.integers(min_value=0, max_value=36000).map(lambda d: dt.date(1980, 1, 1) + dt.timedelta(days=d))
    if sage:
        return days.map(lambda d: f"{d.month}/{d.day}/{d:%y}")
    return days.map(lambda d: d.isoformat())


def _value(f: Field, rule_out, rule_back, sage: bool, required: bool = False):
    """A strategy for one source field, constrained by the transforms it goes through."""
    for rule in (rule_out, rule_back):
        for t in rule.transforms if rule else ():
            if t["op"] == "code_map" and rule is rule_out:
                return st.sampled_from(sorted(t["map"]))
            if t["op"] == "config_lookup" and rule is rule_out:
                table = load_settings(None).get(t["table"])
                return st.sampled_from(sorted(table.values() if t.get("reverse") else table))
    if f.type == "bool":
        return st.sampled_from(["TRUE", "FALSE"])
    if f.type == "date":
        return _date(sage)
    if f.type == "integer":
        return st.integers(0, 999).map(str)
    if f.type == "amount":
        return st.integers(0, 10**9).map(lambda c: f"{c / 100:.2f}")
    if f.type == "number":
        return st.integers(0, 10**8).map(lambda n: f"{n / 100:.2f}")
    if f.type == "code":
        return st.sampled_from(list(f.allowed))
    limit = f.max_length or 40
    return _text(limit, key=f.id, required=required)


def _main_source(rule) -> str | None:
    """The one source column a rule carries over: its only source, or the first of a ``first``
    chain (the later ones stand in only when it is blank)."""
    if len(rule.sources) == 1 or (
        rule.sources and rule.transforms[:1] and rule.transforms[0]["op"] == "first"
    ):
        return rule.sources[0]
    return None


def _limit(entity: str, src: str, name: str) -> int | None:
    """Sage's limit for a BizOps field's value: the max length of the Sage field it maps to."""
    if src == "sage50":
        return None
    tpl = _template("bizops", "sage50", entity)
    sage = load_layout("sage50", entity)
    for rule in tpl.rules:
        if _main_source(rule) == name:
            f = sage.field(rule.target)
            return 20 if f.id else f.max_length
    return None


def _records(src: str, entity: str):
    tgt = "bizops" if src == "sage50" else "sage50"
    layout = load_layout(src, entity)
    out_t, back_t = _template(src, tgt, entity), _template(tgt, src, entity)
    back_targets: dict = {}
    for r in back_t.rules:
        back_targets.setdefault(r.target, r)
    fields = {}
    for rule in out_t.rules:
        name = _main_source(rule)
        if name is None or name not in back_targets or name in fields:
            continue
        f = layout.field(name)
        if f.type == "text" and src == "bizops":
            f = Field(f.name, f.type, max_length=_limit(entity, src, name) or 40, id=f.id)
        target = load_layout(tgt, entity).field(rule.target)
        required = target.required or layout.field(name).required
        fields[name] = _value(f, rule, back_targets[name], src == "sage50", required)
    # terms only carry over when they are not the company's standard terms
    if "Use Standard Terms" in layout.field_names:
        fields["Use Standard Terms"] = st.just("FALSE")
        fields["Due Days"] = st.integers(1, 120).map(str)
    if src == "bizops" and "TermsDueDays" in fields:
        fields["TermsDueDays"] = st.integers(1, 120).map(str)
    key = layout.key[0]
    return st.lists(
        st.fixed_dictionaries(fields), min_size=1, max_size=4, unique_by=lambda r: r[key].casefold()
    ), list(fields)


def _write(path: Path, rows: list[dict[str, str]], columns: list[str], sage: bool) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n" if sage else "\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([row[c] for c in columns])
    path.write_bytes(buf.getvalue().encode("cp1252" if sage else "utf-8"))


def _read(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    text = raw.decode("cp1252") if path.name.isupper() else raw.decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _same(a: str, b: str, f: Field) -> bool:
    if f.type in ("amount", "number", "integer"):
        return (float(a) if a else 0.0) == (float(b) if b else 0.0)
    if f.type == "date" and a and b and "/" in a:
        m, d, y = (int(x) for x in a.split("/"))
        mm, dd, yy = (int(x) for x in b.split("/"))
        return (m, d, y % 100) == (mm, dd, yy % 100)
    return a == b


def _round_trip(src: str, entity: str, rows: list[dict[str, str]], columns: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src_file = tmp / (load_layout(src, entity).file_name)
        _write(src_file, rows, columns, src == "sage50")
        cfg = load_settings(None, cwd=tmp)
        # Sage files are read as Windows-1252 explicitly: a few byte pairs are valid UTF-8 too
        # ('Â\xa0'), which auto-detection cannot tell apart; detection has its own tests.
        enc = {"sage50": "cp1252", "bizops": None}
        there = convert_file(src_file, settings=cfg, outbox=tmp / "a", encoding=enc[src], initial_load=True)
        assert there.status == "converted", [i for i in there.issues if i.severity != "info"]
        back = convert_file(
            Path(there.outputs[0]),
            settings=cfg,
            outbox=tmp / "b",
            encoding=enc[there.target_system],
            initial_load=True,
        )
        assert back.status == "converted", [i for i in back.issues if i.severity != "info"]
        assert back.target_system == src
        result = _read(Path(back.outputs[0]))
    layout = load_layout(src, entity)
    assert len(result) == len(rows)
    for before, after in zip(rows, result, strict=True):
        for name in columns:
            assert _same(before[name], after.get(name, ""), layout.field(name)), (
                name,
                before[name],
                after.get(name),
            )


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("entity", ["customers", "vendors", "products"])
@pytest.mark.parametrize("src", ["sage50", "bizops"])
def test_round_trip_keeps_every_mapped_field(src, entity):
    records, columns = _records(src, entity)

    @FAST
    @given(records)
    def check(rows):
        _round_trip(src, entity, rows, columns)

    check()
