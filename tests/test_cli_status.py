"""`bizops-sage50 status`: per entity sent, confirmed, unconfirmed after N days, drift."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

import converter.sync.ledger as ledger_mod
from converter.admin.project import status_report
from converter.cli import main as cli
from converter.core.settings import load_settings
from converter.pipeline.convert import convert_file
from converter.sync.ledger import Ledger

runner = CliRunner()

CUSTOMERS = (
    "CustomerID,Name,City,Phone\n"
    "C-1,Alpha Clinic,Boston,617-555-0001\n"
    "C-2,Beta Labs,Cambridge,617-555-0002\n"
    "C-3,Gamma Care,Salem,617-555-0003\n"
)
SAGE_EXPORT = (
    "Customer ID,Customer Name,Bill to City\nC-1,Alpha Clinic,Boston\nC-2,Beta Laboratories,Cambridge\n"
)


def spy_on(monkeypatch, name: str) -> list:
    captured = []
    real = getattr(cli, name)

    def spy(*args, **kwargs):
        captured.append(real(*args, **kwargs))
        return captured[-1]

    monkeypatch.setattr(cli, name, spy)
    return captured


def project(folder: Path, extra: str = ""):
    folder.mkdir(parents=True, exist_ok=True)
    cfg = folder / "bizops-sage50.toml"
    cfg.write_text(extra, encoding="utf-8")
    return load_settings(cfg)


def sync_some(settings, folder: Path, monkeypatch) -> None:
    """C-1..C-3 sent ten days ago; Sage has since confirmed C-1 and C-2, with C-2 renamed."""
    old = (dt.datetime.now().astimezone() - dt.timedelta(days=10)).isoformat(timespec="seconds")
    with monkeypatch.context() as m:
        m.setattr(ledger_mod, "now_iso", lambda: old)
        (folder / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
        assert convert_file(folder / "customers.csv", settings=settings, outbox=folder / "outbox").ok
    (folder / "CUSTOMER.CSV").write_text(SAGE_EXPORT, encoding="utf-8")
    assert convert_file(folder / "CUSTOMER.CSV", settings=settings, outbox=folder / "outbox").ok


def test_status_without_a_ledger(tmp_path):
    res = runner.invoke(cli.app, ["status"])
    assert res.exit_code == 0, res.output
    assert "Nothing sent yet." in res.stdout
    assert not (tmp_path / ".bizops-sage50").exists()  # looking creates nothing


def test_status_json_without_a_ledger_equals_the_core_result(tmp_path):
    res = runner.invoke(cli.app, ["status", "--json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data == status_report(load_settings(None, cwd=tmp_path))
    assert data["entities"] == [] and data["overdue"] == [] and data["drift"] == []
    assert data["unconfirmed_days"] == 7
    assert data["ledger"] == str(tmp_path.resolve() / ".bizops-sage50" / "ledger.db")


def test_status_json_equals_the_core_result(tmp_path, monkeypatch):
    settings = project(tmp_path / "site", "[status]\nunconfirmed_days = 3\n")
    sync_some(settings, tmp_path / "site", monkeypatch)
    captured = spy_on(monkeypatch, "status_report")
    res = runner.invoke(cli.app, ["status", "--config", str(settings.path), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [data] == captured
    assert data == status_report(settings)
    assert data["unconfirmed_days"] == 3
    assert data["ledger"] == str(tmp_path / "site" / ".bizops-sage50" / "ledger.db")
    customers = next(r for r in data["entities"] if r["entity"] == "customers")
    assert customers == {
        "entity": "customers",
        "target": "sage50",
        "sent": 3,
        "confirmed": 2,
        "unconfirmed_overdue": 1,
        "drift": 1,
    }
    assert [(r["entity"], r["id"]) for r in data["overdue"]] == [("customers", "C-3")]
    assert data["drift"] == [
        {"entity": "customers", "target": "sage50", "id": "C-2", "fields": ["Customer Name"]}
    ]


def test_status_table_names_overdue_and_drifted_records(tmp_path, monkeypatch):
    settings = project(tmp_path)
    sync_some(settings, tmp_path, monkeypatch)
    res = runner.invoke(cli.app, ["status"])
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "Unconfirmed > 7 days" in out
    assert "customers" in out and "sage50" in out
    assert "unconfirmed: customers C-3" in out
    assert "drift: customers C-2 differs in Customer Name" in out
    assert "Nothing sent yet." not in out


def test_status_settles_batches_left_pending(tmp_path):
    ledger = Ledger(tmp_path / ".bizops-sage50" / "ledger.db")
    ledger.stage_batch(batch="b1", path=tmp_path / "outbox" / "to-sage50" / "b1", direction="bizops-to-sage50",
                       entity="customers", source="c.csv", sha256=None, records=[("C-1", "fp", {})],
                       target="sage50")  # fmt: skip
    res = runner.invoke(cli.app, ["status", "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["entities"] == []
    assert ledger.batch("b1")["state"] == "forgotten"
    ledger.close()


def test_status_with_a_broken_config_exits_2(tmp_path):
    (tmp_path / "bizops-sage50.toml").write_text("[status\n", encoding="utf-8")
    res = runner.invoke(cli.app, ["status"])
    assert res.exit_code == 2
    assert "Error:" in res.stderr and "bizops-sage50.toml" in res.stderr


def test_status_with_a_missing_config_file_exits_2(tmp_path):
    res = runner.invoke(cli.app, ["status", "--config", str(tmp_path / "nope.toml")])
    assert res.exit_code == 2 and "--config" in res.stderr
