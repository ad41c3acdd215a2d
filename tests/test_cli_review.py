"""`review`, `approve`, `reject` and `batches` on the command line: JSON equals the core result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from converter.cli import review as cli_review
from converter.cli.main import app
from converter.core.settings import load_settings
from converter.pipeline.convert import convert_file
from converter.review import approval

runner = CliRunner()
GATE = "[review]\nrequire_approval = true\n"


@pytest.fixture
def batch(tmp_path: Path) -> str:
    (tmp_path / "bizops-sage50.toml").write_text(GATE, encoding="utf-8")
    (tmp_path / "customers.csv").write_text("CustomerID,Name,City\nC-1,Alpha,Boston\n", encoding="utf-8")
    settings = load_settings(tmp_path / "bizops-sage50.toml")
    result = convert_file(tmp_path / "customers.csv", settings=settings, outbox=tmp_path / "outbox")
    return result.batch


def spy(monkeypatch, name: str) -> list:
    """Wrap a core function so the test sees what it returned."""
    seen: list = []
    real = getattr(approval, name)

    def wrapper(*args, **kwargs):
        seen.append(real(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(cli_review, name, wrapper)
    return seen


def test_review_prints_the_summary(batch):
    res = runner.invoke(app, ["review", batch])
    assert res.exit_code == 0, res.output
    for text in (
        "Source and target",
        "Counts",
        "Import steps",
        "Customer List",
        "First Row Contains Headings",
    ):
        assert text in res.output
    assert "awaiting approval" in res.output
    assert "review.xlsx" in res.output


def test_review_json_equals_the_core_result(batch, monkeypatch):
    seen = spy(monkeypatch, "review_batch")
    res = runner.invoke(app, ["review", batch, "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout) == json.loads(json.dumps(seen[0]))


def test_review_open_launches_the_workbook(batch, monkeypatch):
    opened = []
    monkeypatch.setattr(cli_review.typer, "launch", lambda path, **_: opened.append(path) or 0)
    res = runner.invoke(app, ["review", batch, "--open"])
    assert res.exit_code == 0
    assert len(opened) == 1 and opened[0].endswith("review.xlsx") and Path(opened[0]).is_file()


def test_review_of_an_unknown_batch_is_a_usage_error():
    res = runner.invoke(app, ["review", "20990101-000000-customers"])
    assert res.exit_code == 2
    assert "Error: No batch" in res.stderr


def test_batches_json_equals_the_core_result(batch, monkeypatch):
    seen = spy(monkeypatch, "list_batches")
    res = runner.invoke(app, ["batches", "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout) == seen[0]
    assert [r["state"] for r in seen[0]] == ["awaiting approval"]


def test_approve_then_batches_shows_it_approved(batch, monkeypatch, tmp_path):
    seen = spy(monkeypatch, "approve_batch")
    res = runner.invoke(app, ["approve", batch, "--by", "alice", "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout) == seen[0]
    assert seen[0]["by"] == "alice"
    assert (tmp_path / "outbox" / "ready" / "to-sage50" / batch / "CUSTOMER.CSV").is_file()
    listed = runner.invoke(app, ["batches"])
    assert "approved" in listed.output and "alice" in listed.output
    again = runner.invoke(app, ["approve", batch])
    assert again.exit_code == 2 and "only a batch awaiting approval" in again.stderr


def test_reject_with_a_reason(batch, monkeypatch):
    seen = spy(monkeypatch, "reject_batch")
    res = runner.invoke(app, ["reject", batch, "--reason", "wrong city", "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout) == seen[0]
    assert seen[0]["records"] == 1
    only = runner.invoke(app, ["batches", "--state", "rejected", "--json"])
    assert [r["batch"] for r in json.loads(only.stdout)] == [batch]


def test_reject_without_a_reason_is_a_usage_error(batch):
    res = runner.invoke(app, ["reject", batch])
    assert res.exit_code == 2
    assert "--reason" in res.output + res.stderr


def test_batches_of_an_unknown_state_is_a_usage_error_naming_the_states(batch):
    res = runner.invoke(app, ["batches", "--state", "approvd"])
    assert res.exit_code == 2
    assert "awaiting approval" in res.stderr and "approved" in res.stderr
