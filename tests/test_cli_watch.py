"""``bizops-sage50 watch``: options, exit codes, the lock, the log file and signals, end to end.

``--once`` runs with the real defaults (settle 2 s, check 1 s), so files are dropped with an
mtime in the past: each run then takes about one check.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from converter.cli import main as cli
from converter.watch.watcher import LOCK_NAME
from tests.conftest import customers_csv, drop

runner = CliRunner()

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

CONFIG = """\
[ownership]
customers = "bizops"
products = "bizops"
vendors = "sage50"
transactions = "bizops"
"""


def archived(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.is_file() and not p.name.endswith((".result.json", ".error.txt"))
    )


def batch_dirs(outbox: Path) -> list[str]:
    folder = outbox / "to-sage50"
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


@pytest.fixture(autouse=True)
def _restore_process_state():
    """`watch` installs SIGINT/SIGTERM handlers and log handlers for the process: undo both."""
    saved_signals = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    logger = logging.getLogger("bizops-sage50")
    saved_handlers, saved_level = logger.handlers[:], logger.level
    yield
    for sig, handler in saved_signals.items():
        signal.signal(sig, handler)
    for handler in logger.handlers:
        if handler not in saved_handlers:
            handler.close()
    logger.handlers[:] = saved_handlers
    logger.setLevel(saved_level)


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Path]:
    cfg = tmp_path / "bizops-sage50.toml"
    cfg.write_text(CONFIG, encoding="utf-8")
    return {"inbox": tmp_path / "inbox", "outbox": tmp_path / "outbox", "config": cfg}


def watch(site: dict[str, Path], *extra: str, once: bool = True):
    args = ["watch", *(["--once"] if once else [])]
    for key in ("inbox", "outbox", "config"):
        args += [f"--{key}", str(site[key])]
    return runner.invoke(cli.app, [*args, *extra])


def today(site: dict[str, Path]) -> Path:
    import datetime as dt

    return site["inbox"] / "processed" / dt.date.today().isoformat()


def heartbeat(site: dict[str, Path]) -> dict:
    return json.loads((site["outbox"] / ".heartbeat").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------- --once
def test_once_exit_0_when_everything_converts(site):
    drop(site["inbox"], "a.csv", customers_csv(["CLI-1", "CLI-2"]))
    drop(site["inbox"], "b.csv", customers_csv(["CLI-3"]))
    res = watch(site)
    assert res.exit_code == 0, res.output
    assert archived(today(site)) == ["a.csv", "b.csv"]
    assert archived(site["inbox"]) == [] and list((site["inbox"] / "processing").iterdir()) == []
    assert len(batch_dirs(site["outbox"])) == 2
    assert (heartbeat(site)["processed"], heartbeat(site)["failed"]) == (2, 0)
    assert not (site["inbox"] / LOCK_NAME).exists()  # released on the way out
    assert (site["config"].parent / ".bizops-sage50" / "ledger.db").is_file()  # the ledger beside the config


def test_once_exit_1_when_a_file_fails(site):
    drop(site["inbox"], "good.csv", customers_csv(["CLI-4"]))
    drop(site["inbox"], "broken.csv", (FIXTURES / "not-a-csv.bin").read_bytes())
    res = watch(site)
    assert res.exit_code == 1, res.output
    assert archived(today(site)) == ["good.csv"]
    assert archived(site["inbox"] / "failed") == ["broken.csv"]
    assert "could not be converted" in (site["inbox"] / "failed" / "broken.csv.error.txt").read_text()
    assert not (site["inbox"] / LOCK_NAME).exists()


def test_once_exit_1_when_rows_are_rejected(site):
    drop(site["inbox"], "over-long.csv", (FIXTURES / "over-long.csv").read_bytes())
    res = watch(site)
    assert res.exit_code == 1, res.output  # README: 1 when a row was rejected
    assert archived(today(site)) == ["over-long.csv"]  # converted, with rejects.csv in its batch
    result = json.loads((today(site) / "over-long.csv.result.json").read_text())
    assert result["status"] == "rejected-rows" and result["rejected"] == 2


def test_once_on_an_empty_inbox_creates_it_and_exits_0(site):
    start = time.monotonic()
    res = watch(site)
    assert res.exit_code == 0, res.output
    assert time.monotonic() - start < 5
    assert all((site["inbox"] / sub).is_dir() for sub in ("processing", "processed", "failed"))
    assert heartbeat(site)["processed"] == 0


def test_same_file_dropped_twice_exit_0_archived_as_name_2_no_second_batch(site):
    text = (SAMPLES / "bizops" / "customers.csv").read_bytes()
    drop(site["inbox"], "customers.csv", text)
    assert watch(site).exit_code == 0
    batches = batch_dirs(site["outbox"])
    assert len(batches) == 1
    drop(site["inbox"], "customers.csv", text)
    res = watch(site)
    assert res.exit_code == 0, res.output
    assert archived(today(site)) == ["customers-2.csv", "customers.csv"]
    second = json.loads((today(site) / "customers-2.csv.result.json").read_text())
    assert second["status"] == "already-processed"
    assert [(i["row"], i["column"], i["code"]) for i in second["issues"]] == [(None, None, "same-file")]
    assert batch_dirs(site["outbox"]) == batches
    assert (today(site) / "customers-2.csv").read_bytes() == text


def test_log_file_has_one_line_per_file(site, tmp_path):
    drop(site["inbox"], "good.csv", customers_csv(["LOG-1"]))
    drop(site["inbox"], "broken.csv", (FIXTURES / "not-a-csv.bin").read_bytes())
    log = tmp_path / "watch.log"
    res = watch(site, "--log-file", str(log))
    assert res.exit_code == 1
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4, lines  # start, one line per file, stop
    assert (
        " INFO watcher started (PID " in lines[0]
        and " INFO watcher stopped (done): 1 processed, 1 failed" in lines[-1]
    )
    by_file = {name: [line for line in lines if f" {name}: " in line] for name in ("good.csv", "broken.csv")}
    assert [len(v) for v in by_file.values()] == [1, 1]
    assert " INFO good.csv: converted, 1 in, 1 out, 0 rejected, batch " in by_file["good.csv"][0]
    assert " ERROR broken.csv: failed (" in by_file["broken.csv"][0]


def test_missing_config_is_a_clear_error(site, tmp_path):
    site["config"] = tmp_path / "nope.toml"
    res = watch(site)
    assert res.exit_code == 2  # a config problem is a usage error
    assert "nope.toml does not exist" in res.output


# ---------------------------------------------------------------------------------------- --poll
@pytest.mark.parametrize(
    ("args", "mode"),
    [
        pytest.param([], "native events", id="no --poll"),
        pytest.param(["--poll", "0.5"], "polling every 0.5 s", id="--poll 0.5"),
        pytest.param(["--poll=2"], "polling every 2 s", id="--poll=2"),
        pytest.param(["--poll"], "polling every 5 s", id="bare --poll last"),
        pytest.param(
            ["--poll", "--log-file", "x.log"],
            "polling every 5 s",
            id="bare --poll then option",
        ),
    ],
)
def test_poll_option(site, args, mode):
    res = watch(site, *args)
    assert res.exit_code == 0, res.output
    assert heartbeat(site)["mode"] == mode


def test_poll_with_a_bad_value_is_a_usage_error(site):
    res = watch(site, "--poll", "often")
    assert res.exit_code == 2
    assert "--poll" in res.output


# ---------------------------------------------------------------------------------------- the lock
def test_second_watcher_exits_non_zero_with_a_clear_message(site):
    other = subprocess.Popen(["sleep", "30"])
    try:
        site["inbox"].mkdir()
        (site["inbox"] / LOCK_NAME).write_text(str(other.pid))
        drop(site["inbox"], "waiting.csv", customers_csv(["BUSY-1"]))
        res = watch(site)
        assert res.exit_code == 1
        assert f"Another watcher (PID {other.pid}) already watches" in res.output
        assert (site["inbox"] / LOCK_NAME).read_text() == str(other.pid)  # left alone
        assert (site["inbox"] / "waiting.csv").is_file()  # not touched
        assert archived(site["inbox"] / "processing") == archived(today(site)) == []
    finally:
        other.kill()
        other.wait()


def test_a_refusal_and_a_bad_config_are_in_the_log_file(site, tmp_path):
    other = subprocess.Popen(["sleep", "30"])
    log = tmp_path / "watch.log"
    try:
        site["inbox"].mkdir()
        (site["inbox"] / LOCK_NAME).write_text(str(other.pid))
        res = watch(site, "--log-file", str(log), once=False)
        assert res.exit_code == 1
        assert f" ERROR Another watcher (PID {other.pid}) already watches" in log.read_text(encoding="utf-8")
    finally:
        other.kill()
        other.wait()
    site["config"] = tmp_path / "nope.toml"
    res = watch(site, "--log-file", str(log))
    assert res.exit_code != 0
    assert "nope.toml" in log.read_text(encoding="utf-8").splitlines()[-1]


def _start_watcher(base: Path, name: str) -> subprocess.Popen:
    args = ["watch", "--inbox", str(base / "inbox"), "--outbox", str(base / "outbox"), "--poll", "0.2"]
    args += ["--config", str(base / "bizops-sage50.toml"), "--log-file", str(base / f"{name}.log")]
    return subprocess.Popen([str(Path(sys.executable).with_name("bizops-sage50")), *args], cwd=base)


def test_a_second_watcher_on_a_replaced_inbox_never_loses_its_lock_to_the_first(tmp_path):
    """The inbox renamed away and a fresh one put in its place, a second watcher started on it:
    one of the two holds the new inbox, the other stops saying why, and no lock is removed by
    a watcher that does not hold it."""
    (tmp_path / "bizops-sage50.toml").write_text(CONFIG, encoding="utf-8")
    first = _start_watcher(tmp_path, "first")
    procs = [first]
    try:
        lock = tmp_path / "inbox" / LOCK_NAME
        end = time.monotonic() + 30
        while (
            not (lock.is_file() and (tmp_path / "outbox" / ".heartbeat").is_file()) and time.monotonic() < end
        ):
            time.sleep(0.05)
        (tmp_path / "inbox").rename(tmp_path / "moved-away")
        (tmp_path / "inbox").mkdir()
        second = _start_watcher(tmp_path, "second")
        procs.append(second)
        while all(p.poll() is None for p in procs) and time.monotonic() < end:
            time.sleep(0.05)
        [loser] = [p for p in procs if p.poll() is not None]
        [winner] = [p for p in procs if p is not loser]
        assert loser.returncode == 1
        assert lock.read_text() == str(winner.pid)  # the loser left the winner's lock alone
        loser_log = (tmp_path / ("first.log" if loser is first else "second.log")).read_text(encoding="utf-8")
        assert f"Another watcher (PID {winner.pid}) already watches" in loser_log
        drop(tmp_path / "inbox", "c.csv", customers_csv(["R-1"]))
        while not list((tmp_path / "inbox" / "processed").glob("*/c.csv")) and time.monotonic() < end:
            time.sleep(0.05)
        assert list((tmp_path / "inbox" / "processed").glob("*/c.csv"))
        winner.send_signal(signal.SIGTERM)
        assert winner.wait(timeout=20) == 0
        assert not lock.exists() and not (tmp_path / "moved-away" / LOCK_NAME).exists()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_stale_lock_of_a_dead_watcher_is_taken_over(site):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    drop(site["inbox"], "c.csv", customers_csv(["STALE-1"]))
    (site["inbox"] / LOCK_NAME).write_text(str(gone.pid))
    res = watch(site)
    assert res.exit_code == 0, res.output
    assert archived(today(site)) == ["c.csv"]
    assert not (site["inbox"] / LOCK_NAME).exists()


# ---------------------------------------------------------------------------------------- signals
SIGNAL_SCRIPT = r"""
import sys, time
from pathlib import Path
import converter.io.batches

