"""One file through the whole flow: detect → read → validate → map → check → write a batch.

``convert_file`` is the pure core behind ``bizops-sage50 convert`` (and the watcher): it takes
a path and settings and returns a ``ConversionResult``; it never prints or exits. Problems in
the data become issues; rejected rows go to ``rejects.csv``; a problem that stops the file
(unreadable, unrecognised, a missing setting, control totals that disagree) makes the result
``failed`` and leaves nothing in the outbox.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .batches import Batch
from .catalog import Catalog
from .credit_limits import write_credit_limits
from .detection import Detection
from .direction import detect_for_target
from .documents import split_tail
from .errors import (
    ConfigError,
    ControlTotalsError,
    ConverterError,
    DetectionError,
    LimitError,
    ReadError,
    TemplateError,
    UsageError,
)
from .issues import Issue
from .layouts import ENTITIES, RECOGNISED_ONLY, Layout, load_layout
from .ledger import Ledger
from .mapping import output_fields, resolve_map, site_columns
from .masters import MasterConverter, catalog_entries
from .not_exchanged import report_not_exchanged
from .reading import TableFile, open_table
from .reference import read_for_reference
from .results import ConversionResult, file_sha256
from .results import manifest as build_manifest
from .review import WORKBOOK, batch_summary
from .runs import record_result
from .settings import Settings
from .sync import confirm, ownership_mode, remember, report_confirmations
from .transactions import Block, TransactionConverter, computed_fields, labels_for
from .validation import normalise_source
from .workbook import ReviewRecorder
from .writing import CsvWriter, format_for_target, import_writer

__all__ = ["ConversionResult", "convert_file", "resolve_map", "site_columns"]

OTHER = {"sage50": "bizops", "bizops": "sage50"}
_ERROR_CODES = {
    LimitError: "too-large",
    ReadError: "unreadable-file",
    DetectionError: "unknown-layout",
    TemplateError: "bad-template",
    ConfigError: "missing-setting",
    ControlTotalsError: "control-totals",
    UsageError: "usage",
}


@dataclass
class _Run:
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
        self.rejects.write(rejected)
        if self.review is not None:
            self.review.add_rejected(rejected)


def convert_file(
    path: Path,
    *,
    settings: Settings,
    outbox: Path,
    to: str | None = None,
    entity: str | None = None,
    encoding: str | None = None,
    date_order: str | None = None,
    now: dt.datetime | None = None,
    write: bool = True,
    full: bool = False,
    initial_load: bool = False,
    release_held: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ConversionResult:
    """Convert one file into a batch under ``outbox``; never raises for bad input.

    With ``write=False`` every check runs but nothing is written (``bizops-sage50 validate``).
    ``full`` sends every record even if unchanged since last sent; ``initial_load`` lets a
    non-owner's export through once; ``release_held`` sends credit-limit changes held for review.
    ``progress`` is called after each block with (bytes read, file size), for a progress bar.
    """
    result = ConversionResult(input=str(path), initial_load=initial_load)
    try:
        result.sha256 = file_sha256(path) if path.is_file() else None
        _convert(
            path,
            result,
            settings=settings,
            outbox=outbox,
            to=to,
            entity=entity,
            encoding=encoding,
            date_order=date_order,
            now=now,
            write=write,
            full=full,
            initial_load=initial_load,
            release_held=release_held,
            progress=progress,
        )
    except (ConverterError, OSError) as exc:
        code = next((c for cls, c in _ERROR_CODES.items() if isinstance(exc, cls)), "io-error")
        text = str(exc) if path.name in str(exc) else f"{path.name}: {exc}"
        if isinstance(exc, OSError) and not isinstance(exc, ConverterError):
            text += " Check the file and folder permissions."
        result.issues.append(Issue(None, None, code, text, "error"))
        result.status, result.outputs, result.batch = "failed", [], None
    except Exception as exc:
        text = (
            f"{path.name}: the converter failed unexpectedly ({type(exc).__name__}: {exc}). Nothing was written; "
            "keep the file and report this."
        )
        result.issues.append(Issue(None, None, "internal-error", text, "error"))
        result.status, result.outputs, result.batch = "failed", [], None
    if write:
        record_run(settings, result)
    return result


def record_run(settings: Settings, result: ConversionResult) -> None:
    """Every run goes into the history (``bizops-sage50 history``), failed ones included."""
    try:
        record_result(Ledger.for_settings(settings), result)
    except (sqlite3.Error, OSError, ValueError) as exc:
        result.issues.append(
            Issue(
                None,
                None,
                "history-not-recorded",
                f"This run could not be added to the history ({exc}); the conversion itself is unaffected.",
                "warning",
            )
        )


def _convert(
    path: Path,
    result: ConversionResult,
    *,
    settings: Settings,
    outbox: Path,
    to: str | None,
    entity: str | None,
    encoding: str | None,
    date_order: str | None,
    now: dt.datetime | None,
    write: bool,
    full: bool,
    initial_load: bool,
    release_held: bool,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    if to is not None and to not in OTHER:
        raise UsageError(f"--to must be sage50 or bizops, not {to!r}.")
    if entity is not None and entity not in (*ENTITIES, *RECOGNISED_ONLY):
        raise UsageError(
            f"Unknown entity {entity!r}; use one of: {', '.join((*ENTITIES, *RECOGNISED_ONLY))}."
        )
    order = date_order or settings.date_order
    ledger = Ledger.for_settings(settings) if write else None
    if ledger is not None:
        ledger.reconcile()  # settle what a crash left half-recorded
    table = open_table(path, encoding=encoding or settings.get("reading.encoding"), limits=settings.limits)
    det = detect_for_target(table, to=to, entity=entity, site_columns=site_columns(settings))
    result.source_system, result.entity = det.system, det.entity
    if det.entity == "chart":
        _record_chart(path, table, det, result, settings=settings, date_order=order, write=write)
        return
    if not det.layout.exchanged:
        report_not_exchanged(path, table, det, result, ledger=ledger)
        return
    target_system = OTHER[det.system]
    result.target_system = target_system
    template = resolve_map(settings, det.system, target_system, det.entity)
    result.template = {"id": template.id, "version": template.version, "path": str(template.path)}
    template_key = f"{template.id}@{template.version}"
    if ledger is not None and not (full or release_held) and result.sha256:
        prior = ledger.seen_file(result.sha256, template_key)
        if prior:
            result.status = "already-processed"
            result.issues.append(
                Issue(
                    None,
                    None,
                    "same-file",
                    f"{path.name} (the same bytes, same template) was already processed on "
                    f"{prior['processed_at'][:19]} as {prior['name']} (batch {prior['batch'] or 'none'}); "
                    "nothing to do. Pass --full to convert it again.",
                    "info",
                )
            )
            return
    mode = ownership_mode(det, settings, initial_load=initial_load)
    if mode == "refuse":  # the non-owner's export: read for reference, not converted
        read_for_reference(
            path,
            table,
            det,
            result,
            ledger=ledger,
            settings=settings,
            date_order=order,
            template_key=template_key,
            write=write,
        )
        return
    target = load_layout(target_system, template.target_entity)
    transaction = det.layout.kind == "transaction"
    fields = output_fields(template, target)
    if transaction:
        extra = set(computed_fields(target))
        fields = [
            f.name
            for f in target.fields
            if (f.name in fields or f.name in extra) and (f.imports or target.system != "sage50")
        ]
    catalog = Catalog.for_settings(settings)
    kw = dict(
        source=det.layout,
        target=target,
        template=template,
        settings=settings,
        date_order=order,
        ledger=ledger,
        full=full,
        catalog=catalog,
    )
    converter = TransactionConverter(**kw) if transaction else MasterConverter(**kw)
    chunk_rows = int(settings.get("reading.chunk_rows", 50_000))
    credit_only = mode == "credit-limits"
    confirmed, drifted = 0, []

    def confirm_block(frame: pd.DataFrame) -> None:
        """What this export shows was loaded is confirmed block by block, so no block is kept. An
        initial load confirms nothing and reports no drift: its export predates anything sent."""
        nonlocal confirmed, drifted
        n, d = confirm(ledger if not initial_load else None, det, [frame])
        confirmed, drifted = confirmed + n, drifted + d

    gate = bool(settings.get("review.require_approval", False))
    with Batch(
        outbox,
        target_system=target_system,
        entity=det.entity,
        now=now,
        dry_run=not write,
        stage="pending" if gate else None,
    ) as batch:
        writer = None if credit_only else import_writer(batch.path(target.file_name), target, fields)
        run = _Run(det, target, fields, batch, writer, list(det.issues))
        if write:
            run.review = ReviewRecorder(target, fields, int(settings.get("review.max_rows", 1_000)))
            run.review.show_records = not credit_only
        try:
            carry, carry_issues = None, []
            for chunk in table.iter_chunks(det.columns, has_header=det.has_header, chunk_rows=chunk_rows):
                frame = chunk.frame.set_axis(list(chunk.row_numbers))
                issues = carry_issues + chunk.issues
                if transaction:
                    # The last document may continue in the next chunk: carry it over.
                    frame = frame if carry is None else pd.concat([carry, frame])
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
        run.issues += converter.odd.issues()
        result.rows_in, result.records_out, result.rejected, result.skipped = (
            run.rows_in,
            run.records_out,
            run.rejected,
            run.skipped,
        )
        result.issues = sorted(run.issues, key=lambda i: (i.row or 0, i.column or ""))
        if transaction:
            _finish_transactions(converter, result, catalog)
        else:
            result.counts = None if credit_only else dict(converter.counts)
        report_confirmations(result, confirmed, drifted, det)
        staged = [] if credit_only else [(target.entity, target.system, converter.staged)]
        outputs = [] if credit_only else [str(run.writer.path)]
        if det.system == "sage50" and det.entity == "customers":
            outputs += write_credit_limits(
                path,
                batch,
                converter.source_frames,
                result,
                staged,
                ledger=ledger,
                settings=settings,
                full=full,
                release_held=release_held,
                recorder=run.review,
            )
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
            return
        result.status = "rejected-rows" if run.rejected else "converted"
        if result.skipped_kinds and sum(result.skipped_kinds.values()) == run.rows_in:
            # Only documents of another kind (vendor bills, quotes): nothing to exchange, no batch.
            result.status = "not-exchanged"
            result.issues = [i for i in result.issues if i.code != "references-unchecked"]
            if write:
                remember(ledger, path, result, template_key, batch=None)
            return
        if not write:
            return
        if run.rejects:
            outputs.append(str(run.rejects.path))
        outputs.append(str(batch.path(WORKBOOK)))
        held = (result.credit_limits or {}).get("held", 0)
        if not any(records for _, _, records in staged) and not run.rejects and not held:
            result.issues.append(
                Issue(
                    None,
                    None,
                    "nothing-new",
                    "Nothing new or changed since the last batch; no batch was written "
                    "(--full sends everything again).",
                    "info",
                )
            )
            remember(ledger, path, result, template_key, batch=None)
            return
        manifest = build_manifest(
            path,
            result,
            detection=det,
            target=target,
            fields=fields,
            outputs=outputs,
            encoding=table.encoding,
            now=batch.now,
        )
        if credit_only:  # what the batch holds for BizOps is credit limits, not customers
            limits_layout = load_layout("bizops", "credit_limits")
            manifest["target"] = {
                "system": "bizops",
                "entity": "credit_limits",
                "file": limits_layout.file_name,
                "fields": limits_layout.field_names,
            }
        review = run.review
        manifest["review"] = {
            "workbook": WORKBOOK,
            "records": review.total,
            "records_shown": review.shown,
            "require_approval": gate,
        }
        review.add_issue_notes(result.issues)

        def finish(name: str) -> None:
            state = "awaiting approval" if gate else None
            review.write(
                batch.path(WORKBOOK),
                summary=batch_summary({**manifest, "batch": name}, state=state),
                issues=result.issues,
                source_headers=list(det.headers),
            )

        def stage(name: str, final: Path) -> None:
            # A batch that sends nothing (every row rejected, or credit limits only held) is still
            # recorded, so `batches` lists it.
            for entity_name, target_name, records in staged or [("credit_limits", "bizops", [])]:
                ledger.stage_batch(
                    batch=name,
                    path=final,
                    direction=f"{det.system}-to-{target_system}",
                    entity=entity_name,
                    source=path.name,
                    sha256=result.sha256,
                    records=records,
                    target=target_name,
                    batch_hash=batch.manifest["batch_sha256"],
                    awaiting_review=gate,
                )

        final = batch.commit(
            manifest,
            before_rename=stage if ledger else None,
            rename_failed=ledger.drop_batch if ledger else None,
            finish=finish,
        )
        if ledger is not None:
            ledger.finish_batch(final.name)
        result.batch = final.name
        result.outputs = [str(final / Path(p).name) for p in outputs] + [str(final / "manifest.json")]
    if write:
        remember(ledger, path, result, template_key, batch=result.batch)
        if not transaction:
            catalog.record(det.system, det.entity, converter.source_entries, source=path.name)
            if not credit_only:
                catalog.record(
                    target_system, target.entity, converter.target_entries, source=f"batch {result.batch}"
                )


def _finish_transactions(converter: TransactionConverter, result: ConversionResult, catalog: Catalog) -> None:
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


def _record_chart(
    path: Path,
    table: TableFile,
    det: Detection,
    result: ConversionResult,
    *,
    settings: Settings,
    date_order: str,
    write: bool,
) -> None:
    """A Sage chart of accounts is read, not converted: it tells which G/L accounts exist."""
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
