"""Sage files that are recognised but not exchanged with BizOps (vendor checks, payroll, jobs …).

A user who drops a whole Sage export folder drops these too. They are named for what they are,
counted, recorded in the ledger's history and left alone: status ``not-exchanged``, nothing in the
outbox, and (for the watcher) filed under ``processed/`` like any file that needs no more work.
"""

from __future__ import annotations

from pathlib import Path

from ..core.issues import Issue
from ..core.results import ConversionResult
from ..io.detection import Detection
from ..io.reading import TableFile
from ..sync.ledger import Ledger


def report_not_exchanged(
    path: Path, table: TableFile, det: Detection, result: ConversionResult, *, ledger: Ledger | None
) -> ConversionResult:
    """Count the rows of a recognised, not exchanged file; say what it is; record it in the history.
    Returns a copy of ``result`` saying so."""
    result = result.copy()
    result.rows_in = sum(len(c.frame) for c in table.iter_chunks(det.columns, has_header=det.has_header))
    result.records_out = 0
    result.status = "not-exchanged"
    how = "" if det.has_header else f" (recognised by its {len(det.columns)} columns: it has no heading row)"
    rows = f"{result.rows_in} row(s)" if result.rows_in else "its heading row only"
    result.issues.append(
        Issue(
            None,
            None,
            "not-exchanged",
            f"{path.name} is a Sage 50 {det.layout.title}{how}: {det.layout.not_exchanged}. "
            f"Nothing was converted ({rows}); there is nothing to do, and the file can be left out of "
            "the folders you drop.",
            "info",
        )
    )
    if ledger is not None and result.sha256:
        ledger.record_file(
            sha256=result.sha256,
            template=f"layout:{det.layout.name}",
            name=path.name,
            size=path.stat().st_size,
            entity=det.entity,
            direction=None,
            outcome=result.status,
            batch=None,
        )
    return result
