"""``bizops-sage50 watch``: the inbox watcher as a command (see ``converter.watch``)."""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.logging import RichHandler

from .cli_common import ConfigOpt, err, fail
from .config_reload import SettingsReloader
from .errors import ConverterError
from .settings import load_settings


def watch(
    inbox: Annotated[
        Path | None, typer.Option("--inbox", help="Folder to watch (default: config, else ./inbox).")
    ] = None,
    outbox: Annotated[
        Path | None, typer.Option("--outbox", help="Where batches go (default: config, else ./outbox).")
    ] = None,
    config: ConfigOpt = None,
    poll: Annotated[
        float | None,
        typer.Option(
            "--poll",
            metavar="[SECONDS]",
            help="Poll every SECONDS (5 when given bare) instead of native "
            "events; automatic on SMB/CIFS and NFS shares.",
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Process what is waiting, then exit 0 or 1 (cron, Task Scheduler).")
    ] = False,
    log_file: Annotated[
        Path | None, typer.Option("--log-file", help="Plain log file instead of the console.")
    ] = None,
    initial_load: Annotated[
        bool,
        typer.Option(
            "--initial-load",
            help="The files taken in this run are a first copy: the non-owner's exports convert too "
            "(typically with --once).",
        ),
    ] = False,
) -> None:
    """Convert every export dropped into the inbox: masters first, each file once, nothing lost."""
    try:
        settings = load_settings(config)
    except ConverterError as exc:
        fail(exc)
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8")
        if log_file
        else RichHandler(console=err, show_path=False)
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(message)s" if log_file else "%(message)s")
    )
    logger = logging.getLogger("bizops-sage50")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    from .watch import Watcher  # imports the pipeline and pandas: not at start-up

    watcher = Watcher(
        inbox=inbox or settings.resolve_path(settings.get("paths.inbox", "inbox")),
        outbox=outbox or settings.resolve_path(settings.get("paths.outbox", "outbox")),
        settings=settings,
        poll=poll,
        reload_settings=SettingsReloader(settings),
        initial_load=initial_load,
    )
    try:
        watcher.acquire()
    except ConverterError as exc:
        fail(exc)
    signal.signal(signal.SIGTERM, lambda *_: watcher.stop.set())
    signal.signal(signal.SIGINT, lambda *_: watcher.stop.set())
    try:
        if once:
            results = watcher.run_once()
            raise typer.Exit(0 if all(r.ok for r in results) else 1)
        mode = f"polling every {watcher.poll:g} s" if watcher.poll else "native events"
        logger.info("watching %s (%s); batches go to %s", watcher.inbox, mode, watcher.outbox)
        if initial_load:
            logger.warning(
                "initial load: every file taken until this watcher stops converts, whoever owns it"
            )
        watcher.run()
    finally:
        watcher.release()


DEFAULT_POLL = "5"


def optional_poll_value(args: list[str]) -> list[str]:
    """``--poll`` takes an optional value (``--poll`` or ``--poll 2``); Click wants one, so a bare
    ``--poll`` gets the default interval before parsing."""
    out: list[str] = []
    for i, arg in enumerate(args):
        out.append(arg)
        if arg == "--poll":
            nxt = args[i + 1] if i + 1 < len(args) else None
            if nxt is None or (nxt.startswith("-") and not _is_number(nxt)):
                out.append(DEFAULT_POLL)
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False
