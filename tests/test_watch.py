"""The inbox watcher: real files in temporary folders, a real watcher thread, short timings.

Each test builds its own inbox and outbox under ``tmp_path`` and a config beside them, so the
ledger lives in the test's folder. Timings are small (settle 0.5 s, check 0.2 s) except where
the test is about the defaults.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import functools
import io
import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from watchdog.observers.polling import PollingObserver

from converter.admin.project import history
from converter.core.issues import Issue
from converter.core.settings import load_settings
from converter.pipeline.convert import ConversionResult, convert_file
from converter.sync.ledger import Ledger
from converter.watch import watcher as watch
from converter.watch.watcher import LOCK_NAME, Watcher, WatcherBusy, ignored, network_filesystem
from tests.conftest import SAGE50_ACCOUNTS, customers_csv, drop, rcc

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FAST = {"settle": 0.5, "check": 0.2, "rescan": 60.0}

CONFIG = (
    """\
[ownership]
customers = "bizops"
products = "bizops"
vendors = "sage50"
transactions = "bizops"

"""
    + SAGE50_ACCOUNTS
)


# ---------------------------------------------------------------------------------------- helpers
def wait_for(predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def today(inbox: Path) -> Path:
    return inbox / "processed" / dt.date.today().isoformat()


def archived(folder: Path) -> list[str]:
    """Input files archived in ``folder`` (not their .result.json / .error.txt)."""
    if not folder.is_dir():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.is_file() and not p.name.endswith((".result.json", ".error.txt"))
    )


def result_json(folder: Path, name: str) -> dict:
    return json.loads((folder / f"{name}.result.json").read_text(encoding="utf-8"))


def batch_dirs(outbox: Path, target: str = "to-sage50") -> list[Path]:
    folder = outbox / target
    return (
        sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
        if folder.is_dir()
        else []
    )


def tmp_dirs(outbox: Path) -> list[Path]:
    return sorted(outbox.glob("to-*/.tmp-*"))


def sent_ids(outbox: Path) -> list[str]:
    ids = []
    for batch in batch_dirs(outbox):
        with (batch / "CUSTOMER.CSV").open(encoding="cp1252", newline="") as fh:
            ids += [row["Customer ID"] for row in csv.DictReader(fh)]
    return ids


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


class Running:
    """``watcher.run`` on a real thread; ``error`` is the exception that ended it, if any."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="watcher", daemon=True)

    def _run(self) -> None:
        try:
            self.watcher.run()
        except BaseException as exc:  # the test asserts on it
            self.error = exc

    def __enter__(self) -> Running:
        self.watcher.acquire()
        self.thread.start()
        wait_for(lambda: self.watcher._observer is not None or self.error, 5, "the observer to start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.watcher.stop.set()
        self.watcher.wake.set()
        self.thread.join(timeout=15)
        self.watcher.release()
        assert not self.thread.is_alive(), "the watcher did not stop"

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()


class Spy:
    """A convert function that counts calls per file name, then runs the real converter."""

    def __init__(self, real: Callable[..., ConversionResult] = convert_file) -> None:
        self.real = real
        self.calls: list[str] = []
        self.sizes: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, path: Path, **kwargs: object) -> ConversionResult:
        with self.lock:
            self.calls.append(path.name)
            self.sizes[path.name] = path.stat().st_size
        return self.real(path, **kwargs)


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "bizops-sage50.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "outbox"


@pytest.fixture
def make(inbox: Path, outbox: Path, cfg: Path) -> Callable[..., Watcher]:
    settings = load_settings(cfg)

    def build(**kwargs: object) -> Watcher:
        options = {**FAST, **kwargs}
        return Watcher(inbox=inbox, outbox=outbox, settings=settings, **options)

    return build


# ---------------------------------------------------------------------------------------- defaults
def test_defaults_native_observer_settle_2_check_1_rescan_60(inbox, outbox, cfg):
    w = Watcher(inbox=inbox, outbox=outbox, settings=load_settings(cfg))
    assert (w.settle, w.check, w.rescan) == (2.0, 1.0, 60.0)
    assert w.poll is None  # a local disk: native events
    assert w.convert is convert_file


@pytest.mark.parametrize(
    "name",
    [
        ".hidden.csv",
        "~$customers.csv",
        "export.tmp",
        "EXPORT.TMP",
        "export.csv.partial",
        "download.csv.crdownload",
    ],
)
def test_ignored_names(name):
    assert ignored(Path(name))


@pytest.mark.parametrize(
    "name", ["customers.csv", "CUSTOMER.CSV", "tmp.csv", "partial-export.csv", "a~$b.csv"]
)
def test_ordinary_names_are_not_ignored(name):
    assert not ignored(Path(name))


