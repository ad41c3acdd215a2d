"""Writers: Sage files are Windows-1252, CRLF, M/D/YY dates; BizOps files UTF-8 with ISO dates."""

import pandas as pd

from converter.io.layouts import load_layout
from converter.io.writing import CsvWriter, format_for_target, import_writer


def frame(data, index=(2, 3)):
    return pd.DataFrame(data, index=list(index), dtype=object)


def test_sage_writer_bytes(tmp_path):
    layout = load_layout("sage50", "customers")
    columns = ["Customer ID", "Customer Name", "Customer Since Date"]
    data = frame(
        {
            # columns given out of order, with one not written
            "Customer Name": ["Café Olé, Inc.", "Plain"],
            "Bill to City": ["Miami", "Boston"],
            "Customer Since Date": ["2022-02-14", ""],
            "Customer ID": ["CAFE", "P1"],
        }
    )
    writer = import_writer(tmp_path / "CUSTOMER.CSV", layout, columns)
    writer.write(format_for_target(data, layout))
    writer.write(frame({c: [] for c in columns}, index=()))  # an empty chunk adds nothing
    writer.close()
    assert writer.rows == 2
    raw = (tmp_path / "CUSTOMER.CSV").read_bytes()
    assert raw == (
        b"Customer ID,Customer Name,Customer Since Date\r\n"
        b'CAFE,"Caf\xe9 Ol\xe9, Inc.",2/14/22\r\n'
        b"P1,Plain,\r\n"
    )


def test_sage_header_row_follows_the_given_order(tmp_path):
    layout = load_layout("sage50", "vendors")
    writer = import_writer(tmp_path / "VENDOR.CSV", layout, ["Vendor Name", "Vendor ID"])
    writer.write(frame({"Vendor ID": ["V1", "V2"], "Vendor Name": ["One", "Two"]}))
    writer.close()
    lines = (tmp_path / "VENDOR.CSV").read_bytes().split(b"\r\n")
    assert lines[:3] == [b"Vendor Name,Vendor ID", b"One,V1", b"Two,V2"]


def test_format_for_target_sage_dates_only(tmp_path):
    layout = load_layout("sage50", "vendors")
    data = frame({"Vendor Since Date": ["2026-06-01", "2009-12-31"], "Vendor Name": ["2026-06-01", "x"]})
    out = format_for_target(data, layout)
    assert out["Vendor Since Date"].tolist() == ["6/1/26", "12/31/09"]
    assert out["Vendor Name"].tolist() == ["2026-06-01", "x"]  # not a date field
    assert data["Vendor Since Date"].tolist() == ["2026-06-01", "2009-12-31"]  # input untouched
    assert out.index.tolist() == [2, 3]


def test_bizops_writer_utf8_and_iso_dates_untouched(tmp_path):
    layout = load_layout("bizops", "customers")
    columns = ["CustomerID", "Name", "CustomerSince"]
    data = frame(
        {"CustomerID": ["C1", "C2"], "Name": ["Łódź “Best”", "O'Neil"], "CustomerSince": ["2022-02-14", ""]}
    )
    formatted = format_for_target(data, layout)
    assert formatted["CustomerSince"].tolist() == ["2022-02-14", ""]
    writer = import_writer(tmp_path / "customers.csv", layout, columns)
    writer.write(formatted)
    writer.close()
    raw = (tmp_path / "customers.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8").splitlines() == [
        "CustomerID,Name,CustomerSince",
        "C1,Łódź “Best”,2022-02-14",
        "C2,O'Neil,",
    ]


def test_csv_writer_quotes_only_when_needed_and_uses_given_headings(tmp_path):
    path = tmp_path / "rejects.csv"
    writer = CsvWriter(path, ["a", "b"], encoding="utf-8", headers=["A col", "B col"])
    writer.write(frame({"a": ['say "hi"', "plain"], "b": ["line\nbreak", None]}))
    writer.close()
    assert path.read_bytes() == b'A col,B col\r\n"say ""hi""","line\nbreak"\r\nplain,\r\n'


def test_writer_quotes_exactly_like_the_csv_module_across_chunks(tmp_path):
    import csv
    import io

    columns = ["A", "B", "C"]
    chunks = [
        frame({"A": ["plain", 'say "hi"'], "B": ["a,b", ""], "C": ["line\r\nbreak", "x\ny"]}),
        frame({"A": ["", "café"], "B": [" lead", "trail "], "C": ['"', "\r"]}, index=(4, 5)),
    ]
    writer = CsvWriter(tmp_path / "out.csv", columns, encoding="utf-8")
    for chunk in chunks:
        writer.write(chunk)
    writer.close()
    expected = io.StringIO(newline="")
    reference = csv.writer(expected, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    reference.writerow(columns)
    for chunk in chunks:
        reference.writerows(chunk[columns].itertuples(index=False))
    assert (tmp_path / "out.csv").read_bytes() == expected.getvalue().encode("utf-8")
    assert writer.rows == 4


def test_writer_single_blank_column_row_is_quoted_as_before(tmp_path):
    writer = CsvWriter(tmp_path / "one.csv", ["A"], encoding="utf-8")
    writer.write(frame({"A": ["", "x"]}))
    writer.close()
    assert (tmp_path / "one.csv").read_bytes() == b'A\r\n""\r\nx\r\n'
