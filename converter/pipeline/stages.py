"""The stages of one conversion, each a function: detect and read happen in ``convert``; here the
records are mapped and checked chunk by chunk (``read_and_map``), tallied into the result
(``tally``, ``settle``), and the Sage chart of accounts is recorded (``record_chart``).
The batch is written by ``converter.pipeline.write``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.errors import ControlTotalsError
from ..core.issues import Issue
from ..core.results import ConversionResult
from ..core.settings import Settings
from ..io import safe_cells
from ..io.batches import Batch
from ..io.chunks import Chunk
from ..io.detection import Detection
from ..io.layouts import Layout, MapTemplate
from ..io.reading import TableFile
from ..io.writing import CsvWriter, format_for_target
from ..mapping.engine import output_fields
from ..mapping.validation import normalise_source
from ..review.workbook import ReviewRecorder
from ..sage50.documents import split_tail
from ..sync.catalog import Catalog
from ..sync.ledger import Ledger
from .masters import MasterConverter, catalog_entries
from .ownership import confirm
from .transactions import Block, TransactionConverter, computed_fields, labels_for


@dataclass
class Run:
    """One file's conversion, across chunks: counts, issues and the writers of its batch."""

    detection: Detection
    target: Layout
    fields: list[str]
    batch: Batch
    writer: CsvWriter | None
    issues: list[Issue] = field(default_factory=list)
    rows_in: int = 0
    records_out: int = 0
    rejected: int = 0
    skipped: int = 0
    rejects: CsvWriter | None = None
    review: ReviewRecorder | None = None

    def emit(self, raw: pd.DataFrame, block: Block) -> None:
        """Write a converted block: good rows to the import file, rejected rows to rejects.csv."""
        output = block.output.drop(columns=[c for c in block.output.columns if c.startswith("__")])
        if self.writer is None:  # credit limits only: the records themselves are not sent
            output = output.iloc[0:0]
        else:
            self.writer.write(format_for_target(output, self.target))
            if self.review is not None:
                self.review.add(block.output, block.notes, block.changes)
        if block.bad_rows:
            self._reject(raw, block)
        self.rows_in += len(raw)
        self.records_out += len(output)
        self.rejected += len(block.bad_rows)
        self.skipped += len(block.skipped_rows)
        # A cell that two steps found fault with (reading the date, then mapping it) is reported once.
        seen: set[tuple] = set()
        for issue in block.issues:
            where = (issue.row, issue.column, issue.code, None if issue.severity == "error" else issue.target)
            if issue.row is None or where not in seen:
                seen.add(where)
                self.issues.append(issue)

    def close(self) -> None:
        for writer in (self.writer, self.rejects):
            if writer is not None:
                writer.close()

    def _reject(self, raw: pd.DataFrame, block: Block) -> None:
        det = self.detection
        if self.rejects is None:
            self.rejects = CsvWriter(
                self.batch.path("rejects.csv"),
                [*det.columns, "Error"],
                encoding="utf-8-sig",
                headers=[*det.headers, "Error"],
            )
        reasons: dict[int, list[str]] = {}
        for i in block.issues:
            if i.severity == "error" and i.row is not None:
                reasons.setdefault(i.row, []).append(f"{i.column}: {i.message}" if i.column else i.message)
        rows = [r for r in block.bad_rows if r in raw.index]
        rejected = raw.loc[rows].copy()
        rejected["Error"] = [
            "; ".join(reasons.get(r, ["another row of this document has an error"])) for r in rows
        ]
        # In the CSV, formula-like cells get a leading ' (undone when the file is dropped back in; see
        # safe_cells). review.xlsx stores every value as a text cell, so it shows them as they came.
        safe, neutralised = safe_cells.neutralise(rejected, list(raw.columns))
        for r, columns in neutralised.items():
            safe.at[r, "Error"] += "; " + safe_cells.NOTE.format(columns=", ".join(columns))
        self.rejects.write(safe)
        if self.review is not None:
            self.review.add_rejected(rejected)


