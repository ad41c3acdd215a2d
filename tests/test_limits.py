"""Resource limits (``[limits]``): each one hit is a ``LimitError`` naming the file, where it was hit,
the limit and the config key; the defaults are in the settings; bad values stop at load time."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest

from converter.admin.project import CONFIG_TEXT
from converter.core.errors import ConfigError, LimitError, ReadError
from converter.core.limits import BOMB_RATIO, MB, Limits
from converter.core.settings import DEFAULTS, load_settings
from converter.io.reading import open_table
from converter.pipeline.convert import convert_file
from tests.conftest import customers_csv


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def chunks(path, columns, limits, **kw):
    return list(open_table(path, limits=limits).iter_chunks(columns, has_header=True, **kw))


def no_unpacking(monkeypatch):
    """openpyxl must not be reached: the zip directory alone decides."""

    def refuse(*_a, **_k):
        raise AssertionError("openpyxl was asked to unpack the workbook")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


# ------------------------------------------------------------------------------------ the settings
def test_defaults_are_in_the_settings_and_match_the_documented_values():
    assert DEFAULTS["limits"] == {
        "max_file_mb": 1024,
        "max_rows": 5_000_000,
        "max_cell_chars": 32_767,
        "max_columns": 1_000,
        "max_xlsx_unpacked_mb": 500,
    }
    assert Limits.from_config(DEFAULTS["limits"]) == Limits()
    assert load_settings(None).limits == Limits()


def test_the_commented_config_and_the_readme_document_every_key():
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for key, value in DEFAULTS["limits"].items():
        assert f"{key} = {value}" in CONFIG_TEXT
        assert f"{key} = {value}" in text


def test_a_site_raises_one_limit_and_keeps_the_others(tmp_path):
    cfg = tmp_path / "bizops-sage50.toml"
    cfg.write_text("[limits]\nmax_rows = 10\nmax_file_mb = 0.5\n", encoding="utf-8")
    assert load_settings(cfg).limits == Limits(max_rows=10, max_file_mb=0.5)


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("max_rows = 0", "limits.max_rows"),
        ("max_columns = -5", "limits.max_columns"),
        ('max_cell_chars = "lots"', "limits.max_cell_chars"),
        ("max_rows = 1.5", "limits.max_rows"),
        ("max_file_mb = true", "limits.max_file_mb"),
        ("max_row = 10", "limits.max_row"),
    ],
)
def test_a_bad_limit_stops_at_load_time_naming_the_key(tmp_path, line, key):
    cfg = tmp_path / "bizops-sage50.toml"
    cfg.write_text(f"[limits]\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"`{key}`"):
        load_settings(cfg)


def test_limit_error_is_a_read_error():
    assert issubclass(LimitError, ReadError)


# ------------------------------------------------------------------------------------ each limit
def test_file_size_is_refused_from_stat_before_reading(tmp_path, monkeypatch):
    path = write(tmp_path, "big.csv", b"A,B\n" + b"1,2\n" * 1000)
    monkeypatch.setattr("converter.io.reading.detect_encoding", lambda _p: pytest.fail("the file was read"))
    with pytest.raises(LimitError) as caught:
        open_table(path, limits=Limits(max_file_mb=0.001))
    exc = caught.value
    assert exc.key == "limits.max_file_mb" and "`limits.max_file_mb`" in str(exc)
    assert str(exc).startswith("big.csv is 0.0 MB; the limit is 0.001 MB")


def test_rows_past_the_limit_name_the_row(tmp_path):
    path = write(tmp_path, "rows.csv", b"A,B\n" + b"".join(b"%d,x\n" % i for i in range(5)))
    assert sum(len(c.frame) for c in chunks(path, ["A", "B"], Limits(max_rows=5))) == 5
    with pytest.raises(LimitError) as caught:
        chunks(path, ["A", "B"], Limits(max_rows=4), chunk_rows=2)
    exc = caught.value
    assert (exc.key, exc.row) == ("limits.max_rows", 6)
    assert "rows.csv: row 6 goes past the limit of 4 data rows (`limits.max_rows` in the config)" in str(exc)


def test_blank_lines_count_towards_the_row_limit(tmp_path):
    """A file of nothing but line ends must not be read to its end for free."""
    path = write(tmp_path, "blank.csv", b"A,B\n1,2\n" + b"\n" * 50)
    with pytest.raises(LimitError, match="row 12 "):
        chunks(path, ["A", "B"], Limits(max_rows=10))


def test_a_long_cell_names_its_row_and_column(tmp_path):
    path = write(tmp_path, "cells.csv", b"ID,Name\n1,short\n\n2," + b"x" * 11 + b"\n3,ok\n")
    with pytest.raises(LimitError) as caught:
        chunks(path, ["ID", "Name"], Limits(max_cell_chars=10))
    exc = caught.value
    assert (exc.key, exc.row, exc.column) == ("limits.max_cell_chars", 4, 2)
    assert str(exc).startswith(
        'cells.csv: row 4, column 2 ("Name") has 11 characters; the limit is 10 (`limits.max_cell_chars`'
    )
    # exactly at the limit is fine
    assert [len(c.frame) for c in chunks(path, ["ID", "Name"], Limits(max_cell_chars=11))] == [3]


def test_a_long_cell_in_a_later_chunk_keeps_its_spreadsheet_row(tmp_path):
    body = b"".join(b"%d,x\n" % i for i in range(7)) + b"\n\n7," + b"y" * 50 + b"\n"
    path = write(tmp_path, "late.csv", b"ID,Name\n" + body)
    with pytest.raises(LimitError) as caught:
        chunks(path, ["ID", "Name"], Limits(max_cell_chars=20), chunk_rows=3)
    assert (caught.value.row, caught.value.column) == (11, 2)


def test_a_long_cell_is_caught_while_detecting_the_layout(tmp_path):
    path = write(tmp_path, "head.csv", b"ID,Name\n1," + b"z" * 100 + b"\n")
    with pytest.raises(LimitError, match=r'row 2, column 2 \("Name"\) has 100 characters'):
        open_table(path, limits=Limits(max_cell_chars=50)).head()


def test_a_long_heading_cell_is_caught(tmp_path):
    path = write(tmp_path, "header.csv", b"ID," + b"h" * 100 + b"\n1,2\n")
    with pytest.raises(LimitError, match="row 1, column 2 has 100 characters"):
        open_table(path, limits=Limits(max_cell_chars=50)).head()


def test_too_many_columns_names_the_row_and_column(tmp_path):
    path = write(tmp_path, "wide.csv", b"A,B,C\n1,2,3\n1,2,3,4,5,6\n")
    with pytest.raises(LimitError) as caught:
        chunks(path, ["A", "B", "C"], Limits(max_columns=5))
    exc = caught.value
    assert (exc.key, exc.row, exc.column) == ("limits.max_columns", 3, 6)
    assert str(exc).startswith("wide.csv: row 3 has 6 columns; the limit is 5 (`limits.max_columns`")


def test_too_many_columns_in_the_heading_row(tmp_path):
    path = write(tmp_path, "wide.csv", (",".join(f"c{i}" for i in range(1_001)) + "\n").encode())
    with pytest.raises(LimitError, match="row 1 has 1,001 columns; the limit is 1,000"):
        open_table(path).head()


def test_xlsx_unpacked_size_is_read_from_the_zip_directory_before_unpacking(tmp_path, monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", os.urandom(200_000))  # does not compress
    path = write(tmp_path, "book.xlsx", buf.getvalue())
    no_unpacking(monkeypatch)
    with pytest.raises(LimitError) as caught:
        open_table(path, limits=Limits(max_xlsx_unpacked_mb=0.1))
    exc = caught.value
    assert exc.key == "limits.max_xlsx_unpacked_mb"
    assert str(exc).startswith("book.xlsx would unpack to 0.2 MB; the limit is 0.1 MB")


def test_xlsx_compressing_like_a_zip_bomb_is_refused_under_the_size_limit(tmp_path, monkeypatch):
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w") as part,
    ):
        for _ in range(16):
            part.write(b"\0" * MB)
    path = write(tmp_path, "bomb.xlsx", buf.getvalue())
    no_unpacking(monkeypatch)
    with pytest.raises(LimitError) as caught:
        open_table(path)  # 16 MB is well under the default 500 MB: the ratio gives it away
    assert caught.value.key == "limits.max_xlsx_unpacked_mb"
    assert "bomb.xlsx: its part 'xl/worksheets/sheet1.xml' would unpack to 16.0 MB" in str(caught.value)
    assert f"beyond {BOMB_RATIO}:1" in str(caught.value)


def test_a_real_workbook_passes_the_zip_checks(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["ID", "Name"])
    for i in range(2_000):
        book.active.append([f"C{i:05d}", "Same Name"])
    book.save(tmp_path / "real.xlsx")
    table = open_table(tmp_path / "real.xlsx")
    assert sum(len(c.frame) for c in table.iter_chunks(["ID", "Name"], has_header=True)) == 2_000


def test_a_broken_zip_is_unreadable_not_a_limit(tmp_path):
    path = write(tmp_path, "broken.xlsx", b"PK\x03\x04" + b"junk" * 100)
    with pytest.raises(ReadError, match=r"broken\.xlsx is not a readable XLSX") as caught:
        open_table(path)
    assert not isinstance(caught.value, LimitError)


# ------------------------------------------------------------------------------------ end to end
def test_a_limit_hit_fails_the_file_with_code_too_large_and_writes_nothing(tmp_path):
    (tmp_path / "bizops-sage50.toml").write_text("[limits]\nmax_rows = 2\n", encoding="utf-8")
    path = write(tmp_path, "customers.csv", customers_csv(["C1", "C2", "C3"]).encode())
    result = convert_file(path, settings=load_settings(None, cwd=tmp_path), outbox=tmp_path / "outbox")
    assert result.status == "failed"
    [issue] = result.issues
    assert issue.code == "too-large" and issue.severity == "error"
    assert issue.message.startswith("customers.csv: row 4 goes past the limit of 2 data rows")
    assert "`limits.max_rows`" in issue.message
    assert not [p for p in (tmp_path / "outbox").rglob("*") if p.is_file()]
    assert path.read_bytes() == customers_csv(["C1", "C2", "C3"]).encode()
