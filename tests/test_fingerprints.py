"""Fingerprints and the JSON the ledger stores, built a column at a time: exactly the values existing
ledgers hold (a changed fingerprint would make every record sent before look changed)."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

from converter.core.values import column_jsons, flat_json, row_jsons, texts
from converter.sync.catalog import Catalog, parsed
from converter.sync.fingerprints import column_fingerprints, fingerprint
from converter.sync.ledger import Ledger, sent_fingerprints
from converter.sync.spool import Spool

TRICKY = [
    "",
    " ",
    "plain",
    'say "hi"',
    "back\\slash\\",
    "C:\\new\\table",
    "Café Olé – ½ “quoted” ✓",
    "emoji 😀 and 漢字",
    "tab\there",
    "line\nbreak\r\nand\rreturn",
    "\x00nul\x01\x07\x1b",
    "separators \x1e and \x1f inside",
    "\u2028\u2029 line separators",
    "NaN",
    "nan",
    "None",
    "null",
    "{}",
    "[1, 2]",
    "€100.00",
    "   leading and trailing   ",
]
NAMES = ["Customer ID", "Name", 'Odd "name"', "Ünïcode", "b", "a", "Back\\slash"]


def tricky_frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = len(TRICKY) * 3
    data = {name: [TRICKY[i] for i in rng.integers(0, len(TRICKY), rows)] for name in NAMES}
    data["Name"] = TRICKY * 3  # every tricky value in one column too
    return pd.DataFrame(data)


# The functions the ledger's values were built with before they were built a column at a time
# (copied from the last release): the new ones must give the very same strings.
def released_fingerprints(frame: pd.DataFrame) -> list[str]:
    parts = [f"{name}\x1e" + texts(frame[name]) for name in sorted(frame.columns)]
    if not parts:
        return [fingerprint({})] * len(frame)
    sha256 = hashlib.sha256
    return [
        sha256(text.encode("utf-8")).hexdigest()[:16] for text in map("\x1f".join, zip(*parts, strict=True))
    ]


def released_row_jsons(frame: pd.DataFrame) -> list[str]:
    from json.encoder import encode_basestring as quote

    if frame.shape[1] == 0:
        return ["{}"] * len(frame)
    parts = [np.full(len(frame), "{", dtype=object)]
    for n, name in enumerate(frame.columns):
        key = ("" if n == 0 else ", ") + quote(str(name)) + ": "
        codes, distinct = pd.factorize(texts(frame[name]))
        parts.append(np.array([key + quote(v) for v in distinct] or [""], dtype=object)[codes])
    parts.append(np.full(len(frame), "}", dtype=object))
    return list(map("".join, zip(*parts, strict=True)))


def arrays(frame: pd.DataFrame) -> list[np.ndarray]:
    return [texts(frame[name]) for name in frame.columns]


def test_column_fingerprints_are_the_fingerprints_of_each_record_on_tricky_values():
    frame = tricky_frame()
    names = list(frame.columns)
    expected = [fingerprint(dict(zip(names, row, strict=True))) for row in zip(*arrays(frame), strict=True)]
    assert column_fingerprints(names, arrays(frame), len(frame)) == expected
    assert column_fingerprints(names, arrays(frame), len(frame)) == released_fingerprints(frame)
    # Lists work as well as arrays, and the order of the columns does not matter.
    assert column_fingerprints(names[::-1], [a.tolist() for a in arrays(frame)][::-1], len(frame)) == expected


def test_column_fingerprints_of_missing_cells_and_no_columns_match_the_release():
    frame = pd.DataFrame({"a": ["x", None, np.nan, ""], "b": pd.array(["y", pd.NA, "z", ""], dtype="string")})
    assert column_fingerprints(["a", "b"], arrays(frame), 4) == released_fingerprints(frame)
    assert column_fingerprints([], [], 4) == [fingerprint({})] * 4 == released_fingerprints(frame[[]])
    assert column_fingerprints(["a"], [[]], 0) == []


def test_row_jsons_are_the_json_of_each_record_on_tricky_values():
    frame = tricky_frame()
    names = list(frame.columns)
    records = [dict(zip(names, row, strict=True)) for row in zip(*arrays(frame), strict=True)]
    expected = [json.dumps(r, ensure_ascii=False) for r in records]
    assert [flat_json(r) for r in records] == expected
    assert row_jsons(frame) == expected == released_row_jsons(frame)
    assert column_jsons(names, [a.tolist() for a in arrays(frame)], len(frame)) == expected
    assert [json.loads(j) for j in expected] == records


def test_row_jsons_of_missing_cells_and_no_columns_match_the_release():
    frame = pd.DataFrame({"a": ["x", None, np.nan, ""], "b": pd.array(["y", pd.NA, "z", ""], dtype="string")})
    assert row_jsons(frame) == released_row_jsons(frame)
    assert row_jsons(frame[[]]) == ["{}"] * 4 == released_row_jsons(frame[[]])
    assert column_jsons(["a"], [[]], 0) == []


def test_jsons_and_fingerprints_are_the_same_whether_a_column_repeats_or_is_mostly_distinct():
    # Past a sample of cells, repeating columns are quoted once per distinct value and mostly
    # distinct ones cell by cell: both ways must give the release's strings.
    rows = 5_000
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(
        {
            "Repeats": [TRICKY[i] for i in rng.integers(0, len(TRICKY), rows)],
            "Distinct": [f"{TRICKY[i % len(TRICKY)]} {i}" for i in range(rows)],
            "Distinct late": [TRICKY[0]] * 2_500 + [f"v{i}" for i in range(2_500)],
            "Blank": [""] * rows,
        }
    )
    names = list(frame.columns)
    assert column_jsons(names, arrays(frame), rows) == released_row_jsons(frame)
    assert column_fingerprints(names, arrays(frame), rows) == released_fingerprints(frame)


def test_json_read_back_in_one_parse_is_the_json_of_each_record():
    texts_ = [json.dumps({"v": v}, ensure_ascii=False) for v in TRICKY] + ['{"a": "1", "a": "2"}', "{}"]
    keys, values = parsed([(str(i), t) for i, t in enumerate(texts_)])
    assert keys == [str(i) for i in range(len(texts_))]
    assert values == [json.loads(t) for t in texts_]
    assert parsed([]) == ([], [])
    with pytest.raises(json.JSONDecodeError):
        parsed([("a", "{not json")])


def test_spool_extend_keeps_the_order_of_appends_across_its_file():
    spool = Spool(limit=3)
    spool.append(("k0", "f0", "{}"))
    spool.extend([(f"k{i}", f"f{i}", "{}") for i in range(1, 6)])
    spool.append(("k6", "f6", {"a": "1"}))
    spool.extend([])
    assert len(spool) == 7 and spool.keys() == [f"k{i}" for i in range(7)]
    assert [r[0] for r in spool] == [f"k{i}" for i in range(7)]
    assert list(spool) == list(spool)  # read back as often as needed
    spool.close()


@pytest.mark.parametrize("hold", [0, 1, 3, 8, 9, 100])
def test_spool_holds_records_in_memory_up_to_hold_then_spools_them_all(hold):
    spool = Spool(limit=2, hold=hold)
    records = [(f"k{i}", f"f{i}", "{}") for i in range(9)]
    spool.append(records[0])
    spool.extend(records[1:4])
    spool.extend(records[4:9])
    assert list(spool) == records == list(spool) and spool.keys() == [r[0] for r in records]
    assert (spool._file is None) == (hold >= len(records))  # more than ``hold``: on disk, all of them
    if spool._file is not None:
        assert len(spool._memory) < spool.limit  # past the hold, every ``limit`` more go to disk
    spool.close()


def test_staged_records_keep_their_json_order_and_previous_rows(tmp_path):
    ledger = Ledger(tmp_path / "ledger.db")
    first = [("A-1", fingerprint({"n": "1"}), '{"n": "1"}'), ("a-2", fingerprint({"n": "2"}), {"n": "2"})]
    ledger.stage_batch(
        batch="b1", path=tmp_path / "b1", direction="x", entity="customers", source="f.csv", sha256=None,
        records=first, target="sage50",
    )  # fmt: skip
    ledger.finish_batch("b1")
    spool = Spool(limit=1)
    spool.extend([("a-1", fingerprint({"n": "é"}), {"n": "é"}), ("A-3", fingerprint({}), "{}")])
    ledger.stage_batch(
        batch="b2", path=tmp_path / "b2", direction="x", entity="customers", source="f.csv", sha256=None,
        records=spool, target="sage50",
    )  # fmt: skip
    ledger.finish_batch("b2")
    ledger.close()
    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        rows = conn.execute("SELECT key, id, data, batch, previous FROM sent ORDER BY rowid").fetchall()
    assert [r[:4] for r in rows] == [
        ("a-1", "a-1", '{"n": "é"}', "b2"),
        ("a-2", "a-2", '{"n": "2"}', "b1"),
        ("a-3", "A-3", "{}", "b2"),
    ]
    assert json.loads(rows[0][4])[:3] == [fingerprint({"n": "1"}), '{"n": "1"}', "b1"]
    assert rows[1][4] is None and rows[2][4] is None
    again = Ledger(tmp_path / "ledger.db")
    marks = again.sent_marks("customers", "sage50", ["A-1", "A-2", "nope"])
    assert {k: m[:2] for k, m in marks.items()} == {
        "a-1": (fingerprint({"n": "é"}), "b2"),
        "a-2": (fingerprint({"n": "2"}), "b1"),
    }
    assert again.sent("customers", "sage50", ["a-1"])["a-1"].data == {"n": "é"}
    assert sent_fingerprints(marks, ["A-2", "nope", "a-1"]) == [
        fingerprint({"n": "2"}),
        None,
        fingerprint({"n": "é"}),
    ]
    assert sent_fingerprints({}, ["A-2", "nope"]) == [None, None]
    again.close()


def test_catalog_records_json_and_dicts_and_skips_records_without_an_id(tmp_path):
    catalog = Catalog(tmp_path / "ledger.db")
    assert catalog.record("bizops", "customers", [("C-1", '{"name": "A"}'), ("", "{}"), ("c-2", {"name": "\\"})],
                          source="f.csv") == 2  # fmt: skip
    catalog.record("bizops", "customers", [("C-1", {"terms_due_days": "30"})], source="g.csv")
    assert catalog.entries("bizops", "customers") == {
        "c-1": {"name": "A", "terms_due_days": "30"},
        "c-2": {"name": "\\"},
    }
    assert catalog.record("bizops", "customers", [], source="f.csv") == 0
    catalog.close()


def test_a_document_of_several_lines_is_remembered_with_its_lines_joined_in_order(tmp_path):
    from converter.core.settings import load_settings
    from converter.pipeline.convert import convert_file
    from tests.conftest import SAGE50_ACCOUNTS

    config = tmp_path / "bizops-sage50.toml"
    config.write_text(SAGE50_ACCOUNTS, encoding="utf-8")
    settings = load_settings(config)
    src = tmp_path / "i1.csv"
    src.write_text(
        "InvoiceNumber,DocumentType,InvoiceDate,CustomerID,Status,SyncedAt,LineNumber,SKU,Description,Quantity,"
        "UnitPrice,Amount,GLAccount\n"
        "INV-2,Invoice,2026-06-02,C-2,Finalized,,1,SKU-A,Other,1,10.00,10.00,40000\n"
        "INV-1,Invoice,2026-06-02,C-1,Finalized,,1,SKU-A,O'Wid \\ ½,2,10.00,20.00,40000\n"
        "INV-1,Invoice,2026-06-02,C-1,Finalized,,2,SKU-B,Gadget,1,5.00,5.00,40000\n",
        encoding="utf-8",
    )
    result = convert_file(src, settings=settings, outbox=tmp_path / "outbox")
    assert result.status == "converted", [(i.row, i.column, i.code, i.message) for i in result.issues]
    with sqlite3.connect(Ledger.for_settings(settings).path) as conn:
        rows = conn.execute("SELECT id, fingerprint, data FROM sent ORDER BY rowid").fetchall()
    assert [r[0] for r in rows] == ["C-2|INV-2", "C-1|INV-1"]
    for _, fp, text in rows:
        data = json.loads(text)
        assert flat_json(data) == text and fingerprint(data) == fp
    assert "O'Wid \\ ½ | Gadget" in json.loads(rows[1][2]).values()
    assert "Other" in json.loads(rows[0][2]).values()
