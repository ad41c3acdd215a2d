"""Layouts are checked against the JSON Schema when they are used, not all of them on every run:
a broken layout still stops a file that would use it, with the same message, and a malformed one
never crashes detection."""

from __future__ import annotations

import json
import shutil

import pytest

from converter.core.errors import TemplateError
from converter.core.settings import load_settings
from converter.io import layouts, template_cache
from converter.io.detection import detect
from converter.io.reading import open_table
from converter.pipeline.convert import convert_file
from tests.conftest import customers_csv


@pytest.fixture
def site_templates(tmp_path, monkeypatch):
    """A copy of the shipped templates, in use; put back afterwards."""
    root = tmp_path / "templates"
    shutil.copytree(layouts.templates_root(), root)
    monkeypatch.setenv("BIZOPS_SAGE50_TEMPLATES", str(root))
    template_cache.clear_all()
    yield root
    monkeypatch.delenv("BIZOPS_SAGE50_TEMPLATES")
    template_cache.clear_all()


def _edit(path, change) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")


def _convert(tmp_path):
    (tmp_path / "customers.csv").write_text(customers_csv(["C1"]), encoding="utf-8", newline="")
    (tmp_path / "bizops-sage50.toml").write_text("", encoding="utf-8")
    settings = load_settings(tmp_path / "bizops-sage50.toml")
    return convert_file(tmp_path / "customers.csv", settings=settings, outbox=tmp_path / "out")


def test_a_conversion_checks_only_the_layouts_and_template_it_uses(tmp_path, monkeypatch):
    template_cache.clear_all()
    checked = []
    real = layouts._schema_violations
    monkeypatch.setattr(
        layouts, "_schema_violations", lambda doc, kind, file: checked.append(file) or real(doc, kind, file)
    )
    assert _convert(tmp_path).ok
    names = sorted("/".join(f.replace("\\", "/").split("/")[-3:]) for f in checked)
    assert names == [
        "layouts/bizops/customers.json",
        "layouts/sage50/customers.json",
        "maps/bizops-to-sage50/customers.json",
    ]


def test_a_schema_violation_in_the_layout_a_file_is_read_with_stops_it(site_templates, tmp_path):
    path = site_templates / "layouts" / "bizops" / "customers.json"
    _edit(path, lambda doc: doc["fields"][1].update(type="strng"))
    with pytest.raises(TemplateError) as expected:
        layouts.load_layout("bizops", "customers")
    template_cache.clear_all()
    result = _convert(tmp_path)
    assert not result.ok and result.batch is None
    assert any(str(expected.value) in i.message for i in result.issues), [i.message for i in result.issues]


@pytest.mark.parametrize(
    "change",
    [
        lambda doc: doc.update(fields="not a list"),
        lambda doc: doc["fields"][0].update(aliases=[1, 2]),
        lambda doc: doc.update(variants=[{"name": "old", "fields": "Vendor ID"}]),
        lambda doc: doc.update(file_name=None),
    ],
)
def test_a_malformed_layout_fails_detection_with_its_violations_not_a_crash(site_templates, tmp_path, change):
    _edit(site_templates / "layouts" / "sage50" / "vendors.json", change)
    (tmp_path / "export.csv").write_text("Customer ID,Customer Name\nC1,One\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"vendors\.json is not a valid template"):
        detect(open_table(tmp_path / "export.csv"))
