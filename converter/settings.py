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

from .errors import ConfigError
from .limits import Limits

CONFIG_NAME = "bizops-sage50.toml"

# Documented defaults (README "Configuration"). Keep in step with the README.
DEFAULTS: dict[str, Any] = {
    "paths": {"inbox": "inbox", "outbox": "outbox"},
    "reading": {
        "date_order": "mdy",  # Sage exports follow the exporting PC's regional settings.
        "encoding": "auto",  # auto, utf-8, utf-8-sig, utf-16, cp1252
        "chunk_rows": 50_000,
    },
    "sage50": {
        # Sage's default item tax types: 1 = taxable ("Regular"), 2 = exempt.
        "item_tax_types": {"taxable": "1", "exempt": "2"},
    },
    "maps": {},  # maps.<direction>.<entity> = "path/to/site-copy.json"
    # The system of record of each table; transactions are created in one system (a per-entity
    # key such as invoices = "sage50" overrides `transactions`).
    "ownership": {"customers": "bizops", "products": "bizops", "vendors": "sage50", "transactions": "bizops"},
    # A credit-limit change above either threshold is held for review instead of sent.
    "credit_limits": {"hold_above_percent": 50, "hold_above_amount": 10_000},
    "checks": {"unknown_references": "error"},
    "status": {"unconfirmed_days": 7},
    # Resource limits: a file past one is refused with a message naming the key (see ``limits``).
    "limits": {
        "max_file_mb": 1024,
        "max_rows": 5_000_000,
        "max_cell_chars": 32_767,  # Excel's own limit for one cell
        "max_columns": 1_000,
        "max_xlsx_unpacked_mb": 500,  # a workbook that would unpack larger is a zip bomb
    },
    # Every batch gets review.xlsx; with require_approval, batches wait in outbox/pending/ until
    # `bizops-sage50 approve` moves them to outbox/ready/. max_rows caps the records shown.
    "review": {"require_approval": False, "max_rows": 1_000},
}

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
        if not path.is_file():
            raise ConfigError(f"Config file {path} does not exist. Check the --config path.")
        try:
            with path.open("rb") as fh:
                data = _merge(data, tomllib.load(fh))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"Config file {path} is not valid TOML: {exc}. Fix that line.") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"Config file {path} is not UTF-8 text ({exc.reason}). Save it as UTF-8."
            ) from exc
        path = path.resolve()
    if overrides:
        data = _merge(data, overrides)
    settings = Settings(data=data, path=path, cwd=(cwd or Path.cwd()).resolve())
    order = settings.date_order
    if order not in DATE_ORDERS:
        raise ConfigError(f"`reading.date_order` is {order!r}; use one of {', '.join(DATE_ORDERS)}.")
    for key, owner in (settings.get("ownership") or {}).items():
        if owner not in ("bizops", "sage50"):
            raise ConfigError(f'`ownership.{key}` is {owner!r}; use "bizops" or "sage50".')
    if settings.get("checks.unknown_references") not in ("error", "warning"):
        raise ConfigError('`checks.unknown_references` must be "error" or "warning".')
    chunk = settings.get("reading.chunk_rows")
    if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 1:
        raise ConfigError(
            f"`reading.chunk_rows` is {chunk!r}; it must be a whole number of rows, such as 50000."
        )
    settings.limits  # noqa: B018 - a bad [limits] value stops here, before any file is read
    return settings
