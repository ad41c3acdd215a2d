"""The approval gate: pending → approve (ready) or reject (un-sent), and the list of batches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from converter.core.errors import UsageError
from converter.core.settings import load_settings
from converter.pipeline.convert import convert_file
from converter.review.approval import approve_batch, list_batches, reject_batch, review_batch
from converter.sync.ledger import Ledger
from converter.watch.watcher import Watcher
from tests.conftest import drop

HEAD = "CustomerID,Name,City\n"
GATE = "[review]\nrequire_approval = true\n"


def setup(tmp_path: Path, config: str = GATE):
    (tmp_path / "bizops-sage50.toml").write_text(config, encoding="utf-8")
    return load_settings(tmp_path / "bizops-sage50.toml")


def convert(tmp_path: Path, settings, name: str = "customers.csv", text: str = HEAD + "C-1,Alpha,Boston\n"):
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = convert_file(tmp_path / name, settings=settings, outbox=tmp_path / "outbox")
    assert result.batch, result.issues
    return result


def test_without_the_gate_batches_land_in_the_outbox_and_are_written(tmp_path):
    settings = setup(tmp_path, config="")
    result = convert(tmp_path, settings)
    assert (tmp_path / "outbox" / "to-sage50" / result.batch / "CUSTOMER.CSV").is_file()
    [row] = list_batches(settings)
    assert (row["batch"], row["state"], row["records"]) == (result.batch, "written", 1)
    with pytest.raises(UsageError, match="require_approval"):
        approve_batch(settings, result.batch, outbox=tmp_path / "outbox")


def test_with_the_gate_a_batch_waits_in_pending(tmp_path):
    settings = setup(tmp_path)
    result = convert(tmp_path, settings)
    folder = tmp_path / "outbox" / "pending" / "to-sage50" / result.batch
    assert (folder / "CUSTOMER.CSV").is_file() and (folder / "review.xlsx").is_file()
    assert not (tmp_path / "outbox" / "to-sage50").exists()
    [row] = list_batches(settings)
    assert row["state"] == "awaiting approval" and row["path"] == str(folder)
    assert review_batch(settings, result.batch, outbox=tmp_path / "outbox")["state"] == "awaiting approval"


def test_approve_moves_the_batch_to_ready_and_records_who_when_and_the_hash(tmp_path):
    settings = setup(tmp_path)
    result = convert(tmp_path, settings)
    pending = tmp_path / "outbox" / "pending" / "to-sage50" / result.batch
    written = json.loads((pending / "manifest.json").read_text())
    done = approve_batch(settings, result.batch, outbox=tmp_path / "outbox", by="alice")
    ready = tmp_path / "outbox" / "ready" / "to-sage50" / result.batch
    assert done["folder"] == str(ready) and not pending.exists()
    assert (ready / "CUSTOMER.CSV").is_file()
    row = Ledger.for_settings(settings).batch(result.batch)
    assert (row["review"], row["reviewed_by"]) == ("approved", "alice")
    assert row["reviewed_at"] and row["hash"] == written["batch_sha256"] == done["batch_sha256"]
    manifest = json.loads((ready / "manifest.json").read_text())
    assert manifest["review_decision"]["approved_by"] == "alice"
    assert all(p.startswith(str(ready)) for p in manifest["outputs"])
    assert [r["state"] for r in list_batches(settings)] == ["approved"]
    assert list_batches(settings, state="awaiting approval") == []
    assert [r["batch"] for r in list_batches(settings, state="approved")] == [result.batch]
    with pytest.raises(UsageError, match="approved by alice"):
        approve_batch(settings, result.batch, outbox=tmp_path / "outbox")


def test_a_batch_changed_after_it_was_written_is_not_approved(tmp_path):
    settings = setup(tmp_path)
    result = convert(tmp_path, settings)
    pending = tmp_path / "outbox" / "pending" / "to-sage50" / result.batch
    with (pending / "CUSTOMER.CSV").open("a", encoding="cp1252") as fh:
        fh.write("C-9,Sneaked In\r\n")
    with pytest.raises(UsageError, match=r"changed since it was written \(CUSTOMER.CSV\)"):
        approve_batch(settings, result.batch, outbox=tmp_path / "outbox")
    assert pending.is_dir()
    assert list_batches(settings)[0]["state"] == "awaiting approval"


def test_reject_unsends_the_records_and_keeps_the_batch_with_the_reason(tmp_path):
    settings = setup(tmp_path)
    result = convert(tmp_path, settings)
    done = reject_batch(settings, result.batch, outbox=tmp_path / "outbox", reason="wrong city", by="bob")
    rejected = tmp_path / "outbox" / "rejected" / "to-sage50" / result.batch
    assert done == {
        "batch": result.batch,
        "state": "rejected",
        "by": "bob",
        "reason": "wrong city",
        "records": 1,
        "folder": str(rejected),
    }
    assert "wrong city" in (rejected / "REJECTED.txt").read_text()
    assert Ledger.for_settings(settings).sent("customers", "sage50", ["C-1"]) == {}
    [row] = list_batches(settings)
    assert (row["state"], row["reviewed_by"], row["reason"]) == ("rejected", "bob", "wrong city")
    # Un-sent: the same export converts again, into a new pending batch.
    again = convert_file(tmp_path / "customers.csv", settings=settings, outbox=tmp_path / "outbox")
    assert again.status == "converted" and again.records_out == 1 and again.batch != result.batch


def test_reject_needs_a_reason_and_a_pending_batch(tmp_path):
    settings = setup(tmp_path)
    result = convert(tmp_path, settings)
    with pytest.raises(UsageError, match="--reason"):
        reject_batch(settings, result.batch, outbox=tmp_path / "outbox", reason="  ")
    approve_batch(settings, result.batch, outbox=tmp_path / "outbox")
    with pytest.raises(UsageError, match="forget"):
        reject_batch(settings, result.batch, outbox=tmp_path / "outbox", reason="late")
    with pytest.raises(UsageError, match="No batch named"):
        approve_batch(settings, "nope", outbox=tmp_path / "outbox")


def test_review_finds_a_batch_by_folder_path_too(tmp_path):
    settings = setup(tmp_path, config="")
    result = convert(tmp_path, settings)
    folder = tmp_path / "outbox" / "to-sage50" / result.batch
    got = review_batch(settings, str(folder), outbox=tmp_path / "elsewhere")
    assert got["batch"] == result.batch and got["workbook"] == str(folder / "review.xlsx")
    with pytest.raises(UsageError, match="batches"):
        review_batch(settings, "20990101-000000-customers", outbox=tmp_path / "outbox")


def test_the_watcher_puts_batches_in_pending_and_cleans_orphans_there(tmp_path):
    settings = setup(tmp_path)
    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    inbox.mkdir()
    orphan = outbox / "pending" / "to-sage50" / ".tmp-999999999-20260101-000000-customers-abcd"
    orphan.mkdir(parents=True)
    drop(inbox, "customers.csv", HEAD + "C-1,Alpha,Boston\n")
    watcher = Watcher(inbox=inbox, outbox=outbox, settings=settings, settle=0, check=0)
    watcher.acquire()
    try:
        watcher.recover()
        results = watcher.run_once()
    finally:
        watcher.release()
    assert not orphan.exists()
    assert [r.status for r in results] == ["converted"]
    assert list((outbox / "pending" / "to-sage50").glob("*-customers"))
