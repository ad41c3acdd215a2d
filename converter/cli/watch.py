"""``bizops-sage50 watch``: the inbox watcher as a command (see ``converter.watch.watcher``)."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..core.errors import ConverterError
from ..core.settings import load_settings
from ..watch.reload import SettingsReloader
from .common import ConfigOpt, err, fail

if TYPE_CHECKING:
    from ..watch.watcher import Watcher


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
    logger = _logger(log_file)
    try:
        settings = load_settings(config)
    except ConverterError as exc:
        logged_fail(logger, exc, log_file)
    from ..watch.watcher import Watcher  # the pipeline and pandas: only when a watcher starts

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
    except (ConverterError, OSError) as exc:
        logged_fail(logger, exc, log_file)
    received: list[str] = []

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum).name)
        logger.info("received %s: finishing the file in hand, then stopping", received[-1])
        watcher.stop.set()
        watcher.wake.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    mode = f"polling every {watcher.poll:g} s" if watcher.poll else "native events"
    logger.info(
        "watcher started (PID %d%s): watching %s (%s); batches go to %s",
        os.getpid(),
        ", once" if once else "",
        watcher.inbox,
        mode,
        watcher.outbox,
    )
    code = _run(watcher, logger, once=once, initial_load=initial_load, received=received)
    if watcher.lost:
        fail(ConverterError(watcher.lost))
    raise typer.Exit(code)


def _logger(log_file: Path | None) -> logging.Logger:
    """The watcher's log: a plain file with --log-file, else the console."""
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else _rich_handler()
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(message)s" if log_file else "%(message)s")
    )
    logger = logging.getLogger("bizops-sage50")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    return logger


def _rich_handler() -> logging.Handler:
    from rich.logging import RichHandler  # rich loads only for a console log

    return RichHandler(console=err.console, show_path=False)


def _run(
    watcher: Watcher, logger: logging.Logger, *, once: bool, initial_load: bool, received: list[str]
) -> int:
    """Runs the watcher (once, or until stopped) and logs why it stopped; returns the exit code."""
    code = 0
    try:
        if once:
            results = watcher.run_once()
            code = 0 if all(r.ok for r in results) else 1
        else:
            if initial_load:
                logger.warning(
                    "initial load: every file taken until this watcher stops converts, whoever owns it"
                )
            watcher.run()
            code = 1 if watcher.lost else 0
    finally:
        watcher.release()
        stats = watcher.stats
        why = (
            f"on {received[0]}"
            if received
            else "its inbox was replaced and could not be locked"
            if watcher.lost
            else "done"
        )
        logger.info("watcher stopped (%s): %d processed, %d failed", why, stats.processed, stats.failed)
    return code


def logged_fail(logger: logging.Logger, exc: Exception, log_file: Path | None) -> None:
    """A reason the watcher cannot start: in the log file too (the console shows it once)."""
    if log_file:
        logger.error("%s", exc)
    fail(exc)


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
