"""journals: BizOps documents → Sage journals (build_sage) and Sage journals → BizOps lines (split_sage)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from converter.core.errors import ConfigError
from converter.core.settings import load_settings
from converter.io.layouts import default_map_path, load_layout, load_map
from converter.mapping.engine import MapContext, apply_map
from converter.sage50.documents import BIZOPS_DOCS, DOC, cents, group_by_count, group_by_key
from converter.sage50.journals import (
    JOURNALS,
    KIND,
    TOTAL_PAID,
    BuildContext,
    build_sage,
    check_balance,
    classify_sage_rows,
    split_sage,
)
from converter.sync.catalog import Catalog
from tests.conftest import rcc

BASE = {
    "sage50": {
        "ar_account": "11000",
        "ap_account": "20000",
        "cash_account": "10200",
        "freight_account": "40600",
        "default_sales_account": "40000",
        "default_purchase_account": "12000",
        "damaged_returns_item": "DAMAGED",
        "sales_tax": {"GA": {"agency": "GA-DOR", "account": "23100"}},
    }
}


def config(tmp_path: Path, *, drop: tuple[str, ...] = (), **sage50):
    """Settings: BASE, with [sage50] keys dropped or changed."""
    section = {k: v for k, v in BASE["sage50"].items() if k not in drop}
    section.update(sage50)
    return load_settings(None, cwd=tmp_path, overrides={"sage50": section})


def rows_frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    columns = list(dict.fromkeys(c for r in rows for c in r))
    data = [{c: r.get(c, "") for c in columns} for r in rows]
    return pd.DataFrame(data, columns=columns, index=range(2, 2 + len(rows)), dtype=object)


def build(entity: str, rows: list[dict[str, str]], tmp_path: Path, *, settings=None, catalog=None):
    """BizOps rows (header fields repeated) → (Sage distributions, issues)."""
    settings = settings or config(tmp_path)
    catalog = catalog or Catalog(tmp_path / "l.db")
    target = load_layout("sage50", entity)
    normal = rows_frame(rows)  # hand-made: already in canonical spelling (ISO dates, TRUE/FALSE)
    spec = BIZOPS_DOCS[entity]
    labels, found = group_by_key(normal, spec.key)
    assert found == []
    template = load_map(default_map_path("bizops", "sage50", entity).resolve())
    mctx = MapContext(settings=settings, source_system="bizops", date_order="mdy", target_layout=target)
    mapped = apply_map(normal, template, mctx)
    ctx = BuildContext(settings, catalog, target, [])
    out = build_sage(mapped, normal, labels, spec, ctx)
    return out, mctx.issues + ctx.issues


def col(out: pd.DataFrame, name: str) -> list[str]:
    return out[name].fillna("").astype(str).tolist()


def docs(out: pd.DataFrame) -> list[pd.DataFrame]:
    return [g for _, g in out.groupby(DOC, sort=False)]


def balance(out: pd.DataFrame, header: str) -> list[int]:
    """Header amount + distributions, in cents, per document (0 = balanced)."""
    return [cents(float(g[header].iloc[0])) + sum(cents(float(a)) for a in g["Amount"]) for g in docs(out)]


def invoice(number="INV-1", **header) -> dict[str, str]:
    base = {
        "InvoiceNumber": number,
        "DocumentType": "Invoice",
        "InvoiceDate": "2026-06-01",
        "DueDate": "",
        "CustomerID": "C1",
        "Terms": "",
        "Status": "Finalized",
        "SalesTaxCode": "",
        "SalesTaxAmount": "",
        "FreightAmount": "",
    }
    return {**base, **header}


def line(n, sku="A", qty="1", price="10.00", amount=None, **more) -> dict[str, str]:
    amount = amount if amount is not None else f"{float(qty) * float(price):.2f}"
    return {
        "LineNumber": str(n),
        "SKU": sku,
        "Description": f"item {sku}",
        "Quantity": qty,
        "UnitPrice": price,
        "Amount": amount,
        "GLAccount": "",
        **more,
    }


def taxed_invoice(number="INV-1", **header) -> list[dict[str, str]]:
    head = invoice(number, SalesTaxCode="GA", SalesTaxAmount="1.41", FreightAmount="5.00", **header)
    return [
        {**head, **line(1, "A", "2", "9.95")},
        {**head, **line(2, "B", "3", "4.75", GLAccount="40100")},
    ]


# ================================================================= BizOps -> Sage: sales journal


@pytest.fixture(scope="module")
def taxed(tmp_path_factory) -> pd.DataFrame:
    """One invoice with two lines, sales tax and freight, built once for several tests."""
    tmp_path = tmp_path_factory.mktemp("taxed")
    out, issues = build("invoices", taxed_invoice(), tmp_path)
    assert issues == []
    return out


def test_invoice_signs_tax_and_freight_rows(taxed):
    out = taxed
    assert col(out, KIND) == ["item", "item", "tax", "freight"]
    assert col(out, "Amount") == ["-19.90", "-14.25", "-1.41", "-5.00"]
    assert col(out, "Quantity")[:2] == ["2.00", "3.00"]
    assert col(out, "Unit Price")[:2] == ["9.95", "4.75"]
    assert set(col(out, "Accounts Receivable Amount")) == {"40.56"}
    assert set(col(out, "Accounts Receivable Account")) == {"11000"}
    assert set(col(out, "Credit Memo")) == {"FALSE"}


def test_invoice_tax_row(taxed):
    tax = taxed[taxed[KIND] == "tax"].iloc[0]
    assert tax["Tax Type"] == "0"
    assert tax["Sales Tax Agency ID"] == "GA-DOR"
    assert tax["G/L Account"] == "23100"
    assert tax["Item ID"] == "" and tax["Quantity"] == ""
    assert int(tax.name) == 2  # a tax row carries the document's first source row


def test_invoice_freight_row(taxed):
    freight = taxed[taxed[KIND] == "freight"].iloc[0]
    assert freight["G/L Account"] == "40600"
    assert freight["Item ID"] == "" and freight["Amount"] == "-5.00"
    assert pd.isna(freight.get("Sales Tax Agency ID")) or freight["Sales Tax Agency ID"] == ""


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> pd.DataFrame:
    """INV-1 (two lines, tax, freight), INV-2 (one line, another customer), CM-1 crediting INV-1."""
    tmp_path = tmp_path_factory.mktemp("mixed")
    cm = invoice(
        "CM-1", DocumentType="CreditMemo", AppliesToInvoice="INV-1", SalesTaxCode="GA", SalesTaxAmount="0.70"
    )
    rows = [
        *taxed_invoice("INV-1"),
        {**invoice("INV-2", CustomerID="C2"), **line(1, "C", "1", "3.00")},
        {**cm, **line(1, "A", "2", "5.00", CreditReason="Return")},
    ]
    out, issues = build("invoices", rows, tmp_path)
    assert issues == []
    return out


def test_invoice_numbering_and_number_of_distributions(mixed):
    first, second, third = docs(mixed)
    assert col(first, "Number of Distributions") == ["4"] * 4  # tax and freight rows count
    assert col(first, "Invoice/CM Distribution") == ["1", "2", "3", "4"]
    assert col(second, "Number of Distributions") == ["1"]
    assert col(second, "Invoice/CM Distribution") == ["1"]
    assert col(third, "Number of Distributions") == ["2"] * 2
    assert col(third, "Invoice/CM Distribution") == ["1", "2"]


def test_header_fields_are_repeated_on_every_row_and_documents_are_contiguous(mixed):
    out = mixed
    assert col(out, "Invoice/CM #") == ["INV-1"] * 4 + ["INV-2"] + ["CM-1"] * 2
    assert col(out, "Customer ID") == ["C1"] * 4 + ["C2"] + ["C1"] * 2
    for name in ("Date", "Date Due", "Accounts Receivable Account", "Accounts Receivable Amount"):
        for g in docs(out):
            assert g[name].nunique() == 1 and g[name].iloc[0] != "", name
    labels = out[DOC]
    assert (labels != labels.shift()).sum() == 3  # each document's rows are together


def test_credit_memo_reverses_signs(mixed):
    out = mixed[mixed["Invoice/CM #"] == "CM-1"]
    assert set(col(out, "Credit Memo")) == {"TRUE"}
    assert set(col(out, "Apply to Invoice Number")) == {"INV-1"}
    assert set(col(out, "Accounts Receivable Amount")) == {"-10.70"}
    assert col(out, "Amount") == ["10.00", "0.70"]
    assert col(out, "Quantity")[0] == "-2.00"  # negative, as Sage exports credit memos
    assert col(out, "Unit Price")[0] == "5.00"
    assert col(out, "Item ID")[0] == "A"  # a Return keeps its item


def test_invoice_and_credit_memo_in_one_file(mixed):
    out = mixed
    assert col(out, "Credit Memo") == ["FALSE"] * 5 + ["TRUE"] * 2
    assert [g["Accounts Receivable Amount"].iloc[0] for g in docs(out)] == ["40.56", "3.00", "-10.70"]
    assert col(out, "Amount") == ["-19.90", "-14.25", "-1.41", "-5.00", "-3.00", "10.00", "0.70"]
    assert balance(out, "Accounts Receivable Amount") == [0, 0, 0]


def test_every_document_balances_to_the_cent(tmp_path):
    rows = [
        {**invoice("I1", SalesTaxCode="GA", SalesTaxAmount="0.07"), **line(1, "A", "3", "0.3333", "1.00")},
        {**invoice("I1", SalesTaxCode="GA", SalesTaxAmount="0.07"), **line(2, "B", "7", "1.1100")},
        {**invoice("I2", FreightAmount="0.01"), **line(1, "C", "0", "0", "0.01")},
        {**invoice("I3", DocumentType="CreditMemo", SalesTaxCode="GA", SalesTaxAmount="0.33"), **line(1)},
    ]
    out, issues = build("invoices", rows, tmp_path)
    assert issues == []
    assert balance(out, "Accounts Receivable Amount") == [0, 0, 0]
    assert col(out, "Accounts Receivable Amount")[0] == "8.84"


def test_damaged_credit_memo_lines_go_to_the_returns_item(tmp_path):
    catalog = Catalog(tmp_path / "l.db")
    catalog.record("bizops", "products", [("THERMO", {"title": "Thermometer"})], source="test")
    head = invoice("CM-1", DocumentType="CreditMemo")
    rows = [
        {**head, **line(1, "A", CreditReason="Return")},
        {**head, **line(2, "THERMO", CreditReason="Damaged")},
        {**head, **line(3, "UNKNOWN", CreditReason="damaged")},  # not in the catalog: line description
    ]
    out, issues = build("invoices", rows, tmp_path, catalog=catalog)
    assert issues == []
    assert col(out, "Item ID") == ["A", "DAMAGED", "DAMAGED"]
    assert col(out, "Description") == ["item A", "THERMO Thermometer", "UNKNOWN item UNKNOWN"]
    assert col(out, "Amount") == ["10.00", "10.00", "10.00"]


def test_damaged_reason_on_an_invoice_changes_nothing(tmp_path):
    rows = [{**invoice("I1"), **line(1, "A", CreditReason="Damaged")}]
    out, _ = build("invoices", rows, tmp_path, settings=config(tmp_path, drop=("damaged_returns_item",)))
    assert col(out, "Item ID") == ["A"]


def test_damaged_lines_need_the_returns_item_setting(tmp_path):
    rows = [{**invoice("CM1", DocumentType="CreditMemo"), **line(1, "A", CreditReason="Damaged")}]
    with pytest.raises(ConfigError, match=r"sage50\.damaged_returns_item"):
        build("invoices", rows, tmp_path, settings=config(tmp_path, drop=("damaged_returns_item",)))


def test_damaged_lines_without_a_description_column(tmp_path):
    catalog = Catalog(tmp_path / "l.db")
    catalog.record("bizops", "products", [("THERMO", {"title": "Thermometer"})], source="test")
    row = {**invoice("CM1", DocumentType="CreditMemo"), **line(1, "THERMO", CreditReason="Damaged")}
    del row["Description"]
    out, _ = build("invoices", [row], tmp_path, catalog=catalog)
    assert col(out, "Description") == ["THERMO Thermometer"]


def test_tax_code_without_settings_is_a_missing_setting_error(tmp_path):
    rows = [
        {**invoice("I1", SalesTaxCode="NY", SalesTaxAmount="1.00"), **line(1)},
        {**invoice("I1", SalesTaxCode="NY", SalesTaxAmount="1.00"), **line(2)},
        {**invoice("I2", SalesTaxCode="GA", SalesTaxAmount="1.00"), **line(1)},
    ]
    _, issues = build("invoices", rows, tmp_path)
    assert rcc(issues) == {(2, "SalesTaxCode", "missing-setting")}
    assert "sage50.sales_tax.NY" in issues[0].message and "agency" in issues[0].message


def test_tax_setting_without_an_account_is_a_missing_setting_error(tmp_path):
    settings = config(tmp_path, sales_tax={"GA": {"agency": "GA-DOR"}})
    _, issues = build("invoices", taxed_invoice(), tmp_path, settings=settings)
    assert rcc(issues) == {(2, "SalesTaxCode", "missing-setting")}
    assert "sage50.sales_tax.GA" in issues[0].message


def test_tax_amount_without_a_tax_code(tmp_path):
    rows = [{**invoice("I1", SalesTaxAmount="1.00"), **line(1)}]
    _, issues = build("invoices", rows, tmp_path)
    assert rcc(issues) == {(2, "SalesTaxCode", "missing-setting")}
    assert "sage50.sales_tax." in issues[0].message


def test_tax_amount_without_a_tax_code_column(tmp_path):
    row = {**invoice("I1", SalesTaxAmount="1.00"), **line(1)}
    del row["SalesTaxCode"]
    _, issues = build("invoices", [row], tmp_path)
    assert rcc(issues) == {(2, "SalesTaxCode", "missing-setting")}


def test_zero_tax_and_freight_add_no_rows(tmp_path):
    rows = [{**invoice("I1", SalesTaxCode="NY", SalesTaxAmount="0.00", FreightAmount="0"), **line(1)}]
    out, issues = build("invoices", rows, tmp_path)
    assert issues == [] and col(out, KIND) == ["item"]


def test_freight_without_freight_account_is_a_missing_setting_error(tmp_path):
    settings = config(tmp_path, drop=("freight_account",))
    _, issues = build("invoices", taxed_invoice(), tmp_path, settings=settings)
    assert rcc(issues) == {(2, "FreightAmount", "missing-setting")}
    assert "sage50.freight_account" in issues[0].message


def test_missing_ar_account_stops_with_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"sage50\.ar_account"):
        build("invoices", taxed_invoice(), tmp_path, settings=config(tmp_path, drop=("ar_account",)))


# ----------------------------------------------------------------- Date Due


def due(out: pd.DataFrame) -> list[str]:
    return [g["Date Due"].iloc[0] for g in docs(out)]


def test_date_due_chain_all_four_sources(tmp_path):
    catalog = Catalog(tmp_path / "l.db")
    catalog.record("bizops", "customers", [("KNOWN", {"terms_due_days": "45"})], source="t")
    catalog.record("sage50", "customers", [("SAGEONLY", {"terms_due_days": "20"})], source="t")
    catalog.record("sage50", "customers", [("STANDARD", {"terms_due_days": ""})], source="t")
    rows = [
        # 1. the document's DueDate wins over everything
        {**invoice("I1", DueDate="2026-06-05", Terms="Net 15", CustomerID="KNOWN"), **line(1)},
        # 2. Net N in Terms wins over the customer's terms
        {**invoice("I2", Terms="2% 10, Net 15", CustomerID="KNOWN"), **line(1)},
        # 3. the customer's TermsDueDays from the catalog (BizOps, else Sage)
        {**invoice("I3", Terms="Prepaid", CustomerID="KNOWN"), **line(1)},
        {**invoice("I4", CustomerID="sageonly"), **line(1)},
        # 4. the config default (customer on standard terms, or unknown)
        {**invoice("I5", CustomerID="STANDARD"), **line(1)},
        {**invoice("I6", CustomerID="NOBODY"), **line(1)},
    ]
    settings = config(tmp_path, default_due_days=10)
    out, issues = build("invoices", rows, tmp_path, settings=settings, catalog=catalog)
    assert issues == []
    assert due(out) == ["2026-06-05", "2026-06-16", "2026-07-16", "2026-06-21", "2026-06-11", "2026-06-11"]


def test_date_due_default_is_30_days(tmp_path):
    out, _ = build("invoices", [{**invoice("I1", InvoiceDate="2026-12-15"), **line(1)}], tmp_path)
    assert due(out) == ["2027-01-14"]


def test_date_due_on_tax_and_freight_rows_too(taxed):
    assert col(taxed, "Date Due") == ["2026-07-01"] * 4


def test_date_due_for_purchases_uses_the_vendor(tmp_path):
    catalog = Catalog(tmp_path / "l.db")
    catalog.record("sage50", "vendors", [("V1", {"terms_due_days": "45"})], source="t")
    rows = [
        {**receipt("R1", DueDate="2026-06-30"), **receipt_line(1)},
        {**receipt("R2"), **receipt_line(1)},
        {**receipt("R3", VendorID="V2"), **receipt_line(1)},
    ]
    out, issues = build("po_receipts", rows, tmp_path, catalog=catalog)
    assert issues == []
    assert due(out) == ["2026-06-30", "2026-07-16", "2026-07-01"]


# ----------------------------------------------------------------- G/L account


def test_gl_account_chain_for_sales(tmp_path):
    catalog = Catalog(tmp_path / "l.db")
    catalog.record("bizops", "products", [("P-BIZ", {"sales_account": "40700"})], source="t")
    catalog.record("sage50", "products", [("P-SAGE", {"sales_account": "40800"})], source="t")
    head = invoice("I1")
    rows = [
        {**head, **line(1, "P-BIZ", GLAccount="40500")},  # the line's own
        {**head, **line(2, "P-BIZ")},  # the product's (BizOps)
        {**head, **line(3, "p-sage")},  # the product's (Sage), IDs case-insensitive
        {**head, **line(4, "OTHER")},  # the config default
        {**head, **line(5, "")},
    ]
    out, issues = build("invoices", rows, tmp_path, catalog=catalog)
    assert issues == []
    assert col(out, "G/L Account") == ["40500", "40700", "40800", "40000", "40000"]


def test_gl_account_chain_for_purchases_uses_the_inventory_account(tmp_path):
    catalog = Catalog(tmp_path / "l.db")
    catalog.record(
        "bizops", "products", [("P1", {"sales_account": "40700", "inventory_account": "12100"})], source="t"
    )
    head = purchase_order("PO1")
    rows = [
        {**head, **po_line(1, "P1", GLAccount="57000")},
        {**head, **po_line(2, "P1")},
        {**head, **po_line(3, "OTHER")},
    ]
    out, issues = build("purchase_orders", rows, tmp_path, catalog=catalog)
    assert issues == []
    assert col(out, "G/L Account") == ["57000", "12100", "12000"]


def test_missing_account_names_document_and_line(tmp_path):
    settings = config(tmp_path, drop=("default_sales_account",))
    rows = [
        {**invoice("I1"), **line(1, "A", GLAccount="40500")},
        {**invoice("I1"), **line(2, "B")},
        {**invoice("I2"), **line(7, "C")},
    ]
    _, issues = build("invoices", rows, tmp_path, settings=settings)
    assert rcc(issues) == {(3, "GLAccount", "missing-account"), (4, "GLAccount", "missing-account")}
    by_row = {i.row: i.message for i in issues}
    assert "I1" in by_row[3] and "2" in by_row[3] and "sage50.default_sales_account" in by_row[3]
    assert "I2" in by_row[4] and "7" in by_row[4]


def test_missing_purchase_account_names_the_purchase_key(tmp_path):
    settings = config(tmp_path, drop=("default_purchase_account",))
    _, issues = build(
        "purchase_orders", [{**purchase_order("PO1"), **po_line(1)}], tmp_path, settings=settings
    )
    assert rcc(issues) == {(2, "GLAccount", "missing-account")}
    assert "sage50.default_purchase_account" in issues[0].message and "PO1" in issues[0].message


# ----------------------------------------------------------------- too many distributions


def test_154_distributions_fit_the_sales_journal(tmp_path):
    rows = [{**invoice("BIG"), **line(n, f"S{n}")} for n in range(1, 155)]
    out, issues = build("invoices", rows, tmp_path)
    assert issues == [] and set(col(out, "Number of Distributions")) == {"154"}


def test_155_lines_on_an_invoice_are_too_many(tmp_path):
    rows = [{**invoice("BIG"), **line(n, f"S{n}")} for n in range(1, 156)]
    rows.append({**invoice("SMALL"), **line(1)})
    out, issues = build("invoices", rows, tmp_path)
    assert rcc(issues) == {(2, None, "too-many-distributions")}
    assert "155" in issues[0].message and "154" in issues[0].message
    assert len(out) == 156  # flagged, never split


def test_tax_rows_count_towards_the_limit(tmp_path):
    head = invoice("BIG", SalesTaxCode="GA", SalesTaxAmount="1.00")
    rows = [{**head, **line(n, f"S{n}")} for n in range(1, 155)]
    _, issues = build("invoices", rows, tmp_path)
    assert rcc(issues) == {(2, None, "too-many-distributions")}


@pytest.mark.parametrize(("lines", "bad"), [(160, False), (161, True)])
def test_purchase_order_limit_is_160(tmp_path, lines, bad):
    rows = [{**purchase_order("PO1"), **po_line(n, f"S{n}")} for n in range(1, lines + 1)]
    out, issues = build("purchase_orders", rows, tmp_path)
    assert rcc(issues) == ({(2, None, "too-many-distributions")} if bad else set())
    assert len(out) == lines and col(out, "PO Distribution")[-1] == str(lines)


# ================================================================= BizOps -> Sage: other journals


def order(number="SO-1", **header) -> dict[str, str]:
    return {"OrderNumber": number, "OrderDate": "2026-06-01", "CustomerID": "C1", **header}


def test_sales_order_lines_negative_tax_row_and_numbering(tmp_path):
    head = order("SO-1", SalesTaxCode="GA", SalesTaxAmount="0.50")
    rows = [{**head, **line(1, "A", "2", "2.50")}, {**head, **line(2, "B", "1", "5.00")}]
    out, issues = build("orders", rows, tmp_path)
    assert issues == []
    assert col(out, KIND) == ["item", "item", "tax"]
    assert col(out, "Amount") == ["-5.00", "-5.00", "-0.50"]
    assert col(out, "Quantity")[:2] == ["2.00", "1.00"]
    assert set(col(out, "Accounts Receivable Amount")) == {"10.50"}
    assert set(col(out, "Accounts Receivable Account")) == {"11000"}
    assert col(out, "SO/Proposal Distribution") == ["1", "2", "3"]
    assert set(col(out, "Number of Distributions")) == {"3"}
    assert set(col(out, "Sales Order/Proposal #")) == {"SO-1"}
    assert "Date Due" not in out.columns
    assert balance(out, "Accounts Receivable Amount") == [0]


def payment(reference="4417", customer="C1", **header) -> dict[str, str]:
    return {
        "PaymentReference": reference,
        "PaymentDate": "2026-06-26",
        "CustomerID": customer,
        "PaymentMethod": "Check",
        "CashAccount": "",
        **header,
    }


def test_cash_receipt_invoice_rows_negative_on_the_ar_account(tmp_path):
    rows = [
        {**payment(), "InvoiceNumber": "I1", "AmountApplied": "105.72"},
        {**payment(), "InvoiceNumber": "I2", "AmountApplied": "756.41"},
        {**payment("ACH1", "C2", CashAccount="10300"), "InvoiceNumber": "I3", "AmountApplied": "10.00"},
    ]
    out, issues = build("payments", rows, tmp_path)
    assert issues == []
    assert col(out, "Amount") == ["-105.72", "-756.41", "-10.00"]
    assert set(col(out, "G/L Account")) == {"11000"}
    assert col(out, "Invoice Paid") == ["I1", "I2", "I3"]
    assert col(out, "Cash Amount") == ["862.13", "862.13", "10.00"]
    assert col(out, TOTAL_PAID) == ["-862.13", "-862.13", "-10.00"]
    assert col(out, "Cash Account") == ["10200", "10200", "10300"]  # the row's own, else the config's
    assert col(out, "Number of Distributions") == ["2", "2", "1"]
    assert balance(out, "Cash Amount") == [0, 0]


def test_cash_receipt_discount_needs_the_discount_account(tmp_path):
    rows = [{**payment(), "InvoiceNumber": "I1", "AmountApplied": "98.00", "DiscountTaken": "2.00"}]
    with pytest.raises(ConfigError, match=r"sage50\.discount_account"):
        build("payments", rows, tmp_path)
    out, issues = build("payments", rows, tmp_path, settings=config(tmp_path, discount_account="49000"))
    assert issues == [] and col(out, "Discount Account") == ["49000"]


def purchase_order(number="PO-1", **header) -> dict[str, str]:
    return {"PONumber": number, "PODate": "2026-06-01", "VendorID": "V1", "Terms": "", **header}


def po_line(n, sku="A", qty="1", cost="10.00", **more) -> dict[str, str]:
    return {
        "LineNumber": str(n),
        "SKU": sku,
        "Quantity": qty,
        "UnitCost": cost,
        "Amount": f"{float(qty) * float(cost):.2f}",
        "GLAccount": "",
        **more,
    }


def test_purchase_order_amounts_positive_ap_negative(tmp_path):
    rows = [
        {**purchase_order("PO-1"), **po_line(1, "A", "500", "5.125")},
        {**purchase_order("PO-1"), **po_line(2, "B", "12", "71.50")},
        {**purchase_order("PO-2"), **po_line(1, "C")},
    ]
    out, issues = build("purchase_orders", rows, tmp_path)
    assert issues == []
    assert col(out, "Amount") == ["2562.50", "858.00", "10.00"]
    assert col(out, "Quantity") == ["500.00", "12.00", "1.00"]
    assert col(out, "Accounts Payable Amount") == ["-3420.50", "-3420.50", "-10.00"]
    assert set(col(out, "Accounts Payable Account")) == {"20000"}
    assert col(out, "PO Distribution") == ["1", "2", "1"]
    assert col(out, "Number of Distributions") == ["2", "2", "1"]
    assert balance(out, "Accounts Payable Amount") == [0, 0]


def receipt(number="RCV-1", **header) -> dict[str, str]:
    return {
        "ReceiptNumber": number,
        "ReceiptDate": "2026-06-01",
        "VendorID": "V1",
        "PONumber": "PO-1",
        "VendorInvoiceNumber": "",
        "DueDate": "",
        "Billed": "FALSE",
        **header,
    }


def receipt_line(n, sku="A", qty="1", cost="10.00") -> dict[str, str]:
    return {
        "LineNumber": str(n),
        "POLineNumber": str(n),
        "SKU": sku,
        "QuantityReceived": qty,
        "UnitCost": cost,
        "Amount": f"{float(qty) * float(cost):.2f}",
        "GLAccount": "",
    }


def test_purchase_journal_receipt(tmp_path):
    head = receipt("RCV-1", VendorInvoiceNumber="MM-558120", Billed="TRUE")
    rows = [{**head, **receipt_line(1, "A", "300", "5.125")}, {**head, **receipt_line(2, "B", "12", "71.5")}]
    out, issues = build("po_receipts", rows, tmp_path)
    assert issues == []
    assert col(out, "Amount") == ["1537.50", "858.00"]
    assert set(col(out, "Accounts Payable Amount")) == {"-2395.50"}
    assert set(col(out, "Credit Memo")) == {"FALSE"}
    assert set(col(out, "Invoice/CM #")) == {"MM-558120"}
    assert col(out, "Invoice/CM Distribution") == ["1", "2"]
    assert col(out, "PO Distribution") == ["1", "2"]
    assert set(col(out, "Waiting on Bill")) == {"FALSE"}
    assert set(col(out, "Date Due")) == {"2026-07-01"}
    assert balance(out, "Accounts Payable Amount") == [0]


# ================================================================= Sage -> BizOps


def sage_frame(entity: str, rows: list[dict[str, str]]) -> tuple[pd.DataFrame, pd.Series]:
    frame = rows_frame(rows)
    journal = JOURNALS[entity]
    labels, issues = group_by_count(
        frame, (journal.partner, journal.number), "Number of Distributions", "Transaction Number"
    )
    assert issues == []
    return frame, labels


def sales(number, n, amount_ar, credit="FALSE", customer="ALDEN", txn="") -> dict[str, str]:
    return {
        "Customer ID": customer,
        "Invoice/CM #": number,
        "Credit Memo": credit,
        "Accounts Receivable Amount": amount_ar,
        "Number of Distributions": str(n),
        "Transaction Number": txn,
    }


def dist(seq, qty, item, gl, price, amount, agency="") -> dict[str, str]:
    return {
        "Invoice/CM Distribution": str(seq),
        "Quantity": qty,
        "Item ID": item,
        "G/L Account": gl,
        "Unit Price": price,
        "Amount": amount,
        "Sales Tax Agency ID": agency,
    }


SALES_ROWS = [
    {**sales("10502", 4, "1673.50"), **dist(1, "1.00", "PREVENAR  13", "40000", "1580.00", "-1580.00")},
    {**sales("10502", 4, "1673.50"), **dist(2, "2.00", "BOX-COLD-12", "40000", "24.00", "-48.00")},
    {**sales("10502", 4, "1673.50"), **dist(3, "0.00", "", "40600", "0.00", "-42.50")},
    {**sales("10502", 4, "1673.50"), **dist(0, "0.00", "", "23100", "0.00", "-3.00", "MA-DOR")},
    {**sales("CM-10501", 3, "-81.39", "TRUE"), **dist(1, "-4.00", "GLV-NIT-M", "40000", "9.95", "39.80")},
    {**sales("CM-10501", 3, "-81.39", "TRUE"), **dist(2, "-2.00", "SYR-3ML.LL", "40000", "18.40", "36.80")},
    {**sales("CM-10501", 3, "-81.39", "TRUE"), **dist(0, "0.00", "", "23100", "0.00", "4.79", "MA-DOR")},
]


def test_classify_sage_rows(tmp_path):
    frame, _ = sage_frame("invoices", SALES_ROWS)
    kind = classify_sage_rows(frame, JOURNALS["invoices"], config(tmp_path))
    assert kind.tolist() == ["item", "item", "freight", "tax", "item", "item", "tax"]


def test_an_item_on_the_freight_account_stays_an_item(tmp_path):
    rows = [{**sales("1", 1, "5.00"), **dist(1, "1.00", "SHIP", "40600", "5.00", "-5.00")}]
    frame, _ = sage_frame("invoices", rows)
    assert classify_sage_rows(frame, JOURNALS["invoices"], config(tmp_path)).tolist() == ["item"]


def test_without_a_freight_account_nothing_is_freight(tmp_path):
    frame, _ = sage_frame("invoices", SALES_ROWS)
    kind = classify_sage_rows(frame, JOURNALS["invoices"], config(tmp_path, drop=("freight_account",)))
    assert kind.tolist() == ["item", "item", "item", "tax", "item", "item", "tax"]


def test_purchases_have_no_tax_or_freight_rows(tmp_path):
    rows = [
        {"Vendor ID": "V", "Invoice/CM #": "B1", "Number of Distributions": "1", "Item ID": "", "G/L Account": "40600",
         "Amount": "5.00", "Sales Tax Agency ID": "X"}
    ]  # fmt: skip
    frame, _ = sage_frame("po_receipts", rows)
    assert classify_sage_rows(frame, JOURNALS["po_receipts"], config(tmp_path)).tolist() == ["item"]


def test_split_sage_sales_journal(tmp_path):
    frame, labels = sage_frame("invoices", SALES_ROWS)
    lines, extras = split_sage(frame, labels, JOURNALS["invoices"], config(tmp_path))
    assert lines.index.tolist() == [2, 3, 6, 7]  # tax and freight rows are not lines
    assert col(lines, "Item ID") == ["PREVENAR  13", "BOX-COLD-12", "GLV-NIT-M", "SYR-3ML.LL"]
    assert col(lines, "Amount") == ["1580.00", "48.00", "39.80", "36.80"]  # BizOps: positive
    assert col(lines, "Quantity") == ["1.00", "2.00", "4.00", "2.00"]
    assert col(extras, "__line__") == ["1", "2", "1", "2"]
    assert col(extras, "__tax__") == ["3.00", "3.00", "4.79", "4.79"]
    assert col(extras, "__freight__") == ["42.50", "42.50", "0.00", "0.00"]
    assert extras["__credit__"].tolist() == [False, False, True, True]
    assert extras[DOC].tolist() == labels[lines.index].tolist()


def test_split_sage_renumbers_lines_with_gaps(tmp_path):
    # Real exports number lines with gaps (an invoice whose only line is 2).
    rows = [{**sales("10509", 1, "5.00"), **dist(2, "1.00", "A", "40000", "5.00", "-5.00")}]
    frame, labels = sage_frame("invoices", rows)
    _, extras = split_sage(frame, labels, JOURNALS["invoices"], config(tmp_path))
    assert col(extras, "__line__") == ["1"]


def test_split_sage_other_journals(tmp_path):
    so = [
        {"Customer ID": "ALDEN", "Sales Order/Proposal #": "2201", "Number of Distributions": "2", "Quantity": "30.00",
         "Item ID": "GLV", "G/L Account": "40000", "Amount": "-298.50", "Sales Tax Agency ID": ""},
        {"Customer ID": "ALDEN", "Sales Order/Proposal #": "2201", "Number of Distributions": "2", "Quantity": "0.00",
         "Item ID": "", "G/L Account": "23100", "Amount": "-47.41", "Sales Tax Agency ID": "MA-DOR"},
    ]  # fmt: skip
    frame, labels = sage_frame("orders", so)
    lines, extras = split_sage(frame, labels, JOURNALS["orders"], config(tmp_path))
    assert col(lines, "Amount") == ["298.50"] and col(extras, "__tax__") == ["47.41"]

    po = [{"Vendor ID": "M", "PO #": "3101", "Number of Distributions": "1", "Quantity": "600.00", "Item ID": "GLV",
           "G/L Account": "12000", "Amount": "3072.00"}]  # fmt: skip
    frame, labels = sage_frame("purchase_orders", po)
    lines, _ = split_sage(frame, labels, JOURNALS["purchase_orders"], config(tmp_path))
    assert col(lines, "Amount") == ["3072.00"] and col(lines, "Quantity") == ["600.00"]

    receipts = [
        {"Customer ID": "ALDEN", "Reference": "4471", "Number of Distributions": "2", "Invoice Paid": "10501",
         "G/L Account": "11000", "Amount": "-1831.94"},
        {"Customer ID": "ALDEN", "Reference": "4471", "Number of Distributions": "2", "Invoice Paid": "10504",
         "G/L Account": "11000", "Amount": "-645.51"},
    ]  # fmt: skip
    frame, labels = sage_frame("payments", receipts)
    lines, _ = split_sage(frame, labels, JOURNALS["payments"], config(tmp_path))
    assert col(lines, "Amount") == ["1831.94", "645.51"]


def test_vendor_credit_memo_reads_back_positive(tmp_path):
    rows = [
        {"Vendor ID": "M", "Invoice/CM #": "VCM-1", "Credit Memo": "TRUE", "Accounts Payable Amount": "51.20",
         "Number of Distributions": "1", "Quantity": "-10.00", "Item ID": "GLV", "G/L Account": "12000",
         "Amount": "-51.20"}
    ]  # fmt: skip
    frame, labels = sage_frame("po_receipts", rows)
    lines, extras = split_sage(frame, labels, JOURNALS["po_receipts"], config(tmp_path))
    assert col(lines, "Amount") == ["51.20"] and col(lines, "Quantity") == ["10.00"]
    assert extras["__credit__"].tolist() == [True]
    assert check_balance(frame, labels, JOURNALS["po_receipts"]) == []


def test_check_balance_accepts_balanced_documents(tmp_path):
    frame, labels = sage_frame("invoices", SALES_ROWS)
    assert check_balance(frame, labels, JOURNALS["invoices"]) == []


def test_check_balance_rejects_a_cent_off_with_the_difference(tmp_path):
    rows = [dict(r) for r in SALES_ROWS]
    for r in rows[:4]:
        r["Accounts Receivable Amount"] = "1673.51"
    frame, labels = sage_frame("invoices", rows)
    issues = check_balance(frame, labels, JOURNALS["invoices"])
    assert rcc(issues) == {(2, "Accounts Receivable Amount", "unbalanced")}
    assert "0.01" in issues[0].message and "1673.51" in issues[0].message


def test_check_balance_of_purchases_and_orders(tmp_path):
    rows = [
        {"Vendor ID": "M", "Invoice/CM #": "B1", "Accounts Payable Amount": "-4734.00", "Number of Distributions": "2",
         "Amount": "3072.00"},
        {"Vendor ID": "M", "Invoice/CM #": "B1", "Accounts Payable Amount": "-4734.00", "Number of Distributions": "2",
         "Amount": "1662.00"},
        {"Vendor ID": "M", "Invoice/CM #": "B2", "Accounts Payable Amount": "-100.00", "Number of Distributions": "1",
         "Amount": "99.00"},
    ]  # fmt: skip
    frame, labels = sage_frame("po_receipts", rows)
    issues = check_balance(frame, labels, JOURNALS["po_receipts"])
    assert rcc(issues) == {(4, "Accounts Payable Amount", "unbalanced")}
    assert "1.00" in issues[0].message


def test_check_balance_of_receipts_by_cash_amount_or_total_paid(tmp_path):
    base = {
        "Customer ID": "ALDEN",
        "Reference": "4471",
        "Number of Distributions": "2",
        "G/L Account": "11000",
    }
    rows = [
        {**base, "Cash Amount": "2477.45", TOTAL_PAID: "-2477.45", "Amount": "-1831.94"},
        {**base, "Cash Amount": "2477.45", TOTAL_PAID: "-2477.45", "Amount": "-645.51"},
    ]
    frame, labels = sage_frame("payments", rows)
    assert check_balance(frame, labels, JOURNALS["payments"]) == []
    # Without Cash Amount (it is export-only), Total Paid on Invoice(s) is checked.
    frame = frame.drop(columns=["Cash Amount"])
    assert check_balance(frame, labels, JOURNALS["payments"]) == []
    frame[TOTAL_PAID] = "-2477.46"
    issues = check_balance(frame, labels, JOURNALS["payments"])
    assert rcc(issues) == {(2, TOTAL_PAID, "unbalanced")}
    assert "0.01" in issues[0].message


def test_check_balance_without_a_header_amount_column(tmp_path):
    # Peachtree 2010 has no Accounts Receivable Amount: nothing to check against.
    frame, labels = sage_frame("invoices", SALES_ROWS)
    frame = frame.drop(columns=["Accounts Receivable Amount"])
    assert check_balance(frame, labels, JOURNALS["invoices"]) == []


def test_check_balance_skips_documents_whose_header_amount_is_blank_everywhere(tmp_path):
    frame, labels = sage_frame("invoices", SALES_ROWS)
    frame["Accounts Receivable Amount"] = ""
    assert check_balance(frame, labels, JOURNALS["invoices"]) == []


def test_check_balance_skips_a_blank_header_amount_next_to_filled_ones(tmp_path):
    rows = [dict(r) for r in SALES_ROWS]
    for r in rows[4:]:
        r["Accounts Receivable Amount"] = ""
    frame, labels = sage_frame("invoices", rows)
    assert check_balance(frame, labels, JOURNALS["invoices"]) == []


# ================================================================= both ways


def test_built_journal_reads_back_to_the_same_documents(tmp_path):
    rows = [
        *taxed_invoice("I1"),
        {
            **invoice("CM1", DocumentType="CreditMemo", SalesTaxCode="GA", SalesTaxAmount="0.33"),
            **line(1, qty="2"),
        },
    ]
    settings = config(tmp_path)
    out, _ = build("invoices", rows, tmp_path, settings=settings)
    sage = out.drop(columns=[DOC, KIND]).reset_index(drop=True)
    sage.index = range(2, 2 + len(sage))
    journal = JOURNALS["invoices"]
    labels, issues = group_by_count(sage, (journal.partner, journal.number), "Number of Distributions", None)
    assert issues == [] and check_balance(sage, labels, journal) == []
    lines, extras = split_sage(sage, labels, journal, settings)
    assert col(lines, "Amount") == ["19.90", "14.25", "20.00"]
    assert col(lines, "Quantity") == ["2.00", "3.00", "2.00"]
    assert col(extras, "__tax__") == ["1.41", "1.41", "0.33"]
    assert col(extras, "__freight__") == ["5.00", "5.00", "0.00"]
    assert extras["__credit__"].tolist() == [False, False, True]
