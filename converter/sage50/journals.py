"""Sage 50 journals: building them from BizOps documents, and reading them back into documents.

Sage's structure, exactly: one row per distribution, header fields repeated on every row, rows of
one document together, ``Number of Distributions`` = the document's rows (tax and freight rows
included), line sequence numbered 1..n, the A/R or A/P account and amount in header fields, and
Sage's signs (debit +, credit -):

- Sales Journal: A/R amount +; line and tax amounts -; credit memos reversed.
- Sales orders: line amounts -.  Cash receipts: invoice rows - on the A/R account.
- Purchase orders and purchases: line amounts +, A/P amount -.

Every document balances to the cent: header amount + distributions = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.issues import Issue
from ..core.settings import Settings
from ..core.values import blank as is_blank
from ..core.values import distinct_mask, format_numbers, map_distinct, stripped, text, texts
from ..io.layouts import Layout
from ..sync.catalog import Catalog
from .documents import DOC, BizOpsDoc, amounts, cents
from .due_dates import due_dates
from .prepayments import prepaid, sage_accounts

KIND = "__kind__"  # item | tax | freight


@dataclass(frozen=True)
class Journal:
    entity: str
    number: str
    partner: str
    partner_entity: str
    sequence: str | None
    account: str  # header account field
    account_key: str  # config key of that account
    amount: str  # header amount field
    header_sign: int  # sign of the header amount on a normal document
    tax: bool = False
    freight: bool = False
    due: str | None = None
    credit_memo: str | None = None
    product_account: str = "sales_account"
    default_account_key: str = "sage50.default_sales_account"

    @property
    def line_sign(self) -> int:
        return -self.header_sign


JOURNALS = {
    "invoices": Journal(
        "invoices",
        "Invoice/CM #",
        "Customer ID",
        "customers",
        "Invoice/CM Distribution",
        "Accounts Receivable Account",
        "sage50.ar_account",
        "Accounts Receivable Amount",
        1,
        tax=True,
        freight=True,
        due="Date Due",
        credit_memo="Credit Memo",
    ),
    "orders": Journal(
        "orders",
        "Sales Order/Proposal #",
        "Customer ID",
        "customers",
        "SO/Proposal Distribution",
        "Accounts Receivable Account",
        "sage50.ar_account",
        "Accounts Receivable Amount",
        1,
        tax=True,
    ),
    "payments": Journal(
        "payments",
        "Reference",
        "Customer ID",
        "customers",
        None,
        "Cash Account",
        "sage50.cash_account",
        "Cash Amount",
        1,
    ),
    "purchase_orders": Journal(
        "purchase_orders",
        "PO #",
        "Vendor ID",
        "vendors",
        "PO Distribution",
        "Accounts Payable Account",
        "sage50.ap_account",
        "Accounts Payable Amount",
        -1,
        product_account="inventory_account",
        default_account_key="sage50.default_purchase_account",
    ),
    "po_receipts": Journal(
        "po_receipts",
        "Invoice/CM #",
        "Vendor ID",
        "vendors",
        "Invoice/CM Distribution",
        "Accounts Payable Account",
        "sage50.ap_account",
        "Accounts Payable Amount",
        -1,
        due="Date Due",
        credit_memo="Credit Memo",
        product_account="inventory_account",
        default_account_key="sage50.default_purchase_account",
    ),
}
TOTAL_PAID = "Total Paid on Invoice(s)"


def money(values: pd.Series) -> pd.Series:
    return format_numbers(values, decimals=2, min_decimals=2)


def _doc_name(source: pd.DataFrame, spec: BizOpsDoc, row: int) -> str:
    return " / ".join(str(source.at[row, k]) for k in spec.key)


# ----------------------------------------------------------------- BizOps -> Sage


@dataclass
class BuildContext:
    settings: Settings
    catalog: Catalog
    target: Layout
    issues: list[Issue]


def credit_sign(source: pd.DataFrame, spec: BizOpsDoc) -> pd.Series:
    """-1 on credit-memo rows, +1 elsewhere."""
    if spec.entity == "invoices" and "DocumentType" in source.columns:
        return pd.Series(
            np.where(distinct_mask(source["DocumentType"], lambda v: v.casefold() == "creditmemo"), -1, 1),
            index=source.index,
        )
    return pd.Series(1, index=source.index)


def build_sage(
    mapped: pd.DataFrame, source: pd.DataFrame, labels: pd.Series, spec: BizOpsDoc, ctx: BuildContext
) -> pd.DataFrame:
    """Turn mapped BizOps line rows into Sage distributions: tax/freight rows, signs, counts, totals."""
    journal = JOURNALS[spec.entity]
    settings = ctx.settings
    out = mapped.copy()
    out[DOC] = labels
    out[KIND] = "item"
    sign = credit_sign(source, spec)
    line_amount = amounts(source[spec.amount])
    out["Amount"] = money(line_amount * journal.line_sign * sign)
    if "Quantity" in out.columns and spec.quantity:
        out["Quantity"] = format_numbers(amounts(source[spec.quantity]) * sign, decimals=5, min_decimals=2)
    if journal.credit_memo and journal.credit_memo in ctx.target.field_names:
        out[journal.credit_memo] = np.where(sign < 0, "TRUE", "FALSE")
    _resolve_accounts(out, source, spec, journal, ctx)
    if spec.entity == "invoices":
        _damaged_lines(out, source, sign, ctx)
    if spec.entity == "payments":
        out["G/L Account"] = sage_accounts(source, settings)
        if "Prepayment" in ctx.target.field_names:
            whole = prepaid(source).groupby(labels, sort=False).transform("any")
            out["Prepayment"] = np.where(whole, "TRUE", "FALSE")
        discount = amounts(source["DiscountTaken"]) if "DiscountTaken" in source.columns else line_amount * 0
        if (discount != 0).any() and "Discount Account" in ctx.target.field_names:
            out["Discount Account"] = str(
                settings.require("sage50.discount_account", why="A payment takes a discount.")
            )
    extra = []
    firsts = ~labels.duplicated()
    if journal.tax and spec.tax and spec.tax in source.columns:
        extra.append(_tax_rows(out, source, firsts, sign, spec, journal, ctx))
    if journal.freight and spec.freight and spec.freight in source.columns:
        extra.append(_freight_rows(out, source, firsts, sign, journal, ctx))
    out = pd.concat([out, *[e for e in extra if not e.empty]])
    # Documents in file order; within one, its lines, then tax, then freight (each in row order).
    doc_rank = pd.Index(labels.unique()).get_indexer(out[DOC])
    kind = out[KIND].to_numpy(dtype=object)
    kind_rank = np.select([kind == "tax", kind == "freight"], [1, 2], 0)
    out = out.iloc[np.lexsort((np.arange(len(out)), kind_rank, doc_rank))]
    _numbering(out, journal, ctx)
    _header_amounts(out, journal, ctx)
    if journal.due and journal.due in ctx.target.field_names:
        due_dates(out, source, spec, journal, ctx)
    return out


def _resolve_accounts(out, source, spec: BizOpsDoc, journal: Journal, ctx: BuildContext) -> None:
    """Line G/L account: the line's own, else the product's, else the config default."""
    if "G/L Account" not in out.columns and spec.entity != "payments":
        out["G/L Account"] = ""
    if spec.entity == "payments":
        return
    gl = text(out["G/L Account"])
    blank = is_blank(gl)
    if blank.any() and spec.sku:
        sku = text(source[spec.sku])
        known = map_distinct(
            sku[blank], lambda s: (ctx.catalog.product(s) or {}).get(journal.product_account, "") if s else ""
        )
        gl = gl.where(~blank, known.reindex(gl.index).fillna(gl))
        blank = is_blank(gl)
    default = ctx.settings.get(journal.default_account_key)
    if blank.any() and default:
        gl = gl.where(~blank, str(default))
        blank = is_blank(gl)
    out["G/L Account"] = gl
    for row in blank[blank].index:
        doc = _doc_name(source, spec, row)
        line = source.at[row, spec.line_number] if spec.line_number else ""
        ctx.issues.append(
            Issue(
                int(row),
                spec.gl,
                "missing-account",
                f"Document {doc!r} line {line}: no G/L account. Set {spec.gl} on the line, give the product a "
                f"{journal.product_account.replace('_', ' ')}, or set `{journal.default_account_key}` in the config.",
                "error",
            )
        )


def _damaged_lines(out, source, sign, ctx: BuildContext) -> None:
    """Damaged returns never go back into stock: the configured non-inventory item carries them."""
    if "CreditReason" not in source.columns:
        return
    damaged = distinct_mask(source["CreditReason"], lambda v: v.casefold() == "damaged") & (sign < 0)
    if not damaged.any():
        return
    item = str(ctx.settings.require("sage50.damaged_returns_item", why="A credit memo has Damaged lines."))
    sku = text(source["SKU"])[damaged]
    titles = map_distinct(sku, lambda s: (ctx.catalog.product(s) or {}).get("title", "") if s else "")
    if "Description" in source.columns:
        titles = titles.where(titles != "", text(source["Description"])[damaged])
    out.loc[damaged, "Item ID"] = item
    out.loc[damaged, "Description"] = stripped(sku + " " + titles)


def _template_row(
    out: pd.DataFrame, firsts: pd.Series, mask: pd.Series, ctx: BuildContext, kind: str
) -> pd.DataFrame:
    rows = out[firsts & mask].copy()
    for f in ctx.target.fields:
        if f.part == "line" and f.name in rows.columns:
            rows[f.name] = ""
    rows[KIND] = kind
    return rows


def _tax_rows(
    out, source, firsts, sign, spec: BizOpsDoc, journal: Journal, ctx: BuildContext
) -> pd.DataFrame:
    tax = amounts(source[spec.tax])
    has_tax = tax.round(2) != 0
    rows = _template_row(out, firsts, has_tax, ctx, "tax")
    if rows.empty:
        return rows
    if spec.tax_code in source.columns:
        codes = stripped(source.loc[rows.index, spec.tax_code])
    else:
        codes = pd.Series("", index=rows.index)
    table = ctx.settings.get("sage50.sales_tax") or {}
    agencies, accounts = [], []
    for row, code in codes.items():
        entry = table.get(code) if isinstance(table, dict) else None
        if not code or not isinstance(entry, dict) or not entry.get("agency") or not entry.get("account"):
            key = f"sage50.sales_tax.{code or '<code>'}"
            why = (
                "the document has a SalesTaxAmount but no SalesTaxCode"
                if not code
                else f"no agency and account are set for {code!r}"
            )
            ctx.issues.append(
                Issue(
                    int(row),
                    spec.tax_code,
                    "missing-setting",
                    f'Document {_doc_name(source, spec, row)!r}: {why}. Add [{key}] with agency = "..." and '
                    'account = "..." to the config.',
                    "error",
                )
            )
            agencies.append("")
            accounts.append("")
        else:
            agencies.append(str(entry["agency"]))
            accounts.append(str(entry["account"]))
    rows["Sales Tax Agency ID"] = agencies
    rows["G/L Account"] = accounts
    rows["Tax Type"] = "0"
    rows["Description"] = "Sales tax " + codes
    rows["Amount"] = money(tax[rows.index] * journal.line_sign * sign[rows.index])
    return rows


def _freight_rows(out, source, firsts, sign, journal: Journal, ctx: BuildContext) -> pd.DataFrame:
    freight = amounts(source["FreightAmount"])
    rows = _template_row(out, firsts, freight.round(2) != 0, ctx, "freight")
    if rows.empty:
        return rows
    account = ctx.settings.get("sage50.freight_account")
    if not account:
        for row in rows.index:
            ctx.issues.append(
                Issue(
                    int(row),
                    "FreightAmount",
                    "missing-setting",
                    "The document has a FreightAmount but `sage50.freight_account` is not set. Add it to the "
                    "[sage50] section of the config.",
                    "error",
                )
            )
    rows["G/L Account"] = str(account or "")
    rows["Description"] = "Freight"
    rows["Amount"] = money(freight[rows.index] * journal.line_sign * sign[rows.index])
    return rows


def _doc_codes(out: pd.DataFrame) -> np.ndarray:
    """Each row's document as a number (0, 1, ... in order of first appearance)."""
    return pd.factorize(out[DOC].to_numpy(dtype=object))[0]


