"""The ``bizops-sage50`` command: parse options, call one core function, render, set the exit code.

Exit codes: 0 everything converted, 1 a row was rejected or a file failed, 2 usage errors.
With ``--json`` the output is exactly the core result, as JSON, and nothing else.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from .errors import ConverterError, UsageError
from .layouts import (
    ENTITIES,
    all_template_files,
    available_layouts,
    check_file,
    load_layout,
    load_map,
    templates_root,
)
from .pipeline import ConversionResult, convert_file
from .project import forget_batch, history, init_project, status_report
from .settings import load_settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Convert customers, vendors, products and transactions between BizOps and Sage 50 US.",
)
templates_app = typer.Typer(no_args_is_help=True, help="List, show and check layouts and mapping templates.")
app.add_typer(templates_app, name="templates")

# Piped output keeps a generous width so tables and messages are not squeezed into 80 columns.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class System(StrEnum):
    sage50 = "sage50"
    bizops = "bizops"


class DateOrder(StrEnum):
    mdy = "mdy"
    dmy = "dmy"
    ymd = "ymd"


Files = Annotated[list[Path], typer.Argument(help="Export files (CSV or XLSX).", show_default=False)]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Config file (default: ./bizops-sage50.toml).")
]
EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", help="utf-8, utf-8-sig, utf-16, cp1252 or latin-1 (default: detect)."),
]
DateOrderOpt = Annotated[
    DateOrder | None,
    typer.Option("--date-order", help="Day/month order of dates in Sage files (default: mdy)."),
]
EntityOpt = Annotated[
    str | None,
    typer.Option("--entity", help=f"Entity, if detection needs help: {', '.join(ENTITIES)}."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON (for scripts).")]


def _fail(exc: ConverterError) -> None:
    err.print(f"Error: {exc}", markup=False)
    raise typer.Exit(2 if isinstance(exc, UsageError) else 1)


def _check_entity(entity: str | None) -> None:
    if entity is not None and entity not in ENTITIES:
        raise typer.BadParameter(f"use one of: {', '.join(ENTITIES)}", param_hint="--entity")


def _run_files(files: list[Path], *, json_out: bool, **options: Any) -> list[ConversionResult]:
    show_progress = not json_out and out.is_terminal and len(files) > 1
    results: list[ConversionResult] = []
    if not show_progress:
        return [convert_file(f, **options) for f in files]
    with Progress(console=out, transient=True) as progress:
        task = progress.add_task("Converting", total=len(files))
        for f in files:
            progress.update(task, description=f"Converting {f.name}")
            results.append(convert_file(f, **options))
            progress.advance(task)
    return results


def _render(results: list[ConversionResult], *, title: str, max_issues: int = 15) -> None:
    table = Table(title=title, title_justify="left")
    for col in ("Input", "From → to", "Entity", "Rows in", "Out", "Rejected", "Status", "Batch"):
        table.add_column(col, justify="right" if col in ("Rows in", "Out", "Rejected") else "left")
    for r in results:
        direction = f"{r.source_system} → {r.target_system}" if r.source_system else "?"
        style = {
            "converted": "green",
            "empty": "yellow",
            "rejected-rows": "yellow",
            "recorded": "green",
            "already-processed": "green",
            "refused": "red",
            "failed": "red",
        }[r.status]
        table.add_row(
            Path(r.input).name,
            direction,
            r.entity or "?",
            str(r.rows_in),
            str(r.records_out),
            str(r.rejected),
            f"[{style}]{r.status}[/]",
            r.batch or "-",
        )
    out.print(table)
    for r in results:
        shown = [i for i in r.issues if i.severity != "info"] or []
        if not shown:
            continue
        out.print(f"\n[bold]{Path(r.input).name}[/]: {len(shown)} problem(s)")
        for issue in shown[:max_issues]:
            colour = "red" if issue.severity == "error" else "yellow"
            out.print(
                f"  [{colour}]{issue.severity}[/] {escape(issue.where())} {escape(f'[{issue.code}]')}: ",
                end="",
            )
            out.print(issue.message, markup=False)
        if len(shown) > max_issues:
            more = len(shown) - max_issues
            where = "manifest.json of the batch" if r.batch else "--json output"
            out.print(f"  … and {more} more; all are listed in the {where}.")


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
    _check_entity(entity)
    try:
        settings = load_settings(config)
    except ConverterError as exc:
        _fail(exc)
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
        _render(results, title=f"Converted into {box}")
    raise typer.Exit(_exit_code(results))


@app.command()
def validate(
    files: Files,
    entity: EntityOpt = None,
    config: ConfigOpt = None,
    encoding: EncodingOpt = None,
    date_order: DateOrderOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Check export files without writing anything: every problem, with row and column."""
    _check_entity(entity)
    try:
        settings = load_settings(config)
    except ConverterError as exc:
        _fail(exc)
    results = _run_files(
        files,
        json_out=json_out,
        settings=settings,
        outbox=Path("."),
        entity=entity,
        encoding=encoding,
        date_order=date_order.value if date_order else None,
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
        _fail(exc)
    if json_out:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
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
    """Every input file processed: when, outcome, batch."""
    _check_entity(entity)
    try:
        rows = history(load_settings(config), entity=entity)
    except ConverterError as exc:
        _fail(exc)
    if json_out:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    t = Table(title="Files processed", title_justify="left")
    for col in ("When", "File", "Entity", "Direction", "Outcome", "Batch"):
        t.add_column(col)
    for r in rows:
        t.add_row(
            r["processed_at"][:19],
            r["file"],
            r["entity"] or "",
            r["direction"] or "",
            r["outcome"],
            r["batch"] or "-",
        )
    out.print(t)


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
        _fail(exc)
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
        _fail(exc)
    for path in created:
        out.print(f"created {path}", markup=False)


@app.command()
def watch(
    inbox: Annotated[Path | None, typer.Option("--inbox", help="Folder to watch (default: config, else ./inbox).")] = None,
    outbox: Annotated[Path | None, typer.Option("--outbox", help="Where batches go (default: config, else ./outbox).")] = None,
    config: ConfigOpt = None,
    poll: Annotated[
        float | None,
        typer.Option("--poll", is_flag=False, flag_value="5", help="Poll every SECONDS (default 5) instead of native events; "
                     "automatic on SMB/CIFS and NFS shares."),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Process what is waiting, then exit 0 or 1 (cron, Task Scheduler).")] = False,
    log_file: Annotated[Path | None, typer.Option("--log-file", help="Plain log file instead of the console.")] = None,
) -> None:
    """Convert every export dropped into the inbox: masters first, each file once, nothing lost."""
    import logging
    import signal

    from rich.logging import RichHandler

    from .watch import Watcher

    try:
        settings = load_settings(config)
    except ConverterError as exc:
        _fail(exc)
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else RichHandler(console=err, show_path=False)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s" if log_file else "%(message)s"))
    logger = logging.getLogger("bizops-sage50")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    watcher = Watcher(
        inbox=inbox or settings.resolve_path(settings.get("paths.inbox", "inbox")),
        outbox=outbox or settings.resolve_path(settings.get("paths.outbox", "outbox")),
        settings=settings,
        poll=poll,
    )
    try:
        watcher.acquire()
    except ConverterError as exc:
        _fail(exc)
    signal.signal(signal.SIGTERM, lambda *_: watcher.stop.set())
    signal.signal(signal.SIGINT, lambda *_: watcher.stop.set())
    try:
        if once:
            results = watcher.run_once()
            raise typer.Exit(0 if all(r.ok for r in results) else 1)
        mode = f"polling every {watcher.poll:g} s" if watcher.poll else "native events"
        logger.info("watching %s (%s); batches go to %s", watcher.inbox, mode, watcher.outbox)
        watcher.run()
    finally:
        watcher.release()


@templates_app.command("list")
def templates_list(json_out: JsonOpt = False) -> None:
    """Every layout and mapping template shipped in templates/."""
    try:
        layouts = available_layouts()
        maps = [load_map(p.resolve()) for p in sorted((templates_root() / "maps").glob("*/*.json"))]
    except ConverterError as exc:
        _fail(exc)
    data = {
        "layouts": [
            {
                "name": lay.name,
                "title": lay.title,
                "file_name": lay.file_name,
                "kind": lay.kind,
                "fields": len(lay.fields),
                "path": str(lay.path),
            }
            for lay in layouts
        ],
        "maps": [
            {"id": m.id, "version": m.version, "rules": len(m.rules), "path": str(m.path)} for m in maps
        ],
    }
    if json_out:
        print(json.dumps(data, indent=2))
        return
    t = Table(title="Layouts", title_justify="left")
    for col in ("Name", "Title", "File", "Kind", "Fields"):
        t.add_column(col)
    for lay in data["layouts"]:
        t.add_row(lay["name"], lay["title"], lay["file_name"], lay["kind"], str(lay["fields"]))
    out.print(t)
    t = Table(title="Mapping templates", title_justify="left")
    for col in ("Id", "Version", "Rules", "Path"):
        t.add_column(col)
    for m in data["maps"]:
        t.add_row(m["id"], m["version"], str(m["rules"]), m["path"])
    out.print(t)


@templates_app.command("show")
def templates_show(
    name: Annotated[
        str,
        typer.Argument(
            help="A layout (sage50/customers) or a template id (bizops-to-sage50/customers) or path."
        ),
    ],
    json_out: JsonOpt = False,
) -> None:
    """Show one layout's fields or one template's rules."""
    path = Path(name)
    if not path.is_file():
        system, _, entity = name.partition("/")
        root = templates_root()
        path = root / "layouts" / system / f"{entity}.json"
        if "-to-" in system:
            path = root / "maps" / system / f"{entity}.json"
    if not path.is_file():
        _fail(UsageError(f"No layout or template named {name!r}; `bizops-sage50 templates list` shows them."))
    doc = json.loads(path.read_text(encoding="utf-8"))
    if json_out:
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    try:
        if "rules" in doc:
            m = load_map(path.resolve())
            t = Table(title=f"{m.id} v{m.version}: {m.description}", title_justify="left")
            for col in ("Target", "Source", "Transforms"):
                t.add_column(col)
            for r in m.rules:
                ops = ", ".join(json.dumps(x, ensure_ascii=False) for x in r.transforms) or "copy"
                t.add_row(r.target, ", ".join(r.sources) or "-", ops)
        else:
            lay = load_layout(doc["system"], doc["entity"])
            t = Table(title=f"{lay.name}: {lay.title} ({lay.file_name})", title_justify="left")
            for col in ("#", "Field", "Type", "Max", "Req", "Imports", "Aliases"):
                t.add_column(col)
            for i, f in enumerate(lay.fields, 1):
                kind = f.type + (" id" if f.id else "") + (" custom" if f.custom else "")
                t.add_row(
                    str(i),
                    f.name,
                    kind,
                    str(f.max_length or ""),
                    "yes" if f.required else "",
                    "" if f.imports else "no",
                    ", ".join(f.aliases),
                )
    except ConverterError as exc:
        _fail(exc)
    out.print(t)


@templates_app.command("check")
def templates_check(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Template files (default: all under templates/).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Validate layouts and templates against their JSON Schemas; every violation with its JSON path."""
    paths = files or all_template_files()
    violations = [v for p in paths for v in check_file(p)]
    if json_out:
        print(
            json.dumps(
                {
                    "checked": [str(p) for p in paths],
                    "violations": [v.as_dict() for v in violations],
                },
                indent=2,
            )
        )
    elif violations:
        for v in violations:
            out.print(f"[red]{v.file}[/] {v.path}: ", end="")
            out.print(v.message, markup=False)
        out.print(
            f"{len(violations)} problem(s) in {len({v.file for v in violations})} of {len(paths)} file(s)."
        )
    else:
        out.print(f"All {len(paths)} template files are valid.")
    raise typer.Exit(1 if violations else 0)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
