"""Project housekeeping behind ``init``, ``status``, ``history`` and ``forget``: pure functions over
the settings and the ledger, returning data for the CLI to render."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from .batch_names import resolve_batch
from .errors import UsageError
from .ledger import Ledger
from .settings import CONFIG_NAME, Settings

CONFIG_TEXT = """\
# bizops-sage50 settings. Every key is optional; the values shown are the defaults, or examples
# (commented out) where Sage needs a value that only your company knows.

[paths]
inbox = "inbox"                   # relative paths are relative to this file
outbox = "outbox"

[reading]
date_order = "mdy"                # mdy | dmy | ymd: how your Sage 50 PC writes dates
encoding = "auto"                 # or utf-8, utf-8-sig, utf-16, cp1252, latin-1
chunk_rows = 50000                # rows held in memory at a time

[ownership]                       # the system of record of each table
customers = "bizops"
products = "bizops"
vendors = "sage50"
transactions = "bizops"           # where transactions are created (per type: invoices = "sage50")

[credit_limits]                   # a change above either threshold is held for review
hold_above_percent = 50
hold_above_amount = 10000

[checks]
unknown_references = "error"      # or "warning"

[status]
unconfirmed_days = 7              # `status` flags records Sage has not confirmed after this long

[limits]                          # a file past a limit is refused, with the row and column named
max_file_mb = 1024                # size of one input file
max_rows = 5000000                # data rows in one file
max_cell_chars = 32767            # characters in one cell (Excel's own limit)
max_columns = 1000                # cells in one row
max_xlsx_unpacked_mb = 500        # an XLSX's unpacked size, checked before unpacking (zip bombs)

[sage50]
# ar_account = "11000"            # Accounts Receivable Account on sales documents
# ap_account = "20000"            # Accounts Payable Account on purchases
# cash_account = "10200"          # default Cash Account for receipts
# freight_account = "40600"       # G/L account of freight lines
# default_sales_account = "40000" # when neither line nor product names one
# default_purchase_account = "12000"
# damaged_returns_item = "DAMAGED" # non-inventory item for Damaged credit-memo lines
# discount_account = "49000"      # receipts that take an early-payment discount
# default_due_days = 30

[sage50.item_tax_types]           # your company's Item Tax Type numbers
taxable = "1"
exempt = "2"

# [sage50.sales_tax.GA]           # one table per BizOps SalesTaxCode
# agency = "GA-DOR"               # Sales Tax Agency ID
# account = "23100"               # its liability G/L account
"""


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
