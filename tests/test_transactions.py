"""Transactions end to end through ``convert_file``: both directions, whole documents, control totals."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from converter.core.settings import load_settings
from converter.io.layouts import load_layout
from converter.pipeline.convert import convert_file
from converter.pipeline.transactions import TransactionConverter
from tests.conftest import SAGE50_ACCOUNTS, rcc

CONFIG = (
    """\
[reading]
chunk_rows = {chunk_rows}
"""
    + SAGE50_ACCOUNTS  # no braces: safe inside the format string
    + """

[sage50.sales_tax.GA]
agency = "GA-DOR"
account = "23100"

[checks]
unknown_references = "{unknown}"

[ownership]  # which system's transaction exports may flow (the other's are refused)
transactions = "{owner}"
customers = "sage50"
"""
)


def write_config(
    folder: Path, *, owner: str = "bizops", chunk_rows: int = 50_000, unknown: str = "error", name: str = ""
) -> Path:
    """A site config; the catalog (and ledger) live beside it. ``owner`` creates the transactions."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or "bizops-sage50.toml")
    path.write_text(CONFIG.format(chunk_rows=chunk_rows, unknown=unknown, owner=owner), encoding="utf-8")
    return path


def convert(path: Path, cfg: Path, outbox: Path | None = None):
    return convert_file(path, settings=load_settings(cfg), outbox=outbox or cfg.parent / "outbox")


def write_bizops(path: Path, header: str, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def write_sage(path: Path, header: list[str] | None, rows: list[dict[str, str]]) -> Path:
    """A Sage export: Windows-1252, CRLF, quoted only when needed; ``header`` None = no heading row."""
    columns = header or list(rows[0])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if header is not None:
        writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode("cp1252"))
    return path


