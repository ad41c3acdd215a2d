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
from ..sync.ledger import Ledger, fingerprint, sent_fingerprints

COLUMNS = ["CustomerID", "CreditLimit", "CreditStatus", "SourceFile", "ExportedAt"]
KINDS = np.array(["new", "unchanged", "changed"], dtype=object)


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

    ``review`` lists every held change, and the other customers up to ``review_rows``.

    New and unchanged customers are told a whole column at a time (fingerprints against the
    ledger's); only the customers sent before with another limit or status, and those the review
    shows, are looked at one by one, with what was sent before.
    """
    frame, unreadable = _readable_limits(_limits_frame(customers))
    ids, limits, statuses = (texts(frame[c]) for c in ("CustomerID", "CreditLimit", "CreditStatus"))
    codes, stamped = _stamps(frame)
    fps = np.array([fp for fp, _ in stamped] or [""], dtype=object)[codes]
    marks = ledger.sent_marks("credit_limits", "bizops", ids) if ledger else {}
    before_fps = np.array(sent_fingerprints(marks, ids), dtype=object)  # None: never sent
    new = np.equal(before_fps, None)
    same = ~new & np.equal(before_fps, fps) & (not full)
    changed = np.flatnonzero(~new & ~same)
    shown = np.arange(min(review_rows, len(frame)))  # the review's first rows, whatever they are
    looked_up = np.union1d(changed, shown[~new[shown]])
    earlier = ledger.sent("credit_limits", "bizops", ids[looked_up].tolist()) if ledger is not None else {}
    kinds = KINDS[np.where(new, 0, np.where(same, 1, 2))]  # the three strings shared, not one per row
    whys = np.full(len(frame), "", dtype=object)
    rows = frame.index.to_numpy()
    issues = list(unreadable)
    thresholds = (
        float(settings.get("credit_limits.hold_above_percent", 50)),
        float(settings.get("credit_limits.hold_above_amount", 10_000)),
    )
    for pos in changed.tolist():
        prev = earlier.get(ids[pos].casefold())
        if prev is None:  # its batch was forgotten since it was looked up: new after all
            kinds[pos] = "new"
            continue
        held = _held(ids[pos], prev.data.get("CreditLimit"), limits[pos], *thresholds)
        if held and release_held:
            kinds[pos] = "released"
        elif held:
            kinds[pos], whys[pos] = "held", held
            issues.append(Issue(int(rows[pos]), "Credit Limit", "credit-limit-held", held, "warning"))
    is_held = kinds == "held"
    sending = np.flatnonzero(~same & ~is_held)
    result = CreditLimits(send=frame.iloc[0:0], held=frame.iloc[0:0], issues=issues)
    result.unchanged = int(same.sum())
    result.staged = list(
        zip(
            ids[sending].tolist(), fps[sending].tolist(), [stamped[codes[p]][1] for p in sending], strict=True
        )
    )
    review = np.union1d(shown, np.flatnonzero(is_held))
    result.review = [
        _review_row(p, rows, ids, limits, statuses, kinds, whys, earlier) for p in review.tolist()
    ]
    stamp = exported_at.isoformat(timespec="seconds")
    result.send = frame.iloc[sending].assign(SourceFile=source_file, ExportedAt=stamp)[COLUMNS]
    result.held = frame.iloc[np.flatnonzero(is_held)].assign(SourceFile=source_file, ExportedAt=stamp)[
        COLUMNS
    ]
    return result


def _held(customer: str, old_limit: object, new_limit: str, pct: float, amount: float) -> str:
    """Why a change of a customer's credit limit is held for review ("" when it is not)."""
    old, new = float(old_limit or 0), float(new_limit or 0)
    change = abs(new - old)
    share = change / abs(old) * 100 if old else (float("inf") if change else 0.0)
    if not (change > amount or share > pct):
        return ""
    return (
        f"{customer}: credit limit {old:.2f} → {new:.2f} is a change above {pct:g} % or "
        f"{amount:,.0f}; held for review (held-credit-limits.csv). Send it with --release-held "
        "once checked."
    )


def _review_row(pos, rows, ids, limits, statuses, kinds, whys, earlier) -> tuple:
    """The review workbook's row of one customer: row, ID, limit, status, what was sent before,
    the kind of change and why it is held."""
    prev = earlier.get(ids[pos].casefold()) if kinds[pos] != "new" else None
    before = (
        (str(prev.data.get("CreditLimit", "")), str(prev.data.get("CreditStatus", ""))) if prev else ("", "")
    )
    return (int(rows[pos]), ids[pos], limits[pos], statuses[pos], *before, kinds[pos], whys[pos])


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
