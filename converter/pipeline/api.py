"""The small public API for scripts: ``from converter import convert_file, validate_file``.

Both take a path and the same choices as the commands, load the settings as the commands do (the
``config`` given, else ``bizops-sage50.toml`` in the current folder), never print and never exit,
and return a ``ConversionResult`` (``.ok``, ``.status``, ``.issues``, ``.outputs``; ``.as_dict()``
is exactly what ``--json`` prints). Bad data never raises: it is in ``.issues``. A config that is
not valid raises ``converter.core.errors.ConfigError``.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from ..core.results import ConversionResult
from ..core.settings import Settings, load_settings
from . import convert as pipeline


def _settings(config: str | PathLike[str] | None, settings: Settings | None) -> Settings:
    return settings if settings is not None else load_settings(Path(config) if config else None)


def convert_file(
    path: str | PathLike[str],
    *,
    config: str | PathLike[str] | None = None,
    outbox: str | PathLike[str] | None = None,
    settings: Settings | None = None,
    to: str | None = None,
    entity: str | None = None,
    encoding: str | None = None,
    date_order: str | None = None,
    full: bool = False,
    initial_load: bool = False,
    release_held: bool = False,
) -> ConversionResult:
    """Convert one export file into a batch in the outbox (``bizops-sage50 convert FILE``)."""
    conf = _settings(config, settings)
    box = Path(outbox) if outbox else conf.resolve_path(conf.get("paths.outbox", "outbox"))
    return pipeline.convert_file(
        Path(path),
        settings=conf,
        outbox=box,
        to=to,
        entity=entity,
        encoding=encoding,
        date_order=date_order,
        full=full,
        initial_load=initial_load,
        release_held=release_held,
    )


def validate_file(
    path: str | PathLike[str],
    *,
    config: str | PathLike[str] | None = None,
    settings: Settings | None = None,
    entity: str | None = None,
    encoding: str | None = None,
    date_order: str | None = None,
    initial_load: bool = False,
) -> ConversionResult:
    """Every check of a conversion, nothing written (``bizops-sage50 validate FILE``)."""
    return pipeline.convert_file(
        Path(path),
        settings=_settings(config, settings),
        outbox=Path("."),
        entity=entity,
        encoding=encoding,
        date_order=date_order,
        initial_load=initial_load,
        write=False,
    )
