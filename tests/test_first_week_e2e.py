"""A site's first week, end to end (issue 12): init → doctor → mistakes in the config → exports of
both systems through the watcher → a failure fixed and retried → review → approve.

One test, the real CLI, a fresh site in its own folder (the working folder, as a new user has it),
the bundled samples. At each step it checks what the user sees: exit codes and the --json of
status, history, batches and doctor. Files are dropped as exports written a while ago, so the
watcher takes them without waiting for them to settle.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from converter.cli import main as cli

runner = CliRunner()
SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SAGE_ACCOUNTS = """\
[sage50]
ar_account = "11000"
ap_account = "20000"
cash_account = "10200"
freight_account = "40600"
default_sales_account = "40000"
default_purchase_account = "12000"
damaged_returns_item = "DAMAGED"
default_due_days = 30

[sage50.item_tax_types]
taxable = "1"
exempt = "2"

[sage50.sales_tax.MA]
agency = "MA-DOR"
account = "23100"

[sage50.sales_tax.NY]
agency = "NY-DTF"
account = "23200"

"""


@pytest.fixture(autouse=True)
def _restore_process_state():
    """`watch` installs signal and log handlers for the process: undo both."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    logger = logging.getLogger("bizops-sage50")
    handlers, level = logger.handlers[:], logger.level
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)
    logger.handlers[:] = handlers
    logger.setLevel(level)


def run(*args: str, code: int = 0):
    res = runner.invoke(cli.app, list(args), env={"COLUMNS": "200"})
    assert res.exit_code == code, f"{args}: exit {res.exit_code}, wanted {code}\n{res.output}"
    assert "Traceback" not in res.output
    return res


def as_json(*args: str, code: int = 0):
    return json.loads(run(*args, "--json", code=code).stdout)


def export(inbox: Path, folder: str, name: str, data: bytes | None = None) -> None:
    """An export dropped into the inbox, written a while ago (settled)."""
    path = inbox / name
    path.write_bytes((SAMPLES / folder / name).read_bytes() if data is None else data)
    then = time.time() - 30
    os.utime(path, (then, then))


def checks(doctor: dict) -> dict[str, str]:
    return {c["name"]: c["status"] for c in doctor["checks"]}


