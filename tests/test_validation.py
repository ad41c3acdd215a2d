"""Validation: source values to canonical spellings, and target values made safe for Sage 50."""

import pandas as pd
import pytest

from converter.io.layouts import Field, Layout, load_layout
from converter.mapping.validation import check_target, normalise_source
from tests.conftest import rcc


def layout(system, *fields, key=("ID",)):
    return Layout(
        system=system,
        entity="customers",
        title="Test",
        file_name="t.csv",
        kind="table",
        key=key,
        fields=fields,
        variants={},
    )


SOURCE = layout(
    "sage50",
    Field("ID", "text", required=True, id=True),
    Field("Since", "date"),
    Field("Active", "bool"),
    Field("Limit", "amount"),
    Field("Days", "integer"),
    Field("Kind", "code", values=("Stock", "Service")),
    Field("Class", "code", codes={"1": "Stock", "2": "Description only"}),
    Field("Absent", "date", required=True),
)


def frame(data, index=(2, 3)):
    return pd.DataFrame(data, index=list(index), dtype=object)


# ---------------------------------------------------------------- normalise_source


def test_normalise_source_carries_odd_values_of_fields_a_record_can_live_without():
    data = frame(
        {
            "ID": ["C1", "  "],
            "Since": ["6/1/26", "13/45/26"],
            "Active": ["yes", "maybe"],
            "Limit": ["12.5", "1,234.00"],
            "Days": ["30", "2.5"],
            "Kind": ["stock", "Widget"],
            "Class": ["1", "9"],
            "Extra": ["kept", "as is"],
        }
    )
    out, issues = normalise_source(data, SOURCE, date_order="mdy")
    # Only the key rejects a record; every other odd value is one warning, carried as it came.
    assert rcc(issues) == {
        (3, "ID", "missing-value"),
        (3, "Since", "odd-value"),
        (3, "Active", "odd-value"),
        (3, "Limit", "odd-value"),
        (3, "Days", "odd-value"),
        (3, "Kind", "odd-value"),
        (3, "Class", "odd-value"),
    }
    assert {i.severity for i in issues if i.code == "odd-value"} == {"warning"}
    assert [i.severity for i in issues if i.code == "missing-value"] == ["error"]
    assert out.loc[2].tolist() == ["C1", "2026-06-01", "TRUE", "12.50", "30", "Stock", "1", "kept"]
    assert out.loc[3, ["Since", "Active", "Limit", "Kind"]].tolist() == [
        "13/45/26",
        "maybe",
        "1,234.00",
        "Widget",
    ]
    assert out.index.tolist() == [2, 3]


def test_an_odd_value_is_warned_once_per_distinct_value_and_column():
    data = frame(
        {"ID": [f"C{n}" for n in range(5)], "Days": ["FALSE", "FALSE", "30", "FALSE", "x"]}, range(2, 7)
    )
    _, issues = normalise_source(data, SOURCE, date_order="mdy")
    assert rcc(issues) == {(2, "Days", "odd-value"), (6, "Days", "odd-value")}
    first = next(i for i in issues if i.row == 2)
    assert "'FALSE' on 3 records" in first.message and "carried" in first.message


TRANSACTION = Layout(
    system="sage50",
    entity="invoices",
    title="Sales Journal",
    file_name="SALES.CSV",
    kind="transaction",
    key=("Customer ID", "Invoice/CM #"),
    fields=(
        Field("Customer ID", "text", required=True, id=True),
        Field("Invoice/CM #", "text"),
        Field("Date", "date", required=True),
        Field("Ship By", "date"),
        Field("Quantity", "number", balances=True),
        Field("Amount", "amount", required=True),
        Field("Weight", "number"),
    ),
    variants={},
)


def test_a_transaction_rejects_only_what_it_balances_on():
    data = frame(
        {
            "Customer ID": ["C1", "C1"],
            "Invoice/CM #": ["1", "1"],
            "Date": ["6/1/26", "6/31/26"],
            "Ship By": ["junk", ""],
            "Quantity": ["two", "1"],
            "Amount": ["-10.00", "1,0"],
            "Weight": ["heavy", ""],
        }
    )
    _, issues = normalise_source(data, TRANSACTION, date_order="mdy")
    assert {(i.row, i.column, i.code, i.severity) for i in issues} == {
        (3, "Date", "bad-date", "error"),
        (2, "Quantity", "bad-number", "error"),
        (3, "Amount", "bad-number", "error"),
        (2, "Ship By", "odd-value", "warning"),
        (2, "Weight", "odd-value", "warning"),
    }


def test_normalise_source_blank_optional_values_are_fine():
    data = frame({"ID": ["C1"], "Since": [""], "Active": [""], "Limit": [""], "Kind": [""]}, index=[7])
    out, issues = normalise_source(data, SOURCE, date_order="mdy")
    assert issues == []
    assert out.loc[7].tolist() == ["C1", "", "", "", ""]


