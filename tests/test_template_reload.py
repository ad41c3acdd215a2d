"""A template edited on disk applies to the next file, without a restart (the watcher runs for
weeks): the template caches notice the change."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from converter.core.settings import load_settings
from converter.io import layouts, template_cache
from converter.pipeline.convert import convert_file
from tests.conftest import customers_csv

SHIPPED = layouts.templates_root() / "maps" / "bizops-to-sage50" / "customers.json"


def _site(tmp_path: Path) -> Path:
    (tmp_path / "site-templates").mkdir()
    shutil.copy(SHIPPED, tmp_path / "site-templates" / "customers.json")
    config = tmp_path / "bizops-sage50.toml"
    config.write_text(
        '[maps.bizops-to-sage50]\ncustomers = "site-templates/customers.json"\n', encoding="utf-8"
    )
    return config


def _names(result) -> list[str]:
    [output] = [Path(o) for o in result.outputs if Path(o).name == "CUSTOMER.CSV"]
    with output.open(encoding="cp1252", newline="") as fh:
        return [row["Customer Name"] for row in csv.DictReader(fh)]


def test_an_edited_site_template_applies_to_the_next_file(tmp_path):
    settings = load_settings(_site(tmp_path))
    (tmp_path / "a.csv").write_text(customers_csv(["C1"], name="acme"), encoding="utf-8", newline="")
    first = convert_file(tmp_path / "a.csv", settings=settings, outbox=tmp_path / "out")
    assert first.ok and _names(first) == ["acme C1"]

    template = tmp_path / "site-templates" / "customers.json"
    doc = json.loads(template.read_text(encoding="utf-8"))
    doc["version"] = "9.0.0"
    for rule in doc["rules"]:
        if rule.get("target") == "Customer Name":
            rule["transforms"] = [*rule.get("transforms", []), {"op": "upper"}]
    template.write_text(json.dumps(doc, indent=2), encoding="utf-8")

    (tmp_path / "b.csv").write_text(customers_csv(["C2"], name="bolt"), encoding="utf-8", newline="")
    second = convert_file(tmp_path / "b.csv", settings=settings, outbox=tmp_path / "out")
    assert second.ok, [i.as_dict() for i in second.issues]
    assert second.template["version"] == "9.0.0"
    assert _names(second) == ["BOLT C2"]


def test_nothing_changed_keeps_the_caches():
    layouts.load_layout("bizops", "customers")
    assert template_cache.refresh_if_changed() in (True, False)  # whatever came before this test
    assert template_cache.refresh_if_changed() is False
