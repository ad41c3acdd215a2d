"""`bizops-sage50 init`: a commented default config and the inbox and outbox folders."""

from __future__ import annotations

import json
import tomllib

from typer.testing import CliRunner

from converter.admin.project import init_project
from converter.cli import main as cli
from converter.core.settings import CONFIG_NAME, DEFAULTS, load_settings
from converter.pipeline.convert import convert_file

runner = CliRunner()


def test_init_writes_config_inbox_and_outbox(tmp_path):
    res = runner.invoke(cli.app, ["init"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / CONFIG_NAME).is_file()
    assert (tmp_path / "inbox").is_dir() and (tmp_path / "outbox").is_dir()
    lines = res.stdout.splitlines()
    assert lines[:3] == [f"created {CONFIG_NAME}", "created inbox", "created outbox"]


def test_the_config_is_commented_and_states_the_defaults(tmp_path):
    init_project(tmp_path)
    text = (tmp_path / CONFIG_NAME).read_text(encoding="utf-8")
    assert text.startswith("#")
    for section in (
        "[paths]",
        "[reading]",
        "[ownership]",
        "[credit_limits]",
        "[checks]",
        "[status]",
        "[sage50]",
    ):
        assert section in text
    data = tomllib.loads(text)
    for key in ("paths", "reading", "ownership", "credit_limits", "checks", "status"):
        assert data[key] == DEFAULTS[key], key
    assert data["sage50"]["item_tax_types"] == DEFAULTS["sage50"]["item_tax_types"]
    assert "# ar_account" in text  # company-specific accounts are shown, commented out
    settings = load_settings(tmp_path / CONFIG_NAME)
    assert settings.get("ownership.vendors") == "sage50" and settings.get("status.unconfirmed_days") == 7


def test_init_refuses_to_overwrite_without_force(tmp_path):
    assert runner.invoke(cli.app, ["init"]).exit_code == 0
    config = tmp_path / CONFIG_NAME
    config.write_text('[ownership]\nvendors = "bizops"\n', encoding="utf-8")
    res = runner.invoke(cli.app, ["init"])
    assert res.exit_code == 2
    assert "--force" in res.stderr
    assert config.read_text(encoding="utf-8") == '[ownership]\nvendors = "bizops"\n'


def test_init_force_overwrites_the_config_and_keeps_the_folders(tmp_path):
    runner.invoke(cli.app, ["init"])
    (tmp_path / CONFIG_NAME).write_text("# mine\n", encoding="utf-8")
    (tmp_path / "inbox" / "waiting.csv").write_text("x\n", encoding="utf-8")
    res = runner.invoke(cli.app, ["init", "--force"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[:2] == [f"created {CONFIG_NAME}", ""]  # the folders were there
    assert "[ownership]" in (tmp_path / CONFIG_NAME).read_text(encoding="utf-8")
    assert (tmp_path / "inbox" / "waiting.csv").read_text(encoding="utf-8") == "x\n"


def test_init_into_a_new_folder(tmp_path):
    target = tmp_path / "sites" / "acme"
    res = runner.invoke(cli.app, ["init", str(target)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in target.iterdir()) == sorted([CONFIG_NAME, "inbox", "outbox"])
    assert not (tmp_path / CONFIG_NAME).exists()
    assert init_project(tmp_path / "other") == [
        str(tmp_path / "other" / CONFIG_NAME),
        str(tmp_path / "other" / "inbox"),
        str(tmp_path / "other" / "outbox"),
    ]


def test_a_fresh_project_converts_and_reports(tmp_path):
    runner.invoke(cli.app, ["init"])
    (tmp_path / "inbox" / "customers.csv").write_text("CustomerID,Name\nC-1,Alpha Clinic\n", encoding="utf-8")
    settings = load_settings(None, cwd=tmp_path)
    result = convert_file(tmp_path / "inbox" / "customers.csv", settings=settings, outbox=tmp_path / "outbox")
    assert result.status == "converted"
    assert (tmp_path / ".bizops-sage50" / "ledger.db").is_file()
    res = runner.invoke(cli.app, ["status", "--json"])
    assert res.exit_code == 0
    [row] = json.loads(res.stdout)["entities"]
    assert (row["entity"], row["sent"]) == ("customers", 1)
    vendors = tmp_path / "inbox" / "vendors.csv"
    vendors.write_text("VendorID,Name\nV-1,Acme\n", encoding="utf-8")
    refused = convert_file(vendors, settings=settings, outbox=tmp_path / "outbox")
    assert refused.status == "reference-only"
