"""Outputs that cannot hurt: rejects.csv never holds a cell a spreadsheet would run, a dropped-back
rejects.csv reads as the original, and XLSX is parsed through defusedxml."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from converter.core.settings import load_settings
from converter.io import safe_cells
from converter.pipeline.convert import convert_file
from tests.conftest import customers_csv

TRICKY = [
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    " =1+1",
    "\t=SUM(A1:A9)",
    "'=already quoted",
    "''+twice",
]
HARMLESS = ["-12.50", "+3", "1,234.5", "-", "O'Brien", "Smith-Jones", "", "'plain"]


@pytest.mark.parametrize("value", TRICKY + HARMLESS)
def test_neutralise_then_restore_gives_the_value_back(value):
    frame = pd.DataFrame({"Name": [value]}, index=[2], dtype=object)
    out, changed = safe_cells.neutralise(frame, ["Name"])
    if value in TRICKY:
        assert out.at[2, "Name"] == "'" + value and changed == {2: ["Name"]}
    else:
        assert out.at[2, "Name"] == value and changed == {}
    back = safe_cells.restore(out.assign(Error="x"))
    assert back.at[2, "Name"] == value
    assert frame.at[2, "Name"] == value  # the frame handed in is not changed


def _rejects(result) -> list[dict[str, str]]:
    [path] = [Path(o) for o in result.outputs if Path(o).name == "rejects.csv"]
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_rejects_csv_holds_no_formula_and_says_so_and_drops_back_in(tmp_path):
    settings = load_settings(None, cwd=tmp_path)
    text = customers_csv(["C1", "C2"]).replace("Watch Test C1", "=cmd|' /C calc'!A0", 1)
    (tmp_path / "customers.csv").write_text(text, encoding="utf-8", newline="")
    first = convert_file(tmp_path / "customers.csv", settings=settings, outbox=tmp_path / "out")
    assert first.rejected == 1 and ("formula" in {i.code for i in first.issues})
    [row] = _rejects(first)
    assert row["Name"] == "'=cmd|' /C calc'!A0"
    assert "leading ' was added to Name" in row["Error"]  # the Error column says what was done
    for cell in row.values():
        assert not cell.lstrip().startswith(("=", "+", "@")), cell
    # Dropped back in unchanged, the value reads as it came: still a formula, still rejected, same code.
    again = convert_file(_path(first), settings=settings, outbox=tmp_path / "o2")
    assert [(i.row, i.column, i.code) for i in again.issues if i.severity == "error"] == [
        (2, "Name", "formula")
    ]
    assert _rejects(again)[0]["Name"] == "'=cmd|' /C calc'!A0"


def _path(result) -> Path:
    return next(Path(o) for o in result.outputs if Path(o).name == "rejects.csv")


def test_a_fixed_rejects_file_converts_without_the_apostrophe(tmp_path):
    settings = load_settings(None, cwd=tmp_path)
    text = (
        customers_csv(["C1"])
        .replace("Watch Test C1", "=cmd|' /C calc'!A0", 1)
        .replace("Boston", "-Main St", 1)
    )
    (tmp_path / "customers.csv").write_text(text, encoding="utf-8", newline="")
    first = convert_file(tmp_path / "customers.csv", settings=settings, outbox=tmp_path / "out")
    path = _path(first)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    name = rows[0].index("Name")
    rows[1][name] = "Fixed Name"  # a person fixes the one bad cell and drops the file back
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    again = convert_file(path, settings=settings, outbox=tmp_path / "o2")
    assert again.rejected == 0, [i.as_dict() for i in again.issues]


def test_openpyxl_parses_xlsx_through_defusedxml():
    from openpyxl import xml as openpyxl_xml
    from openpyxl.xml import functions

    assert openpyxl_xml.DEFUSEDXML is True
    assert functions.iterparse.__module__.startswith("defusedxml")  # how worksheets are read


def test_a_workbook_declaring_xml_entities_is_refused_not_expanded(tmp_path):
    import zipfile

    import openpyxl

    from converter import validate_file

    wb = openpyxl.Workbook()
    wb.active.append(["CustomerID", "Name", "City"])
    wb.active.append(["C1", "Acme", "Boston"])
    wb.save(tmp_path / "plain.xlsx")
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as zin, zipfile.ZipFile(tmp_path / "lol.xlsx", "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":  # the start of a "billion laughs"
                data = data.replace(
                    b"<worksheet", b'<!DOCTYPE worksheet [<!ENTITY lol "lollollol">]><worksheet', 1
                )
            zout.writestr(item, data)
    result = validate_file(tmp_path / "lol.xlsx")
    assert [(i.row, i.column, i.code) for i in result.issues] == [(None, None, "unreadable-file")]
    assert validate_file(tmp_path / "plain.xlsx").status != "failed"
