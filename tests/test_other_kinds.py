"""Documents of a Sage journal that are not the entity's kind (vendor bills, quotes): skipped and
counted, never errors, and no other record lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from converter.cli.main import app
from converter.review.summary import batch_summary
from tests.conftest import rcc
from tests.test_transactions import (
    PURCHASE_ROWS,
    SALES,
    SALES_HEADER,
    convert,
    output,
    read_bizops,
    sage_file,
    write_config,
    write_sage,
)


def bill(number: str, n: int, txn: str, vendor: str = "OFFICE  SUPPLY") -> list[dict[str, str]]:
    """A real-shaped vendor bill: no PO Number, not applied to a PO, expense lines."""
    return [
        {
            **{k: "" for k in PURCHASE_ROWS[0]},
            "Vendor ID": vendor,
            "Invoice/CM #": number,
            "Credit Memo": "FALSE",
            "Date": "6/10/26",
            "Waiting on Bill": "FALSE",
            "Date Due": "7/10/26",
            "Accounts Payable Account": "20000",
            "Accounts Payable Amount": f"-{n * 10}.00",
            "Applied To Purchase Order": "FALSE",
            "Number of Distributions": str(n),
            "Invoice/CM Distribution": str(seq),
            "PO Distribution": "0",
            "Quantity": "0.00",
            "Description": "Toner, paper & misc.",
            "G/L Account": "71000",
            "Unit Price": "0.00",
            "Amount": "10.00",
            "Transaction Number": txn,
        }
        for seq in range(1, n + 1)
    ]


@pytest.mark.parametrize("chunk_rows", [50_000, 2])
def test_purchase_journal_bills_are_skipped_and_receipts_convert(tmp_path: Path, chunk_rows: int):
    cfg = write_config(tmp_path / "site", owner="sage50", chunk_rows=chunk_rows)
    # rows 2-3 a bill, 4-5 a receipt against PO 3101, 6-8 a bill, 9 a bill with a date Sage never writes.
    odd = [{**r, "Date": "31/31/26"} for r in bill("B-3", 1, "503")]
    rows = bill("B-1", 2, "501") + PURCHASE_ROWS + bill("B-2", 3, "502") + odd
    result = convert(sage_file(tmp_path / "PURCHASE.CSV", rows), cfg)

    assert result.status == "converted", [i for i in result.issues if i.severity != "info"]
    assert (result.rows_in, result.records_out, result.rejected, result.skipped) == (8, 2, 0, 6)
    assert result.skipped_kinds == {"vendor-bill": 6}
    assert not [i for i in result.issues if i.severity == "error"]  # the bad date in a bill is no error
    assert (None, None, "other-kind-skipped") in rcc(result.issues)
    note = next(i for i in result.issues if i.code == "other-kind-skipped")
    assert note.severity == "info" and "6 rows" in note.message and "3 documents" in note.message
    receipts = read_bizops(output(result, "po_receipts.csv"))
    assert [(r["ReceiptNumber"], r["PONumber"]) for r in receipts] == [("MM-560114", "3101")] * 2
    assert result.controls["in"] == result.controls["out"]
    assert result.controls["in"]["documents"] == 1

    manifest = json.loads(Path(output(result, "manifest.json")).read_text("utf-8"))
    assert manifest["skipped_kinds"] == {"vendor-bill": 6}
    assert manifest["counts"]["skipped"] == 6
    lines = dict(line for s in batch_summary(manifest)["sections"] for line in s["lines"])
    assert lines["Rows skipped as vendor bills without a purchase order (not exchanged)"] == 6
    assert lines["Rows skipped in all (duplicates, drafts, already synced, other kinds)"] == 6


def test_a_purchase_journal_of_bills_only_ends_cleanly_without_a_batch(tmp_path: Path):
    cfg = write_config(tmp_path / "site", owner="sage50")
    path = sage_file(tmp_path / "PURCHASE.CSV", bill("B-1", 2, "501") + bill("B-2", 3, "502"))
    result = convert(path, cfg)
    assert result.ok and result.status == "not-exchanged"
    assert (result.rows_in, result.records_out, result.rejected, result.skipped) == (5, 0, 0, 5)
    assert result.batch is None and result.outputs == []
    assert rcc(result.issues) == {(None, None, "other-kind-skipped")}
    assert not (tmp_path / "site" / "outbox").exists() or not any(
        (tmp_path / "site" / "outbox").rglob("*.csv")
    )


def test_a_document_mixing_bill_and_po_lines_is_not_skipped(tmp_path: Path):
    """Only a document with no PO Number on any row is a bill; a receipt keeps all its lines."""
    cfg = write_config(tmp_path / "site", owner="sage50")
    mixed = [dict(r) for r in PURCHASE_ROWS]
    mixed[1]["PO Number"] = ""
    result = convert(sage_file(tmp_path / "PURCHASE.CSV", mixed), cfg)
    assert result.skipped == 0 and result.skipped_kinds is None
    assert result.rejected == 2  # the receipt is rejected whole, as before: never half sent


def test_sales_journal_quotes_are_skipped(tmp_path: Path):
    cfg = write_config(tmp_path / "site", owner="sage50")
    quote = [
        {**r, "Invoice/CM #": "", "Quote": "TRUE", "Quote #": "Q-77", "Transaction Number": "1300"}
        for r in SALES[:3]
    ]
    header = [*SALES_HEADER, "Quote", "Quote #"]
    rows = [{**r, "Quote": "FALSE"} for r in SALES[:3]] + quote + [{**r, "Quote": "FALSE"} for r in SALES[3:]]
    result = convert(write_sage(tmp_path / "SALES.CSV", header, rows), cfg)
    assert result.status == "converted", [i for i in result.issues if i.severity != "info"]
    assert (result.rows_in, result.records_out, result.rejected, result.skipped) == (10, 4, 0, 3)
    assert result.skipped_kinds == {"quote": 3}
    invoices = read_bizops(output(result, "invoices.csv"))
    assert sorted({r["InvoiceNumber"] for r in invoices}) == ["10501", "10502", "CM-10501"]
    assert result.controls["in"] == result.controls["out"]


def test_convert_shows_the_skipped_rows(tmp_path: Path):
    cfg = write_config(tmp_path / "site", owner="sage50")
    path = sage_file(tmp_path / "PURCHASE.CSV", bill("B-1", 2, "501") + PURCHASE_ROWS)
    runner = CliRunner()
    shown = runner.invoke(app, ["convert", str(path), "--config", str(cfg), "--outbox", str(tmp_path / "a")])
    assert shown.exit_code == 0, shown.output
    assert "Skipped" in shown.output and "vendor bills without a purchase order" in shown.output
    as_json = runner.invoke(
        app, ["convert", str(path), "--config", str(cfg), "--outbox", str(tmp_path / "b"), "--json", "--full"]
    )
    assert as_json.exit_code == 0, as_json.output
    (result,) = json.loads(as_json.output)
    assert result["skipped_kinds"] == {"vendor-bill": 2} and result["skipped"] == 2
