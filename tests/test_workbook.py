"""review.xlsx: written for every batch, read back here with openpyxl (and by LibreOffice)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from converter.core.settings import load_settings
from converter.io.layouts import templates_root
from converter.pipeline.convert import convert_file
from tests.conftest import SAGE50_ACCOUNTS

HEAD = "CustomerID,Name,City,Country,CustomerSince,CreditLimit\n"


def convert(tmp_path: Path, name: str, text: str, *, config: str = "", **options):
    (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "bizops-sage50.toml").write_text(config, encoding="utf-8")
    settings = load_settings(tmp_path / "bizops-sage50.toml")
    result = convert_file(tmp_path / name, settings=settings, outbox=tmp_path / "outbox", **options)
    assert result.batch, result.issues
    folder = Path(result.outputs[-1]).parent
    return result, folder, openpyxl.load_workbook(folder / "review.xlsx")


def rows(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def summary(wb) -> dict:
    return {r[0]: r[1] for r in rows(wb["Summary"]) if r and r[0] is not None}


def test_every_batch_has_a_workbook_with_summary_records_and_issues(tmp_path):
    text = HEAD + "C-1,Alpha Clinic,Boston,USA,2024-03-05,1500.50\nC-2,Beta Labs,Cambridge,USA,,\n"
    result, folder, wb = convert(tmp_path, "customers.csv", text)
    assert wb.sheetnames == ["Summary", "CUSTOMER.CSV", "Issues"]
    assert str(folder / "review.xlsx") in result.outputs
    s = summary(wb)
    assert s["Source file"] == "customers.csv"
    assert s["Direction"] == "BizOps → Sage 50"
    assert s["Entity"] == "customers"
    assert s["Batch"] == result.batch
    assert (
        s["Rows read"],
        s["Records out (rows in the import file)"],
        s["Rows rejected (see the Rejected sheet)"],
    ) == (2, 2, 0)
    assert s["Creates (new records)"] == 2 and s["Updates (changed records; see the Changes sheet)"] == 0
    # The import steps: the template, the fields to Show in order, "First Row Contains Headings".
    steps = " ".join(str(v) for k, v in s.items() if str(k).startswith("Step"))
    assert "Accounts Receivable ▸ Customer List" in steps
    assert "First Row Contains Headings" in steps
    manifest = json.loads((folder / "manifest.json").read_text())
    fields = manifest["target"]["fields"]
    listed = [r[1] for r in rows(wb["Summary"]) if r and isinstance(r[0], str) and r[0].isdigit()]
    assert listed == fields
    # The records, exactly as imported: the import file's columns, in its order.
    records = wb["CUSTOMER.CSV"]
    assert [c.value for c in records[1]] == fields
    assert records.max_row == 3
    assert records.freeze_panes == "A2"
    assert records.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(fields))}3"
    assert records.column_dimensions["B"].width >= len("Customer Name")
    col = {name: i + 1 for i, name in enumerate(fields)}
    since = records.cell(2, col["Customer Since Date"])
    assert since.value == dt.datetime(2024, 3, 5) and since.number_format == "m/d/yy"
    assert records.cell(2, col["Customer ID"]).value == "C-1"


def test_amounts_are_numbers_with_a_number_format(tmp_path):
    text = "VendorID,Name,CreditLimit\nV-1,Acme,2500.5\n"
    config = '[ownership]\nvendors = "bizops"\n'
    _, _, wb = convert(tmp_path, "vendors.csv", text, config=config)
    ws = wb["VENDOR.CSV"]
    header = [c.value for c in ws[1]]
    cell = ws.cell(2, header.index("Credit Limit") + 1)
    assert cell.value == 2500.5 and cell.number_format == "#,##0.00"


@pytest.mark.parametrize(
    "value", ["+1 617 555 0100", "-5 below", "@SUM(A1:A9)", '=HYPERLINK("http://x","y")']
)
def test_text_that_looks_like_a_formula_is_stored_as_text(tmp_path, value):
    text = HEAD + f'C-1,"{value.replace(chr(34), chr(34) * 2)}",Boston,USA,,\nC-2,Plain,Boston,USA,,\n'
    _, folder, wb = convert(tmp_path, "customers.csv", text)
    found = [
        c
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith(value[:6])
    ]
    assert found, "the value is in the workbook"
    for cell in found:
        assert cell.data_type == "s"
        assert cell.quotePrefix
    with zipfile.ZipFile(folder / "review.xlsx") as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)
    if value.startswith("="):  # refused for Sage, so it is on the Rejected sheet, as text
        assert "Rejected" in wb.sheetnames
        assert wb["Rejected"]["B2"].value == value


def test_cut_and_replaced_cells_are_highlighted_with_a_comment(tmp_path):
    long_name = "The Very Long Name Of A Medical Clinic In Boston"  # Sage holds 39
    text = HEAD + f'C-1,{long_name},"Bos""ton",USA,,\n'
    _, _, wb = convert(tmp_path, "customers.csv", text)
    ws = wb["CUSTOMER.CSV"]
    header = [c.value for c in ws[1]]
    name = ws.cell(2, header.index("Customer Name") + 1)
    assert name.value == long_name[:39]
    assert name.fill.fgColor.rgb.endswith("FCE4D6")
    assert "cut" in name.comment.text
    city = ws.cell(2, header.index("Bill to City") + 1)
    assert city.value == "Bos''ton" and "double quotes" in city.comment.text
    untouched = ws.cell(2, header.index("Customer ID") + 1)
    assert untouched.comment is None


def test_defaulted_cells_are_highlighted_with_why(tmp_path):
    template = json.loads((templates_root() / "maps/bizops-to-sage50/customers.json").read_text())
    for rule in template["rules"]:
        if rule["target"] == "Bill to Country":
            rule["transforms"] = [{"op": "default", "value": "USA"}]
    (tmp_path / "site-customers.json").write_text(json.dumps(template), encoding="utf-8")
    config = '[maps.bizops-to-sage50]\ncustomers = "site-customers.json"\n'
    _, _, wb = convert(
        tmp_path, "customers.csv", HEAD + "C-1,Alpha,Boston,,,\nC-2,Beta,Boston,Canada,,\n", config=config
    )
    ws = wb["CUSTOMER.CSV"]
    header = [c.value for c in ws[1]]
    col = header.index("Bill to Country") + 1
    filled, given = ws.cell(2, col), ws.cell(3, col)
    assert filled.value == "USA" and "default 'USA'" in filled.comment.text
    assert filled.fill.fgColor.rgb.endswith("FFF2CC")
    assert given.value == "Canada" and given.comment is None


def test_updates_show_old_and_new_values(tmp_path):
    convert(tmp_path, "customers.csv", HEAD + "C-1,Alpha,Boston,USA,,\nC-2,Beta,Boston,USA,,\n")
    result, _, wb = convert(
        tmp_path, "customers2.csv", HEAD + "C-1,Alpha,Cambridge,USA,,\nC-2,Beta,Boston,USA,,\n"
    )
    assert result.counts == {"created": 0, "updated": 1, "unchanged": 1}
    assert summary(wb)["Updates (changed records; see the Changes sheet)"] == 1
    changes = rows(wb["Changes"])
    assert changes[0] == ("Record", "Field", "Was", "Now", "Cell")
    assert changes[1][:4] == ("C-1", "Bill to City", "Boston", "Cambridge")
    ws = wb["CUSTOMER.CSV"]
    header = [c.value for c in ws[1]]
    cell = ws.cell(2, header.index("Bill to City") + 1)
    assert cell.value == "Cambridge" and "'Boston' → 'Cambridge'" in cell.comment.text
    # The link in the Changes sheet goes to that cell.
    link = wb["Changes"]["E2"].hyperlink.location
    assert link == f"'CUSTOMER.CSV'!{cell.coordinate}"


def test_each_issue_links_to_its_cell(tmp_path):
    text = HEAD + 'C-1,Alpha,Boston,USA,not a date,\nC-2,Beta "B",Boston,USA,,\nC*3,Gamma,Salem,USA,,\n'
    result, _, wb = convert(tmp_path, "customers.csv", text)
    issues = rows(wb["Issues"])
    assert issues[0] == ("Row", "Column", "Code", "Severity", "Message", "Cell")
    assert [(r[0], r[1], r[2]) for r in issues[1:]] == [(i.row, i.column, i.code) for i in result.issues]
    assert len(issues) == 4  # an odd date is reported once, not by each step that saw it
    by_code = {r[2].value: i for i, r in enumerate(wb["Issues"].iter_rows(min_row=1), start=1)}
    # A warning on a converted record links into the records sheet; the rejected row's error, into Rejected.
    quote = wb["Issues"].cell(by_code["quote-replaced"], 6).hyperlink.location
    sheet, ref = quote.split("!")
    assert sheet == "'CUSTOMER.CSV'" and wb["CUSTOMER.CSV"][ref].value == "Beta ''B''"
    odd = wb["Issues"].cell(by_code["odd-value"], 6).hyperlink.location
    assert odd.split("!")[0] == "'CUSTOMER.CSV'"
    bad = wb["Issues"].cell(by_code["bad-id"], 6).hyperlink.location
    sheet, ref = bad.split("!")
    assert sheet == "'Rejected'" and wb["Rejected"][ref].value == "C*3"
    assert [c.value for c in wb["Rejected"][1]][-1] == "Error"


def test_the_records_sheet_is_capped_and_says_so(tmp_path):
    text = HEAD + "".join(f"C-{i},Name {i},Boston,USA,,\n" for i in range(5))
    _, _, wb = convert(tmp_path, "customers.csv", text, config="[review]\nmax_rows = 2\n")
    assert wb["CUSTOMER.CSV"].max_row == 3
    assert "first 2 of 5 records" in summary(wb)["Records shown"]


def test_a_transaction_batch_shows_its_control_totals(tmp_path, samples):
    config = (
        SAGE50_ACCOUNTS
        + '[checks]\nunknown_references = "warning"\n[sage50.sales_tax.MA]\nagency = "MA-DOR"\naccount = "23100"\n'
    )
    text = (samples / "bizops" / "invoices.csv").read_text(encoding="utf-8")
    result, _, wb = convert(tmp_path, "invoices.csv", text, config=config)
    s = summary(wb)
    assert s["Creates (documents)"] == result.controls["out"]["documents"]
    assert s["Net: in / out"].endswith("(agree)")
    assert wb["SALES.CSV"].max_row == result.records_out + 1
    header = [c.value for c in wb["SALES.CSV"][1]]
    amount = wb["SALES.CSV"].cell(2, header.index("Amount") + 1)
    assert isinstance(amount.value, int | float) and amount.number_format == "#,##0.00"


def _soffice() -> str | None:
    """LibreOffice's command, on the PATH or where its installers put it."""
    places = ("/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice",
              "/Applications/LibreOffice.app/Contents/MacOS/soffice")  # fmt: skip
    return shutil.which("soffice") or next((p for p in places if Path(p).is_file()), None)


