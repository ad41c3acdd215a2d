"""Hostile and broken inputs, fuzzed: whatever arrives, each file ends either as a clear failure (the
input kept as it was, exit code 1, a message naming the file) or as a correct conversion. Never a
crash (no ``internal-error``, no traceback), never a hang (every run is under a 30 s alarm), and
never a write outside the outbox (the folder tree is compared before and after each run).

Inputs: random bytes; random CSV dialects (delimiter, quoting, line ends, encoding); mixed encodings
in one file; NUL bytes; unbalanced quotes; a 10 MB cell; 100,000 columns; formula injection; odd
file names; symbolic links in the inbox; an XLSX zip bomb. Sizes are small and example counts
bounded, so the whole file runs in well under a minute.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import logging
import os
import signal
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from converter.cli.main import app
from converter.core.settings import load_settings
from converter.pipeline.convert import ConversionResult, convert_file
from converter.watch.watcher import UnsafeFolder, Watcher
from tests.conftest import CUSTOMER_COLUMNS, customers_csv, drop

TIMEOUT = 30.0  # seconds: longer than this is a hang
OK = ("converted", "rejected-rows", "empty", "recorded", "already-processed")
runner = CliRunner()


def fuzz(examples: int):
    """Bounded hypothesis settings: no deadline per example (the alarm guards hangs), no example
    database written into the test's folder."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# ---------------------------------------------------------------------------------------- guards
class Hung(BaseException):
    """Raised by the alarm; a BaseException, so the converter's own error handling cannot hide it."""


@contextlib.contextmanager
def deadline(what: str, seconds: float = TIMEOUT) -> Iterator[None]:
    """Fail if the block runs longer than ``seconds`` (SIGALRM; nested use restores the outer one)."""

    def ring(_signum: int, _frame: object) -> None:
        raise Hung(f"{what} took more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, ring)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 0.01))


def snapshot(root: Path, skip: set[Path]) -> dict[str, tuple]:
    """Every entry under ``root`` (links not followed) with its kind and content hash, except
    ``skip`` (the outboxes and ledgers, where writing is allowed)."""
    seen: dict[str, tuple] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if Path(folder, d) not in skip]
        for name in dirs + files:
            path = Path(folder, name)
            key = os.fsencode(path.relative_to(root)).decode("utf-8", "backslashreplace")
            if path.is_symlink():
                seen[key] = ("link", os.readlink(path))
            elif path.is_file():
                seen[key] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
            else:
                seen[key] = ("dir",) if path.is_dir() else ("other",)
    return seen


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


class Site:
    """A fresh company folder (config, inbox, outbox, ledger) under ``base``, one per example."""

    def __init__(self, base: Path, config: str = "") -> None:
        self.base = base
        self.root = Path(tempfile.mkdtemp(dir=base, prefix="site-"))
        self.inbox, self.outbox = self.root / "inbox", self.root / "outbox"
        self.inbox.mkdir()
        if config:
            (self.root / "bizops-sage50.toml").write_text(config, encoding="utf-8")
        self.settings = load_settings(None, cwd=self.root)
        self.writable = {self.outbox, self.root / ".bizops-sage50"}

    def tree(self) -> dict[str, tuple]:
        """This site's folder (but its outbox and ledger), and what lies beside it."""
        return {
            **snapshot(self.root, self.writable),
            "..": tuple(sorted(p.name for p in self.base.iterdir())),
        }

    def convert(self, name: str, data: bytes, **kwargs: object) -> tuple[ConversionResult, Path]:
        """Drop ``data`` as ``name``, convert it, and check the outcome is clear and contained."""
        path = self.inbox / name
        path.write_bytes(data)
        before = self.tree()
        with deadline(f"converting {name!r}"):
            result = convert_file(path, settings=self.settings, outbox=self.outbox, **kwargs)
        assert self.tree() == before, "something was written outside the outbox"
        assert_clear(result, path, data, self.outbox)
        return result, path


