"""CSV read by pandas' C parser (``csv_blocks``) gives exactly what the csv module's reader gives:
the same chunks (cells, columns, row numbers), the same ragged-row issues, the same errors at the
same row; a file the fast reader cannot be sure of is read on by the csv module."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from converter.core.errors import ReadError
from converter.core.limits import Limits
from converter.io import csv_blocks
from converter.io.reading import TableFile, open_table
from tests.conftest import rcc

COLUMNS = ["A", "B", "C"]


def outcome(chunks) -> list:
    """Everything a caller can see of the chunks, up to the error that stops them (if any)."""
    seen: list = []
    try:
        for c in chunks:
            frame = c.frame
            seen.append(
                (
                    list(frame.columns),
                    [str(t) for t in frame.dtypes],
                    list(frame.index),
                    frame.to_numpy().tolist(),
                    c.first_row,
                    list(c.row_numbers),
                    [(i.row, i.column, i.code, i.message, i.severity) for i in c.issues],
                )
            )
    except ReadError as exc:  # a LimitError is one
        seen.append((type(exc).__name__, str(exc), vars(exc)))
    return seen


def both(path, *, encoding="utf-8", delimiter=",", limits=None, has_header=True, chunk_rows=3):
    table = TableFile(path, "csv", encoding, delimiter, limits or Limits())
    kw = {"has_header": has_header, "chunk_rows": chunk_rows}
    return outcome(table.iter_chunks(COLUMNS, **kw)), outcome(table.csv_module_chunks(COLUMNS, **kw))


@contextlib.contextmanager
def blocks_of(size: int, margin: int):
    """Read in tiny blocks, so records, quotes and line ends fall across block borders."""
    saved = csv_blocks.BLOCK, csv_blocks.MARGIN
    csv_blocks.BLOCK, csv_blocks.MARGIN = size, margin
    try:
        yield
    finally:
        csv_blocks.BLOCK, csv_blocks.MARGIN = saved


def fuzz(examples: int):
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# A cell: plain text, or quoted (holding delimiters, quotes, line ends), or oddly quoted.
PLAIN = st.text(alphabet=st.sampled_from("ab 1#\t;|é\xa0\x85\u2028\ufeff\x1c\x0b\x0c\x1a"), max_size=4)
QUOTED = st.text(alphabet=st.sampled_from('a ,;|"\r\n\té'), max_size=5).map(
    lambda s: '"' + s.replace('"', '""') + '"'
)
ODD = st.sampled_from(['12" pipe', '"a"b', ' "a"', '"open', 'x""y', '"', '""', '"""', '" "'])
LINE_END = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def csv_text(draw, delimiter: str) -> str:
    """Rows of mostly three cells (some ragged, some blank or whitespace), mixed line ends; in
    half the files, a few oddly quoted cells."""
    cell = st.one_of(PLAIN, QUOTED, ODD) if draw(st.booleans()) else st.one_of(PLAIN, QUOTED)
    out = []
    for _ in range(draw(st.integers(0, 9))):
        kind = draw(st.sampled_from(["row", "row", "row", "ragged", "blank", "spaces"]))
        if kind == "blank":
            line = ""
        elif kind == "spaces":
            line = delimiter.join(draw(st.lists(st.sampled_from(["", " ", '""', '" "', "\t"]), max_size=4)))
        else:
            n = 3 if kind == "row" else draw(st.integers(1, 6))
            line = delimiter.join(draw(st.lists(cell, min_size=n, max_size=n)))
        out.append(line + draw(LINE_END))
    text = "".join(out)
    if text and draw(st.booleans()):
        text = text[: -draw(st.integers(1, 2))]  # no line end after the last row, or half of one
    return text


LIMITS = st.one_of(
    st.just(Limits()),
    st.just(Limits()),
    st.builds(
        Limits,
        max_rows=st.integers(1, 10),
        max_columns=st.integers(1, 6),
        max_cell_chars=st.integers(1, 40),
    ),
)


