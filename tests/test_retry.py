"""A site's first week: `--initial-load` wherever a file enters, failed files retried, and a
history of every run (failed, read for reference and retried ones included)."""

from __future__ import annotations

import json
import logging
import signal
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from converter.admin.project import history
from converter.cli import main as cli
from converter.core.settings import load_settings
from converter.pipeline.convert import convert_file
from converter.sync.ledger import Ledger
from tests.conftest import customers_csv, drop

runner = CliRunner()

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
VENDORS = "VendorID,Name,City\nV-1,Acme Supply,Boston\n"  # Sage 50 owns vendors by default
CONFIG = '[ownership]\ncustomers = "bizops"\nproducts = "bizops"\nvendors = "sage50"\n'


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


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Path]:
    cfg = tmp_path / "bizops-sage50.toml"
    cfg.write_text(CONFIG, encoding="utf-8")
    return {"inbox": tmp_path / "inbox", "outbox": tmp_path / "outbox", "config": cfg}


def cli_run(site, *args: str):
    return runner.invoke(cli.app, [*args, "--config", str(site["config"])])


def watch_once(site, *extra: str):
    args = ["watch", "--once", "--inbox", str(site["inbox"]), "--outbox", str(site["outbox"])]
    return cli_run(site, *args, *extra)


def runs(site) -> list[dict]:
    return history(load_settings(site["config"]))


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


# ---------------------------------------------------------------------------------- --initial-load
def test_watch_initial_load_converts_the_non_owners_export_and_history_says_so(site):
    drop(site["inbox"], "vendors.csv", VENDORS)
    res = watch_once(site, "--initial-load")
    assert res.exit_code == 0, res.output
    [run] = runs(site)
    assert (run["file"], run["outcome"], run["initial_load"]) == ("vendors.csv", "converted", True)
    assert run["batch"] and (site["outbox"] / "to-sage50" / run["batch"]).is_dir()
    table = cli_run(site, "history")
    assert "converted (initial load)" in table.stdout


def test_watch_without_initial_load_reads_it_for_reference_only(site):
    drop(site["inbox"], "vendors.csv", VENDORS)
    res = watch_once(site)
    assert res.exit_code == 0, res.output
    [run] = runs(site)
    assert (run["outcome"], run["initial_load"], run["batch"]) == ("reference-only", False, None)
    assert run["reason"].startswith("read for reference: 1 vendors now known in BizOps")
    # The watcher's log says so too: what was learned, and why it was not converted.
    assert "vendors.csv: reference-only" in res.stderr and "(`ownership.vendors`)" in res.stderr
    today = next((site["inbox"] / "processed").iterdir())
    assert "vendors.csv" in names(today)


def test_validate_initial_load_checks_the_file_as_a_first_copy(site, tmp_path):
    src = tmp_path / "vendors.csv"
    src.write_text(VENDORS, encoding="utf-8")
    plain = json.loads(cli_run(site, "validate", str(src), "--json").stdout)[0]
    assert plain["status"] == "reference-only"
    res = cli_run(site, "validate", str(src), "--initial-load", "--json")
    assert res.exit_code == 0, res.output
    [data] = json.loads(res.stdout)
    assert (data["status"], data["records_out"], data["initial_load"]) == ("converted", 1, True)
    assert runs(site) == [] and not site["outbox"].exists()  # validate writes nothing


# ---------------------------------------------------------------------------------------- history
def test_history_lists_every_run_with_the_reason(site, tmp_path):
    settings = load_settings(site["config"])
    good = tmp_path / "customers.csv"
    good.write_text(customers_csv(["H-1"]), encoding="utf-8")
    broken = tmp_path / "broken.csv"
    broken.write_bytes((FIXTURES / "not-a-csv.bin").read_bytes())
    for path in (good, broken, good):
        convert_file(path, settings=settings, outbox=site["outbox"])
    rows = runs(site)
    assert [(r["file"], r["outcome"]) for r in rows] == [
        ("customers.csv", "converted"),
        ("broken.csv", "failed"),
        ("customers.csv", "already-processed"),
    ]
    assert rows[0]["reason"] is None and "not a text file" in rows[1]["reason"]
    assert "\n" not in rows[1]["reason"]
    res = cli_run(site, "history")
    assert res.exit_code == 0 and "broken.csv" in res.stdout and "failed" in res.stdout


