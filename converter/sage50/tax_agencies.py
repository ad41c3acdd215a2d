"""Sales tax agencies known in Sage 50, learned from its journals.

Sage 50 exports no list of its sales tax agencies, and an agency cannot be created by an import:
an invoice naming one Sage lacks is refused there. The agencies do show in its journals (the
``Sales Tax Agency ID`` of each sales-tax row), so every Sage Sales Journal or Sales Order export
read (converted or read for reference) teaches them, and ``doctor`` checks each
``[sage50.sales_tax.*] agency`` against what was seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

COLUMN = "Sales Tax Agency ID"
ENTITY = "tax_agencies"  # in the catalog, beside customers, vendors, products and accounts


def agencies_in(frames: Iterable[pd.DataFrame]) -> set[str]:
    """The distinct agency IDs on the rows of Sage journal frames (blank ones left out)."""
    out: set[str] = set()
    for frame in frames:
        if COLUMN in frame.columns and not frame.empty:
            out.update(v.strip() for v in frame[COLUMN].dropna().astype(str).unique() if v.strip())
    return out


def entries(agencies: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
    """Catalog entries (ID, data) for ``Catalog.record``."""
    return [(agency, {"agency": agency}) for agency in sorted(agencies)]
