"""`bizops-sage50 history`: every run, when, outcome, batch and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from converter.admin.project import history
from converter.cli import main as cli
from converter.core.settings import load_settings
from converter.pipeline.convert import convert_file

runner = CliRunner()

CUSTOMERS = "CustomerID,Name,City\nC-1,Alpha Clinic,Boston\n"
PRODUCTS = "SKU,Title,ItemType,Price\nSKU-A,Widget,Stock,4.75\n"
VENDORS = "VendorID,Name,City\nV-1,Acme Supply,Boston\n"


@pytest.fixture
def processed(tmp_path):
    """Three files: a customers batch, a products batch, a vendors file read for reference, a repeat."""
    settings = load_settings(None, cwd=tmp_path)
    results = {}
    for name, text in (("customers.csv", CUSTOMERS), ("products.csv", PRODUCTS), ("vendors.csv", VENDORS)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        results[name] = convert_file(tmp_path / name, settings=settings, outbox=tmp_path / "outbox")
    repeat = convert_file(tmp_path / "customers.csv", settings=settings, outbox=tmp_path / "outbox")
    assert repeat.status == "already-processed"
    return settings, results


def test_history_json_equals_the_core_result(processed, monkeypatch):
    settings, _ = processed
    captured = []
    real = cli.history

    def spy(*args, **kwargs):
        captured.append(real(*args, **kwargs))
        return captured[-1]

    monkeypatch.setattr(cli, "history", spy)
    res = runner.invoke(cli.app, ["history", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [data] == captured
    assert data == history(settings)


def test_history_lists_every_run(processed):
    settings, results = processed
    rows = history(settings)
    # The vendors file read for reference is listed with its outcome; the repeat of customers.csv too.
    assert [(r["file"], r["outcome"]) for r in rows] == [
        ("customers.csv", "converted"),
        ("products.csv", "converted"),
        ("vendors.csv", "reference-only"),
        ("customers.csv", "already-processed"),
    ]
    by_file = {r["file"]: r for r in rows[:3]}
    assert (
        by_file["vendors.csv"]["batch"] is None and "`ownership.vendors`" in by_file["vendors.csv"]["reason"]
    )
    customers = by_file["customers.csv"]
    assert customers["entity"] == "customers" and customers["direction"] == "bizops-to-sage50"
    assert customers["outcome"] == "converted" and customers["batch"] == results["customers.csv"].batch
    assert customers["sha256"] == results["customers.csv"].sha256
    template = results["customers.csv"].template
    assert customers["template"] == f"{template['id']}@{template['version']}"
    assert by_file["products.csv"]["batch"] == results["products.csv"].batch


def test_history_filters_by_entity(processed):
    res = runner.invoke(cli.app, ["history", "--entity", "products", "--json"])
    assert res.exit_code == 0, res.output
    assert [r["file"] for r in json.loads(res.stdout)] == ["products.csv"]
    res = runner.invoke(cli.app, ["history", "--entity", "invoices", "--json"])
    assert json.loads(res.stdout) == []


def test_history_rejects_an_unknown_entity(processed):
    res = runner.invoke(cli.app, ["history", "--entity", "widgets"])
    assert res.exit_code == 2
    assert "--entity" in res.output


def test_history_table(processed):
    _, results = processed
    res = runner.invoke(cli.app, ["history"])
    assert res.exit_code == 0, res.output
    assert "Runs: every file taken" in res.stdout
    assert "customers.csv" in res.stdout and "products.csv" in res.stdout
    assert results["customers.csv"].batch in res.stdout
    assert "customers → Sage 50" in res.stdout


def test_history_without_a_ledger_is_empty(tmp_path):
    res = runner.invoke(cli.app, ["history", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout) == []
    assert not (tmp_path / ".bizops-sage50").exists()


def test_history_follows_the_config(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    config = site / "bizops-sage50.toml"
    config.write_text("", encoding="utf-8")
    settings = load_settings(config)
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    convert_file(Path(tmp_path / "customers.csv"), settings=settings, outbox=site / "outbox")
    here = runner.invoke(cli.app, ["history", "--json"])
    assert json.loads(here.stdout) == []
    there = runner.invoke(cli.app, ["history", "--config", str(config), "--json"])
    assert [r["file"] for r in json.loads(there.stdout)] == ["customers.csv"]
