"""A small, fast, write-only XLSX writer: just what ``review.xlsx`` needs.

Rows are turned into sheet XML as they are appended (a plain text cell costs one f-string), so a
workbook of a thousand 40-column records is written in a few hundredths of a second, without
loading a spreadsheet library. What it writes: text (always as text, never as a formula), numbers,
dates (Excel serial numbers with a date format), cell styles (bold, title, link font; solid fills;
number formats; wrapped text; Excel's quote prefix), comments (with their VML shapes), links to
cells inside the workbook, column widths, frozen panes, an autofilter, and print settings
(landscape, fitted to one page wide, heading rows repeated on every page).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
import zipfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
FONTS = {  # a font's name -> its XML (the default font first)
    None: '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>',
    "bold": '<font><b val="1"/><sz val="11"/><name val="Calibri"/><family val="2"/></font>',
    "title": '<font><b val="1"/><sz val="14"/><name val="Calibri"/><family val="2"/></font>',
    "link": '<font><u val="single"/><sz val="11"/><color rgb="FF0563C1"/><name val="Calibri"/>'
    '<family val="2"/></font>',
}
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4}
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")  # XML cannot hold them
EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (1900 date system)
_MARK = "\x00"  # a stand-in cell reference (see Sheet.tail)
_MARK_OPEN = f'<c r="{_MARK}"'


@dataclass(slots=True)
class Cell:
    """A cell that needs more than its value: a style, a comment (text, width px, height px) or a
    link to ``location`` (``'Sheet'!B2``) inside the workbook."""

    value: Any = None
    font: str | None = None  # None, "bold", "title" or "link"
    fill: str | None = None  # RGB, e.g. "FCE4D6"
    number_format: str | None = None
    wrap: bool = False
    quote: bool = False  # Excel's quote prefix: the text stays text when edited
    comment: tuple[str, int, int] | None = None
    link: str | None = None


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def attribute(text: str) -> str:
    return escape(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


@cache
def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _text(ref: str, text: str, style: int = 0) -> str:
    s = f' s="{style}"' if style else ""
    space = ' xml:space="preserve"' if text.strip() != text else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def _number(value: Any) -> str | None:
    """A number's XML value, as openpyxl writes it ("%.16g"; "" for NaN or infinity); None for a
    value that is not a number or a date."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.16g}" if math.isfinite(value) else ""
    if isinstance(value, dt.datetime):
        delta = value - dt.datetime(1899, 12, 30)
        days = delta.days - (1 if 0 < delta.days <= 60 else 0)  # Excel's leap day of 1900
        return f"{days + (delta.seconds + delta.microseconds / 1e6) / 86400:.16g}"
    if isinstance(value, dt.date):
        days = (value - EPOCH).days
        return str(days - 1 if 0 < days <= 60 else days)
    item = getattr(value, "item", None)  # a numpy number
    return _number(item()) if callable(item) and not isinstance(value, str) else None


