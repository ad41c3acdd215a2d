"""Date Due on every Sage document: Sage does not compute a missing one, and aging goes wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.values import map_distinct
from .documents import BizOpsDoc

if TYPE_CHECKING:  # journals imports this module
    from .journals import BuildContext, Journal

_NET_DAYS = r"(?i)\bnet\s*(\d{1,3})\b"


def due_dates(
    out: pd.DataFrame, source: pd.DataFrame, spec: BizOpsDoc, journal: Journal, ctx: BuildContext
) -> None:
    """Date Due always: the document's, else the terms' (Net N, or the partner's), else the config default."""
    due = (
        out[journal.due].fillna("").astype(str)
        if journal.due in out.columns
        else pd.Series("", index=out.index)
    )
    blank = due.str.strip() == ""
    if not blank.any():
        out[journal.due] = due
        return
    days = pd.Series(np.nan, index=out.index)
    if spec.terms and spec.terms in source.columns:
        terms = source[spec.terms].reindex(out.index).fillna("").astype(str)
        days = terms.str.extract(_NET_DAYS)[0].astype(float)
    partner = out[journal.partner].fillna("").astype(str)
    known = map_distinct(
        partner,
        lambda p: (
            (ctx.catalog.partner(journal.partner_entity, p) or {}).get("terms_due_days", "") if p else ""
        ),
    )
    days = days.fillna(pd.to_numeric(known, errors="coerce"))
    default = ctx.settings.get("sage50.default_due_days", 30)
    days = days.fillna(float(default))
    base = pd.to_datetime(out["Date"].where(out["Date"] != "", None), format="%Y-%m-%d", errors="coerce")
    computed = (base + pd.to_timedelta(days, unit="D")).dt.strftime("%Y-%m-%d").fillna("")
    out[journal.due] = due.where(~blank, computed)
