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
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import (
    ConfigError,
    ControlTotalsError,
    ConverterError,
    DetectionError,
    LimitError,
    ReadError,
    TemplateError,
    UsageError,
)
from ..core.issues import Issue
from ..core.results import ConversionResult, file_sha256
from ..core.settings import Settings
from ..io.batches import Batch
from ..io.detection import Detection
from ..io.layouts import ENTITIES, RECOGNISED_ONLY, Layout, MapTemplate, load_layout
from ..io.reading import TableFile, open_table
from ..io.template_cache import refresh_if_changed
from ..io.writing import import_writer
from ..mapping.site import resolve_map, site_columns
from ..review.summary import WORKBOOK
from ..review.workbook import ReviewRecorder
from ..sage50.tax_agencies import ENTITY as TAX_AGENCIES
from ..sage50.tax_agencies import entries as agency_entries
from ..sync.catalog import Catalog
from ..sync.claims import CLAIM_ATTEMPTS, ClaimConflict
from ..sync.ledger import Ledger
from ..sync.runs import record_result
from .credit_limits import CreditLimitFiles, write_credit_limits
from .direction import detect_for_target
from .masters import MasterConverter
from .not_exchanged import report_not_exchanged
from .ownership import ownership_mode, remember, report_confirmations
from .reference import read_for_reference
from .stages import Run, already_processed, read_and_map, record_chart, settle, tally, target_fields
from .transactions import TransactionConverter
from .write import batch_manifest, nothing_new, write_batch

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
    Converters sharing a ledger claim each batch atomically (``claims``): a file or a document is
    sent by one of them only; the others report it already processed, or skip it as a duplicate.
    """
    options = dict(
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
    refresh_if_changed()  # a template edited on disk since the last file (a running watcher) applies now
    for _ in range(CLAIM_ATTEMPTS):
        result = ConversionResult(input=str(path), initial_load=initial_load)
        try:
            return _attempt(path, result, **options)
        except ClaimConflict as exc:
            # Another converter sharing the ledger won this file or some of its records: convert
            # again from the start, so they are found already processed / already sent.
            lost = exc
    result.issues.append(
        Issue(
            None,
            None,
            "claim-conflict",
            f"{path.name}: other converters sharing the ledger kept sending the same records ({lost}); "
            "nothing was written. Convert the file again when they are done.",
            "error",
        )
    )
    result.status, result.outputs, result.batch = "failed", [], None
    if write:
        result = record_run(settings, result)
    return result


def _attempt(path: Path, result: ConversionResult, **options: Any) -> ConversionResult:
    """One conversion of ``path``; raises ``ClaimConflict`` when another converter won its claim.
    Returns a copy of ``result`` with what happened."""
    result = result.copy()
    try:
        result.sha256 = file_sha256(path) if path.is_file() else None
    except OSError as exc:
        result = _failed(path, result, exc)
    else:
        result = _convert(path, result, **options)
    if options["write"]:
        result = record_run(options["settings"], result)
    return result


def _failed(path: Path, result: ConversionResult, exc: Exception) -> ConversionResult:
    """A copy of ``result`` (as far as the conversion got) failed by ``exc``: nothing was written."""
    result = result.copy()
    if isinstance(exc, ConverterError | OSError):
        code = next((c for cls, c in _ERROR_CODES.items() if isinstance(exc, cls)), "io-error")
        text = str(exc) if path.name in str(exc) else f"{path.name}: {exc}"
        if isinstance(exc, OSError) and not isinstance(exc, ConverterError):
            text += " Check the file and folder permissions."
    else:
        code = "internal-error"
        text = (
            f"{path.name}: the converter failed unexpectedly ({type(exc).__name__}: {exc}). Nothing was written; "
            "keep the file and report this."
        )
        result.traceback = "".join(traceback.format_exception(exc))
    result.issues.append(Issue(None, None, code, text, "error"))
    result.status, result.outputs, result.batch = "failed", [], None
    return result


def record_run(settings: Settings, result: ConversionResult) -> ConversionResult:
    """Every run goes into the history (``bizops-sage50 history``), failed ones included. Returns
    the result, with a warning in a copy if the history could not be written."""
    try:
        record_result(Ledger.for_settings(settings), result)
        return result
    except (sqlite3.Error, OSError, ValueError) as exc:
        result = result.copy()
        result.issues.append(
            Issue(
                None,
                None,
                "history-not-recorded",
                f"This run could not be added to the history ({exc}); the conversion itself is unaffected.",
                "warning",
            )
        )
        return result


def _check_options(to: str | None, entity: str | None) -> None:
    if to is not None and to not in OTHER:
        raise UsageError(f"--to must be sage50 or bizops, not {to!r}.")
    if entity is not None and entity not in (*ENTITIES, *RECOGNISED_ONLY):
        raise UsageError(
            f"Unknown entity {entity!r}; use one of: {', '.join((*ENTITIES, *RECOGNISED_ONLY))}."
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
    progress: Callable[[int, int], None] | None,
) -> ConversionResult:
    """Detect and read the file, then send it down the path its kind takes; returns a copy of
    ``result`` with what happened (failed, as far as it got, when a problem stops the file)."""
    result = result.copy()
    try:
        _check_options(to, entity)
        ledger = Ledger.for_settings(settings) if write else None
        mark = 0
        if ledger is not None:
            ledger.reconcile()  # settle what a crash left half-recorded
            mark = ledger.mark()  # what this run reads of the ledger; its claim checks what came after
        opts = dict(settings=settings, outbox=outbox, date_order=date_order or settings.date_order, now=now)
        flags = dict(write=write, full=full, initial_load=initial_load, release_held=release_held)
        o = _Options(**opts, **flags, progress=progress, ledger=ledger, mark=mark)
        table = open_table(
            path, encoding=encoding or settings.get("reading.encoding"), limits=settings.limits
        )
        det = detect_for_target(table, to=to, entity=entity, site_columns=site_columns(settings))
        result.source_system, result.entity = det.system, det.entity
        if det.entity == "chart":
            return record_chart(
                path, table, det, result, settings=settings, date_order=o.date_order, write=write
            )
        if not det.layout.exchanged:
            return report_not_exchanged(path, table, det, result, ledger=ledger)
        result.target_system = OTHER[det.system]
        template = resolve_map(settings, det.system, result.target_system, det.entity)
        result.template = {"id": template.id, "version": template.version, "path": str(template.path)}
        return _route(path, result, table, det, template, o)
    except ClaimConflict:
        raise
    except Exception as exc:
        return _failed(path, result, exc)


def _route(
    path: Path, result: ConversionResult, table: TableFile, det: Detection, template: MapTemplate, o: _Options
) -> ConversionResult:
    """A file already processed, the non-owner's export (read for reference) or records to convert."""
    template_key = f"{template.id}@{template.version}"
    if o.ledger is not None and not (o.full or o.release_held) and result.sha256:
        seen = already_processed(o.ledger, path, result.sha256, template_key)
        if seen is not None:
            result = result.copy()
            result.status = "already-processed"
            result.issues.append(seen)
            return result
    mode = ownership_mode(det, o.settings, initial_load=o.initial_load)
    if mode == "refuse":  # the non-owner's export: read for reference, not converted
        return read_for_reference(
            path,
            table,
            det,
            result,
            ledger=o.ledger,
            settings=o.settings,
            date_order=o.date_order,
            template_key=template_key,
            write=o.write,
        )
    return _convert_records(
        path, result, table, det, template, template_key, credit_only=mode == "credit-limits", o=o
    )


