"""Documents: grouping line rows into transactions, and the rules every document must keep.

A transaction file holds one row per line (BizOps) or per distribution (Sage), with the
document's header fields repeated on each row. This module works out which rows form one
document, checks that they agree, and computes control totals. It works on whole columns; the
only per-document Python is building issue messages for documents that are wrong.

Rows of one document must be contiguous: a file is streamed in chunks, and the last document of
a chunk is carried into the next (see ``split_tail``) so grouping never depends on chunk size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
import pandas as pd

from ..core.issues import Issue
from ..core.values import blank, distinct_mask, parse_numbers, text, texts
from ..io.layouts import Layout

DOC = "__doc__"  # document label column: the document key, plus a sequence for repeats


@dataclass(frozen=True)
class BizOpsDoc:
    """Where a BizOps transaction file keeps the parts the journal rules need."""

    entity: str
    key: tuple[str, ...]
    partner: str
    date: str
    quantity: str | None
    price: str | None
    amount: str
    sku: str | None = None
    gl: str | None = None
    line_number: str | None = None
    due: str | None = None
    terms: str | None = None
    tax: str | None = None
    tax_code: str | None = None
    freight: str | None = None


BIZOPS_DOCS = {
    "invoices": BizOpsDoc(
        "invoices",
        ("InvoiceNumber",),
        "CustomerID",
        "InvoiceDate",
        "Quantity",
        "UnitPrice",
        "Amount",
        "SKU",
        "GLAccount",
        "LineNumber",
        "DueDate",
        "Terms",
        "SalesTaxAmount",
        "SalesTaxCode",
        "FreightAmount",
    ),
    "orders": BizOpsDoc(
        "orders",
        ("OrderNumber",),
        "CustomerID",
        "OrderDate",
        "Quantity",
        "UnitPrice",
        "Amount",
        "SKU",
        "GLAccount",
        "LineNumber",
        None,
        "Terms",
        "SalesTaxAmount",
        "SalesTaxCode",
    ),
    "payments": BizOpsDoc(
        "payments",
        ("PaymentReference", "CustomerID"),
        "CustomerID",
        "PaymentDate",
        None,
        None,
        "AmountApplied",
    ),
    "purchase_orders": BizOpsDoc(
        "purchase_orders",
        ("PONumber",),
        "VendorID",
        "PODate",
        "Quantity",
        "UnitCost",
        "Amount",
        "SKU",
        "GLAccount",
        "LineNumber",
        None,
        "Terms",
    ),
    "po_receipts": BizOpsDoc(
        "po_receipts",
        ("ReceiptNumber",),
        "VendorID",
        "ReceiptDate",
        "QuantityReceived",
        "UnitCost",
        "Amount",
        "SKU",
        "GLAccount",
        "LineNumber",
        "DueDate",
    ),
}


def _key(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    key = text(frame[columns[0]])  # plain str objects: no scan for missing values on each step
    for name in columns[1:]:
        key = key + "\x1f" + text(frame[name])
    return key


def _numbers(values: pd.Series) -> pd.Series:
    """Whole numbers as text (``run.astype(str)``), as plain str objects."""
    return pd.Series(list(map(str, values.tolist())), index=values.index, dtype=object)


def group_by_key(frame: pd.DataFrame, columns: tuple[str, ...]) -> tuple[pd.Series, list[Issue]]:
    """Label contiguous runs of the same key; a key that comes back later is its own (bad) run."""
    key = _key(frame, columns)
    start = key.ne(key.shift())
    run = start.cumsum()
    label = key + "\x1e" + _numbers(run)
    issues: list[Issue] = []
    first_run = run.groupby(key).transform("min")
    strays = run.ne(first_run)
    for pos in np.flatnonzero(strays.to_numpy() & start.to_numpy()):
        row = int(frame.index[pos])
        first_row = int(frame.index[np.flatnonzero((key == key.iloc[pos]).to_numpy())[0]])
        issues.append(
            Issue(
                row,
                columns[0],
                "split-document",
                f"Rows of document {key.iloc[pos].replace(chr(31), ' / ')!r} are not together (it starts on row "
                f"{first_row}); put all rows of a document one after another.",
                "error",
            )
        )
    return label, issues


def group_by_count(
    frame: pd.DataFrame, key_columns: tuple[str, ...], count: str, txn: str | None
) -> tuple[pd.Series, list[Issue]]:
    """Sage journals: documents are contiguous runs, cut by ``Number of Distributions``.

    A run is a stretch of rows with the same key (and Transaction Number, when the file has it);
    a run longer than its ``Number of Distributions`` holds several documents with that key.
    """
    key = _key(frame, key_columns)
    if txn and txn in frame.columns and (texts(frame[txn]) != "").any():
        key = key + "\x1f" + text(frame[txn])
    run = key.ne(key.shift()).cumsum()
    n, _ = (
        parse_numbers(frame[count])
        if count in frame.columns
        else (pd.Series(np.nan, index=frame.index), None)
    )
    n = n.where(n >= 1)
    first_n = n.groupby(run).transform("first").fillna(0).astype(int)
    run_size = run.groupby(run).transform("size")
    sub = np.zeros(len(frame), dtype=int)
    # Rare: one run holding several documents with the same key. Walk it, each document by its own count.
    counts = n.to_numpy()
    for r in run[(run_size > first_n) & (first_n > 0)].unique():
        positions = np.flatnonzero((run == r).to_numpy())
        i = part = 0
        while i < len(positions):
            c = counts[positions[i]]
            step = int(c) if c == c and c >= 1 else len(positions) - i
            sub[positions[i : i + step]] = part
            i += step
            part += 1
    sub = pd.Series(sub, index=frame.index)
    label = key + "\x1e" + _numbers(run) + "." + _numbers(sub)
    issues: list[Issue] = []
    codes = pd.factorize(label.to_numpy(dtype=object))[0]  # each label as a number: cheap groupings
    size = pd.Series(np.bincount(codes)[codes], index=frame.index)
    declared = n.groupby(codes).transform("first")
    wrong = declared.isna() | size.ne(declared)
    firsts = ~label.duplicated()
    for p in np.flatnonzero((wrong & firsts).to_numpy()):
        row = int(frame.index[p])
        got = int(size.iloc[p])
        said = declared.iloc[p]
        said_txt = "blank" if pd.isna(said) else str(int(said))
        issues.append(
            Issue(
                row,
                count,
                "distribution-count",
                f"Number of Distributions is {said_txt} but the document starting here has {got} row(s); "
                "export the journal again, or fix the count so it equals the rows of that document.",
                "error",
            )
        )
    return label, issues


def split_tail(frame: pd.DataFrame, labels: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(complete documents, rows of the last document): the last may continue in the next chunk."""
    if frame.empty:
        return frame, frame
    last = labels.iloc[-1]
    tail = labels.eq(last).to_numpy()
    return frame[~tail], frame[tail]


