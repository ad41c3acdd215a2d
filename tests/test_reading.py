import codecs

import openpyxl
import pytest

from converter.core.errors import ReadError
from converter.io.reading import detect_encoding, open_table
from tests.conftest import rcc


def write(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_utf8_bom_utf16_cp1252_detected(tmp_path):
    text = "ID,Name\r\n00123,Café Olé\r\n"
    assert detect_encoding(write(tmp_path, "a.csv", codecs.BOM_UTF8 + text.encode())) == "utf-8-sig"
    assert detect_encoding(write(tmp_path, "b.csv", text.encode("utf-16"))) == "utf-16"
    assert detect_encoding(write(tmp_path, "c.csv", text.encode("utf-16-le"))) == "utf-16-le"
    assert detect_encoding(write(tmp_path, "d.csv", text.encode("cp1252"))) == "cp1252"
    assert detect_encoding(write(tmp_path, "e.csv", text.encode("utf-8"))) == "utf-8"


def test_cp1252_detected_even_when_the_odd_byte_is_far_into_the_file(tmp_path):
    body = ("A,B\r\n" + "x,y\r\n" * 300_000).encode() + "é,’\r\n".encode("cp1252")
    assert detect_encoding(write(tmp_path, "late.csv", body)) == "cp1252"


def test_every_cell_is_text_and_leading_zeros_survive(tmp_path):
    p = write(tmp_path, "z.csv", b"ID,Zip,Amount\n00123,02134,0010.50\n")
    table = open_table(p)
    [chunk] = list(table.iter_chunks(["ID", "Zip", "Amount"], has_header=True))
    assert chunk.frame.iloc[0].tolist() == ["00123", "02134", "0010.50"]
    assert list(chunk.row_numbers) == [2]


def test_tab_separated_utf16_like_excel_unicode_text(tmp_path):
    p = write(tmp_path, "u.txt", "ID\tName\r\n007\tMüller, GmbH\r\n".encode("utf-16"))
    table = open_table(p)
    assert table.delimiter == "\t"
    [chunk] = list(table.iter_chunks(["ID", "Name"], has_header=True))
    assert chunk.frame.iloc[0].tolist() == ["007", "Müller, GmbH"]


def test_ragged_rows_are_issues_with_row_numbers(tmp_path):
    p = write(tmp_path, "r.csv", b"A,B,C\n1,2,3\n4,5\n\n6,7,8,9\n")
    [chunk] = list(open_table(p).iter_chunks(["A", "B", "C"], has_header=True))
    assert rcc(chunk.issues) == {(3, None, "ragged-row"), (5, None, "ragged-row")}
    assert len(chunk.frame) == 3


def test_chunks_carry_row_numbers_across_borders(tmp_path):
    p = write(tmp_path, "c.csv", b"A\n" + b"".join(b"%d\n" % i for i in range(10)))
    chunks = list(open_table(p).iter_chunks(["A"], has_header=True, chunk_rows=4))
    assert [c.first_row for c in chunks] == [2, 6, 10]
    assert chunks[-1].frame["A"].tolist() == ["8", "9"]


def test_empty_and_binary_files_are_clear_errors(tmp_path):
    with pytest.raises(ReadError, match="empty"):
        open_table(write(tmp_path, "empty.csv", b""))
    with pytest.raises(ReadError, match="not a text file"):
        open_table(write(tmp_path, "x.bin", b"\x00\x01\x02abc\x00" * 50))
    with pytest.raises(ReadError, match="xls"):
        open_table(write(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100))


def test_forced_wrong_encoding_names_the_fix(tmp_path):
    p = write(tmp_path, "w.csv", "A\r\nCafé\r\n".encode("cp1252"))
    table = open_table(p, encoding="utf-8")
    with pytest.raises(ReadError, match="--encoding"):
        list(table.iter_chunks(["A"], has_header=True))


def test_unknown_encoding_name(tmp_path):
    p = write(tmp_path, "w.csv", b"A\r\nx\r\n")
    with pytest.raises(ReadError, match="Unknown encoding"):
        open_table(p, encoding="klingon")


def test_xlsx_cells_are_text(tmp_path):
    import datetime as dt

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ID", "Zip", "Since", "Limit", "Active"])
    sheet.append(["00123", "02134", dt.datetime(2026, 6, 1), 1500.0, True])
    p = tmp_path / "c.xlsx"
    book.save(p)
    table = open_table(p)
    assert table.format == "xlsx"
    [chunk] = list(table.iter_chunks(["ID", "Zip", "Since", "Limit", "Active"], has_header=True))
    assert chunk.frame.iloc[0].tolist() == ["00123", "02134", "2026-06-01", "1500", "TRUE"]