@dataclass(frozen=True)
class _Options:
    """How this file is converted: the settings, the outbox and the flags given."""

    settings: Settings
    outbox: Path
    date_order: str
    now: dt.datetime | None
    write: bool
    full: bool
    initial_load: bool
    release_held: bool
    ledger: Ledger | None
    mark: int
    progress: Callable[[int, int], None] | None = None  # after each block: (bytes read, file size)


def _convert_records(
    path: Path,
    result: ConversionResult,
    table: TableFile,
    det: Detection,
    template: MapTemplate,
    template_key: str,
    *,
    credit_only: bool,
    o: _Options,
) -> ConversionResult:
    """Map and check every record, tally the result, write the batch and remember what was sent;
    returns the result of those stages."""
    settings, ledger = o.settings, o.ledger
    target_system = OTHER[det.system]
    target = load_layout(target_system, template.target_entity)
    transaction = det.layout.kind == "transaction"
    fields = target_fields(template, target, transaction)
    catalog = Catalog.for_settings(settings)
    kw = dict(source=det.layout, target=target, template=template, settings=settings, date_order=o.date_order)
    kw.update(ledger=ledger, full=o.full, catalog=catalog)
    converter = TransactionConverter(**kw) if transaction else MasterConverter(**kw)
    gate = bool(settings.get("review.require_approval", False))
    once = not (o.full or o.release_held)
    where = dict(target_system=target_system, entity=det.entity, now=o.now, dry_run=not o.write)
    with Batch(o.outbox, **where, stage="pending" if gate else None) as batch:
        run = _open_run(det, target, fields, batch, settings=settings, write=o.write, credit_only=credit_only)
        chunk_rows = int(settings.get("reading.chunk_rows", 50_000))
        confirming = None if o.initial_load else ledger
        confirmed, drifted = read_and_map(
            table, det, converter, run, chunk_rows=chunk_rows, confirming=confirming, progress=o.progress
        )
        result = tally(
            result, run, converter, transaction=transaction, credit_only=credit_only, catalog=catalog
        )
        result = report_confirmations(result, confirmed, drifted, det)
        staged = [] if credit_only else [(target.entity, target.system, converter.staged)]
        outputs = [] if credit_only else [str(run.writer.path)]
        if det.system == "sage50" and det.entity == "customers":
            limits = _credit_limits(path, batch, converter.source_frames, run, o)
            result = _add_credit_limits(result, run, limits)
            outputs, staged = outputs + limits.outputs, staged + limits.staged
        result, done = settle(result, run, path, credit_only=credit_only)
        if done:
            if result.status == "not-exchanged" and o.write:
                remember(ledger, path, result, template_key, batch=None)
            return result
        if not o.write:
            return result
        flags = dict(template_key=template_key, gate=gate, credit_only=credit_only, once=once)
        result, written = _write(
            path, result, run, table, outputs, staged, batch=batch, ledger=ledger, mark=o.mark, **flags
        )
        if not written:
            return result
    remember(ledger, path, result, template_key, batch=result.batch)
    if transaction and converter.tax_agencies:  # Sage's sales tax agencies, for `doctor`
        catalog.record("sage50", TAX_AGENCIES, agency_entries(converter.tax_agencies), source=path.name)
    if not transaction:
        _record_masters(catalog, det, target, converter, result, path=path, credit_only=credit_only)
    return result


