"""`bizops-sage50 doctor`: whether a site is ready, and what to do if not; `init`'s next steps."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from converter.admin import doctor
from converter.admin.doctor import diagnose
from converter.cli import main as cli
from converter.core.settings import CONFIG_NAME, load_settings
from converter.pipeline.convert import convert_file

runner = CliRunner()
SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def by_name(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"]}


def sample_site(tmp_path: Path, *, extra: str = "") -> Path:
    """The sample company's config, with its folders, and Sage's chart and item list read."""
    config = tmp_path / CONFIG_NAME
    config.write_text((SAMPLES / CONFIG_NAME).read_text(encoding="utf-8") + extra, encoding="utf-8")
    (tmp_path / "inbox").mkdir()
    (tmp_path / "outbox").mkdir()
    settings = load_settings(config)
    for name in ("CHART.CSV", "ITEM.CSV"):
        convert_file(
            SAMPLES / "sage50" / name, settings=settings, outbox=tmp_path / "outbox", initial_load=True
        )
    return config


def test_a_fresh_site_is_not_ready_and_says_what_to_fill_in(tmp_path):
    assert runner.invoke(cli.app, ["init"]).exit_code == 0
    report = diagnose()
    checks = by_name(report)
    assert not report["ready"]
    problems = sorted(n for n, c in checks.items() if c["status"] == "problem")
    assert problems == ["sage50.ap_account", "sage50.ar_account", "sage50.cash_account"]
    assert "ar_account = " in checks["sage50.ar_account"]["fix"]
    assert (
        checks["chart of accounts"]["status"] == "warning"
        and "CHART.CSV" in checks["chart of accounts"]["fix"]
    )
    assert checks["config file"]["status"] == "ok"
    assert checks["inbox"]["status"] == checks["outbox"]["status"] == checks["ledger"]["status"] == "ok"
    assert checks["watcher"]["status"] == "info"
    res = runner.invoke(cli.app, ["doctor"])
    assert res.exit_code == 1 and "Not ready" in res.stdout and "ar_account" in res.stdout


def test_the_sample_site_is_ready(tmp_path):
    config = sample_site(tmp_path)
    report = diagnose(config)
    checks = by_name(report)
    assert report["ready"], [c for c in report["checks"] if c["status"] == "problem"]
    assert (
        checks["chart of accounts"]["status"] == "ok" and "CHART.CSV" in checks["chart of accounts"]["detail"]
    )
    assert checks["sage50.ar_account"] == {
        "area": "sage50",
        "name": "sage50.ar_account",
        "status": "ok",
        "detail": "'11000': Accounts Receivable",
        "fix": None,
    }
    assert checks["sage50.sales_tax.MA.account"]["status"] == "ok"
    assert checks["sage50.damaged_returns_item"]["status"] == "ok"
    assert checks["sage50.sales_tax.NY.agency"]["status"] == "info"  # no Sales Journal read yet
    assert checks["sage50.discount_account"]["status"] == "info"  # optional and not set
    res = runner.invoke(cli.app, ["doctor", "--config", str(config)])
    assert res.exit_code == 0 and "Ready." in res.stdout


def test_json_is_the_core_result(tmp_path):
    config = sample_site(tmp_path)
    res = runner.invoke(cli.app, ["doctor", "--config", str(config), "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout) == diagnose(config)


def test_tables_show_their_owner_and_the_lists_seen(tmp_path):
    config = sample_site(tmp_path)
    settings = load_settings(config)
    convert_file(SAMPLES / "bizops" / "customers.csv", settings=settings, outbox=tmp_path / "outbox")
    tables = {t["table"]: t for t in diagnose(config)["tables"]}
    assert tables["customers"]["owner"] == "bizops" and tables["vendors"]["owner"] == "sage50"
    seen = tables["customers"]["seen"]["bizops"]
    assert seen["last_list"]["file"] == "customers.csv" and seen["last_list"]["outcome"] == "converted"
    assert seen["known"] == 10
    assert tables["products"]["seen"]["sage50"]["last_list"]["file"] == "ITEM.CSV"
    assert tables["vendors"]["seen"]["bizops"] == {"last_list": None, "known": 0}


def test_an_account_missing_from_the_chart_is_a_problem(tmp_path):
    config = sample_site(tmp_path, extra='\n[sage50.sales_tax.GA]\nagency = "GA-DOR"\naccount = "99999"\n')
    text = config.read_text(encoding="utf-8").replace('ar_account = "11000"', 'ar_account = "11999"')
    config.write_text(text, encoding="utf-8")
    report = diagnose(config)
    checks = by_name(report)
    assert not report["ready"]
    assert checks["sage50.ar_account"]["status"] == "problem"
    assert (
        "'11999' is not in the chart of accounts read from CHART.CSV" in checks["sage50.ar_account"]["detail"]
    )
    assert "`sage50.ar_account`" in checks["sage50.ar_account"]["fix"]
    assert checks["sage50.sales_tax.GA.account"]["status"] == "problem"


def test_an_unknown_damaged_returns_item_and_an_incomplete_tax_table(tmp_path):
    config = sample_site(tmp_path, extra='\n[sage50.sales_tax.GA]\nagency = "GA-DOR"\n')
    config.write_text(config.read_text(encoding="utf-8").replace('"DAMAGED"', '"BROKEN"'), encoding="utf-8")
    checks = by_name(diagnose(config))
    assert checks["sage50.damaged_returns_item"]["status"] == "problem"
    assert "non-inventory item" in checks["sage50.damaged_returns_item"]["fix"]
    assert checks["sage50.sales_tax.GA.account"]["status"] == "problem"


def test_an_invalid_config_is_reported_and_nothing_else_is_checked(tmp_path):
    (tmp_path / CONFIG_NAME).write_text('[sage50]\nar_acount = "11000"\n', encoding="utf-8")
    report = diagnose()
    assert not report["ready"] and [c["name"] for c in report["checks"]] == ["config file"]
    assert "did you mean `ar_account`?" in report["checks"][0]["detail"]
    res = runner.invoke(cli.app, ["doctor"])
    assert res.exit_code == 1 and "Traceback" not in res.output


def test_no_config_file_is_a_problem_naming_init(tmp_path):
    checks = by_name(diagnose())
    assert (
        checks["config file"]["status"] == "problem" and "bizops-sage50 init" in checks["config file"]["fix"]
    )
    assert checks["inbox"]["status"] == "problem" and "does not exist" in checks["inbox"]["detail"]


def test_folders_not_writable_or_on_a_share(tmp_path, monkeypatch):
    config = sample_site(tmp_path)
    monkeypatch.setattr(doctor, "network_filesystem", lambda path: "cifs" if path.name == "inbox" else None)
    checks = by_name(diagnose(config))
    assert "network share (cifs)" in checks["inbox"]["detail"] and "local disk" in checks["outbox"]["detail"]

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(doctor.tempfile, "NamedTemporaryFile", refuse)
    checks = by_name(diagnose(config))
    assert checks["outbox"]["status"] == "problem" and "not writable" in checks["outbox"]["detail"]
    assert list((tmp_path / "outbox").glob(".doctor-*")) == []


def test_a_damaged_ledger_is_a_problem(tmp_path):
    config = sample_site(tmp_path)
    ledger = tmp_path / ".bizops-sage50" / "ledger.db"
    for extra in ("-wal", "-shm"):
        Path(str(ledger) + extra).unlink(missing_ok=True)
    ledger.write_bytes(b"this is not a database" * 100)
    checks = by_name(diagnose(config))
    assert checks["ledger"]["status"] == "problem" and "backup" in checks["ledger"]["fix"]


@pytest.mark.parametrize(
    ("age", "alive", "status", "running"),
    [(5, True, "ok", True), (5, False, "info", False), (3600, True, "warning", False)],
)
def test_the_watchers_heartbeat_age(tmp_path, monkeypatch, age, alive, status, running):
    config = sample_site(tmp_path)
    monkeypatch.setattr(doctor, "pid_alive", lambda pid: alive)
    now = dt.datetime.now().astimezone().replace(microsecond=0)
    beat = {"time": (now - dt.timedelta(seconds=age)).isoformat(timespec="seconds"), "pid": 4242}
    (tmp_path / "outbox" / ".heartbeat").write_text(json.dumps(beat), encoding="utf-8")
    report = diagnose(config, now=now)
    assert report["watcher"]["age_seconds"] == age and report["watcher"]["running"] is running
    assert by_name(report)["watcher"]["status"] == status


def test_init_prints_the_next_steps(tmp_path):
    res = runner.invoke(cli.app, ["init", "site"])
    assert res.exit_code == 0
    text = res.stdout
    assert "Next steps" in text and "ar_account" in text and "CHART.CSV" in text
    assert f"bizops-sage50 doctor --config {Path('site') / CONFIG_NAME}" in text
    shutil.rmtree(tmp_path / "site")


@pytest.mark.parametrize("initial_load", [False, True])  # read for reference, or converted
def test_tax_agencies_are_checked_against_those_seen_in_sage_journals(tmp_path, initial_load):
    config = sample_site(tmp_path)
    before = by_name(diagnose(config))
    assert before["sage50.sales_tax.MA.agency"]["status"] == "info"  # no Sales Journal read yet
    assert "SALES.CSV" in before["sage50.sales_tax.MA.agency"]["fix"]
    settings = load_settings(config)
    convert_file(
        SAMPLES / "sage50" / "SALES.CSV",
        settings=settings,
        outbox=tmp_path / "outbox",
        initial_load=initial_load,
    )
    checks = by_name(diagnose(config))
    assert checks["sage50.sales_tax.MA.agency"]["status"] == "ok"  # MA-DOR is on the sample's tax rows
    ny = checks["sage50.sales_tax.NY.agency"]
    assert ny["status"] == "warning" and "MA-DOR" in ny["detail"] and "Sales Tax Agencies" in ny["fix"]
    assert diagnose(config)["ready"]  # a warning never blocks
