"""The batch summary (review.xlsx's Summary sheet and `bizops-sage50 review`), from a manifest alone."""

from __future__ import annotations

import pytest

from converter.io.layouts import load_layout
from converter.review.summary import PROGRAM_AREAS, batch_summary, import_steps


def manifest(system: str, entity: str, **extra) -> dict:
    other = "bizops" if system == "sage50" else "sage50"
    layout = load_layout(system, entity)
    return {
        "batch": "20261125-120000-" + entity,
        "created_at": "2026-11-25T12:00:00+00:00",
        "entity": entity,
        "source": {"file": "in.csv", "system": other, "layout": f"{other}/{entity}", "encoding": "utf-8"},
        "target": {"system": system, "entity": entity, "file": layout.file_name, "fields": ["A", "B"]},
        "counts": {
            "rows_in": 3,
            "records_out": 2,
            "rejected": 1,
            "skipped": 0,
            "error": 1,
            "warning": 0,
            "info": 0,
        },
        "outputs": [f"/x/{layout.file_name}", "/x/manifest.json"],
        **extra,
    }


def lines(summary: dict, title: str) -> dict:
    [section] = [s for s in summary["sections"] if s["title"] == title]
    return dict(section["lines"])


@pytest.mark.parametrize("entity", sorted(PROGRAM_AREAS))
def test_sage_import_steps_name_the_template_fields_and_headings(entity):
    steps = import_steps(manifest("sage50", entity))
    title = load_layout("sage50", entity).title
    assert any(f"{PROGRAM_AREAS[entity]} ▸ {title}" in s for s in steps)
    assert any("First Row Contains Headings" in s for s in steps)
    assert any("2 fields" in s and "order" in s for s in steps)


def test_fields_to_show_are_listed_in_order():
    summary = batch_summary(manifest("sage50", "customers"))
    assert lines(summary, "Fields to Show, in order") == {"1": "A", "2": "B"}
    assert summary["fields"] == ["A", "B"]


def test_bizops_steps_include_credit_limits_when_the_batch_has_them():
    m = manifest("bizops", "customers", credit_limits={"sent": 2, "held": 1})
    m["outputs"].append("/x/credit_limits.csv")
    steps = import_steps(m)
    assert "customers.csv" in steps[0] and "credit_limits.csv" in steps[1]
    summary = batch_summary(m)
    assert lines(summary, "Credit limits (Sage 50 → BizOps)") == {
        "Sent": 2,
        "Held": 1,
        "File for BizOps": "credit_limits.csv (2 customers)",
        "Held changes": "held-credit-limits.csv: 1 customers, not sent (see the Credit limits sheet)",
    }
    # Held changes come first, in a section the workbook highlights.
    assert summary["sections"][0]["title"] == "Needs attention" and summary["sections"][0]["attention"]
    assert lines(summary, "Needs attention")["Credit-limit changes held"].startswith("1 change(s) above")


def test_a_credit_limits_only_batch_names_its_file_and_one_import_step():
    m = manifest("bizops", "credit_limits")
    m["target"]["file"] = "credit_limits.csv"
    m["outputs"].append("/x/credit_limits.csv")
    steps = import_steps(m)
    assert len(steps) == 1 and "credit_limits.csv" in steps[0]


def test_transactions_show_control_totals_and_creates():
    totals = {
        "documents": 2,
        "lines": 5,
        "quantity": 7.5,
        "net": 100.25,
        "tax": 6.27,
        "freight": 0.0,
        "total": 106.52,
    }
    m = manifest(
        "sage50", "invoices", control_totals={"invoices": {"in": totals, "out": dict(totals, net=100.0)}}
    )
    m["issue_codes"] = {"duplicate-document": 3}
    summary = batch_summary(m, state="awaiting approval")
    counts = lines(summary, "Counts")
    assert counts["Creates (documents)"] == 2 and counts["Updates"] == 0
    assert counts["Skipped as duplicates (documents sent before, unchanged)"] == 3
    control = lines(summary, "Control totals (source in / import file out)")
    assert control["Quantity: in / out"] == "7.50 / 7.50 (agree)"
    assert control["Net: in / out"] == "100.25 / 100.00 (DISAGREE)"
    assert lines(summary, "Source and target")["State"] == "awaiting approval"


def test_masters_show_creates_updates_and_duplicates():
    m = manifest("sage50", "customers")
    m["counts"].update(created=4, updated=2, unchanged=7)
    counts = lines(batch_summary(m), "Counts")
    assert counts["Creates (new records)"] == 4
    assert counts["Updates (changed records; see the Changes sheet)"] == 2
    assert counts["Skipped as duplicates (records sent before, unchanged)"] == 7
