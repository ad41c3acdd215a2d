"""What every CLI command shares: the consoles, the common options, and how errors are shown."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .errors import ConverterError, UsageError
from .layouts import ENTITIES

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


def batch_column(table: Table, names: list[str | None], header: str = "Batch") -> None:
    """A column of batch names that is never cut or wrapped: people copy them into commands."""
    width = max([len(header), *(len(n) for n in names if n)])
    table.add_column(header, no_wrap=True, min_width=width, overflow="fold")


def fail(exc: ConverterError) -> None:
    err.print(f"Error: {exc}", markup=False)
    raise typer.Exit(2 if isinstance(exc, UsageError) else 1)


def check_entity(entity: str | None) -> None:
    if entity is not None and entity not in ENTITIES:
        raise typer.BadParameter(f"use one of: {', '.join(ENTITIES)}", param_hint="--entity")
