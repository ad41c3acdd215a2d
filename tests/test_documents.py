"""documents: which rows form one document, whether they agree, and the control totals."""

from __future__ import annotations

import pandas as pd
import pytest

from converter.core.issues import Issue
from converter.io.layouts import load_layout
from converter.sage50.documents import (
    Controls,
    ControlTotals,
    cents,
    group_by_count,
    group_by_key,
    header_conflicts,
    rows_of_bad_documents,
    split_tail,
)
from tests.conftest import rcc

SAGE_KEY = ("Customer ID", "Invoice/CM #")
COUNT = "Number of Distributions"
TXN = "Transaction Number"


def frame(rows: list[list[str]], columns: list[str], first_row: int = 2) -> pd.DataFrame:
    """Rows as text, indexed by spreadsheet row number (heading = row 1)."""
    return pd.DataFrame(rows, columns=columns, index=range(first_row, first_row + len(rows)), dtype=object)


def sage(rows: list[tuple[str, str, str, str]], first_row: int = 2) -> pd.DataFrame:
    """(customer, invoice, count, transaction number) rows of a sales journal."""
    return frame([list(r) for r in rows], [*SAGE_KEY, COUNT, TXN], first_row)


def groups(labels: pd.Series) -> list[list[int]]:
    """The documents as lists of row numbers, in file order."""
    return [list(rows) for rows in labels.groupby(labels, sort=False).groups.values()]


# ----------------------------------------------------------------- group_by_key (BizOps)


def test_group_by_key_contiguous_runs_are_documents():
    f = frame(
        [["I1", "1"], ["I1", "2"], ["I2", "1"], ["I3", "1"], ["I3", "2"]], ["InvoiceNumber", "LineNumber"]
    )
    labels, issues = group_by_key(f, ("InvoiceNumber",))
    assert issues == []
    assert groups(labels) == [[2, 3], [4], [5, 6]]
    assert labels.index.tolist() == f.index.tolist()


def test_group_by_key_uses_every_key_column():
    f = frame(
        [["4417", "C1"], ["4417", "C1"], ["4417", "C2"]],
        ["PaymentReference", "CustomerID"],
    )
    labels, issues = group_by_key(f, ("PaymentReference", "CustomerID"))
    assert issues == []
    assert groups(labels) == [[2, 3], [4]]


def test_group_by_key_blank_keys_still_group_by_contiguity():
    f = frame([[""], [""], ["I2"]], ["InvoiceNumber"])
    labels, issues = group_by_key(f, ("InvoiceNumber",))
    assert issues == [] and groups(labels) == [[2, 3], [4]]


def test_split_document_is_an_error_on_the_stray_run():
    f = frame([["I1"], ["I2"], ["I1"], ["I1"], ["I3"], ["I2"]], ["InvoiceNumber"])
    labels, issues = group_by_key(f, ("InvoiceNumber",))
    # One issue where each stray run starts, naming where the document started.
    assert rcc(issues) == {(4, "InvoiceNumber", "split-document"), (7, "InvoiceNumber", "split-document")}
    assert all(i.severity == "error" for i in issues)
    by_row = {i.row: i.message for i in issues}
    assert "I1" in by_row[4] and "2" in by_row[4]
    assert "I2" in by_row[7] and "3" in by_row[7]
    # The stray run is its own (bad) group, apart from the first run of the same key.
    assert groups(labels) == [[2], [3], [4, 5], [6], [7]]


def test_split_document_with_a_two_column_key_names_both_parts():
    f = frame([["R1", "C1"], ["R1", "C2"], ["R1", "C1"]], ["PaymentReference", "CustomerID"])
    _, issues = group_by_key(f, ("PaymentReference", "CustomerID"))
    assert rcc(issues) == {(4, "PaymentReference", "split-document")}
    assert "R1 / C1" in issues[0].message


# ----------------------------------------------------------------- group_by_count (Sage)