def _spelled(counts: np.ndarray) -> np.ndarray:
    """Small non-negative integers as text, each distinct number spelled once."""
    if not len(counts):
        return np.array([], dtype=object)
    return np.array([str(n) for n in range(int(counts.max()) + 1)], dtype=object)[counts]


def _numbering(out: pd.DataFrame, journal: Journal, ctx: BuildContext) -> None:
    codes = _doc_codes(out)
    size = pd.Series(np.bincount(codes, minlength=1)[codes], index=out.index)  # rows of the row's document
    if "Number of Distributions" in ctx.target.field_names:
        out["Number of Distributions"] = _spelled(size.to_numpy())
    if journal.sequence and journal.sequence in ctx.target.field_names:
        # Position of each row within its document, in row order (a stable sort by document).
        order = np.argsort(codes, kind="stable")
        starts = np.flatnonzero(np.r_[True, codes[order][1:] != codes[order][:-1]])
        first = np.repeat(starts, np.diff(np.r_[starts, len(codes)]))
        sequence = np.empty(len(codes), dtype=np.int64)
        sequence[order] = np.arange(len(codes)) - first + 1
        out[journal.sequence] = _spelled(sequence)
    limit = ctx.target.max_distributions
    if limit:
        over = (size > limit) & ~out[DOC].duplicated()
        for pos in np.flatnonzero(over.to_numpy()):
            ctx.issues.append(
                Issue(
                    int(out.index[pos]),
                    None,
                    "too-many-distributions",
                    f"The document has {int(size.iloc[pos])} distributions; Sage 50 takes at most {limit} "
                    f"in the {ctx.target.title}. Split it into smaller documents in the source system.",
                    "error",
                )
            )


