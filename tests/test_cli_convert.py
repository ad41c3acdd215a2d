import json
from pathlib import Path

from typer.testing import CliRunner

from converter.cli import main as cli

runner = CliRunner()


def test_json_output_equals_the_core_result(fixtures, tmp_path, monkeypatch):
    captured = []
    real = cli.convert_file

    def spy(*args, **kwargs):
        result = real(*args, **kwargs)
        captured.append(result)
        return result

    monkeypatch.setattr(cli, "convert_file", spy)
    files = [
        str(fixtures / "bom.csv"),
        str(fixtures / "over-long.csv"),
        str(fixtures / "empty.csv"),
    ]
    res = runner.invoke(cli.app, ["convert", *files, "--outbox", str(tmp_path / "out"), "--json"])
    assert res.exit_code == 1  # a rejected row and a failed file
    data = json.loads(res.stdout)
    assert data == [r.as_dict() for r in captured]
    assert [d["status"] for d in data] == ["converted", "rejected-rows", "failed"]
    for key in (
        "input",
        "source_system",
        "target_system",
        "entity",
        "rows_in",
        "records_out",
        "rejected",
        "outputs",
        "issues",
    ):
        assert key in data[0]
    assert {"row", "column", "code", "severity", "message"} <= set(data[1]["issues"][0])
    assert all(Path(p).is_file() for p in data[0]["outputs"])


def test_exit_zero_when_everything_converts(fixtures, tmp_path):
    res = runner.invoke(cli.app, ["convert", str(fixtures / "bom.csv"), "--outbox", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "converted" in res.stdout
    assert list((tmp_path / "o" / "to-sage50").iterdir())


def test_to_the_wrong_side_is_a_clear_failure(fixtures, tmp_path):
    res = runner.invoke(
        cli.app,
        [
            "convert",
            str(fixtures / "bom.csv"),
            "--to",
            "bizops",
            "--outbox",
            str(tmp_path / "o"),
            "--json",
        ],
    )
    assert res.exit_code == 1
    [result] = json.loads(res.stdout)
    assert result["status"] == "failed" and result["issues"][0]["code"] == "usage"
    assert "already a BizOps file" in result["issues"][0]["message"]


def test_usage_errors_exit_2(fixtures, tmp_path):
    assert runner.invoke(cli.app, ["convert", str(fixtures / "bom.csv"), "--to", "quickbooks"]).exit_code == 2
    assert (
        runner.invoke(cli.app, ["convert", str(fixtures / "bom.csv"), "--entity", "widgets"]).exit_code == 2
    )
    assert runner.invoke(cli.app, ["convert"]).exit_code == 2


def test_config_file_is_used_and_a_bad_one_is_reported(fixtures, tmp_path):
    cfg = tmp_path / "site.toml"
    cfg.write_text(f'[paths]\noutbox = "{(tmp_path / "from-config").as_posix()}"\n')
    res = runner.invoke(cli.app, ["convert", str(fixtures / "bom.csv"), "--config", str(cfg)])
    assert res.exit_code == 0
    assert (tmp_path / "from-config" / "to-sage50").is_dir()
    bad = tmp_path / "bad.toml"
    bad.write_text("[paths\n")
    res = runner.invoke(cli.app, ["convert", str(fixtures / "bom.csv"), "--config", str(bad)])
    assert res.exit_code == 2  # a config that cannot be used is a usage error
    assert "Error:" in res.stderr and "not valid TOML" in res.stderr


def test_encoding_and_date_order_options(tmp_path):
    p = tmp_path / "VENDOR.CSV"
    p.write_bytes("Vendor ID,Vendor Name,Vendor Since Date\r\nV1,Café,25/12/24\r\n".encode("cp1252"))
    res = runner.invoke(
        cli.app,
        [
            "convert",
            str(p),
            "--encoding",
            "cp1252",
            "--date-order",
            "dmy",
            "--outbox",
            str(tmp_path / "o"),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    [result] = json.loads(res.stdout)
    text = Path(result["outputs"][0]).read_text(encoding="utf-8")
    assert "Café" in text and "2024-12-25" in text


def test_convert_json_converts_and_prints_without_loading_rich(fixtures, tmp_path):
    """--json prints the result alone (by print), so the console library is never loaded; a
    table or a message still loads it on first use."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from converter.cli import main as cli\n"
        "res = CliRunner().invoke(cli.app, ['convert', sys.argv[1], '--outbox', sys.argv[2], '--json'])\n"
        "assert res.exit_code == 0, res.output\n"
        "assert json.loads(res.stdout)[0]['status'] == 'converted'\n"
        "assert not [m for m in sys.modules if m == 'rich' or m.startswith('rich.')]\n"
        "cli.out.print('loaded on first use')\n"
        "assert 'rich.console' in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", "import json\n" + script, str(fixtures / "bom.csv"), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "loaded on first use" in done.stdout


def test_the_pipeline_loads_with_the_collector_paused_then_set_aside_and_collecting_resumes(
    fixtures, tmp_path
):
    """The modules' objects are frozen once loaded (later collections skip them); the collector
    is left as it was found: on when it was on, off when it was off."""
    import subprocess
    import sys

    script = (
        "import gc, sys\n"
        "from pathlib import Path\n"
        "from converter.cli import main as cli\n"
        "from converter.core.settings import load_settings\n"
        "gc.disable() if sys.argv[3] == 'off' else None\n"
        "result = cli.convert_file(Path(sys.argv[1]), settings=load_settings(None), outbox=Path(sys.argv[2]))\n"
        "assert result.status == 'converted', result.status\n"
        "assert gc.isenabled() == (sys.argv[3] == 'on')\n"
        "assert gc.get_freeze_count() > 1000\n"
    )
    for state in ("on", "off"):
        site = tmp_path / state  # a site of its own: the file is new to it
        site.mkdir()
        args = [str(fixtures / "bom.csv"), str(site / "outbox"), state]
        done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=site)
        assert done.returncode == 0, done.stderr