def test_group_by_count_cuts_documents_by_number_of_distributions():
    f = sage(
        [
            ("ALDEN", "10501", "3", ""),
            ("ALDEN", "10501", "3", ""),
            ("ALDEN", "10501", "3", ""),
            ("00123", "10502", "1", ""),
            ("ALDEN", "10504", "2", ""),
            ("ALDEN", "10504", "2", ""),
        ]
    )
    labels, issues = group_by_count(f, SAGE_KEY, COUNT, TXN)
    assert issues == []
    assert groups(labels) == [[2, 3, 4], [5], [6, 7]]


def test_two_consecutive_documents_with_the_same_key_and_count():
    # Quotes (blank Invoice/CM #) or receipts with a repeated reference: same key, one after another.
    f = sage([("ALDEN", "", "2", "")] * 4 + [("ALDEN", "", "1", "")])
    labels, issues = group_by_count(f, SAGE_KEY, COUNT, TXN)
    assert issues == []
    assert groups(labels) == [[2, 3], [4, 5], [6]]


def test_two_consecutive_documents_with_the_same_key_and_different_counts():
    f = sage([("ALDEN", "", "2", "")] * 2 + [("ALDEN", "", "3", "")] * 3)
    labels, issues = group_by_count(f, SAGE_KEY, COUNT, TXN)
    assert issues == []
    assert groups(labels) == [[2, 3], [4, 5, 6]]


def test_transaction_number_separates_documents_with_the_same_key():
    f = sage(
        [
            ("ALDEN", "", "2", "1207"),
            ("ALDEN", "", "2", "1207"),
            ("ALDEN", "", "3", "1208"),
            ("ALDEN", "", "3", "1208"),
            ("ALDEN", "", "3", "1208"),
        ]
    )
    labels, issues = group_by_count(f, SAGE_KEY, COUNT, TXN)
    assert issues == []
    assert groups(labels) == [[2, 3], [4, 5, 6]]


def test_transaction_number_boundary_inside_a_declared_count_is_an_error():
    # Count says 2, but the Transaction Number changes after one row: two one-row documents.
    f = sage([("ALDEN", "10501", "2", "1207"), ("ALDEN", "10501", "2", "1208")])
    labels, issues = group_by_count(f, SAGE_KEY, COUNT, TXN)
    assert groups(labels) == [[2], [3]]
    assert rcc(issues) == {(2, COUNT, "distribution-count"), (3, COUNT, "distribution-count")}


def test_transaction_number_column_all_blank_is_ignored():
    f = sage([("ALDEN", "10501", "2", ""), ("ALDEN", "10501", "2", "")])
    labels, issues = group_by_count(f, SAGE_KEY, COUNT, TXN)
    assert issues == [] and groups(labels) == [[2, 3]]


def test_without_a_transaction_number_column():
    f = frame([["A", "1", "1"], ["B", "2", "2"], ["B", "2", "2"]], [*SAGE_KEY, COUNT])
    labels, issues = group_by_count(f, SAGE_KEY, COUNT, TXN)
    assert issues == [] and groups(labels) == [[2], [3, 4]]
    labels, issues = group_by_count(f, SAGE_KEY, COUNT, None)
    assert issues == [] and groups(labels) == [[2], [3, 4]]


def test_count_larger_than_the_rows_is_a_distribution_count_error():
    f = sage([("ALDEN", "10501", "3", ""), ("ALDEN", "10501", "3", ""), ("00123", "10502", "1", "")])
    labels, issues = group_by_count(f, SAGE_KEY, COUNT, TXN)
    assert rcc(issues) == {(2, COUNT, "distribution-count")}
    assert issues[0].severity == "error"
    assert "3" in issues[0].message and "2" in issues[0].message
    assert groups(labels) == [[2, 3], [4]]


def test_run_longer_than_its_count_leaves_a_short_document():
    f = sage([("ALDEN", "10501", "2", "")] * 3)
    labels, issues = group_by_count(f, SAGE_KEY, COUNT, TXN)
    assert groups(labels) == [[2, 3], [4]]
    assert rcc(issues) == {(4, COUNT, "distribution-count")}


