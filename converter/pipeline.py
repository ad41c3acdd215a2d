"""One file through the whole flow: detect → read → validate → map → check → write a batch.

``convert_file`` is the pure core behind ``bizops-sage50 convert`` (and the watcher): it takes
a path and settings and returns a ``ConversionResult``; it never prints or exits. Problems in
the data become issues; rejected rows go to ``rejects.csv``; a problem that stops the file
(unreadable, unrecognised, a missing setting, control totals that disagree) makes the result
``failed`` and leaves nothing in the outbox.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__
from .batches import Batch
from .catalog import Catalog
from .detection import Detection, detect
from .documents import split_tail
from .errors import (
    ConfigError,
    ControlTotalsError,
    ConverterError,
    DetectionError,
    ReadError,
    TemplateError,
    UsageError,
)
from .issues import Issue, count_by_severity
from .layouts import ENTITIES, Layout, MapTemplate, default_map_path, load_layout, load_map, templates_root
from .mapping import output_fields
from .masters import MasterConverter, catalog_entries
from .reading import TableFile, open_table
from .settings import Settings
from .transactions import Block, TransactionConverter, computed_fields, labels_for
from .validation import normalise_source
from .writing import CsvWriter, format_for_target, import_writer

OTHER = {"sage50": "bizops", "bizops": "sage50"}
_ERROR_CODES = {
    ReadError: "unreadable-file",
    DetectionError: "unknown-layout",
    TemplateError: "bad-template",
    ConfigError: "missing-setting",
    ControlTotalsError: "control-totals",
    UsageError: "usage",
}


@dataclass
class ConversionResult:
    """What happened to one input file. ``as_dict`` is the ``--json`` shape."""

    input: str
    source_system: str | None = None
    target_system: str | None = None
    entity: str | None = None
    rows_in: int = 0
    records_out: int = 0
    rejected: int = 0
    skipped: int = 0
    outputs: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    batch: str | None = None
    status: str = "converted"  # converted | rejected-rows | empty | recorded | failed
    template: dict[str, str] | None = None
    sha256: str | None = None
    controls: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("converted", "empty", "recorded")

    def as_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "source_system": self.source_system,
            "target_system": self.target_system,
            "entity": self.entity,
            "status": self.status,
            "rows_in": self.rows_in,
            "records_out": self.records_out,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "batch": self.batch,
            "outputs": self.outputs,
            "template": self.template,
            "sha256": self.sha256,
            "controls": self.controls,
            "issues": [i.as_dict() for i in self.issues],
        }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def resolve_map(settings: Settings, source_system: str, target_system: str, entity: str) -> MapTemplate:
    """The site's copy of a mapping template when the config names one, else the default."""
    direction = f"{source_system}-to-{target_system}"
    key = f"maps.{direction}.{entity}"
    override = settings.get(key)
    path = (
        settings.resolve_path(override)
        if override
        else default_map_path(source_system, target_system, entity)
    )
    if not path.is_file():
        if override:
            raise ConfigError(f"`{key}` points at {path}, which does not exist. Fix the path in the config.")
        raise TemplateError(f"There is no {direction} mapping template for {entity} ({path}).")
    template = load_map(path.resolve())
    if (template.source_system, template.target_system, template.source_entity) != (
        source_system,
        target_system,
        entity,
    ):
        raise TemplateError(
            f"{path} maps {template.source_system} {template.source_entity} → {template.target_system}; "
            f"`{key}` needs a {direction} template for {entity}."
        )
    return template