def _credit_limits(path: Path, batch: Batch, customers: list, run: Run, o: _Options) -> CreditLimitFiles:
    """The credit limits stage (a Sage customer list): credit_limits.csv for BizOps."""
    return write_credit_limits(
        path,
        batch,
        customers,
        ledger=o.ledger,
        settings=o.settings,
        full=o.full,
        release_held=o.release_held,
        review_rows=run.review.max_rows if run.review is not None else 0,
    )


def _add_credit_limits(result: ConversionResult, run: Run, limits: CreditLimitFiles) -> ConversionResult:
    """A copy of ``result`` with what the credit limits stage found (and the review workbook's sheet)."""
    result = result.copy()
    result.issues += limits.issues
    if run.review is not None:
        run.review.add_credit_limits(limits.review)
    if limits.counts is not None:
        result.credit_limits = limits.counts
    return result


def _write(
    path: Path,
    result: ConversionResult,
    run: Run,
    table: TableFile,
    outputs: list[str],
    staged: list,
    *,
    batch: Batch,
    ledger: Ledger | None,
    mark: int,
    template_key: str,
    gate: bool,
    credit_only: bool,
    once: bool,
) -> tuple[ConversionResult, bool]:
    """The write stage: the batch folder, or nothing when nothing is new (then False); returns
    the result with what was written."""
    if run.rejects:
        outputs = [*outputs, str(run.rejects.path)]
    outputs = [*outputs, str(batch.path(WORKBOOK))]
    unsent = nothing_new(path, result, run, staged, ledger=ledger, template_key=template_key, once=once)
    if unsent is not None:
        return unsent, False
    manifest = batch_manifest(
        path, result, run, table, outputs, batch=batch, credit_only=credit_only, gate=gate
    )
    written = write_batch(
        path,
        result,
        run,
        manifest,
        outputs,
        staged,
        batch=batch,
        ledger=ledger,
        mark=mark,
        template_key=template_key,
        gate=gate,
        credit_only=credit_only,
        once=once,
    )
    return written, True


def _open_run(
    det: Detection,
    target: Layout,
    fields: list[str],
    batch: Batch,
    *,
    settings: Settings,
    write: bool,
    credit_only: bool,
) -> Run:
    """A run's writers: the import file (not for credit limits only) and, when writing, the review."""
    writer = None if credit_only else import_writer(batch.path(target.file_name), target, fields)
    run = Run(det, target, fields, batch, writer, list(det.issues))
    if write:
        run.review = ReviewRecorder(target, fields, int(settings.get("review.max_rows", 1_000)))
        run.review.show_records = not credit_only
    return run


def _record_masters(
    catalog: Catalog,
    det: Detection,
    target: Layout,
    converter: MasterConverter,
    result: ConversionResult,
    *,
    path: Path,
    credit_only: bool,
) -> None:
    """The catalog learns the masters this export holds and those the batch sends."""
    lists = [(det.system, det.entity, converter.source_entries, path.name)]
    if not credit_only:
        lists.append((target.system, target.entity, converter.target_entries, f"batch {result.batch}"))
    catalog.record_all(lists)  # one transaction