def assert_clear(result: ConversionResult, path: Path, data: bytes, outbox: Path) -> None:
    """A clear failure (input kept, nothing in the outbox, the file named) or a conversion."""
    messages = [f"{i.code}: {i.message}" for i in result.issues]
    assert "internal-error" not in {i.code for i in result.issues}, messages
    assert not any("Traceback" in m for m in messages), messages
    assert path.read_bytes() == data, "the input was changed"
    if result.status in ("failed", "refused"):
        errors = [i for i in result.issues if i.severity == "error"]
        assert errors and any(path.name in i.message for i in errors), messages
        assert not files_in(outbox), "a failed file left something in the outbox"
    else:
        assert result.status in OK, (result.status, messages)
        for output in result.outputs:
            assert Path(output).resolve().is_relative_to(outbox.resolve()) and Path(output).is_file()
        if result.status == "rejected-rows":
            assert any(i.severity == "error" and i.row for i in result.issues), messages


def sage_rows(result: ConversionResult, name: str = "CUSTOMER.CSV") -> list[dict[str, str]]:
    [output] = [o for o in result.outputs if Path(o).name == name]
    with open(output, encoding="cp1252", newline="") as fh:
        return list(csv.DictReader(fh))


def cli(*args: str) -> object:
    """The CLI, checked for the things every run must satisfy: an exit code, never a traceback."""
    with deadline(f"bizops-sage50 {' '.join(args)[:80]}"):
        res = runner.invoke(app, list(args))
    assert res.exit_code in (0, 1, 2), res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    return res


HEADER = customers_csv([]).encode()
VALID = customers_csv(["C1", "C2", "C3"]).encode()


def with_name(value: bytes, ids: tuple[str, ...] = ("C1",)) -> bytes:
    """A valid customers file whose first customer's Name is ``value`` (raw bytes, as given)."""
    text = customers_csv(list(ids), name="@@")
    first = f"@@ {ids[0]}".encode()
    return text.encode().replace(first, value, 1).replace(b"@@ ", b"N ")


# ---------------------------------------------------------------------------------- random bytes
@fuzz(40)
@given(
    data=st.one_of(
        st.binary(min_size=1, max_size=3_000),
        st.binary(max_size=1_000).map(lambda b: HEADER + b),
        st.binary(max_size=200).map(lambda b: VALID[:200] + b + VALID[200:]),
    ),
    name=st.sampled_from(["customers.csv", "SALES.CSV", "book.xlsx", "export.txt"]),
)
def test_random_bytes_end_clearly(tmp_path, data, name):
    Site(tmp_path).convert(name, data)


# --------------------------------------------------------------------------- random CSV dialects
NAME_TEXT = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ 0123456789,;|'\"&.-/éüñ"),
    max_size=24,
)


