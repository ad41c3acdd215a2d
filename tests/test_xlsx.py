"""The small XLSX writer behind review.xlsx: what it writes reads back in openpyxl as it was meant."""

from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl
import pandas as pd

from converter.review.xlsx import Cell, Workbook


def _book(tmp_path, build) -> openpyxl.Workbook:
    wb = Workbook("tester")
    build(wb)
    wb.save(tmp_path / "b.xlsx")
    return openpyxl.load_workbook(tmp_path / "b.xlsx")


def test_text_is_text_even_when_it_looks_like_a_formula_and_keeps_its_spaces_and_markup(tmp_path):
    def build(wb):
        ws = wb.create_sheet("S")
        ws.append(["=1+1", Cell("@SUM(A1)", quote=True), "  a & <b> \r\n c  ", "", None, "x"])

    ws = _book(tmp_path, build)["S"]
    assert [c.value for c in ws[1]] == ["=1+1", "@SUM(A1)", "  a & <b> \r\n c  ", None, None, "x"]
    assert all(c.data_type == "s" for c in ws[1] if c.value is not None)
    assert ws["B1"].quotePrefix and not ws["A1"].quotePrefix
    with zipfile.ZipFile(tmp_path / "b.xlsx") as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")


def test_numbers_and_dates_read_back_as_openpyxl_wrote_them(tmp_path):
    def build(wb):
        ws = wb.create_sheet("S")
        ws.append([2.0, 2.5, 7, float("nan"), Cell(dt.date(2024, 3, 5), number_format="m/d/yy")])
        ws.append([Cell(1234.5, number_format="#,##0.00"), Cell(3, number_format="0"), True])

    ws = _book(tmp_path, build)["S"]
    assert [c.value for c in ws[1]] == [2, 2.5, 7, None, dt.datetime(2024, 3, 5)]
    assert ws["E1"].number_format == "m/d/yy"
    assert (ws["A2"].value, ws["A2"].number_format) == (1234.5, "#,##0.00")
    assert (ws["B2"].value, ws["B2"].number_format, ws["C2"].value) == (3, "0", True)


def test_layout_styles_comments_and_links(tmp_path):
    def build(wb):
        for name in ("One's", "Two"):
            ws = wb.create_sheet(name)
            ws.freeze_panes = "C2" if name == "Two" else "A2"
            ws.auto_filter = "A1:B3"
            ws.landscape = ws.fit_to_width = True
            ws.title_rows = "1:1"
            ws.set_width(1, 12)
            ws.set_width(2, 40)
            ws.append([Cell("Head", font="bold"), Cell("Title", font="title")])
            ws.append([Cell("x", fill="FCE4D6", comment=("why\nbecause", 320, 110)), Cell("long", wrap=True)])
            ws.append([Cell("One's!A2", font="link", link="'One''s'!A2")])

    wb = _book(tmp_path, build)
    assert wb.sheetnames == ["One's", "Two"]
    for ws in wb.worksheets:
        assert ws.auto_filter.ref == "A1:B3" and ws.print_title_rows == "$1:$1"
        assert (ws.page_setup.orientation, ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (
            "landscape",
            1,
            0,
        )
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (ws.column_dimensions["A"].width, ws.column_dimensions["B"].width) == (12, 40)
        assert ws["A1"].font.b and ws["B1"].font.sz == 14
        assert ws["A2"].fill.fgColor.rgb.endswith("FCE4D6") and ws["A2"].comment.text == "why\nbecause"
        assert ws["B2"].alignment.wrap_text and ws["B2"].comment is None
        assert ws["A3"].hyperlink.location == "'One''s'!A2" and ws["A3"].font.u == "single"
    assert (wb["One's"].freeze_panes, wb["Two"].freeze_panes) == ("A2", "C2")
    with zipfile.ZipFile(tmp_path / "b.xlsx") as z:  # each sheet's comments in their own parts
        assert {"xl/comments1.xml", "xl/comments2.xml", "xl/drawings/vmlDrawing2.vml"} <= set(z.namelist())


def test_column_widths_fit_the_widest_line_of_any_value():
    from converter.review.sheets import fit_widths

    wb = Workbook("tester")
    ws = wb.create_sheet("S")
    values = ["short", "two\r\nlines here", None, 12345678, "x" * 70, "a\u2028" + "b" * 9]
    wraps = fit_widths(ws, [("Head", values[:4]), ("H", values), ("Heading", []), ("H2", values[5:])])
    assert ws.widths == {1: 12, 2: 60, 3: 9, 4: 11}
    assert wraps == [False, True, False, False]


def test_a_value_of_another_kind_is_written_as_its_text(tmp_path):
    import pandas as pd

    def build(wb):
        wb.create_sheet("S").append([pd.NA, dt.time(12, 30), Cell(None, fill="FCE4D6")])

    ws = _book(tmp_path, build)["S"]
    assert (ws["A1"].value, ws["B1"].value, ws["C1"].value) == ("<NA>", "12:30:00", None)
    assert ws["C1"].fill.fgColor.rgb.endswith("FCE4D6")


def _saved(tmp_path, name: str, build) -> dict[str, bytes]:
    wb = Workbook("tester")
    ws = wb.create_sheet("S")
    ws.append(["heading"])
    build(ws)
    wb.save(tmp_path / name)
    with zipfile.ZipFile(tmp_path / name) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def test_rows_added_a_column_at_a_time_are_the_rows_appended_one_by_one(tmp_path):
    """Styles numbered by first use row by row, comments in row order, a special cell's value
    not counted as a use of that value, blanks and a value of another kind as ``append`` has them."""
    import numpy as np

    from converter.review.columns import add_rows

    fill = Cell("late", fill="FCE4D6", comment=("a note", 320, 110))
    columns = [
        (np.array([0, 1, 0, 2, 1]), ["a", Cell("-1", quote=True), ""]),
        (np.array([1, 0, 2, 1, 3]), [None, Cell(dt.date(2024, 1, 2), number_format="m/d/yy"), 2.5, pd.NA]),
        (np.array([0, 1, 1, 0, 1]), [Cell(7, number_format="0.00"), Cell("=x", quote=True)]),
    ]
    special = {(1, 2): fill, (3, 0): Cell("b", comment=("other", 320, 110)), (0, 1): Cell("c", fill="FFFF00")}

    def by_rows(ws):
        for pos in range(5):
            values = [special.get((pos, i), vals[codes[pos]]) for i, (codes, vals) in enumerate(columns)]
            ws.append(values)

    expected = _saved(tmp_path, "rows.xlsx", by_rows)
    assert _saved(tmp_path, "columns.xlsx", lambda ws: add_rows(ws, 5, columns, special)) == expected
    assert b"<comment" in expected["xl/comments1.xml"]


def test_no_rows_added_a_column_at_a_time_is_nothing(tmp_path):
    from converter.review.columns import add_rows

    expected = _saved(tmp_path, "rows.xlsx", lambda ws: None)
    assert _saved(tmp_path, "columns.xlsx", lambda ws: add_rows(ws, 0, [], {})) == expected