@pytest.mark.parametrize("count", ["", "0", "-1"])
def test_blank_or_non_positive_count_is_an_error(count):
    f = sage([("ALDEN", "10501", count, ""), ("00123", "10502", "1", "")])
    labels, issues = group_by_count(f, SAGE_KEY, COUNT, TXN)
    assert rcc(issues) == {(2, COUNT, "distribution-count")}
    assert groups(labels) == [[2], [3]]


def test_missing_count_column_makes_every_document_an_error():
    f = frame([["A", "1"], ["A", "1"], ["B", "2"]], list(SAGE_KEY))
    labels, issues = group_by_count(f, SAGE_KEY, COUNT, TXN)
    assert groups(labels) == [[2, 3], [4]]
    assert rcc(issues) == {(2, COUNT, "distribution-count"), (4, COUNT, "distribution-count")}


def test_group_by_count_keeps_row_numbers_of_a_later_chunk():
    f = sage([("A", "1", "1", ""), ("B", "2", "2", ""), ("B", "2", "2", "")], first_row=50_001)
    labels, issues = group_by_count(f, SAGE_KEY, COUNT, TXN)
    assert issues == [] and groups(labels) == [[50_001], [50_002, 50_003]]


# ----------------------------------------------------------------- split_tail


def test_split_tail_holds_back_the_last_document():
    f = frame([["I1"], ["I1"], ["I2"], ["I2"], ["I2"]], ["InvoiceNumber"])
    labels, _ = group_by_key(f, ("InvoiceNumber",))
    done, tail = split_tail(f, labels)
    assert done.index.tolist() == [2, 3]
    assert tail.index.tolist() == [4, 5, 6]


def test_split_tail_of_one_document_is_all_tail():
    f = frame([["I1"], ["I1"]], ["InvoiceNumber"])
    labels, _ = group_by_key(f, ("InvoiceNumber",))
    done, tail = split_tail(f, labels)
    assert done.empty and tail.index.tolist() == [2, 3]


def test_split_tail_of_an_empty_frame():
    f = frame([], ["InvoiceNumber"])
    labels, _ = group_by_key(f, ("InvoiceNumber",))
    done, tail = split_tail(f, labels)
    assert done.empty and tail.empty


def test_split_tail_with_sage_counts_holds_back_only_the_last_same_key_document():
    f = sage([("A", "", "2", "")] * 3)  # a complete two-row document, then one row of the next
    labels, _ = group_by_count(f, SAGE_KEY, COUNT, TXN)
    done, tail = split_tail(f, labels)
    assert done.index.tolist() == [2, 3] and tail.index.tolist() == [4]


# ----------------------------------------------------------------- header_conflicts


def test_header_conflicts_flag_rows_that_differ_from_the_first():
    layout = load_layout("bizops", "invoices")
    f = frame(
        [
            ["I1", "C1", "2026-06-01", "1", "A"],
            ["I1", "C1", "2026-06-02", "2", "B"],  # header field differs
            ["I2", "C2", "2026-06-01", "1", "A"],
            ["I2", "C3", "2026-06-01", "2", "C"],  # header field differs
        ],
        ["InvoiceNumber", "CustomerID", "InvoiceDate", "LineNumber", "SKU"],
    )
    labels, _ = group_by_key(f, ("InvoiceNumber",))
    issues = header_conflicts(f, labels, layout)
    assert rcc(issues) == {
        (3, "InvoiceDate", "inconsistent-header"),
        (5, "CustomerID", "inconsistent-header"),
    }
    assert all(i.severity == "error" for i in issues)


def test_header_conflicts_ignore_line_fields_and_blank_vs_nan():
    layout = load_layout("bizops", "invoices")
    f = frame(
        [["I1", None, "1", "A"], ["I1", "", "2", "B"]],
        ["InvoiceNumber", "Note", "LineNumber", "SKU"],
    )
    labels, _ = group_by_key(f, ("InvoiceNumber",))
    assert header_conflicts(f, labels, layout) == []


def test_header_conflicts_in_a_sage_journal():
    layout = load_layout("sage50", "invoices")
    f = frame(
        [["ALDEN", "10501", "2", "11000", "1"], ["ALDEN", "10501", "2", "11100", "2"]],
        [*SAGE_KEY, COUNT, "Accounts Receivable Account", "Invoice/CM Distribution"],
    )
    labels, _ = group_by_count(f, SAGE_KEY, COUNT, TXN)
    assert rcc(header_conflicts(f, labels, layout)) == {
        (3, "Accounts Receivable Account", "inconsistent-header")
    }


