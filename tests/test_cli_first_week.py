"""Small things a new user tripped on (issue 12, point 8): usage errors for files and --encoding,
`--to` on a file already in that system, no "Converted into" when nothing was, no drift on a first
load, and the counts of `convert` and `batches` saying what they count."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from converter.cli import main as cli
from converter.core.settings import CONFIG_NAME, load_settings
from converter.sync.ledger import Ledger

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / CONFIG_NAME).write_text((SAMPLES / CONFIG_NAME).read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("command", ["convert", "validate"])
def test_a_missing_file_or_a_folder_is_a_usage_error(tmp_path, command):
    res = runner.invoke(cli.app, [command, str(tmp_path / "nope.csv")], env={"COLUMNS": "300"})
    assert res.exit_code == 2 and "nope.csv' does not exist" in res.stderr
    res = runner.invoke(cli.app, [command, str(tmp_path)], env={"COLUMNS": "300"})
    assert res.exit_code == 2 and f"'{tmp_path}' is a directory" in res.stderr
    assert not (tmp_path / "outbox").exists()


@pytest.mark.parametrize("command", ["convert", "validate"])
def test_a_bad_encoding_is_a_usage_error(command):
    res = runner.invoke(
        cli.app, [command, str(SAMPLES / "bizops" / "customers.csv"), "--encoding", "klingon"]
    )
    assert res.exit_code == 2
    assert "--encoding" in res.stderr and "klingon" in res.stderr and "utf-8" in res.stderr


def test_a_known_encoding_alias_is_accepted(site):
    res = runner.invoke(
        cli.app, ["validate", str(SAMPLES / "bizops" / "customers.csv"), "--encoding", "UTF_8"]
    )
    assert res.exit_code == 0, res.output


def test_to_on_a_file_already_in_that_system_says_so(site):
    res = runner.invoke(
        cli.app, ["convert", str(SAMPLES / "bizops" / "customers.csv"), "--to", "bizops", "--json"]
    )
    assert res.exit_code == 1
    [result] = json.loads(res.stdout)
    [issue] = [i for i in result["issues"] if i["severity"] == "error"]
    assert issue["code"] == "usage"
    assert "customers.csv is already a BizOps file (customers)" in issue["message"]
    assert "Leave out --to" in issue["message"]


def test_to_on_a_sage_file_for_sage_says_so_too(site):
    res = runner.invoke(cli.app, ["convert", str(SAMPLES / "sage50" / "VENDOR.CSV"), "--to", "sage50"])
    assert res.exit_code == 1 and "already a Sage 50 file (vendors)" in res.stdout


def test_no_converted_into_when_every_file_failed(site, tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_text("what,is,this\n1,2,3\n", encoding="utf-8")
    res = runner.invoke(cli.app, ["convert", str(junk), str(junk)])
    assert res.exit_code == 1
    assert "Converted into" not in res.stdout and "Nothing converted: every file failed" in res.stdout
    res = runner.invoke(cli.app, ["convert", str(SAMPLES / "sage50" / "CHART.CSV")])
    assert res.exit_code == 0 and "Converted into" not in res.stdout and "Nothing new written" in res.stdout


def test_converted_into_when_a_batch_was_written(site):
    res = runner.invoke(cli.app, ["convert", str(SAMPLES / "bizops" / "vendors.csv"), "--initial-load"])
    assert res.exit_code == 0 and f"Converted into {site / 'outbox'}" in res.stdout


def test_a_first_load_reports_no_drift(site):
    """Both systems' lists copied at the start: the Sage export predates what was just sent to Sage,
    so it neither confirms those records nor reports drift against them."""
    files = [SAMPLES / "bizops" / "vendors.csv", SAMPLES / "sage50" / "VENDOR.CSV"]
    res = runner.invoke(cli.app, ["convert", *map(str, files), "--initial-load", "--json"])
    assert res.exit_code == 0, res.output
    codes = {i["code"] for r in json.loads(res.stdout) for i in r["issues"]}
    assert "drift" not in codes
    ledger = Ledger.for_settings(load_settings(site / CONFIG_NAME))
    assert ledger.drift() == []
    assert runner.invoke(cli.app, ["status", "--json"]).exit_code == 0
    assert json.loads(runner.invoke(cli.app, ["status", "--json"]).stdout)["drift"] == []


def test_a_later_export_still_confirms_and_reports_drift(site, tmp_path):
    runner.invoke(cli.app, ["convert", str(SAMPLES / "bizops" / "vendors.csv"), "--initial-load"])
    res = runner.invoke(cli.app, ["convert", str(SAMPLES / "sage50" / "VENDOR.CSV"), "--json"])
    codes = {i["code"] for r in json.loads(res.stdout) for i in r["issues"]}
    assert "drift" in codes  # the sample's MERIDIAN differs from what BizOps sent


def test_convert_and_batches_say_what_they_count(site):
    for name in ("CHART.CSV", "ITEM.CSV"):
        runner.invoke(cli.app, ["convert", str(SAMPLES / "sage50" / name), "--initial-load"])
    for name in ("customers.csv", "products.csv"):
        runner.invoke(cli.app, ["convert", str(SAMPLES / "bizops" / name)])
    res = runner.invoke(cli.app, ["convert", str(SAMPLES / "bizops" / "invoices.csv")])
    assert "Rows out" in res.stdout and "Rows out: rows written to the import file(s)" in res.stdout
    row = next(line for line in res.stdout.splitlines() if "invoices.csv" in line)
    # Rows in, Rows out, Rejected, Skipped: the numbers before the status
    rows_out = int(re.findall(r"\s(\d+)(?=\s)", row.split("converted")[0])[1])
    batch = next(site.glob("outbox/to-sage50/*-invoices"))
    assert rows_out == len((batch / "SALES.CSV").read_text(encoding="cp1252").splitlines()) - 1
    listing = runner.invoke(cli.app, ["batches"]).stdout
    assert "Records sent" in listing and "one per document for transactions" in listing
    batches = json.loads(runner.invoke(cli.app, ["batches", "--json"]).stdout)
    [invoices] = [b for b in batches if b["batch"] == batch.name]
    assert invoices["records"] == 5  # documents, while the import file has a row per line


# ------------------------------------------------------------------------------ make demo


def _expand(text: str, names: dict[str, str]) -> str:
    return re.sub(r"\$\((\w+)\)", lambda m: names.get(m.group(1), m.group(0)), text)


def _make_vars(text: str) -> dict[str, str]:
    found = dict(re.findall(r"^([A-Z_]+) :?= (.*)$", re.sub(r"\\\n\s*", " ", text), re.M))
    for _ in range(3):  # expand $(NAME) references
        found = {k: _expand(v, dict(found)) for k, v in found.items()}
    return found


def test_make_demo_runs_doctor_and_ends_with_commands_that_work_as_printed(tmp_path):
    """The commands `make demo` prints at its end run as printed (here through the CLI, on a copy
    of the samples converted as the demo does)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/bizops-sage50 doctor $(DEMO_SITE)" in recipe
    tried = re.findall(r'^\t@echo "  (.*)"$', recipe, re.M)
    assert len(tried) >= 3
    shutil.copytree(SAMPLES, tmp_path / "samples", ignore=shutil.ignore_patterns(".bizops-sage50"))
    (tmp_path / "demo-inbox").mkdir()
    names = _make_vars(makefile)
    demo = names["DEMO"].split()
    masters = names["DEMO_MASTERS"].split()
    assert runner.invoke(cli.app, ["convert", *masters, *demo, "--initial-load"]).exit_code == 0
    assert runner.invoke(cli.app, ["convert", "samples/bizops/invoices.csv", *demo]).exit_code == 0
    batch = next(
        p.name for p in (tmp_path / "demo-outbox" / "to-sage50").iterdir() if p.name.endswith("-invoices")
    )
    for line in tried:
        line = re.sub(r"\$\$\(ls demo-outbox/to-sage50 \| .*?\)", batch, line)
        line = _expand(line, names)
        for command in line.split(" && "):
            words = command.split()
            if words[0] == "cp":
                shutil.copy(words[1], words[2])
                continue
            assert words[0] == ".venv/bin/bizops-sage50", command
            res = runner.invoke(cli.app, words[1:])
            assert res.exit_code == 0, (command, res.output)
