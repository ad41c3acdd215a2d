"""The watcher under faults: an outbox that cannot be written, a heartbeat that fails, a moved
inbox, odd entries in the inbox; the heartbeat during a long conversion; clean-up noise."""

from __future__ import annotations

import errno
import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from converter.core.settings import load_settings
from converter.pipeline.convert import convert_file
from converter.watch import health as watch_health
from converter.watch import watcher as watch
from converter.watch.health import quiet_unraisable
from converter.watch.watcher import LOCK_NAME, Watcher
from tests.conftest import customers_csv, drop
from tests.test_watch import CONFIG, FAST, Running, archived, batch_dirs, today, wait_for


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "bizops-sage50.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "inbox").mkdir()
    return {
        "inbox": tmp_path / "inbox",
        "outbox": tmp_path / "outbox",
        "config": tmp_path / "bizops-sage50.toml",
    }


def watcher(site: dict[str, Path], **kwargs: object) -> Watcher:
    options = {**FAST, **kwargs}
    return Watcher(
        inbox=site["inbox"], outbox=site["outbox"], settings=load_settings(site["config"]), **options
    )


def waiting(inbox: Path) -> list[str]:
    """Files waiting in the inbox (its lock aside)."""
    return [name for name in archived(inbox) if name != LOCK_NAME]


def lines(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


# ---------------------------------------------------------------------------------------- outbox and heartbeat
def replace_with_file(folder: Path) -> None:
    """``folder`` (holding at most a heartbeat) replaced by a file, the running watcher's writes
    notwithstanding: its heartbeat thread may write into the folder, or make it again, meanwhile."""
    spare = folder.with_name(folder.name + ".file")
    spare.write_text("not a folder")
    for _ in range(100):
        try:
            if folder.is_dir():
                (folder / ".heartbeat").unlink(missing_ok=True)
                folder.rmdir()
            os.rename(spare, folder)  # fails while a folder of that name is back
            return
        except OSError:
            time.sleep(0.01)
    raise AssertionError(f"could not replace {folder} with a file")


def test_an_outbox_replaced_by_a_file_is_logged_once_waited_out_and_files_wait(site, caplog):
    caplog.set_level(logging.INFO, logger="bizops-sage50")
    w = watcher(site)
    with Running(w) as run:
        wait_for(lambda: (site["outbox"] / ".heartbeat").is_file(), 5, "a first heartbeat")
        replace_with_file(site["outbox"])
        drop(site["inbox"], "c.csv", customers_csv(["O-1"]))
        wait_for(lambda: lines(caplog, "cannot write to the outbox"), 10, "the outbox problem logged")
        time.sleep(2.5)  # several heartbeats and scans meanwhile
        assert run.alive, run.error
        assert len(lines(caplog, "cannot write to the outbox")) == 1
        assert len(lines(caplog, "cannot write the heartbeat")) == 1
        assert waiting(site["inbox"]) == ["c.csv"]  # waits in the inbox, not failed
        assert archived(site["inbox"] / "failed") == []
        site["outbox"].unlink()
        site["outbox"].mkdir(exist_ok=True)  # writable again (the watcher may have made it first)
        wait_for(lambda: archived(today(site["inbox"])) == ["c.csv"], 10, "c.csv converted")
        wait_for(lambda: lines(caplog, "is written again"), 5, "the heartbeat back")
    assert len(batch_dirs(site["outbox"], "to-sage50")) == 1
    assert len(lines(caplog, "is writable again")) == 1


def test_a_disk_that_fills_during_a_conversion_puts_the_file_back_in_the_inbox(site, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="bizops-sage50")
    full = threading.Event()
    real_problem = watch_health.outbox_problem

    def problem(outbox: Path) -> OSError | None:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)) if full.is_set() else real_problem(outbox)

    calls: list[str] = []

    def convert(path: Path, **kwargs: object):
        calls.append(path.name)
        if len(calls) == 1:
            full.set()  # the disk fills while the first file is converted
            return convert_file(path, settings=kwargs["settings"], outbox=Path("/proc/no-such-outbox"))
        return convert_file(path, **kwargs)

    monkeypatch.setattr(watch, "outbox_problem", problem)
    w = watcher(site, convert=convert)
    drop(site["inbox"], "c.csv", customers_csv(["F-1"]))
    with Running(w) as run:
        wait_for(lambda: lines(caplog, "put back in the inbox"), 10, "the file put back")
        time.sleep(1.0)
        assert run.alive, run.error
        assert waiting(site["inbox"]) == ["c.csv"] and archived(site["inbox"] / "failed") == []
        assert len(lines(caplog, "cannot write to the outbox")) == 1
        full.clear()
        wait_for(
            lambda: archived(today(site["inbox"])) == ["c.csv"], 10, "c.csv converted once space is back"
        )
    assert list((site["inbox"] / "processing").iterdir()) == []
    assert calls == ["c.csv", "c.csv"]


