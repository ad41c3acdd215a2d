import pandas as pd
import pytest

from converter.core.values import (
    canonical_number,
    format_numbers,
    format_sage_dates,
    parse_bools,
    parse_dates,
    round_half_up,
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
