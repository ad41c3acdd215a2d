import pandas as pd
import pytest

from converter.core.errors import ConfigError
from converter.core.settings import load_settings
from converter.io.layouts import Field, Layout, MapTemplate, Rule
from converter.mapping.engine import TRANSFORM_OPTIONS, MapContext, apply_map, apply_rule
from tests.conftest import rcc

TARGET = Layout(
    system="sage50",
    entity="customers",
    title="Test",
    file_name="T.CSV",
    kind="table",
    key=("ID",),
    fields=(
        Field("ID", "text", max_length=20, id=True),
        Field("Name", "text", max_length=5),
        Field("Out", "text"),
    ),
    variants={},
)


def frame(**cols):
    n = len(next(iter(cols.values())))
    return pd.DataFrame(cols, index=range(2, 2 + n), dtype=object)


def run(rule, data, *, settings=None, system="bizops", order="mdy"):
    ctx = MapContext(
        settings=settings or load_settings(None),
        source_system=system,
        date_order=order,
        target_layout=TARGET,
    )
    return list(apply_rule(data, rule, ctx)), ctx.issues + ctx.odd.issues()


def R(target="Out", source=("A",), *transforms, when=None):
    return Rule(target=target, sources=tuple(source), transforms=tuple(transforms), when=when)


def test_vocabulary_is_documented_in_the_module_docstring():
    import converter.mapping.engine as m

    for op in TRANSFORM_OPTIONS:
        assert f"``{op}``" in m.__doc__


def test_copy_is_the_default_and_keeps_leading_zeros():
    assert run(R(), frame(A=["00123", "02134"]))[0] == ["00123", "02134"]


def test_date_uses_the_source_convention():
    values, issues = run(R("Out", ("A",), {"op": "date"}), frame(A=["6/1/26", "31/1/26"]), system="sage50")
    # Not critical for the record: left blank, with a warning.
    assert values == ["2026-06-01", ""]
    assert rcc(issues) == {(3, "A", "odd-value")}
    values, _ = run(R("Out", ("A",), {"op": "date"}), frame(A=["31/1/26"]), system="sage50", order="dmy")
    assert values == ["2026-01-31"]


def test_an_unreadable_value_for_a_key_is_an_error():
    values, issues = run(R("ID", ("A",), {"op": "number"}), frame(A=["12", "x"]))
    assert values == ["12.00", "x"]
    assert {(i.row, i.column, i.code, i.severity) for i in issues} == {(3, "A", "bad-number", "error")}


def test_bool_and_code_map():
    values, issues = run(R("Out", ("A",), {"op": "bool"}), frame(A=["yes", "x"]))
    assert values == ["TRUE", ""] and rcc(issues) == {(3, "A", "odd-value")}
    rule = R("Out", ("A",), {"op": "code_map", "map": {"Stock": "1", "Service": "4"}})
    values, issues = run(rule, frame(A=["stock", "Service", "Widget", "", "Widget"]))
    assert values == ["1", "4", "Widget", "", "Widget"]  # carried by default
    assert rcc(issues) == {(4, "A", "odd-value")}
    assert "2 records" in issues[0].message and "carried" in issues[0].message


@pytest.mark.parametrize(
    ("fallback", "expected", "code", "severity"),
    [
        ("carry", "Widget", "odd-value", "warning"),
        ("blank", "", "odd-value", "warning"),
        ("reject", "Widget", "bad-code", "error"),
    ],
)
def test_code_map_fallback(fallback, expected, code, severity):
    rule = R("Out", ("A",), {"op": "code_map", "map": {"Stock": "1"}, "fallback": fallback})
    values, issues = run(rule, frame(A=["Stock", "Widget"]))
    assert values == ["1", expected]
    assert {(i.row, i.column, i.code, i.severity) for i in issues} == {(3, "A", code, severity)}


def test_first_can_warn_when_a_later_column_stands_in():
    rule = R("Out", ("Name", "ID"), {"op": "first", "warn": True})
    values, issues = run(rule, frame(Name=["Alpha", "", " "], ID=["A", "-", "C"]))
    assert values == ["Alpha", "-", "C"]
    assert {(i.row, i.column, i.code, i.severity) for i in issues} == {
        (3, "Name", "filled-in", "warning"),
        (4, "Name", "filled-in", "warning"),
    }


