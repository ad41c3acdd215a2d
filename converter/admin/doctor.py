"""``bizops-sage50 doctor``: is this site ready, and what to do if not.

``diagnose`` returns data only: a list of checks (each ``ok``, ``info``, ``warning`` or ``problem``,
with what was found and, when it is not ok, the fix), the owner of each table with the lists seen
from each system, and the watcher's heartbeat. The site is ready when no check is a problem.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from ..core.config_schema import ACCOUNT_KEYS, SCHEMA
from ..core.errors import ConfigError
from ..core.settings import CONFIG_NAME, Settings, load_settings
from ..io.layouts import MASTER_ENTITIES
from ..sage50.tax_agencies import ENTITY as TAX_AGENCIES
from ..sync.catalog import ledger_path
from ..sync.ledger import Ledger
from ..sync.processes import pid_alive
from ..watch.files import network_filesystem

HEARTBEAT_STALE = 120  # seconds: the watcher rewrites its heartbeat every second or so
# Accounts every BizOps → Sage transaction of a type needs (the rest are optional).
NEEDED_BY = {
    "ar_account": ("invoices", "orders", "payments"),
    "cash_account": ("payments",),
    "ap_account": ("purchase_orders", "po_receipts"),
}
CHART_HOW = (
    "In Sage 50: File → Select Import/Export → General Ledger → Chart of Accounts → Export (all "
    "fields), then drop CHART.CSV into the inbox or run `bizops-sage50 convert CHART.CSV`."
)
LIST_HOW = {
    "customers": "Accounts Receivable → Customer List → Export (CUSTOMER.CSV)",
    "vendors": "Accounts Payable → Vendor List → Export (VENDOR.CSV)",
    "products": "Inventory → Inventory Item List → Export (ITEM.CSV)",
}


def _check(area: str, name: str, status: str, detail: str, fix: str | None = None) -> dict[str, Any]:
    return {"area": area, "name": name, "status": status, "detail": detail, "fix": fix}


def diagnose(
    config: Path | None = None,
    *,
    cwd: Path | None = None,
    now: dt.datetime | None = None,
    inbox: Path | None = None,
    outbox: Path | None = None,
) -> dict[str, Any]:
    """Every check of the site: config, folders, ledger, Sage accounts and items, tables, watcher.
    ``inbox`` and ``outbox`` stand for the config's folders, as with ``watch --inbox/--outbox``."""
    now = now or dt.datetime.now().astimezone()
    cwd = (cwd or Path.cwd()).resolve()
    checks: list[dict[str, Any]] = []
    try:
        settings = load_settings(config, cwd=cwd)
    except ConfigError as exc:
        checks.append(
            _check(
                "config", "config file", "problem", str(exc), "Fix the config file, then run doctor again."
            )
        )
        return _result(None, checks, [], None)
    if settings.path is None:
        checks.append(
            _check(
                "config",
                "config file",
                "problem",
                f"No {CONFIG_NAME} in {cwd}; running on the defaults.",
                "Run `bizops-sage50 init` here, or pass --config FILE.",
            )
        )
    else:
        checks.append(_check("config", "config file", "ok", f"{settings.path}: valid"))
    inbox = inbox or settings.resolve_path(settings.get("paths.inbox"))
    outbox = outbox or settings.resolve_path(settings.get("paths.outbox"))
    checks += [_folder_check("paths.inbox", inbox), _folder_check("paths.outbox", outbox)]
    conn, ledger_check = _open_ledger(settings)
    checks.append(ledger_check)
    try:
        checks += sage_checks(settings, conn)
        tables = table_owners(settings, conn)
    finally:
        if conn is not None:
            conn.close()
    watcher = heartbeat(outbox, now)
    checks.append(watcher.pop("check"))
    return _result(str(settings.path) if settings.path else None, checks, tables, watcher)


def _result(
    config: str | None,
    checks: list[dict[str, Any]],
    tables: list[dict[str, Any]],
    watcher: dict[str, Any] | None,
) -> dict[str, Any]:
    problems = sum(c["status"] == "problem" for c in checks)
    warnings = sum(c["status"] == "warning" for c in checks)
    return {
        "ready": problems == 0,
        "problems": problems,
        "warnings": warnings,
        "config": config,
        "checks": checks,
        "tables": tables,
        "watcher": watcher,
    }


def _folder_check(key: str, path: Path) -> dict[str, Any]:
    name = key.split(".")[1]
    if not path.is_dir():
        what = "is not a folder" if path.exists() else "does not exist"
        return _check(
            "folders",
            name,
            "problem",
            f"{path} {what}.",
            f"Create it (`bizops-sage50 init` does), or set `{key}` in the config.",
        )
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-", delete=True):
            pass
    except OSError as exc:
        return _check(
            "folders",
            name,
            "problem",
            f"{path} is not writable ({exc.strerror}).",
            "Give the user that runs bizops-sage50 write access to it.",
        )
    share = network_filesystem(path)
    where = f"on a network share ({share}); the watcher polls it" if share else "on a local disk"
    return _check("folders", name, "ok", f"{path}: present, writable, {where}")