# ---------------------------------------------------------------------------------------- completeness
class TestReadyFiles:
    """A file is taken only when at least ``settle`` old and unchanged on two checks ``check`` apart."""

    def test_settled_file_ready_on_the_second_check_one_second_later(self, make):
        w = make(settle=2.0, check=1.0)
        path = drop(w.inbox, "c.csv", customers_csv(["A1"]), age=10)
        t = time.time()
        assert w.ready_files(now=t) == []  # first sighting
        assert w.ready_files(now=t + 0.5) == []  # too soon for the second check
        w2 = make(settle=2.0, check=1.0)
        assert w2.ready_files(now=t) == []
        assert w2.ready_files(now=t + 1.0) == [path]

    def test_young_file_waits_for_settle(self, make):
        w = make(settle=2.0, check=1.0)
        t = time.time()
        path = drop(w.inbox, "c.csv", customers_csv(["A1"]), age=None)
        os.utime(path, (t - 0.5, t - 0.5))
        assert w.ready_files(now=t) == []
        assert w.ready_files(now=t + 1.0) == []  # unchanged, but only 1.5 s old
        assert w.ready_files(now=t + 2.0) == [path]

    def test_size_change_between_checks_restarts_the_wait(self, make):
        w = make(settle=2.0, check=1.0)
        path = drop(w.inbox, "c.csv", customers_csv(["A1"]), age=10)
        mtime = path.stat().st_mtime
        t = time.time()
        assert w.ready_files(now=t) == []
        with path.open("a", encoding="utf-8") as fh:
            fh.write(customers_csv(["A2"]).splitlines()[1] + "\r\n")
        os.utime(path, (mtime, mtime))  # same mtime (coarse clocks on shares), other size
        assert w.ready_files(now=t + 1.0) == []
        assert w.ready_files(now=t + 2.0) == [path]

    def test_mtime_change_between_checks_restarts_the_wait(self, make):
        w = make(settle=2.0, check=1.0)
        path = drop(w.inbox, "c.csv", customers_csv(["A1"]), age=10)
        t = time.time()
        assert w.ready_files(now=t) == []
        os.utime(path, (t - 5, t - 5))
        assert w.ready_files(now=t + 1.0) == []
        assert w.ready_files(now=t + 2.0) == [path]

    def test_an_empty_file_is_ready_once_it_stays_empty_past_the_wait(self, make):
        w = make(settle=2.0, check=1.0)
        path = drop(w.inbox, "empty.csv", b"", age=10)
        t = time.time()
        assert [w.ready_files(now=t + i) for i in range(2)] == [[], [path]]

    def test_a_fresh_empty_file_is_not_ready(self, make):
        w = make(settle=2.0, check=1.0)
        path = drop(w.inbox, "new.csv", b"", age=None)
        t = time.time()
        assert w.ready_files(now=t) == [] and w.ready_files(now=t + 1.0) == []
        assert w.ready_files(now=t + 2.5) == [path]

    def test_a_check_in_between_does_not_postpone_readiness(self, make):
        w = make(settle=2.0, check=1.0)
        path = drop(w.inbox, "c.csv", customers_csv(["A1"]), age=10)
        t = time.time()
        assert w.ready_files(now=t) == []
        assert w.ready_files(now=t + 0.5) == []  # an extra scan, woken by some other file's event
        assert w.ready_files(now=t + 1.0) == [path]  # unchanged since the check at t, 1 s ago


def test_file_written_in_pieces_over_3_s_is_converted_once_and_complete(make, inbox, outbox):
    spy = Spy()
    w = make(convert=spy)
    ids = [f"P-{i:03d}" for i in range(40)]
    data = customers_csv(ids).encode("utf-8")
    cuts = [0, 7, 150, 333, 700, 1111, 1500, 1901, 2400, 2999, len(data)]  # mid-heading, mid-row
    assert len(data) > cuts[-2]
    with Running(w) as run:
        with (inbox / "slow.csv").open("wb") as fh:  # the file exists, empty, from here on
            for a, b in itertools.pairwise(cuts):
                fh.write(data[a:b])
                fh.flush()
                time.sleep(0.3)
                assert spy.calls == [], "taken while still being written"
        wait_for(lambda: archived(today(inbox)) == ["slow.csv"], 10, "slow.csv to be processed")
        assert run.alive
    assert spy.calls == ["slow.csv"]
    assert spy.sizes["slow.csv"] == len(data)
    result = result_json(today(inbox), "slow.csv")
    assert result["status"] == "converted"
    assert result["rows_in"] == len(ids) == result["records_out"]
    assert (today(inbox) / "slow.csv").read_bytes() == data  # archived as written
    assert sorted(sent_ids(outbox)) == ids


