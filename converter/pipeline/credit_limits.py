"""Credit limits flow from Sage 50 to BizOps, always: Sage keeps the receivables.

A Sage customer list yields ``credit_limits.csv`` for BizOps with the customers whose limit or
status changed since the last one sent (all of them the first time). A change above the
threshold (``[credit_limits] hold_above_percent`` / ``hold_above_amount``; 50 % or 10,000 by
default) is held for review rather than sent; ``--release-held`` sends it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.issues import Issue
from ..core.settings import Settings
from ..core.values import blank, flat_json, parse_numbers, texts
from ..io.batches import Batch
from ..io.layouts import load_layout
from ..io.writing import import_writer
from ..sync.ledger import Ledger, fingerprint

COLUMNS = ["CustomerID", "CreditLimit", "CreditStatus", "SourceFile", "ExportedAt"]


@dataclass
class CreditLimits:
    send: pd.DataFrame
    held: pd.DataFrame
    unchanged: int = 0
    issues: list[Issue] = field(default_factory=list)
    staged: list[tuple[str, str, str]] = field(default_factory=list)  # (ID, fingerprint, data as JSON)
    # For the review workbook, per customer: (row, ID, limit, status, limit before, status
    # before, change: new | changed | unchanged | held | released, why).
    review: list[tuple[int, str, str, str, str, str, str, str]] = field(default_factory=list)


def credit_limit_changes(
    customers: pd.DataFrame,
    *,
    ledger: Ledger | None,
    settings: Settings,
    source_file: str,
    exported_at: dt.datetime,
    full: bool = False,
    release_held: bool = False,
    review_rows: int = 1_000,
) -> CreditLimits:
    """From valid Sage customer rows (canonical values, index = row numbers), what to send.

    ``review`` lists every held change, and the other customers up to ``review_rows``."""
    frame, unreadable = _readable_limits(_limits_frame(customers))
    earlier = ledger.sent("credit_limits", "bizops", frame["CustomerID"]) if ledger else {}
    pct = float(settings.get("credit_limits.hold_above_percent", 50))
    amount = float(settings.get("credit_limits.hold_above_amount", 10_000))
    result = CreditLimits(send=frame.iloc[0:0], held=frame.iloc[0:0], issues=unreadable)
    send, held = [], []
    codes, stamped = _stamps(frame)
    columns = zip(
        codes,
        frame.index,
        texts(frame["CustomerID"]),
        texts(frame["CreditLimit"]),
        texts(frame["CreditStatus"]),
        strict=True,
    )
    for code, row, customer, limit, status in columns:  # plain arrays: iterrows costs 100x more
        rec = {"CustomerID": customer, "CreditLimit": limit}
        fp, data = stamped[code]
        prev = earlier.get(customer.casefold())
        before = (
            (str(prev.data.get("CreditLimit", "")), str(prev.data.get("CreditStatus", "")))
            if prev
            else ("", "")
        )
        if prev is not None and prev.fingerprint == fp and not full:
            result.unchanged += 1
            if len(result.review) < review_rows:
                result.review.append((int(row), customer, limit, status, *before, "unchanged", ""))
            continue
        kind = "new" if prev is None else "changed"
        if prev is not None:
            old = float(prev.data.get("CreditLimit") or 0)
            new = float(rec["CreditLimit"] or 0)
            change = abs(new - old)
            share = change / abs(old) * 100 if old else (float("inf") if change else 0.0)
            if (change > amount or share > pct) and release_held:
                kind = "released"
            elif change > amount or share > pct:
                held.append(row)
                why = (
                    f"{rec['CustomerID']}: credit limit {old:.2f} → {new:.2f} is a change above "
                    f"{pct:g} % or {amount:,.0f}; held for review (held-credit-limits.csv). Send it "
                    "with --release-held once checked."
                )
                result.issues.append(Issue(int(row), "Credit Limit", "credit-limit-held", why, "warning"))
                result.review.append((int(row), customer, limit, status, *before, "held", why))
                continue
        send.append(row)
        if len(result.review) < review_rows:
            result.review.append((int(row), customer, limit, status, *before, kind, ""))
        result.staged.append((customer, fp, data))
    stamp = exported_at.isoformat(timespec="seconds")
    result.send = frame.loc[send].assign(SourceFile=source_file, ExportedAt=stamp)[COLUMNS]
    result.held = frame.loc[held].assign(SourceFile=source_file, ExportedAt=stamp)[COLUMNS]
    return result


def _limits_frame(customers: pd.DataFrame) -> pd.DataFrame:
    """Customer ID, Credit Limit and Credit Status of a Sage customer list, in BizOps' names."""
    return pd.DataFrame(
        {
            "CustomerID": customers["Customer ID"],
            "CreditLimit": customers["Credit Limit"] if "Credit Limit" in customers.columns else "",
            "CreditStatus": customers["Credit Status"] if "Credit Status" in customers.columns else "",
        },
        index=customers.index,
    ).fillna("")


