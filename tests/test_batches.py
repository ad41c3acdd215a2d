"""Batches: built in a hidden folder, renamed whole on commit, discarded on error."""

import datetime as dt
import json

import pytest

from converter.io.batches import TMP_PREFIX, Batch
from converter.pipeline.write import publish_batch


def commit(batch, manifest):
    """The batch published as the pipeline does it, without a ledger or a workbook."""
    return publish_batch(batch, manifest, finish=lambda _name: None, stage=None, ledger=None)


NOW = dt.datetime(2026, 11, 25, 14, 15, 2)


def entries(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_commit_renames_into_the_final_folder_with_the_manifest(outbox):
    with Batch(outbox, target_system="sage50", entity="customers", now=NOW) as batch:
        batch.path("CUSTOMER.CSV").write_text("Customer ID\r\nC1\r\n")
        final = commit(batch, {"entity": "customers", "outputs": [str(batch.path("CUSTOMER.CSV"))]})
    assert final == outbox / "to-sage50" / "20261125-141502-customers"
    assert entries(outbox / "to-sage50") == ["20261125-141502-customers"]
    assert entries(final) == ["CUSTOMER.CSV", "manifest.json"]
    manifest = json.loads((final / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["batch"] == "20261125-141502-customers"
    assert manifest["entity"] == "customers"
    assert manifest["outputs"] == [str(final / "CUSTOMER.CSV")]


def test_nothing_under_the_final_name_before_commit(outbox):
    with Batch(outbox, target_system="bizops", entity="products", now=NOW) as batch:
        batch.path("products.csv").write_text("SKU\n")
        [only] = entries(outbox / "to-bizops")
        assert only.startswith(TMP_PREFIX)
        assert batch.path("products.csv").parent.name == only
        commit(batch, {})
    assert entries(outbox / "to-bizops") == ["20261125-141502-products"]


def test_an_exception_leaves_no_batch_folder(outbox):
    with (
        pytest.raises(RuntimeError),
        Batch(outbox, target_system="sage50", entity="vendors", now=NOW) as batch,
    ):
        batch.path("VENDOR.CSV").write_text("Vendor ID\r\n")
        raise RuntimeError("boom")
    assert entries(outbox / "to-sage50") == []


def test_leaving_without_commit_discards(outbox):
    with Batch(outbox, target_system="sage50", entity="vendors", now=NOW) as batch:
        batch.path("VENDOR.CSV").write_text("Vendor ID\r\n")
    assert entries(outbox / "to-sage50") == []


def test_two_batches_in_the_same_second_get_distinct_names(outbox):
    names = []
    for _ in range(3):
        with Batch(outbox, target_system="sage50", entity="customers", now=NOW) as batch:
            names.append(commit(batch, {}).name)
    assert names == [
        "20261125-141502-customers",
        "20261125-141502-customers-2",
        "20261125-141502-customers-3",
    ]
    second = json.loads((outbox / "to-sage50" / names[1] / "manifest.json").read_text())
    assert second["batch"] == names[1]


def test_dry_run_writes_nowhere_under_the_outbox(outbox):
    with Batch(outbox, target_system="sage50", entity="customers", now=NOW, dry_run=True) as batch:
        batch.path("CUSTOMER.CSV").write_text("x")
        scratch = batch.path("CUSTOMER.CSV").parent
        assert outbox not in scratch.parents
        assert scratch.exists()
    assert not outbox.exists()
    assert not scratch.exists()