def _render_pdf(tmp_path: Path, workbook: Path) -> bytes:
    out = tmp_path / "pdf"
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [
            _soffice(),
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return (out / "review.pdf").read_bytes()


@pytest.mark.skipif(_soffice() is None, reason="LibreOffice is not installed")
def test_libreoffice_converts_the_workbook_to_pdf(tmp_path):
    text = HEAD + 'C-1,"=1+1",Boston,USA,2024-03-05,\nC-2,Beta "B",Boston,USA,,\n'
    _, folder, _ = convert(tmp_path, "customers.csv", text)
    pdf = _render_pdf(tmp_path, folder / "review.xlsx")
    assert pdf[:5] == b"%PDF-"
    assert len(pdf) > 2000


@pytest.mark.skipif(_soffice() is None, reason="LibreOffice is not installed")
def test_libreoffice_prints_a_credit_limit_batch_landscape(tmp_path):
    convert(tmp_path, "CUSTOMER.CSV", FIRST)
    _, folder, _ = convert(tmp_path, "CUSTOMER2.CSV", SECOND)
    pdf = _render_pdf(tmp_path, folder / "review.xlsx")
    assert pdf[:5] == b"%PDF-"
    boxes = [tuple(float(n) for n in box.split()) for box in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf)]
    assert boxes and all(x1 - x0 > y1 - y0 for x0, y0, x1, y1 in boxes)  # every page landscape
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert 4 <= pages <= 8  # Summary, Credit limits, Issues, Rejected: each one page wide