def test_a_ledger_from_before_the_history_of_runs_keeps_its_files(site, tmp_path):
    """Upgrade path: an older ledger (files, no runs table) lists its files as runs."""
    settings = load_settings(site["config"])
    src = tmp_path / "customers.csv"
    src.write_text(customers_csv(["U-1"]), encoding="utf-8")
    result = convert_file(src, settings=settings, outbox=site["outbox"])
    path = Ledger.for_settings(settings).path
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE runs")
    [row] = runs(site)
    assert (row["file"], row["outcome"], row["batch"]) == ("customers.csv", "converted", result.batch)
    assert (row["initial_load"], row["reason"]) == (False, None)
    convert_file(src, settings=settings, outbox=site["outbox"])  # the upgraded ledger takes new runs
    assert [r["outcome"] for r in runs(site)] == ["converted", "already-processed"]


# ---------------------------------------------------------------------------------------- retry
def test_a_failed_file_fixed_and_retried(site):
    inbox = site["inbox"]
    drop(inbox, "products.csv", "SKU,Title,ItemType,Price\nP-1,Widget,Stock,4.75\n")
    drop(inbox, "broken.csv", (FIXTURES / "not-a-csv.bin").read_bytes())
    assert watch_once(site).exit_code == 1
    assert names(inbox / "failed") == ["broken.csv", "broken.csv.error.txt"]
    # The user replaces the file in failed/ with a good export and retries it.
    (inbox / "failed" / "broken.csv").write_text(customers_csv(["R-1"]), encoding="utf-8")
    res = cli_run(site, "retry", "broken.csv", "--inbox", str(inbox))
    assert res.exit_code == 0, res.output
    assert "broken.csv" in res.stdout and "1 file(s) back in the inbox" in res.stdout
    assert names(inbox / "failed") == [] and names(inbox) == ["broken.csv"]
    retried = runs(site)[-1]
    assert (retried["file"], retried["outcome"]) == ("broken.csv", "retried")
    assert "back into the inbox" in retried["reason"]
    for path in inbox.glob("*.csv"):  # settled, as a file dropped a while ago
        drop(inbox, path.name, path.read_bytes())
    assert watch_once(site).exit_code == 0
    assert [r["outcome"] for r in runs(site) if r["file"] == "broken.csv"] == [
        "failed",
        "retried",
        "converted",
    ]


def test_retry_all_and_json(site):
    failed = site["inbox"] / "failed"
    for name in ("a.csv", "b.csv"):
        drop(failed, name, "x")
        drop(failed, name + ".error.txt", "why")
    drop(site["inbox"], "a.csv", "already here")  # a newer a.csv waits in the inbox: never overwritten
    res = cli_run(site, "retry", "--all", "--inbox", str(site["inbox"]), "--json")
    assert res.exit_code == 0, res.output
    moved = json.loads(res.stdout)
    assert [(m["file"], Path(m["to"]).name, m["error_report_removed"]) for m in moved] == [
        ("a.csv", "a-2.csv", True),
        ("b.csv", "b.csv", True),
    ]
    assert names(failed) == [] and (site["inbox"] / "a.csv").read_text() == "already here"
    assert [r["outcome"] for r in runs(site)] == ["retried", "retried"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([], "Name the files to retry"),
        (["nope.csv"], "Not in"),
        (["a.csv", "--all"], "not both"),
    ],
)
def test_retry_usage_errors_move_nothing(site, args, needle):
    drop(site["inbox"] / "failed", "a.csv", "x")
    res = cli_run(site, "retry", *args, "--inbox", str(site["inbox"]))
    assert res.exit_code == 2 and needle in res.output
    assert names(site["inbox"] / "failed") == ["a.csv"]
    if args == ["nope.csv"]:
        assert "Failed files: a.csv." in res.output


def test_retry_of_a_missing_inbox_is_a_usage_error(site, tmp_path):
    res = cli_run(site, "retry", "--all", "--inbox", str(tmp_path / "nowhere"))
    assert res.exit_code == 2 and "No inbox at" in res.output
    assert not (tmp_path / "nowhere").exists()


def test_watch_once_exits_1_for_a_file_that_stays_empty(site):
    drop(site["inbox"], "empty.csv", b"")
    res = watch_once(site)
    assert res.exit_code == 1
    assert names(site["inbox"] / "failed") == ["empty.csv", "empty.csv.error.txt"]
    [run] = runs(site)
    assert (run["file"], run["outcome"]) == ("empty.csv", "failed") and "empty file" in run["reason"]
