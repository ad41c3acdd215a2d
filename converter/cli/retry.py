"""``bizops-sage50 retry``: failed files back into the inbox (see ``converter.admin.retry``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import ConverterError
from ..core.settings import load_settings
from .common import ConfigOpt, JsonOpt, fail, out


def retry(
    names: Annotated[
        list[str] | None, typer.Argument(help="Files in failed/ to retry (default: none; see --all).")
    ] = None,
    all_files: Annotated[bool, typer.Option("--all", help="Retry every file in failed/.")] = False,
    inbox: Annotated[
        Path | None, typer.Option("--inbox", help="The watched inbox (default: config, else ./inbox).")
    ] = None,
    config: ConfigOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Move failed files back into the inbox (their .error.txt removed) for the watcher to take again."""
    try:
        settings = load_settings(config)
        box = inbox or settings.resolve_path(settings.get("paths.inbox", "inbox"))
        from ..admin.retry import retry_failed  # imports the watcher and pandas: not at start-up

        moved = retry_failed(settings, inbox=box, names=list(names or []), all_files=all_files)
    except ConverterError as exc:
        fail(exc)
    if json_out:
        print(json.dumps(moved, indent=2, ensure_ascii=False))
        return
    if not moved:
        out.print(f"Nothing to retry: {box / 'failed'} holds no failed files.", markup=False)
        return
    for m in moved:
        out.print(f"{m['file']} → {m['to']}", markup=False)
    out.print(
        f"{len(moved)} file(s) back in the inbox; a running watcher takes them, or run "
        f"`bizops-sage50 watch --once`.",
        markup=False,
    )
