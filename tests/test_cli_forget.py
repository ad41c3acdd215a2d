"""`bizops-sage50 forget BATCH`: un-send a batch that was never loaded, so its records go again."""

from __future__ import annotations

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from converter.admin.project import forget_batch
from converter.cli import main as cli
from converter.core.settings import load_settings
from converter.pipeline.convert import convert_file
from converter.sync.ledger import Ledger

runner = CliRunner()

HEAD = "CustomerID,Name,City\n"
ALPHA = "C-1,Alpha Clinic,Boston\n"
BETA = "C-2,Beta Labs,Cambridge\n"


def convert(tmp_path, name: str, text: str):
    (tmp_path / name).write_text(text, encoding="utf-8")
    settings = load_settings(None, cwd=tmp_path)
    return convert_file(tmp_path / name, settings=settings, outbox=tmp_path / "outbox")


@pytest.fixture
def sent(tmp_path):
    result = convert(tmp_path, "c1.csv", HEAD + ALPHA + BETA)
    assert result.status == "converted" and result.records_out == 2
    return result


def test_forget_json_equals_the_core_result(tmp_path, sent, monkeypatch):
    captured = []
    real = cli.forget_batch

    def spy(*args, **kwargs):
        captured.append(real(*args, **kwargs))
        return captured[-1]

    monkeypatch.setattr(cli, "forget_batch", spy)
    res = runner.invoke(cli.app, ["forget", sent.batch, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [data] == captured
    folder = tmp_path / "outbox" / "to-sage50" / sent.batch
    assert data == {
        "batch": sent.batch,
        "records": 2,
        "folder": str(folder.with_name(sent.batch + ".forgotten")),
    }


def test_forget_renames_the_folder_and_unsends_the_records(tmp_path, sent):
    res = runner.invoke(cli.app, ["forget", sent.batch])
    assert res.exit_code == 0, res.output
    assert f"Forgot batch {sent.batch}: 2 record(s)" in res.stdout
    assert ".forgotten" in res.stdout and "do not load it" in res.stdout
    parent = tmp_path / "outbox" / "to-sage50"
    assert not (parent / sent.batch).exists()
    assert (parent / f"{sent.batch}.forgotten" / "CUSTOMER.CSV").is_file()
    ledger = Ledger(tmp_path / ".bizops-sage50" / "ledger.db")
    assert ledger.batch(sent.batch)["state"] == "forgotten"
    assert ledger.sent("customers", "sage50", ["C-1", "C-2"]) == {}
    ledger.close()


def test_forgotten_records_are_sent_again(tmp_path, sent):
    assert runner.invoke(cli.app, ["forget", sent.batch]).exit_code == 0
    again = convert(tmp_path, "c2.csv", HEAD + BETA + ALPHA)
    assert again.counts == {"created": 2, "updated": 0, "unchanged": 0}
    assert again.records_out == 2 and again.batch not in (None, sent.batch)  # a forgotten name is not reused


def test_forgetting_an_update_brings_back_what_was_sent_before(tmp_path, sent):
    update = convert(tmp_path, "c2.csv", HEAD + ALPHA.replace("Boston", "Quincy") + BETA)
    assert update.counts == {"created": 0, "updated": 1, "unchanged": 1}
    res = runner.invoke(cli.app, ["forget", update.batch, "--json"])
    assert json.loads(res.stdout)["records"] == 1
    # C-1 counts as sent with Boston again (the first batch), so Quincy goes again.
    again = convert(tmp_path, "c3.csv", HEAD + BETA + ALPHA.replace("Boston", "Quincy"))
    assert again.counts == {"created": 0, "updated": 1, "unchanged": 1}


def test_forget_an_unknown_batch_is_a_usage_error(tmp_path, sent):
    res = runner.invoke(cli.app, ["forget", "20990101-000000-customers"])
    assert res.exit_code == 2
    assert "20990101-000000-customers" in res.stderr and "`bizops-sage50 batches` lists them" in res.stderr


def test_forget_without_a_ledger_is_a_usage_error(tmp_path):
    res = runner.invoke(cli.app, ["forget", "20990101-000000-customers"])
    assert res.exit_code == 2
    assert not (tmp_path / ".bizops-sage50").exists()


def test_forget_twice_is_a_usage_error(tmp_path, sent):
    assert runner.invoke(cli.app, ["forget", sent.batch]).exit_code == 0
    res = runner.invoke(cli.app, ["forget", sent.batch])
    assert res.exit_code == 2 and "already forgotten" in res.stderr


def test_forget_a_batch_whose_folder_is_gone(tmp_path, sent):
    folder = tmp_path / "outbox" / "to-sage50" / sent.batch
    for f in folder.iterdir():
        f.unlink()
    folder.rmdir()
    result = forget_batch(load_settings(None, cwd=tmp_path), sent.batch, outbox=tmp_path / "outbox")
    assert result == {"batch": sent.batch, "records": 2, "folder": None}


def test_forget_leaves_other_batches_alone(tmp_path, sent):
    other = convert(tmp_path, "p.csv", "SKU,Title,ItemType\nSKU-A,Widget,Stock\n")
    assert runner.invoke(cli.app, ["forget", sent.batch]).exit_code == 0
    with sqlite3.connect(tmp_path / ".bizops-sage50" / "ledger.db") as conn:
        states = dict(conn.execute("SELECT batch, state FROM batches").fetchall())
        keys = conn.execute("SELECT entity, key FROM sent").fetchall()
    assert states == {sent.batch: "forgotten", other.batch: "recorded"}
    assert keys == [("products", "sku-a")]
    assert (tmp_path / "outbox" / "to-sage50" / other.batch).is_dir()
