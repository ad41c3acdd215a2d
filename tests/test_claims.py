"""Two or more converters sharing one ledger: every document lands in exactly one import file."""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from converter.admin.project import history
from converter.core.settings import load_settings
from converter.pipeline import write as pipeline_mod  # the write stage claims the batch
from converter.pipeline.convert import convert_file
from converter.review.approval import list_batches
from converter.sync import claims
from converter.sync.ledger import Ledger
from tests.conftest import SAGE50_ACCOUNTS, SAMPLES

INVOICES = "InvoiceNumber,DocumentType,InvoiceDate,CustomerID,Status,SyncedAt,LineNumber,SKU,Description,Quantity,UnitPrice,Amount,GLAccount\n"


def invoice(n: int) -> str:
    return f"INV-{n},Invoice,2026-06-02,C-{n},Finalized,,1,SKU-A,Widget,2,10.00,20.00,40000\n"


def sample_site(folder: Path) -> tuple[Path, Path]:
    """The sample company's config and its invoices file (five invoices and credit memos)."""
    folder.mkdir(parents=True)
    shutil.copy(SAMPLES / "bizops-sage50.toml", folder / "bizops-sage50.toml")
    shutil.copy(SAMPLES / "bizops" / "invoices.csv", folder / "invoices.csv")
    return folder / "bizops-sage50.toml", folder / "invoices.csv"


def documents_by_file(outbox: Path) -> dict[str, list[str]]:
    """Batch name → the document numbers its SALES.CSV holds."""
    out = {}
    for sales in sorted(outbox.glob("to-sage50/*/SALES.CSV")):
        rows = csv.DictReader(io.StringIO(sales.read_bytes().decode("cp1252")))
        out[sales.parent.name] = sorted({row["Invoice/CM #"] for row in rows})
    return out


def _convert_in_child(config: str, path: str, barrier, queue) -> None:
    settings = load_settings(Path(config))
    barrier.wait(timeout=60)  # every converter starts at the same moment
    result = convert_file(Path(path), settings=settings, outbox=settings.base_dir / "outbox")
    queue.put((os.getpid(), result.status, result.batch))


def race(config: Path, paths: list[Path]) -> list[tuple[int, str, str | None]]:
    """Convert ``paths`` at once, one separate process each, on the ledger of ``config``."""
    ctx = multiprocessing.get_context("fork")  # separate processes, each with its own SQLite connection
    barrier, queue = ctx.Barrier(len(paths)), ctx.Queue()
    procs = [ctx.Process(target=_convert_in_child, args=(str(config), str(p), barrier, queue)) for p in paths]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    assert [proc.exitcode for proc in procs] == [0] * len(procs)
    return results


@pytest.mark.parametrize("trial", range(10))
def test_converters_on_the_same_file_at_once_send_each_document_once(tmp_path, trial):
    config, invoices = sample_site(tmp_path / "site")
    results = race(config, [invoices] * (2 + trial % 2))  # two or three converters
    statuses = Counter(status for _, status, _ in results)
    assert statuses == {"converted": 1, "already-processed": len(results) - 1}, results
    docs = documents_by_file(tmp_path / "site" / "outbox")
    [(batch, numbers)] = docs.items()  # one import file, holding every document
    assert len(numbers) == 5
    settings = load_settings(config)
    [row] = list_batches(settings)
    assert (row["batch"], row["records"]) == (batch, 5)
    runs = history(settings)  # every run: the one that converted, the others already processed
    [entry] = [r for r in runs if r["outcome"] == "converted"]
    assert (entry["batch"], entry["records"]) == (batch, 5)
    assert sorted(r["outcome"] for r in runs if r is not entry) == ["already-processed"] * (len(results) - 1)


def test_overlapping_files_at_once_send_each_document_once(tmp_path):
    """Different files (different hashes) sharing documents: each document goes in one import file."""
    site = tmp_path / "site"
    site.mkdir()
    config = site / "bizops-sage50.toml"
    config.write_text(SAGE50_ACCOUNTS, encoding="utf-8")
    files = []
    for i, numbers in enumerate(((1, 2, 3, 4), (3, 4, 5, 6), (1, 4, 6, 7))):
        files.append(site / f"part{i}.csv")
        files[-1].write_text(INVOICES + "".join(invoice(n) for n in numbers), encoding="utf-8")
    for trial in range(3):
        shutil.rmtree(site / "outbox", ignore_errors=True)
        shutil.rmtree(site / ".bizops-sage50", ignore_errors=True)
        results = race(config, files)
        assert {status for _, status, _ in results} <= {"converted"}, results
        docs = documents_by_file(site / "outbox")
        everywhere = Counter(n for numbers in docs.values() for n in numbers)
        assert everywhere == Counter({f"INV-{n}": 1 for n in range(1, 8)}), (trial, docs)
        batches = {row["batch"]: row["records"] for row in list_batches(load_settings(config))}
        assert batches == {name: len(numbers) for name, numbers in docs.items()}


