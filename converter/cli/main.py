"""The ``bizops-sage50`` command: parse options, call one core function, render, set the exit code.

Exit codes: 0 everything converted, 1 a row was rejected or a file failed, 2 usage errors.
With ``--json`` the output is exactly the core result, as JSON, and nothing else.
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from ..admin.project import forget_batch, history, init_project, next_steps, status_report
from ..core.errors import ConverterError
from ..core.settings import load_settings
from ..review.summary import SYSTEMS
from . import common as cli_common
from .common import (
    ConfigOpt,
    DateOrderOpt,
    EncodingOpt,
    EntityOpt,
    Files,
    JsonOpt,
    LazyConsole,
    System,
    batch_column,
    check_entity,
    err,
    fail,
    out,
)
from .doctor import doctor
from .retry import retry
from .review import approve, batches, reject, review
from .templates import templates_app
from .watch import optional_poll_value, watch

if TYPE_CHECKING:
    from ..core.results import ConversionResult


def convert_file(path: Path, **options: Any) -> ConversionResult:
    """``pipeline.convert_file``, imported on first use: pandas and openpyxl load only for commands
    that convert, so ``--help``, ``status`` and ``batches`` start fast."""
    if "converter.pipeline.convert" not in sys.modules:
        _load_pipeline()
    from ..pipeline.convert import convert_file as core

    return core(path, **options)


def _load_pipeline() -> None:
    """Import the pipeline (pandas, numpy and some 600 modules, alive as long as the process) with
    the cyclic garbage collector paused, then set what is alive aside (``gc.freeze``): later
    collections no longer scan every object of those modules again and again (~50 ms a run)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        from ..pipeline import convert  # noqa: F401
    finally:
        if collecting:
            gc.enable()
    gc.freeze()


class _Group(TyperGroup):
    """Lets ``watch --poll`` take an optional value, which Click options cannot on their own."""

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, optional_poll_value(list(args)))


app = typer.Typer(
    cls=_Group,
    add_completion=False,
    no_args_is_help=True,
    help="Convert customers, vendors, products and transactions between BizOps and Sage 50 US.",
)


@app.callback()
def _global_options(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="Show the full traceback of an unexpected failure (on stderr), for a report."
        ),
    ] = False,
) -> None:
    cli_common.DEBUG = debug


app.add_typer(templates_app, name="templates")
app.command()(watch)
for _command in (review, approve, reject, batches, doctor, retry):
    app.command()(_command)


# Piped output keeps a generous width so tables and messages are not squeezed into 80 columns.
def _run_files(files: list[Path], *, json_out: bool, **options: Any) -> list[ConversionResult]:
    """Convert each file; on a terminal (never with --json or when piped) a bar shows the progress
    within the file (bytes, rate, time left) and, for several files, the files done."""
    if json_out or not out.is_terminal:
        results = [convert_file(f, **options) for f in files]
    else:
        results = _with_progress(files, options)
    for r in results:
        if cli_common.DEBUG and r.traceback:  # stderr: --json output on stdout stays the result alone
            err.print(
                f"{Path(r.input).name}: traceback of the failure:\n{r.traceback.rstrip()}", markup=False
            )
    return results