@fuzz(25)
@given(
    ids=st.lists(st.from_regex(r"[A-Z0-9]{1,10}", fullmatch=True), min_size=1, max_size=6, unique=True),
    names=st.lists(NAME_TEXT, min_size=6, max_size=6),
    delimiter=st.sampled_from([",", "\t", ";", "|"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    line_end=st.sampled_from(["\r\n", "\n", "\r"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    blank_lines=st.integers(0, 2),
)
def test_any_csv_dialect_converts_correctly(
    tmp_path, ids, names, delimiter, quoting, line_end, encoding, blank_lines
):
    names = ["Co " + n for n in names]  # a letter first: never blank, never a formula
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, quoting=quoting, lineterminator=line_end)
    writer.writerow(CUSTOMER_COLUMNS)
    for i, cid in enumerate(ids):
        row = dict.fromkeys(CUSTOMER_COLUMNS, "")
        row.update(CustomerID=cid, Name=names[i], City="Boston", Inactive="FALSE")
        writer.writerow([row[c] for c in CUSTOMER_COLUMNS])
        if i == 0:
            buf.write(line_end * blank_lines)  # blank lines inside the file are skipped
    result, _ = Site(tmp_path).convert("customers.csv", buf.getvalue().encode(encoding))
    assert result.status == "converted", [i.message for i in result.issues]
    rows = sage_rows(result)
    assert [r["Customer ID"] for r in rows] == ids
    # Sage cannot import double quotes: they become two apostrophes (a warning); ends are trimmed.
    expected = [n.replace('"', "''").strip() for n in names[: len(ids)]]
    assert [r["Customer Name"].strip() for r in rows] == expected
    assert all(r["Bill to City"] == "Boston" for r in rows)


# ------------------------------------------------------------------------------ mixed encodings
FRAGMENT = st.tuples(
    st.text(alphabet="aZé’€üß", min_size=1, max_size=4),
    st.sampled_from(["utf-8", "cp1252", "utf-16-le", "utf-16-be", "latin-1"]),
)


@fuzz(30)
@given(fragments=st.lists(FRAGMENT, min_size=1, max_size=6))
def test_mixed_encodings_in_one_file_end_clearly(tmp_path, fragments):
    value = b"".join(text.encode(enc, errors="replace") for text, enc in fragments)
    result, _ = Site(tmp_path).convert("customers.csv", with_name(b"X" + value, ("C1", "C2")))
    if b"\0" in value:  # UTF-16 of ASCII text: a NUL every other byte
        assert result.status == "failed" and result.issues[0].code == "unreadable-file"
    elif result.status == "converted":
        assert [r["Customer ID"] for r in sage_rows(result)] == ["C1", "C2"]


# ------------------------------------------------------------------------------------ NUL bytes
@fuzz(20)
@given(positions=st.lists(st.integers(0, len(VALID)), min_size=1, max_size=3))
def test_nul_bytes_are_refused_as_not_text(tmp_path, positions):
    data = bytearray(VALID)
    for pos in sorted(positions, reverse=True):
        data[pos:pos] = b"\0"
    result, path = Site(tmp_path).convert("customers.csv", bytes(data))
    assert result.status == "failed"
    [issue] = result.issues
    assert issue.code == "unreadable-file" and "NUL" in issue.message
    assert issue.message.startswith(path.name)


# ---------------------------------------------------------------------------- unbalanced quotes
@fuzz(20)
@given(positions=st.lists(st.integers(0, len(VALID)), min_size=1, max_size=3))
def test_unbalanced_quotes_end_clearly(tmp_path, positions):
    data = bytearray(VALID)
    for pos in sorted(positions, reverse=True):
        data[pos:pos] = b'"'
    Site(tmp_path).convert("customers.csv", bytes(data))


def test_an_unclosed_quote_that_swallows_the_file_rejects_the_row(tmp_path):
    result, _ = Site(tmp_path).convert("customers.csv", with_name(b'"Open quote', ("C1", "C2", "C3")))
    assert result.status == "rejected-rows"
    assert "ragged-row" in {i.code for i in result.issues}


# ---------------------------------------------------------------------------------- huge inputs
TEN_MB = 10 * 1024 * 1024


def test_a_10_mb_cell_is_refused_naming_row_column_and_key(tmp_path):
    result, _ = Site(tmp_path).convert("customers.csv", with_name(b"N" * TEN_MB))
    assert result.status == "failed"
    [issue] = result.issues
    assert issue.code == "too-large"
    assert issue.message.startswith(
        'customers.csv: row 2, column 2 ("Name") has 10,485,760 characters; the limit is 32,767 '
        "(`limits.max_cell_chars` in the config)"
    )


def test_a_10_mb_cell_under_a_raised_limit_is_cut_to_sages_length_with_a_warning(tmp_path):
    site = Site(tmp_path, "[limits]\nmax_cell_chars = 20000000\n")
    result, _ = site.convert("customers.csv", with_name(b"N" * TEN_MB))
    assert result.status == "converted"
    assert ("too-long", "warning") in {(i.code, i.severity) for i in result.issues}
    [row] = sage_rows(result)
    assert (
        row["Customer ID"] == "C1" and set(row["Customer Name"]) == {"N"} and len(row["Customer Name"]) < 100
    )


def test_100000_columns_in_the_heading_row_are_refused(tmp_path):
    data = (",".join(f"Col{i}" for i in range(100_000)) + "\r\n" + "x\r\n").encode()
    result, _ = Site(tmp_path).convert("wide.csv", data)
    assert result.status == "failed"
    [issue] = result.issues
    assert issue.code == "too-large"
    assert issue.message.startswith("wide.csv: row 1 has 100,000 columns; the limit is 1,000")
    assert "`limits.max_columns`" in issue.message


def test_100000_columns_in_a_data_row_are_refused_at_that_row(tmp_path):
    result, _ = Site(tmp_path).convert("customers.csv", VALID + b"C9" + b",x" * 99_999 + b"\r\n")
    assert result.status == "failed"
    assert result.issues[0].message.startswith("customers.csv: row 5 has 100,000 columns")


def test_100000_columns_under_a_raised_limit_are_a_ragged_row(tmp_path):
    site = Site(tmp_path, "[limits]\nmax_columns = 200000\n")
    result, _ = site.convert("customers.csv", VALID + b"C9" + b",x" * 99_999 + b"\r\n")
    assert result.status == "rejected-rows" and result.records_out == 3
    [ragged] = [i for i in result.issues if i.code == "ragged-row"]
    assert ragged.row == 5 and len(ragged.message) < 500


def test_blank_lines_inside_the_file_keep_spreadsheet_row_numbers(tmp_path):
    text = customers_csv(["C1", "C2"]) + "\r\n\r\n" + customers_csv(["C3"]).split("\r\n", 1)[1]
    bad = text.replace("N C3", "=1+1").replace("Watch Test C3", "=1+1")
    result, _ = Site(tmp_path).convert("customers.csv", bad.encode())
    assert [(i.row, i.code) for i in result.issues if i.severity == "error"] == [(6, "formula")]


# ---------------------------------------------------------------------------- formula injection
FORMULAS = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://x","y")', " =1+1", "\t=SUM(A1:A9)"]


@pytest.mark.parametrize("value", FORMULAS)
@pytest.mark.parametrize("column", ["Name", "City"])
def test_a_cell_starting_with_equals_is_an_error_never_a_silent_pass(tmp_path, value, column):
    row = dict.fromkeys(CUSTOMER_COLUMNS, "")
    row.update(CustomerID="C1", Name="Fine", City="Boston", Inactive="FALSE")
    row[column] = value
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CUSTOMER_COLUMNS)
    writer.writerow([row[c] for c in CUSTOMER_COLUMNS])
    writer.writerow(["C2", "Also Fine", *[""] * (len(CUSTOMER_COLUMNS) - 2)])
    result, _ = Site(tmp_path).convert("customers.csv", buf.getvalue().encode())
    assert (2, column, "formula", "error") in {(i.row, i.column, i.code, i.severity) for i in result.issues}
    assert result.status == "rejected-rows" and result.rejected == 1
    cells = [cell for row in sage_rows(result) for cell in row.values()]
    assert "C2" in cells and not any(cell.lstrip().startswith("=") for cell in cells)


@pytest.mark.parametrize(
    "value", ["+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"]
)
def test_a_cell_starting_with_plus_minus_or_at_is_reported(tmp_path, value):
    result, _ = Site(tmp_path).convert("customers.csv", with_name(value.encode()))
    assert "formula" in {i.code for i in result.issues}


def test_formula_injection_exits_1_from_the_cli(tmp_path):
    (tmp_path / "customers.csv").write_bytes(with_name(b"=cmd|' /C calc'!A0"))
    res = cli("convert", "customers.csv", "--outbox", "outbox")
    assert res.exit_code == 1 and "customers.csv" in res.output


# ------------------------------------------------------------------------------------- zip bomb
@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workbook whose sheet1.xml is 200 MB of one byte, about 200 KB packed (1000:1), written
    streaming so building it costs about a second and no memory."""
    path = tmp_path_factory.mktemp("bomb") / "customers.xlsx"
    block = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        book.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            for _ in range(200):
                sheet.write(block)
    return path


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(tmp_path, zip_bomb, monkeypatch):
    def unpacking(*_a: object, **_k: object) -> None:
        raise AssertionError("openpyxl was asked to unpack the zip bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", unpacking)
    assert zip_bomb.stat().st_size < 1024 * 1024
    started = time.monotonic()
    result, _ = Site(tmp_path).convert("customers.xlsx", zip_bomb.read_bytes())
    assert time.monotonic() - started < 5
    assert result.status == "failed"
    [issue] = result.issues
    assert issue.code == "too-large"
    assert issue.message.startswith(
        "customers.xlsx: its part 'xl/worksheets/sheet1.xml' would unpack to 200.0 MB"
    )
    assert "zip bomb" in issue.message


def test_a_zip_bomb_exits_1_from_the_cli(tmp_path, zip_bomb):
    (tmp_path / "book.xlsx").write_bytes(zip_bomb.read_bytes())
    res = cli("convert", "book.xlsx", "--outbox", "outbox")
    assert res.exit_code == 1 and "book.xlsx" in res.output
    assert not files_in(tmp_path / "outbox")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("cell.csv", with_name(b"N" * 40_000)),
        ("wide.csv", (",".join(f"C{i}" for i in range(1_001)) + "\r\n").encode()),
        ("nul.csv", VALID.replace(b"Boston", b"Bos\0ton")),
        ("junk.csv", bytes(range(256)) * 4),
    ],
)
def test_a_failing_file_exits_1_from_the_cli_naming_it_and_is_kept(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    res = cli("convert", name, "--outbox", "outbox")
    assert res.exit_code == 1 and name in res.output
    assert (tmp_path / name).read_bytes() == data
    assert not files_in(tmp_path / "outbox")


# ----------------------------------------------------------------------------------- file names
ODD_NAMES = [
    "back\\slash.csv",
    "a\\..\\..\\escape.csv",
    "..dots.csv",
    "-dash.csv",
    "--help.csv",
    "Kundén 客户 ☃.csv",
    "spa ce;semi|pipe.csv",
    "x" * 200 + ".csv",
    "new\nline.csv",
]


@pytest.mark.parametrize("name", ODD_NAMES, ids=lambda n: n[:20])
def test_odd_file_names_convert_inside_the_outbox(tmp_path, name):
    result, _ = Site(tmp_path).convert(name, customers_csv(["C1"]).encode())
    assert result.status == "converted"


@pytest.mark.parametrize("name", ODD_NAMES, ids=lambda n: n[:20])
def test_odd_file_names_from_the_cli(tmp_path, name):
    (tmp_path / name).write_bytes(customers_csv(["C1"]).encode())
    before = snapshot(tmp_path, {tmp_path / "outbox", tmp_path / ".bizops-sage50"})
    res = cli("convert", "--outbox", "outbox", "--", name)
    assert res.exit_code == 0, res.output
    assert snapshot(tmp_path, {tmp_path / "outbox", tmp_path / ".bizops-sage50"}) == before
    assert {"CUSTOMER.CSV", "manifest.json"} <= {p.name for p in files_in(tmp_path / "outbox")}


def test_dot_dot_segments_on_the_command_line(tmp_path):
    (tmp_path / "inbox").mkdir()
    (tmp_path / "x.csv").write_bytes(customers_csv(["C1"]).encode())
    res = cli("convert", "inbox/../x.csv", "--outbox", "inbox/../outbox")
    assert res.exit_code == 0, res.output
    assert {"CUSTOMER.CSV", "manifest.json"} <= {p.name for p in files_in(tmp_path / "outbox")}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".bizops-sage50", "inbox", "outbox", "x.csv"]


def test_a_path_that_goes_nowhere_is_a_clear_failure(tmp_path):
    res = cli("convert", "inbox/../../nowhere/x.csv", "--outbox", "outbox")
    assert res.exit_code == 2 and "x.csv" in res.output  # a missing file is a usage error


NOT_UTF8 = os.fsdecode(b"cust\xff\xfe.csv")  # a Linux name whose bytes are not UTF-8


def test_a_name_that_is_not_utf8_converts(tmp_path):
    result, _ = Site(tmp_path).convert(NOT_UTF8, customers_csv(["C1"]).encode())
    assert result.status == "converted"


# ---------------------------------------------------------------------------------- the watcher
def watcher(site: Site) -> Watcher:
    return Watcher(inbox=site.inbox, outbox=site.outbox, settings=site.settings, settle=0.5, check=0.1)


def run_once(site: Site) -> list[ConversionResult]:
    """The watcher's ``--once``, checked: nothing written outside the inbox and the outbox."""
    outside = snapshot(site.base, {site.inbox, *site.writable})
    w = watcher(site)
    w.acquire()
    try:
        with deadline("the watcher's --once run"):
            results = w.run_once(max_wait=5)
    finally:
        w.release()
    assert snapshot(site.base, {site.inbox, *site.writable}) == outside, "the watcher wrote outside"
    return results


def today(site: Site) -> Path:
    return site.inbox / "processed" / dt.date.today().isoformat()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Files beyond the inbox that a link may point at: a real export, a folder, a FIFO (reading it
    would block forever, so following the link would show up as a hang)."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "secret.csv").write_bytes(customers_csv(["SECRET"]).encode())
    (folder / "dir").mkdir()
    os.mkfifo(folder / "pipe.csv")
    return folder


def test_symlinks_in_the_inbox_are_refused_unread(tmp_path, outside):
    site = Site(tmp_path)
    links = {
        "abs.csv": outside / "secret.csv",
        "rel.csv": Path("..") / ".." / "elsewhere" / "secret.csv",
        "pipe.csv": outside / "pipe.csv",
        "dir.csv": outside / "dir",
        "dangling.csv": outside / "missing.csv",
    }
    for name, target in links.items():
        (site.inbox / name).symlink_to(target)
    drop(site.inbox, "real.csv", customers_csv(["REAL"]))
    (site.inbox / "inside.csv").symlink_to("real.csv")
    results = run_once(site)
    by_name = {Path(r.input).name: r for r in results}
    assert by_name["real.csv"].status == "converted"
    refused = [r for r in results if r.status == "failed"]
    assert len(refused) == 6 and all(r.issues[0].code == "symlink" for r in refused)
    # Each link itself is in failed/, still a link, with an error.txt saying where it pointed.
    failed = site.inbox / "failed"
    for name, target in links.items():
        assert (failed / name).is_symlink() and os.readlink(failed / name) == str(target)
        text = (failed / f"{name}.error.txt").read_text(encoding="utf-8")
        assert f"{name} is a symbolic link to {target}, outside the inbox" in text
        assert "never follows links" in text
    assert "outside the inbox" not in (failed / "inside.csv.error.txt").read_text(encoding="utf-8")
    assert [p.name for p in site.inbox.iterdir() if p.name not in ("processing", "processed", "failed")] == []
    # Nothing of the target reached the outbox: only REAL was sent.
    [real] = [r for r in results if r.status == "converted"]
    assert [row["Customer ID"] for row in sage_rows(real)] == ["REAL"]
    assert len([p for p in files_in(site.outbox) if p.name == "CUSTOMER.CSV"]) == 1


def test_a_symlink_left_in_processing_after_a_crash_is_refused_too(tmp_path, outside):
    site = Site(tmp_path)
    (site.inbox / "processing").mkdir()
    (site.inbox / "processing" / "left.csv").symlink_to(outside / "pipe.csv")
    [result] = run_once(site)
    assert result.issues[0].code == "symlink"
    assert (site.inbox / "failed" / "left.csv").is_symlink()


@pytest.mark.parametrize("sub", ["failed", "processed", "processing"])
def test_an_archive_folder_that_is_a_link_is_refused(tmp_path, outside, sub):
    site = Site(tmp_path)
    (site.inbox / sub).symlink_to(outside / "dir")
    w = watcher(site)
    with pytest.raises(
        UnsafeFolder, match=f"{sub} is a symbolic link .* Replace the link with a plain folder"
    ):
        w.acquire()
    assert list((outside / "dir").iterdir()) == []


def test_a_dated_processed_folder_planted_as_a_link_is_not_written_through(tmp_path, outside):
    site = Site(tmp_path)
    (site.inbox / "processed").mkdir()
    today(site).symlink_to(outside / "dir")
    drop(site.inbox, "good.csv", customers_csv(["G1"]))
    [result] = run_once(site)
    assert result.issues[-1].code == "archive-failed"
    assert list((outside / "dir").iterdir()) == []
    assert (site.inbox / "processing" / "good.csv").is_file()  # kept, retried on the next start


def test_a_sidecar_name_planted_as_a_link_is_not_written_through(tmp_path, outside):
    site = Site(tmp_path)
    (site.inbox / "failed").mkdir()
    (site.inbox / "failed" / "bad.csv.error.txt").symlink_to(outside / "dir" / "owned.txt")
    drop(site.inbox, "bad.csv", b"\0\0not a csv")
    run_once(site)
    assert not (outside / "dir" / "owned.txt").exists()
    assert (site.inbox / "failed" / "bad-2.csv.error.txt").is_file()


def test_odd_names_in_the_inbox_stay_inside_it(tmp_path):
    site = Site(tmp_path)
    long_name = "é" * 120 + ".csv"  # 244 bytes: fits, but not with ".result.json" after it
    names = [*ODD_NAMES, long_name, NOT_UTF8]
    for i, name in enumerate(names):
        drop(site.inbox, name, customers_csv([f"W{i}"]))
    drop(site.inbox, ".hidden.csv", customers_csv(["HIDDEN"]))
    results = run_once(site)
    assert len(results) == len(names) - 1  # "..dots.csv" starts with a dot: ignored, like ".hidden.csv"
    assert sorted(p.name for p in site.inbox.iterdir()) == [
        "..dots.csv",
        ".hidden.csv",
        "failed",
        "processed",
        "processing",
    ]
    assert list((site.inbox / "processing").iterdir()) == []
    processed = sorted(p.name for p in today(site).iterdir() if not p.name.endswith(".result.json"))
    assert len(processed) == len(names) - 1 and (today(site) / "back\\slash.csv.result.json").is_file()
    [short] = [n for n in processed if n.startswith("ééé")]
    assert short.endswith(".csv") and len(os.fsencode(short + ".result.json")) <= 255
    # Even the name that is not UTF-8 converts (shown with U+FFFD where its bytes are not text).
    assert NOT_UTF8 in processed
    assert list((site.inbox / "failed").iterdir()) == []
    for result_json in today(site).glob("*.result.json"):
        assert json.loads(result_json.read_text(encoding="utf-8"))["status"] == "converted"


def test_watch_once_exits_1_for_a_symlink_from_the_cli(tmp_path, outside):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "link.csv").symlink_to(outside / "secret.csv")
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    logger = logging.getLogger("bizops-sage50")
    handlers, level = logger.handlers[:], logger.level
    try:
        res = cli("watch", "--once", "--inbox", str(inbox), "--outbox", str(tmp_path / "outbox"))
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        logger.handlers[:], logger.level = handlers, level
    assert res.exit_code == 1
    assert (inbox / "failed" / "link.csv").is_symlink()
    assert (outside / "secret.csv").read_bytes() == customers_csv(["SECRET"]).encode()
