"""Prepayments both ways: a Sage receipt applied to no invoice ⇄ a BizOps payment row with a blank
InvoiceNumber and Prepayment TRUE; Sage → BizOps → Sage keeps it a prepayment."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import rcc
from tests.test_transactions import (
    RECEIPT_ROWS,
    convert,
    output,
    read_bizops,
    read_sage,
    sage_file,
    write_bizops,
    write_config,
)

PAYMENTS_HEADER = (
    "PaymentReference,PaymentDate,CustomerID,PaymentMethod,CashAccount,InvoiceNumber,AmountApplied,"
    "DiscountTaken,Memo,Prepayment"
)


def prepayment_receipt(**changes: str) -> dict[str, str]:
    """A real-shaped Sage prepayment: Prepayment TRUE, no Invoice Paid, the A/R account credited."""
    row = {k: "" for k in RECEIPT_ROWS[0]}
    row.update(
        {
            "Customer ID": "PREVENAR  CLINIC",
            "Reference": "DEP 0630",
            "Date": "6/30/26",
            "Payment Method": "",
            "Cash Account": "10200",
            "Cash Amount": "750.00",
            "Total Paid on Invoice(s)": "-750.00",
            "Prepayment": "TRUE",
            "Number of Distributions": "1",
            "Invoice Paid": "",
            "G/L Account": "11000",
            "Amount": "-750.00",
            "Transaction Number": "643",
        }
    )
    row.update(changes)
    return row


def test_sage_prepayment_to_bizops_and_back_stays_a_prepayment(tmp_path: Path):
    rows = [{**r, "Prepayment": "FALSE"} for r in RECEIPT_ROWS] + [prepayment_receipt()]
    result = convert(
        sage_file(tmp_path / "RECEIPTS.CSV", rows), write_config(tmp_path / "sage", owner="sage50")
    )
    assert result.status == "converted", [i for i in result.issues if i.severity != "info"]
    assert (result.rows_in, result.records_out, result.rejected) == (4, 4, 0)
    payments = read_bizops(output(result, "payments.csv"))
    assert [(p["InvoiceNumber"], p["Prepayment"]) for p in payments] == [
        ("10501", "FALSE"),
        ("10504", "FALSE"),
        ("10502", "FALSE"),
        ("", "TRUE"),
    ]
    assert payments[3]["CustomerID"] == "PREVENAR  CLINIC" and payments[3]["AmountApplied"] == "750.00"

    back = convert(output(result, "payments.csv"), write_config(tmp_path / "bizops", owner="bizops"))
    assert back.status == "converted", [i for i in back.issues if i.severity != "info"]
    receipts = read_sage(output(back, "RECEIPTS.CSV"))
    assert [(r["Invoice Paid"], r["Prepayment"], r["G/L Account"], r["Amount"]) for r in receipts] == [
        ("10501", "FALSE", "11000", "-1831.94"),
        ("10504", "FALSE", "11000", "-645.51"),
        ("10502", "FALSE", "11000", "-1673.50"),
        ("", "TRUE", "11000", "-750.00"),
    ]
    assert receipts[3]["Reference"] == "DEP 0630" and receipts[3]["Number of Distributions"] == "1"
    assert back.controls["in"] == back.controls["out"] == result.controls["out"]


def test_prepayment_account_setting_is_used_when_set(tmp_path: Path):
    cfg = write_config(tmp_path / "site")
    cfg.write_text(
        cfg.read_text("utf-8").replace(
            'ar_account = "11000"', 'ar_account = "11000"\nprepayment_account = "24000"'
        ),
        encoding="utf-8",
    )
    path = write_bizops(
        tmp_path / "payments.csv",
        PAYMENTS_HEADER,
        [
            "4417,2026-06-26,C1,Check,,INV-1,10.00,0.00,,",
            "DEP-1,2026-07-01,C1,Check,,,500.00,0.00,Deposit,TRUE",
        ],
    )
    result = convert(path, cfg)
    assert result.status == "converted", [i for i in result.issues if i.severity != "info"]
    receipts = read_sage(output(result, "RECEIPTS.CSV"))
    assert [(r["Reference"], r["Prepayment"], r["G/L Account"]) for r in receipts] == [
        ("4417", "FALSE", "11000"),
        ("DEP-1", "TRUE", "24000"),
    ]


def test_bizops_payments_that_sage_cannot_take_are_rejected_and_the_rest_convert(tmp_path: Path):
    path = write_bizops(
        tmp_path / "payments.csv",
        PAYMENTS_HEADER,
        [
            "P1,2026-06-26,C1,Check,,INV-1,10.00,0.00,,",  # row 2: fine
            "P2,2026-06-26,C1,Check,,,20.00,0.00,,FALSE",  # row 3: no invoice, not a prepayment
            "P3,2026-06-26,C1,Check,,INV-2,30.00,0.00,,TRUE",  # row 4: a prepayment paying an invoice
            "P4,2026-06-26,C1,Check,,INV-3,40.00,0.00,,",  # rows 5-6: invoice row and prepayment mixed
            "P4,2026-06-26,C1,Check,,,50.00,0.00,,TRUE",
            "P5,2026-06-27,C2,Check,,,60.00,0.00,Deposit,yes",  # row 7: a prepayment, written loosely
        ],
    )
    result = convert(path, write_config(tmp_path / "site"))
    assert result.status == "rejected-rows"
    assert {(3, "InvoiceNumber", "missing-value"), (4, "Prepayment", "prepayment-with-invoice")} <= rcc(
        result.issues
    )
    assert (5, "Prepayment", "mixed-prepayment") in rcc(result.issues)
    assert (result.rows_in, result.records_out, result.rejected) == (6, 2, 4)
    receipts = read_sage(output(result, "RECEIPTS.CSV"))
    assert [(r["Reference"], r["Prepayment"], r["Invoice Paid"]) for r in receipts] == [
        ("P1", "FALSE", "INV-1"),
        ("P5", "TRUE", ""),
    ]


def test_a_sage_receipt_with_no_invoice_that_is_not_a_prepayment_is_still_named(tmp_path: Path):
    """A cash sale (income rows, no invoice) is not a BizOps payment: rejected as before, by column."""
    rows = [prepayment_receipt(Prepayment="FALSE", **{"G/L Account": "40000"})]
    result = convert(
        sage_file(tmp_path / "RECEIPTS.CSV", rows), write_config(tmp_path / "sage", owner="sage50")
    )
    assert (2, "Invoice Paid", "missing-value") in rcc(result.issues)
    assert result.rejected == 1
