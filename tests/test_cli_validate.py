import json

from typer.testing import CliRunner

from converter.cli import main as cli
from converter.core.settings import load_settings
from converter.pipeline.convert import convert_file

runner = CliRunner()


def test_validate_json_equals_core_and_writes_nothing(fixtures, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(cli.app, ["validate", str(fixtures / "ragged-rows.csv"), "--json"])
    assert res.exit_code == 1
    core = convert_file(
        fixtures / "ragged-rows.csv", settings=load_settings(None), outbox=tmp_path, write=False
    )
    assert json.loads(res.stdout) == [core.as_dict()]
    assert list(tmp_path.iterdir()) == []


def test_validate_lists_every_problem_with_row_and_column(fixtures, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(cli.app, ["validate", str(fixtures / "over-long.csv")])
    assert res.exit_code == 1
    assert "row 4" in res.stdout and "bad-id" in res.stdout and "row 3" in res.stdout


def test_validate_clean_file_exits_zero(fixtures, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(cli.app, ["validate", str(fixtures / "leading-zeros.csv")]).exit_code == 0