marker = Path(sys.argv[1])
real_publish = converter.io.batches.Batch.publish

def slow_publish(self, *args, **kwargs):  # the conversion of the file in hand takes a while
    marker.write_text("in hand")
    time.sleep(1.0)
    return real_publish(self, *args, **kwargs)

converter.io.batches.Batch.publish = slow_publish
from converter.cli.main import app
sys.argv = ["bizops-sage50", *sys.argv[2:]]
app()
"""


def test_sigterm_and_sigint_finish_the_file_in_hand_then_exit_0(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    procs = {}
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):  # side by side, each in its own folder
            base = tmp_path / sig.name
            base.mkdir()
            (base / "bizops-sage50.toml").write_text(CONFIG, encoding="utf-8")
            drop(base / "inbox", "a.csv", customers_csv(["SIG-1"]))
            drop(base / "inbox", "b.csv", customers_csv(["SIG-2"]))
            args = ["watch", "--inbox", str(base / "inbox"), "--outbox", str(base / "outbox")]
            args += ["--config", str(base / "bizops-sage50.toml"), "--log-file", str(base / "watch.log")]
            procs[sig] = subprocess.Popen(
                [sys.executable, "-c", SIGNAL_SCRIPT, str(base / "marker"), *args],
                cwd=base,
                env=env,
                stderr=subprocess.PIPE,
            )
        end = time.monotonic() + 30
        for sig, proc in procs.items():
            marker = tmp_path / sig.name / "marker"
            while not marker.exists() and proc.poll() is None and time.monotonic() < end:
                time.sleep(0.05)
            assert marker.exists(), proc.stderr.read().decode() if proc.poll() is not None else "no marker"
            proc.send_signal(sig)
        for sig, proc in procs.items():
            assert proc.wait(timeout=20) == 0, f"{sig.name}: {proc.stderr.read().decode()}"
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()
    for sig in procs:
        base = tmp_path / sig.name
        inbox = base / "inbox"
        processed = [p.name for p in (inbox / "processed").glob("*/*.csv")]
        assert processed == ["a.csv"], sig.name  # the file in hand was finished ...
        assert archived(inbox) == ["b.csv"], sig.name  # ... and no other was taken
        assert list((inbox / "processing").iterdir()) == [], sig.name
        assert len(batch_dirs(base / "outbox")) == 1, sig.name
        assert list((base / "outbox").glob("to-*/.tmp-*")) == [], sig.name
        assert not (inbox / LOCK_NAME).exists(), sig.name
        log = (base / "watch.log").read_text(encoding="utf-8")
        assert " a.csv: converted" in log and "b.csv" not in log, sig.name
        assert " INFO watcher started (PID " in log.splitlines()[0], sig.name
        assert f" INFO received {sig.name}: finishing the file in hand" in log, sig.name
        assert f" INFO watcher stopped (on {sig.name}): 1 processed, 0 failed" in log.splitlines()[-1], (
            sig.name
        )