def test_every_update_is_listed_even_past_the_records_shown(tmp_path):
    config = "[review]\nmax_rows = 1\n"
    convert(
        tmp_path,
        "customers.csv",
        HEAD + "C-1,A,Boston,USA,,\nC-2,B,Boston,USA,,\nC-3,C,Boston,USA,,\n",
        config=config,
    )
    text = HEAD + "C-1,A,Salem,USA,,\nC-2,B,Salem,USA,,\nC-3,C,Salem,USA,,\n"
    _, _, wb = convert(tmp_path, "customers2.csv", text, config=config)
    changes = rows(wb["Changes"])[1:]
    assert [(r[0], r[1], r[2], r[3]) for r in changes] == [
        (f"C-{i}", "Bill to City", "Boston", "Salem") for i in (1, 2, 3)
    ]
    assert changes[0][4] and changes[1][4] is None and changes[2][4] is None  # only C-1 is shown


# ------------------------------------------------------------------ credit limits, widths, printing
SAGE_CUSTOMERS = "Customer ID,Customer Name,Bill to City,Credit Limit,Credit Status\n"
FIRST = (
    SAGE_CUSTOMERS + "C-1,Alpha,Boston,1000.00,OK\nC-2,Beta,Boston,2000.00,OK\nC-3,Gamma,Boston,500.00,OK\n"
)
SECOND = (
    SAGE_CUSTOMERS + "C-1,Alpha,Boston,1100.00,OK\nC-2,Beta,Boston,50000.00,Notify Over Limit\n"
    "C-3,Gamma,Boston,500.00,OK\n,No ID,Boston,5.00,OK\n"
)


