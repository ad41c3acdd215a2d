"""Batch names: unique across the whole outbox, acted on only when given in full, never cut in a
terminal table, and every batch listed (one whose rows were all rejected too)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from converter.cli import common as cli_common
from converter.cli import main as cli
from converter.core.settings import load_settings
from converter.pipeline.convert import convert_file
from converter.review.approval import list_batches

runner = CliRunner()

NOW = dt.datetime(2026, 6, 1, 9, 30, 0).astimezone()
GATE = "[review]\nrequire_approval = true\n"
CUSTOMERS = "CustomerID,Name,City\nC-1,Alpha,Boston\n"
SAGE_CUSTOMERS = "Customer ID,Customer Name,Bill to City,Credit Limit,Credit Status\n"


def setup(tmp_path: Path, config: str = ""):
    (tmp_path / "bizops-sage50.toml").write_text(config, encoding="utf-8")
    return load_settings(tmp_path / "bizops-sage50.toml")


def convert(tmp_path: Path, settings, name: str, text: str, **kw):
    (tmp_path / name).write_text(text, encoding="utf-8")
    return convert_file(tmp_path / name, settings=settings, outbox=tmp_path / "outbox", now=NOW, **kw)


def cli_run(tmp_path: Path, *args: str):
    return runner.invoke(cli.app, [*args, "--config", str(tmp_path / "bizops-sage50.toml")])


@pytest.mark.parametrize("where", ["to-bizops", "pending/to-bizops", "ready/to-sage50", "rejected/to-bizops"])
def test_a_name_taken_anywhere_in_the_outbox_is_not_reused(tmp_path, where):
    settings = setup(tmp_path)
    taken = tmp_path / "outbox" / where / "20260601-093000-customers"
    taken.mkdir(parents=True)
    result = convert(tmp_path, settings, "customers.csv", CUSTOMERS)
    assert result.batch == "20260601-093000-customers-2"
    assert (tmp_path / "outbox" / "to-sage50" / result.batch / "CUSTOMER.CSV").is_file()


def test_both_directions_in_the_same_second_get_different_names(tmp_path):
    settings = setup(tmp_path)
    one = convert(tmp_path, settings, "customers.csv", CUSTOMERS)
    two = convert(tmp_path, settings, "CUSTOMER.CSV", SAGE_CUSTOMERS + "C-1,Alpha,Boston,500.00,OK\n")
    assert (one.batch, two.batch) == ("20260601-093000-customers", "20260601-093000-customers-2")
    assert two.outputs[0].endswith("to-bizops/20260601-093000-customers-2/credit_limits.csv")


@pytest.fixture
def two_pending(tmp_path):
    settings = setup(tmp_path, GATE)
    a = convert(tmp_path, settings, "customers.csv", CUSTOMERS)
    b = convert(tmp_path, settings, "more.csv", "CustomerID,Name,City\nC-2,Beta,Salem\n")
    assert (a.batch, b.batch) == ("20260601-093000-customers", "20260601-093000-customers-2")
    return settings


@pytest.mark.parametrize(
    ("command", "extra"),
    [("review", []), ("approve", []), ("reject", ["--reason", "no"]), ("forget", [])],
)
@pytest.mark.parametrize("partial", ["customers", "093000", "20260601-093000-CUST"])
def test_a_partial_name_lists_the_matches_and_does_nothing(tmp_path, two_pending, command, extra, partial):
    res = cli_run(tmp_path, command, partial, *extra)
    assert res.exit_code == 2, res.output
    assert "not a full batch name" in res.output and "nothing was done" in res.output
    assert "20260601-093000-customers\n" in res.output and "20260601-093000-customers-2\n" in res.output
    assert [r["state"] for r in list_batches(two_pending)] == ["awaiting approval"] * 2


def test_a_partial_name_matching_one_batch_still_is_not_guessed(tmp_path, two_pending):
    res = cli_run(tmp_path, "approve", "customers-2")
    assert res.exit_code == 2 and "matches 1 batch(es)" in res.output
    assert "20260601-093000-customers-2" in res.output
    assert [r["state"] for r in list_batches(two_pending)] == ["awaiting approval"] * 2


def test_the_full_name_acts(tmp_path, two_pending):
    res = cli_run(tmp_path, "approve", "20260601-093000-customers", "--by", "alice")
    assert res.exit_code == 0, res.output
    states = {r["batch"]: r["state"] for r in list_batches(two_pending)}
    assert states == {
        "20260601-093000-customers": "approved",
        "20260601-093000-customers-2": "awaiting approval",
    }


def test_an_unknown_name_says_so(tmp_path, two_pending):
    res = cli_run(tmp_path, "review", "20991231")
    assert res.exit_code == 2 and "No batch named '20991231'" in res.output


def test_batches_lists_a_batch_whose_rows_were_all_rejected(tmp_path):
    settings = setup(tmp_path)
    biz = convert(tmp_path, settings, "customers.csv", "CustomerID,Name,City\nC*1,Alpha,Boston\n")
    sage = convert(tmp_path, settings, "CUSTOMER.CSV", SAGE_CUSTOMERS + ",No ID,Boston,5.00,OK\n")
    assert biz.status == sage.status == "rejected-rows" and biz.batch and sage.batch
    assert Path(sage.outputs[0]).name == "rejects.csv"
    rows = {r["batch"]: r for r in list_batches(settings)}
    assert set(rows) == {biz.batch, sage.batch}
    assert rows[sage.batch]["records"] == 0 and rows[sage.batch]["exists"]
    assert rows[sage.batch]["direction"] == "sage50-to-bizops"


def test_no_batch_name_is_cut_or_wrapped_at_80_columns(tmp_path, monkeypatch):
    settings = setup(tmp_path, GATE)
    names = [
        convert(tmp_path, settings, f"{e}.csv", text).batch
        for e, text in (
            ("customers", CUSTOMERS),
            ("products", "SKU,Title,ItemType,Price\nSKU-A,Widget,Stock,4.75\n"),
        )
    ]
    (tmp_path / "orders.csv").write_text("CustomerID,Name,City\nC-3,Gamma,Lynn\n", encoding="utf-8")
    monkeypatch.setattr(cli_common.out, "width", 80)
    for args in (["batches"], ["history"], ["convert", str(tmp_path / "orders.csv")]):
        res = cli_run(tmp_path, *args)
        assert res.exit_code == 0, res.output
        lines = res.stdout.splitlines()
        shown = names if args[0] != "convert" else [re.search(r"\d{8}-\d{6}-customers\S*", res.stdout)[0]]
        assert shown
        for name in shown:  # whole, on one line of a table that fits in 80 columns
            [row] = [line for line in lines if name in line and "#" not in line]
            assert len(row) <= 80, row
