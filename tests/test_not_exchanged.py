"""Sage files the converter recognises but does not exchange (issue 11, point 5).

A user drops a whole Sage export folder; the journals and lists BizOps does not exchange are named
for what they are, counted, recorded in the history and filed as processed, never "matches no
known layout". Files are invented, shaped like the real export facts in the format reference.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from converter.cli import main as cli
from converter.core.settings import load_settings
from converter.io.detection import detect
from converter.io.reading import open_table
from converter.pipeline.convert import convert_file
from converter.sync.ledger import Ledger
from converter.watch.watcher import Watcher
from tests.conftest import drop, rcc

runner = CliRunner()


def cols(*parts: str) -> list[str]:
    """A heading row written as Sage writes it, split into its cells."""
    return "".join(parts).split(",")


# The heading row of a real Sage 50 2013 Payments (Cash Disbursements) Journal export, 49 columns.
PAYMENTS_49 = cols(
    "Vendor ID,Vendor Name,Check Name,Check Address-Line One,Check Address-Line Two,Check City,Check State,"
    "Check Zipcode,Check Country,Check Number,Date,Electronic Payment,Date Sent,Electronic ID,Funding Account Name,"
    "Memo,Cash Account,Cash Amount,Total Paid on Invoice(s),Discount Account,Prepayment,Customer Payment,"
    "AP Date Cleared in Bank Rec,Detailed Payments,Number of Distributions,Invoice Paid,Discount Amount,"
    "Disc Date Cleared In Bank Rec,Quantity,Stocking Quantity,Item ID,Serial Number,U/M ID,"
    "U/M No. of Stocking Units,Description,G/L Account,GL Date Cleared in Bank Rec,Unit Price,Stocking Unit Price,"
    "UPC / SKU,Weight,Amount,Job ID,Used for Reimbursable Expense,Transaction Period,Transaction Number,"
    "Voided by Transaction,Recur Number,Recur Frequency"
)
# Format reference section 9: the 39-column order, with the 'Detailed Payment' spelling of one exporter.
PAYMENTS_39 = cols(
    "Vendor ID,Vendor Name,Check Name,Check Address-Line One,Check Address-Line Two,Check City,Check State,"
    "Check Zipcode,Check Country,Check Number,Date,Memo,Cash Account,Total Paid on Invoice(s),Discount Account,"
    "Prepayment,Customer Payment,AP Date Cleared in Bank Rec,Detailed Payment,Number of Distributions,Invoice Paid,"
    "Discount Amount,Quantity,Item ID,Serial Number,Description,G/L Account,Unit Price,UPC / SKU,Weight,Amount,"
    "Job ID,Used for Reimbursable Expense,Transaction Period,Transaction Number,Voided by Transaction,Recur Number,"
    "Recur Frequency,Payment Method"
)
ADJUST_17 = cols(
    "Item ID,Reference,Date,Job ID,Reason to Adjust,Inventory Account,Amount Adjusted,"
    "Inv Acnt Date Cleared in Bank Rec,Number of Distributions,G/L Source Account,GL Date Cleared in Bank Rec,"
    "Unit Cost,Quantity,Amount,Transaction Period,Transaction Number,Serial Number"
)
ADJUST_13 = cols(
    "Item ID,Reference,Date,Reason to Adjust,Inventory Account,Amount Adjusted,Number of Distributions,"
    "G/L Source Account,Unit Cost,Quantity,Amount,Transaction Period,Transaction Number"
)
GENERAL = cols(
    "Date,Reference,Date Cleared in Bank Rec,Number of Distributions,G/L Account,Description,Amount,Job ID,"
    "Used for Reimbursable Expense,Transaction Period,Transaction Number,Consolidated Transaction,Recur Number,"
    "Recur Frequency"
)


def sage_csv(header: list[str], rows: list[dict[str, str]]) -> str:
    """Sage's way: CRLF, quoted only where a value holds a comma."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in header])
    return buf.getvalue()


def checks() -> list[dict[str, str]]:
    """Two checks: one paying two bills of a vendor, one direct payment to an expense account."""
    first = {
        "Vendor ID": "ACME SUPPLY",
        "Vendor Name": "Acme Supply, Inc.",
        "Check Name": "Acme Supply, Inc.",
        "Check Number": "10412",
        "Date": "6/5/26",
        "Electronic Payment": "FALSE",
        "Cash Account": "10200",
        "Cash Amount": "-350.50",
        "Total Paid on Invoice(s)": "350.50",
        "Prepayment": "FALSE",
        "Customer Payment": "FALSE",
        "Detailed Payments": "Yes",
        "Number of Distributions": "2",
        "G/L Account": "20000",
        "U/M ID": "<Each>",
        "Transaction Period": "34",
        "Transaction Number": "118",
    }
    return [
        {**first, "Invoice Paid": "INV-88", "Amount": "100.00"},
        {**first, "Invoice Paid": "INV-91", "Amount": "250.50"},
        {
            "Vendor Name": "City Water Dept",
            "Check Name": "City Water Dept",
            "Check Number": "10413",
            "Date": "6/7/26",
            "Electronic Payment": "FALSE",
            "Cash Account": "10200",
            "Cash Amount": "-82.16",
            "Prepayment": "FALSE",
            "Customer Payment": "FALSE",
            "Detailed Payments": "Yes",
            "Number of Distributions": "1",
            "Description": "Water, May",
            "G/L Account": "64000",
            "Amount": "82.16",
            "Transaction Period": "34",
            "Transaction Number": "119",
        },
    ]