def already_processed(ledger: Ledger, path: Path, sha256: str, template_key: str) -> Issue | None:
    """The note that this file (same bytes, same template) was processed before, if it was."""
    prior = ledger.seen_file(sha256, template_key)
    if not prior:
        return None
    return Issue(
        None,
        None,
        "same-file",
        f"{path.name} (the same bytes, same template) was already processed on "
        f"{prior['processed_at'][:19]} as {prior['name']} (batch {prior['batch'] or 'none'}); "
        "nothing to do. Pass --full to convert it again.",
        "info",
    )


def target_fields(template: MapTemplate, target: Layout, transaction: bool) -> list[str]:
    """The target's fields the import file carries, in the target layout's order."""
    fields = output_fields(template, target)
    if transaction:
        extra = set(computed_fields(target))
        fields = [
            f.name
            for f in target.fields
            if (f.name in fields or f.name in extra) and (f.imports or target.system != "sage50")
        ]
    return fields


def read_and_map(
    table: TableFile,
    det: Detection,
    converter: MasterConverter | TransactionConverter,
    run: Run,
    *,
    chunk_rows: int,
    confirming: Ledger | None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, list]:
    """Every chunk read, mapped and checked, and emitted to the run's writers. Returns what the
    export confirms of records sent earlier (``confirming`` is None for an initial load)."""
    transaction = det.layout.kind == "transaction"
    confirmed, drifted = 0, []

    def confirm_block(frame: pd.DataFrame) -> None:
        """What this export shows was loaded is confirmed block by block, so no block is kept. An
        initial load confirms nothing and reports no drift: its export predates anything sent."""
        nonlocal confirmed, drifted
        n, d = confirm(confirming, det, [frame])
        confirmed, drifted = confirmed + n, drifted + d

    try:
        carry, carry_issues = None, []
        dropped_back = safe_cells.is_dropped_back(det.headers)
        chunks = table.iter_chunks(det.columns, has_header=det.has_header, chunk_rows=chunk_rows)
        for chunk, last in _marking_last(table, chunks):
            frame = chunk.frame.set_axis(list(chunk.row_numbers))
            if dropped_back:  # a rejects.csv back in: its formula-like cells lose their leading '
                frame = safe_cells.restore(frame)
            issues = carry_issues + chunk.issues
            if transaction:
                # The last document may continue in the next chunk: carry it over (the file's
                # last chunk ends with a whole document: converted with the rest, not on its own).
                frame = frame if carry is None else pd.concat([carry, frame])
                if last:
                    carry, carry_issues = None, []
                else:
                    labels, _ = labels_for(frame, det.layout)
                    frame, carry = split_tail(frame, labels)
                    carry_issues = [i for i in issues if i.row in carry.index]
                    issues = [i for i in issues if i.row not in carry.index]
                if frame.empty:
                    continue
                confirm_block(frame)
            run.emit(frame, converter.convert(frame, issues))
            if not transaction:
                confirm_block(converter.last_valid)
            if progress is not None:  # the caller draws it (the CLI's bar); the core never prints
                progress(chunk.bytes_read or 0, table.size)
        if carry is not None and not carry.empty:
            confirm_block(carry)
            run.emit(carry, converter.convert(carry, carry_issues))
    finally:
        run.close()
    return confirmed, drifted


def _marking_last(table: TableFile, chunks: Iterator[Chunk]) -> Iterator[tuple[Chunk, bool]]:
    """Each chunk, and whether it is the file's last. The next chunk is read ahead only once the
    whole CSV file has been read (its rows are in memory already), so memory stays flat."""
    chunk = next(chunks, None)
    while chunk is not None:
        if table.format != "csv" or (chunk.bytes_read or 0) < table.size:
            yield chunk, False
            chunk = next(chunks, None)
            continue
        following = next(chunks, None)
        yield chunk, following is None
        chunk = following