def _header_amounts(out: pd.DataFrame, journal: Journal, ctx: BuildContext) -> None:
    amount_codes, distinct = pd.factorize(texts(out["Amount"]))  # each distinct amount read once
    per_amount = np.array([cents(float(v)) if v else 0 for v in distinct], dtype=np.int64)
    line_cents = pd.Series(per_amount[amount_codes], index=out.index)
    codes = _doc_codes(out)
    doc_totals = np.zeros(codes.max() + 1 if len(codes) else 0, dtype=np.int64)
    np.add.at(doc_totals, codes, line_cents.to_numpy())
    doc_cents = pd.Series(doc_totals[codes], index=out.index)
    header = -doc_cents / 100
    out[journal.amount] = money(header.astype(float))
    if journal.entity == "payments":
        out[TOTAL_PAID] = money((doc_cents / 100).astype(float))
    account = ctx.settings.require(journal.account_key, why=f"It fills {journal.account!r}.")
    if journal.entity == "payments":
        blank = (
            out[journal.account].fillna("").astype(str).str.strip() == ""
            if journal.account in out.columns
            else None
        )
        out[journal.account] = (
            out[journal.account].where(~blank, str(account)) if blank is not None else str(account)
        )
    else:
        out[journal.account] = str(account)
    check = -doc_cents + line_cents.groupby(codes, sort=False).transform("sum")
    for pos in np.flatnonzero((check != 0).to_numpy()):  # pragma: no cover - guarded by construction
        ctx.issues.append(
            Issue(int(out.index[pos]), "Amount", "unbalanced", "The document does not balance.", "error")
        )