def header_conflicts(frame: pd.DataFrame, labels: pd.Series, layout: Layout) -> list[Issue]:
    """A header field that differs between rows of one document is an error for that document."""
    # Each row's document's first row, found once for every header column (not a groupby each).
    codes, _ = pd.factorize(labels.to_numpy(dtype=object))
    first_of_code = np.unique(codes, return_index=True)[1]
    aligned = len(codes) and codes.min() >= 0 and labels.index.equals(frame.index)
    first_pos = first_of_code[codes] if aligned else None
    issues: list[Issue] = []
    for f in layout.fields:
        if f.part != "header" or f.name not in frame.columns:
            continue
        if first_pos is None:  # a row without a document label: pandas' groupby decides
            col = frame[f.name].fillna("").astype(str)
            first = col.groupby(labels).transform("first")
            cells, firsts = col.to_numpy(dtype=object), first.to_numpy(dtype=object)
            differs = col.ne(first).to_numpy()
        else:  # the column's text compared with its document's first row, in one numpy pass
            cells = texts(frame[f.name])
            firsts = cells[first_pos]
            differs = cells != firsts
        issues += [
            Issue(
                int(frame.index[p]),
                f.name,
                "inconsistent-header",
                f"{cells[p]!r} differs from {firsts[p]!r} on the document's first row; header "
                "columns must be the same on every row of a document.",
                "error",
            )
            for p in np.flatnonzero(differs)
        ]
    return issues


def rows_of_bad_documents(labels: pd.Series, issues: list[Issue]) -> list[int]:
    """Every row of every document that has an error: documents are sent whole or not at all."""
    bad_rows = {i.row for i in issues if i.severity == "error" and i.row is not None}
    if not bad_rows:
        return []
    bad_docs = set(labels[labels.index.isin(bad_rows)])
    return [int(r) for r in labels.index[labels.isin(bad_docs)]]


@dataclass
class ControlTotals:
    """Documents, lines, quantity and money in and out of one batch, to the cent."""

    documents: int = 0
    lines: int = 0
    quantity: float = 0.0
    net: int = 0  # cents
    tax: int = 0
    freight: int = 0
    total: int = 0

    def add(
        self, *, documents: int, lines: int, quantity: float, net: float, tax: float, freight: float
    ) -> None:
        self.documents += documents
        self.lines += lines
        self.quantity = round(self.quantity + quantity, 5)
        self.net += cents(net)
        self.tax += cents(tax)
        self.freight += cents(freight)
        self.total = self.net + self.tax + self.freight

    def as_dict(self) -> dict[str, object]:
        return {
            "documents": self.documents,
            "lines": self.lines,
            "quantity": self.quantity,
            "net": self.net / 100,
            "tax": self.tax / 100,
            "freight": self.freight / 100,
            "total": self.total / 100,
        }


