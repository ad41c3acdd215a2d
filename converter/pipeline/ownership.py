"""System of record and closing the loop: which exports may flow, and what they confirm.

Each table has one owner (``[ownership]``: customers and products BizOps, vendors Sage 50 by
default), and transactions are created in one system (``transactions``, or a per-entity key such
as ``invoices = "sage50"``). An export from the non-owner is not converted (it is read for
reference: ``converter.pipeline.reference``), except under ``--initial-load`` (the first copy) and except
the Sage customer list, which always yields credit limits for BizOps. Every export read, refused or not, confirms the records sent to its system
earlier and notes drift.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..core.issues import Issue
from ..core.results import ConversionResult
from ..core.settings import Settings
from ..core.values import records as frame_records
from ..io.detection import Detection
from ..sage50.documents import BIZOPS_DOCS
from ..sage50.journals import JOURNALS
from ..sync.ledger import Ledger


def ownership_key(det: Detection, settings: Settings) -> str:
    if det.layout.kind == "transaction":
        return (
            f"ownership.{det.entity}" if settings.get(f"ownership.{det.entity}") else "ownership.transactions"
        )
    return f"ownership.{det.entity}"


def ownership_mode(det: Detection, settings: Settings, *, initial_load: bool) -> str:
    """``convert``, ``credit-limits`` (a Sage customer list while BizOps owns customers) or ``refuse``."""
    owner = settings.get(ownership_key(det, settings))
    if owner is None or det.system == owner or initial_load:
        return "convert"
    if det.system == "sage50" and det.entity == "customers":
        return "credit-limits"
    return "refuse"


def export_keys(frame: pd.DataFrame, det: Detection) -> pd.Series:
    """The key each row's record (or document) was sent under, in the export's own names."""
    if det.layout.kind == "transaction":
        cols = (
            (JOURNALS[det.entity].partner, JOURNALS[det.entity].number)
            if det.system == "sage50"
            else BIZOPS_DOCS[det.entity].key
        )
    else:
        cols = det.layout.key
    key = frame[cols[0]].fillna("").astype(str)
    for c in cols[1:]:
        key = key + "|" + frame[c].fillna("").astype(str)
    return key


def seen_in_export(frames: list[pd.DataFrame], det: Detection) -> dict[str, dict[str, Any] | None]:
    """Case-folded key → the record's values (tables) or None (documents), for ``Ledger.confirm``."""
    seen: dict[str, dict[str, Any] | None] = {}
    for frame in frames:
        if frame.empty:
            continue
        keys = export_keys(frame, det)
        if det.layout.kind == "transaction":
            seen.update(dict.fromkeys(keys.str.casefold()))
        else:
            seen.update(zip(keys.str.casefold(), frame_records(frame), strict=True))
    return seen


def confirm(
    ledger: Ledger | None, det: Detection, frames: list[pd.DataFrame]
) -> tuple[int, list[tuple[str, list[str]]]]:
    if ledger is None or not ledger.has_sent(det.entity, det.system):
        return 0, []  # nothing was ever sent to this system: nothing to confirm (and no work)
    return ledger.confirm(det.entity, det.system, seen_in_export(frames, det))


def remember(
    ledger: Ledger | None, path: Path, result: ConversionResult, template_key: str, *, batch: str | None
) -> None:
    if ledger is not None and result.sha256:
        ledger.record_file(
            sha256=result.sha256,
            template=template_key,
            name=path.name,
            size=path.stat().st_size,
            entity=result.entity,
            direction=f"{result.source_system}-to-{result.target_system}",
            outcome=result.status,
            batch=batch,
        )


def report_confirmations(
    result: ConversionResult, confirmed: int, drifted: list[tuple[str, list[str]]], det: Detection
) -> ConversionResult:
    """A copy of ``result`` noting what this export confirms of the records sent, and the drift."""
    result = result.copy()
    name = "Sage 50" if det.system == "sage50" else "BizOps"
    if confirmed:
        result.issues.append(
            Issue(
                None,
                None,
                "confirmed",
                f"{confirmed} {det.entity} sent to {name} earlier are in this export: confirmed.",
                "info",
            )
        )
    for rid, fields in drifted[:50]:
        result.issues.append(
            Issue(
                None,
                None,
                "drift",
                f"{rid}: {name} now holds other values than were sent for {', '.join(fields)}.",
                "warning",
            )
        )
    return result