FILES = {
    "PAYMENTS.CSV": ("disbursements", sage_csv(PAYMENTS_49, checks()), 3),
    "ADJUST.CSV": ("adjustments", sage_csv(ADJUST_17, []), 0),  # real exports may hold the heading only
    "ADJUST-OLD.CSV": (
        "adjustments",
        sage_csv(
            ADJUST_13,
            [
                {
                    "Item ID": "MENACTRA (R)",
                    "Reference": "CNT-0601",
                    "Date": "6/1/26",
                    "Reason to Adjust": "Count",
                    "Amount Adjusted": "-2.00",
                    "Number of Distributions": "1",
                    "G/L Source Account": "50000",
                    "Quantity": "-2",
                    "Amount": "96.00",
                }
            ],
        ),
        1,
    ),
    "GENERAL.CSV": (
        "general_journal",
        sage_csv(
            GENERAL,
            [
                {
                    "Date": "6/30/26",
                    "Reference": "ADJ-06",
                    "Number of Distributions": "2",
                    "G/L Account": a,
                    **v,
                }
                for a, v in (("67000", {"Amount": "125.00"}), ("10200", {"Amount": "-125.00"}))
            ],
        ),
        2,
    ),
    "CONTACTS.CSV": (
        "contacts",
        sage_csv(
            ["Customer ID", "Contact First Name", "Contact Last Name", "Telephone 1", "Email", "Address"],
            [
                {
                    "Customer ID": "ALDEN",
                    "Contact First Name": "Tom",
                    "Contact Last Name": "Alden",
                    "Address": "0",
                }
            ],
        ),
        1,
    ),
    "BOMLIST.CSV": (
        "bom",
        sage_csv(
            cols(
                "Assembly ID,Assembly Description,Revision Number,Effective Date,Component Number,",
                "Component ID,Component Description,Component Qty Needed",
            ),
            [{"Assembly ID": "KIT-1", "Component Number": str(n), "Component ID": f"P-{n}"} for n in (1, 2)],
        ),
        2,
    ),
    # The Sage help pages give only the leading fields of these three: the rest of a real export's
    # columns are unknown (here: invented) and must not stop the recognition.
    "EMPLOYEE.CSV": (
        "employees",
        sage_csv(
            [
                "Employee ID",
                "Employee First Name",
                "Employee Middle Initial",
                "Employee Last Name",
                "Sales Rep",
            ]
            + ["Employee", "Inactive", "Address-Line One", "City", "State", "Zip"]
            + [f"Pay Level {n}" for n in range(1, 11)],
            [{"Employee ID": "JCOSTA", "Employee First Name": "Joana", "Employee Last Name": "Costa"}],
        ),
        1,
    ),
    "PAYROLL.CSV": (
        "payroll",
        sage_csv(
            [
                "Employee ID",
                "Employee First Name",
                "Employee Middle Initial",
                "Employee Last Name",
                "Check Number",
            ]
            + ["Date", "Cash Account", "Cash Amount", "Pay Period End", "Weeks in Pay Period"]
            + [f"Field {n}" for n in range(1, 21)],
            [
                {
                    "Employee ID": "JCOSTA",
                    "Date": "6/15/26",
                    "Pay Period End": "6/15/26",
                    "Cash Amount": "-1520.00",
                }
            ],
        ),
        1,
    ),
    "JOB.CSV": (
        "jobs",
        sage_csv(
            [
                "Job ID",
                "Job Description",
                "Use Phases",
                "Inactive",
                "Supervisor",
                "Customer ID",
                "Address Line 1",
            ]
            + ["Address Line 2", "City", "State", "Zipcode", "Country", "Start Date", "Projected End Date"]
            + ["Actual End Date", "Job Status"]
            + [f"Custom {n}" for n in range(1, 30)],
            [{"Job ID": "SHED", "Job Description": "Build a shed", "Customer ID": "ALDEN"}],
        ),
        1,
    ),
}