def outcomes(file: str) -> list[str]:
    return [r["outcome"] for r in as_json("history") if r["file"] == file]


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def test_a_sites_first_week(tmp_path: Path) -> None:
    site = tmp_path  # the working folder: every command finds bizops-sage50.toml here
    config, inbox, outbox = site / "bizops-sage50.toml", site / "inbox", site / "outbox"

    # -- Monday: init writes the commented config and the folders, and says what comes next.
    res = run("init")
    assert config.is_file() and inbox.is_dir() and outbox.is_dir()
    assert "Next steps" in res.stdout and "ar_account" in res.stdout and "CHART.CSV" in res.stdout
    assert "bizops-sage50 doctor" in res.stdout
    generated = config.read_text(encoding="utf-8")

    # doctor: not ready, and each problem names the key to set.
    doctor = as_json("doctor", code=1)
    assert doctor["ready"] is False and doctor["config"] == str(config)
    assert {"sage50.ar_account", "sage50.ap_account", "sage50.cash_account"} <= {
        c["name"] for c in doctor["checks"] if c["status"] == "problem"
    }
    assert checks(doctor)["chart of accounts"] == "warning"
    assert "Chart of Accounts" in next(c["fix"] for c in doctor["checks"] if c["name"] == "chart of accounts")

    # -- Mistakes in the config: a misspelt key, a misspelt section, quoted booleans and numbers.
    good = generated[: generated.index("[sage50]")] + SAGE_ACCOUNTS + generated[generated.index("[maps]") :]
    assert "require_approval = false" in good
    good = good.replace("require_approval = false", "require_approval = true")
    bad = (
        good.replace('ar_account = "11000"', 'ar_acount = "11000"')
        .replace("require_approval = true", 'require_approval = "true"')
        .replace("unconfirmed_days = 7", 'unconfirmed_days = "seven"')
        + '\n[sage5O]\nap_account = "20000"\n'
    )
    config.write_text(bad, encoding="utf-8")
    export(inbox, "sage50", "CHART.CSV")
    for command in (["status"], ["watch", "--once"], ["history"], ["batches"]):
        res = run(*command, code=2)
        for needle in (
            str(config),
            "did you mean `ar_account`?",
            "did you mean [sage50]?",
            '`review.require_approval` is "true"',
            '`status.unconfirmed_days` is "seven"',
        ):
            assert needle in res.output, (command, needle)
    assert files(inbox) == ["CHART.CSV"]  # the watcher did not start: nothing taken
    doctor = as_json("doctor", code=1)
    assert checks(doctor) == {"config file": "problem"}
    assert "did you mean `ar_account`?" in doctor["checks"][0]["detail"]

    # Fixed: valid, but no Sage chart read yet, so the accounts cannot be checked.
    config.write_text(good, encoding="utf-8")
    doctor = as_json("doctor")
    assert doctor["ready"] is True and checks(doctor)["chart of accounts"] == "warning"

    # -- Sage 50's exports through the watcher: the chart, customers (credit limits), vendors (Sage
    # owns them) and items, which BizOps owns: read for reference, not converted, exit 0.
    for name in ("CUSTOMER.CSV", "VENDOR.CSV", "ITEM.CSV"):
        export(inbox, "sage50", name)
    res = run("watch", "--once")
    assert "ITEM.CSV: reference-only" in res.stderr and "`ownership.products`" in res.stderr
    assert files(inbox) == [] and files(inbox / "failed") == []
    history = {r["file"]: r for r in as_json("history")}
    assert {f: history[f]["outcome"] for f in history} == {
        "CHART.CSV": "recorded",
        "CUSTOMER.CSV": "converted",
        "VENDOR.CSV": "converted",
        "ITEM.CSV": "reference-only",
    }
    assert "12 items now known in Sage 50" in history["ITEM.CSV"]["reason"]
    assert "`ownership.products`" in history["ITEM.CSV"]["reason"]
    assert not any(r["initial_load"] for r in history.values())
    doctor = as_json("doctor")
    assert doctor["ready"] is True and doctor["warnings"] == 0
    found = checks(doctor)
    assert found["chart of accounts"] == found["sage50.ar_account"] == "ok"
    assert found["sage50.sales_tax.MA.account"] == found["sage50.damaged_returns_item"] == "ok"
    products = next(t for t in doctor["tables"] if t["table"] == "products")
    assert products["owner"] == "bizops" and products["seen"]["sage50"]["known"] == 12
    assert products["seen"]["bizops"]["last_list"] is None

    # -- BizOps' lists, a first copy: vendors go to Sage too, although Sage owns them.
    for name in ("customers.csv", "products.csv", "vendors.csv"):
        export(inbox, "bizops", name)
    run("watch", "--once", "--initial-load")
    for name in ("customers.csv", "products.csv", "vendors.csv"):
        [entry] = [r for r in as_json("history") if r["file"] == name]
        assert (entry["outcome"], entry["initial_load"]) == ("converted", True), entry
    res = run("history")
    assert re.search(r"vendors\.csv .*converted \(initial load\)", res.stdout)

    # -- Transactions: BizOps' (one export cut off half-way through its heading row), and Sage's
    # Sales Journal, which BizOps owns: read for reference.
    for name in ("orders.csv", "invoices.csv"):
        export(inbox, "bizops", name)
    payments = (SAMPLES / "bizops" / "payments.csv").read_bytes()
    export(inbox, "bizops", "payments.csv", payments[:60])
    export(inbox, "sage50", "SALES.CSV")
    run("watch", "--once", code=1)
    assert files(inbox / "failed") == ["payments.csv", "payments.csv.error.txt"]
    error = (inbox / "failed" / "payments.csv.error.txt").read_text(encoding="utf-8")
    assert "matches no known layout" in error and "AmountApplied" in error
    [failed] = [r for r in as_json("history") if r["file"] == "payments.csv"]
    assert failed["outcome"] == "failed" and "matches no known layout" in failed["reason"]
    assert outcomes("invoices.csv") == outcomes("orders.csv") == ["converted"]
    assert outcomes("SALES.CSV") == ["reference-only"]

    # The export is made again into failed/, then retried: back in the inbox, its report gone.
    export(inbox / "failed", "bizops", "payments.csv")
    res = run("retry", "payments.csv")
    assert "payments.csv" in res.stdout and "1 file(s) back in the inbox" in res.stdout
    assert files(inbox / "failed") == [] and files(inbox) == ["payments.csv"]
    run("watch", "--once")
    assert outcomes("payments.csv") == ["failed", "retried", "converted"]
    assert files(inbox) == [] and files(inbox / "failed") == []

    # -- Review, then approve: every batch waits in pending/ (require_approval = true).
    batches = as_json("batches")
    assert batches and {b["state"] for b in batches} == {"awaiting approval"}
    assert all("/pending/" in b["path"] and b["records"] > 0 for b in batches)
    [invoices] = [b for b in batches if b["source"] == "invoices.csv"]
    assert invoices["records"] == 5  # one per document, the Damaged credit memo included
    res = run("approve", "invoices", code=2)  # a partial name lists the matches, does nothing
    assert invoices["batch"] in res.output and "nothing was done" in res.output
    res = run("review", invoices["batch"])
    assert invoices["batch"] in res.stdout and "review.xlsx" in res.stdout
    assert (Path(invoices["path"]) / "review.xlsx").is_file()
    run("approve", invoices["batch"])
    approved = {b["batch"]: b for b in as_json("batches")}[invoices["batch"]]
    assert approved["state"] == "approved" and approved["reviewed_by"]
    assert Path(approved["path"]).is_dir() and "/ready/to-sage50/" in approved["path"]
    assert (Path(approved["path"]) / "SALES.CSV").is_file()

    # -- The end of the week: nothing overdue, no drift, the site ready.
    status = as_json("status")
    assert all(e["drift"] == 0 and e["unconfirmed_overdue"] == 0 for e in status["entities"])
    assert {("invoices", "sage50"), ("vendors", "sage50")} <= {
        (e["entity"], e["target"]) for e in status["entities"]
    }
    doctor = as_json("doctor")
    assert doctor["ready"] is True and doctor["problems"] == 0