def _open_ledger(settings: Settings) -> tuple[sqlite3.Connection | None, dict[str, Any]]:
    path = ledger_path(settings)
    if not path.exists():
        return None, _check(
            "ledger", "ledger", "ok", f"{path}: not created yet; the first conversion creates it"
        )
    ledger = Ledger(path)
    try:
        conn = ledger.conn
        verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as exc:
        ledger.close()
        return None, _check(
            "ledger",
            "ledger",
            "problem",
            f"{path} cannot be opened ({exc}).",
            "Restore it from a backup, or move it aside to start afresh.",
        )
    if verdict != "ok":
        ledger.close()
        return None, _check(
            "ledger",
            "ledger",
            "problem",
            f"{path} is damaged ({verdict}).",
            "Restore it from a backup, or move it aside to start afresh.",
        )
    return conn, _check("ledger", "ledger", "ok", f"{path}: opens, intact")


def _known(
    conn: sqlite3.Connection | None, system: str, entity: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Case-folded ID → data of one system's list, and where and when it was last read."""
    if conn is None:
        return {}, None
    rows = conn.execute(
        "SELECT key, data FROM masters WHERE system=? AND entity=?", (system, entity)
    ).fetchall()
    last = conn.execute(
        "SELECT source, seen_at FROM masters WHERE system=? AND entity=? AND source NOT LIKE 'batch %' "
        "ORDER BY seen_at DESC LIMIT 1",
        (system, entity),
    ).fetchone()
    return {k: json.loads(d) for k, d in rows}, ({"file": last[0], "at": last[1]} if last else None)


def sage_checks(settings: Settings, conn: sqlite3.Connection | None) -> list[dict[str, Any]]:
    """Each [sage50] and [sage50.sales_tax.*] account against the last chart read; the
    damaged-returns item against Sage's items; the sales tax agencies."""
    chart, read = _known(conn, "sage50", "accounts")
    checks = []
    if read:
        checks.append(
            _check(
                "sage50",
                "chart of accounts",
                "ok",
                f"{len(chart)} accounts, read from {read['file']} on {read['at'][:16].replace('T', ' ')}",
            )
        )
    else:
        checks.append(
            _check(
                "sage50",
                "chart of accounts",
                "warning",
                "None read yet, so the accounts below cannot be checked.",
                CHART_HOW,
            )
        )
    wanted = [(f"sage50.{k}", settings.get(f"sage50.{k}"), k) for k in ACCOUNT_KEYS]
    for code, entry in sorted((settings.get("sage50.sales_tax") or {}).items()):
        key = f"sage50.sales_tax.{code}"
        for part in ("agency", "account"):
            if not entry.get(part):
                checks.append(
                    _check(
                        "sage50",
                        f"{key}.{part}",
                        "problem",
                        f"[{key}] has no {part}.",
                        f'Add {part} = "..." under [{key}].',
                    )
                )
        if entry.get("account"):
            wanted.append((f"{key}.account", entry["account"], "sales_tax"))
    for key, value, short in wanted:
        checks.append(_account_check(settings, key, value, short, chart, read))
    checks.append(_item_check(settings, conn))
    agencies, seen = _known(conn, "sage50", TAX_AGENCIES)
    for code, entry in sorted((settings.get("sage50.sales_tax") or {}).items()):
        if entry.get("agency"):
            checks.append(
                _agency_check(f"sage50.sales_tax.{code}.agency", str(entry["agency"]), agencies, seen)
            )
    return checks


def _agency_check(
    key: str, agency: str, known: dict[str, Any], seen: dict[str, Any] | None
) -> dict[str, Any]:
    """An agency against those seen in Sage's journals (Sage exports no list of them)."""
    fix = "Make sure it exists in Sage (Maintain → Sales Taxes → Sales Tax Agencies) before loading invoices that use it."
    if seen is None:
        return _check(
            "sage50",
            key,
            "info",
            f"{agency!r}: no Sage 50 Sales Journal read yet, and Sage exports no list of agencies.",
            "Drop a Sales Journal export (SALES.CSV) to learn the agencies it uses. " + fix,
        )
    if agency.casefold() in known:
        return _check(
            "sage50", key, "ok", f"{agency!r}: seen in Sage 50's journals (last read {seen['file']})"
        )
    names = ", ".join(sorted(d.get("agency", k) for k, d in known.items())) or "none"
    return _check(
        "sage50",
        key,
        "warning",
        f"{agency!r}: not among the agencies seen in Sage 50's journals so far ({names}).",
        fix,
    )


def _account_check(
    settings: Settings, key: str, value: Any, short: str, chart: dict[str, Any], read: dict[str, Any] | None
) -> dict[str, Any]:
    if not value:
        needed_by = [e for e in NEEDED_BY.get(short, ()) if _to_sage(settings, e)]
        if needed_by:
            return _check(
                "sage50",
                key,
                "problem",
                f"not set; {', '.join(needed_by)} sent to Sage 50 need it.",
                f"Set `{key}` in the config, e.g. {short} = {_example(short)} (an account of Sage's chart).",
            )
        return _check("sage50", key, "info", "not set (optional)")
    if not read:
        return _check(
            "sage50", key, "warning", f"{value!r}: not checked (no chart of accounts read yet)", CHART_HOW
        )
    found = chart.get(str(value).casefold())
    if found is None:
        return _check(
            "sage50",
            key,
            "problem",
            f"{value!r} is not in the chart of accounts read from {read['file']}.",
            f"Fix `{key}`, or add the account in Sage 50 and export the chart again.",
        )
    return _check("sage50", key, "ok", f"{value!r}: {found.get('description') or 'in the chart of accounts'}")


def _example(short: str) -> str:
    schema = SCHEMA["properties"]["sage50"]["properties"].get(short, {})
    return json.dumps((schema.get("examples") or ["..."])[0])


def _to_sage(settings: Settings, entity: str) -> bool:
    """Whether this transaction type is created in BizOps (so it is sent to Sage 50)."""
    return (settings.get(f"ownership.{entity}") or settings.get("ownership.transactions")) == "bizops"


def _item_check(settings: Settings, conn: sqlite3.Connection | None) -> dict[str, Any]:
    key, item = "sage50.damaged_returns_item", settings.get("sage50.damaged_returns_item")
    if not item:
        fix = f"Set `{key}` to a Sage non-inventory item before sending credit memos with Damaged lines."
        return _check("sage50", key, "warning" if _to_sage(settings, "invoices") else "info", "not set", fix)
    items, _ = _known(conn, "sage50", "products")
    if not items:
        return _check(
            "sage50",
            key,
            "warning",
            f"{item!r}: not checked (no Sage item list seen yet)",
            f"Export the item list from Sage 50 ({LIST_HOW['products']}) and drop it into the inbox.",
        )
    if str(item).casefold() not in items:
        return _check(
            "sage50",
            key,
            "problem",
            f"{item!r} is not among the {len(items)} items known in Sage 50.",
            f"Create it in Sage 50 as a non-inventory item (then export the item list), or fix `{key}`.",
        )
    return _check("sage50", key, "ok", f"{item!r}: known in Sage 50")


def table_owners(settings: Settings, conn: sqlite3.Connection | None) -> list[dict[str, Any]]:
    """For each table: its owner, and per system the last list seen (file, when, outcome) and the
    number of records known."""
    out = []
    for entity in MASTER_ENTITIES:
        seen: dict[str, Any] = {}
        for system in ("bizops", "sage50"):
            last = None
            if conn is not None:
                row = conn.execute(
                    "SELECT name, processed_at, outcome FROM files WHERE entity=? AND direction LIKE ? "
                    "ORDER BY processed_at DESC LIMIT 1",
                    (entity, f"{system}-to-%"),
                ).fetchone()
                last = {"file": row[0], "at": row[1], "outcome": row[2]} if row else None
            known, _ = _known(conn, system, entity)
            seen[system] = {"last_list": last, "known": len(known)}
        out.append({"table": entity, "owner": settings.get(f"ownership.{entity}"), "seen": seen})
    return out


def heartbeat(outbox: Path, now: dt.datetime) -> dict[str, Any]:
    """The watcher's heartbeat (``outbox/.heartbeat``): its age, and whether it looks alive."""
    path = outbox / ".heartbeat"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        beat = dt.datetime.fromisoformat(data["time"])
    except (OSError, ValueError, KeyError, TypeError):
        check = _check(
            "watcher",
            "watcher",
            "info",
            "No watcher has run on this outbox.",
            "Start one: `bizops-sage50 watch` (or as a service; see the README).",
        )
        return {"running": False, "heartbeat": None, "age_seconds": None, "check": check}
    age = max(0, round((now - beat).total_seconds()))
    pid = data.get("pid")
    # A fresh heartbeat whose process has exited on this machine: a `watch --once` run (or a
    # watcher on another machine sharing the outbox).
    exited = isinstance(pid, int) and not pid_alive(pid)
    running = age <= HEARTBEAT_STALE and not exited
    if running:
        check = _check("watcher", "watcher", "ok", f"running (PID {pid}), heartbeat {age} s ago")
    elif age <= HEARTBEAT_STALE:
        check = _check(
            "watcher",
            "watcher",
            "info",
            f"last ran {_age(age)} ago (PID {pid}, no longer running here: a `watch --once` run, or a "
            "watcher on another machine)",
        )
    else:
        check = _check(
            "watcher",
            "watcher",
            "warning",
            f"last heartbeat {_age(age)} ago (PID {pid}): not running",
            "Start it again (`bizops-sage50 watch`), or check its service and log.",
        )
    return {"running": running, "heartbeat": str(path), "age_seconds": age, "pid": pid, "check": check}


def _age(seconds: int) -> str:
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