def _stamps(frame: pd.DataFrame) -> tuple[list[int], list[tuple[str, str]]]:
    """Each row's code into the (fingerprint, JSON) of its distinct limit and status: a limit and
    status repeat across customers, so each distinct pair is fingerprinted once."""
    limit_codes, limits = pd.factorize(texts(frame["CreditLimit"]))
    status_codes, statuses = pd.factorize(texts(frame["CreditStatus"]))
    width = max(len(statuses), 1)
    codes, pairs = pd.factorize(limit_codes.astype(np.int64) * width + status_codes)
    datas = [{"CreditLimit": limits[p // width], "CreditStatus": statuses[p % width]} for p in pairs.tolist()]
    return codes.tolist(), [(fingerprint(d), flat_json(d)) for d in datas]


def _readable_limits(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Issue]]:
    """Rows whose credit limit reads as an amount; an error for each of the others (only that
    customer's limit is not sent)."""
    limits = frame["CreditLimit"].astype(str)
    _, bad = parse_numbers(limits)
    bad |= blank(limits)
    issues = [
        Issue(
            int(row),
            "Credit Limit",
            "bad-credit-limit",
            f"{customer}: credit limit {value!r} is not an amount, so it was not sent to BizOps. "
            "Correct it in Sage 50 (Maintain Customers) and export the customer list again.",
            "error",
        )
        for row, customer, value in zip(frame.index[bad], frame["CustomerID"][bad], limits[bad], strict=True)
    ]
    return frame[~bad], issues


@dataclass
class CreditLimitFiles:
    """What ``write_credit_limits`` wrote into the batch, for the conversion to add to its result."""

    outputs: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    staged: list[tuple[str, str, list]] = field(default_factory=list)  # the records sent, for the ledger
    counts: dict[str, int] | None = None  # sent, held, unchanged: the result's ``credit_limits``
    review: list[tuple] = field(default_factory=list)  # rows of review.xlsx's Credit limits sheet


def write_credit_limits(
    path: Path,
    batch: Batch,
    customers: list[pd.DataFrame],
    *,
    ledger: Ledger | None,
    settings: Settings,
    full: bool,
    release_held: bool,
    review_rows: int = 0,
) -> CreditLimitFiles:
    """credit_limits.csv (and held-credit-limits.csv) for BizOps from a Sage customer list's valid rows."""
    out = CreditLimitFiles()
    frames = [f for f in customers if not f.empty]
    if not frames:
        return out
    if not any("Credit Limit" in f.columns for f in frames):
        out.issues.append(
            Issue(
                None,
                None,
                "no-credit-limits",
                f"{path.name} has no Credit Limit column, so no credit limits were sent to BizOps. Show the "
                "Credit Limit field in Sage 50's Customer List export template and export it again.",
                "warning",
            )
        )
        return out
    exported = dt.datetime.fromtimestamp(path.stat().st_mtime).astimezone()
    limits = credit_limit_changes(
        pd.concat(frames),
        ledger=ledger,
        settings=settings,
        source_file=path.name,
        exported_at=exported,
        full=full,
        release_held=release_held,
        review_rows=review_rows,
    )
    out.issues += limits.issues
    out.review = limits.review
    layout = load_layout("bizops", "credit_limits")
    if not limits.send.empty:
        writer = import_writer(batch.path(layout.file_name), layout, layout.field_names)
        writer.write(limits.send)
        writer.close()
        out.outputs.append(str(writer.path))
        out.staged.append(("credit_limits", "bizops", limits.staged))
    if not limits.held.empty:
        held = import_writer(batch.path("held-credit-limits.csv"), layout, layout.field_names)
        held.write(limits.held)
        held.close()
        out.outputs.append(str(held.path))
    out.counts = {"sent": len(limits.send), "held": len(limits.held), "unchanged": limits.unchanged}
    return out