def test_200_small_files_dropped_at_once_are_each_processed_exactly_once(make, inbox, tmp_path):
    # The real converter needs ~0.2 s a file (200 would take ~40 s), so this stand-in reads each
    # claimed file the way the converter would and reports its rows; conversion end to end is in
    # the other tests. What is tested here is the watcher: claim, hand over, archive, exactly once.
    seen: list[tuple[str, list[str]]] = []
    lock = threading.Lock()

    def light_convert(path: Path, **kwargs: object) -> ConversionResult:
        with path.open(encoding="utf-8", newline="") as fh:
            ids = [row["CustomerID"] for row in csv.DictReader(fh)]
        with lock:
            seen.append((path.name, ids))
        return ConversionResult(
            input=str(path), entity="customers", status="converted", rows_in=len(ids), records_out=len(ids)
        )

    w = make(convert=light_convert, settle=0.3, check=0.1)
    staging = tmp_path / "staging"
    staging.mkdir()
    names = [f"cust-{i:03d}.csv" for i in range(200)]
    for i, name in enumerate(names):
        (staging / name).write_text(customers_csv([f"M-{i:04d}"]), encoding="utf-8")
    with Running(w) as run:
        for name in names:  # "pasted" into the inbox in one go
            os.rename(staging / name, inbox / name)
        wait_for(lambda: len(archived(today(inbox))) >= 200, 30, "200 files to be processed")
        time.sleep(0.5)  # nothing more happens after that
        assert run.alive
    assert Counter(name for name, _ in seen) == Counter(names)  # each handed over exactly once
    assert sorted(cid for _, ids in seen for cid in ids) == [f"M-{i:04d}" for i in range(200)]
    assert archived(today(inbox)) == names  # no name-2: nothing archived twice
    assert archived(inbox) == []
    assert list((inbox / "processing").iterdir()) == []
    assert list((inbox / "failed").iterdir()) == []
    assert {result_json(today(inbox), n)["rows_in"] for n in names} == {1}
    assert (w.stats.processed, w.stats.failed) == (200, 0)


def test_a_burst_of_real_conversions_gives_one_batch_each(make, inbox, outbox, tmp_path):
    spy = Spy()
    w = make(convert=spy, settle=0.3, check=0.1)
    names = [f"real-{i:02d}.csv" for i in range(12)]
    for i, name in enumerate(names):
        drop(tmp_path, name, customers_csv([f"R-{i:02d}", f"S-{i:02d}"]))
    with Running(w) as run:
        for name in names:
            os.rename(tmp_path / name, inbox / name)
        wait_for(lambda: len(archived(today(inbox))) >= len(names), 20, "the burst to be processed")
        assert run.alive
    assert Counter(spy.calls) == Counter(names)
    assert archived(today(inbox)) == names
    assert {result_json(today(inbox), n)["status"] for n in names} == {"converted"}
    assert len(batch_dirs(outbox)) == len(names) and tmp_dirs(outbox) == []
    assert sorted(sent_ids(outbox)) == sorted(
        [f"R-{i:02d}" for i in range(12)] + [f"S-{i:02d}" for i in range(12)]
    )


def test_an_empty_file_goes_to_failed_after_the_wait_and_into_the_history(make, inbox, cfg):
    spy = Spy()
    w = make(convert=spy)
    drop(inbox, "empty.csv", b"", age=10)
    drop(inbox, "now.csv", customers_csv(["E-1"]))
    results = {Path(r.input).name: r for r in w.run_once()}
    assert spy.calls == ["now.csv"]  # the empty file is never handed to the converter
    assert results["empty.csv"].status == "failed"
    assert rcc(results["empty.csv"].issues) == {(None, None, "empty-file")}
    assert archived(inbox / "failed") == ["empty.csv"] and archived(inbox) == []
    report = (inbox / "failed" / "empty.csv.error.txt").read_text(encoding="utf-8")
    assert "empty file" in report
    run = {r["file"]: r for r in history(load_settings(cfg))}["empty.csv"]
    assert run["outcome"] == "failed" and "empty file" in run["reason"]


def test_a_file_being_written_after_starting_empty_is_still_taken_whole(make, inbox):
    spy = Spy()
    w = make(convert=spy)
    path = drop(inbox, "later.csv", b"", age=None)
    with Running(w) as run:
        time.sleep(w.check * 0.5)
        path.write_text(customers_csv(["E-2"]), encoding="utf-8")
        wait_for(lambda: "later.csv" in archived(today(inbox)), 10, "later.csv once written")
        assert run.alive
    assert spy.calls == ["later.csv"] and archived(inbox / "failed") == []
    assert result_json(today(inbox), "later.csv")["rows_in"] == 1


def test_ignored_names_stay_in_the_inbox_untouched(make, inbox):
    spy = Spy()
    w = make(convert=spy)
    names = [
        ".hidden.csv",
        "~$customers.csv",
        "export.tmp",
        "EXPORT2.TMP",
        "x.csv.partial",
        "y.csv.crdownload",
    ]
    content = {n: customers_csv([f"I-{i}"]) for i, n in enumerate(names)}
    for name, text in content.items():
        drop(inbox, name, text)
    drop(inbox, "real.csv", customers_csv(["I-REAL"]))
    with Running(w) as run:
        wait_for(lambda: "real.csv" in archived(today(inbox)), 10, "real.csv")
        time.sleep(w.settle + 3 * w.check)
        assert run.alive
    assert spy.calls == ["real.csv"]
    for name, text in content.items():
        assert (inbox / name).read_bytes() == text.encode()
    start = time.monotonic()
    assert make(convert=spy).run_once() == []  # --once does not wait for them either
    assert time.monotonic() - start < 1.0
    assert spy.calls == ["real.csv"]


