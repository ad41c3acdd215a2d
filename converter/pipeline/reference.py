"""An export from the system that does not own its table: not converted, but read for reference.

The owner's data must never be overwritten by a stale copy, so such an export is not converted
(``[ownership]``; ``--initial-load`` lets it through once). It still tells what exists in its
system: a list's IDs (and the fields transactions need) go into the catalog, so invoices naming
its items or customers are checked against them, and the records sent to that system earlier
are confirmed, with drift noted. The result's status is ``reference-only`` and it counts as a
success: nothing is wrong with the file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..core.issues import Issue
from ..core.results import ConversionResult
from ..core.settings import Settings
from ..io.detection import Detection
from ..io.reading import TableFile
from ..mapping.validation import normalise_source
from ..sage50.tax_agencies import ENTITY as TAX_AGENCIES
from ..sage50.tax_agencies import agencies_in
from ..sage50.tax_agencies import entries as agency_entries
from ..sync.catalog import Catalog
from ..sync.ledger import Ledger
from .masters import catalog_entries
from .ownership import confirm, export_keys, ownership_key, remember, report_confirmations

STATUS = "reference-only"
SYSTEMS = {"sage50": "Sage 50", "bizops": "BizOps"}
# What a list's records are called in each system (Sage 50 calls products items).
NOUNS = {("sage50", "products"): "items"}


def read_for_reference(
    path: Path,
    table: TableFile,
    det: Detection,
    result: ConversionResult,
    *,
    ledger: Ledger | None,
    settings: Settings,
    date_order: str,
    template_key: str,
    write: bool,
) -> ConversionResult:
    """Check every row, learn the list's IDs (catalog) and confirm what was sent; convert nothing.
    Returns a copy of ``result`` saying so.

    With ``write=False`` (``validate``) the checks run and nothing is recorded.
    """
    result = result.copy()
    frames, issues = [], list(det.issues)
    for chunk in table.iter_chunks(det.columns, has_header=det.has_header):
        frame = chunk.frame.set_axis(list(chunk.row_numbers))
        normal, found = normalise_source(frame, det.layout, date_order=date_order)
        issues += chunk.issues + found
        frames.append(normal)
        result.rows_in += len(frame)
    reported = {(i.row, i.column) for i in issues if i.severity == "error"}
    issues += [i for i in _missing_keys(frames, det) if (i.row, i.column) not in reported]
    unusable = {i.row for i in issues if i.severity == "error" and i.row is not None}
    valid = [f.drop(index=[r for r in f.index if r in unusable]) for f in frames]
    result.rejected = len(unusable)
    result.issues = sorted(issues, key=lambda i: (i.row or 0, i.column or ""))
    confirmed, drifted = confirm(ledger, det, valid)
    result = report_confirmations(result, confirmed, drifted, det)
    known = _learn(det, valid, settings=settings, source=path.name, write=write)
    result.counts = {"known": known, "confirmed": confirmed}
    result.status = STATUS
    result.issues.append(Issue(None, None, STATUS, message(det, settings, known, write=write), "info"))
    if write:
        remember(ledger, path, result, template_key, batch=None)
    return result


def _learn(
    det: Detection, frames: list[pd.DataFrame], *, settings: Settings, source: str, write: bool
) -> int:
    """The list's records into the catalog (reference checks); returns how many distinct IDs.
    A transaction export teaches its documents only (they are confirmed, not catalogued)."""
    if det.layout.kind == "transaction":
        agencies = agencies_in(frames) if det.system == "sage50" else set()
        if write and agencies:  # Sage's sales tax agencies show only in its journals
            Catalog.for_settings(settings).record(
                "sage50", TAX_AGENCIES, agency_entries(agencies), source=source
            )
        return len({k.casefold() for f in frames if not f.empty for k in export_keys(f, det)})
    entries = [e for f in frames for e in catalog_entries(f, det.system, det.entity)]
    if write and entries:
        Catalog.for_settings(settings).record(det.system, det.entity, entries, source=source)
    return len({rid.casefold() for rid, _ in entries if rid})


def message(det: Detection, settings: Settings, known: int, *, write: bool) -> str:
    key = ownership_key(det, settings)
    owner = SYSTEMS.get(str(settings.get(key)), str(settings.get(key)))
    system = SYSTEMS[det.system]
    if det.layout.kind == "transaction":
        what = f"{known} {det.entity} seen in {system}"
    else:
        noun = NOUNS.get((det.system, det.entity), det.entity)
        what = f"{known} {noun} {'now' if write else 'would become'} known in {system}"
    head = "read for reference" if write else "would be read for reference only"
    return (
        f"{head}: {what}; not converted, because {owner} owns {det.entity} (`{key}`). "
        "For a one-time first copy pass --initial-load; to change the owner, set the config key."
    )


def _missing_keys(frames: list[pd.DataFrame], det: Detection) -> list[Issue]:
    """A row without its key (ID, or document number) cannot be referred to: reported, not learned."""
    if det.layout.kind == "transaction":
        return []
    column = det.layout.key[0] if det.layout.key else None
    out = []
    for frame in frames:
        if column is None or column not in frame.columns:
            continue
        blank = frame[column].fillna("").astype(str).str.strip() == ""
        out += [
            Issue(
                int(row),
                column,
                "missing-value",
                f"{column} is required to know this record; fill it in.",
                "error",
            )
            for row in frame.index[blank.to_numpy()]
        ]
    return out