@dataclass
class Sheet:
    """One worksheet; rows are appended in order (A1 first)."""

    book: Workbook
    name: str
    widths: dict[int, float] = field(default_factory=dict)
    freeze_panes: str | None = None
    auto_filter: str | None = None
    title_rows: str | None = None  # rows repeated on every printed page, e.g. "1:1"
    landscape: bool = False
    fit_to_width: bool = False  # one page wide, as many tall as needed
    rows: list[str] = field(default_factory=list)
    comments: list[tuple[str, int, int, tuple[str, int, int]]] = field(default_factory=list)
    links: list[tuple[str, str, str]] = field(default_factory=list)

    def set_width(self, column: int, width: float) -> None:
        """``column`` from 1; ``width`` in characters."""
        self.widths[column] = width

    def append(self, values: list[Any]) -> None:
        """The next row: each value a str (text), a number, a date, a ``Cell`` or None (empty)."""
        r = len(self.rows) + 1
        parts = [
            self.piece(f"{column_letter(i)}{r}", value, r, i)
            for i, value in enumerate(values, start=1)
            if value is not None  # an empty cell ("" too: its piece is "")
        ]
        self.rows.append(f'<row r="{r}">{"".join(parts)}</row>')

    def piece(self, ref: str, value: Any, row: int, column: int) -> str:
        """The XML of the cell at ``ref`` (row and column from 1) holding ``value`` (as ``append``
        takes it); "" for an empty cell. A style the cell needs is registered with the book."""
        if type(value) is str:
            return _text(ref, value) if value else ""
        if isinstance(value, Cell):
            return self._cell(ref, value, row, column)
        return "" if value is None else self._value(ref, value, 0)

    def tail(self, value: Any) -> str:
        """``piece`` without the cell's reference: what follows ``<c r="B7"`` ("" for an empty
        cell), the same in every row. Not for a ``Cell`` with a comment or a link (they are listed
        by cell)."""
        xml = self.piece(_MARK, value, 0, 0)
        return xml[len(_MARK_OPEN) :]

    def _value(self, ref: str, value: Any, style: int) -> str:
        if value is None or (isinstance(value, str) and value == ""):
            return f'<c r="{ref}" s="{style}"/>' if style else ""
        if isinstance(value, str):
            return _text(ref, value, style)
        s = f' s="{style}"' if style else ""
        if isinstance(value, bool):
            return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
        number = _number(value)
        if number is None:
            return _text(ref, str(value), style)
        return f'<c r="{ref}"{s} t="n"><v>{number}</v></c>' if number else f'<c r="{ref}"{s}/>'

    def _cell(self, ref: str, cell: Cell, row: int, column: int) -> str:
        number_format = cell.number_format
        if number_format is None and isinstance(cell.value, dt.date):
            number_format = "yyyy-mm-dd h:mm:ss" if isinstance(cell.value, dt.datetime) else "yyyy-mm-dd"
        style = self.book.style(cell.font, cell.fill, number_format, cell.wrap, cell.quote)
        if cell.comment is not None:
            self.comments.append((ref, row - 1, column - 1, cell.comment))
        if cell.link is not None:
            display = cell.value if isinstance(cell.value, str) else cell.link
            self.links.append((ref, cell.link, display))
        return self._value(ref, cell.value, style)

    # ------------------------------------------------------------------ the sheet's XML
    def xml(self, index: int, comments_rel: str | None) -> list[str]:
        selected = ' tabSelected="1"' if index == 0 else ""
        head = [
            f'{HEAD}<worksheet xmlns="{MAIN}" xmlns:r="{RELS}">',
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if self.fit_to_width else "",
            f'<sheetViews><sheetView{selected} workbookViewId="0">{_pane(self.freeze_panes)}</sheetView>'
            "</sheetViews>",
            '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>',
        ]
        if self.widths:
            cols = "".join(
                f'<col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'
                for c, w in sorted(self.widths.items())
            )
            head.append(f"<cols>{cols}</cols>")
        tail = ["</sheetData>"]
        if self.auto_filter:
            tail.append(f'<autoFilter ref="{self.auto_filter}"/>')
        if self.links:
            links = "".join(
                f'<hyperlink ref="{ref}" location="{attribute(where)}" display="{attribute(shown)}"/>'
                for ref, where, shown in self.links
            )
            tail.append(f"<hyperlinks>{links}</hyperlinks>")
        tail.append('<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>')
        setup = ' orientation="landscape"' if self.landscape else ""
        setup += ' fitToWidth="1" fitToHeight="0"' if self.fit_to_width else ""
        if setup:
            tail.append(f"<pageSetup{setup}/>")
        if comments_rel:
            tail.append(f'<legacyDrawing r:id="{comments_rel}"/>')
        tail.append("</worksheet>")
        return [*head, "<sheetData>", *self.rows, *tail]


def _pane(freeze: str | None) -> str:
    """The frozen pane above and left of ``freeze`` (e.g. A2: the first row; C2: and two columns)."""
    if not freeze or freeze == "A1":
        return ""
    letters = freeze.rstrip("0123456789")
    row = int(freeze[len(letters) :])
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch) - 64
    x, y = column - 1, row - 1
    splits = (f' xSplit="{x}"' if x else "") + (f' ySplit="{y}"' if y else "")
    pane = "bottomRight" if x and y else ("topRight" if x else "bottomLeft")
    selections = "".join(f'<selection pane="{p}"/>' for p in ("topRight", "bottomLeft") if x and y)
    return (
        f'<pane{splits} topLeftCell="{freeze}" activePane="{pane}" state="frozen"/>{selections}'
        f'<selection pane="{pane}" activeCell="{freeze}" sqref="{freeze}"/>'
    )