# ---------------------------------------------------------------------------------------- outcomes
def test_a_failing_file_among_good_ones(make, inbox, outbox):
    def convert(path: Path, **kwargs: object) -> ConversionResult:
        if path.name == "boom.csv":
            raise RuntimeError("disk on fire")
        if path.name == "two-problems.csv":
            result = ConversionResult(input=str(path), status="failed")
            result.issues += [
                Issue(3, "Zip", "bad-code", "Zip 0213 is not a US ZIP code."),
                Issue(5, "Name", "missing-value", "Name is required."),
                Issue(6, "City", "too-long", "City was cut to 20 characters.", "warning"),
            ]
            return result
        return convert_file(path, **kwargs)

    spy = Spy(convert)
    w = make(convert=spy)
    files = {
        "good-1.csv": customers_csv(["G-1", "G-2"]).encode(),
        "broken.csv": (FIXTURES / "not-a-csv.bin").read_bytes(),
        "vendors.csv": (SAMPLES / "bizops" / "vendors.csv").read_bytes(),  # Sage 50 owns vendors: reference
        "boom.csv": customers_csv(["B-1"]).encode(),
        "two-problems.csv": customers_csv(["T-1"]).encode(),
        "good-2.csv": customers_csv(["G-3"]).encode(),
    }
    for name, data in files.items():
        drop(inbox, name, data)
    with Running(w) as run:
        wait_for(lambda: len(archived(today(inbox))) + len(archived(inbox / "failed")) == 6, 15, "all six")
        assert run.alive  # one file's crash never stops the watcher
    # The vendors list from the non-owner is read for reference: processed, not failed.
    assert archived(today(inbox)) == ["good-1.csv", "good-2.csv", "vendors.csv"]
    assert archived(inbox / "failed") == ["boom.csv", "broken.csv", "two-problems.csv"]
    assert result_json(today(inbox), "vendors.csv")["status"] == "reference-only"
    for name, data in files.items():  # nothing changed, nothing deleted
        folder = today(inbox) if name.startswith(("good", "vendors")) else inbox / "failed"
        assert (folder / name).read_bytes() == data
    errors = {
        n: (inbox / "failed" / f"{n}.error.txt").read_text(encoding="utf-8")
        for n in archived(inbox / "failed")
    }
    assert errors["broken.csv"].startswith("broken.csv could not be converted (failed).")
    assert "RuntimeError: disk on fire" in errors["boom.csv"]
    assert '- row 3, column "Zip": Zip 0213 is not a US ZIP code.' in errors["two-problems.csv"]
    assert '- row 5, column "Name": Name is required.' in errors["two-problems.csv"]
    assert "City was cut" not in errors["two-problems.csv"]  # warnings are not reasons to fail
    assert all("drop the corrected file into the inbox again" in text for text in errors.values())
    assert not any((inbox / "failed" / f"{n}.result.json").exists() for n in errors)
    assert sorted(sent_ids(outbox)) == ["G-1", "G-2", "G-3"]
    assert (w.stats.processed, w.stats.failed) == (3, 3)


def test_one_log_line_per_file(make, inbox, caplog):
    caplog.set_level(logging.INFO, logger="bizops-sage50")
    w = make()
    drop(inbox, "fine.csv", customers_csv(["L-1"]))
    drop(inbox, "broken.csv", (FIXTURES / "not-a-csv.bin").read_bytes())
    with Running(w):
        wait_for(lambda: archived(today(inbox)) and archived(inbox / "failed"), 10, "both files")
    records = [r for r in caplog.records if r.name.startswith("bizops-sage50")]
    fine = [(r.levelname, r.getMessage()) for r in records if "fine.csv" in r.getMessage()]
    broken = [(r.levelname, r.getMessage()) for r in records if "broken.csv" in r.getMessage()]
    assert len(fine) == 1 and fine[0][0] == "INFO"
    assert fine[0][1].startswith("fine.csv: converted, 1 in, 1 out, 0 rejected, batch ")
    assert len(broken) == 1 and broken[0][0] == "ERROR"
    assert broken[0][1].startswith("broken.csv: failed (") and "moved to failed/" in broken[0][1]


def test_archived_names_are_never_overwritten(make, inbox):
    w = make(settle=0.0, check=0.05)
    for i in range(3):
        drop(inbox, "customers.csv", customers_csv([f"N-{i}"]))
        drop(inbox, "bad.csv", (FIXTURES / "not-a-csv.bin").read_bytes()[i:])
        results = w.run_once()
        assert sorted(r.status for r in results) == ["converted", "failed"]
    assert archived(today(inbox)) == ["customers-2.csv", "customers-3.csv", "customers.csv"]
    for i, name in enumerate(["customers.csv", "customers-2.csv", "customers-3.csv"]):
        assert f"N-{i}" in (today(inbox) / name).read_text(encoding="utf-8")
        assert result_json(today(inbox), name)["input"] == str(today(inbox) / name)
    assert archived(inbox / "failed") == ["bad-2.csv", "bad-3.csv", "bad.csv"]
    assert all((inbox / "failed" / f"{n}.error.txt").is_file() for n in archived(inbox / "failed"))


