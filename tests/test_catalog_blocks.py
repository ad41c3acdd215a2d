"""The catalog records a master list a block at a time, from a spool on disk, in one transaction:
a million customers are never held in memory twice over, and a failure records nothing."""

from __future__ import annotations

import pytest

import converter.sync.catalog as catalog_mod
from converter.sync.catalog import Catalog
from converter.sync.spool import Spool


def _entries(n: int) -> Spool:
    spool = Spool(limit=4, keep_keys=False)  # past 4 entries they go to disk
    spool.extend([(f"C{i:03d}", f'{{"name": "Customer {i}"}}') for i in range(n)])
    spool.append(("", '{"name": "no ID"}'))  # a record without an ID is not remembered
    return spool


def test_a_spooled_list_is_recorded_whole_across_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(catalog_mod, "RECORD_BLOCK", 3)
    catalog = Catalog(tmp_path / "ledger.db")
    assert catalog.record("bizops", "customers", _entries(10), source="customers.csv") == 10
    entries = catalog.entries("bizops", "customers")
    assert sorted(entries) == [f"c{i:03d}" for i in range(10)]
    assert entries["c007"] == {"name": "Customer 7"}


def test_a_spool_can_be_read_twice_and_keeps_no_keys_when_told(tmp_path):
    spool = _entries(6)
    assert list(spool) == list(spool)
    assert len(spool) == 7
    with pytest.raises(TypeError):
        spool.keys()


def test_a_failure_in_a_later_block_records_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(catalog_mod, "RECORD_BLOCK", 3)
    catalog = Catalog(tmp_path / "ledger.db")
    catalog.record("bizops", "customers", [("KEEP", "{}")], source="first.csv")

    def broken():
        yield from _entries(5)
        raise OSError("the spool's file went away")

    with pytest.raises(OSError):
        catalog.record("bizops", "customers", broken(), source="customers.csv")
    assert list(Catalog(tmp_path / "ledger.db").entries("bizops", "customers")) == ["keep"]


def test_nothing_to_record_opens_no_ledger(tmp_path):
    catalog = Catalog(tmp_path / "ledger.db")
    assert catalog.record("bizops", "customers", Spool(keep_keys=False), source="empty.csv") == 0
    assert not (tmp_path / "ledger.db").exists()


def test_both_systems_lists_are_recorded_in_one_transaction(tmp_path, monkeypatch):
    monkeypatch.setattr(catalog_mod, "RECORD_BLOCK", 3)
    catalog = Catalog(tmp_path / "ledger.db")

    def broken():
        yield from _entries(5)
        raise OSError("the spool's file went away")

    with pytest.raises(OSError):  # the second list fails: the first is not recorded either
        catalog.record_all(
            [("bizops", "customers", _entries(4), "x.csv"), ("sage50", "customers", broken(), "b")]
        )
    assert Catalog(tmp_path / "ledger.db").entries("bizops", "customers") == {}
    counts = catalog.record_all(
        [
            ("bizops", "customers", _entries(4), "x.csv"),
            ("sage50", "customers", [("", "{}")], "b"),
            ("sage50", "vendors", _entries(2), "b"),
        ]
    )
    assert counts == [4, 0, 2]
    assert sorted(Catalog(tmp_path / "ledger.db").entries("sage50", "vendors")) == ["c000", "c001"]
