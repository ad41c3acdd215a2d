"""The site's settings: a TOML file, ``bizops-sage50.toml`` in the current folder or ``--config``.

Every command works without a config file, on the documented defaults in ``DEFAULTS``. A value
that Sage needs and neither the data nor the defaults give (an account, a code) is looked up with
``require``, which raises a ``ConfigError`` naming the exact key to add.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config_schema import defaults, problems
from .errors import ConfigError, InvalidConfig
from .limits import Limits

CONFIG_NAME = "bizops-sage50.toml"

# Every setting, its type, default and meaning are defined once, in ``config_schema.SCHEMA``.
DEFAULTS: dict[str, Any] = defaults()

DATE_ORDERS = ("mdy", "dmy", "ymd")


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


_MISSING = object()


@dataclass(frozen=True)
class Settings:
    """Merged defaults + config file. ``path`` is ``None`` when running on defaults."""

    data: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULTS))
    path: Path | None = None
    cwd: Path | None = None

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths in the config are resolved against (else the working folder)."""
        return self.path.parent if self.path else (self.cwd or Path.cwd())

    def get(self, key: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def require(self, key: str, *, why: str = "") -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING or value == "" or value is None:
            where = f"in {self.path}" if self.path else f"in {CONFIG_NAME} (or pass --config FILE)"
            section, _, name = key.rpartition(".")
            hint = f"[{section}]\n{name} = ..." if section else f"{name} = ..."
            reason = f" {why}" if why else ""
            raise ConfigError(f"Missing setting `{key}`.{reason} Add it {where}:\n{hint}")
        return value

    def resolve_path(self, value: str | Path) -> Path:
        path = Path(value)
        return path if path.is_absolute() else self.base_dir / path

    @property
    def date_order(self) -> str:
        return str(self.get("reading.date_order", "mdy"))

    @property
    def limits(self) -> Limits:
        """The ``[limits]`` section, checked: what reading refuses to go past."""
        return Limits.from_config(self.get("limits"))


def load_settings(
    config: Path | None = None, *, cwd: Path | None = None, overrides: dict[str, Any] | None = None
) -> Settings:
    """Load ``config`` (or ``bizops-sage50.toml`` in ``cwd`` if present) over the defaults."""
    path = config
    if path is None:
        candidate = (cwd or Path.cwd()) / CONFIG_NAME
        path = candidate if candidate.is_file() else None
    data = copy.deepcopy(DEFAULTS)
    if path is not None:
        data = _merge(data, _read(path))
        path = path.resolve()
    if overrides:
        data = _merge(data, overrides)
    found = problems(data)
    if found:
        where = f"The config file {path}" if path else "The settings"
        fix = "Fix it" if len(found) == 1 else "Fix them"
        raise InvalidConfig(
            f"{where} {'has a problem' if len(found) == 1 else f'has {len(found)} problems'}:\n"
            + "\n".join(f"  - {p}" for p in found)
            + f"\n{fix}, then run the command again (`bizops-sage50 doctor` checks the whole site)."
        )
    return Settings(data=data, path=path, cwd=(cwd or Path.cwd()).resolve())


def _read(path: Path) -> dict[str, Any]:
    """The config file as TOML; a missing or unreadable file is an ``InvalidConfig`` naming it."""
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise InvalidConfig(
            f"Config file {path} {what}. Check the --config path, or run `bizops-sage50 init`."
        )
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidConfig(f"Config file {path} is not valid TOML: {exc}. Fix that line.") from exc
    except UnicodeDecodeError as exc:
        raise InvalidConfig(
            f"Config file {path} is not UTF-8 text ({exc.reason}). Save it as UTF-8."
        ) from exc