@dataclass
class Controls:
    inbound: ControlTotals = field(default_factory=ControlTotals)
    outbound: ControlTotals = field(default_factory=ControlTotals)

    def differences(self) -> list[str]:
        a, b = self.inbound.as_dict(), self.outbound.as_dict()
        return [f"{k}: in {a[k]} ≠ out {b[k]}" for k in a if a[k] != b[k]]


def cents(value: float) -> int:
    return int(np.sign(value) * np.floor(abs(value) * 100 + 0.5 + 1e-9))


def amounts(series: pd.Series) -> pd.Series:
    """Canonical number text → float, blank as 0."""
    return parse_numbers(series)[0].fillna(0.0)  # a missing cell reads as blank


# ----------------------------------------------------------------- BizOps document rules


def skipped_documents(normal: pd.DataFrame, labels: pd.Series, entity: str) -> tuple[pd.Series, list[Issue]]:
    """Drafts and documents already synced are reported as info and skipped."""
    skip = pd.Series(False, index=normal.index)
    issues: list[Issue] = []
    if entity != "invoices":
        return skip, issues
    firsts = ~labels.duplicated()
    if "Status" in normal.columns:
        draft = distinct_mask(normal["Status"], lambda v: v.casefold() == "draft")
        for row in normal.index[(draft & firsts).to_numpy()]:
            issues.append(
                Issue(
                    int(row),
                    "Status",
                    "draft-skipped",
                    f"Invoice {normal.at[row, 'InvoiceNumber']!r} is a Draft; only Finalized documents are sent.",
                    "info",
                )
            )
        skip |= draft.groupby(labels).transform("any")
    if "SyncedAt" in normal.columns:
        synced = ~blank(normal["SyncedAt"])
        for row in normal.index[(synced & firsts & ~skip).to_numpy()]:
            issues.append(
                Issue(
                    int(row),
                    "SyncedAt",
                    "already-synced",
                    f"Invoice {normal.at[row, 'InvoiceNumber']!r} was already sent on {normal.at[row, 'SyncedAt']}; skipped.",
                    "info",
                )
            )
        skip |= synced.groupby(labels).transform("any")
    return skip, issues


def exact_products(quantity: pd.Series, price: pd.Series) -> pd.Series:
    """Quantity × price to the cent, half away from zero, in decimal arithmetic: a float product
    such as 179.5 × 2499.49 can land a hair under the half cent and round the wrong way."""
    cent = Decimal("0.01")
    q_codes, q_distinct = pd.factorize(texts(quantity))
    p_codes, p_distinct = pd.factorize(texts(price))
    # Each distinct (quantity, price) pair is multiplied once: products and quantities repeat.
    width = max(len(p_distinct), 1)
    pairs, pair_of = np.unique(q_codes.astype(np.int64) * width + p_codes, return_inverse=True)
    values = [
        str((Decimal(q or "0") * Decimal(p or "0")).quantize(cent, rounding=ROUND_HALF_UP))
        if _is_number(q, p)
        else ""
        for q, p in ((q_distinct[k // width], p_distinct[k % width]) for k in pairs.tolist())
    ]
    out = pd.Series(
        np.array(values or [""], dtype=object)[pair_of.reshape(-1)], index=quantity.index, dtype=object
    )
    return out.where(out != "-0.00", "0.00")


def _is_number(*texts: str) -> bool:
    try:
        for t in texts:
            Decimal(t or "0")
        return True
    except InvalidOperation:
        return False


def check_line_amounts(normal: pd.DataFrame, entity: str) -> list[Issue]:
    """Amount = Quantity × price to the cent (filled in when blank); charge and discount lines excepted."""
    spec = BIZOPS_DOCS[entity]
    if (
        not spec.quantity
        or not spec.price
        or spec.quantity not in normal.columns
        or spec.price not in normal.columns
    ):
        return []
    qty, price = amounts(normal[spec.quantity]), amounts(normal[spec.price])
    expected = exact_products(normal[spec.quantity], normal[spec.price])
    given = (
        normal[spec.amount].fillna("") if spec.amount in normal.columns else pd.Series("", index=normal.index)
    )
    empty = blank(given)
    normal[spec.amount] = given.where(~empty, expected)
    exempt = (qty == 0) | (price < 0)
    diff = (amounts(normal[spec.amount]) - amounts(expected)).abs()
    wrong = ~empty & ~exempt & (diff > 0.005)
    issues = []
    for pos in np.flatnonzero(wrong.to_numpy()):
        row = normal.index[pos]
        issues.append(
            Issue(
                int(row),
                spec.amount,
                "amount-mismatch",
                f"Amount {normal.at[row, spec.amount]} is not {spec.quantity} × {spec.price} "
                f"= {expected.iloc[pos]}; correct the line (charge lines have Quantity 0).",
                "error",
            )
        )
    return issues