def test_retrying_a_failed_file_keeps_the_earlier_error_report(make, inbox):
    w = make(settle=0.0, check=0.05)
    drop(inbox, "bad.csv", (FIXTURES / "not-a-csv.bin").read_bytes())
    [first] = w.run_once()
    assert rcc(first.issues) == {(None, None, "unreadable-file")}
    first_report = (inbox / "failed" / "bad.csv.error.txt").read_text(encoding="utf-8")
    # The user takes the file back to fix it, as error.txt says, and drops the "fixed" one in again.
    (inbox / "failed" / "bad.csv").unlink()
    drop(inbox, "bad.csv", b"Colour,Size\nred,large\n")
    [second] = w.run_once()
    assert rcc(second.issues) == {(None, None, "unknown-layout")}
    reports = [p.read_text(encoding="utf-8") for p in (inbox / "failed").glob("*.error.txt")]
    assert first_report in reports
    assert len(reports) == 2


# ---------------------------------------------------------------------------------------- order
def test_masters_before_transactions_by_header_not_name(make, inbox):
    order = [
        ("chart", SAMPLES / "sage50" / "CHART.CSV"),
        ("customers", SAMPLES / "bizops" / "customers.csv"),
        ("vendors", SAMPLES / "sage50" / "VENDOR.CSV"),
        ("products", SAMPLES / "bizops" / "products.csv"),
        ("orders", SAMPLES / "bizops" / "orders.csv"),
        ("invoices", SAMPLES / "bizops" / "invoices.csv"),
        ("payments", SAMPLES / "bizops" / "payments.csv"),
        ("purchase_orders", SAMPLES / "bizops" / "purchase_orders.csv"),
        ("po_receipts", SAMPLES / "bizops" / "po_receipts.csv"),
    ]
    # Names that sort the other way round, and say nothing (or the wrong thing) about the content.
    named = {
        f"{len(order) - i:02d}-{'invoice' if entity == 'customers' else 'export'}.csv": entity
        for i, (entity, _) in enumerate(order)
    }
    for (name, _), (_, source) in zip(named.items(), order, strict=True):
        drop(inbox, name, source.read_bytes())
    seen: list[str] = []

    def record(path: Path, **kwargs: object) -> ConversionResult:
        seen.append(named[path.name])
        return ConversionResult(input=str(path), status="converted")

    w = make(convert=record)
    with Running(w):
        wait_for(lambda: len(seen) == len(order), 10, "all files")
    assert seen == [entity for entity, _ in order]


# ---------------------------------------------------------------------------------------- same file twice
def test_same_file_dropped_twice_is_a_no_op_archived_as_name_2(make, inbox, outbox):
    w = make()
    text = (SAMPLES / "bizops" / "customers.csv").read_text(encoding="utf-8")
    drop(inbox, "customers.csv", text)
    with Running(w):
        wait_for(lambda: archived(today(inbox)) == ["customers.csv"], 10, "first drop")
        drop(inbox, "customers.csv", text, age=None)
        wait_for(lambda: len(archived(today(inbox))) == 2, 10, "second drop")
    assert archived(today(inbox)) == ["customers-2.csv", "customers.csv"]
    first, second = result_json(today(inbox), "customers.csv"), result_json(today(inbox), "customers-2.csv")
    assert (first["status"], first["rows_in"]) == ("converted", 10)
    assert second["status"] == "already-processed" and second["batch"] is None
    assert [i["code"] for i in second["issues"]] == ["same-file"]
    assert [b.name for b in batch_dirs(outbox)] == [first["batch"]]
    assert w.stats.failed == 0


# ---------------------------------------------------------------------------------------- observers
def test_polling_mode_picks_a_file_up(make, inbox, monkeypatch):
    def no_native(*args, **kwargs):
        raise AssertionError("the native observer must not be used with poll")

    monkeypatch.setattr(watch, "Observer", no_native)
    w = make(poll=0.2)
    with Running(w) as run:
        assert isinstance(w._observer, PollingObserver)
        time.sleep(0.3)  # after the start-up scan: only the polling observer can report it
        drop(inbox, "polled.csv", customers_csv(["POLL-1"]), age=None)
        wait_for(lambda: "polled.csv" in archived(today(inbox)), 5, "the polled file")
        assert run.alive
    assert json.loads((w.outbox / ".heartbeat").read_text())["mode"] == "polling every 0.2 s"


def test_a_missed_event_costs_a_rescan_never_a_file(make, inbox, monkeypatch):
    # An observer that never reports anything (like SMB for the native observer).
    monkeypatch.setattr(watch, "Observer", lambda: PollingObserver(timeout=3600))
    w = make(rescan=0.5)
    with Running(w):
        time.sleep(0.3)
        drop(inbox, "quiet.csv", customers_csv(["Q-1"]), age=None)
        wait_for(lambda: "quiet.csv" in archived(today(inbox)), 5, "the rescan to find it")