def read_sage(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    return list(csv.DictReader(raw.decode("cp1252").splitlines()))


def read_bizops(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


def output(result, name: str) -> Path:
    [path] = [Path(p) for p in result.outputs if Path(p).name == name]
    return path


def manifest(result) -> dict:
    return json.loads(output(result, "manifest.json").read_text(encoding="utf-8"))


def rejects(result) -> list[dict[str, str]]:
    return list(csv.DictReader(output(result, "rejects.csv").read_text(encoding="utf-8-sig").splitlines()))


def errors(result) -> set[tuple]:
    return rcc(i for i in result.issues if i.severity == "error")


# ----------------------------------------------------------------- BizOps files

INVOICE_HEADER = (
    "InvoiceNumber,DocumentType,InvoiceDate,DueDate,CustomerID,AppliesToInvoice,Terms,Status,SyncedAt,"
    "SalesTaxCode,SalesTaxAmount,FreightAmount,LineNumber,SKU,Description,Quantity,UnitPrice,Amount,"
    "Taxable,GLAccount,CreditReason"
)
INV_1 = "INV-1,Invoice,2026-06-01,,C1,,Net 30,Finalized,,GA,2.10,5.00"
INV_2 = "INV-2,Invoice,2026-06-02,,C1,,Net 30,Draft,,GA,1.00,"
INV_3 = "INV-3,Invoice,2026-06-03,,C2,,Net 30,Finalized,2026-06-03T10:00:00Z,,,"
CM_1 = "CM-1,CreditMemo,2026-06-10,,C1,INV-1,Net 30,Finalized,,GA,0.70,"
INVOICES = [
    f"{INV_1},1,A,Gloves,2,9.95,19.90,TRUE,,",  # row 2
    f"{INV_1},2,B,Widget,3,4.75,14.25,TRUE,40100,",
    f"{INV_1},3,,Delivery charge,0,0.00,12.50,FALSE,,",  # a charge line
    f"{INV_2},1,A,Gloves,1,9.95,9.95,TRUE,,",  # row 5: draft
    f"{INV_2},2,B,Widget,1,4.75,4.75,TRUE,,",
    f"{INV_3},1,A,Gloves,1,9.95,9.95,TRUE,,",  # row 7: already synced
    f"{CM_1},1,A,Gloves,1,9.95,9.95,TRUE,,Return",  # row 8
    f"{CM_1},2,B,Widget,1,4.75,4.75,TRUE,,Damaged",
]

ORDERS = (
    "OrderNumber,OrderDate,CustomerID,Terms,Status,SalesTaxCode,SalesTaxAmount,LineNumber,SKU,Description,"
    "Quantity,UnitPrice,Amount,Taxable,GLAccount",
    [
        "SO-1,2026-06-01,C1,Net 30,Open,GA,0.50,1,A,Gloves,1,9.95,9.95,TRUE,",
        "SO-1,2026-06-01,C1,Net 30,Open,GA,0.50,2,B,Widget,2,4.75,9.50,TRUE,",
        "SO-2,2026-06-02,C2,,Closed,,,1,A,Gloves,4,9.95,39.80,TRUE,",
    ],
)
PAYMENTS = (
    "PaymentReference,PaymentDate,CustomerID,PaymentMethod,CashAccount,InvoiceNumber,AmountApplied,DiscountTaken,Memo",
    [
        "4417,2026-06-26,C1,Check,,INV-1,105.72,0.00,Two invoices",
        "4417,2026-06-26,C1,Check,,INV-4,756.41,0.00,Two invoices",
        "ACH1,2026-06-12,C2,ACH,10300,INV-5,2321.79,,",
    ],
)
PURCHASE_ORDERS = (
    "PONumber,PODate,VendorID,GoodThroughDate,Terms,Status,LineNumber,SKU,Description,Quantity,UnitCost,Amount,GLAccount",
    [
        "PO-1,2026-06-01,V1,2026-07-01,Net 30,Open,1,A,Gloves,500,5.1250,2562.50,",
        "PO-1,2026-06-01,V1,2026-07-01,Net 30,Open,2,B,Widget,12,71.5000,858.00,",
        "PO-2,2026-06-02,V2,,,Closed,1,,Freight in,1,45.0000,45.00,57000",
    ],
)
PO_RECEIPTS = (
    "ReceiptNumber,ReceiptDate,VendorID,PONumber,VendorInvoiceNumber,DueDate,Billed,LineNumber,POLineNumber,"
    "SKU,Description,QuantityReceived,UnitCost,Amount,GLAccount",
    [
        "RCV-1,2026-06-08,V1,PO-1,MM-1,2026-07-23,TRUE,1,1,A,Gloves,300,5.1250,1537.50,",
        "RCV-1,2026-06-08,V1,PO-1,MM-1,2026-07-23,TRUE,2,2,B,Widget,12,71.5000,858.00,",
    ],
)

# ----------------------------------------------------------------- Sage files

SALES_HEADER = [
    "Customer ID", "Customer Name", "Invoice/CM #", "Apply to Invoice Number", "Credit Memo", "Date",
    "Date Due", "Displayed Terms", "Accounts Receivable Account", "Accounts Receivable Amount", "Sales Tax ID",
    "Number of Distributions", "Invoice/CM Distribution", "Quantity", "SO/Proposal Number", "Item ID",
    "SO/Proposal Distribution", "Description", "G/L Account", "Unit Price", "Tax Type", "Amount",
    "Sales Tax Agency ID", "Transaction Number",
]  # fmt: skip


def sales_row(
    customer, number, ar, n, seq, qty, item, gl, price, amount, agency="", credit="FALSE", txn="1207"
):
    return {
        "Customer ID": customer,
        "Customer Name": "Café Olé" if customer == "00123" else "Alden Family Pharmacy",
        "Invoice/CM #": number,
        "Apply to Invoice Number": "10501" if credit == "TRUE" else "",
        "Credit Memo": credit,
        "Date": "6/3/26",
        "Date Due": "7/3/26",
        "Displayed Terms": "Net 30",
        "Accounts Receivable Account": "11000",
        "Accounts Receivable Amount": ar,
        "Sales Tax ID": "MA",
        "Number of Distributions": str(n),
        "Invoice/CM Distribution": str(seq),
        "Quantity": qty,
        "Item ID": item,
        "Description": "Boîte isotherme, 12 L" if item == "BOX-COLD-12" else f"Line {item or gl}",
        "G/L Account": gl,
        "Unit Price": price,
        "Tax Type": "0" if agency else "1",
        "Amount": amount,
        "Sales Tax Agency ID": agency,
        "Transaction Number": txn,
    }


SALES = [
    sales_row("ALDEN", "10501", "406.94", 3, 1, "20.00", "GLV-NIT-M", "40000", "9.95", "-199.00"),  # row 2
    sales_row("ALDEN", "10501", "406.94", 3, 2, "10.00", "SYR-3ML.LL", "40000", "18.40", "-184.00"),
    sales_row("ALDEN", "10501", "406.94", 3, 0, "0.00", "", "23100", "0.00", "-23.94", "MA-DOR"),
    sales_row("00123", "10502", "90.50", 2, 1, "2.00", "BOX-COLD-12", "40000", "24.00", "-48.00", txn="1208"),
    sales_row("00123", "10502", "90.50", 2, 2, "0.00", "", "40600", "0.00", "-42.50", txn="1208"),  # freight
    sales_row("ALDEN", "CM-10501", "-42.29", 2, 1, "-4.00", "GLV-NIT-M", "40000", "9.95", "39.80", credit="TRUE", txn="1209"),
    sales_row("ALDEN", "CM-10501", "-42.29", 2, 0, "0.00", "", "23100", "0.00", "2.49", "MA-DOR", credit="TRUE", txn="1209"),
]  # fmt: skip

SO_ROWS = [
    {"Customer ID": "ALDEN", "Sales Order/Proposal #": "2201", "Date": "6/15/26", "Ship By": "6/22/26",
     "Closed": "FALSE", "Accounts Receivable Account": "11000", "Accounts Receivable Amount": "806.91",
     "Number of Distributions": "3", "SO/Proposal Distribution": str(seq), "Quantity": qty, "Item ID": item,
     "Description": "x", "G/L Account": gl, "Unit Price": price, "Amount": amount, "Sales Tax Agency ID": agency,
     "Transaction Number": "88"}
    for seq, qty, item, gl, price, amount, agency in [
        (1, "30.00", "GLV-NIT-M", "40000", "9.95", "-298.50", ""),
        (2, "25.00", "SYR-3ML.LL", "40000", "18.40", "-460.00", ""),
        (0, "0.00", "", "23100", "0.00", "-48.41", "MA-DOR"),
    ]
]  # fmt: skip

RECEIPT_ROWS = [
    {"Deposit Ticket ID": ticket, "Customer ID": cust, "Reference": ref, "Date": "6/29/26", "Payment Method": "Check",
     "Cash Account": "10200", "Cash Amount": cash, "Total Paid on Invoice(s)": f"-{cash}",
     "Number of Distributions": n, "Invoice Paid": inv, "G/L Account": "11000", "Amount": amount,
     "Transaction Number": txn}
    for ticket, cust, ref, cash, n, inv, amount, txn in [
        ("062926", "ALDEN", "4471", "2477.45", "2", "10501", "-1831.94", "640"),
        ("062926", "ALDEN", "4471", "2477.45", "2", "10504", "-645.51", "640"),
        ("", "00123", "ACH0624", "1673.50", "1", "10502", "-1673.50", "641"),
    ]
]  # fmt: skip

PO_ROWS = [
    {"Vendor ID": "MERIDIAN", "Vendor Name": "Meridian Medical Products, Inc.", "PO #": "3101", "Date": "6/1/26",
     "Closed": "FALSE", "P.O. Good Thru Date": "7/1/26", "Accounts Payable Account": "20000",
     "Accounts Payable Amount": "-6396.00", "Number of Distributions": "2", "PO Distribution": str(seq),
     "Quantity": qty, "Item ID": item, "Description": "x", "G/L Account": "12000", "Unit Price": price,
     "Amount": amount, "Transaction Number": "215"}
    for seq, qty, item, price, amount in [
        (1, "600.00", "GLV-NIT-M", "5.12", "3072.00"),
        (2, "300.00", "SYR-3ML.LL", "11.08", "3324.00"),
    ]
]  # fmt: skip

PURCHASE_ROWS = [
    {"Vendor ID": "MERIDIAN", "Invoice/CM #": "MM-560114", "Credit Memo": "FALSE", "Date": "6/9/26",
     "Waiting on Bill": "FALSE", "Date Due": "7/24/26", "Accounts Payable Account": "20000",
     "Accounts Payable Amount": "-4734.00", "Applied To Purchase Order": "TRUE", "Number of Distributions": "2",
     "Invoice/CM Distribution": str(seq), "PO Number": "3101", "PO Distribution": str(seq), "Quantity": qty,
     "Item ID": item, "Description": "x", "G/L Account": "12000", "Unit Price": price, "Amount": amount,
     "Transaction Number": "431"}
    for seq, qty, item, price, amount in [
        (1, "600.00", "GLV-NIT-M", "5.12", "3072.00"),
        (2, "150.00", "SYR-3ML.LL", "11.08", "1662.00"),
    ]
]  # fmt: skip


def sage_file(path: Path, rows: list[dict[str, str]]) -> Path:
    return write_sage(path, list(rows[0]), rows)


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory) -> dict[str, object]:
    """Every transaction entity converted once each way, with one config (and catalog)."""
    root = tmp_path_factory.mktemp("both-ways")
    to_sage, to_bizops = write_config(root / "bizops-site"), write_config(root / "sage-site", owner="sage50")
    inbox = root / "inbox"
    files = {
        "bizops/invoices": write_bizops(inbox / "invoices.csv", INVOICE_HEADER, INVOICES),
        "bizops/orders": write_bizops(inbox / "orders.csv", *ORDERS),
        "bizops/payments": write_bizops(inbox / "payments.csv", *PAYMENTS),
        "bizops/purchase_orders": write_bizops(inbox / "purchase_orders.csv", *PURCHASE_ORDERS),
        "bizops/po_receipts": write_bizops(inbox / "po_receipts.csv", *PO_RECEIPTS),
        "sage50/invoices": write_sage(inbox / "SALES.CSV", SALES_HEADER, SALES),
        "sage50/orders": sage_file(inbox / "SO.CSV", SO_ROWS),
        "sage50/payments": sage_file(inbox / "RECEIPTS.CSV", RECEIPT_ROWS),
        "sage50/purchase_orders": sage_file(inbox / "PO.CSV", PO_ROWS),
        "sage50/po_receipts": sage_file(inbox / "PURCHASE.CSV", PURCHASE_ROWS),
    }
    return {
        name: convert(path, to_sage if name.startswith("bizops/") else to_bizops)
        for name, path in files.items()
    }


# (source/entity, rows in, rows out, skipped). bizops/invoices: INV-1 is 3 lines + tax + freight, CM-1
# 2 lines + tax; the draft and the synced invoice are skipped.
COUNTS = [
    ("bizops/invoices", 8, 8, 3),
    ("bizops/orders", 3, 4, 0),  # SO-1: 2 lines + tax; SO-2: 1 line
    ("bizops/payments", 3, 3, 0),
    ("bizops/purchase_orders", 3, 3, 0),
    ("bizops/po_receipts", 2, 2, 0),
    ("sage50/invoices", 7, 4, 0),  # tax and freight rows fold into their documents
    ("sage50/orders", 3, 2, 0),
    ("sage50/payments", 3, 3, 0),
    ("sage50/purchase_orders", 2, 2, 0),
    ("sage50/po_receipts", 2, 2, 0),
]


@pytest.mark.parametrize(("name", "rows_in", "rows_out", "skipped"), COUNTS)
def test_every_entity_converts_both_ways(both_ways, name, rows_in, rows_out, skipped):
    result = both_ways[name]
    system, entity = name.split("/")
    assert (result.source_system, result.entity) == (system, entity)
    assert result.status == "converted", [i for i in result.issues if i.severity != "info"]
    assert (result.rows_in, result.records_out, result.rejected, result.skipped) == (
        rows_in,
        rows_out,
        0,
        skipped,
    )
    target = load_layout(result.target_system, entity)
    path = output(result, target.file_name)
    rows = read_sage(path) if result.target_system == "sage50" else read_bizops(path)
    assert len(rows) == rows_out
    assert not any(Path(p).name == "rejects.csv" for p in result.outputs)


def test_invoices_to_sage(both_ways):
    result = both_ways["bizops/invoices"]
    rows = read_sage(output(result, "SALES.CSV"))
    assert [r["Invoice/CM #"] for r in rows] == ["INV-1"] * 5 + ["CM-1"] * 3
    assert [r["Amount"] for r in rows] == [
        "-19.90",
        "-14.25",
        "-12.50",
        "-2.10",
        "-5.00",
        "9.95",
        "4.75",
        "0.70",
    ]
    assert [r["Number of Distributions"] for r in rows] == ["5"] * 5 + ["3"] * 3
    assert [r["Invoice/CM Distribution"] for r in rows] == ["1", "2", "3", "4", "5", "1", "2", "3"]
    assert [r["Accounts Receivable Amount"] for r in rows] == ["53.75"] * 5 + ["-15.40"] * 3
    assert {r["Accounts Receivable Account"] for r in rows} == {"11000"}
    assert [r["Credit Memo"] for r in rows] == ["FALSE"] * 5 + ["TRUE"] * 3
    assert [r["Apply to Invoice Number"] for r in rows] == [""] * 5 + ["INV-1"] * 3
    assert [r["Quantity"] for r in rows] == ["2.00", "3.00", "0.00", "", "", "-1.00", "-1.00", ""]
    assert [r["G/L Account"] for r in rows] == [
        "40000",
        "40100",
        "40000",
        "23100",
        "40600",
        "40000",
        "40000",
        "23100",
    ]
    assert [r["Item ID"] for r in rows] == ["A", "B", "", "", "", "A", "DAMAGED", ""]
    assert rows[6]["Description"] == "B Widget"  # damaged: SKU and title (from the line)
    assert [r["Sales Tax Agency ID"] for r in rows] == ["", "", "", "GA-DOR", "", "", "", "GA-DOR"]
    assert [r["Tax Type"] for r in rows][3] == "0"
    assert {r["Date"] for r in rows[:5]} == {"6/1/26"} and {r["Date Due"] for r in rows[:5]} == {"7/1/26"}
    assert {r["Date Due"] for r in rows[5:]} == {"7/10/26"}


def test_drafts_and_synced_invoices_are_skipped_not_rejected(both_ways):
    result = both_ways["bizops/invoices"]
    info = {(i.row, i.column, i.code) for i in result.issues if i.severity == "info"}
    assert {(5, "Status", "draft-skipped"), (7, "SyncedAt", "already-synced")} <= info
    assert result.skipped == 3 and result.rejected == 0 and result.status == "converted"
    assert not any(
        i.code in ("draft-skipped", "already-synced") and i.severity != "info" for i in result.issues
    )


def test_other_journals_to_sage(both_ways):
    so = read_sage(output(both_ways["bizops/orders"], "SO.CSV"))
    assert [r["Amount"] for r in so] == ["-9.95", "-9.50", "-0.50", "-39.80"]
    assert [r["SO/Proposal Distribution"] for r in so] == ["1", "2", "3", "1"]
    receipts = read_sage(output(both_ways["bizops/payments"], "RECEIPTS.CSV"))
    assert [r["Amount"] for r in receipts] == ["-105.72", "-756.41", "-2321.79"]
    assert [r["Total Paid on Invoice(s)"] for r in receipts] == ["-862.13", "-862.13", "-2321.79"]
    assert [r["G/L Account"] for r in receipts] == ["11000"] * 3
    assert [r["Cash Account"] for r in receipts] == ["10200", "10200", "10300"]
    assert [r["Number of Distributions"] for r in receipts] == ["2", "2", "1"]
    po = read_sage(output(both_ways["bizops/purchase_orders"], "PO.CSV"))
    assert [r["Amount"] for r in po] == ["2562.50", "858.00", "45.00"]
    assert [r["G/L Account"] for r in po] == ["12000", "12000", "57000"]
    purchases = read_sage(output(both_ways["bizops/po_receipts"], "PURCHASE.CSV"))
    assert [r["Amount"] for r in purchases] == ["1537.50", "858.00"]
    assert [r["Accounts Payable Amount"] for r in purchases] == ["-2395.50"] * 2
    assert [r["PO Distribution"] for r in purchases] == ["1", "2"]
    assert {r["Date Due"] for r in purchases} == {"7/23/26"}


def test_sales_journal_to_bizops(both_ways):
    rows = read_bizops(output(both_ways["sage50/invoices"], "invoices.csv"))
    assert [r["InvoiceNumber"] for r in rows] == ["10501", "10501", "10502", "CM-10501"]
    assert [r["DocumentType"] for r in rows] == ["Invoice", "Invoice", "Invoice", "CreditMemo"]
    assert [r["Amount"] for r in rows] == ["199.00", "184.00", "48.00", "39.80"]
    assert [float(r["Quantity"]) for r in rows] == [20, 10, 2, 4]
    assert [r["LineNumber"] for r in rows] == ["1", "2", "1", "1"]
    assert [r["SalesTaxAmount"] for r in rows] == ["23.94", "23.94", "", "2.49"]
    assert [r["FreightAmount"] for r in rows] == ["", "", "42.50", ""]
    assert [r["AppliesToInvoice"] for r in rows] == ["", "", "", "10501"]
    assert {r["InvoiceDate"] for r in rows} == {"2026-06-03"} and {r["Status"] for r in rows} == {"Finalized"}


def test_other_journals_to_bizops(both_ways):
    orders = read_bizops(output(both_ways["sage50/orders"], "orders.csv"))
    assert [r["Amount"] for r in orders] == ["298.50", "460.00"]
    assert {r["SalesTaxAmount"] for r in orders} == {"48.41"}
    payments = read_bizops(output(both_ways["sage50/payments"], "payments.csv"))
    assert [(r["PaymentReference"], r["InvoiceNumber"], r["AmountApplied"]) for r in payments] == [
        ("4471", "10501", "1831.94"),
        ("4471", "10504", "645.51"),
        ("ACH0624", "10502", "1673.50"),
    ]
    pos = read_bizops(output(both_ways["sage50/purchase_orders"], "purchase_orders.csv"))
    assert [r["Amount"] for r in pos] == ["3072.00", "3324.00"] and {r["PODate"] for r in pos} == {
        "2026-06-01"
    }
    receipts = read_bizops(output(both_ways["sage50/po_receipts"], "po_receipts.csv"))
    assert [(r["PONumber"], r["POLineNumber"], r["Amount"]) for r in receipts] == [
        ("3101", "1", "3072.00"),
        ("3101", "2", "1662.00"),
    ]


def test_cp1252_text_reaches_bizops_as_utf8(both_ways):
    text = output(both_ways["sage50/invoices"], "invoices.csv").read_text(encoding="utf-8")
    assert '"Boîte isotherme, 12 L"' in text
    assert "6/3/26" not in text and "2026-07-03" in text  # ISO dates only


@pytest.mark.parametrize("name", [c[0] for c in COUNTS])
def test_control_totals_in_the_manifest_equal_in_and_out(both_ways, name):
    result = both_ways[name]
    entity = name.split("/")[1]
    totals = manifest(result)["control_totals"][entity]
    assert totals["in"] == totals["out"]
    assert set(totals["in"]) == {"documents", "lines", "quantity", "net", "tax", "freight", "total"}
    assert totals["in"]["documents"] >= 1


def test_control_totals_of_invoices(both_ways):
    totals = manifest(both_ways["bizops/invoices"])["control_totals"]["invoices"]
    assert totals["in"] == {
        "documents": 2,
        "lines": 5,
        "quantity": 7.0,
        "net": 61.35,
        "tax": 2.8,
        "freight": 5.0,
        "total": 69.15,
    }
    back = manifest(both_ways["sage50/invoices"])["control_totals"]["invoices"]
    assert back["out"] == {
        "documents": 3,
        "lines": 4,
        "quantity": 36.0,
        "net": 470.8,
        "tax": 26.43,
        "freight": 42.5,
        "total": 539.73,
    }


# ----------------------------------------------------------------- whole documents rejected


@pytest.fixture(scope="module")
def unknown_tax_code(tmp_path_factory):
    root = tmp_path_factory.mktemp("tax")
    ny = "INV-9,Invoice,2026-06-01,,C1,,Net 30,Finalized,,NY,1.00,"
    path = write_bizops(
        root / "invoices.csv",
        INVOICE_HEADER,
        [INVOICES[0], f"{ny},1,A,Gloves,1,9.95,9.95,TRUE,,", f"{ny},2,B,Widget,1,4.75,4.75,TRUE,,"],
    )
    return convert(path, write_config(root))


def test_a_tax_code_without_settings_rejects_the_whole_document(unknown_tax_code):
    result = unknown_tax_code
    assert result.status == "rejected-rows"
    assert (3, "SalesTaxCode", "missing-setting") in errors(result)
    assert "sage50.sales_tax.NY" in next(i.message for i in result.issues if i.code == "missing-setting")
    assert (result.rejected, result.records_out) == (2, 3)  # both rows of INV-9; INV-1 converts
    rejected = rejects(result)
    assert [r["InvoiceNumber"] for r in rejected] == ["INV-9", "INV-9"]
    assert "sage50.sales_tax.NY" in rejected[0]["Error"] and rejected[1]["Error"]
    assert {r["Invoice/CM #"] for r in read_sage(output(result, "SALES.CSV"))} == {"INV-1"}


def test_a_tax_code_without_settings_reports_only_the_setting(unknown_tax_code):
    assert errors(unknown_tax_code) == {(3, "SalesTaxCode", "missing-setting")}


GOOD_LAST = sales_row(
    "00123", "10503", "48.00", 1, 1, "2.00", "BOX-COLD-12", "40000", "24.00", "-48.00", txn="1210"
)


@pytest.fixture(scope="module")
def bad_sales(tmp_path_factory):
    """10501 with a wrong Number of Distributions (rows 2-4), CM-10501 (5-6), 10502 unbalanced (7-8), 10503."""
    root = tmp_path_factory.mktemp("bad-sales")
    wrong_count = [{**r, "Number of Distributions": "4"} for r in SALES[:3]]
    unbalanced = [{**r, "Accounts Receivable Amount": "90.53"} for r in SALES[3:5]]
    rows = [*wrong_count, *SALES[5:], *unbalanced, GOOD_LAST]
    return convert(write_sage(root / "SALES.CSV", SALES_HEADER, rows), write_config(root, owner="sage50"))


def test_bad_sage_documents_are_rejected_whole_and_the_rest_converts(bad_sales):
    result = bad_sales
    assert result.status == "rejected-rows"
    assert errors(result) == {
        (2, "Number of Distributions", "distribution-count"),
        (7, "Accounts Receivable Amount", "unbalanced"),
    }
    assert (result.rejected, result.records_out) == (5, 2)
    assert [r["Invoice/CM #"] for r in rejects(result)] == ["10501"] * 3 + ["10502"] * 2
    assert [r["InvoiceNumber"] for r in read_bizops(output(result, "invoices.csv"))] == ["CM-10501", "10503"]


def test_an_unbalanced_sage_invoice_is_rejected_with_the_difference(bad_sales):
    [issue] = [i for i in bad_sales.issues if i.code == "unbalanced"]
    assert "0.03" in issue.message and "90.53" in issue.message
    assert "0.03" in rejects(bad_sales)[3]["Error"]


def test_a_wrong_number_of_distributions_is_rejected(bad_sales):
    [issue] = [i for i in bad_sales.issues if i.code == "distribution-count"]
    assert issue.row == 2 and "4" in issue.message and "3" in issue.message
    assert all(r["Error"] for r in rejects(bad_sales))


def test_a_file_whose_last_document_is_unbalanced(tmp_path):
    rows = [{**r, "Accounts Receivable Amount": "406.95"} for r in SALES[:3]]  # the file's only document
    result = convert(
        write_sage(tmp_path / "SALES.CSV", SALES_HEADER, rows), write_config(tmp_path, owner="sage50")
    )
    assert result.status == "rejected-rows"
    assert errors(result) == {(2, "Accounts Receivable Amount", "unbalanced")}


# ----------------------------------------------------------------- older Sage layouts


def test_headerless_peachtree_2010_sales_journal_converts(tmp_path):
    cfg = write_config(tmp_path, owner="sage50")
    variant = load_layout("sage50", "invoices").variants["peachtree-2010"]
    assert len(variant) == 59
    rows = [{c: r.get(c, "") for c in variant} for r in SALES]  # no A/R amount, no Customer Name
    path = write_sage(tmp_path / "SALES.CSV", None, rows)
    result = convert(path, cfg)
    assert (result.source_system, result.entity) == ("sage50", "invoices")
    assert result.status == "converted", errors(result)
    assert (None, None, "headerless") in rcc(result.issues)
    assert (result.rows_in, result.records_out) == (7, 4)
    out = read_bizops(output(result, "invoices.csv"))
    assert [r["Amount"] for r in out] == ["199.00", "184.00", "48.00", "39.80"]
    assert [r["SalesTaxAmount"] for r in out] == ["23.94", "23.94", "", "2.49"]
    assert manifest(result)["source"]["variant"] == "peachtree-2010"


def test_older_header_names_convert(tmp_path):
    cfg = write_config(tmp_path, owner="sage50")
    old = {
        "Sales Tax ID": "Sales Tax Code",
        "Sales Tax Agency ID": "Sales Tax Authority",
        "SO/Proposal Number": "SO Number",
        "SO/Proposal Distribution": "SO Distribution",
    }
    rows = [dict(r) for r in SALES[:3]]
    rows[0].update({"SO/Proposal Number": "2201", "SO/Proposal Distribution": "1"})
    rows = [{old.get(k, k): v for k, v in r.items()} for r in rows]
    header = [old.get(h, h) for h in SALES_HEADER]
    result = convert(write_sage(tmp_path / "SALES.CSV", header, rows), cfg)
    assert result.status == "converted", errors(result)
    out = read_bizops(output(result, "invoices.csv"))
    assert [r["Amount"] for r in out] == ["199.00", "184.00"]  # the Sales Tax Authority row is tax
    assert [r["SalesTaxAmount"] for r in out] == ["23.94", "23.94"]
    assert {r["SalesTaxCode"] for r in out} == {"MA"}
    assert (out[0]["OrderNumber"], out[0]["OrderLineNumber"]) == ("2201", "1")


# ----------------------------------------------------------------- chunk borders


def _convert_with_chunks(tmp_path: Path, path: Path, chunk_rows: int, owner: str = "bizops"):
    return convert(path, write_config(tmp_path / f"chunks-{chunk_rows}", chunk_rows=chunk_rows, owner=owner))


def test_a_document_across_chunk_borders_converts_identically_from_bizops(tmp_path, both_ways):
    # INV-1 (rows 2-4) and the draft INV-2 (rows 5-6) cross the borders of 2-row chunks.
    path = write_bizops(tmp_path / "invoices.csv", INVOICE_HEADER, INVOICES)
    small, big = _convert_with_chunks(tmp_path, path, 2), both_ways["bizops/invoices"]
    assert small.status == big.status == "converted"
    assert output(small, "SALES.CSV").read_bytes() == output(big, "SALES.CSV").read_bytes()
    assert small.controls == big.controls
    assert (small.rows_in, small.records_out, small.skipped) == (big.rows_in, big.records_out, big.skipped)
    assert rcc(small.issues) == rcc(big.issues)


def test_a_document_across_chunk_borders_converts_identically_from_sage(tmp_path, both_ways):
    # 10501 (rows 2-4) crosses the border of 2-row chunks.
    path = write_sage(tmp_path / "SALES.CSV", SALES_HEADER, SALES)
    small, big = _convert_with_chunks(tmp_path, path, 2, owner="sage50"), both_ways["sage50/invoices"]
    assert small.status == big.status == "converted"
    assert output(small, "invoices.csv").read_bytes() == output(big, "invoices.csv").read_bytes()
    assert small.controls == big.controls
    assert rcc(small.issues) == rcc(big.issues)


def test_a_split_document_is_reported_whatever_the_chunk_size(tmp_path):
    inv_a = "INV-A,Invoice,2026-06-01,,C1,,Net 30,Finalized,,,,"
    inv_b = "INV-B,Invoice,2026-06-02,,C1,,Net 30,Finalized,,,,"
    path = write_bizops(
        tmp_path / "invoices.csv",
        INVOICE_HEADER,
        [
            f"{inv_a},1,A,Gloves,1,9.95,9.95,TRUE,,",
            f"{inv_b},1,A,Gloves,1,9.95,9.95,TRUE,,",
            f"{inv_b},2,A,Gloves,1,9.95,9.95,TRUE,,",
            f"{inv_a},2,A,Gloves,1,9.95,9.95,TRUE,,",
        ],
    )
    # One chunk reports it (see test_documents); 2-row chunks must too.
    small = _convert_with_chunks(tmp_path, path, 2)
    assert (5, "InvoiceNumber", "split-document") in errors(small)


@pytest.mark.parametrize("chunk_rows", [2, 3, 4, 50_000])
def test_the_files_last_document_is_converted_and_checked_alike_in_any_chunks(tmp_path, chunk_rows):
    """The last chunk's last document is converted with the rest of the chunk (nothing follows it):
    the same records, and the same issues, whether it ends a chunk of several documents or not."""
    inv_a = "INV-A,Invoice,2026-06-01,,C1,,Net 30,Finalized,,,,"
    inv_b = "INV-B,Invoice,2026-06-02,,C1,,Net 30,Finalized,,,,"
    inv_c = "INV-C,Invoice,2026-06-03,,C1,,Net 30,Finalized,,,,"
    path = write_bizops(
        tmp_path / "invoices.csv",
        INVOICE_HEADER,
        [
            f"{inv_a},1,A,Gloves,1,9.95,9.95,TRUE,,",
            f"{inv_b},1,A,Gloves,1,9.95,9.95,TRUE,,",
            f"{inv_a},2,A,Gloves,1,9.95,9.95,TRUE,,",  # INV-A again: split
            f"{inv_c},1,A,Gloves,1,9.95,9.95,TRUE,,",
            f"{inv_c},2,A,Gloves,2,9.95,9.95,TRUE,,",  # 2 x 9.95 is not 9.95
        ],
    )
    one = _convert_with_chunks(tmp_path, path, 1_000)
    assert (4, "InvoiceNumber", "split-document") in errors(one)
    assert any(i.row == 6 for i in one.issues)
    other = _convert_with_chunks(tmp_path, path, chunk_rows)
    assert rcc(other.issues) == rcc(one.issues)
    assert (other.rows_in, other.records_out, other.rejected) == (one.rows_in, one.records_out, one.rejected)


# ----------------------------------------------------------------- references


@pytest.fixture(scope="module")
def known_site(tmp_path_factory) -> Path:
    """A site whose catalog knows Sage's customers and chart of accounts (from their exports)."""
    root = tmp_path_factory.mktemp("site")
    cfg = write_config(root)
    customers = write_sage(
        root / "inbox" / "CUSTOMER.CSV",
        ["Customer ID", "Customer Name", "Use Standard Terms", "Due Days"],
        [
            {"Customer ID": "C1", "Customer Name": "One", "Use Standard Terms": "TRUE", "Due Days": "30"},
            {"Customer ID": "C2", "Customer Name": "Two", "Use Standard Terms": "FALSE", "Due Days": "45"},
        ],
    )
    chart = write_sage(
        root / "inbox" / "CHART.CSV",
        ["Account ID", "Account Description", "Account Type"],
        [{"Account ID": a, "Account Description": a, "Account Type": "0"} for a in ("11000", "23100", "40000", "40100", "40600")],
    )  # fmt: skip
    assert convert(customers, cfg).status == "converted"
    assert convert(chart, cfg).status == "recorded"
    return root


REF_ROWS = [
    INVOICES[0],
    "INV-7,Invoice,2026-06-01,,NOBODY,,,Finalized,,,,,1,A,Gloves,1,9.95,9.95,TRUE,,",  # row 3
    "INV-8,Invoice,2026-06-01,,C2,,,Finalized,,,,,1,A,Gloves,1,9.95,9.95,TRUE,,",
    "INV-9,Invoice,2026-06-01,,C1,,,Finalized,,,,,1,A,Gloves,1,9.95,9.95,TRUE,49999,",  # row 5: no such G/L
]


@pytest.fixture(scope="module")
def unknown_customer(known_site) -> object:
    path = write_bizops(known_site / "inbox" / "invoices.csv", INVOICE_HEADER, REF_ROWS)
    return convert(path, known_site / "bizops-sage50.toml")


def test_an_unknown_customer_is_rejected(unknown_customer):
    result = unknown_customer
    assert result.status == "rejected-rows"
    assert {(r, c) for r, _, c in errors(result)} == {(3, "unknown-reference"), (5, "unknown-reference")}
    assert "NOBODY" in next(i.message for i in result.issues if i.code == "unknown-reference" and i.row == 3)
    assert (result.rejected, result.records_out) == (2, 4)  # INV-1: line, tax, freight; INV-8: line
    assert [r["InvoiceNumber"] for r in rejects(result)] == ["INV-7", "INV-9"]
    # Items were never exported from Sage: not checked, and said so.
    assert (None, None, "references-unchecked") in rcc(result.issues)
    assert any(i.code == "references-unchecked" and "products" in i.message for i in result.issues)


def test_known_customers_get_their_terms_from_the_catalog(unknown_customer):
    rows = read_sage(output(unknown_customer, "SALES.CSV"))
    assert {r["Invoice/CM #"]: r["Date Due"] for r in rows} == {"INV-1": "7/1/26", "INV-8": "7/16/26"}


def test_an_unknown_reference_names_the_input_column(unknown_customer):
    assert (3, "CustomerID", "unknown-reference") in errors(unknown_customer)


def test_unknown_references_as_warnings_let_the_document_through(known_site):
    cfg = write_config(known_site, unknown="warning", name="warn.toml")
    # Other document numbers: documents already sent from this site would be skipped as duplicates.
    rows = [r.replace("INV-", "WRN-") for r in REF_ROWS]
    path = write_bizops(known_site / "inbox" / "invoices-warn.csv", INVOICE_HEADER, rows)
    result = convert(path, cfg, known_site / "outbox-warn")
    assert result.status == "converted" and result.rejected == 0 and result.records_out == 6
    warnings = [i for i in result.issues if i.code == "unknown-reference"]
    assert [(i.row, i.severity) for i in warnings] == [(3, "warning"), (5, "warning")]


def test_an_unknown_gl_account_is_checked_against_the_chart(unknown_customer):
    assert (5, "unknown-reference") in {(r, c) for r, _, c in errors(unknown_customer)}
    message = next(i.message for i in unknown_customer.issues if i.code == "unknown-reference" and i.row == 5)
    assert "49999" in message


# ----------------------------------------------------------------- control totals that disagree


def test_control_totals_that_disagree_fail_the_batch_and_write_nothing(tmp_path, monkeypatch):
    original = TransactionConverter._controls_sage_out

    def one_cent_more(self, out):
        original(self, out)
        self.controls.outbound.add(documents=0, lines=0, quantity=0, net=0.01, tax=0, freight=0)

    monkeypatch.setattr(TransactionConverter, "_controls_sage_out", one_cent_more)
    cfg = write_config(tmp_path)
    outbox = tmp_path / "outbox"
    path = write_bizops(tmp_path / "po_receipts.csv", *PO_RECEIPTS)
    result = convert(path, cfg, outbox)
    assert result.status == "failed" and not result.ok
    assert [(i.row, i.column, i.code) for i in result.issues if i.severity == "error"] == [
        (None, None, "control-totals")
    ]
    message = next(i.message for i in result.issues if i.code == "control-totals")
    assert "net" in message and "2395.5" in message
    assert result.batch is None and result.outputs == []
    leftovers = list(outbox.rglob("*")) if outbox.exists() else []
    assert leftovers in ([], [outbox / "to-sage50"])
