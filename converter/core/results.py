"""What a conversion produced: the result object behind ``--json``, and the batch manifest."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .issues import Issue, count_by_severity
from .version import __version__

OK_STATUSES = ("converted", "empty", "recorded", "already-processed", "not-exchanged", "reference-only")


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
    # Rows skipped as documents of another kind, by kind ({"vendor-bill": 13}); part of ``skipped``.
    skipped_kinds: dict[str, int] | None = None
    outputs: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    batch: str | None = None
    status: str = (
        "converted"  # converted | rejected-rows | empty | recorded | not-exchanged | reference-only | failed
    )
    template: dict[str, str] | None = None
    sha256: str | None = None
    controls: dict[str, Any] | None = None
    counts: dict[str, int] | None = None  # masters: created, updated, unchanged
    credit_limits: dict[str, int] | None = None
    initial_load: bool = False  # let the non-owner's export through (the first copy of a table)
    # The traceback of an unexpected failure (internal-error), for the watcher's log and --debug;
    # not part of the JSON shape.
    traceback: str | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES

    def copy(self) -> ConversionResult:
        """A copy whose lists and dicts are its own: a stage fills in the copy it returns and never
        changes the result it was handed."""
        own = {
            name: (dict(value) if isinstance(value, dict) else list(value))
            for name in (
                "outputs",
                "issues",
                "skipped_kinds",
                "template",
                "controls",
                "counts",
                "credit_limits",
            )
            if isinstance(value := getattr(self, name), dict | list)
        }
        return replace(self, **own)

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
            "skipped_kinds": self.skipped_kinds,
            "batch": self.batch,
            "outputs": self.outputs,
            "template": self.template,
            "sha256": self.sha256,
            "controls": self.controls,
            "counts": self.counts,
            "credit_limits": self.credit_limits,
            "initial_load": self.initial_load,
            "issues": [i.as_dict() for i in self.issues],
        }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def manifest(
    path: Path,
    result: ConversionResult,
    *,
    detection,
    target,
    fields: list[str],
    outputs: list[str],
    encoding: str | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """``manifest.json``: the source and its SHA-256, the template, counts, control totals, every issue."""
    det = detection
    by_code: dict[str, int] = {}
    for issue in result.issues:
        by_code[issue.code] = by_code.get(issue.code, 0) + 1
    return {
        "tool": "bizops-sage50",
        "tool_version": __version__,
        "created_at": now.isoformat(timespec="seconds"),
        "direction": f"{det.system}-to-{target.system}",
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
            "system": target.system,
            "entity": target.entity,
            "file": target.file_name,
            "fields": fields,
        },
        "template": result.template,
        "counts": {
            "rows_in": result.rows_in,
            "records_out": result.records_out,
            "rejected": result.rejected,
            "skipped": result.skipped,
            **(result.counts or {}),
            **count_by_severity(result.issues),
        },
        "skipped_kinds": result.skipped_kinds,
        "control_totals": {det.entity: result.controls} if result.controls else None,
        "credit_limits": result.credit_limits,
        "issue_codes": by_code,
        "outputs": outputs,
        "issues": [i.as_dict() for i in result.issues],
    }