# ----------------------------------------------------------------- Sage -> BizOps


def sage_signs(frame: pd.DataFrame, journal: Journal) -> pd.Series:
    if journal.credit_memo and journal.credit_memo in frame.columns:
        return pd.Series(np.where(frame[journal.credit_memo] == "TRUE", -1, 1), index=frame.index)
    return pd.Series(1, index=frame.index)


def classify_sage_rows(frame: pd.DataFrame, journal: Journal, settings: Settings) -> pd.Series:
    """item, tax or freight, for each Sage distribution."""
    kind = pd.Series("item", index=frame.index, dtype=object)
    item = stripped(frame["Item ID"]) if "Item ID" in frame.columns else pd.Series("", index=frame.index)
    if journal.tax and "Sales Tax Agency ID" in frame.columns:
        kind[~is_blank(frame["Sales Tax Agency ID"])] = "tax"
    freight = settings.get("sage50.freight_account")
    if journal.freight and freight and "G/L Account" in frame.columns:
        kind[(stripped(frame["G/L Account"]) == str(freight)) & (item == "") & (kind == "item")] = "freight"
    return kind


def check_balance(frame: pd.DataFrame, labels: pd.Series, journal: Journal) -> list[Issue]:
    """Header amount + distributions = 0, to the cent, for documents read from Sage."""
    field = (
        journal.amount
        if journal.amount in frame.columns
        else (TOTAL_PAID if TOTAL_PAID in frame.columns else None)
    )
    if field is None or "Amount" not in frame.columns:
        return []
    rows = (
        map_distinct(frame["Amount"], lambda v: cents(float(v)) if v else 0).groupby(labels, sort=False).sum()
    )
    header_text = frame[field].groupby(labels, sort=False).first()
    header = header_text.map(lambda v: cents(float(v)) if v else None)
    # Total Paid on Invoice(s) equals the (negative) invoice rows; the other header amounts offset them.
    diff = header - rows if field == TOTAL_PAID else header + rows
    issues = []
    firsts = labels[~labels.duplicated()]
    first_row = pd.Series(firsts.index, index=firsts.to_numpy())
    for label, d in diff.items():
        if pd.isna(header[label]) or d == 0:
            continue
        issues.append(
            Issue(
                int(first_row[label]),
                field,
                "unbalanced",
                f"The document does not balance: {field} {header_text[label]} and its distributions "
                f"{rows[label] / 100:.2f} differ by {d / 100:.2f}. Export it again from Sage 50.",
                "error",
            )
        )
    return issues