class Workbook:
    """Sheets in order; ``save`` writes the package."""

    def __init__(self, author: str) -> None:
        self.author = author
        self.sheets: list[Sheet] = []
        self.styles: dict[tuple, int] = {(None, None, None, False, False): 0}
        self.formats: dict[str, int] = {}
        self.fills: dict[str, int] = {}

    def create_sheet(self, name: str) -> Sheet:
        sheet = Sheet(self, name)
        self.sheets.append(sheet)
        return sheet

    def style(
        self, font: str | None, fill: str | None, number_format: str | None, wrap: bool, quote: bool
    ) -> int:
        key = (font, fill, number_format, wrap, quote)
        found = self.styles.get(key)
        if found is None:
            found = self.styles[key] = len(self.styles)
            if fill is not None:
                self.fills.setdefault(fill, len(self.fills) + 2)  # 0: none, 1: gray125 (required)
            if number_format is not None and number_format not in BUILTIN_FORMATS:
                self.formats.setdefault(number_format, 164 + len(self.formats))
        return found

    def save(self, path: Path) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            noted = 0
            for index, sheet in enumerate(self.sheets):
                rel = None
                if sheet.comments:
                    noted += 1
                    rel = "rId1"
                    z.writestr(f"xl/worksheets/_rels/sheet{index + 1}.xml.rels", _sheet_rels(noted))
                    z.writestr(f"xl/comments{noted}.xml", _comments(sheet.comments, self.author))
                    z.writestr(f"xl/drawings/vmlDrawing{noted}.vml", _vml(sheet.comments, noted))
                part = zipfile.ZipInfo(f"xl/worksheets/sheet{index + 1}.xml", time.localtime()[:6])
                part.compress_type = zipfile.ZIP_DEFLATED
                with z.open(part, "w") as out:
                    for part in sheet.xml(index, rel):
                        out.write(part.encode("utf-8", "replace"))
            z.writestr("[Content_Types].xml", self._content_types(noted))
            z.writestr("_rels/.rels", _ROOT_RELS)
            z.writestr("docProps/app.xml", _APP)
            z.writestr("docProps/core.xml", _core(self.author))
            z.writestr("xl/workbook.xml", self._workbook_xml())
            z.writestr("xl/_rels/workbook.xml.rels", self._workbook_rels())
            z.writestr("xl/styles.xml", self._styles_xml())

    def _content_types(self, noted: int) -> str:
        kind = "application/vnd.openxmlformats-officedocument"
        parts = [
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{kind}.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(self.sheets) + 1)
        ] + [
            f'<Override PartName="/xl/comments{i}.xml" ContentType="{kind}.spreadsheetml.comments+xml"/>'
            for i in range(1, noted + 1)
        ]
        return (
            f'{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Default Extension="vml" ContentType="{kind}.vmlDrawing"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.spreadsheetml.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{kind}.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.'
            'core-properties+xml"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{kind}.extended-properties+xml"/>'
            f"{''.join(parts)}</Types>"
        )

    def _workbook_xml(self) -> str:
        sheets = "".join(
            f'<sheet name="{attribute(s.name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, s in enumerate(self.sheets, start=1)
        )
        names = []
        for i, s in enumerate(self.sheets):
            quoted = escape(quote_sheet(s.name))
            if s.auto_filter:
                first, _, last = s.auto_filter.partition(":")
                area = "!".join((quoted, _absolute(first) + (":" + _absolute(last) if last else "")))
                names.append(
                    f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">{area}</definedName>'
                )
            if s.title_rows:
                top, _, bottom = s.title_rows.partition(":")
                names.append(
                    f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{quoted}!${top}:${bottom or top}</definedName>'
                )
        defined = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
        return (
            f'{HEAD}<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><workbookPr/>'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f'<sheets>{sheets}</sheets>{defined}<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
        )

    def _workbook_rels(self) -> str:
        kind = f"{RELS}/"
        n = len(self.sheets)
        rels = [
            f'<Relationship Id="rId{i}" Type="{kind}worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        ]
        rels.append(f'<Relationship Id="rId{n + 1}" Type="{kind}styles" Target="styles.xml"/>')
        return f'{HEAD}<Relationships xmlns="{PKG_RELS}">{"".join(rels)}</Relationships>'

    def _styles_xml(self) -> str:
        formats = "".join(
            f'<numFmt numFmtId="{i}" formatCode="{attribute(code)}"/>' for code, i in self.formats.items()
        )
        fonts = list(FONTS)
        fills = "".join(
            f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/><bgColor indexed="64"/></patternFill></fill>'
            for rgb in self.fills
        )
        xfs = []
        for font, fill, number_format, wrap, quote in self.styles:
            fmt = BUILTIN_FORMATS.get(number_format or "General", self.formats.get(number_format or "", 0))
            attrs = f'numFmtId="{fmt}" fontId="{fonts.index(font)}" fillId="{self.fills.get(fill, 0) if fill else 0}"'
            attrs += ' borderId="0" xfId="0"'
            attrs += ' applyNumberFormat="1"' if fmt else ""
            attrs += ' applyFont="1"' if font else ""
            attrs += ' applyFill="1"' if fill else ""
            attrs += ' quotePrefix="1"' if quote else ""
            xfs.append(
                f'<xf {attrs} applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
                if wrap
                else f"<xf {attrs}/>"
            )
        return (
            f'{HEAD}<styleSheet xmlns="{MAIN}">'
            + (f'<numFmts count="{len(self.formats)}">{formats}</numFmts>' if self.formats else "")
            + f'<fonts count="{len(FONTS)}">{"".join(FONTS.values())}</fonts>'
            f'<fills count="{len(self.fills) + 2}"><fill><patternFill patternType="none"/></fill>'
            f'<fill><patternFill patternType="gray125"/></fill>{fills}</fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )


def _absolute(ref: str) -> str:
    letters = ref.rstrip("0123456789")
    return f"${letters}${ref[len(letters) :]}"


def _sheet_rels(noted: int) -> str:
    return (
        f'{HEAD}<Relationships xmlns="{PKG_RELS}">'
        f'<Relationship Id="rId1" Type="{RELS}/vmlDrawing" Target="../drawings/vmlDrawing{noted}.vml"/>'
        f'<Relationship Id="rId2" Type="{RELS}/comments" Target="../comments{noted}.xml"/>'
        "</Relationships>"
    )


def _comments(comments: list, author: str) -> str:
    body = "".join(
        f'<comment ref="{ref}" authorId="0"><text><t xml:space="preserve">{escape(text)}</t></text></comment>'
        for ref, _, _, (text, _, _) in comments
    )
    return (
        f'{HEAD}<comments xmlns="{MAIN}"><authors><author>{escape(author)}</author></authors>'
        f"<commentList>{body}</commentList></comments>"
    )


def _vml(comments: list, noted: int) -> str:
    """The comments' boxes (hidden until the cell is pointed at), as Excel writes them."""
    shapes = "".join(
        f'<v:shape id="_x0000_s{1024 * noted + n + 1}" type="#_x0000_t202" style="position:absolute;'
        f"margin-left:59.25pt;margin-top:1.5pt;width:{width}px;height:{height}px;z-index:{n + 1};"
        'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
        '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
        '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
        '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:AutoFill>False</x:AutoFill>'
        f"<x:Row>{row}</x:Row><x:Column>{column}</x:Column></x:ClientData></v:shape>"
        for n, (_, row, column, (_, width, height)) in enumerate(comments)
    )
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">'
        f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{noted}"/></o:shapelayout>'
        '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
        '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        f"{shapes}</xml>"
    )


_ROOT_RELS = (
    f'{HEAD}<Relationships xmlns="{PKG_RELS}">'
    f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{PKG_RELS}/metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{RELS}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)
_APP = (
    f'{HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>Microsoft Excel</Application></Properties>"
)


def _core(author: str) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f'{HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:creator>{escape(author)}</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>'
    )
