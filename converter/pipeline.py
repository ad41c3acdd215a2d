"""One file through the whole flow: detect → read → validate → map → check → write a batch.

``convert_file`` is the pure core behind ``bizops-sage50 convert`` (and, later, the watcher):
it takes a path and settings and returns a ``ConversionResult``; it never prints or exits.
Problems in the data become issues; rows with an error go to ``rejects.csv``; a problem that
stops the file (unreadable, unrecognised, a missing setting) makes the result ``failed`` and
leaves nothing in the outbox.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__
from .batches import Batch
from .detection import Detection, detect
from .errors import (
    ConfigError,
    ConverterError,
    DetectionError,
    ReadError,
    TemplateError,
    UsageError,
)
from .issues import Issue, count_by_severity
from .layouts import (
    ENTITIES,
    Layout,
    MapTemplate,
    default_map_path,
    load_layout,
    load_map,
    templates_root,
)
from .mapping import MapContext, apply_map, output_fields, source_column_for
from .reading import open_table
from .settings import Settings
from .validation import check_target, normalise_source
from .writing import CsvWriter, format_for_target, import_writer

OTHER = {"sage50": "bizops", "bizops": "sage50"}
_ERROR_CODES = {
    ReadError: "unreadable-file",
    DetectionError: "unknown-layout",
    TemplateError: "bad-template",
    ConfigError: "missing-setting",
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
    outputs: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    batch: str | None = None
    status: str = "converted"  # converted | rejected-rows | empty | failed
    template: dict[str, str] | None = None
    sha256: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("converted", "empty")

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
            "batch": self.batch,
            "outputs": self.outputs,
            "template": self.template,
            "sha256": self.sha256,
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
    override = settings.get(f"maps.{direction}.{entity}")
    path = (
        settings.resolve_path(override)
        if override
        else default_map_path(source_system, target_system, entity)
    )
    if not path.is_file():
        key = f"maps.{direction}.{entity}"
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
            f"`maps.{direction}.{entity}` needs a {direction} template for {entity}."
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


def _fingerprints(frame: pd.DataFrame) -> pd.Series:
    """A short hash of each record's mapped fields, so the ledger can tell changed from same."""
    if frame.empty:
        return pd.Series(dtype=object)
    joined = frame.iloc[:, 0].astype(str)
    for name in frame.columns[1:]:
        joined = joined + "\x1f" + frame[name].astype(str)
    return joined.map(lambda s: hashlib.sha256(s.encode("utf-8")).hexdigest()[:16])


def _keys(frame: pd.DataFrame, layout: Layout) -> pd.Series:
    present = [k for k in layout.key if k in frame.columns]
    if not present:
        return pd.Series("", index=frame.index, dtype=object)
    key = frame[present[0]].astype(str)
    for name in present[1:]:
        key = key + "|" + frame[name].astype(str)
    return key


@dataclass
class _Run:
    """Mutable state of one file's conversion, kept across chunks."""

    detection: Detection
    template: MapTemplate
    target: Layout
    fields: list[str]
    issues: list[Issue] = field(default_factory=list)
    rows_in: int = 0
    records_out: int = 0
    rejected: int = 0
    seen_keys: dict[str, int] = field(default_factory=dict)
    rejects: CsvWriter | None = None


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
    on_records: Callable[[pd.DataFrame], None] | None = None,
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
            on_records=on_records,
            write=write,
        )
    except ConverterError as exc:
        code = next((c for cls, c in _ERROR_CODES.items() if isinstance(exc, cls)), "failed")
        message = str(exc) if path.name in str(exc) else f"{path.name}: {exc}"
        result.issues.append(Issue(None, None, code, message, "error"))
        result.status = "failed"
        result.outputs = []
        result.batch = None
    except OSError as exc:
        result.issues.append(
            Issue(
                None,
                None,
                "io-error",
                f"{path.name}: {exc}. Check the file and folder permissions.",
                "error",
            )
        )
        result.status = "failed"
        result.outputs = []
        result.batch = None
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
    on_records: Callable[[pd.DataFrame], None] | None,
    write: bool,
) -> None:
    if to is not None and to not in OTHER:
        raise UsageError(f"--to must be sage50 or bizops, not {to!r}.")
    if entity is not None and entity not in ENTITIES:
        raise UsageError(f"Unknown entity {entity!r}; use one of: {', '.join(ENTITIES)}.")
    order = date_order or settings.date_order
    table = open_table(path, encoding=encoding or settings.get("reading.encoding"))
    det = detect(
        table,
        entity=entity,
        source_system=OTHER[to] if to else None,
        site_columns=site_columns(settings),
    )
    result.source_system, result.entity = det.system, det.entity
    target_system = OTHER[det.system]
    result.target_system = target_system
    template = resolve_map(settings, det.system, target_system, det.entity)
    result.template = {"id": template.id, "version": template.version, "path": str(template.path)}
    target = load_layout(target_system, template.target_entity)
    run = _Run(det, template, target, output_fields(template, target), issues=list(det.issues))
    chunk_rows = int(settings.get("reading.chunk_rows", 50_000))

    with Batch(outbox, target_system=target_system, entity=det.entity, now=now, dry_run=not write) as batch:
        writer = import_writer(batch.path(target.file_name), target, run.fields)
        try:
            for chunk in table.iter_chunks(det.columns, has_header=det.has_header, chunk_rows=chunk_rows):
                _convert_chunk(
                    chunk.frame.set_axis(list(chunk.row_numbers)),
                    chunk.issues,
                    run,
                    batch,
                    settings=settings,
                    date_order=order,
                    writer=writer,
                    on_records=on_records,
                )
        finally:
            writer.close()
            if run.rejects:
                run.rejects.close()
        result.rows_in, result.records_out, result.rejected = (
            run.rows_in,
            run.records_out,
            run.rejected,
        )
        result.issues = sorted(run.issues, key=lambda i: (i.row or 0, i.column or ""))
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
        outputs = [str(writer.path)] + ([str(run.rejects.path)] if run.rejects else [])
        manifest = _manifest(path, result, run, outputs, table.encoding, now=batch.now)
        final = batch.commit(manifest)
        result.batch = final.name
        result.outputs = [str(final / Path(p).name) for p in outputs] + [str(final / "manifest.json")]