def test_a_second_rule_for_a_target_fills_what_the_first_left_blank():
    template = MapTemplate(
        id="t",
        version="1",
        source_system="bizops",
        source_entity="customers",
        target_system="sage50",
        target_entity="customers",
        rules=(R("Out", ("A",), {"op": "bool"}), R("Out", ("B",), {"op": "code_map", "map": {"1": "TRUE"}})),
        columns={},
    )
    ctx = MapContext(
        settings=load_settings(None), source_system="bizops", date_order="mdy", target_layout=TARGET
    )
    out = apply_map(frame(A=["no", "", ""], B=["1", "1", "7"]), template, ctx)
    assert out["Out"].tolist() == ["FALSE", "TRUE", "7"]
    # the fallback ran only on the rows the first rule left blank
    assert rcc(ctx.odd.issues()) == {(4, "B", "odd-value")}


def test_code_map_default_swallows_unknown_values():
    rule = R("Out", ("A",), {"op": "code_map", "map": {"a": "1"}, "default": "9"})
    assert run(rule, frame(A=["a", "zz"]))[0] == ["1", "9"]


def test_number_scale_negate_and_decimals():
    rule = R("Out", ("A",), {"op": "number", "decimals": 2, "negate": True, "scale": 2})
    values, issues = run(rule, frame(A=["1.005", "abc", ""]))
    assert values == ["-2.01", "", ""]
    assert rcc(issues) == {(3, "A", "odd-value")}


def test_truncate_to_target_limit_warns():
    values, issues = run(R("Name", ("A",), {"op": "truncate"}), frame(A=["abcdefgh", "abc"]))
    assert values == ["abcde", "abc"]
    assert [(i.row, i.code, i.severity) for i in issues] == [(2, "too-long", "warning")]


def test_split_and_join_names():
    data = frame(A=["Jane Q. Doe", "Cher", ""], B=["x", "", "y"])
    assert run(R("Out", ("A",), {"op": "split_name", "part": "first"}), data)[0] == [
        "Jane Q.",
        "Cher",
        "",
    ]
    assert run(R("Out", ("A",), {"op": "split_name", "part": "last"}), data)[0] == ["Doe", "", ""]
    assert run(R("Out", ("A", "B"), {"op": "join", "separator": " / "}), data)[0] == [
        "Jane Q. Doe / x",
        "Cher",
        "y",
    ]
    # several sources without transforms are joined with a space
    assert run(R("Out", ("A", "B")), data)[0] == ["Jane Q. Doe x", "Cher", "y"]


def test_default_constant_if_blank():
    data = frame(A=["", "v"])
    assert run(R("Out", ("A",), {"op": "default", "value": "d"}), data)[0] == ["d", "v"]
    assert run(R("Out", (), {"op": "constant", "value": "c"}), data)[0] == ["c", "c"]
    assert run(R("Out", ("A",), {"op": "if_blank", "then": "TRUE", "else": "FALSE"}), data)[0] == [
        "TRUE",
        "FALSE",
    ]


def test_config_value_and_missing_key_names_the_key():
    settings = load_settings(None, overrides={"sage50": {"ar_account": "11000"}})
    data = frame(A=["", "12000"])
    assert run(
        R("Out", ("A",), {"op": "config", "key": "sage50.ar_account", "when": "blank"}),
        data,
        settings=settings,
    )[0] == ["11000", "12000"]
    with pytest.raises(ConfigError, match=r"sage50\.freight_account"):
        run(R("Out", (), {"op": "config", "key": "sage50.freight_account"}), data)


def test_config_lookup_both_ways():
    data = frame(A=["taxable", "exempt", "odd"])
    values, issues = run(R("Out", ("A",), {"op": "config_lookup", "table": "sage50.item_tax_types"}), data)
    assert values == ["1", "2", "odd"]
    assert rcc(issues) == {(4, "A", "missing-setting")}
    # Reading the other system's codes back is liberal: an unknown number is left blank, warned once.
    values, issues = run(
        R(
            "Out",
            ("A",),
            {"op": "config_lookup", "table": "sage50.item_tax_types", "reverse": True},
        ),
        frame(A=["1", "2", "0", "0"]),
    )
    assert values == ["taxable", "exempt", "", ""]
    assert {(i.row, i.column, i.code, i.severity) for i in issues} == {(4, "A", "odd-value", "warning")}


def test_when_limits_a_rule_to_matching_rows():
    data = frame(A=["30", "45"], Std=["TRUE", "FALSE"])
    rule = R("Out", ("A",), when={"column": "Std", "not_equals": "TRUE"})
    assert run(rule, data)[0] == ["", "45"]
