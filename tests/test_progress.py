"""Progress within a large file: the core reports it, the CLI draws it only on a terminal."""

import io
import json
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from converter.cli import main as cli
from converter.core.settings import load_settings
from converter.pipeline.convert import convert_file

runner = CliRunner()
HEADER = "CustomerID,Name,City\n"


def customers(path: Path, n: int) -> Path:
    path.write_text(HEADER + "".join(f"C{i:05d},Clinic {i},Boston\n" for i in range(n)), encoding="utf-8")
    return path


def test_the_core_reports_bytes_read_after_each_block_up_to_the_whole_file(tmp_path):
    path = customers(tmp_path / "customers.csv", 1_000)
    settings = load_settings(None, cwd=tmp_path, overrides={"reading": {"chunk_rows": 100}})
    seen: list[tuple[int, int]] = []
    result = convert_file(
        path,
        settings=settings,
        outbox=tmp_path / "out",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert result.status == "converted", result.issues
    assert len(seen) == 10  # one call per block of 100 rows
    assert all(total == path.stat().st_size for _, total in seen)
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[0] > 0 and done[-1] == path.stat().st_size


def test_no_progress_when_piped_or_with_json(tmp_path, monkeypatch):
    path = customers(tmp_path / "customers.csv", 50)
    passed = []
    real = cli.convert_file

    def spy(*args, **kwargs):
        passed.append(kwargs.get("progress"))
        return real(*args, **kwargs)

    monkeypatch.setattr(cli, "convert_file", spy)
    res = runner.invoke(cli.app, ["convert", str(path), "--outbox", str(tmp_path / "a"), "--json"])
    json.loads(res.stdout)  # nothing but the result
    res = runner.invoke(cli.app, ["convert", str(path), "--outbox", str(tmp_path / "b"), "--full"])
    assert "Converting" not in res.output
    assert passed == [None, None]


def test_a_terminal_shows_a_bar_with_bytes_rate_and_time_left(tmp_path, monkeypatch):
    path = customers(tmp_path / "customers.csv", 50)
    screen = io.StringIO()
    monkeypatch.setattr(cli, "out", Console(file=screen, force_terminal=True, width=120))
    calls = []
    real = cli.convert_file

    def spy(*args, **kwargs):
        calls.append(kwargs["progress"])
        return real(*args, **kwargs)

    monkeypatch.setattr(cli, "convert_file", spy)
    results = cli._run_files(
        [path], json_out=False, settings=load_settings(None, cwd=tmp_path), outbox=tmp_path / "out"
    )
    assert results[0].status == "converted"
    assert callable(calls[0])
    drawn = screen.getvalue()
    assert "Converting customers.csv" in drawn
    assert "bytes" in drawn or "kB" in drawn  # the bytes column
