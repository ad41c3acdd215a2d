"""``bizops-sage50 doctor``: render ``doctor.diagnose`` (a rich table, or --json equal to it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .common import ConfigOpt, JsonOpt, out

MARKS = {
    "ok": "[green]ok[/]",
    "info": "[cyan]info[/]",
    "warning": "[yellow]warning[/]",
    "problem": "[red]PROBLEM[/]",
}


def doctor(
    config: ConfigOpt = None,
    inbox: Annotated[
        Path | None,
        typer.Option("--inbox", help="The inbox to check, if not the config's (as watch --inbox)."),
    ] = None,
    outbox: Annotated[
        Path | None,
        typer.Option("--outbox", help="The outbox to check, if not the config's (as watch --outbox)."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Is this site ready? Config, folders, ledger, Sage accounts and items, owners, the watcher."""
    from ..admin.doctor import diagnose  # imports the watcher and pandas: not at start-up

    report = diagnose(
        config, inbox=inbox.resolve() if inbox else None, outbox=outbox.resolve() if outbox else None
    )
    if json_out:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _render(report)
    raise typer.Exit(0 if report["ready"] else 1)


def _render(report: dict) -> None:
    from rich.markup import escape  # rich loads only when something is shown
    from rich.table import Table

    table = Table(title="Site check", title_justify="left")
    for col in ("Area", "Check", "Status", "Found"):
        table.add_column(col, overflow="fold")
    for c in report["checks"]:
        table.add_row(c["area"], escape(c["name"]), MARKS[c["status"]], escape(c["detail"]))
    out.print(table)
    if report["tables"]:
        owners = Table(title="Tables: owner, and the lists seen from each system", title_justify="left")
        for col in ("Table", "Owner", "BizOps list", "Sage 50 list"):
            owners.add_column(col, overflow="fold")
        for t in report["tables"]:
            owners.add_row(t["table"], t["owner"], *(_seen(t["seen"][s]) for s in ("bizops", "sage50")))
        out.print(owners)
    fixes = [c for c in report["checks"] if c["fix"] and c["status"] in ("problem", "warning")]
    if fixes:
        out.print("\n[bold]To do:[/]")
        for c in fixes:
            out.print(f"  {MARKS[c['status']]} {escape(c['name'])}: ", end="")
            out.print(c["fix"], markup=False)
    if report["ready"]:
        extra = f" ({report['warnings']} warning(s) above)" if report["warnings"] else ""
        out.print(f"\n[green bold]Ready.[/]{extra}")
    else:
        out.print(f"\n[red bold]Not ready:[/] {report['problems']} problem(s) to fix (see To do).")


def _seen(entry: dict) -> str:
    from rich.markup import escape

    last = entry["last_list"]
    if last is None:
        return (
            f"no list seen ({entry['known']} records known from batches sent)"
            if entry["known"]
            else "not seen"
        )
    return escape(
        f"{last['file']}, {last['at'][:16].replace('T', ' ')}, {last['outcome']} ({entry['known']} known)"
    )
