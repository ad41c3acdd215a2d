"""Validation: source values to canonical spellings, and target values made safe for Sage 50."""

import pandas as pd
import pytest

from converter.layouts import Field, Layout, load_layout
from converter.validation import check_target, normalise_source
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


def test_normalise_source_canonical_values_and_issues():
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
    assert rcc(issues) == {
        (3, "ID", "missing-value"),
        (3, "Since", "bad-date"),
        (3, "Active", "bad-bool"),
        (3, "Limit", "bad-number"),
        (3, "Days", "bad-number"),
        (3, "Kind", "bad-code"),
        (3, "Class", "bad-code"),
    }
    assert all(i.severity == "error" for i in issues)
    assert out.loc[2].tolist() == ["C1", "2026-06-01", "TRUE", "12.50", "30", "Stock", "1", "kept"]
    # a bad value stays as it came, for rejects.csv
    assert out.loc[3, ["Since", "Active", "Limit", "Kind"]].tolist() == [
        "13/45/26",
        "maybe",
        "1,234.00",
        "Widget",
    ]
    assert out.index.tolist() == [2, 3]


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
    assert rcc(issues) == {(3, "Since", "bad-date")}
    assert f"--date-order {order}" in issues[0].message


def test_normalise_source_bizops_dates_are_iso_only():
    bizops = layout("bizops", Field("ID", "text"), Field("Since", "date"))
    out, issues = normalise_source(frame({"Since": ["2026-06-01", "6/1/26"]}), bizops, date_order="mdy")
    assert out.loc[2, "Since"] == "2026-06-01"
    assert rcc(issues) == {(3, "Since", "bad-date")}
    assert "YYYY-MM-DD" in issues[0].message


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


def test_non_text_fields_are_left_alone():
    out, issues = check(frame({"ID": ["C1", "C2"], "Since": ["2026-06-01 → =", ""]}))
    assert issues == []
    assert out.loc[2, "Since"] == "2026-06-01 → ="


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
