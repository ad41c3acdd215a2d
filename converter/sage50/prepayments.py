"""Prepayments: customer payments applied to no invoice, both ways.

BizOps ``payments.csv`` holds a prepayment as one row with a blank ``InvoiceNumber`` and
``Prepayment`` TRUE; ``InvoiceNumber`` is required on every other row. Sage 50 holds it as a
Cash Receipts Journal receipt with the header field ``Prepayment`` TRUE and no ``Invoice Paid``;
the distribution credits the customer's A/R account (``sage50.prepayment_account``, by default
``sage50.ar_account``), so the receipt stays on the customer's account as a credit to apply later.
Sage's ``Prepayment`` belongs to the whole receipt, so a BizOps payment that mixes a prepayment
with invoice rows cannot be written to Sage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.issues import Issue
from ..core.settings import Settings

FLAG = "Prepayment"
INVOICE = "InvoiceNumber"


def prepaid(frame: pd.DataFrame, column: str = FLAG) -> pd.Series:
    """True on rows whose prepayment flag is TRUE (canonical booleans; a missing column is FALSE)."""
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    return frame[column].fillna("").astype(str).str.strip().str.upper() == "TRUE"


def _blank(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(True, index=frame.index)
    return frame[column].fillna("").astype(str).str.strip() == ""


def _issues(rows, column: str, code: str, message) -> list[Issue]:
    return [Issue(int(row), column, code, message(row), "error") for row in rows]


def missing_invoices(frame: pd.DataFrame, *, column: str = INVOICE) -> list[Issue]:
    """BizOps payment rows with no invoice that are not prepayments: ``InvoiceNumber`` is required.

    ``column`` names the column a person fixes (``Invoice Paid`` when the rows came from Sage).
    """
    missing = _blank(frame, INVOICE) & ~prepaid(frame)
    return _issues(
        frame.index[missing.to_numpy()],
        column,
        "missing-value",
        lambda _r: (
            f"{column} is required unless Prepayment is TRUE: fill in the invoice this row pays, or, for a "
            "payment applied to no invoice (a deposit), leave it blank and set Prepayment TRUE."
        ),
    )


def sage_rules(normal: pd.DataFrame, labels: pd.Series) -> list[Issue]:
    """What Sage 50 needs of a BizOps prepayment: no invoice on it, and a receipt of its own."""
    flag = prepaid(normal)
    if not flag.any():
        return []
    invoice = normal[INVOICE].fillna("").astype(str) if INVOICE in normal.columns else None
    both = flag & ~_blank(normal, INVOICE)
    issues = _issues(
        normal.index[both.to_numpy()],
        FLAG,
        "prepayment-with-invoice",
        lambda r: (
            f"Prepayment is TRUE but the row pays invoice {invoice[r]!r}; a prepayment applies to no invoice. "
            "Clear InvoiceNumber, or set Prepayment FALSE."
        ),
    )
    any_flag = flag.groupby(labels, sort=False).transform("any")
    mixed = any_flag & ~flag.groupby(labels, sort=False).transform("all")
    firsts = mixed & ~labels.duplicated()
    issues += _issues(
        normal.index[firsts.to_numpy()],
        FLAG,
        "mixed-prepayment",
        lambda _r: (
            "This payment mixes a prepayment with rows that pay invoices; in Sage 50 a prepayment is a "
            "receipt of its own. Give the prepayment row its own PaymentReference."
        ),
    )
    return issues


def sage_accounts(source: pd.DataFrame, settings: Settings) -> np.ndarray:
    """The G/L account of each receipt distribution: A/R on invoice rows, the prepayment account
    (default: the A/R account) on prepayment rows."""
    ar = str(settings.require("sage50.ar_account", why="Cash receipts credit the A/R account."))
    flag = prepaid(source)
    if not flag.any():
        return np.full(len(source), ar, dtype=object)
    account = str(settings.get("sage50.prepayment_account") or ar)
    return np.where(flag.to_numpy(), account, ar).astype(object)
