"""Ledger and Catalog on their own: staging and finishing batches, forgetting, reconciling after a crash,
files seen, confirmations and drift, and the reports behind `history` and `status`."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import converter.sync.ledger as ledger_mod
from converter.core.settings import load_settings
from converter.sync.catalog import Catalog, ledger_path
from converter.sync.ledger import Ledger, fingerprint


@pytest.fixture
def ledger(tmp_path):
    led = Ledger(tmp_path / "state" / "ledger.db")
    yield led
    led.close()


def rec(rid: str, **data: str) -> tuple[str, str, dict[str, str]]:
    return (rid, fingerprint(data), data)


def stage(ledger: Ledger, batch: str, folder: Path, *records, entity="customers", target="sage50") -> Path:
    path = folder / batch
    ledger.stage_batch(
        batch=batch,
        path=path,
        direction="bizops-to-sage50",
        entity=entity,
        source="customers.csv",
        sha256="ab" * 32,
        records=list(records),
        target=target,
    )
    return path


def sent_one(ledger: Ledger, rid: str, entity="customers", target="sage50"):
    return ledger.sent(entity, target, [rid]).get(rid.casefold())


def days_ago(n: float) -> str:
    return (dt.datetime.now().astimezone() - dt.timedelta(days=n)).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------- basics
def test_fingerprint_is_stable_and_order_free():
    assert fingerprint({"a": "1", "b": "2"}) == fingerprint({"b": "2", "a": "1"})
    assert fingerprint({"a": "1", "b": "2"}) != fingerprint({"a": "1", "b": "3"})
    assert fingerprint({"a": "1"}) != fingerprint({"a": "1", "b": ""})
    assert len(fingerprint({})) == 16


def test_a_ledger_that_does_not_exist_answers_empty_without_creating_it(ledger):
    assert ledger.sent("customers", "sage50", ["C-1"]) == {}
    assert ledger.seen_file("00" * 32, "t@1") is None
    assert ledger.history() == [] and ledger.status(unconfirmed_days=7) == []
    assert ledger.overdue(unconfirmed_days=7) == [] and ledger.drift() == []
    assert ledger.reconcile() == [] and ledger.batch("x") is None
    assert ledger.confirm("customers", "sage50", {"c-1": {}}) == (0, [])
    assert not ledger.path.exists() and not ledger.path.parent.exists()


def test_the_ledger_uses_wal_mode(ledger, tmp_path):
    ledger.record_file(sha256="00" * 32, template="t@1", name="a.csv", size=1, entity="customers",
                       direction="bizops-to-sage50", outcome="converted", batch=None)  # fmt: skip
    with sqlite3.connect(ledger.path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert ledger.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_the_catalog_shares_the_ledger_file_and_its_wal_mode(tmp_path):
    settings = load_settings(None, cwd=tmp_path)
    assert ledger_path(settings) == tmp_path.resolve() / ".bizops-sage50" / "ledger.db"
    catalog = Catalog.for_settings(settings)
    catalog.record("sage50", "customers", [("C-1", {"name": "Alpha"})], source="CUSTOMER.CSV")
    catalog.close()
    with sqlite3.connect(ledger_path(settings)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert Ledger.for_settings(settings).path == catalog.path


# ---------------------------------------------------------------------------------------- stage / finish
def test_staged_records_are_pending_then_recorded(ledger, tmp_path):
    path = stage(ledger, "b1", tmp_path, rec("C-1", name="Alpha"), rec("c-2", name="Beta"))
    assert ledger.batch("b1") == {
        "batch": "b1",
        "path": str(path),
        "direction": "bizops-to-sage50",
        "entity": "customers",
        "source": "customers.csv",
        "sha256": "ab" * 32,
        "created_at": ledger.batch("b1")["created_at"],
        "state": "pending",
        "hash": None,
        "review": None,
        "reviewed_by": None,
        "reviewed_at": None,
        "review_note": None,
    }
    # Pending records already count as sent: nobody sends them twice while the batch is written.
    got = ledger.sent("customers", "sage50", ["c-1", "C-2", "C-3"])
    assert set(got) == {"c-1", "c-2"}
    assert (got["c-1"].id, got["c-1"].data, got["c-1"].batch) == ("C-1", {"name": "Alpha"}, "b1")
    assert got["c-2"].id == "c-2" and got["c-1"].confirmed_at is None
    assert ledger.status(unconfirmed_days=7) == []  # only recorded batches are reported
    ledger.finish_batch("b1")
    assert ledger.batch("b1")["state"] == "recorded"
    assert [r["sent"] for r in ledger.status(unconfirmed_days=7)] == [2]


def test_sent_is_per_entity_and_target(ledger, tmp_path):
    stage(ledger, "b1", tmp_path, rec("C-1", name="A"))
    stage(ledger, "b2", tmp_path, rec("C-1", limit="5"), entity="credit_limits", target="bizops")
    assert sent_one(ledger, "C-1").data == {"name": "A"}
    assert sent_one(ledger, "C-1", "credit_limits", "bizops").data == {"limit": "5"}
    assert ledger.sent("customers", "bizops", ["C-1"]) == {}


def test_sent_handles_many_keys(ledger, tmp_path):
    stage(ledger, "b1", tmp_path, *(rec(f"C-{i}", n=str(i)) for i in range(1200)))
    got = ledger.sent("customers", "sage50", (f"C-{i}" for i in range(1200)))
    assert len(got) == 1200 and got["c-1199"].data == {"n": "1199"}


def test_finish_batch_touches_only_pending_batches(ledger, tmp_path):
    stage(ledger, "b1", tmp_path, rec("C-1", name="A"))
    ledger.drop_batch("b1")
    ledger.finish_batch("b1")
    assert ledger.batch("b1")["state"] == "forgotten"


def test_a_new_version_replaces_the_old_and_clears_confirmation(ledger, tmp_path):
    stage(ledger, "b1", tmp_path, rec("C-1", name="A"))
    ledger.finish_batch("b1")
    ledger.confirm("customers", "sage50", {"c-1": {"name": "Z"}})
    stage(ledger, "b2", tmp_path, rec("C-1", name="B"))
    ledger.finish_batch("b2")
    now = sent_one(ledger, "C-1")
    assert (now.data, now.batch, now.confirmed_at) == ({"name": "B"}, "b2", None)
    assert ledger.drift() == []


# ---------------------------------------------------------------------------------------- drop / forget
def test_dropping_a_batch_deletes_its_new_records(ledger, tmp_path):
    stage(ledger, "b1", tmp_path, rec("C-1", name="A"), rec("C-2", name="B"))
    ledger.finish_batch("b1")
    assert ledger.drop_batch("b1") == 2
    assert ledger.sent("customers", "sage50", ["C-1", "C-2"]) == {}
    assert ledger.batch("b1")["state"] == "forgotten"


def test_dropping_a_batch_brings_the_earlier_version_back(ledger, tmp_path):
    stage(ledger, "b1", tmp_path, rec("C-1", name="A"))
    ledger.finish_batch("b1")
    ledger.confirm("customers", "sage50", {"c-1": {"name": "A"}})
    confirmed_at = sent_one(ledger, "C-1").confirmed_at
    stage(ledger, "b2", tmp_path, rec("C-1", name="B"), rec("C-2", name="new"))
    ledger.finish_batch("b2")
    stage(ledger, "b3", tmp_path, rec("C-1", name="C"))
    ledger.finish_batch("b3")

    assert ledger.drop_batch("b3") == 1
    back = sent_one(ledger, "C-1")
    assert (back.data, back.batch, back.fingerprint) == ({"name": "B"}, "b2", fingerprint({"name": "B"}))
    assert ledger.drop_batch("b2") == 2
    back = sent_one(ledger, "C-1")
    assert (back.data, back.batch, back.confirmed_at) == ({"name": "A"}, "b1", confirmed_at)
    assert sent_one(ledger, "C-2") is None


def test_sent_ignores_records_of_forgotten_batches(ledger, tmp_path):
    stage(ledger, "b1", tmp_path, rec("C-1", name="A"))
    ledger.finish_batch("b1")
    stage(ledger, "b2", tmp_path, rec("C-1", name="B"))
    ledger.finish_batch("b2")
    ledger.drop_batch("b1")  # b2 holds C-1 now: nothing of b1 is left to undo
    assert sent_one(ledger, "C-1").batch == "b2"
    ledger.drop_batch("b2")  # the earlier version is b1's, and b1 is forgotten
    assert sent_one(ledger, "C-1") is None
    assert ledger.status(unconfirmed_days=0) == []


def test_forgotten_batch_rows_left_behind_are_not_sent(ledger, tmp_path):
    stage(ledger, "b1", tmp_path, rec("C-1", name="A"))
    with ledger.conn:
        ledger.conn.execute("UPDATE batches SET state='forgotten' WHERE batch='b1'")
    assert ledger.sent("customers", "sage50", ["C-1"]) == {}


# ---------------------------------------------------------------------------------------- reconcile
def test_a_batch_name_is_reserved_once(ledger, tmp_path):
    stage(ledger, "b1", tmp_path, rec("C-1", name="A"))
    stage(ledger, "b1", tmp_path, rec("C-2", name="B"))  # the same converter may add to its own pending batch
    assert set(ledger.sent("customers", "sage50", ["C-1", "C-2"])) == {"c-1", "c-2"}
    ledger.finish_batch("b1")
    with pytest.raises(FileExistsError):
        stage(ledger, "b1", tmp_path, rec("C-3", name="C"))
    stage(ledger, "b2", tmp_path, rec("C-4", name="D"))
    ledger.drop_batch("b2")
    with pytest.raises(FileExistsError):  # a forgotten name is not reused either
        stage(ledger, "b2", tmp_path, rec("C-5", name="E"))
    assert ledger.sent("customers", "sage50", ["C-3", "C-5"]) == {}


def test_a_name_staged_by_another_converter_is_taken(ledger, tmp_path):
    stage(ledger, "b1", tmp_path, rec("C-1", name="A"))
    with ledger.conn:
        ledger.conn.execute("UPDATE batches SET pid=? WHERE batch='b1'", (os.getppid(),))
    with pytest.raises(FileExistsError):
        stage(ledger, "b1", tmp_path, rec("C-2", name="B"))
    assert sent_one(ledger, "C-2") is None


def test_reconcile_leaves_the_pending_batch_of_a_live_converter_alone(ledger, tmp_path):
    stage(ledger, "live", tmp_path, rec("C-1", name="A"))
    stage(ledger, "dead", tmp_path, rec("C-2", name="B"))
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with ledger.conn:
        ledger.conn.execute("UPDATE batches SET pid=? WHERE batch='live'", (os.getppid(),))
        ledger.conn.execute("UPDATE batches SET pid=? WHERE batch='dead'", (child.pid,))
    assert ledger.reconcile() == ["dead"]
    assert ledger.batch("live")["state"] == "pending" and ledger.batch("dead")["state"] == "forgotten"
    assert set(ledger.sent("customers", "sage50", ["C-1", "C-2"])) == {"c-1"}


def test_reconcile_keeps_pending_batches_whose_folder_exists_and_drops_the_rest(ledger, tmp_path):
    kept = stage(ledger, "kept", tmp_path, rec("C-1", name="A"))
    kept.mkdir()
    stage(ledger, "lost", tmp_path, rec("C-2", name="B"))
    done = stage(ledger, "done", tmp_path, rec("C-3", name="C"))
    ledger.finish_batch("done")
    assert not done.exists()  # a recorded batch is left alone even if its folder was moved away

    assert sorted(ledger.reconcile()) == ["kept", "lost"]
    assert [ledger.batch(b)["state"] for b in ("kept", "lost", "done")] == [
        "recorded",
        "forgotten",
        "recorded",
    ]
    assert set(ledger.sent("customers", "sage50", ["C-1", "C-2", "C-3"])) == {"c-1", "c-3"}
    assert ledger.reconcile() == []


def test_reconcile_of_a_lost_update_restores_the_version_before(ledger, tmp_path):
    stage(ledger, "b1", tmp_path, rec("C-1", name="A")).mkdir()
    ledger.finish_batch("b1")
    stage(ledger, "b2", tmp_path, rec("C-1", name="B"))  # crash: its folder never appeared
    assert ledger.reconcile() == ["b2"]
    assert sent_one(ledger, "C-1").data == {"name": "A"}


def test_a_second_ledger_object_sees_the_first_ones_writes(ledger, tmp_path):
    stage(ledger, "b1", tmp_path, rec("C-1", name="A")).mkdir()
    other = Ledger(ledger.path)
    try:
        assert other.reconcile() == ["b1"]
        assert ledger.batch("b1")["state"] == "recorded"
    finally:
        other.close()


# ---------------------------------------------------------------------------------------- files
def record(ledger, sha="aa", template="bizops-to-sage50/customers@1", name="c.csv", outcome="converted", batch="b1",
           entity="customers"):  # fmt: skip
    ledger.record_file(sha256=sha * 32, template=template, name=name, size=10, entity=entity,
                       direction="bizops-to-sage50", outcome=outcome, batch=batch)  # fmt: skip


@pytest.mark.parametrize(
    ("outcome", "seen"),
    [
        ("converted", True),
        ("rejected-rows", False),  # rows were rejected: the file may be dropped in again
        ("recorded", True),
        ("empty", True),
        ("failed", False),
        ("refused", False),
    ],
)
def test_seen_file_only_counts_files_processed(ledger, outcome, seen):
    record(ledger, outcome=outcome)
    found = ledger.seen_file("aa" * 32, "bizops-to-sage50/customers@1")
    assert (found is not None) is seen
    if seen:
        assert (found["name"], found["outcome"], found["batch"]) == ("c.csv", outcome, "b1")
        assert dt.datetime.fromisoformat(found["processed_at"])


def test_seen_file_is_per_template_version(ledger):
    record(ledger)
    assert ledger.seen_file("aa" * 32, "bizops-to-sage50/customers@2") is None
    assert ledger.seen_file("bb" * 32, "bizops-to-sage50/customers@1") is None


def test_recording_a_file_again_updates_it(ledger):
    record(ledger, outcome="failed", batch=None)
    record(ledger, name="renamed.csv", outcome="converted", batch="b9")
    found = ledger.seen_file("aa" * 32, "bizops-to-sage50/customers@1")
    assert (found["name"], found["outcome"], found["batch"]) == ("renamed.csv", "converted", "b9")


def run(ledger, name, *, entity="customers", outcome="converted", **extra):
    ledger.record_run(file=name, outcome=outcome, sha256="aa" * 32, template="bizops-to-sage50/customers@1",
                      entity=entity, direction="bizops-to-sage50", **extra)  # fmt: skip


def test_history_is_every_run_in_time_order_and_filters_by_entity(ledger, monkeypatch):
    monkeypatch.setattr(ledger_mod, "now_iso", lambda: "2026-06-02T10:00:00+00:00")
    run(ledger, "later.csv", batch="b2", initial_load=True)
    monkeypatch.setattr(ledger_mod, "now_iso", lambda: "2026-06-01T10:00:00+00:00")
    run(ledger, "earlier.csv", outcome="failed", reason="why")
    run(ledger, "earlier.csv", outcome="retried")
    run(ledger, "v.csv", entity="vendors")
    rows = ledger.history()
    assert [(r["file"], r["outcome"]) for r in rows] == [
        ("earlier.csv", "failed"),
        ("earlier.csv", "retried"),
        ("v.csv", "converted"),
        ("later.csv", "converted"),
    ]
    assert set(rows[0]) == {
        "processed_at",
        "file",
        "entity",
        "direction",
        "outcome",
        "batch",
        "sha256",
        "template",
        "initial_load",
        "reason",
        "records",
    }
    assert (rows[0]["reason"], rows[0]["initial_load"], rows[3]["initial_load"]) == ("why", False, True)
    assert rows[3]["batch"] == "b2" and rows[0]["template"] == "bizops-to-sage50/customers@1"
    assert [r["file"] for r in ledger.history("vendors")] == ["v.csv"]
    assert ledger.history("products") == []


# ---------------------------------------------------------------------------------------- confirm and drift
def test_confirm_marks_sent_records_and_reports_drift(ledger, tmp_path):
    stage(ledger, "b1", tmp_path, rec("C-1", name="A", city="Boston"), rec("C-2", name="B", city="Salem"))
    ledger.finish_batch("b1")
    seen = {
        "c-1": {"name": "A", "city": "Boston", "extra": "ignored"},
        "c-2": {"name": "B", "city": "Lynn"},
        "c-9": {"name": "never sent"},
    }
    count, drifted = ledger.confirm("customers", "sage50", seen)
    assert count == 2 and drifted == [("C-2", ["city"])]
    assert sent_one(ledger, "C-1").confirmed_at is not None
    assert ledger.drift() == [{"entity": "customers", "target": "sage50", "id": "C-2", "fields": ["city"]}]
    [row] = ledger.status(unconfirmed_days=7)
    assert (row["confirmed"], row["drift"]) == (2, 1)


def test_confirm_again_counts_nothing_new_but_updates_drift(ledger, tmp_path):
    stage(ledger, "b1", tmp_path, rec("C-1", name="A"))
    ledger.finish_batch("b1")
    ledger.confirm("customers", "sage50", {"c-1": {"name": "X"}})
    first = sent_one(ledger, "C-1").confirmed_at
    count, drifted = ledger.confirm("customers", "sage50", {"c-1": {"name": "A"}})
    assert (count, drifted) == (0, [])
    assert sent_one(ledger, "C-1").confirmed_at == first
    assert ledger.drift() == []


def test_confirm_documents_without_values(ledger, tmp_path):
    stage(ledger, "b1", tmp_path, rec("C-1|INV-1", total="25.00"), entity="invoices")
    ledger.finish_batch("b1")
    assert ledger.confirm("invoices", "sage50", {"c-1|inv-1": None}) == (1, [])
    assert ledger.confirm("invoices", "sage50", {}) == (0, [])


def test_confirm_ignores_another_target(ledger, tmp_path):
    stage(ledger, "b1", tmp_path, rec("C-1", name="A"))
    assert ledger.confirm("customers", "bizops", {"c-1": {"name": "A"}}) == (0, [])
    assert sent_one(ledger, "C-1").confirmed_at is None


# ---------------------------------------------------------------------------------------- status and overdue
def test_status_counts_overdue_after_n_days(ledger, tmp_path, monkeypatch):
    monkeypatch.setattr(ledger_mod, "now_iso", lambda: days_ago(10))
    stage(ledger, "old", tmp_path, rec("C-1", name="A"), rec("C-2", name="B"), rec("C-3", name="C"))
    ledger.finish_batch("old")
    monkeypatch.setattr(ledger_mod, "now_iso", lambda: days_ago(2))
    stage(ledger, "new", tmp_path, rec("C-4", name="D"))
    ledger.finish_batch("new")
    stage(ledger, "inv", tmp_path, rec("C-1|1", total="1"), entity="invoices")
    ledger.finish_batch("inv")
    stage(ledger, "pending", tmp_path, rec("C-9", name="Z"))  # not reported until recorded
    monkeypatch.undo()
    ledger.confirm("customers", "sage50", {"c-1": {"name": "A"}})

    assert ledger.status(unconfirmed_days=7) == [
        {
            "entity": "customers",
            "target": "sage50",
            "sent": 4,
            "confirmed": 1,
            "unconfirmed_overdue": 2,
            "drift": 0,
        },
        {
            "entity": "invoices",
            "target": "sage50",
            "sent": 1,
            "confirmed": 0,
            "unconfirmed_overdue": 0,
            "drift": 0,
        },
    ]
    assert ledger.status(unconfirmed_days=1)[0]["unconfirmed_overdue"] == 3
    overdue = ledger.overdue(unconfirmed_days=7)
    assert [(r["id"], r["batch"]) for r in overdue] == [("C-2", "old"), ("C-3", "old")]
    assert set(overdue[0]) == {"entity", "target", "id", "batch", "sent_at"}
    assert [r["id"] for r in ledger.overdue(unconfirmed_days=1)] == ["C-2", "C-3", "C-4", "C-1|1"]
    assert len(ledger.overdue(unconfirmed_days=1, limit=2)) == 2


# ---------------------------------------------------------------------------------------- catalog
def test_catalog_merges_an_update_into_what_it_knew(tmp_path):
    catalog = Catalog(tmp_path / "ledger.db")
    catalog.record(
        "sage50", "customers", [("C-1", {"name": "Alpha", "credit_limit": "1000.00"})], source="a.csv"
    )
    assert catalog.lookup("sage50", "customers", "c-1") == {"name": "Alpha", "credit_limit": "1000.00"}
    catalog.record(
        "sage50", "customers", [("c-1", {"name": "Alpha Clinic", "terms_due_days": "30"})], source="b.csv"
    )
    assert catalog.lookup("sage50", "customers", "C-1") == {
        "name": "Alpha Clinic",
        "credit_limit": "1000.00",
        "terms_due_days": "30",
    }
    catalog.close()
    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        assert conn.execute("SELECT id, source FROM masters").fetchall() == [("c-1", "b.csv")]
    assert Catalog(tmp_path / "ledger.db").entries("sage50", "customers") == {
        "c-1": {"name": "Alpha Clinic", "credit_limit": "1000.00", "terms_due_days": "30"}
    }


def test_catalog_keeps_systems_and_entities_apart(tmp_path):
    catalog = Catalog(tmp_path / "ledger.db")
    assert not catalog.entries("sage50", "products") and not (tmp_path / "ledger.db").exists()
    catalog.record(
        "bizops", "products", [("SKU-A", {"sales_account": "40100"}), ("", {"x": "1"})], source="p.csv"
    )
    catalog.record("sage50", "products", [("SKU-A", {"sales_account": "40000"})], source="ITEM.CSV")
    catalog.record("sage50", "customers", [("SKU-A", {"name": "odd"})], source="CUSTOMER.CSV")
    assert catalog.product("sku-a") == {"sales_account": "40100"}  # BizOps first
    assert catalog.lookup("sage50", "products", "SKU-A") == {"sales_account": "40000"}
    assert list(catalog.entries("bizops", "products")) == ["sku-a"]  # a blank ID is not recorded
    assert catalog.partner("customers", "sku-a") == {"name": "odd"}
    assert catalog.record("sage50", "vendors", [], source="VENDOR.CSV") == 0