def _with_progress(files: list[Path], options: dict[str, Any]) -> list[ConversionResult]:
    from rich.progress import (  # only on a terminal: --json and piped runs do without
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    results: list[ConversionResult] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    console = out.console if isinstance(out, LazyConsole) else out  # rich's own console object
    with Progress(*columns, console=console, transient=True) as progress:
        overall = progress.add_task("Files", total=len(files)) if len(files) > 1 else None
        for f in files:
            task = progress.add_task(f"Converting {f.name}", total=_size(f))

            def advance(done: int, total: int, task=task) -> None:
                progress.update(task, completed=done, total=total)

            results.append(convert_file(f, progress=advance, **options))
            progress.remove_task(task)
            if overall is not None:
                progress.advance(overall)
    return results


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


_NOTES_SHOWN = ("not-exchanged", "other-kind-skipped")


def _render(results: list[ConversionResult], *, title: str, max_issues: int = 15) -> None:
    from rich.box import SIMPLE_HEAD  # rich loads only when something is shown
    from rich.markup import escape
    from rich.table import Table

    # At 80 columns the batch name (copied into commands) and the status stay whole; the rest folds.
    table = Table(title=title, title_justify="left", box=SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.caption_justify = "left"
    table.caption = (
        "Rows out: rows written to the import file(s) (a transaction has one per line, tax and freight "
        "included; a chart of accounts: the accounts recorded). Skipped: rows not sent (drafts, "
        "documents already sent, unchanged records, vendor bills and quotes)."
    )
    numbers = ("Rows in", "Rows out", "Rejected", "Skipped")
    for col in ("Input", "From → to", "Entity", *numbers):
        table.add_column(col, justify="right" if col in numbers else "left", overflow="fold")
    table.add_column("Status", no_wrap=True, min_width=max(len(r.status) for r in results))
    batch_column(table, [r.batch for r in results])
    for r in results:
        direction = f"{r.source_system} → {r.target_system}" if r.target_system else (r.source_system or "?")
        style = {
            "converted": "green",
            "empty": "yellow",
            "rejected-rows": "yellow",
            "recorded": "green",
            "already-processed": "green",
            "not-exchanged": "cyan",
            "reference-only": "cyan",
            "failed": "red",
        }[r.status]
        table.add_row(
            Path(r.input).name,
            direction,
            r.entity or "?",
            str(r.rows_in),
            str(r.records_out),
            str(r.rejected),
            str(r.skipped),
            f"[{style}]{r.status}[/]",
            r.batch or "-",
        )
    out.print(table)
    for r in results:
        for note in (i for i in r.issues if i.code == "reference-only"):
            out.print(f"{Path(r.input).name}: {note.message}", markup=False)
        # What a recognised but not exchanged file is, and what was skipped as another kind of
        # document, are the notes worth showing.
        shown = [i for i in r.issues if i.severity != "info" or i.code in _NOTES_SHOWN]
        if not shown:
            continue
        noun = "problem(s)" if any(i.severity != "info" for i in shown) else "note(s)"
        out.print(f"\n[bold]{Path(r.input).name}[/]: {len(shown)} {noun}")
        for issue in shown[:max_issues]:
            colour = {"error": "red", "warning": "yellow"}.get(issue.severity, "cyan")
            out.print(
                f"  [{colour}]{issue.severity}[/] {escape(issue.where())} {escape(f'[{issue.code}]')}: ",
                end="",
            )
            out.print(issue.message, markup=False)
        if len(shown) > max_issues:
            more = len(shown) - max_issues
            where = "manifest.json of the batch" if r.batch else "--json output"
            out.print(f"  … and {more} more; all are listed in the {where}.")


def _convert_title(results: list[ConversionResult], box: Path) -> str:
    """The table's title: "Converted into …" only when a batch was written there."""
    if any(r.batch for r in results):
        return f"Converted into {box}"
    if not any(r.ok for r in results):
        return "Nothing converted: every file failed (see below)" if len(results) > 1 else "Nothing converted"
    return f"Nothing new written to {box}"


def _exit_code(results: list[ConversionResult]) -> int:
    return 0 if all(r.ok for r in results) else 1


@app.command()
def convert(
    files: Files,
    to: Annotated[System | None, typer.Option("--to", help="Target system (default: the other one).")] = None,
    entity: EntityOpt = None,
    outbox: Annotated[
        Path | None,
        typer.Option("--outbox", help="Outbox folder (default: config, else ./outbox)."),
    ] = None,
    config: ConfigOpt = None,
    encoding: EncodingOpt = None,
    date_order: DateOrderOpt = None,
    full: Annotated[
        bool, typer.Option("--full", help="Send every record, even those unchanged since last sent.")
    ] = False,
    initial_load: Annotated[
        bool, typer.Option("--initial-load", help="First copy: let an export from the non-owner through.")
    ] = False,
    release_held: Annotated[
        bool, typer.Option("--release-held", help="Send credit-limit changes held for review.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Convert export files into import files: one batch folder per file in the outbox."""
    check_entity(entity)
    try:
        settings = load_settings(config)
    except ConverterError as exc:
        fail(exc)
    box = outbox or settings.resolve_path(settings.get("paths.outbox", "outbox"))
    results = _run_files(
        files,
        json_out=json_out,
        settings=settings,
        outbox=box,
        to=to.value if to else None,
        entity=entity,
        encoding=encoding,
        date_order=date_order.value if date_order else None,
        full=full,
        initial_load=initial_load,
        release_held=release_held,
    )
    if json_out:
        print(json.dumps([r.as_dict() for r in results], indent=2, ensure_ascii=False))
    else:
        _render(results, title=_convert_title(results, box))
    raise typer.Exit(_exit_code(results))


@app.command()
def validate(
    files: Files,
    entity: EntityOpt = None,
    config: ConfigOpt = None,
    encoding: EncodingOpt = None,
    date_order: DateOrderOpt = None,
    initial_load: Annotated[
        bool,
        typer.Option("--initial-load", help="Check as a first copy: the non-owner's export as if converted."),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Check export files without writing anything: every problem, with row and column."""
    check_entity(entity)
    try:
        settings = load_settings(config)
    except ConverterError as exc:
        fail(exc)
    results = _run_files(
        files,
        json_out=json_out,
        settings=settings,
        outbox=Path("."),
        entity=entity,
        encoding=encoding,
        date_order=date_order.value if date_order else None,
        initial_load=initial_load,
        write=False,
    )
    if json_out:
        print(json.dumps([r.as_dict() for r in results], indent=2, ensure_ascii=False))
    else:
        _render(results, title="Validation (nothing written)")
    raise typer.Exit(_exit_code(results))


@app.command()
def status(config: ConfigOpt = None, json_out: JsonOpt = False) -> None:
    """What was sent, what Sage 50 (or BizOps) has confirmed, what is overdue, and drift."""
    try:
        report = status_report(load_settings(config))
    except ConverterError as exc:
        fail(exc)
    if json_out:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    t = Table(title=f"Sent and confirmed (ledger {report['ledger']})", title_justify="left")
    for col in (
        "Entity",
        "Sent to",
        "Sent",
        "Confirmed",
        f"Unconfirmed > {report['unconfirmed_days']} days",
        "Drift",
    ):
        t.add_column(col, justify="left" if col in ("Entity", "Sent to") else "right")
    for r in report["entities"]:
        t.add_row(
            r["entity"],
            r["target"],
            str(r["sent"]),
            str(r["confirmed"]),
            str(r["unconfirmed_overdue"]),
            str(r["drift"]),
        )
    out.print(t)
    for r in report["overdue"]:
        out.print(
            f"  unconfirmed: {r['entity']} {r['id']} (batch {r['batch']}, sent {r['sent_at'][:10]})",
            markup=False,
        )
    for r in report["drift"]:
        out.print(f"  drift: {r['entity']} {r['id']} differs in {', '.join(r['fields'])}", markup=False)
    if not report["entities"]:
        out.print("Nothing sent yet.")


@app.command("history")
def history_cmd(entity: EntityOpt = None, config: ConfigOpt = None, json_out: JsonOpt = False) -> None:
    """Every run: when, file, outcome, whether an initial load, batch, and why when it did not convert."""
    check_entity(entity)
    try:
        rows = history(load_settings(config), entity=entity)
    except ConverterError as exc:
        fail(exc)
    if json_out:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.box import SIMPLE_HEAD
    from rich.markup import escape
    from rich.table import Table

    t = Table(
        title="Runs: every file taken, failed and retried ones included",
        title_justify="left",
        box=SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        collapse_padding=True,
    )
    t.add_column("#", justify="right", no_wrap=True)
    t.add_column("When", min_width=10)
    t.add_column("File", overflow="fold")
    t.add_column("Entity", overflow="fold")
    t.add_column("Outcome", min_width=9)
    batch_column(t, [r["batch"] for r in rows])
    t.add_column("Sent", justify="right", no_wrap=True)  # records the import file holds
    for n, r in enumerate(rows, 1):
        outcome = r["outcome"] + (" (initial load)" if r["initial_load"] else "")
        t.add_row(
            str(n),
            escape(r["processed_at"][:16].replace("T", " ")),
            escape(r["file"]),
            f"{r['entity']} → {SYSTEMS[r['direction'].split('-to-')[1]]}" if r["direction"] else "",
            outcome,
            escape(r["batch"] or "-"),
            "-" if r["records"] is None else str(r["records"]),
        )
    out.print(t)
    for n, r in enumerate(rows, 1):  # below the table, so a long reason never squeezes it
        if r["reason"]:
            where = "" if r["reason"].startswith(r["file"]) else f"{r['file']}: "
            out.print(f"  #{n} {where}{r['reason']}", markup=False)


@app.command()
def forget(
    batch: Annotated[str, typer.Argument(help="Batch name, e.g. 20261125-141502-customers.")],
    config: ConfigOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Un-send a batch that was never loaded into the other system, so its records go again."""
    try:
        settings = load_settings(config)
        result = forget_batch(
            settings, batch, outbox=settings.resolve_path(settings.get("paths.outbox", "outbox"))
        )
    except ConverterError as exc:
        fail(exc)
    if json_out:
        print(json.dumps(result, indent=2))
        return
    out.print(
        f"Forgot batch {result['batch']}: {result['records']} record(s) will be sent again.", markup=False
    )
    if result["folder"]:
        out.print(f"Its folder is kept as {result['folder']}; do not load it.", markup=False)


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Where to set up (default: here).")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing config file.")] = False,
) -> None:
    """Write a commented default config and the inbox and outbox folders."""
    try:
        created = init_project(folder, force=force)
    except ConverterError as exc:
        fail(exc)
    for path in created:
        out.print(f"created {path}", markup=False)
    out.print("\nNext steps:")
    for step in next_steps(folder):
        out.print(step, markup=False)