def _convert_chunk(
    frame: pd.DataFrame,
    read_issues: list[Issue],
    run: _Run,
    batch: Batch,
    *,
    settings: Settings,
    date_order: str,
    writer: CsvWriter,
    on_records,
) -> None:
    det, target = run.detection, run.target
    issues = list(read_issues)
    normal, found = normalise_source(frame, det.layout, date_order=date_order)
    issues += found
    ctx = MapContext(settings=settings, source_system=det.system, date_order=date_order, target_layout=target)
    mapped = apply_map(normal, run.template, ctx)
    issues += ctx.issues
    keys = _keys(mapped, target)
    checked, found = check_target(mapped, target, source_columns=source_column_for(run.template), keys=keys)
    # A cell already reported (a bad code, a bad date) is not reported again by the target check.
    reported = {(i.row, i.column) for i in issues if i.severity == "error"}
    issues += [i for i in found if i.severity != "error" or (i.row, i.column) not in reported]
    key_col = (
        run.template.rules[0].sources[0] if run.template.rules and run.template.rules[0].sources else None
    )
    folded = keys.str.casefold()  # Sage IDs are case-insensitive
    present = folded != ""
    dups = present & (folded.duplicated(keep="first") | folded.isin(run.seen_keys.keys()))
    firsts = folded[present & ~dups]
    run.seen_keys.update(zip(firsts, (int(r) for r in firsts.index), strict=True))
    for row in dups[dups].index:
        first = run.seen_keys[folded[row]]
        issues.append(
            Issue(
                int(row),
                key_col,
                "duplicate-key",
                f"{keys[row]!r} is also on row {first}; only the first is converted. Remove or renumber the duplicate.",
                "error",
            )
        )
    bad = sorted({i.row for i in issues if i.severity == "error" and i.row is not None})
    good = checked.drop(index=bad)
    writer.write(format_for_target(good, target))
    if on_records is not None and not good.empty:
        on_records(good.assign(__key__=keys.drop(index=bad), __fingerprint__=_fingerprints(good)))
    if bad:
        if run.rejects is None:
            headers = [*det.headers, "Error"]
            run.rejects = CsvWriter(
                batch.path("rejects.csv"),
                [*det.columns, "Error"],
                encoding="utf-8-sig",
                headers=headers,
            )
        reasons: dict[int, list[str]] = {}
        for i in issues:
            if i.severity == "error" and i.row is not None:
                reasons.setdefault(i.row, []).append(
                    f"{i.column or 'row'}: {i.message}" if i.column else i.message
                )
        raw = frame.loc[bad].copy()
        raw["Error"] = ["; ".join(reasons[r]) for r in bad]
        run.rejects.write(raw)
    run.rows_in += len(frame)
    run.records_out += len(good)
    run.rejected += len(bad)
    run.issues += issues


def _manifest(
    path: Path,
    result: ConversionResult,
    run: _Run,
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
            **count_by_severity(result.issues),
        },
        "issue_codes": by_code,
        "outputs": outputs,
        "issues": [i.as_dict() for i in result.issues],
    }


def convert_files(paths: list[Path], **options: Any) -> list[ConversionResult]:
    """``convert_file`` for each path, in order; one file's failure never stops the others."""
    return [convert_file(p, **options) for p in paths]
