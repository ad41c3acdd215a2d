"""The write stage: the batch folder (import file, rejects, review.xlsx, manifest), claimed in the
ledger before it appears in the outbox, or nothing at all when nothing is new."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..core.issues import Issue
from ..core.results import ConversionResult
from ..core.results import manifest as build_manifest
from ..io.batches import Batch
from ..io.detection import Detection
from ..io.layouts import Layout, load_layout
from ..io.reading import TableFile
from ..review.summary import WORKBOOK, batch_summary
from ..sync.claims import claim_batch, file_claim, record_unsent
from ..sync.ledger import Ledger
from .stages import Run


def nothing_new(
    path: Path,
    result: ConversionResult,
    run: Run,
    staged: list,
    *,
    ledger: Ledger | None,
    template_key: str,
    once: bool,
) -> ConversionResult | None:
    """When there is nothing to send: a copy of ``result`` saying so (the file is remembered as
    unsent). None when there is a batch to write."""
    held = (result.credit_limits or {}).get("held", 0)
    if any(records for _, _, records in staged) or run.rejects or held:
        return None
    result = result.copy()
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
    claim = file_claim(path, result, template_key, once=once)
    if claim is not None:
        record_unsent(ledger, claim)
    return result


def batch_manifest(
    path: Path,
    result: ConversionResult,
    run: Run,
    table: TableFile,
    outputs: list[str],
    *,
    batch: Batch,
    credit_only: bool,
    gate: bool,
) -> dict[str, Any]:
    """The batch's manifest.json: what was converted, into what, and its review workbook."""
    manifest = build_manifest(
        path,
        result,
        detection=run.detection,
        target=run.target,
        fields=run.fields,
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
    return manifest


def write_batch(
    path: Path,
    result: ConversionResult,
    run: Run,
    manifest: dict[str, Any],
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
) -> ConversionResult:
    """Claims the batch in the ledger and renames it into the outbox; returns a copy of ``result``
    with its name and files."""
    det: Detection = run.detection
    target: Layout = run.target
    review = run.review
    review.add_issue_notes(result.issues)

    def finish(name: str) -> None:
        state = "awaiting approval" if gate else None
        review.write(
            batch.path(WORKBOOK),
            summary=batch_summary({**manifest, "batch": name}, state=state),
            issues=result.issues,
            source_headers=list(det.headers),
        )

    def stage(name: str, final: Path, sealed: dict[str, Any]) -> None:
        claim_batch(
            ledger,
            mark=mark,
            batch=name,
            path=final,
            direction=f"{det.system}-to-{target.system}",
            source=path.name,
            sha256=result.sha256,
            # A batch that sends nothing (every row rejected, or credit limits only held) is
            # still recorded, so `batches` lists it.
            staged=staged
            or [("credit_limits", "bizops", []) if credit_only else (target.entity, target.system, [])],
            file=file_claim(path, result, template_key, once=once),
            batch_hash=sealed["batch_sha256"],
            awaiting_review=gate,
        )

    final = publish_batch(batch, manifest, finish=finish, stage=stage if ledger else None, ledger=ledger)
    if ledger is not None:
        ledger.finish_batch(final.name)
    return replace(
        result,
        batch=final.name,
        outputs=[str(final / Path(p).name) for p in outputs] + [str(final / "manifest.json")],
    )


def publish_batch(
    batch: Batch,
    manifest: dict[str, Any],
    *,
    finish: Callable[[str], None],
    stage: Callable[[str, Path, dict[str, Any]], None] | None,
    ledger: Ledger | None,
) -> Path:
    """Name, seal, claim and publish the batch: the workbook that names it is written, the
    manifest sealed, the batch staged in the ledger (claimed with its records), then the folder
    renamed into the outbox. A name another converter took meanwhile: the next one."""
    for name, final in batch.names():
        finish(name)
        sealed = batch.seal(name, final, manifest)
        if stage is not None:
            try:
                stage(name, final, sealed)
            except FileExistsError:  # the name was reserved by another converter meanwhile
                continue
        try:
            return batch.publish(final)
        except FileExistsError:
            if ledger is not None:
                ledger.drop_batch(name)
            continue
        except OSError:
            if ledger is not None:
                ledger.drop_batch(name)
            raise
    raise AssertionError("unreachable: Batch.names() raises when it runs out")
