"""The whole flow on the defect fixtures and the samples: what lands in the outbox, and what not."""

import csv
import json
import re
from pathlib import Path

import pytest

from converter.core.errors import InvalidConfig
from converter.core.settings import load_settings
from converter.io.layouts import load_layout
from converter.pipeline.convert import convert_file
from tests.conftest import rcc


def convert(path, outbox, **kw):
    # These tests are about conversion; ownership has its own tests (test_ledger.py).
    kw.setdefault("initial_load", True)
    return convert_file(
        path,
        settings=kw.pop("settings", None) or load_settings(None, cwd=outbox.parent),
        outbox=outbox,
        **kw,
    )


def batches(outbox: Path) -> list[Path]:
    return sorted(p for p in outbox.glob("to-*/*") if p.is_dir())


def read_sage(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    return list(csv.DictReader(raw.decode("cp1252").splitlines()))


@pytest.mark.parametrize("name", ["empty.csv", "not-a-csv.bin"])
def test_unreadable_files_fail_and_leave_nothing(fixtures, outbox, name):
    result = convert(fixtures / name, outbox)
    assert result.status == "failed" and not result.ok
    assert [(i.row, i.code) for i in result.issues] == [(None, "unreadable-file")]
    assert name in result.issues[0].message
    assert not outbox.exists() or not any(outbox.rglob("*.*"))


def test_bom_file_converts_to_sage(fixtures, outbox):
    result = convert(fixtures / "bom.csv", outbox)
    assert (result.source_system, result.target_system, result.entity) == (
        "bizops",
        "sage50",
        "customers",
    )
    assert result.status == "converted" and result.records_out == 2
    [batch] = batches(outbox)
    rows = read_sage(batch / "CUSTOMER.CSV")
    assert rows[0]["Customer ID"]
    assert set(p.name for p in batch.iterdir()) == {"CUSTOMER.CSV", "manifest.json", "review.xlsx"}


def test_cp1252_sage_file_converts_to_utf8_bizops(fixtures, outbox):
    result = convert(fixtures / "cp1252.csv", outbox)
    assert result.status == "converted", result.issues
    [batch] = batches(outbox)
    text = (batch / "customers.csv").read_text(encoding="utf-8")
    assert "é" in text and "ü" in text and "’" in text
    assert re.search(r",\d{4}-\d{2}-\d{2}\r?$", text.splitlines()[1])  # CustomerSince as an ISO date


def test_utf16_tab_file(fixtures, outbox):
    result = convert(fixtures / "utf16.csv", outbox)
    assert result.status == "converted" and result.records_out == 3
    assert {i.code for i in result.issues} <= {"unencodable", "too-long", "quote-replaced"}


def test_headerless_sage_file_is_matched_by_column_count(fixtures, outbox):
    result = convert(fixtures / "headerless.csv", outbox)
    assert result.entity == "customers" and result.source_system == "sage50"
    assert (None, None, "headerless") in rcc(result.issues)
    assert result.records_out == 3
    [batch] = batches(outbox)
    manifest = json.loads((batch / "manifest.json").read_text())
    assert manifest["source"]["has_header"] is False
    assert manifest["source"]["variant"] == "four-custom-fields"


@pytest.mark.parametrize("entity", [None, "customers"])
def test_headerless_customer_list_of_an_older_release_64_columns(fixtures, outbox, tmp_path, entity):
    # Older releases: Account # and five custom fields, but the two card fields from before
    # tokenisation (read as Credit Card Stored Reference and Last Known CC Expiration Date).
    layout = load_layout("sage50", "customers")
    four, old = layout.variants["four-custom-fields"], layout.variants["card-number-with-account"]
    rows = list(csv.reader((fixtures / "headerless.csv").read_text("cp1252").splitlines()))
    path = tmp_path / "export.csv"
    with path.open("w", encoding="cp1252", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        for row in rows:
            values = dict(zip(four, row, strict=True))
            writer.writerow([values.get(c, "") for c in old])
    result = convert(path, outbox, entity=entity)
    assert (result.entity, result.status, result.records_out) == ("customers", "converted", 3)
    assert (None, None, "headerless") in rcc(result.issues)
    [batch] = batches(outbox)
    manifest = json.loads((batch / "manifest.json").read_text())
    assert (manifest["source"]["has_header"], manifest["source"]["variant"]) == (
        False,
        "card-number-with-account",
    )


def test_leading_zeros_survive_both_ways(fixtures, outbox):
    convert(fixtures / "leading-zeros.csv", outbox)
    [batch] = batches(outbox)
    rows = read_sage(batch / "CUSTOMER.CSV")
    assert rows[0]["Customer ID"] == "00123" and rows[0]["Bill to Zip"] == "02134"
    assert rows[0]["Telephone 1"] == "0044 20 7946 0000"
    back = convert(batch / "CUSTOMER.CSV", outbox)
    assert back.status == "converted"
    out = Path(back.outputs[0]).read_text(encoding="utf-8")
    assert "00123," in out and ",02134," in out


def test_over_long_values_truncate_and_bad_ids_are_rejected(fixtures, outbox):
    result = convert(fixtures / "over-long.csv", outbox)
    codes = rcc(result.issues)
    assert (4, "CustomerID", "bad-id") in codes and (5, "CustomerID", "bad-id") in codes
    assert (3, "Name", "too-long") in codes and (3, "City", "too-long") in codes
    assert result.rejected == 2 and result.records_out == 2 and result.status == "rejected-rows"
    [batch] = batches(outbox)
    rows = read_sage(batch / "CUSTOMER.CSV")
    assert all(len(r["Customer Name"]) <= 39 and len(r["Bill to City"]) <= 20 for r in rows)
    rejects = list(csv.DictReader((batch / "rejects.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert [r["CustomerID"] for r in rejects] == ["CUST-NORTHEAST-REGION-001", "STAR*CLINIC"]
    assert "20" in rejects[0]["Error"]


def test_rejects_can_be_dropped_back_in(fixtures, outbox):
    convert(fixtures / "over-long.csv", outbox)
    [batch] = batches(outbox)
    again = convert(batch / "rejects.csv", outbox)
    assert again.entity == "customers" and again.source_system == "bizops"
    assert again.rejected == 2  # still wrong until a person fixes them
    assert any(i.code == "unknown-column" and "Error" in i.message for i in again.issues)


def test_ragged_rows_are_rejected_and_the_rest_converts(fixtures, outbox):
    result = convert(fixtures / "ragged-rows.csv", outbox)
    assert {(r, c) for r, _, c in rcc(result.issues)} == {(3, "ragged-row"), (4, "ragged-row")}
    assert result.rejected == 2 and result.records_out == 2


def test_formula_text_is_rejected(fixtures, outbox):
    result = convert(fixtures / "formula.csv", outbox)
    assert any(i.code == "formula" and i.severity == "error" for i in result.issues)
    assert not result.ok


def test_validate_writes_nothing(fixtures, outbox):
    result = convert(fixtures / "over-long.csv", outbox, write=False)
    assert result.rejected == 2 and result.batch is None and result.outputs == []
    assert not outbox.exists()


def test_missing_required_column_is_reported(tmp_path, outbox):
    p = tmp_path / "customers.csv"
    p.write_text("CustomerID,City\nC1,Boston\n", encoding="utf-8")
    result = convert(p, outbox)
    assert result.status == "failed"
    assert result.issues[0].code == "unknown-layout"
    assert "Name" in result.issues[0].message  # names the column it would need


def test_duplicate_keys_in_one_file(tmp_path, outbox):
    p = tmp_path / "vendors.csv"
    p.write_text("VendorID,Name\nV1,One\nv1,Again\nV2,Two\n", encoding="utf-8")
    result = convert(p, outbox)
    assert rcc(result.issues) >= {(3, "VendorID", "duplicate-key")}
    assert result.records_out == 2


def test_bad_date_order_hint_and_override(tmp_path, outbox):
    p = tmp_path / "VENDOR.CSV"
    p.write_bytes(b"Vendor ID,Vendor Name,Vendor Since Date\r\nV1,One,25/12/24\r\n")
    result = convert(p, outbox)
    # A date a vendor can live without: carried no further (BizOps cannot hold it), with one warning.
    assert rcc(result.issues) == {(2, "Vendor Since Date", "odd-value")}
    assert result.status == "converted" and result.rejected == 0
    assert "'25/12/24'" in result.issues[0].message and "left blank" in result.issues[0].message
    ok = convert(p, outbox, date_order="dmy", full=True)
    assert ok.status == "converted"
    assert "2024-12-25" in Path(ok.outputs[0]).read_text()


def test_item_class_codes_both_ways(tmp_path, outbox):
    p = tmp_path / "products.csv"
    p.write_text("SKU,Title,ItemType,Taxable\nA1,Thing,Service,TRUE\nA2,Kit,Assembly,no\n", encoding="utf-8")
    result = convert(p, outbox)
    rows = read_sage(Path(result.outputs[0]))
    assert [(r["Item Class"], r["Item Tax Type"]) for r in rows] == [("4", "1"), ("3", "2")]
    back = convert(Path(result.outputs[0]), outbox)
    text = Path(back.outputs[0]).read_text()
    assert "A1,Thing,,,Service" in text and ",TRUE," in text


def test_every_sage_item_class_is_known_and_an_unknown_one_is_carried(tmp_path, outbox):
    p = tmp_path / "ITEM.CSV"
    p.write_bytes(
        b"Item ID,Item Description,Item Class\r\nS1,Serial thing,10\r\nM1,Master,8\r\nX1,Odd,12\r\n"
    )
    result = convert(p, outbox)
    assert result.rejected == 0 and result.records_out == 3
    rows = list(csv.DictReader(Path(result.outputs[0]).read_text(encoding="utf-8").splitlines()))
    assert [r["ItemType"] for r in rows] == ["SerializedStock", "MasterStock", ""]
    [odd] = [i for i in result.issues if i.code == "odd-value"]
    assert (odd.row, odd.column, odd.severity) == (4, "Item Class", "warning")
    assert "code_map" in odd.message and "'12'" in odd.message


def test_vendor_1099_codes(tmp_path, outbox):
    p = tmp_path / "vendors.csv"
    p.write_text("VendorID,Name,Form1099\nV1,A,Misc\nV2,B,None\nV3,C,Interest\n", encoding="utf-8")
    rows = read_sage(Path(convert(p, outbox).outputs[0]))
    assert [r["1099 Type"] for r in rows] == ["2", "0", "1"]


def test_credit_limit_never_goes_to_sage_but_comes_from_it(samples, outbox):
    to_sage = convert(samples / "bizops" / "customers.csv", outbox)
    assert "Credit Limit" not in read_sage(Path(to_sage.outputs[0]))[0]
    to_bizops = convert(samples / "sage50" / "CUSTOMER.CSV", outbox)
    rows = list(csv.DictReader(Path(to_bizops.outputs[0]).read_text(encoding="utf-8").splitlines()))
    assert rows[0]["CreditLimit"] and rows[0]["CreditStatus"]


def test_custom_field_labels_are_kept(samples, outbox):
    result = convert(samples / "sage50" / "CUSTOMER.CSV", outbox)
    info = [i for i in result.issues if i.code == "custom-fields"]
    assert info and "Second Contact" in info[0].message
    manifest = json.loads(Path(result.outputs[-1]).read_text())
    assert manifest["source"]["custom_fields"]["Second Contact"] == "Custom Field 1"


def test_missing_config_table_names_the_key(tmp_path, outbox):
    cfg = tmp_path / "site.toml"
    cfg.write_text("[sage50]\nitem_tax_types = 'oops'\n")
    with pytest.raises(InvalidConfig, match=r"`sage50\.item_tax_types` is \"oops\"; it must be a table"):
        load_settings(cfg)  # stopped when the config is read, before any file
    assert not batches(outbox)


def test_samples_convert_cleanly_both_ways(samples, outbox):
    for path in [
        *sorted((samples / "bizops").glob("*.csv")),
        *sorted((samples / "sage50").glob("*.CSV")),
    ]:
        result = convert(path, outbox)
        if result.entity in ("customers", "vendors", "products"):
            assert result.ok and result.rejected == 0, (
                path,
                [i for i in result.issues if i.severity == "error"],
            )


def test_duplicate_keys_differ_only_in_case_across_blocks_and_a_missing_key_does_not_crash():
    import pandas as pd

    from converter.pipeline.masters import MasterConverter

    class NoRules:
        rules = ()

    conv = MasterConverter.__new__(MasterConverter)  # only the key bookkeeping is exercised
    conv.seen, conv.template = {}, NoRules()
    first = pd.Series(["A-1", "a-1", None, None, "Straße", ""], index=range(2, 8), dtype=object)
    second = pd.Series(["STRASSE", "b", "A-1"], index=range(8, 11), dtype=object)
    found = [(i.row, i.code) for block in (first, second) for i in conv._duplicates(block)]
    assert found == [(3, "duplicate-key"), (5, "duplicate-key"), (8, "duplicate-key"), (10, "duplicate-key")]