def test_dead_observer_thread_is_restarted(make, inbox):
    w = make()
    with Running(w) as run:
        old = w._observer
        old.stop()
        old.join(timeout=5)
        assert not old.is_alive()
        wait_for(lambda: w._observer is not old and w._observer.is_alive(), 5, "a new observer")
        assert w.stats.observer_restarts == 1
        time.sleep(0.3)
        drop(inbox, "after.csv", customers_csv(["R-1"]), age=None)  # rescan is 60 s: only an event finds it
        wait_for(lambda: "after.csv" in archived(today(inbox)), 5, "after.csv via the new observer")
        wait_for(
            lambda: json.loads((w.outbox / ".heartbeat").read_text())["observer_restarts"] == 1,
            3,
            "heartbeat",
        )
        assert run.alive


def test_observer_restart_is_retried_after_a_failure(make, inbox):
    w = make()
    real = w._start_observer
    attempts: list[int] = []

    def flaky() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError(errno.EHOSTDOWN, "Host is down")
        real()

    with Running(w) as run:
        w._start_observer = flaky
        w._observer.stop()
        w._observer.join(timeout=5)
        wait_for(lambda: attempts, 3, "a restart attempt")
        wait_for(lambda: w._observer is not None and w._observer.is_alive(), 1.5, "the observer back")
        assert run.alive


def test_observer_whose_emitter_died_is_restarted(make, inbox):
    w = make(poll=0.2)
    with Running(w):
        # What watchdog's PollingEmitter does when a share drops: DirDeletedEvent, then the emitter stops.
        for emitter in list(w._observer.emitters):
            emitter.stop()
            emitter.join(timeout=5)
        assert w._observer.is_alive()
        time.sleep(0.5)
        drop(inbox, "after.csv", customers_csv(["D-1"]), age=None)
        wait_for(lambda: "after.csv" in archived(today(inbox)), 2.5, "after.csv (rescan is 60 s)")


def test_inbox_briefly_unreachable_does_not_kill_the_watcher(make, inbox, tmp_path):
    w = make(poll=0.2, rescan=0.5)
    with Running(w) as run:
        time.sleep(0.3)
        inbox.rename(tmp_path / "share-away")
        time.sleep(1.0)
        (tmp_path / "share-away").rename(inbox)
        drop(inbox, "back.csv", customers_csv(["U-1"]), age=None)
        wait_for(lambda: "back.csv" in archived(today(inbox)) or not run.alive, 6, "back.csv")
        assert run.alive, f"the watcher died: {run.error!r}"
        assert "back.csv" in archived(today(inbox))


