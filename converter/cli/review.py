"""``review``, ``approve``, ``reject`` and ``batches``: looking at batches before they are loaded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from ..core.errors import ConverterError, UsageError
from ..core.settings import load_settings
from ..review.approval import approve_batch, list_batches, reject_batch, review_batch
from ..review.summary import outbox_for
from .common import ConfigOpt, JsonOpt, batch_column, fail, out

BatchArg = Annotated[str, typer.Argument(help="Batch name (e.g. 20261125-141502-customers) or its folder.")]
OutboxOpt = Annotated[Path | None, typer.Option("--outbox", help="Outbox folder (default: paths.outbox).")]
ByOpt = Annotated[str | None, typer.Option("--by", help="Who decides (default: the logged-in user).")]


def _on_batch(
    core: Callable[..., dict[str, Any]], config: Path | None, outbox: Path | None, batch: str, **options
):
    """Load the settings, call ``core`` on the batch; a ConverterError ends the command as `Error: …`."""
    try:
        settings = load_settings(config)
        return core(settings, batch, outbox=outbox_for(settings, outbox), **options)
    except ConverterError as exc:
        fail(exc)


def _print_json(result: Any) -> None:
    print(json.dumps(result, indent=2, ensure_ascii=False))


def review(
    batch: BatchArg,
    open_: Annotated[bool, typer.Option("--open", help="Open review.xlsx in the system's viewer.")] = False,
    config: ConfigOpt = None,
    outbox: OutboxOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show a batch's summary: counts, control totals and the exact import steps."""
    result = _on_batch(review_batch, config, outbox, batch)
    if open_ and not result["workbook"]:
        fail(
            UsageError(
                f"Batch {result['batch']} has no review.xlsx ; it was written by an older version: check its import file and manifest.json directly."
            )
        )
    if json_out:
        _print_json(result)
    else:
        _render_summary(result)
    if open_:
        typer.launch(result["workbook"])


def _render_summary(result: dict[str, Any]) -> None:
    from rich.markup import escape  # rich loads only when something is shown
    from rich.table import Table

    for section in result["sections"]:
        table = Table(title=section["title"], title_justify="left", show_header=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for label, value in section["lines"]:
            text = "" if value is None else f"{value:,}" if isinstance(value, int) else str(value)
            table.add_row(escape(str(label)), escape(text))
        out.print(table)
    if result["workbook"]:
        out.print(f"Workbook: {result['workbook']}", markup=False)


def approve(
    batch: BatchArg,
    by: ByOpt = None,
    config: ConfigOpt = None,
    outbox: OutboxOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Approve a batch waiting in outbox/pending/: it moves to outbox/ready/, ready to load."""
    result = _on_batch(approve_batch, config, outbox, batch, by=by)
    if json_out:
        _print_json(result)
        return
    out.print(
        f"Approved {result['batch']} (by {result['by']}, SHA-256 {result['batch_sha256'][:16]}…): "
        f"load it from {result['folder']}.",
        markup=False,
    )


def reject(
    batch: BatchArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the batch and in the ledger).")],
    by: ByOpt = None,
    config: ConfigOpt = None,
    outbox: OutboxOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Reject a batch waiting for approval: its records are un-sent, so the next export sends them again."""
    result = _on_batch(reject_batch, config, outbox, batch, reason=reason, by=by)
    if json_out:
        _print_json(result)
        return
    out.print(
        f"Rejected {result['batch']}: {result['records']} record(s) un-sent; they go again with the next export.",
        markup=False,
    )
    if result["folder"]:
        out.print(f"Moved to {result['folder']} (REJECTED.txt says why); do not load it.", markup=False)


def batches(
    state: Annotated[
        str | None,
        typer.Option("--state", help="Only batches in this state (e.g. 'awaiting approval', approved)."),
    ] = None,
    config: ConfigOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List every batch with its state: written, awaiting approval, approved, rejected, forgotten."""
    try:
        settings = load_settings(config)
        rows = list_batches(settings, state=state)
    except ConverterError as exc:
        fail(exc)
    if json_out:
        _print_json(rows)
        return
    if not rows:
        out.print("No batches yet." if not state else f"No batches {state}.")
        return
    from rich.box import SIMPLE_HEAD
    from rich.markup import escape
    from rich.table import Table

    box = outbox_for(settings, None)
    table = Table(
        title=f"Batches (folders under {box})", title_justify="left", box=SIMPLE_HEAD, pad_edge=False
    )
    table.caption_justify = "left"
    table.caption = (
        "Records sent: the records the batch sends (one per document for transactions; credit limits "
        "included). `convert`'s Rows out counts the rows of the import file."
    )
    batch_column(table, [r["batch"] for r in rows])
    table.add_column("State")
    table.add_column("Records sent", justify="right", no_wrap=True)
    table.add_column("Source", overflow="fold")
    table.add_column("Created", min_width=5)
    decisions = any(r["reviewed_by"] for r in rows)  # the column only once someone decided
    if decisions:
        table.add_column("Decided by", overflow="fold")
    table.add_column("Folder", overflow="fold")
    colours = {"awaiting approval": "yellow", "approved": "green", "rejected": "red", "forgotten": "dim"}
    for r in rows:
        decided = f"{r['reviewed_by']} {r['reviewed_at'][5:16].replace('T', ' ')}" if r["reviewed_by"] else ""
        table.add_row(
            escape(r["batch"]),
            f"[{colours.get(r['state'], 'white')}]{r['state']}[/]",
            str(r["records"]),
            escape(r["source"] or ""),
            (r["created_at"] or "")[5:16].replace("T", " "),
            *([escape(decided)] if decisions else []),
            escape(_folder(r, box)),
        )
    out.print(table)


def _folder(row: dict[str, Any], outbox: Path) -> str:
    """Where the batch is, short: its folder under the outbox (to-sage50/, ready/to-bizops/…)."""
    path = Path(row["path"])
    try:
        shown = f"{path.parent.relative_to(outbox.absolute())}/"
    except ValueError:
        shown = str(path)
    return shown if row["exists"] else f"{shown} (gone)"