@pytest.mark.parametrize(
    ("order", "good", "bad"), [("mdy", "12/25/24", "25/12/24"), ("dmy", "25/12/24", "12/25/24")]
)
def test_normalise_source_follows_the_date_order(order, good, bad):
    out, issues = normalise_source(frame({"Since": [good, bad]}), SOURCE, date_order=order)
    assert out.loc[2, "Since"] == "2024-12-25"
    # A date the record can live without: carried, with one warning.
    assert rcc(issues) == {(3, "Since", "odd-value")}
    assert out.loc[3, "Since"] == bad
    critical = Layout(**{**TRANSACTION.__dict__, "fields": (Field("Date", "date", required=True),)})
    _, errors = normalise_source(frame({"Date": [good, bad]}), critical, date_order=order)
    assert rcc(errors) == {(3, "Date", "bad-date")}
    assert f"--date-order {order}" in errors[0].message


def test_normalise_source_bizops_dates_are_iso_only():
    bizops = layout("bizops", Field("ID", "text"), Field("Since", "date"))
    out, issues = normalise_source(frame({"Since": ["2026-06-01", "6/1/26"]}), bizops, date_order="mdy")
    assert out.loc[2, "Since"] == "2026-06-01"
    assert rcc(issues) == {(3, "Since", "odd-value")}
    critical = Layout(
        **{**bizops.__dict__, "kind": "transaction", "fields": (Field("Since", "date", required=True),)}
    )
    _, errors = normalise_source(frame({"Since": ["2026-06-01", "6/1/26"]}), critical, date_order="mdy")
    assert rcc(errors) == {(3, "Since", "bad-date")}
    assert "YYYY-MM-DD" in errors[0].message


# ---------------------------------------------------------------- check_target

TARGET = layout(
    "sage50",
    Field("ID", "text", id=True, max_length=20, required=True),
    Field("Name", "text", max_length=10),
    Field("Notes", "text"),
    Field("Since", "date"),
)


def check(data, target=TARGET, keys=None, source_columns=None):
    keys = keys if keys is not None else data["ID"] if "ID" in data else pd.Series("", index=data.index)
    return check_target(data, target, source_columns=source_columns or {}, keys=keys)


def test_bad_ids_are_errors_and_not_truncated():
    ids = ["CUST-NORTHEAST-REGION-001", "STAR*CLINIC", "WHAT?", "A+B", "EXACTLY-TWENTY-CHARS"]
    data = frame({"ID": ids}, index=range(2, 7))
    out, issues = check(data)
    assert rcc(issues) == {(2, "ID", "bad-id"), (3, "ID", "bad-id"), (4, "ID", "bad-id"), (5, "ID", "bad-id")}
    assert all(i.severity == "error" for i in issues)
    assert out["ID"].tolist() == ids


def test_too_long_text_is_cut_with_a_warning_naming_the_record():
    data = frame({"ID": ["C1", "C2"], "Name": ["Northeastern Supply", "Short"]})
    out, issues = check(data, source_columns={"Name": "CustomerName"})
    assert rcc(issues) == {(2, "CustomerName", "too-long")}
    [issue] = issues
    assert issue.severity == "warning" and "'C1'" in issue.message
    assert out["Name"].tolist() == ["Northeaste", "Short"]


def test_double_quotes_become_two_apostrophes():
    out, issues = check(frame({"ID": ["C1", "C2"], "Notes": ['The "Best" Shop', "ok"]}))
    assert rcc(issues) == {(2, "Notes", "quote-replaced")}
    assert issues[0].severity == "warning"
    assert out.loc[2, "Notes"] == "The ''Best'' Shop"


def test_line_breaks_become_spaces():
    out, issues = check(frame({"ID": ["C1", "C2"], "Notes": ["first\r\n  second", "one\ntwo"]}))
    assert rcc(issues) == {(2, "Notes", "newline-replaced"), (3, "Notes", "newline-replaced")}
    assert out["Notes"].tolist() == ["first second", "one two"]


def test_characters_windows_1252_lacks_are_replaced():
    data = frame(
        {"ID": ["C1", "C2", "C3", "C4"], "Notes": ["Łódź", "in → out", "hi 😀", "Café ok"]}, index=range(2, 6)
    )
    out, issues = check(data)
    assert rcc(issues) == {
        (2, "Notes", "unencodable"),
        (3, "Notes", "unencodable"),
        (4, "Notes", "unencodable"),
    }
    assert {i.severity for i in issues} == {"warning"}
    assert out["Notes"].tolist() == ["Lódz", "in -> out", "hi ?", "Café ok"]
    for value in out["Notes"]:
        value.encode("cp1252")


def test_text_starting_with_equals_is_a_formula_error():
    _, issues = check(frame({"ID": ["C1", "C2"], "Notes": [" =HYPERLINK(1)", "a = b"]}))
    assert rcc(issues) == {(2, "Notes", "formula")}
    assert issues[0].severity == "error"


