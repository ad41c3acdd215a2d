"""Diagnosable failures: an unexpected exception keeps its traceback, for --debug and the watcher."""

from __future__ import annotations

import json
import logging

import pytest
from typer.testing import CliRunner

from converter.cli import main as cli
from converter.core.results import ConversionResult
from converter.core.settings import load_settings
from converter.pipeline import convert as pipeline
from converter.pipeline.convert import convert_file
from converter.watch.files import error_text
from tests.conftest import customers_csv, drop


def _boom(*_a, **_k):
    raise RuntimeError("a bug deep inside")


@pytest.fixture
def broken(monkeypatch, tmp_path):
    monkeypatch.setattr(pipeline, "_route", _boom)  # a bug after the file was recognised
    path = tmp_path / "customers.csv"
    path.write_text(customers_csv(["C1"]), encoding="utf-8", newline="")
    return path


def test_an_unexpected_failure_keeps_its_traceback(broken, tmp_path):
    result = convert_file(broken, settings=load_settings(None, cwd=tmp_path), outbox=tmp_path / "out")
    assert [(i.row, i.column, i.code) for i in result.issues] == [(None, None, "internal-error")]
    assert "Traceback" in result.traceback and "_boom" in result.traceback
    assert "traceback" not in result.as_dict()  # the --json shape is unchanged
    text = error_text("customers.csv", result)  # the watcher's failed/<name>.error.txt
    assert "Traceback" in text and 'raise RuntimeError("a bug deep inside")' in text


def test_debug_prints_the_traceback_and_without_it_only_the_message(broken):
    runner = CliRunner()
    plain = runner.invoke(cli.app, ["convert", str(broken), "--json"])
    assert plain.exit_code == 1 and "Traceback" not in plain.output
    debug = runner.invoke(cli.app, ["--debug", "convert", str(broken), "--json"])
    assert debug.exit_code == 1
    assert "Traceback" in debug.stderr and "_boom" in debug.stderr
    assert json.loads(debug.stdout)[0]["status"] == "failed"  # stdout stays the JSON result alone


def test_the_watcher_logs_the_traceback(tmp_path, caplog):
    from converter.watch.watcher import Watcher

    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    settings = load_settings(None, cwd=tmp_path)
    drop(inbox, "customers.csv", customers_csv(["C1"]))

    def convert(path, **kwargs):
        try:
            _boom()
        except RuntimeError:
            import traceback

            result = ConversionResult(input=str(path), status="failed", traceback=traceback.format_exc())
        return result

    watcher = Watcher(inbox=inbox, outbox=outbox, settings=settings, convert=convert, settle=0, check=0)
    with caplog.at_level(logging.ERROR, logger="bizops-sage50.watch"):
        watcher.run_once()
    assert "Traceback" in (inbox / "failed" / "customers.csv.error.txt").read_text(encoding="utf-8")
    assert any("Traceback" in r.getMessage() and "_boom" in r.getMessage() for r in caplog.records)
