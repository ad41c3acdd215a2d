"""Data generation, part 3: invoice documents, written as BizOps invoices.csv and Sage 50
SALES.CSV in streamed chunks; ``generate`` makes one case's input file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .config import CASES, Case
from .masters import Masters, bizops_customers, sage_customers
from .vocab import (
    BIZOPS_INVOICE_COLS,
    DAYS,
    ISO_DATES,
    SAGE_DATES,
    SAGE_SALES_COLS,
    SHIP_VIA,
    TAX_ACCOUNT,
    TAX_AGENCY,
    TAX_NAME,
    TAX_RATE,
    TERMS,
    TERMS_P,
    ids,
    join,
    money,
    qty_text,
    rng_for,
)


@dataclass
class Docs:
    """A run of documents and their lines (the parts both transaction layouts share)."""

    n_docs: int
    lines: np.ndarray  # item lines per document
    doc_of_line: np.ndarray
    seq: np.ndarray  # 1..k within a document
    cust: np.ndarray  # customer row per document
    day: np.ndarray
    credit: np.ndarray  # bool per document
    applies: np.ndarray  # invoice number (int) credited, per document
    number: np.ndarray  # document number per document
    prod: np.ndarray  # product row per line
    qty: np.ndarray  # int per line (positive)
    amount: np.ndarray  # cents per line (positive)
    taxcode: np.ndarray  # "MA" | "NY" | "" per document
    tax: np.ndarray  # cents per document
    freight: np.ndarray  # cents per document
    terms: np.ndarray
    ship_via: np.ndarray
    po: np.ndarray
    note: np.ndarray

    def rows(self, extra_rows: bool) -> np.ndarray:
        """File rows per document: item lines, plus tax and freight rows in a Sage journal."""
        return self.lines + ((self.tax > 0).astype(int) + (self.freight > 0).astype(int) if extra_rows else 0)

    def prefix(self, n: int) -> Docs:
        """The first ``n`` documents."""
        nl = int(self.lines[:n].sum())
        doc_fields = (
            "lines",
            "cust",
            "day",
            "credit",
            "applies",
            "number",
            "taxcode",
            "tax",
            "freight",
            "terms",
            "ship_via",
            "po",
            "note",
        )
        line_fields = ("doc_of_line", "seq", "prod", "qty", "amount")
        kw = {f: getattr(self, f)[:n] for f in doc_fields} | {f: getattr(self, f)[:nl] for f in line_fields}
        return Docs(n_docs=n, **kw)


LINE_P = 0.82 ** np.arange(1, 21)
LINE_P = LINE_P / LINE_P.sum()


def make_docs(
    rng: np.random.Generator,
    m: Masters,
    k: np.ndarray,
    allow_tax: bool,
    freight_share: float,
    first_number: int,
    day_from: float,
    day_span: float,
) -> Docs:
    n = len(k)
    cust = rng.integers(0, len(m.customers), n)
    credit = rng.random(n) < 0.03
    number = np.arange(first_number, first_number + n)
    applies = np.maximum(number - rng.integers(1, 2000, n), 1)
    day = np.minimum((day_from + np.sort(rng.random(n)) * day_span).astype(int), DAYS - 1)
    doc_of_line = np.repeat(np.arange(n), k)
    starts = np.cumsum(k) - k
    seq = np.arange(len(doc_of_line)) - np.repeat(starts, k) + 1
    prod = rng.choice(len(m.price_cents), len(doc_of_line), p=m.popularity)
    qty = np.minimum(rng.geometric(0.12, len(doc_of_line)), 200)
    qty = np.where(credit[doc_of_line], np.minimum(qty, 5), qty)
    amount = qty * m.price_cents[prod]
    state = m.customers["State"].to_numpy(dtype=object)[cust]
    taxcode = np.where(np.isin(state, ["MA", "NY"]) & allow_tax, state, "").astype(object)
    taxable_cents = np.bincount(doc_of_line, weights=amount * m.taxable[prod], minlength=n).astype(np.int64)
    rate = np.array([TAX_RATE.get(s, 0) for s in taxcode.tolist()], dtype=np.int64)
    tax = (taxable_cents * rate + 50_000) // 100_000
    taxcode = np.where(tax > 0, taxcode, "").astype(object)
    freight = np.where(
        (rng.random(n) < freight_share) & ~credit, rng.integers(5, 80, n) * 100 + rng.choice([0, 50], n), 0
    )
    terms = TERMS[rng.choice(len(TERMS), n, p=TERMS_P)]
    ship_via = SHIP_VIA[rng.integers(0, len(SHIP_VIA), n)]
    po = np.where(rng.random(n) < 0.7, ids("PO-", rng.integers(1, 99999, n), 5), "")
    note = np.where(rng.random(n) < 0.08, "Deliver to rear loading dock, Mon-Wed only", "")
    return Docs(
        n,
        k,
        doc_of_line,
        seq,
        cust,
        day,
        credit,
        applies,
        number,
        prod,
        qty,
        amount,
        taxcode,
        tax,
        freight,
        terms,
        ship_via,
        po,
        note,
    )


def doc_stream(
    rng: np.random.Generator,
    m: Masters,
    rows: int,
    *,
    extra_rows: bool,
    first_number: int,
    chunk: int = 100_000,
):
    """Documents in file order whose rows add up to exactly ``rows`` (1-20 item lines each).

    ``extra_rows``: tax and freight are rows of their own (Sage journal) or header fields (BizOps).
    The last document of each chunk is cut to fit; a gap is filled with item-only documents.
    """
    done, number = 0, first_number
    while done < rows:
        part = min(chunk, rows - done)
        n = max(8, part // 4)
        k = rng.choice(np.arange(1, 21), n, p=LINE_P)
        d = make_docs(rng, m, k, True, 0.2, number, done / rows * DAYS, part / rows * DAYS)
        cum = np.cumsum(d.rows(extra_rows))
        take = int(np.searchsorted(cum, part, side="right"))
        used = int(cum[take - 1]) if take else 0
        if take:
            yield d.prefix(take)
        number += take
        done += used
        gap = part - used if take < n else 0
        while gap > 0:
            k1 = min(gap, 20)
            yield make_docs(rng, m, np.array([k1]), False, 0.0, number, done / rows * DAYS, 1)
            number, done, gap = number + 1, done + k1, gap - k1


def _write(frame: pd.DataFrame, path: Path, first: bool, encoding: str, crlf: bool) -> None:
    frame.to_csv(
        path,
        mode="w" if first else "a",
        header=first,
        index=False,
        encoding=encoding,
        lineterminator="\r\n" if crlf else "\n",
    )


def _net_days(terms: np.ndarray) -> np.ndarray:
    return np.array([int(x.group(1)) if (x := re.search(r"Net (\d+)", t)) else 0 for t in terms.tolist()])


def write_bizops_invoices(path: Path, rows: int, m: Masters, rng: np.random.Generator) -> None:
    """BizOps invoices.csv: one row per line, header fields repeated, 1-20 lines per document."""
    c = m.customers
    first = True
    for d in doc_stream(rng, m, rows, extra_rows=False, first_number=10_001):
        L, cm, ci = d.doc_of_line, d.credit, d.cust
        draft = (rng.random(d.n_docs) < 0.01) & ~cm
        synced = (rng.random(d.n_docs) < 0.02) & ~cm & ~draft
        ship_name = c["ShipToName"].to_numpy(dtype=object)[ci]
        ship_name = np.where(ship_name == "", c["Name"].to_numpy(dtype=object)[ci], ship_name)
        net = _net_days(d.terms)
        due = np.where((rng.random(d.n_docs) < 0.3) | cm, "", ISO_DATES[d.day + np.where(net > 0, net, 30)])
        order = np.where((rng.random(d.n_docs) < 0.4) & ~cm, ids("SO-", d.number, 6), "")
        doc = {
            "InvoiceNumber": np.where(cm, ids("CM-", d.number, 6), ids("INV-", d.number, 6)),
            "DocumentType": np.where(cm, "CreditMemo", "Invoice"),
            "InvoiceDate": ISO_DATES[d.day],
            "DueDate": due,
            "CustomerID": c["CustomerID"].to_numpy(dtype=object)[ci],
            "OrderNumber": order,
            "CustomerPO": d.po,
            "AppliesToInvoice": np.where(cm, ids("INV-", d.applies, 6), ""),
            "ShipDate": np.where(cm, "", ISO_DATES[d.day]),
            "ShipVia": np.where(cm, "", d.ship_via),
            "ShipToName": np.where(cm, "", ship_name),
            "ShipToAddress1": np.where(cm, "", c["Address1"].to_numpy(dtype=object)[ci]),
            "ShipToAddress2": np.where(cm, "", c["Address2"].to_numpy(dtype=object)[ci]),
            "ShipToCity": np.where(cm, "", c["City"].to_numpy(dtype=object)[ci]),
            "ShipToState": np.where(cm, "", c["State"].to_numpy(dtype=object)[ci]),
            "ShipToZip": np.where(cm, "", c["Zip"].to_numpy(dtype=object)[ci]),
            "ShipToCountry": np.where(cm, "", "USA"),
            "SalesRepID": c["SalesRepID"].to_numpy(dtype=object)[ci],
            "Terms": d.terms,
            "Status": np.where(draft, "Draft", "Finalized"),
            "SyncedAt": np.where(synced, join(ISO_DATES[d.day], "T16:45:12Z"), ""),
            "SalesTaxCode": d.taxcode,
            "SalesTaxAmount": np.where(d.tax > 0, money(d.tax), ""),
            "FreightAmount": np.where(d.freight > 0, money(d.freight), ""),
            "Note": np.where(cm, "RMA: goods returned", d.note),
        }
        nl = len(L)
        line = {
            "LineNumber": d.seq.astype(str).astype(object),
            "OrderLineNumber": np.where(order[L] != "", d.seq.astype(str).astype(object), ""),
            "SKU": m.products["SKU"].to_numpy(dtype=object)[d.prod],
            "Description": m.products["Title"].to_numpy(dtype=object)[d.prod],
            "Quantity": d.qty.astype(str).astype(object),
            "UnitPrice": money(m.price_cents[d.prod]),
            "Amount": money(d.amount),
            "Taxable": np.where(m.taxable[d.prod], "TRUE", "FALSE"),
            "GLAccount": np.where(
                rng.random(nl) < 0.05, m.products["SalesAccount"].to_numpy(dtype=object)[d.prod], ""
            ),
            "CreditReason": np.where(cm[L], np.where(rng.random(nl) < 0.15, "Damaged", "Return"), ""),
            "RestockFee": np.where(cm[L], np.where(rng.random(nl) < 0.2, "TRUE", "FALSE"), ""),
        }
        frame = pd.DataFrame({**{k_: v[L] for k_, v in doc.items()}, **line}, columns=BIZOPS_INVOICE_COLS)
        _write(frame, path, first, "utf-8", crlf=False)
        first = False


def write_sage_sales(path: Path, rows: int, m: Masters, rng: np.random.Generator) -> None:
    """Sage 50 SALES.CSV: one row per distribution (items, freight, sales tax), header repeated."""
    c = m.customers
    first = True
    for d in doc_stream(rng, m, rows, extra_rows=True, first_number=20_001):
        n, L, cm, ci = d.n_docs, d.doc_of_line, d.credit, d.cust
        has_tax, has_fr = d.tax > 0, d.freight > 0
        sign = np.where(cm, -1, 1)
        cust_name = c["Name"].to_numpy(dtype=object)[ci]
        total = np.bincount(L, weights=d.amount, minlength=n).astype(np.int64) + d.tax + d.freight
        net = _net_days(d.terms)
        disc = np.array(["2%" in t_ for t_ in d.terms.tolist()], dtype=bool) & ~cm
        header = {
            "Customer ID": c["CustomerID"].to_numpy(dtype=object)[ci],
            "Customer Name": cust_name,
            "Invoice/CM #": np.where(cm, ids("CM-", d.number, 6), d.number.astype(str).astype(object)),
            "Apply to Invoice Number": np.where(cm, d.applies.astype(str).astype(object), ""),
            "Credit Memo": np.where(cm, "TRUE", "FALSE"),
            "Progress Billing Invoice": "FALSE",
            "Date": SAGE_DATES[d.day],
            "Quote": "FALSE",
            "Drop Ship": "FALSE",
            "Ship to Name": cust_name,
            "Ship to Address-Line One": c["Address1"].to_numpy(dtype=object)[ci],
            "Ship to Address-Line Two": c["Address2"].to_numpy(dtype=object)[ci],
            "Ship to City": c["City"].to_numpy(dtype=object)[ci],
            "Ship to State": c["State"].to_numpy(dtype=object)[ci],
            "Ship to Zipcode": c["Zip"].to_numpy(dtype=object)[ci],
            "Ship to Country": "USA",
            "Customer PO": d.po,
            "Ship Via": np.where(cm, "", d.ship_via),
            "Ship Date": np.where(cm, "", SAGE_DATES[d.day]),
            "Date Due": SAGE_DATES[d.day + np.where(cm, 0, np.where(net > 0, net, 30))],
            "Discount Amount": money(np.where(disc, (total * 2 + 50) // 100, 0)),
            "Discount Date": np.where(disc, SAGE_DATES[d.day + 10], ""),
            "Displayed Terms": np.where(d.terms == "", "Net 30", d.terms),
            "Sales Representative ID": c["SalesRepID"].to_numpy(dtype=object)[ci],
            "Accounts Receivable Account": "11000",
            "Accounts Receivable Amount": money(total * sign),
            "Sales Tax ID": d.taxcode,
            "Invoice Note": d.note,
            "Note Prints After Line Items": "FALSE",
            "Stmt Note Prints Before Ref": "FALSE",
            "Internal Note": np.where(cm, "RMA: goods returned unopened", ""),
            "Beginning Balance Transaction": "FALSE",
            "Number of Distributions": (d.lines + has_tax + has_fr).astype(str).astype(object),
            "Transaction Period": "34",
            "Transaction Number": (d.number - 19_000).astype(str).astype(object),
            "Return Authorization": np.where(cm, ids("RMA ", d.number % 10000, 4), ""),
            "Retainage Percent": "0.00",
            "Recur Number": "0",
            "Recur Frequency": "0",
        }

        def head(idx: np.ndarray, header: dict = header) -> dict:
            return {k_: (v[idx] if isinstance(v, np.ndarray) else v) for k_, v in header.items()}

        p = d.prod
        qty = d.qty * sign[L]
        items = pd.DataFrame(
            head(L)
            | {
                "Invoice/CM Distribution": d.seq.astype(str).astype(object),
                "Apply to Invoice Distribution": np.where(cm[L], d.seq.astype(str).astype(object), "0"),
                "Apply To Sales Order": "FALSE",
                "Apply to Proposal": "FALSE",
                "Quantity": qty_text(qty),
                "Item ID": m.products["SKU"].to_numpy(dtype=object)[p],
                "SO/Proposal Distribution": "0",
                "Description": m.products["Description"].to_numpy(dtype=object)[p],
                "G/L Account": m.products["SalesAccount"].to_numpy(dtype=object)[p],
                "Unit Price": money(m.price_cents[p]),
                "Tax Type": np.where(m.taxable[p], "1", "2"),
                "UPC / SKU": m.products["UPC"].to_numpy(dtype=object)[p],
                "Weight": "0.00",
                "Amount": money(-d.amount * sign[L]),
                "Inventory Account": np.where(m.stock[p], "12000", ""),
                "Cost of Sales Account": "50000",
                "U/M ID": "<Each>",
                "U/M No. of Stocking Units": "1.00",
                "Stocking Quantity": qty_text(qty),
                "Stocking Unit Price": money(m.price_cents[p]),
                "Cost of Sales Amount": money(np.where(m.stock[p], qty * m.cost_cents[p], 0)),
                "__doc": L,
                "__ord": d.seq,
            }
        )
        blank_line = {
            "Apply to Invoice Distribution": "0",
            "Apply To Sales Order": "FALSE",
            "Apply to Proposal": "FALSE",
            "Quantity": "0.00",
            "SO/Proposal Distribution": "0",
            "Unit Price": "0.00",
            "Weight": "0.00",
            "U/M No. of Stocking Units": "0.00",
            "Stocking Quantity": "0.00",
            "Stocking Unit Price": "0.00",
            "Cost of Sales Amount": "0.00",
        }
        fd = np.flatnonzero(has_fr)
        freight = pd.DataFrame(
            head(fd)
            | blank_line
            | {
                "Invoice/CM Distribution": (d.lines[fd] + 1).astype(str).astype(object),
                "Description": "Freight",
                "G/L Account": "40600",
                "Tax Type": "2",
                "Amount": money(-d.freight[fd] * sign[fd]),
                "__doc": fd,
                "__ord": 1000,
            },
            index=range(len(fd)),
        )
        td = np.flatnonzero(has_tax)
        code = d.taxcode[td].tolist()
        tax = pd.DataFrame(
            head(td)
            | blank_line
            | {
                "Invoice/CM Distribution": "0",
                "Description": np.array([TAX_NAME[x] for x in code], dtype=object),
                "G/L Account": np.array([TAX_ACCOUNT[x] for x in code], dtype=object),
                "Tax Type": "0",
                "Amount": money(-d.tax[td] * sign[td]),
                "Sales Tax Agency ID": np.array([TAX_AGENCY[x] for x in code], dtype=object),
                "__doc": td,
                "__ord": 2000,
            },
            index=range(len(td)),
        )
        frame = pd.concat([items, freight, tax], ignore_index=True)
        frame = frame.sort_values(["__doc", "__ord"], kind="stable")
        frame = frame.reindex(columns=SAGE_SALES_COLS, fill_value="").fillna("")
        _write(frame, path, first, "cp1252", crlf=True)
        first = False


def generate(case: Case, path: Path, rows: int, masters: Masters | None, size_index: int) -> None:
    rng = rng_for(size_index, CASES.index(case))
    if case.key == "bizops-invoices":
        write_bizops_invoices(path, rows, masters, rng)
    elif case.key == "sage-sales":
        write_sage_sales(path, rows, masters, rng)
    elif case.key == "bizops-customers":
        _write(bizops_customers(rows, rng), path, True, "utf-8", crlf=False)
    elif case.key == "sage-customers":
        _write(sage_customers(rows, rng), path, True, "cp1252", crlf=True)
    else:  # pragma: no cover
        raise ValueError(case.key)


def data_rows(path: Path, encoding: str) -> int:
    """Data rows of a CSV (records, not lines: quoted fields may hold line breaks)."""
    return len(pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, usecols=[0]))
