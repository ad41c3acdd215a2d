"""References: every ID a document uses must already exist in the target system.

Checked against what the catalog knows of the target (the masters converted, and the latest Sage
CUSTOMER/VENDOR/ITEM/CHART exports read). Unknown IDs are errors by default; ``[checks]
unknown_references = "warning"`` lets them through. An entity never seen is not checked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.issues import Issue
from ..core.values import distinct_mask, text
from ..sync.catalog import Catalog
from .documents import DOC


def reference_issues(
    frame: pd.DataFrame,
    checks: list[tuple[str, str, str]],
    catalog: Catalog,
    system: str,
    severity: str,
    columns: dict[str, str] | None = None,
) -> tuple[list[Issue], list[str]]:
    """Every ID a document uses must be known in the target system: one issue per document and ID.

    ``checks`` holds (column, catalog entity, what); ``columns`` names, per target column, the
    input column a person should fix. Returns the issues and the entities that could not be
    checked because nothing is known of them yet.
    """
    issues: list[Issue] = []
    unchecked: list[str] = []
    for column, entity, what in checks:
        if column not in frame.columns:
            continue
        known = catalog.entries(system, entity)
        if not known:
            unchecked.append(entity)
            continue
        values = text(frame[column])
        unknown = distinct_mask(values, lambda v, k=known: v.strip() != "" and v.casefold() not in k)
        if not unknown.any():
            continue
        seen: set[tuple[str, str]] = set()
        for pos in np.flatnonzero(unknown.to_numpy()):
            doc = str(frame[DOC].iloc[pos]) if DOC in frame.columns else str(pos)
            value = values.iloc[pos]
            if (doc, value) in seen:
                continue
            seen.add((doc, value))
            row = int(frame.index[pos])
            name = "Sage 50" if system == "sage50" else "BizOps"
            issues.append(
                Issue(
                    row,
                    (columns or {}).get(column, column),
                    "unknown-reference",
                    f"{what} {value!r} is not known in {name}. Send or export the {entity} list first "
                    "(references are checked against what the converter has seen); "
                    '`[checks] unknown_references = "warning"` lets it through.',
                    severity,
                )
            )  # type: ignore[arg-type]
    return issues, unchecked


SAGE_REFS = [
    ("Customer ID", "customers", "Customer"),
    ("Vendor ID", "vendors", "Vendor"),
    ("Item ID", "products", "Item"),
    ("G/L Account", "accounts", "G/L account"),
    ("Accounts Receivable Account", "accounts", "G/L account"),
    ("Accounts Payable Account", "accounts", "G/L account"),
    ("Cash Account", "accounts", "G/L account"),
]
BIZOPS_REFS = [
    ("CustomerID", "customers", "Customer"),
    ("VendorID", "vendors", "Vendor"),
    ("SKU", "products", "Product"),
]
