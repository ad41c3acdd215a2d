import pandas as pd
import pytest

from converter.core.values import (
    Distinct,
    _canonical_numbers,
    _parse_filled_dates,
    canonical_number,
    format_numbers,
    format_sage_dates,
    parse_bools,
    parse_dates,
    round_half_up,
    texts,
)


def s(*values):
    return pd.Series(list(values), dtype=object)


def test_sage_dates_mdy_with_two_and_four_digit_years():
    out, bad = parse_dates(s("6/1/26", "12/31/2025", "11/14/89", ""), order="mdy")
    assert list(out) == ["2026-06-01", "2025-12-31", "1989-11-14", ""]
    assert not bad.any()


def test_date_that_does_not_exist_in_the_stated_order_is_bad_not_swapped():
    out, bad = parse_dates(s("13/1/26", "2/30/26"), order="mdy")
    assert list(bad) == [True, True]
    out, bad = parse_dates(s("13/1/26"), order="dmy")
    assert list(out) == ["2026-01-13"] and not bad.any()


def test_ymd_order_and_iso_always_accepted():
    out, bad = parse_dates(s("26/6/1", "2026-06-01"), order="ymd")
    assert list(out) == ["2026-06-01", "2026-06-01"]
    assert not bad.any()


def test_iso_only_refuses_slashed_dates():
    _, bad = parse_dates(s("6/1/26", "2026-06-01"), iso_only=True)
    assert list(bad) == [True, False]


def test_sage_date_format_has_no_leading_zeros():
    assert list(format_sage_dates(s("2026-06-01", "2019-11-14", ""))) == ["6/1/26", "11/14/19", ""]


def test_bools_accept_common_spellings():
    out, bad = parse_bools(s("Yes", "n", "TRUE", "0", "", "maybe"))
    assert list(out) == ["TRUE", "FALSE", "TRUE", "FALSE", "", ""]
    assert list(bad) == [False] * 5 + [True]


@pytest.mark.parametrize(
    ("raw", "type_", "expected", "is_bad"),
    [
        ("12.5", "amount", "12.50", False),
        ("-0.004", "amount", "0.00", False),
        ("2.675", "amount", "2.68", False),
        ("1,200", "amount", "1,200", True),
        ("$5", "amount", "$5", True),
        ("30", "integer", "30", False),
        ("1.5", "integer", "1.5", True),
        ("0.07500", "number", "0.075", False),
        ("", "amount", "", False),
    ],
)
def test_numbers(raw, type_, expected, is_bad):
    out, bad = canonical_number(s(raw), type_=type_, decimals=5)
    assert out.iloc[0] == expected
    assert bool(bad.iloc[0]) is is_bad


def test_round_half_up_is_away_from_zero():
    assert list(round_half_up(pd.Series([0.125, -0.125, 1.005]), 2)) == [0.13, -0.13, 1.01]


def test_format_numbers_keeps_two_decimals_minimum():
    assert list(format_numbers(pd.Series([1.0, 0.12345, float("nan")]), decimals=4, min_decimals=2)) == [
        "1.00",
        "0.1235",
        "",
    ]


# Spellings at the edges of the shortcuts (values already canonical are not parsed again): each must
# come out exactly as the full parse gives it, bad or not.
NUMBERS = [
    "0.00",
    "-0.00",
    "-0",
    "0",
    "5",
    "-5",
    "007",
    "00.50",
    "1.5",
    "1.50",
    "-1.50",
    "+1.50",
    " 1.50",
    "1.50 ",
    "1.505",
    "1e3",
    "12345678901234.56",
    "123456789012.99",
    "999999999999.99",
    "1,000.00",
    "",
    "abc",
    "9007199254740993",
    "999999999999999",
    "-999999999999999",
    "1.",
    "1.0",
    ".50",
    "\u0661.\u0660\u0660",
    "1.00\n",
    "10",
    "-10.10",
]
DATES = [
    "2026-07-01",
    "2026-02-30",
    "2024-02-29",
    "2023-02-29",
    "1899-12-31",
    "2200-01-01",
    "1900-01-01",
    "2199-12-31",
    "2026-7-1",
    " 2026-07-01",
    "2026-07-01T00:00",
    "0000-01-01",
    "2026-13-01",
    "2026-07-01\n",
    "7/1/26",
    "07/01/26",
    "7/1/2026",
    "13/1/26",
    "1/13/26",
    "2/29/24",
    "2/29/23",
    "29/2/24",
    "7/1/79",
    "7/1/80",
    "7/1/00",
    "7/1/5",
    "7/1/0026",
    "7/1/1899",
    "7/1/2200",
    "7.1.26",
    "7-1-26",
    " 7/1/26",
    "0/1/26",
    "1/0/26",
    "7/1/\uff12\uff16",
    "",
    "x",
]


@pytest.mark.parametrize(
    ("type_", "decimals"), [("amount", None), ("integer", None), ("number", None), ("number", 3)]
)
def test_canonical_number_shortcut_agrees_with_the_full_parse(type_, decimals):
    column = s(*NUMBERS, *NUMBERS)  # repeated: read once per distinct value
    out, bad = canonical_number(column, type_=type_, decimals=decimals)
    full_out, full_bad = _canonical_numbers(column, type_=type_, decimals=decimals)
    assert out.tolist() == full_out.tolist()
    assert bad.tolist() == full_bad.tolist()


@pytest.mark.parametrize("order", ["mdy", "dmy", "ymd"])
@pytest.mark.parametrize("iso_only", [True, False])
def test_parse_dates_shortcut_agrees_with_the_full_parse(order, iso_only):
    column = s(*DATES, *DATES)
    out, bad = parse_dates(column, order=order, iso_only=iso_only)
    full_out, full_bad = _parse_filled_dates(column, order=order, iso_only=iso_only)
    assert out.tolist() == full_out.tolist()
    assert bad.tolist() == full_bad.tolist()


def test_texts_fills_every_kind_of_missing_value_and_spells_other_values():
    assert texts(pd.Series(["a", pd.NA, None, float("nan"), 1.5, 3], dtype=object)).tolist() == [
        "a",
        "",
        "",
        "",
        "1.5",
        "3",
    ]
    assert texts(pd.Series(["a", None], dtype="str")).tolist() == ["a", ""]
    assert texts(pd.Series([], dtype=object)).tolist() == []


def test_distinct_column_broadcasts_tests_and_fixes_to_every_row():
    column = Distinct.of(pd.Series(['say "hi"', "ok", None, 'say "hi"'], index=[5, 6, 7, 9], dtype=object))
    assert column.mask(lambda v: '"' in v).to_dict() == {5: True, 6: False, 7: False, 9: True}
    fixed = column.map(lambda v: v.replace('"', "''"))
    assert fixed.series.to_dict() == {5: "say ''hi''", 6: "ok", 7: "", 9: "say ''hi''"}
    assert [fixed.at(p) for p in range(4)] == ["say ''hi''", "ok", "", "say ''hi''"]
    assert column.series.tolist() == ['say "hi"', "ok", "", 'say "hi"']  # the original is unchanged
    empty = Distinct.of(pd.Series([], dtype=object))
    assert empty.mask(bool).tolist() == [] and empty.map(str.upper).series.tolist() == []