def tally(
    result: ConversionResult,
    run: Run,
    converter: MasterConverter | TransactionConverter,
    *,
    transaction: bool,
    credit_only: bool,
    catalog: Catalog,
) -> ConversionResult:
    """A copy of ``result`` with the run's counts and issues."""
    result = result.copy()
    issues = [*run.issues, *converter.odd.issues()]
    result.rows_in, result.records_out, result.rejected, result.skipped = (
        run.rows_in,
        run.records_out,
        run.rejected,
        run.skipped,
    )
    result.issues = sorted(issues, key=lambda i: (i.row or 0, i.column or ""))
    if transaction:
        return finish_transactions(converter, result, catalog)
    result.counts = None if credit_only else dict(converter.counts)
    return result


def settle(
    result: ConversionResult, run: Run, path: Path, *, credit_only: bool
) -> tuple[ConversionResult, bool]:
    """A copy of ``result`` with its status once every record is through, and True when there is
    no batch to write (an empty file, or only documents of another kind)."""
    result = result.copy()
    if credit_only:
        result.records_out = (result.credit_limits or {}).get("sent", 0)
        result.issues.append(
            Issue(
                None,
                None,
                "credit-limits-only",
                f"BizOps owns customers (`ownership.customers`), so this Sage 50 customer list "
                f"yields only credit limits for BizOps ({result.records_out} to send).",
                "info",
            )
        )
    if run.rows_in == 0:
        result.status = "empty"
        result.issues.append(
            Issue(
                None,
                None,
                "no-rows",
                f"{path.name} has a heading row but no data rows; nothing to convert.",
                "info",
            )
        )
        return result, True
    result.status = "rejected-rows" if run.rejected else "converted"
    if result.skipped_kinds and sum(result.skipped_kinds.values()) == run.rows_in:
        # Only documents of another kind (vendor bills, quotes): nothing to exchange, no batch.
        result.status = "not-exchanged"
        result.issues = [i for i in result.issues if i.code != "references-unchecked"]
        return result, True
    return result, False


def finish_transactions(
    converter: TransactionConverter, result: ConversionResult, catalog: Catalog
) -> ConversionResult:
    """A copy of ``result`` with the control totals, the documents of another kind skipped and
    the references left unchecked; control totals that disagree stop the file."""
    result = result.copy()
    controls = converter.controls
    result.controls = {"in": controls.inbound.as_dict(), "out": controls.outbound.as_dict()}
    result.skipped_kinds = converter.other_kinds.counts() or None
    skipped = converter.other_kinds.issue()
    if skipped is not None:
        result.issues.insert(0, skipped)
    for entity in sorted(converter.unchecked):
        system = "Sage 50" if converter.target.system == "sage50" else "BizOps"
        hint = "a Sage CHART.CSV export" if entity == "accounts" else f"the {system} {entity} list"
        result.issues.append(
            Issue(
                None,
                None,
                "references-unchecked",
                f"Nothing is known yet of {system} {entity}, so those references were not checked; "
                f"convert {hint} once to check them.",
                "info",
            )
        )
    differences = controls.differences()
    if differences:
        raise ControlTotalsError(
            "control totals in and out disagree (" + "; ".join(differences) + "). Nothing was written; "
            "this is a converter fault: keep the input file and report it."
        )
    return result


def record_chart(
    path: Path,
    table: TableFile,
    det: Detection,
    result: ConversionResult,
    *,
    settings: Settings,
    date_order: str,
    write: bool,
) -> ConversionResult:
    """A Sage chart of accounts is read, not converted: it tells which G/L accounts exist.
    Returns a copy of ``result`` saying so."""
    result = result.copy()
    entries: list[tuple[str, dict[str, Any]]] = []
    for chunk in table.iter_chunks(det.columns, has_header=det.has_header):
        frame = chunk.frame.set_axis(list(chunk.row_numbers))
        normal, issues = normalise_source(frame, det.layout, date_order=date_order)
        result.issues += chunk.issues + issues
        result.rows_in += len(frame)
        entries += catalog_entries(normal, "sage50", "accounts")
    if write:
        Catalog.for_settings(settings).record("sage50", "accounts", entries, source=path.name)
    result.records_out = len(entries)
    result.status = "recorded"
    result.issues.append(
        Issue(
            None,
            None,
            "chart-recorded",
            f"{len(entries)} G/L accounts recorded; transactions are now checked against them.",
            "info",
        )
    )
    return result