# ----------------------------------------------------------------- rows_of_bad_documents


def test_rows_of_bad_documents_rejects_whole_documents():
    f = frame([["I1"], ["I1"], ["I2"], ["I2"], ["I3"]], ["InvoiceNumber"])
    labels, _ = group_by_key(f, ("InvoiceNumber",))
    issues = [
        Issue(3, "Amount", "amount-mismatch", "x", "error"),
        Issue(4, "Name", "too-long", "x", "warning"),  # warnings keep the document
        Issue(None, None, "headerless", "x", "warning"),
        Issue(6, None, "draft-skipped", "x", "info"),
    ]
    assert sorted(rows_of_bad_documents(labels, issues)) == [2, 3]


def test_rows_of_bad_documents_without_errors_is_empty():
    f = frame([["I1"], ["I2"]], ["InvoiceNumber"])
    labels, _ = group_by_key(f, ("InvoiceNumber",))
    assert rows_of_bad_documents(labels, []) == []
    assert rows_of_bad_documents(labels, [Issue(None, None, "unknown-layout", "file-level", "error")]) == []


def test_rows_of_bad_documents_ignores_rows_outside_the_frame():
    f = frame([["I1"], ["I2"]], ["InvoiceNumber"])
    labels, _ = group_by_key(f, ("InvoiceNumber",))
    assert rows_of_bad_documents(labels, [Issue(99, None, "unbalanced", "x", "error")]) == []


def test_rows_of_bad_documents_with_repeated_row_numbers():
    # Journal rows built from one source row share its number (tax and freight rows).
    labels = pd.Series(["a", "a", "a", "b"], index=[2, 3, 2, 4])
    assert sorted(rows_of_bad_documents(labels, [Issue(2, None, "unbalanced", "x", "error")])) == [2, 2, 3]


# ----------------------------------------------------------------- control totals, cents


def test_control_totals_add_in_cents():
    t = ControlTotals()
    t.add(documents=1, lines=2, quantity=1.5, net=10.005, tax=0.7, freight=5)
    t.add(documents=2, lines=3, quantity=0.1, net=0.1, tax=0.2, freight=0)
    assert (t.documents, t.lines, t.quantity) == (3, 5, 1.6)
    assert (t.net, t.tax, t.freight, t.total) == (1011, 90, 500, 1601)
    assert t.as_dict() == {
        "documents": 3,
        "lines": 5,
        "quantity": 1.6,
        "net": 10.11,
        "tax": 0.9,
        "freight": 5.0,
        "total": 16.01,
    }


def test_controls_equal_have_no_differences():
    c = Controls()
    for t in (c.inbound, c.outbound):
        t.add(documents=2, lines=4, quantity=3, net=100.1, tax=7, freight=0)
    assert c.differences() == []


def test_controls_name_every_difference():
    c = Controls()
    c.inbound.add(documents=2, lines=4, quantity=3, net=100.10, tax=7, freight=0)
    c.outbound.add(documents=2, lines=3, quantity=3, net=100.11, tax=7, freight=0)
    diffs = c.differences()
    assert len(diffs) == 3  # lines, net, total
    assert [d.split(":")[0] for d in diffs] == ["lines", "net", "total"]
    assert "100.1" in diffs[1] and "100.11" in diffs[1]


def test_controls_start_at_zero():
    assert Controls().differences() == []
    assert ControlTotals().as_dict()["total"] == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (0.0, 0),
        (1.005, 101),
        (2.675, 268),
        (0.125, 13),
        (-0.125, -13),
        (-1.005, -101),
        (10.0, 1000),
        (-199.0, -19900),
        (0.1 + 0.2, 30),
        (1831.94, 183194),
        (-0.004, 0),
        (123456789.99, 12345678999),
    ],
)
def test_cents_round_half_away_from_zero(value, expected):
    assert cents(value) == expected
