"""Issue: a frozen record with a stable shape, a human location, and counts by severity."""

import dataclasses

import pytest

from converter.core.issues import Issue, count_by_severity


def test_issue_is_frozen():
    issue = Issue(2, "Zip", "bad-code", "fix it")
    with pytest.raises(dataclasses.FrozenInstanceError):
        issue.row = 3  # type: ignore[misc]


def test_default_severity_is_error():
    assert Issue(2, "Zip", "bad-code", "fix it").severity == "error"


def test_as_dict_has_the_json_keys():
    d = Issue(7, "Zip", "bad-code", "fix it", "warning").as_dict()
    assert d == {"row": 7, "column": "Zip", "code": "bad-code", "message": "fix it", "severity": "warning"}


@pytest.mark.parametrize(
    ("row", "column", "expected"),
    [
        (7, "Zip", 'row 7, column "Zip"'),
        (7, None, "row 7"),
        (None, "Zip", 'column "Zip"'),
        (None, None, "file"),
    ],
)
def test_where(row, column, expected):
    assert Issue(row, column, "bad-date", "m").where() == expected


def test_count_by_severity_has_every_severity():
    issues = [
        Issue(2, None, "bad-date", "m", "error"),
        Issue(3, None, "odd-value", "m", "warning"),
        Issue(4, None, "filled-in", "m", "warning"),
    ]
    assert count_by_severity(issues) == {"error": 1, "warning": 2, "info": 0}
    assert count_by_severity([]) == {"error": 0, "warning": 0, "info": 0}


def test_an_unregistered_code_or_severity_raises_while_testing():
    with pytest.raises(ValueError, match=r"not in converter/core/issue_codes\.py"):
        Issue(2, "Zip", "bad-zip", "m")
    with pytest.raises(ValueError, match="registered as info"):
        Issue(None, None, "no-rows", "m", "error")
