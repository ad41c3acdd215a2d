"""Date Due on every Sage document: Sage does not compute a missing one, and aging goes wrong."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.values import blank, each_distinct, text, texts
from .documents import BizOpsDoc

if TYPE_CHECKING:  # journals imports this module
    from .journals import BuildContext, Journal

_NET_DAYS = re.compile(r"(?i)\bnet\s*(\d{1,3})\b")


def _net_days(terms: str) -> float:
    found = _NET_DAYS.search(terms)
    return float(found.group(1)) if found else np.nan


def due_dates(
    out: pd.DataFrame, source: pd.DataFrame, spec: BizOpsDoc, journal: Journal, ctx: BuildContext
) -> None:
    """Date Due always: the document's, else the terms' (Net N, or the partner's), else the config default."""
    due = (
        text(out[journal.due]) if journal.due in out.columns else pd.Series("", index=out.index, dtype=object)
    )
    empty = blank(due)
    if not empty.any():
        out[journal.due] = due
        return
    # Terms, partners and dates repeat down the column: each distinct one is read once.
    days = np.full(len(out), np.nan)
    if spec.terms and spec.terms in source.columns:
        days = each_distinct(source[spec.terms].reindex(out.index), _net_days).to_numpy(dtype=float)
    known = each_distinct(
        out[journal.partner],
        lambda p: (
            (ctx.catalog.partner(journal.partner_entity, p) or {}).get("terms_due_days", "") if p else ""
        ),
    )
    codes, distinct = pd.factorize(known.to_numpy(dtype=object), use_na_sentinel=False)
    partner_days = pd.to_numeric(pd.Series(distinct, dtype=object), errors="coerce").to_numpy(dtype=float)
    if len(distinct):
        days = np.where(np.isnan(days), partner_days[codes], days)
    default = ctx.settings.get("sage50.default_due_days", 30)
    days = np.where(np.isnan(days), float(default), days)
    out[journal.due] = due.where(~empty, _date_plus_days(texts(out["Date"]), days))


def _date_plus_days(dates: np.ndarray, days: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` + days, spelled ``YYYY-MM-DD`` ("" where the date is not one), computed once
    per distinct (date, days) pair."""
    date_codes, date_values = pd.factorize(dates)
    day_codes, day_values = pd.factorize(days, use_na_sentinel=False)
    n_days = max(len(day_values), 1)
    pairs, pair_codes = np.unique(date_codes.astype(np.int64) * n_days + day_codes, return_inverse=True)
    base_text = pd.Series(np.asarray(date_values, dtype=object)[pairs // n_days], dtype=object)
    base = pd.to_datetime(base_text.where(base_text != "", None), format="%Y-%m-%d", errors="coerce")
    step = pd.to_timedelta(pd.Series(np.asarray(day_values, dtype=float)[pairs % n_days]), unit="D")
    spelled = (base + step).dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    return spelled[pair_codes.reshape(-1)]
