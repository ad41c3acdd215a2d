"""Property: random valid BizOps invoices convert to balanced Sage documents, and back again to the
same lines and totals."""

from __future__ import annotations

import csv
import io
import tempfile
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from converter.core.settings import load_settings
from converter.io.layouts import load_layout
from converter.pipeline.convert import convert_file

CONFIG = """
[sage50]
ar_account = "11000"
freight_account = "40600"
default_sales_account = "40000"
damaged_returns_item = "DAMAGED"
[sage50.sales_tax.MA]
agency = "MA-DOR"
account = "23100"
"""
SKUS = ["GLV-NIT-M", "WID-075-BR", "PIP-10UL", "SVC-1", "00123"]

line = st.fixed_dictionaries(
    {
        "SKU": st.sampled_from(SKUS),
        "Quantity": st.integers(1, 400).map(lambda q: q / 2),
        "UnitPrice": st.integers(1, 500_000).map(lambda c: c / 100),
        "Taxable": st.sampled_from(["TRUE", "FALSE"]),
        "CreditReason": st.sampled_from(["", "Return"]),
    }
)
document = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Invoice", "Invoice", "CreditMemo"]),
        "customer": st.sampled_from(["C-1", "00042", "ACME (US)"]),
        "tax": st.one_of(st.just(0), st.integers(1, 50_000)),
        "freight": st.one_of(st.just(0), st.integers(1, 20_000)),
        "lines": st.lists(line, min_size=1, max_size=8),
    }
)


def _line_amount(ln: dict) -> float:
    """Quantity × UnitPrice to the cent, half away from zero, as an accountant rounds."""
    exact = Decimal(str(ln["Quantity"])) * Decimal(str(ln["UnitPrice"]))
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _bizops_file(docs: list[dict]) -> str:
    columns = load_layout("bizops", "invoices").field_names
    out = io.StringIO()
    w = csv.DictWriter(out, columns, lineterminator="\n")
    w.writeheader()
    for n, doc in enumerate(docs, 1):
        for i, ln in enumerate(doc["lines"], 1):
            amount = _line_amount(ln)
            w.writerow(
                {
                    "InvoiceNumber": f"INV-{n}",
                    "DocumentType": doc["type"],
                    "InvoiceDate": "2026-06-01",
                    "CustomerID": doc["customer"],
                    "AppliesToInvoice": "INV-0" if doc["type"] == "CreditMemo" else "",
                    "Status": "Finalized",
                    "SalesTaxCode": "MA" if doc["tax"] else "",
                    "SalesTaxAmount": f"{doc['tax'] / 100:.2f}" if doc["tax"] else "",
                    "FreightAmount": f"{doc['freight'] / 100:.2f}" if doc["freight"] else "",
                    "Terms": "Net 30",
                    "LineNumber": str(i),
                    "SKU": ln["SKU"],
                    "Description": f"Item {ln['SKU']}",
                    "Quantity": f"{ln['Quantity']}",
                    "UnitPrice": f"{ln['UnitPrice']:.2f}",
                    "Amount": f"{amount:.2f}",
                    "Taxable": ln["Taxable"],
                    "CreditReason": ln["CreditReason"] if doc["type"] == "CreditMemo" else "",
                }
            )
    return out.getvalue()


def _cents(text: str) -> int:
    return round(float(text or 0) * 100)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(document, min_size=1, max_size=5))
def test_random_invoices_balance_in_sage_and_come_back_the_same(docs):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "bizops-sage50.toml").write_text(CONFIG)
        cfg = load_settings(tmp / "bizops-sage50.toml")
        src = tmp / "invoices.csv"
        src.write_text(_bizops_file(docs), encoding="utf-8")
        there = convert_file(src, settings=cfg, outbox=tmp / "out")
        assert there.status == "converted", [i for i in there.issues if i.severity == "error"]
        sage_file = Path(there.outputs[0])
        rows = list(csv.DictReader(io.StringIO(sage_file.read_bytes().decode("cp1252"), newline="")))

        by_doc: dict[str, list[dict]] = defaultdict(list)
        for r in rows:
            by_doc[r["Invoice/CM #"]].append(r)
        assert list(by_doc) == [f"INV-{n}" for n in range(1, len(docs) + 1)]  # contiguous, in order
        for n, doc in enumerate(docs, 1):
            drows = by_doc[f"INV-{n}"]
            expected_rows = len(doc["lines"]) + bool(doc["tax"]) + bool(doc["freight"])
            assert len(drows) == expected_rows
            assert {r["Number of Distributions"] for r in drows} == {str(expected_rows)}
            assert [r["Invoice/CM Distribution"] for r in drows] == [
                str(i) for i in range(1, expected_rows + 1)
            ]
            ar = _cents(drows[0]["Accounts Receivable Amount"])
            assert ar + sum(_cents(r["Amount"]) for r in drows) == 0  # balances to the cent
            credit = doc["type"] == "CreditMemo"
            assert (ar < 0) == credit and {r["Credit Memo"] for r in drows} == {"TRUE" if credit else "FALSE"}
            items = [r for r in drows if r["Item ID"]]
            assert all((_cents(r["Amount"]) > 0) == credit for r in items)
            assert all(float(r["Unit Price"]) > 0 for r in items)

        back = convert_file(sage_file, settings=cfg, outbox=tmp / "back", initial_load=True)
        assert back.status == "converted", [i for i in back.issues if i.severity == "error"]
        assert back.controls["in"] == back.controls["out"]
        result = list(
            csv.DictReader(io.StringIO(Path(back.outputs[0]).read_text(encoding="utf-8"), newline=""))
        )
    got: dict[str, list[dict]] = defaultdict(list)
    for r in result:
        got[r["InvoiceNumber"]].append(r)
    for n, doc in enumerate(docs, 1):
        lines = got[f"INV-{n}"]
        assert [
            (r["SKU"], float(r["Quantity"]), _cents(r["UnitPrice"]), _cents(r["Amount"])) for r in lines
        ] == [
            (
                ln["SKU"],
                ln["Quantity"],
                round(ln["UnitPrice"] * 100),
                round(_line_amount(ln) * 100),
            )
            for ln in doc["lines"]
        ]
        assert _cents(lines[0]["SalesTaxAmount"]) == doc["tax"]
        assert _cents(lines[0]["FreightAmount"]) == doc["freight"]
        assert lines[0]["DocumentType"] == doc["type"]
        assert lines[0]["CustomerID"] == doc["customer"]
