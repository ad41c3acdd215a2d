"""Golden files: the bundled samples convert to exactly these import files, byte for byte.

The samples are converted in Sage's import order with the sample company's settings
(samples/bizops-sage50.toml), as `make demo` does, as an initial load. After a deliberate change to the output,
regenerate with `UPDATE_GOLDEN=1 make test`: the golden files are rewritten and those tests then FAIL
(so an update can never pass unnoticed); review the diff, commit it, and run the tests again.
Every file a sample's batch writes (import file, credit_limits.csv, rejects.csv; not the manifest or
review.xlsx, which hold times) is compared.
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pytest

from converter.core.settings import load_settings
from converter.pipeline.convert import convert_file

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden"
SAMPLE_MTIME = 1_780_000_000  # 2026-05-28T20:26:40Z
ORDER = [
    "sage50/CHART.CSV",
    "bizops/vendors.csv",
    "bizops/customers.csv",
    "bizops/products.csv",
    "sage50/VENDOR.CSV",
    "sage50/CUSTOMER.CSV",
    "sage50/ITEM.CSV",
    "bizops/purchase_orders.csv",
    "bizops/po_receipts.csv",
    "bizops/orders.csv",
    "bizops/invoices.csv",
    "bizops/payments.csv",
    "sage50/PO.CSV",
    "sage50/PURCHASE.CSV",
    "sage50/SO.CSV",
    "sage50/SALES.CSV",
    "sage50/RECEIPTS.CSV",
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict[str, list[Path]]:
    tmp = tmp_path_factory.mktemp("golden")
    shutil.copy(ROOT / "samples" / "bizops-sage50.toml", tmp / "bizops-sage50.toml")
    settings = load_settings(tmp / "bizops-sage50.toml")
    outputs: dict[str, list[Path]] = {}
    # credit_limits.csv says when Sage exported the list (the file's modification time): fix it.
    shutil.copytree(ROOT / "samples", tmp / "samples")
    for sample in (tmp / "samples").rglob("*.*"):
        os.utime(sample, (SAMPLE_MTIME, SAMPLE_MTIME))
    for name in ORDER:
        # The first copy both ways is an initial load: ownership would refuse the non-owner's files.
        result = convert_file(
            tmp / "samples" / name, settings=settings, outbox=tmp / "outbox", initial_load=True
        )
        assert result.ok and result.rejected == 0, (name, [i for i in result.issues if i.severity == "error"])
        outputs[name] = [Path(o) for o in result.outputs if o.lower().endswith(".csv")]
    return outputs


def _compare(produced: Path, golden: Path) -> str | None:
    """The produced file equals its golden file; with UPDATE_GOLDEN=1 the golden file is rewritten
    and the test fails, so that an update is always looked at."""
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        changed = not golden.is_file() or golden.read_bytes() != produced.read_bytes()
        golden.write_bytes(produced.read_bytes())
        return f"UPDATE_GOLDEN: {golden.name} {'rewritten' if changed else 'unchanged'}; review, then run without it"
    assert golden.is_file(), f"no golden file {golden.name}; run UPDATE_GOLDEN=1 make test and review it"
    assert produced.read_bytes() == golden.read_bytes(), f"{produced.name} no longer matches {golden.name}"
    return None


@pytest.mark.parametrize("name", [n for n in ORDER if n != "sage50/CHART.CSV"])
def test_sample_converts_to_the_golden_files(converted, name):
    produced = converted[name]
    assert produced, f"{name} wrote no file"
    prefix = f"{name.replace('/', '__')}__"
    updated = [_compare(path, GOLDEN / f"{prefix}{path.name}") for path in produced]
    if any(updated):
        pytest.fail("; ".join(u for u in updated if u))
    expected = sorted(p.name for p in GOLDEN.glob(f"{prefix}*"))
    assert expected == sorted(f"{prefix}{p.name}" for p in produced), "a golden file no output matches"


# ----------------------------------------------------------------- a real-shaped Sales Journal, round trip

REAL_SALES = Path(__file__).parent / "fixtures" / "real-shaped" / "SALES.CSV"


def _rows(path: Path, encoding: str) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_bytes().decode(encoding).splitlines()))


@pytest.fixture(scope="module")
def real_sales_round_trip(tmp_path_factory) -> tuple:
    """tests/fixtures/real-shaped/SALES.CSV (shaped like a real company's export: gaps in line
    numbering, charge and discount lines, a credit memo with negative quantities, IDs with inner
    double spaces and punctuation, junk in UPC / SKU, a quote) to BizOps and back to Sage 50."""
    tmp = tmp_path_factory.mktemp("real-sales")
    shutil.copy(ROOT / "samples" / "bizops-sage50.toml", tmp / "bizops-sage50.toml")
    settings = load_settings(tmp / "bizops-sage50.toml")
    there = convert_file(REAL_SALES, settings=settings, outbox=tmp / "outbox", initial_load=True)
    invoices = Path(there.outputs[0])
    back = convert_file(invoices, settings=settings, outbox=tmp / "outbox")
    return there, back


@pytest.mark.parametrize(("step", "golden_name"), [(0, "invoices.csv"), (1, "SALES.CSV")])
def test_real_shaped_sales_journal_round_trips_to_the_golden_files(real_sales_round_trip, step, golden_name):
    result = real_sales_round_trip[step]
    produced = Path(result.outputs[0])
    assert produced.name == golden_name
    updated = _compare(produced, GOLDEN / f"real-shaped__SALES.CSV__{step}__{golden_name}")
    if updated:
        pytest.fail(updated)


def test_real_shaped_sales_journal_loses_nothing_on_the_round_trip(real_sales_round_trip):
    there, back = real_sales_round_trip
    assert there.status == back.status == "converted"
    assert not [i for i in [*there.issues, *back.issues] if i.severity == "error"]
    # 11 rows: 10 of 4 documents, and one quote, skipped and counted.
    assert (there.rows_in, there.rejected, there.skipped, there.skipped_kinds) == (11, 0, 1, {"quote": 1})
    assert there.controls["in"] == there.controls["out"] == back.controls["in"] == back.controls["out"]

    source = [r for r in _rows(REAL_SALES, "cp1252") if r["Quote"] != "TRUE"]
    again = _rows(Path(back.outputs[0]), "cp1252")

    def documents(rows):
        docs: dict[tuple, dict] = {}
        for r in rows:
            doc = docs.setdefault((r["Customer ID"], r["Invoice/CM #"]), {"lines": [], "tax": []})
            doc["header"] = (r["Credit Memo"], r["Accounts Receivable Amount"], r["Date"], r["Date Due"])
            if r[
                "Sales Tax Agency ID"
            ]:  # the tax row is rebuilt from SalesTaxAmount: agency, account, amount
                doc["tax"].append((r["Sales Tax Agency ID"], r["G/L Account"], r["Amount"]))
                continue
            fields = ("Quantity", "Item ID", "Description", "G/L Account", "Unit Price", "Amount")
            doc["lines"].append(tuple(r[f] for f in fields))
        return docs

    # IDs, signs, charge and discount lines, amounts: as they were (line numbers are renumbered 1..n).
    assert documents(again) == documents(source)
    assert {r["Customer ID"] for r in again} >= {"ANNOX NIG. LTD"}
    assert "PREVENAR  13" in {r["Item ID"] for r in again}
    bizops = _rows(Path(there.outputs[0]), "utf-8")
    credit = [r for r in bizops if r["InvoiceNumber"] == "RIN INV 51632"]
    assert {r["DocumentType"] for r in credit} == {"CreditMemo"}
    assert [(r["Quantity"], r["Amount"]) for r in credit] == [("2.00", "1425.00"), ("0.00", "15.00")]