@pytest.fixture
def credit_batch(tmp_path):
    """A credit-limit batch (BizOps owns customers): one change sent, one held, one unchanged,
    one row rejected."""
    convert(tmp_path, "CUSTOMER.CSV", FIRST)
    return convert(tmp_path, "CUSTOMER2.CSV", SECOND)


def test_a_credit_limit_batch_shows_each_customers_limit_before_and_now(credit_batch):
    _, _, wb = credit_batch
    assert wb.sheetnames == ["Summary", "Credit limits", "Issues", "Rejected"]
    table = rows(wb["Credit limits"])
    assert table[0] == (
        "Row", "Customer ID", "Credit limit", "Credit status", "Limit before", "Status before", "Change", "Why",
    )  # fmt: skip
    by_id = {r[1]: r for r in table[1:]}
    assert table[1][1] == "C-2"  # held changes first
    held = by_id["C-2"]
    assert held[2:7] == (50000.0, "Notify Over Limit", 2000.0, "OK", "HELD: not sent")
    assert "above 50 % or 10,000" in held[7]
    assert by_id["C-1"][2:7] == (1100.0, "OK", 1000.0, "OK", "changed: goes to BizOps")
    assert by_id["C-3"][6] == "unchanged: not sent again"
    sheet = wb["Credit limits"]
    assert sheet["C3"].comment is not None and "'1000.00' → '1100.00'" in sheet["C3"].comment.text
    assert sheet["A2"].fill.fgColor.rgb.endswith("F8CBAD")  # the held row is marked
    s = summary(wb)
    assert s["Import file"] == "credit_limits.csv"
    assert s["File for BizOps"] == "credit_limits.csv (1 customers)"
    assert s["Held changes"].startswith("held-credit-limits.csv: 1 customers")
    assert any("credit_limits.csv" in str(v) for k, v in s.items() if str(k).startswith("Step"))


def test_the_summary_highlights_rejected_rows_and_held_changes(credit_batch):
    _, _, wb = credit_batch
    ws = wb["Summary"]
    marked = {r[0].value for r in ws.iter_rows() if r[0].fill.fgColor.rgb.endswith("F8CBAD")}
    assert marked == {
        "Rows rejected",
        "Credit-limit changes held",
        "Rows rejected (see the Rejected sheet)",
        "Held",
    }
    assert ws["A2"].value is None and ws["A3"].value == "Needs attention"  # first thing on the sheet


def test_a_clean_batch_highlights_nothing(tmp_path):
    _, _, wb = convert(tmp_path, "customers.csv", HEAD + "C-1,Alpha,Boston,USA,,\n")
    assert "Needs attention" not in summary(wb)
    assert not [r for r in wb["Summary"].iter_rows() if r[0].fill.fgColor.rgb.endswith("F8CBAD")]


def _check_layout(wb, records: str) -> None:
    """Every sheet: landscape, one page wide, heading row repeated; labels (headings, the Summary's
    first column) never cut; longer texts wrap (the records sheet's data aside: it is the import
    file as it is, its columns up to 60 wide)."""
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$1:$1", ws.title
        for row in ws.iter_rows():
            for cell in row:
                if not isinstance(cell.value, str) or cell.hyperlink:
                    continue
                width = ws.column_dimensions[cell.column_letter].width
                summary = ws.title == "Summary"
                if (cell.row == 1 and not summary) or (summary and cell.row > 1 and cell.column == 1):
                    assert len(cell.value) <= width, (ws.title, cell.coordinate, cell.value, width)
                elif len(cell.value) > width and ws.title != records and cell.row > 1:
                    assert cell.alignment.wrap_text, (ws.title, cell.coordinate, cell.value, width)