def test_a_converter_that_loses_the_claim_reports_already_processed(tmp_path, monkeypatch):
    """Deterministic: the other converter finishes between this one's reading and its claim."""
    config, invoices = sample_site(tmp_path / "site")
    settings = load_settings(config)
    outbox = tmp_path / "site" / "outbox"
    real, theirs = claims.claim_batch, []

    def claim(ledger, **kw):
        if not theirs:  # once: the other converter claims nothing in between
            theirs.append(None)
            theirs[0] = convert_file(invoices, settings=settings, outbox=outbox)
        return real(ledger, **kw)

    monkeypatch.setattr(pipeline_mod, "claim_batch", claim)
    mine = convert_file(invoices, settings=settings, outbox=outbox)
    assert theirs[0].status == "converted"
    assert mine.status == "already-processed" and mine.batch is None
    assert {i.code for i in mine.issues} == {"same-file"}
    assert list(documents_by_file(outbox)) == [theirs[0].batch]
    assert not list(outbox.glob("to-*/.tmp-*"))


def test_overlapping_documents_lost_to_another_converter_are_skipped_as_duplicates(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    settings = load_settings(_write(site / "bizops-sage50.toml", SAGE50_ACCOUNTS))
    outbox = site / "outbox"
    mine = _write(site / "mine.csv", INVOICES + invoice(1) + invoice(2))
    other = _write(site / "other.csv", INVOICES + invoice(2) + invoice(3))
    real, theirs = claims.claim_batch, []

    def claim(ledger, **kw):
        if not theirs:  # once: the other converter claims nothing in between
            theirs.append(None)
            theirs[0] = convert_file(other, settings=settings, outbox=outbox)
        return real(ledger, **kw)

    monkeypatch.setattr(pipeline_mod, "claim_batch", claim)
    result = convert_file(mine, settings=settings, outbox=outbox)
    assert result.status == "converted" and "duplicate-document" in {i.code for i in result.issues}
    assert documents_by_file(outbox) == {theirs[0].batch: ["INV-2", "INV-3"], result.batch: ["INV-1"]}


def test_a_claim_lost_every_time_fails_the_file_and_writes_nothing(tmp_path, monkeypatch):
    config, invoices = sample_site(tmp_path / "site")
    calls = []

    def always_lost(ledger, **kw):
        calls.append(kw["batch"])
        raise claims.ClaimConflict("another converter sent INV-10420 meanwhile")

    monkeypatch.setattr(pipeline_mod, "claim_batch", always_lost)
    outbox = tmp_path / "site" / "outbox"
    result = convert_file(invoices, settings=load_settings(config), outbox=outbox)
    assert result.status == "failed" and result.batch is None and result.outputs == []
    assert [i.code for i in result.issues if i.severity == "error"] == ["claim-conflict"]
    assert len(calls) == claims.CLAIM_ATTEMPTS
    assert not [p for p in outbox.rglob("*") if p.is_file()]
    # The failed run is in the history, with its reason; no file is remembered as processed.
    [run] = Ledger.for_settings(load_settings(config)).history()
    assert (run["outcome"], run["batch"]) == ("failed", None) and "other converters" in run["reason"]
    assert (
        Ledger.for_settings(load_settings(config)).seen_file(result.sha256, "bizops-to-sage50/invoices@1.0.0")
        is None
    )


def test_batches_count_what_the_import_file_holds_after_a_later_update(tmp_path):
    """A record re-sent later (changed) still counts in the first batch, whose file holds it."""
    settings = load_settings(None, cwd=tmp_path)
    head = "CustomerID,Name,City\n"
    first = convert_file(_write(tmp_path / "c1.csv", head + "C-1,Alpha,Boston\nC-2,Beta,Boston\n"),
                         settings=settings, outbox=tmp_path / "outbox")  # fmt: skip
    second = convert_file(_write(tmp_path / "c2.csv", head + "C-1,Alpha,Salem\nC-2,Beta,Boston\n"),
                          settings=settings, outbox=tmp_path / "outbox")  # fmt: skip
    counts = {row["batch"]: row["records"] for row in list_batches(settings)}
    assert counts == {first.batch: 2, second.batch: 1}
    assert {r["file"]: r["records"] for r in history(settings)} == {"c1.csv": 2, "c2.csv": 1}


def test_two_cli_converters_at_once_exit_0_and_write_one_batch(tmp_path):
    """The real command, twice at once: one converts, the other says the file was already processed."""
    config, invoices = sample_site(tmp_path / "site")
    exe = Path(sys.executable).with_name("bizops-sage50")
    cmd = [str(exe), "convert", str(invoices), "--config", str(config), "--outbox", "outbox"]
    procs = [subprocess.Popen(cmd, cwd=config.parent, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    assert len(documents_by_file(config.parent / "outbox")) == 1
    assert sum("already-processed" in out for out in outputs) == 1, outputs


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