def test_a_heartbeat_that_cannot_be_written_is_logged_once_and_retried(site, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="bizops-sage50")
    full = threading.Event()
    real_replace = os.replace

    def replace(src, dst):
        if full.is_set():
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_replace(src, dst)

    monkeypatch.setattr(watch_health.os, "replace", replace)
    w = watcher(site)
    with Running(w) as run:
        full.set()
        wait_for(lambda: lines(caplog, "cannot write the heartbeat"), 5, "the heartbeat failure logged")
        time.sleep(2.5)
        assert run.alive and len(lines(caplog, "cannot write the heartbeat")) == 1
        assert "No space left on device" in lines(caplog, "cannot write the heartbeat")[0]
        full.clear()
        wait_for(lambda: lines(caplog, "is written again"), 5, "the heartbeat back")
        drop(site["inbox"], "c.csv", customers_csv(["H-1"]))
        wait_for(lambda: archived(today(site["inbox"])) == ["c.csv"], 10, "c.csv converted")
    assert not (site["outbox"] / ".heartbeat.tmp").exists()


class _Noisy:
    def __del__(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_clean_up_noise_goes_to_the_log_once_not_the_console(capsys, caplog):
    log = logging.getLogger("bizops-sage50.watch")
    caplog.set_level(logging.INFO, logger="bizops-sage50")
    before = sys.unraisablehook
    with quiet_unraisable(log):
        for _ in range(3):
            _Noisy()
    assert sys.unraisablehook is before
    assert "Exception ignored" not in capsys.readouterr().err
    assert len(lines(caplog, "ignored an error while cleaning up")) == 1


# ---------------------------------------------------------------------------------------- the heartbeat
def test_the_heartbeat_stays_fresh_during_a_long_conversion_and_names_the_file(site):
    release, started = threading.Event(), threading.Event()

    def slow(path: Path, **kwargs: object):
        started.set()
        release.wait(30)  # a conversion that takes as long as the test needs
        return convert_file(path, **kwargs)

    w = watcher(site, convert=slow)
    beat = site["outbox"] / ".heartbeat"
    drop(site["inbox"], "big.csv", customers_csv(["B-1"]))
    try:
        with Running(w):
            assert started.wait(10)
            seen: list[dict] = []

            def fresh_beats() -> bool:
                data = json.loads(beat.read_text())
                if data["in_hand"] and (not seen or data["time"] != seen[-1]["time"]):
                    seen.append(data)
                return len(seen) >= 3  # rewritten again and again while the file is in hand

            wait_for(fresh_beats, 15, "heartbeats during the conversion")
            assert {d["in_hand"]["file"] for d in seen} == {"big.csv"}
            release.set()
            wait_for(lambda: json.loads(beat.read_text())["in_hand"] is None, 10, "the file done")
    finally:
        release.set()


# ---------------------------------------------------------------------------------------- a moved inbox
def test_an_inbox_replaced_by_a_fresh_folder_is_locked_again(site, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="bizops-sage50")
    w = watcher(site)
    with Running(w) as run:
        site["inbox"].rename(tmp_path / "moved-away")
        site["inbox"].mkdir()
        wait_for(lambda: (site["inbox"] / LOCK_NAME).is_file(), 10, "the lock taken on the new folder")
        assert (site["inbox"] / LOCK_NAME).read_text() == str(os.getpid())
        assert not (tmp_path / "moved-away" / LOCK_NAME).exists()  # ours, removed where it went
        drop(site["inbox"], "c.csv", customers_csv(["M-1"]))
        wait_for(lambda: archived(today(site["inbox"])) == ["c.csv"], 10, "c.csv converted")
        assert run.alive
    assert not (site["inbox"] / LOCK_NAME).exists()
    assert len(lines(caplog, "was replaced by another folder")) == 1


def test_an_inbox_replaced_and_locked_by_another_watcher_stops_this_one(site, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="bizops-sage50")
    other = subprocess.Popen(["sleep", "60"])
    try:
        w = watcher(site)
        with Running(w) as run:
            site["inbox"].rename(tmp_path / "moved-away")
            site["inbox"].mkdir()
            (site["inbox"] / LOCK_NAME).write_text(str(other.pid))  # the other watcher took it first
            wait_for(lambda: not run.alive, 10, "this watcher to stop")
        assert run.error is None
        assert w.lost and f"Another watcher (PID {other.pid})" in w.lost and "This watcher stops" in w.lost
        assert (site["inbox"] / LOCK_NAME).read_text() == str(other.pid)  # never removed
        assert not (tmp_path / "moved-away" / LOCK_NAME).exists()
        assert lines(caplog, "is no longer the folder this watcher locked")
    finally:
        other.kill()
        other.wait()


def test_a_watcher_removes_only_the_lock_it_holds(site, tmp_path):
    w = watcher(site)
    w.acquire()
    site["inbox"].rename(tmp_path / "moved-away")
    site["inbox"].mkdir()
    (site["inbox"] / LOCK_NAME).write_text("424242")  # someone else's, in the new folder
    w.release()
    assert (site["inbox"] / LOCK_NAME).read_text() == "424242"
    assert not (tmp_path / "moved-away" / LOCK_NAME).exists()


# ---------------------------------------------------------------------------------------- odd entries
def test_a_fifo_and_a_folder_named_like_exports_are_reported_once_never_opened(site, caplog):
    caplog.set_level(logging.INFO, logger="bizops-sage50")
    inbox = site["inbox"]
    os.mkfifo(inbox / "pipe.csv")  # opening it would block the watcher
    (inbox / "subdir.csv").mkdir()
    (inbox / "notes").mkdir()  # a folder that is not an export: reported, left alone
    drop(inbox, "c.csv", customers_csv(["P-1"]))
    w = watcher(site, rescan=0.2)
    with Running(w):
        wait_for(lambda: archived(today(inbox)) == ["c.csv"], 10, "c.csv converted beside them")
        wait_for(lambda: (inbox / "failed" / "subdir.csv").is_dir(), 5, "subdir.csv moved")
        time.sleep(1.0)  # several rescans
    failed = inbox / "failed"
    assert (failed / "pipe.csv").exists() and not (failed / "pipe.csv").is_file()  # the FIFO itself
    assert "named pipe" in (failed / "pipe.csv.error.txt").read_text()
    assert "folder" in (failed / "subdir.csv.error.txt").read_text()
    assert (inbox / "notes").is_dir()
    for name in ("pipe.csv", "subdir.csv", "notes"):
        assert len(lines(caplog, f"{name} is ")) == 1, name
    assert w.stats.failed == 2


def test_run_once_with_a_fifo_does_not_block_and_reports_it(site):
    os.mkfifo(site["inbox"] / "pipe.csv")
    results = watcher(site).run_once(max_wait=1)
    assert [(Path(r.input).name, r.status, r.issues[0].code) for r in results] == [
        ("pipe.csv", "failed", "not-a-file")
    ]


def test_run_once_with_an_unwritable_outbox_leaves_the_files_and_fails(site):
    site["outbox"].write_text("not a folder")
    drop(site["inbox"], "c.csv", customers_csv(["W-1"]))
    results = watcher(site).run_once(max_wait=1)
    assert [(r.status, r.issues[0].code) for r in results] == [("failed", "outbox-unwritable")]
    assert waiting(site["inbox"]) == ["c.csv"] and archived(site["inbox"] / "failed") == []