@fuzz(500)
@given(
    data=st.data(),
    delimiter=st.sampled_from([",", "\t", ";", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1"]),
    limits=LIMITS,
    has_header=st.booleans(),
    chunk_rows=st.integers(1, 4),
    block=st.sampled_from([(1, 0), (7, 0), (16, 3), (4 << 20, 64 << 10)]),
)
def test_tricky_csv_reads_as_the_csv_module_reads_it(
    tmp_path, data, delimiter, encoding, limits, has_header, chunk_rows, block
):
    text = data.draw(csv_text(delimiter))
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode(encoding, errors="replace"))
    with blocks_of(*block):
        new, old = both(
            path,
            encoding=encoding,
            delimiter=delimiter,
            limits=limits,
            has_header=has_header,
            chunk_rows=chunk_rows,
        )
    assert new == old


@fuzz(200)
@given(
    raw=st.lists(
        st.sampled_from(
            [b"a", b",", b'"', b"\n", b"\r", b" ", b"\x00", b"\xe9", b"\xc3\xa9", b"\x81", b"\xff"]
        ),
        max_size=40,
    ),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1"]),
    chunk_rows=st.integers(1, 3),
)
def test_any_bytes_read_or_fail_as_the_csv_module_does(tmp_path, raw, encoding, chunk_rows):
    """Bytes that do not decode, NUL bytes, unclosed quotes: the same rows, then the same error."""
    path = tmp_path / "b.csv"
    path.write_bytes(b"A,B,C\n" + b"".join(raw))
    new, old = both(path, encoding=encoding, chunk_rows=chunk_rows)
    assert new == old


def no_csv_module(monkeypatch):
    """Fail the test if the csv module's reader is asked to read."""

    def refuse(*_a, **_k):
        raise AssertionError("the csv module was asked to read the file")

    monkeypatch.setattr(TableFile, "csv_module_chunks", refuse)


def test_quotes_blank_lines_and_ragged_rows_are_read_without_the_csv_module(tmp_path, monkeypatch):
    data = (
        '\ufeffA,B,C\r\n1,"Smith, Jones ""&"" Co","two\r\nlines"\r\n\r\n,, \r\n4,5\r\n'
        '"6",7,8,9\r\n" ",,\r\n10,"",11\n12,13,14\r15,16,17'
    ).encode("utf-8")
    path = tmp_path / "q.csv"
    path.write_bytes(data)
    new, old = both(path, encoding="utf-8-sig", chunk_rows=50_000)
    assert new == old
    no_csv_module(monkeypatch)
    [chunk] = list(open_table(path).iter_chunks(COLUMNS, has_header=True))
    assert chunk.frame.to_numpy().tolist() == [
        ["1", 'Smith, Jones "&" Co', "two\r\nlines"],
        ["4", "5", ""],
        ["6", "7", "8"],
        ["10", "", "11"],
        ["12", "13", "14"],
        ["15", "16", "17"],
    ]
    assert list(chunk.row_numbers) == [2, 5, 6, 8, 9, 10]  # the blank rows 3, 4 and 7 are skipped
    assert rcc(chunk.issues) == {(5, None, "ragged-row"), (6, None, "ragged-row")}
    assert chunk.bytes_read == path.stat().st_size


def test_a_quote_inside_an_unquoted_cell_is_a_character_as_in_the_csv_module(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(b'A,B,C\n1,12" pipe,3\n2,"x"y,4\n3,a""b,5\n')
    new, old = both(path)
    assert new == old
    assert new[0][3] == [["1", '12" pipe', "3"], ["2", "xy", "4"], ["3", 'a""b', "5"]]


def test_an_unclosed_quote_reads_to_the_end_of_the_file_as_in_the_csv_module(tmp_path):
    path = tmp_path / "u.csv"
    path.write_bytes(b'A,B,C\n1,2,3\n4,"open,6\n7,8,9\n')
    new, old = both(path, chunk_rows=1)
    assert new == old
    assert new[-1][3] == [["4", "open,6\n7,8,9\n", ""]]


@pytest.mark.parametrize("at", [0.2, 0.5, 0.9])
def test_a_bad_byte_far_into_the_file_stops_it_after_the_same_chunks(tmp_path, at):
    """The csv module decodes 8 KB ahead: the fast reader hands out no chunk the csv module would
    not have handed out before it met the bad byte."""
    rows = [f"{i},name {i},city {i}\n".encode() for i in range(40_000)]
    rows.insert(int(len(rows) * at), "Café,é,x\n".encode("cp1252"))
    path = tmp_path / "late.csv"
    path.write_bytes(b"A,B,C\n" + b"".join(rows))
    with blocks_of(100_000, csv_blocks.MARGIN):
        new, old = both(path, chunk_rows=997)
    assert new == old
    assert new[-1][0] == "ReadError" and "--encoding" in new[-1][1]


def test_a_row_past_the_row_limit_stops_after_the_same_chunks(tmp_path):
    path = tmp_path / "many.csv"
    path.write_bytes(b"A,B,C\n" + b"".join(b"%d,x,y\n" % i for i in range(5_000)))
    with blocks_of(10_000, 1_000):
        new, old = both(path, limits=Limits(max_rows=4_321), chunk_rows=1_000)
    assert new == old
    assert len(new) == 5 and new[-1][0] == "LimitError" and "row 4323" in new[-1][1]


def test_big_chunks_across_blocks_keep_their_rows_in_order(tmp_path, monkeypatch):
    lines = [f'{i},"n {i}, ""q""",c\r\n' if i % 7 else "\r\n" for i in range(30_000)]
    path = tmp_path / "big.csv"
    path.write_bytes(("A,B,C\r\n" + "".join(lines)).encode())
    with blocks_of(50_000, 4_000):
        new, old = both(path, chunk_rows=4_096)
    assert new == old
    no_csv_module(monkeypatch)
    with blocks_of(50_000, 4_000):
        chunks = list(open_table(path).iter_chunks(COLUMNS, has_header=True, chunk_rows=4_096))
    done = [c.bytes_read for c in chunks]
    assert done == sorted(done) and done[-1] == path.stat().st_size


def test_a_utf8_bom_inside_the_file_is_kept_as_the_csv_module_keeps_it(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("A,B,C\n\ufeffx,y,z\n\ufeffp,q,r\n".encode())
    for chunk_rows in (1, 2):
        new, old = both(path, chunk_rows=chunk_rows)
        assert new == old
    assert new[0][3][0] == ["\ufeffx", "y", "z"]


def test_an_encoding_the_fast_reader_does_not_know_is_read_by_the_csv_module(tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes("A\tB\tC\r\n1\t2\t3\r\n".encode("utf-16"))
    table = open_table(path)
    assert not csv_blocks.can_read(table, COLUMNS)
    [chunk] = list(table.iter_chunks(COLUMNS, has_header=True))
    assert chunk.frame.to_numpy().tolist() == [["1", "2", "3"]]


def test_a_lone_cr_inside_quotes_is_kept_and_a_doubled_quote_is_one_quote(tmp_path):
    text = 'A,B,C\n1,"a\rb",3\r\n\r\n"x""",,\n'
    path = tmp_path / "m.csv"
    path.write_bytes(text.encode())
    new, old = both(path)
    assert new == old
    assert new[0][3] == [["1", "a\rb", "3"], ['x"', "", ""]]