def site_columns(settings: Settings) -> dict[str, dict[str, tuple[str, ...]]]:
    """Column aliases declared by the templates in use, keyed by source layout name."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for direction_dir in sorted((templates_root() / "maps").glob("*-to-*")):
        source_system, _, target_system = direction_dir.name.partition("-to-")
        for entity in ENTITIES:
            try:
                template = resolve_map(settings, source_system, target_system, entity)
            except TemplateError:
                continue
            bucket = out.setdefault(f"{source_system}/{entity}", {})
            for name, spellings in template.columns.items():
                bucket[name] = tuple(dict.fromkeys((*bucket.get(name, ()), *spellings)))
    return out


@dataclass
class _Run:
    """One file's conversion, across chunks: counts, issues and the writers of its batch."""

    detection: Detection
    target: Layout
    fields: list[str]
    batch: Batch
    writer: CsvWriter
    issues: list[Issue] = field(default_factory=list)
    rows_in: int = 0
    records_out: int = 0
    rejected: int = 0
    skipped: int = 0
    rejects: CsvWriter | None = None

    def emit(self, raw: pd.DataFrame, block: Block) -> None:
        """Write a converted block: good rows to the import file, rejected rows to rejects.csv."""
        output = block.output.drop(columns=[c for c in block.output.columns if c.startswith("__")])
        self.writer.write(format_for_target(output, self.target))
        if block.bad_rows:
            self._reject(raw, block)
        self.rows_in += len(raw)
        self.records_out += len(output)
        self.rejected += len(block.bad_rows)
        self.skipped += len(block.skipped_rows)
        self.issues += block.issues

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
) -> ConversionResult:
    """Convert one file into a batch under ``outbox``; never raises for bad input.

    With ``write=False`` every check runs but nothing is written (``bizops-sage50 validate``).
    """
    result = ConversionResult(input=str(path))
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
    return result


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
) -> None:
    if to is not None and to not in OTHER:
        raise UsageError(f"--to must be sage50 or bizops, not {to!r}.")
    if entity is not None and entity not in ENTITIES:
        raise UsageError(f"Unknown entity {entity!r}; use one of: {', '.join(ENTITIES)}.")
    order = date_order or settings.date_order
    table = open_table(path, encoding=encoding or settings.get("reading.encoding"))
    det = detect(
        table, entity=entity, source_system=OTHER[to] if to else None, site_columns=site_columns(settings)
    )
    result.source_system, result.entity = det.system, det.entity
    if det.entity == "chart":
        _record_chart(path, table, det, result, settings=settings, date_order=order, write=write)
        return
    target_system = OTHER[det.system]
    result.target_system = target_system
    template = resolve_map(settings, det.system, target_system, det.entity)
    result.template = {"id": template.id, "version": template.version, "path": str(template.path)}
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
    kw = dict(source=det.layout, target=target, template=template, settings=settings, date_order=order)
    converter = TransactionConverter(**kw, catalog=catalog) if transaction else MasterConverter(**kw)
    chunk_rows = int(settings.get("reading.chunk_rows", 50_000))

    with Batch(outbox, target_system=target_system, entity=det.entity, now=now, dry_run=not write) as batch:
        run = _Run(
            det,
            target,
            fields,
            batch,
            import_writer(batch.path(target.file_name), target, fields),
            list(det.issues),
        )
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
                run.emit(frame, converter.convert(frame, issues))
            if carry is not None and not carry.empty:
                run.emit(carry, converter.convert(carry, carry_issues))
        finally:
            run.writer.close()
            if run.rejects:
                run.rejects.close()
        result.rows_in, result.records_out, result.rejected, result.skipped = (
            run.rows_in,
            run.records_out,
            run.rejected,
            run.skipped,
        )
        result.issues = sorted(run.issues, key=lambda i: (i.row or 0, i.column or ""))
        if transaction:
            _finish_transactions(converter, result, catalog)
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
        if not write:
            return
        outputs = [str(run.writer.path)] + ([str(run.rejects.path)] if run.rejects else [])
        final = batch.commit(_manifest(path, result, run, template, outputs, table.encoding, now=batch.now))
        result.batch = final.name
        result.outputs = [str(final / Path(p).name) for p in outputs] + [str(final / "manifest.json")]
    if write and not transaction:
        catalog.record(det.system, det.entity, converter.source_entries, source=path.name)
        catalog.record(target_system, target.entity, converter.target_entries, source=f"batch {result.batch}")


def _finish_transactions(converter: TransactionConverter, result: ConversionResult, catalog: Catalog) -> None:
    controls = converter.controls
    result.controls = {"in": controls.inbound.as_dict(), "out": controls.outbound.as_dict()}
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


def _manifest(
    path: Path,
    result: ConversionResult,
    run: _Run,
    template: MapTemplate,
    outputs: list[str],
    encoding: str | None,
    *,
    now: dt.datetime,
) -> dict[str, Any]:
    det = run.detection
    by_code: dict[str, int] = {}
    for issue in result.issues:
        by_code[issue.code] = by_code.get(issue.code, 0) + 1
    return {
        "tool": "bizops-sage50",
        "tool_version": __version__,
        "created_at": now.isoformat(timespec="seconds"),
        "direction": f"{det.system}-to-{run.target.system}",
        "entity": det.entity,
        "source": {
            "file": path.name,
            "path": str(path.resolve()),
            "sha256": result.sha256,
            "size": path.stat().st_size,
            "system": det.system,
            "layout": det.layout.name,
            "encoding": encoding or "xlsx",
            "has_header": det.has_header,
            "variant": det.variant,
            "custom_fields": det.custom_labels,
        },
        "target": {
            "system": run.target.system,
            "entity": run.target.entity,
            "file": run.target.file_name,
            "fields": run.fields,
        },
        "template": result.template,
        "counts": {
            "rows_in": result.rows_in,
            "records_out": result.records_out,
            "rejected": result.rejected,
            "skipped": result.skipped,
            **count_by_severity(result.issues),
        },
        "control_totals": {det.entity: result.controls} if result.controls else None,
        "issue_codes": by_code,
        "outputs": outputs,
        "issues": [i.as_dict() for i in result.issues],
    }


def convert_files(paths: list[Path], **options: Any) -> list[ConversionResult]:
    """``convert_file`` for each path, in order; one file's failure never stops the others."""
    return [convert_file(p, **options) for p in paths]