def test_every_sheet_fits_and_prints(credit_batch, tmp_path):
    _check_layout(credit_batch[2], records="")
    (tmp_path / "b").mkdir()
    text = HEAD + "C-1,Alpha,Boston,USA,2024-13-45,\nC*2,Beta,Boston,USA,,\n"
    _, _, wb = convert(tmp_path / "b", "customers.csv", text)
    assert wb.sheetnames == ["Summary", "CUSTOMER.CSV", "Issues", "Rejected"]
    _check_layout(wb, records="CUSTOMER.CSV")
    long_messages = [c for c in wb["Issues"]["E"][1:] if len(c.value) > 40]
    assert long_messages and all(c.alignment.wrap_text for c in long_messages)
    label = max((r[0] for r in rows(wb["Summary"])[1:] if isinstance(r[0], str)), key=len)
    assert wb["Summary"].column_dimensions["A"].width >= len(label) > 34  # 34: its old, cutting width


def _credit_sheet_row_by_row(ws, rows):
    """The Credit limits sheet as it was written before (a row at a time, a cell object each)."""
    from converter.review.sheets import ALERT, fit_widths
    from converter.review.workbook import (
        BOLD,
        CREDIT_HEADINGS,
        MEANING,
        Cell,
        _amount,
        _annotate,
        _text_cell,
    )

    ws.freeze_panes = "C2"
    shown = [
        (*r[:6], MEANING.get(r[6], r[6]), r[7]) for r in sorted(rows, key=lambda r: (r[6] != "held", r[0]))
    ]
    columns = [[r[i] for r in shown[:2000]] for i in range(len(CREDIT_HEADINGS))]
    wrap = fit_widths(ws, zip(CREDIT_HEADINGS, columns, strict=True), wide=80)
    ws.auto_filter = f"A1:H{max(2, len(shown) + 1)}"
    ws.append([_text_cell(h, font=BOLD) for h in CREDIT_HEADINGS])
    for row, customer, limit, status, was_limit, was_status, change, why in shown:
        cells = [
            Cell(row),
            _text_cell(customer),
            _amount(limit),
            _text_cell(status),
            _amount(was_limit),
            _text_cell(was_status),
            _text_cell(change, font=BOLD if change.startswith("HELD") else None),
            _text_cell(why, wrap=wrap[7]),
        ]
        if change.startswith(("changed", "released", "HELD")):
            for cell, now, before, name in (
                (cells[2], limit, was_limit, "limit"),
                (cells[3], status, was_status, "status"),
            ):
                if now != before:
                    _annotate(
                        cell, [("changed", f"Credit {name}: {before!r} → {now!r} (sent before → now).")]
                    )
        if change.startswith("HELD"):
            for cell in cells:
                cell.fill = ALERT
        ws.append(cells)


@pytest.mark.parametrize("count", [0, 1, 7])
def test_the_credit_limits_sheet_is_the_one_written_a_row_at_a_time(tmp_path, count):
    """Built a column at a time, the sheet is byte for byte the one written row by row: new,
    changed, held, released and unchanged customers, changed limits and statuses (comments),
    held rows marked, amounts that are not numbers, values repeated down the columns."""
    from converter.review.workbook import write_credit_limits_sheet
    from converter.review.xlsx import Workbook

    rows = [
        (2, "ALDEN", "5000.00", "Active", "", "", "new", ""),
        (3, "BAKER", "7500.00", "Active", "5000.00", "Active", "changed", ""),
        (4, "CORTEZ", "90000.00", "Hold", "5000.00", "Active", "held", "more than 50 % up; -sure?"),
        (5, "DUVAL", "5000.00", "Active", "5000.00", "Active", "unchanged", ""),
        (6, "EVANS", "n/a", "Active", "5000.00", "Hold", "released", ""),
        (7, "FOX", "5000.00", "=Active", "5000.00", "Active", "changed", ""),
        (8, "GRAY", "1e3", "Active", "5000.00", "Active", "held", "why\nnot"),
    ][:count]
    saved = {}
    for name, write in (("rows", _credit_sheet_row_by_row), ("columns", write_credit_limits_sheet)):
        wb = Workbook("tester")
        write(wb.create_sheet("Credit limits"), rows)
        wb.save(tmp_path / f"{name}.xlsx")
        with zipfile.ZipFile(tmp_path / f"{name}.xlsx") as z:
            saved[name] = {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}
    assert saved["columns"] == saved["rows"]
