"""Project housekeeping behind ``init``, ``status``, ``history`` and ``forget``: pure functions over
the settings and the ledger, returning data for the CLI to render."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ..core.config_schema import config_text
from ..core.errors import UsageError
from ..core.settings import CONFIG_NAME, Settings
from ..io.batch_names import resolve_batch
from ..sync.ledger import Ledger

CONFIG_TEXT = config_text()  # generated from the schema: every setting, its default and meaning


def init_project(folder: Path, *, force: bool = False) -> list[str]:
    """Write a commented default config and the inbox and outbox folders; returns what was created."""
    created = []
    config = folder / CONFIG_NAME
    if config.exists() and not force:
        raise UsageError(f"{config} already exists; edit it, or pass --force to overwrite it.")
    folder.mkdir(parents=True, exist_ok=True)
    config.write_text(CONFIG_TEXT, encoding="utf-8")
    created.append(str(config))
    for name in ("inbox", "outbox"):
        path = folder / name
        if not path.exists():
            path.mkdir()
            created.append(str(path))
    return created


def next_steps(folder: Path) -> list[str]:
    """What to do after ``init``: the keys to fill in, the lists to export from Sage, then ``doctor``."""
    config = folder / CONFIG_NAME
    needed = ", ".join(
        f"{k} = ..." for k in ("ar_account", "ap_account", "cash_account", "damaged_returns_item")
    )
    return [
        f"1. Edit {config}: under [sage50] fill in {needed} (the other accounts are optional), one "
        "[sage50.sales_tax.CODE] table per BizOps SalesTaxCode, and [ownership] if your owners differ.",
        "2. Export from Sage 50 and drop into the inbox (or run `bizops-sage50 convert FILE…`): the Chart of "
        "Accounts (CHART.CSV), then the Customer, Vendor and Inventory Item lists (CUSTOMER.CSV, VENDOR.CSV, "
        "ITEM.CSV). For the first copy of a table, pass --initial-load.",
        f"3. Run `bizops-sage50 doctor{'' if folder == Path('.') else f' --config {config}'}`: it checks the "
        "config, the folders, and every account against Sage's chart, and says what is left to do.",
    ]


def status_report(settings: Settings) -> dict[str, Any]:
    """Per entity and target: sent, confirmed, overdue unconfirmed, drift; plus the overdue and drifted records."""
    ledger = Ledger.for_settings(settings)
    days = int(settings.get("status.unconfirmed_days", 7))
    ledger.reconcile() if ledger.exists() else None
    return {
        "ledger": str(ledger.path),
        "unconfirmed_days": days,
        "entities": ledger.status(unconfirmed_days=days),
        "overdue": ledger.overdue(unconfirmed_days=days),
        "drift": ledger.drift(),
    }


def history(settings: Settings, *, entity: str | None = None) -> list[dict[str, Any]]:
    return Ledger.for_settings(settings).history(entity)


def forget_batch(settings: Settings, name: str, *, outbox: Path) -> dict[str, Any]:
    """Un-send a batch that was never loaded: its records go again next time. The folder is kept,
    renamed ``<batch>.forgotten`` so nobody loads it by mistake."""
    ledger = Ledger.for_settings(settings)
    name = resolve_batch(name, ledger=ledger, outbox=outbox)
    batch = ledger.batch(name)
    if batch is None:
        raise UsageError(f"No batch named {name!r} in {ledger.path}; `bizops-sage50 history` lists them.")
    if batch["state"] == "forgotten":
        raise UsageError(f"Batch {name} was already forgotten.")
    count = ledger.drop_batch(name)
    folder = Path(batch["path"])
    moved = None
    if folder.is_dir():
        moved = folder.with_name(folder.name + ".forgotten")
        shutil.move(str(folder), str(moved))
    return {"batch": name, "records": count, "folder": str(moved) if moved else None}