def write(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(FILES[name][1].encode("ascii"))
    return path


def batches(outbox: Path) -> list[Path]:
    return sorted(p for p in outbox.glob("**/*") if p.is_dir()) if outbox.exists() else []


@pytest.mark.parametrize("name", sorted(FILES))
def test_recognised_not_exchanged_and_nothing_written(tmp_path, name):
    entity, _, rows = FILES[name]
    settings = load_settings(None, cwd=tmp_path)
    outbox = tmp_path / "outbox"
    result = convert_file(write(tmp_path / "in", name), settings=settings, outbox=outbox)
    assert (result.source_system, result.entity, result.status) == ("sage50", entity, "not-exchanged")
    assert result.ok and result.target_system is None
    assert (result.rows_in, result.records_out, result.rejected) == (rows, 0, 0)
    assert rcc(result.issues) == {(None, None, "not-exchanged")}
    assert result.outputs == [] and result.batch is None
    assert batches(outbox) == []
    [seen] = Ledger.for_settings(settings).history()
    assert (seen["file"], seen["entity"], seen["outcome"], seen["batch"]) == (
        name,
        entity,
        "not-exchanged",
        None,
    )


def test_the_message_says_what_the_file_is(tmp_path):
    result = convert_file(
        write(tmp_path, "PAYMENTS.CSV"), settings=load_settings(None, cwd=tmp_path), outbox=tmp_path / "out"
    )
    [issue] = result.issues
    assert issue.severity == "info"
    assert (
        "a Sage 50 Cash Disbursements Journal: vendor checks are not exchanged with BizOps" in issue.message
    )


def test_the_39_column_payments_order_is_recognised(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        sage_csv(PAYMENTS_39, [{"Vendor ID": "ACME SUPPLY", "Check Number": "1", "Amount": "5.00"}])
    )
    det = detect(open_table(path))
    assert det.layout.name == "sage50/disbursements"
    assert "Detailed Payments" in det.columns  # the 'Detailed Payment' spelling is an alias


@pytest.mark.parametrize("command", ["convert", "validate"])
def test_cli_exit_0_and_the_note_is_shown(tmp_path, command):
    files = [str(write(tmp_path / "in", n)) for n in ("PAYMENTS.CSV", "ADJUST.CSV", "GENERAL.CSV")]
    outbox = tmp_path / "out"
    where = ["--outbox", str(outbox)] if command == "convert" else []
    res = runner.invoke(cli.app, [command, *files, *where])
    assert res.exit_code == 0, res.output
    assert "not-exchanged" in res.stdout and "vendor checks are not exchanged" in res.stdout
    res = runner.invoke(cli.app, [command, *files, *where, "--json"])
    assert res.exit_code == 0
    assert [d["status"] for d in json.loads(res.stdout)] == ["not-exchanged"] * 3
    assert batches(outbox) == []


def test_headerless_payments_journal_by_its_column_count(tmp_path):
    # 49 columns also fit a Sage sales order export: Sage's file name (or --entity) decides.
    body = "".join(FILES["PAYMENTS.CSV"][1].splitlines(keepends=True)[1:])
    path = tmp_path / "PAYMENTS.CSV"
    path.write_text(body)
    result = convert_file(path, settings=load_settings(None, cwd=tmp_path), outbox=tmp_path / "out")
    assert (result.entity, result.status, result.rows_in) == ("disbursements", "not-exchanged", 3)
    assert "no heading row" in result.issues[0].message
    other = tmp_path / "checks.csv"
    other.write_text(body)
    result = convert_file(
        other, settings=load_settings(None, cwd=tmp_path), outbox=tmp_path / "out", entity="disbursements"
    )
    assert (result.entity, result.status) == ("disbursements", "not-exchanged")


def test_the_watcher_files_them_under_processed(tmp_path):
    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    inbox.mkdir()
    for name in ("PAYMENTS.CSV", "ADJUST.CSV"):
        drop(inbox, name, FILES[name][1])
    settings = load_settings(None, cwd=tmp_path)
    watcher = Watcher(inbox=inbox, outbox=outbox, settings=settings, settle=0.5, check=0.2, rescan=60.0)
    results = watcher.run_once()
    assert sorted(r.status for r in results) == ["not-exchanged", "not-exchanged"]
    [day] = (inbox / "processed").iterdir()
    assert sorted(p.name for p in day.iterdir()) == [
        "ADJUST.CSV",
        "ADJUST.CSV.result.json",
        "PAYMENTS.CSV",
        "PAYMENTS.CSV.result.json",
    ]
    assert json.loads((day / "PAYMENTS.CSV.result.json").read_text())["status"] == "not-exchanged"
    assert not any((inbox / "failed").iterdir()) if (inbox / "failed").exists() else True
    assert not list(outbox.glob("to-*/*"))