def test_blank_key_is_missing_value():
    _, issues = check(frame({"ID": ["C1", " "]}), source_columns={"ID": "CustomerID"})
    assert rcc(issues) == {(3, "CustomerID", "missing-value")}


def test_a_typed_value_the_target_cannot_hold_is_left_blank_with_one_warning():
    out, issues = check(
        frame({"ID": ["C1", "C2", "C3"], "Since": ["2026-06-01 → =", "", "2026-06-01 → ="]}, range(2, 5))
    )
    assert rcc(issues) == {(2, "Since", "odd-value")}
    assert issues[0].severity == "warning" and "2 records" in issues[0].message
    assert out["Since"].tolist() == ["", "", ""]


def test_a_typed_value_a_transaction_balances_on_is_an_error_at_the_target():
    _, issues = check_target(
        frame({"Customer ID": ["C1", "C1"], "Amount": ["12.00", "twelve"]}),
        TRANSACTION,
        source_columns={"Amount": "AmountApplied"},
        keys=pd.Series(["C1", "C1"], index=[2, 3]),
    )
    assert {(i.row, i.column, i.code, i.severity) for i in issues} == {
        (3, "AmountApplied", "bad-number", "error")
    }


def test_shipped_sage_layout_limits():
    target = load_layout("sage50", "customers")
    data = frame(
        {"Customer ID": ["ALDEN"], "Customer Name": ["A" * 45], "Bill to State": ["Mass"]}, index=[9]
    )
    out, issues = check_target(data, target, source_columns={}, keys=data["Customer ID"])
    assert rcc(issues) == {(9, "Customer Name", "too-long"), (9, "Bill to State", "too-long")}
    assert out.loc[9, "Customer Name"] == "A" * 39 and out.loc[9, "Bill to State"] == "Ma"


def test_bizops_targets_are_not_truncated_or_re_encoded():
    target = load_layout("bizops", "customers")
    long = "Ł" + 'The "Northeastern" Regional Supply Cooperative → ' * 5
    data = frame({"CustomerID": ["C" * 30], "Name": [long]}, index=[4])
    out, issues = check_target(data, target, source_columns={}, keys=data["CustomerID"])
    assert issues == []
    assert out.loc[4].tolist() == ["C" * 30, long]


def test_bizops_target_with_a_max_length_is_not_truncated():
    target = layout("bizops", Field("ID", "text", id=True), Field("Name", "text", max_length=5))
    data = frame({"ID": ["C1"], "Name": ["abcdefgh"]}, index=[2])
    out, issues = check(data, target=target)
    assert out.loc[2, "Name"] == "abcdefgh"
    assert not any(i.code == "too-long" for i in issues)


def test_quote_or_line_break_in_a_sage_id_is_an_error():
    _, issues = check(frame({"ID": ['AB"C', "AB\nC"]}))
    assert rcc(issues) == {(2, "ID", "bad-id"), (3, "ID", "bad-id")}


def test_length_is_checked_after_double_quotes_are_replaced():
    # 9 characters as given, 11 once each double quote is two apostrophes: too long for Name (10).
    out, issues = check(frame({"ID": ["C1", "C2"], "Name": ['Ab "cd" e', "ok"]}))
    assert rcc(issues) == {(2, "Name", "quote-replaced"), (2, "Name", "too-long")}
    assert out["Name"].tolist() == ["Ab ''cd'' ", "ok"]


def test_target_checks_report_every_row_of_a_repeated_value():
    # Checks run once per distinct value; each row holding it is still reported, at its own row.
    names = ['The "Best" Shop', "ok", 'The "Best" Shop', "fine", 'The "Best" Shop'] * 20
    data = frame({"ID": [f"C{n}" for n in range(100)], "Name": names}, index=range(2, 102))
    out, issues = check(data)
    quoted = [i.row for i in issues if i.code == "quote-replaced"]
    cut = [i.row for i in issues if i.code == "too-long"]
    expected = [r for r, name in zip(range(2, 102), names, strict=True) if '"' in name]
    assert quoted == expected and cut == expected
    assert out["Name"].tolist() == ["The ''Best", "ok", "The ''Best", "fine", "The ''Best"] * 20


def test_normalise_source_broadcasts_each_distinct_value_to_its_rows():
    data = frame(
        {
            "ID": ["C1", "C2", "", "C4"] * 30,
            "Since": ["6/1/26", "13/45/26", "2026-06-01", ""] * 30,
            "Limit": ["12.5", "-0.00", "1,234.00", "7.00"] * 30,
        },
        index=range(2, 122),
    )
    out, issues = normalise_source(data, SOURCE, date_order="mdy")
    assert out["Since"].tolist() == ["2026-06-01", "13/45/26", "2026-06-01", ""] * 30
    assert out["Limit"].tolist() == ["12.50", "0.00", "1,234.00", "7.00"] * 30
    assert [i.row for i in issues if i.code == "missing-value" and i.column == "ID"] == list(range(4, 122, 4))
