"""``bizops-sage50 templates list|show|check``: the layouts and mapping templates in use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import ConverterError, UsageError
from ..io.layouts import (
    all_template_files,
    available_layouts,
    check_file,
    load_layout,
    load_map,
    templates_root,
)
from .common import JsonOpt, fail, out

templates_app = typer.Typer(no_args_is_help=True, help="List, show and check layouts and mapping templates.")


@templates_app.command("list")
def templates_list(json_out: JsonOpt = False) -> None:
    """Every layout and mapping template shipped in templates/."""
    try:
        layouts = available_layouts()
        maps = [load_map(p.resolve()) for p in sorted((templates_root() / "maps").glob("*/*.json"))]
    except ConverterError as exc:
        fail(exc)
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
    from rich.table import Table  # rich loads only when something is shown

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
        fail(UsageError(f"No layout or template named {name!r}; `bizops-sage50 templates list` shows them."))
    doc = json.loads(path.read_text(encoding="utf-8"))
    if json_out:
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    from rich.table import Table

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
        fail(exc)
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
