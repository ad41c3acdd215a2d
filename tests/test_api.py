"""The public API for scripts: ``from converter import convert_file, validate_file``."""

from __future__ import annotations

import shutil
from pathlib import Path

from converter import ConversionResult, convert_file, validate_file

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def test_convert_file_writes_a_batch_and_validate_file_writes_nothing(tmp_path, monkeypatch):
    shutil.copy(SAMPLES / "bizops-sage50.toml", tmp_path / "bizops-sage50.toml")
    monkeypatch.chdir(tmp_path)  # the config of the current folder, as the commands read it
    checked = validate_file(SAMPLES / "bizops" / "customers.csv")
    assert isinstance(checked, ConversionResult) and checked.ok and checked.outputs == []
    assert not (tmp_path / "outbox").exists()
    done = convert_file(str(SAMPLES / "bizops" / "customers.csv"), outbox=tmp_path / "out")
    assert done.status == "converted" and done.records_out > 0
    assert all(Path(o).is_file() for o in done.outputs)
    assert done.as_dict()["entity"] == "customers"


def test_bad_data_is_in_the_issues_never_raised(tmp_path):
    bad = tmp_path / "customers.csv"
    bad.write_text("CustomerID,Name\n,No ID\nC2,Fine\n", encoding="utf-8")
    result = validate_file(bad)
    assert result.status == "rejected-rows" and result.rejected == 1
    assert [(i.row, i.column, i.code) for i in result.issues if i.severity == "error"] == [
        (2, "CustomerID", "missing-value")
    ]
