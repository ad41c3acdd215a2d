"""Credit limits told a column at a time give what the one-customer-at-a-time loop of the
release gave: the same sent, held and unchanged customers, issues, ledger records and review rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from converter.core.issues import Issue
from converter.core.settings import Settings
from converter.core.values import flat_json, texts
from converter.pipeline.credit_limits import (
    COLUMNS,
    CreditLimits,
    _limits_frame,
    _readable_limits,
    _stamps,
    credit_limit_changes,
)
from converter.sync.ledger import Ledger, fingerprint

EXPORTED = dt.datetime(2026, 11, 30, 17, 5, tzinfo=dt.UTC)
LIMITS = ["0.00", "500.00", "5000.00", "5400.00", "9000.00", "20000.00", "50000.00", "not-a-limit", ""]
STATUSES = ["Notify Over Limit", "Always Hold Invoices", "No Credit Limit", ""]


# The release's loop, one customer at a time (copied from it): the reference.
def released_credit_limit_changes(
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


def customers(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Customer ID": [f"C{i:04d}" if i % 7 else f"c{i:04d}" for i in range(n)],
            "Credit Limit": [LIMITS[i] for i in rng.integers(0, len(LIMITS), n)],
            "Credit Status": [STATUSES[i] for i in rng.integers(0, len(STATUSES), n)],
        },
        index=range(2, n + 2),
    )


def ledger_with_earlier_limits(tmp_path: Path, rng: np.random.Generator, n: int) -> Ledger:
    """A ledger that sent a random half of the customers a random limit before (some in a
    batch forgotten since)."""
    ledger = Ledger(tmp_path / "ledger.db")
    for batch, state in (("b1", "recorded"), ("b2", "forgotten")):
        records = []
        for i in rng.choice(n, n // 2, replace=False).tolist():
            data = {"CreditLimit": LIMITS[rng.integers(0, 7)], "CreditStatus": STATUSES[rng.integers(0, 4)]}
            records.append((f"C{i:04d}", fingerprint(data), flat_json(data)))
        ledger.stage_batch(
            batch=batch,
            path=tmp_path / batch,
            direction="sage50-to-bizops",
            entity="credit_limits",
            source="CUSTOMER.CSV",
            sha256=None,
            records=records,
            target="bizops",
        )
        ledger.finish_batch(batch)
        if state == "forgotten":
            ledger.drop_batch(batch)
    return ledger


def triple(issue: Issue) -> tuple:
    return (issue.row, issue.column, issue.code, issue.message, issue.severity)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "full,release_held,review_rows",
    [(False, False, 1_000), (False, True, 7), (True, False, 0), (False, False, 3)],
)
def test_credit_limits_a_column_at_a_time_are_the_release_s(tmp_path, seed, full, release_held, review_rows):
    rng = np.random.default_rng(seed)
    n = 60
    frame = customers(rng, n)
    ledger = ledger_with_earlier_limits(tmp_path, rng, n) if seed else None  # seed 0: no ledger
    settings = Settings({"credit_limits": {"hold_above_percent": 40, "hold_above_amount": 3000}})
    kw = dict(ledger=ledger, settings=settings, source_file="CUSTOMER.CSV", exported_at=EXPORTED)
    kw.update(full=full, release_held=release_held, review_rows=review_rows)
    new, old = credit_limit_changes(frame, **kw), released_credit_limit_changes(frame, **kw)
    pd.testing.assert_frame_equal(new.send, old.send)
    pd.testing.assert_frame_equal(new.held, old.held)
    assert new.unchanged == old.unchanged
    assert list(map(triple, new.issues)) == list(map(triple, old.issues))
    assert new.staged == old.staged
    assert new.review == old.review
    assert (
        len(new.send)
        + len(new.held)
        + new.unchanged
        + len(frame)
        - len(_readable_limits(_limits_frame(frame))[0])
        == n
    )
