"""Layouts and mapping templates: the shipped ones are valid; broken ones are located by JSON path."""

import json

import pytest

from converter.core.errors import TemplateError
from converter.io.layouts import (
    all_template_files,
    check_file,
    load_layout,
    load_map,
    normalise_header,
)

LAYOUT = {
    "system": "bizops",
    "entity": "vendors",
    "title": "Test vendors",
    "file_name": "vendors.csv",
    "kind": "table",
    "key": ["VendorID"],
    "fields": [
        {"name": "VendorID", "type": "text", "required": True, "id": True},
        {"name": "Name", "type": "text", "aliases": ["Vendor Name"]},
        {"name": "Form1099", "type": "code", "values": ["None", "Misc"]},
    ],
    "variants": [{"name": "short", "fields": ["VendorID", "Name"]}],
}

MAP = {
    "id": "bizops-to-sage50/vendors",
    "version": "1.0.0",
    "source": {"system": "bizops", "entity": "vendors"},
    "target": {"system": "sage50", "entity": "vendors"},
    "rules": [
        {"target": "Vendor ID", "source": "VendorID"},
        {"target": "Vendor Name", "source": "Name", "transforms": [{"op": "strip"}]},
    ],
}


def write(tmp_path, doc, name="t.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def violations(tmp_path, doc) -> dict[str, str]:
    return {v.path: v.message for v in check_file(write(tmp_path, doc))}


def copy(doc):
    return json.loads(json.dumps(doc))


# ---------------------------------------------------------------- shipped templates


def test_templates_are_shipped():
    files = all_template_files()
    assert len([f for f in files if "layouts" in f.parts]) >= 18
    assert len([f for f in files if "maps" in f.parts]) >= 6


@pytest.mark.parametrize("path", all_template_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_template_is_valid(path):
    assert check_file(path) == []


@pytest.mark.parametrize("path", all_template_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_template_loads(path):
    if "maps" in path.parts:
        template = load_map(path)
        assert template.direction == path.parent.name
        assert template.source_entity == path.stem
    else:
        layout = load_layout(path.parent.name, path.stem)
        assert layout.name == f"{path.parent.name}/{path.stem}"
        assert set(layout.key) <= set(layout.field_names)


def test_the_minimal_docs_here_are_valid(tmp_path):
    assert violations(tmp_path, LAYOUT) == {}
    assert violations(tmp_path, MAP) == {}


# ---------------------------------------------------------------- loading


def test_load_layout_for_a_missing_entity_raises():
    with pytest.raises(TemplateError, match="credit_limits"):
        load_layout("sage50", "credit_limits")


def test_layout_header_index_covers_names_and_aliases():
    layout = load_layout("sage50", "customers")
    index = layout.header_index
    assert index["customer id"] == "Customer ID"
    assert index[normalise_header("Bill to Address-Line 1")] == "Bill to Address-Line One"
    assert layout.column_sets()["full"] == tuple(layout.field_names)


def test_load_map_of_a_broken_file_raises_with_the_json_path(tmp_path):
    doc = copy(MAP)
    doc["rules"][1]["target"] = "No Such Field"
    with pytest.raises(TemplateError, match=r"\$\.rules\[1\]\.target"):
        load_map(write(tmp_path, doc, "broken-map.json"))


# ---------------------------------------------------------------- broken layouts


def test_duplicate_field_name(tmp_path):
    doc = copy(LAYOUT)
    doc["fields"].append({"name": " vendorid ", "type": "text"})
    found = violations(tmp_path, doc)
    assert list(found) == ["$.fields[3].name"]
    assert "duplicate" in found["$.fields[3].name"]


def test_alias_equal_to_another_fields_name(tmp_path):
    doc = copy(LAYOUT)
    doc["fields"][1]["aliases"] = ["Vendor Name", "FORM1099"]
    assert list(violations(tmp_path, doc)) == ["$.fields[1].aliases[1]"]


def test_alias_equal_to_its_own_name_is_fine(tmp_path):
    doc = copy(LAYOUT)
    doc["fields"][1]["aliases"] = ["name"]
    assert violations(tmp_path, doc) == {}


def test_key_not_in_fields(tmp_path):
    doc = copy(LAYOUT)
    doc["key"] = ["VendorID", "VendorCode"]
    found = violations(tmp_path, doc)
    assert list(found) == ["$.key[1]"] and "VendorCode" in found["$.key[1]"]


def test_variant_naming_an_unknown_field(tmp_path):
    doc = copy(LAYOUT)
    doc["variants"][0]["fields"] = ["VendorID", "Nmae"]
    found = violations(tmp_path, doc)
    assert list(found) == ["$.variants[0].fields[1]"] and "Nmae" in found["$.variants[0].fields[1]"]


def test_code_field_without_values_or_codes(tmp_path):
    doc = copy(LAYOUT)
    del doc["fields"][2]["values"]
    assert list(violations(tmp_path, doc)) == ["$.fields[2]"]


def test_schema_violations_are_all_listed(tmp_path):
    doc = copy(LAYOUT)
    doc["kind"] = "ledger"
    doc["fields"][1]["type"] = "string"
    assert set(violations(tmp_path, doc)) == {"$.kind", "$.fields[1].type"}


def test_invalid_json_is_a_violation_not_a_crash(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"system": "sage50",', encoding="utf-8")
    [v] = check_file(path)
    assert v.path == "$" and v.file == str(path)
    path.write_bytes(b'{"title": "Caf\xe9"}')  # not UTF-8
    [v] = check_file(path)
    assert v.path == "$"


def test_violation_as_dict():
    from converter.io.layouts import Violation

    assert Violation("f.json", "$.key[0]", "m").as_dict() == {
        "file": "f.json",
        "path": "$.key[0]",
        "message": "m",
    }


# ---------------------------------------------------------------- broken maps


def test_unknown_transform_op(tmp_path):
    doc = copy(MAP)
    doc["rules"][1]["transforms"] = [{"op": "strip"}, {"op": "eval", "code": "1+1"}]
    found = violations(tmp_path, doc)
    assert list(found) == ["$.rules[1].transforms[1]"]
    assert "eval" in found["$.rules[1].transforms[1]"] and "code_map" in found["$.rules[1].transforms[1]"]


def test_transform_missing_a_required_option(tmp_path):
    doc = copy(MAP)
    doc["rules"][1]["transforms"] = [{"op": "code_map", "default": "x"}]
    found = violations(tmp_path, doc)
    assert list(found) == ["$.rules[1].transforms[0]"]
    assert "map" in found["$.rules[1].transforms[0]"]


def test_unknown_target_field(tmp_path):
    doc = copy(MAP)
    doc["rules"][1]["target"] = "Vendor Nickname"
    found = violations(tmp_path, doc)
    assert list(found) == ["$.rules[1].target"] and "Vendor Nickname" in found["$.rules[1].target"]


def test_a_repeated_target_is_a_fallback_not_a_violation(tmp_path):
    doc = copy(MAP)
    doc["rules"].append({"target": "Vendor ID", "source": "Name"})
    assert violations(tmp_path, doc) == {}


def test_unknown_source_field(tmp_path):
    doc = copy(MAP)
    doc["rules"][1]["source"] = ["Name", "Nickname"]
    assert list(violations(tmp_path, doc)) == ["$.rules[1].source[1]"]


def test_rule_without_source_needs_constant_config_or_default(tmp_path):
    doc = copy(MAP)
    doc["rules"].append({"target": "Contact", "transforms": [{"op": "upper"}]})
    doc["rules"].append({"target": "City", "transforms": [{"op": "constant", "value": "Boston"}]})
    doc["rules"].append({"target": "State", "transforms": [{"op": "config", "key": "sage50.state"}]})
    assert list(violations(tmp_path, doc)) == ["$.rules[2]"]


def test_columns_naming_an_unknown_source_field(tmp_path):
    doc = copy(MAP)
    doc["columns"] = {"VendorID": ["Vend No"], "Nickname": ["Nick"]}
    assert list(violations(tmp_path, doc)) == ["$.columns.Nickname"]


def test_map_missing_rules_is_reported_as_a_map(tmp_path):
    doc = copy(MAP)
    del doc["rules"]
    found = violations(tmp_path, doc)
    assert any("rules" in message for message in found.values())
    assert not any("'system' is a required property" in message for message in found.values())


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Customer ID", "customer id"),
        ("  CUSTOMER   id ", "customer id"),
        ("\ufeffCustomer\tID", "customer id"),
        ("Bill to Address-Line One", "bill to address-line one"),
    ],
)
def test_normalise_header(text, expected):
    assert normalise_header(text) == expected


def test_normalise_header_keeps_words_apart():
    assert normalise_header("CustomerID") != normalise_header("Customer ID")
