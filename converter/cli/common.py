"""What every CLI command shares: the consoles, the common options, and how errors are shown."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..core.errors import ConverterError, InvalidConfig, ReadError, UsageError
from ..io.layouts import ENTITIES, RECOGNISED_ONLY

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


class LazyConsole:
    """A rich ``Console``, made (and rich imported) on first use: a run that prints no table or
    message, such as ``convert --json`` (its JSON goes out by ``print``), does without rich.
    Attributes are the console's, read and set (no ``__dict__`` of its own to shadow them)."""

    __slots__ = ("_console", "_options")

    def __init__(self, **options: Any) -> None:
        object.__setattr__(self, "_options", options)
        object.__setattr__(self, "_console", None)

    @property
    def console(self) -> Console:
        console = self._console
        if console is None:
            from rich.console import Console

            console = Console(**self._options)
            object.__setattr__(self, "_console", console)
        return console

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # its own (none: no __dict__), never the console's
            raise AttributeError(name)
        return getattr(self.console, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.console, name, value)


out = LazyConsole(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = LazyConsole(stderr=True, highlight=False, soft_wrap=True)
DEBUG = False  # --debug (before the command): tracebacks of unexpected failures go to stderr


class System(StrEnum):
    sage50 = "sage50"
    bizops = "bizops"


class DateOrder(StrEnum):
    mdy = "mdy"
    dmy = "dmy"
    ymd = "ymd"


# A missing file, or a folder given as a file, is a usage error (exit 2) before anything is read.
Files = Annotated[
    list[Path],
    typer.Argument(help="Export files (CSV or XLSX).", show_default=False, exists=True, dir_okay=False),
]


def _check_encoding(value: str | None) -> str | None:
    """A bad --encoding is a usage error (exit 2), like a bad --date-order."""
    if value is None or value == "auto":
        return value
    from ..io.reading import normalise_encoding  # reading imports pandas: only when --encoding is given

    try:
        return normalise_encoding(value)
    except ReadError as exc:
        raise typer.BadParameter(str(exc).replace("Unknown encoding", "unknown encoding")) from None


ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Config file (default: ./bizops-sage50.toml).")
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="utf-8, utf-8-sig, utf-16, cp1252 or latin-1 (default: detect).",
        callback=_check_encoding,
    ),
]
DateOrderOpt = Annotated[
    DateOrder | None,
    typer.Option("--date-order", help="Day/month order of dates in Sage files (default: mdy)."),
]
EntityOpt = Annotated[
    str | None,
    typer.Option(
        "--entity",
        help=f"Entity, if detection needs help: {', '.join(ENTITIES)} (or a Sage file that is only "
        f"recognised: {', '.join(RECOGNISED_ONLY)}).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON (for scripts).")]


def batch_column(table: Table, names: list[str | None], header: str = "Batch") -> None:
    """A column of batch names that is never cut or wrapped: people copy them into commands."""
    width = max([len(header), *(len(n) for n in names if n)])
    table.add_column(header, no_wrap=True, min_width=width, overflow="fold")


def fail(exc: ConverterError) -> None:
    err.print(f"Error: {exc}", markup=False)
    raise typer.Exit(2 if isinstance(exc, UsageError | InvalidConfig) else 1)


def check_entity(entity: str | None) -> None:
    if entity is not None and entity not in (*ENTITIES, *RECOGNISED_ONLY):
        raise typer.BadParameter(
            f"use one of: {', '.join((*ENTITIES, *RECOGNISED_ONLY))}", param_hint="--entity"
        )