def test_truncated_xlsx_does_not_kill_the_watcher(make, inbox, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["CustomerID", "Name"])
    book.active.append(["X-1", "Truncated"])
    book.save(tmp_path / "full.xlsx")
    data = (tmp_path / "full.xlsx").read_bytes()
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(data[: len(data) // 2]))
    drop(inbox, "half-copied.xlsx", data[: len(data) // 2])
    drop(inbox, "good.csv", customers_csv(["X-2"]))
    w = make()
    with Running(w) as run:
        wait_for(
            lambda: len(archived(today(inbox))) + len(archived(inbox / "failed")) == 2 or not run.alive, 6
        )
        assert run.alive, f"the watcher died: {run.error!r}"
    assert archived(today(inbox)) == ["good.csv"]
    assert archived(inbox / "failed") == ["half-copied.xlsx"]


# ---------------------------------------------------------------------------------------- network shares
@pytest.fixture
def fake_mounts(tmp_path: Path) -> tuple[Path, Path]:
    base = tmp_path.resolve()
    mounts = base / "mounts"
    mounts.write_text(
        "\n".join(
            [
                "/dev/vda / ext4 rw,relatime 0 0",
                "proc /proc proc rw 0 0",
                f"//fileserver/exports {base}/share cifs rw,vers=3.0 0 0",
                f"fileserver:/vol/data {base}/nfs nfs4 rw 0 0",
                f"/dev/vdb {base}/share/local ext4 rw 0 0",
                f"//fileserver/My\\040Docs {base}/with\\040space smb3 rw 0 0",
                "garbage",
            ]
        )
        + "\n"
    )
    return base, mounts


@pytest.mark.parametrize(
    ("where", "kind"),
    [
        ("share/inbox", "cifs"),
        ("share", "cifs"),
        ("nfs/deep/er/inbox", "nfs4"),
        ("share/local/inbox", None),  # a local disk mounted inside the share: the longest mount wins
        ("share2/inbox", None),  # /share is not a prefix of /share2
        ("with space/inbox", "smb3"),
        ("elsewhere/inbox", None),
    ],
)
def test_network_filesystem_from_mounts(fake_mounts, where, kind):
    base, mounts = fake_mounts
    assert network_filesystem(base / where, mounts=mounts) == kind


def test_network_filesystem_without_proc_mounts(tmp_path):
    assert network_filesystem(tmp_path, mounts=tmp_path / "no-such-mounts") is None


def test_inbox_on_a_share_polls_automatically(fake_mounts, cfg, monkeypatch):
    base, mounts = fake_mounts
    monkeypatch.setattr(watch, "network_filesystem", functools.partial(network_filesystem, mounts=mounts))
    inbox = base / "share" / "inbox"
    inbox.mkdir(parents=True)
    settings = load_settings(cfg)
    w = Watcher(inbox=inbox, outbox=base / "outbox", settings=settings, **FAST)
    assert (w.network, w.poll) == ("cifs", 5.0)
    with Running(w):
        assert isinstance(w._observer, PollingObserver)
    assert json.loads((base / "outbox" / ".heartbeat").read_text())["mode"] == "polling every 5 s"
    explicit = Watcher(inbox=inbox, outbox=base / "outbox", settings=settings, poll=0.5)
    assert explicit.poll == 0.5
    local = Watcher(inbox=base / "share" / "local" / "inbox", outbox=base / "o", settings=settings)
    assert (local.network, local.poll) == (None, None)


def test_share_detected_before_the_inbox_exists(fake_mounts, cfg, monkeypatch):
    base, mounts = fake_mounts
    monkeypatch.setattr(watch, "network_filesystem", functools.partial(network_filesystem, mounts=mounts))
    w = Watcher(inbox=base / "share" / "new-inbox", outbox=base / "outbox", settings=load_settings(cfg))
    assert (w.network, w.poll) == ("cifs", 5.0)


# ---------------------------------------------------------------------------------------- lock
def test_lock_file_holds_our_pid_and_is_released(make, inbox):
    w = make()
    w.acquire()
    assert (inbox / LOCK_NAME).read_text() == str(os.getpid())
    assert all((inbox / sub).is_dir() for sub in ("processing", "processed", "failed"))
    w.release()
    assert not (inbox / LOCK_NAME).exists()


def test_second_watcher_on_the_same_inbox_is_refused(make, inbox):
    other = subprocess.Popen(["sleep", "30"])
    try:
        (inbox / LOCK_NAME).write_text(str(other.pid))
        w = make()
        with pytest.raises(WatcherBusy, match=rf"Another watcher \(PID {other.pid}\) already watches"):
            w.acquire()
        assert (inbox / LOCK_NAME).read_text() == str(other.pid)  # not touched
        w.release()  # never held: must not remove the other's lock
        assert (inbox / LOCK_NAME).read_text() == str(other.pid)
    finally:
        other.kill()
        other.wait()


@pytest.mark.parametrize("content", ["dead", "", "not a pid"])
def test_stale_lock_is_taken_over(make, inbox, content):
    (inbox / LOCK_NAME).write_text(str(dead_pid()) if content == "dead" else content)
    w = make()
    w.acquire()
    assert (inbox / LOCK_NAME).read_text() == str(os.getpid())
    w.release()


def test_second_watcher_in_the_same_process_is_refused(make):
    first, second = make(), make()
    first.acquire()
    try:
        with pytest.raises(WatcherBusy):
            second.acquire()
    finally:
        first.release()


# ---------------------------------------------------------------------------------------- heartbeat
def test_heartbeat_has_time_and_counts(make, inbox, outbox):
    w = make()
    drop(inbox, "fine.csv", customers_csv(["H-1"]))
    drop(inbox, "broken.csv", (FIXTURES / "not-a-csv.bin").read_bytes())
    beat = outbox / ".heartbeat"
    with Running(w):
        wait_for(lambda: archived(today(inbox)) and archived(inbox / "failed"), 10, "both files")

        def counted() -> bool:
            data = json.loads(beat.read_text())
            return (data["processed"], data["failed"]) == (1, 1)

        wait_for(counted, 3, "the heartbeat to count both")
        first = json.loads(beat.read_text())["time"]
        wait_for(lambda: json.loads(beat.read_text())["time"] != first, 3, "a fresh heartbeat")
    data = json.loads(beat.read_text())
    assert set(data) == {
        "time",
        "pid",
        "inbox",
        "mode",
        "started",
        "processed",
        "failed",
        "observer_restarts",
        "in_hand",
        "problems",
    }
    assert (data["in_hand"], data["problems"]) == (None, {})
    when = dt.datetime.fromisoformat(data["time"])
    assert when.tzinfo is not None
    assert abs((dt.datetime.now(dt.UTC) - when).total_seconds()) < 30
    assert dt.datetime.fromisoformat(data["started"]) <= when
    assert (data["pid"], data["inbox"], data["mode"]) == (os.getpid(), str(inbox), "native events")
    assert (data["processed"], data["failed"], data["observer_restarts"]) == (1, 1, 0)
    assert not (outbox / ".heartbeat.tmp").exists()


# ---------------------------------------------------------------------------------------- recovery
def test_start_up_recovery_finishes_processing_and_removes_orphans(make, inbox, outbox):
    w = make()
    w.acquire()
    w.release()
    drop(inbox / "processing", "left.csv", customers_csv(["REC-1"]))
    dead, other = dead_pid(), subprocess.Popen(["sleep", "30"])
    try:
        to_sage = outbox / "to-sage50"
        orphan = to_sage / f".tmp-{dead}-20261125-141502-customers-0badc0de"
        busy = to_sage / f".tmp-{other.pid}-20261125-141503-customers-5eedf00d"
        junk = to_sage / ".tmp-nopid"
        for folder in (orphan, busy, junk):
            folder.mkdir(parents=True)
            (folder / "CUSTOMER.CSV").write_text("half")
        done = to_sage / "20261124-090000-customers"
        done.mkdir()
        [result] = w.recover()
        assert result.status == "converted"
        assert not orphan.exists() and not junk.exists()
        assert busy.is_dir()  # another converter, still alive, is writing it
        assert done.is_dir()
    finally:
        other.kill()
        other.wait()
    assert list((inbox / "processing").iterdir()) == []
    assert archived(today(inbox)) == ["left.csv"]
    assert result_json(today(inbox), "left.csv")["rows_in"] == 1


KILL_SCRIPT = r"""
import sys, time
from pathlib import Path
import converter.io.batches
from converter.pipeline.convert import convert_file
from converter.core.settings import load_settings
from converter.watch.watcher import Watcher

inbox, outbox, cfg, marker, stage = sys.argv[1:6]

def hang():
    Path(marker).write_text("in hand")
    time.sleep(120)

if stage == "mid-batch":  # the batch's temporary folder is written, not yet renamed into place
    converter.io.batches.Batch.names = lambda self, *a, **k: hang()

def convert(path, **kwargs):
    if stage == "before":
        hang()
    result = convert_file(path, **kwargs)
    if stage == "after":  # the batch is in the outbox, the input not yet archived
        hang()
    return result

w = Watcher(inbox=Path(inbox), outbox=Path(outbox), settings=load_settings(Path(cfg)),
            settle=0.3, check=0.1, convert=convert)
w.acquire()
w.run()
"""


def test_kill_9_during_a_conversion_then_restart_loses_and_duplicates_nothing(tmp_path):
    stages = ("before", "mid-batch", "after")
    ids = [f"K-{i:02d}" for i in range(12)]
    text = customers_csv(ids)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    procs = {}
    try:
        for stage in stages:  # the three crashes run side by side, each in its own folder
            base = tmp_path / stage
            (base / "inbox").mkdir(parents=True)
            (base / "bizops-sage50.toml").write_text(CONFIG, encoding="utf-8")
            drop(base / "inbox", "customers.csv", text)
            args = [str(base / p) for p in ("inbox", "outbox", "bizops-sage50.toml", "marker")]
            procs[stage] = subprocess.Popen(
                [sys.executable, "-c", KILL_SCRIPT, *args, stage], cwd=base, env=env, stderr=subprocess.PIPE
            )
        for stage, proc in procs.items():
            base = tmp_path / stage
            wait_for(
                lambda b=base, p=proc: (b / "marker").exists() or p.poll() is not None, 30, f"{stage} in hand"
            )
            assert proc.poll() is None, proc.stderr.read().decode()
            assert (base / "inbox" / "processing" / "customers.csv").is_file()
            outbox = base / "outbox"
            expected = {"before": (0, 0), "mid-batch": (0, 1), "after": (1, 0)}[stage]
            assert (len(batch_dirs(outbox)), len(tmp_dirs(outbox))) == expected, stage
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            assert proc.returncode == -signal.SIGKILL
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()

    for stage in stages:
        base = tmp_path / stage
        inbox, outbox = base / "inbox", base / "outbox"
        assert (inbox / LOCK_NAME).is_file()  # left by the dead process
        settings = load_settings(base / "bizops-sage50.toml")
        w = Watcher(inbox=inbox, outbox=outbox, settings=settings, **FAST)
        with Running(w) as run:  # the stale lock is taken over
            wait_for(lambda i=inbox: archived(today(i)), 10, f"{stage}: the file finished")
            assert run.alive
        assert archived(today(inbox)) == ["customers.csv"], stage  # exactly once
        assert list((inbox / "processing").iterdir()) == [], stage
        assert archived(inbox / "failed") == [], stage
        assert archived(inbox) == [], stage
        assert tmp_dirs(outbox) == [], stage
        [batch] = batch_dirs(outbox)
        assert sorted(sent_ids(outbox)) == ids, stage
        result = result_json(today(inbox), "customers.csv")
        assert result["status"] == ("already-processed" if stage == "after" else "converted"), stage
        if stage != "after":
            assert result["batch"] == batch.name
        ledger = Ledger.for_settings(settings)
        assert ledger.batch(batch.name)["state"] == "recorded", stage
        # Every run is in the history: a run killed after its batch was recorded, then the rerun.
        runs = ["converted", "already-processed"] if stage == "after" else ["converted"]
        assert [h["outcome"] for h in ledger.history()] == runs, stage
        ledger.close()


def test_run_once_processes_what_is_waiting_and_returns(make, inbox, outbox):
    w = make(settle=0.0, check=0.05)
    drop(inbox, "a.csv", customers_csv(["O-1"]))
    drop(inbox, "b.csv", customers_csv(["O-2"]))
    results = w.run_once()
    assert sorted(r.status for r in results) == ["converted", "converted"]
    assert archived(today(inbox)) == ["a.csv", "b.csv"]
    assert json.loads((outbox / ".heartbeat").read_text())["processed"] == 2
    assert w.run_once() == []