def split_sage(
    frame: pd.DataFrame, labels: pd.Series, journal: Journal, settings: Settings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sage distributions → (BizOps line rows in Sage names, unsigned; per-row document extras).

    Tax rows become ``SalesTaxAmount`` and freight rows ``FreightAmount`` on the document.
    """
    kind = classify_sage_rows(frame, journal, settings)
    sign = sage_signs(frame, journal)
    amount = amounts(frame["Amount"]) if "Amount" in frame.columns else pd.Series(0.0, index=frame.index)
    bizops_amount = amount * journal.line_sign * sign
    tax = bizops_amount.where(kind == "tax", 0.0).groupby(labels, sort=False).transform("sum")
    freight = bizops_amount.where(kind == "freight", 0.0).groupby(labels, sort=False).transform("sum")
    lines = frame[kind == "item"]  # a new frame already (copy-on-write): no deep copy
    lab = labels[kind == "item"]
    lines["Amount"] = money(bizops_amount[lines.index])
    if "Quantity" in lines.columns:
        lines["Quantity"] = format_numbers(
            amounts(lines["Quantity"]) * sign[lines.index], decimals=5, min_decimals=2
        )
    extras = pd.DataFrame(index=lines.index)
    extras["__line__"] = (lab.groupby(lab, sort=False).cumcount() + 1).astype(str)
    extras["__tax__"] = money(tax[lines.index])
    extras["__freight__"] = money(freight[lines.index])
    extras["__credit__"] = sign[lines.index] < 0
    extras[DOC] = lab
    return lines, extras
