"""The pipeline's stages take data and return data: the result they are handed stays as it was."""

from __future__ import annotations

import copy
from pathlib import Path

from converter.core.issues import Issue
from converter.core.results import ConversionResult
from converter.core.settings import load_settings
from converter.pipeline.convert import convert_file
from converter.pipeline.ownership import report_confirmations
from converter.pipeline.stages import settle
from converter.pipeline.write import nothing_new

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


class _Run:  # what settle and nothing_new read of a run
    rows_in, rejected, rejects = 3, 0, None


def test_a_result_copy_owns_its_lists_and_dicts():
    one = ConversionResult(
        input="x", issues=[Issue(None, None, "no-rows", "m", "info")], counts={"created": 1}
    )
    two = one.copy()
    two.issues.append(Issue(None, None, "no-rows", "n", "info"))
    two.counts["created"] = 2
    assert len(one.issues) == 1 and one.counts == {"created": 1}


def test_stages_return_a_new_result_and_leave_theirs_alone(tmp_path):
    handed = ConversionResult(input="customers.csv", entity="customers", source_system="bizops")
    before = copy.deepcopy(handed)
    det = type("Det", (), {"system": "sage50", "entity": "customers"})()
    confirmed = report_confirmations(handed, 2, [("C1", ["Name"])], det)
    settled, done = settle(handed, _Run(), tmp_path / "customers.csv", credit_only=False)
    unsent = nothing_new(
        tmp_path / "customers.csv", handed, _Run(), [], ledger=None, template_key="t@1", once=False
    )
    assert handed == before  # nothing changed what it was handed
    assert {i.code for i in confirmed.issues} == {"confirmed", "drift"}
    assert (settled.status, done) == ("converted", False)
    assert unsent is not None and [i.code for i in unsent.issues] == ["nothing-new"]


def test_a_file_that_fails_after_it_was_recognised_keeps_what_it_is(tmp_path):
    # No [sage50] accounts in the config: the invoices are recognised, then a setting stops them.
    result = convert_file(
        SAMPLES / "bizops" / "invoices.csv",
        settings=load_settings(None, cwd=tmp_path),
        outbox=tmp_path / "out",
    )
    assert result.status == "failed" and result.batch is None
    assert (result.source_system, result.entity, result.target_system) == ("bizops", "invoices", "sage50")
    assert result.template and result.template["id"] == "bizops-to-sage50/invoices"
    assert [i.code for i in result.issues if i.severity == "error"] == ["missing-setting"]
