"""Shared fixtures: the fixture folder, default settings, a scratch outbox."""

from __future__ import annotations

import csv
import io
import os
import time
from pathlib import Path

import pytest

# Every Issue made while testing (in this process and in the commands tests start) must carry a code
# and severity from converter/core/issue_codes.py: an unregistered one raises.
os.environ["BIZOPS_SAGE50_STRICT_CODES"] = "1"

import converter.core.issues

converter.core.issues.STRICT_CODES = True

from converter.core.settings import Settings, load_settings  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path(__file__).parent.parent / "samples"


@pytest.fixture(autouse=True)
def _own_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own folder, so no test sees another's ledger or outbox."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(None, cwd=tmp_path)


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "outbox"


def rcc(issues) -> set[tuple]:
    """(row, column, code) of each issue: what tests compare, never the wording."""
    return {(i.row, i.column, i.code) for i in issues}


# The sample company's accounts, for tests whose config needs Sage 50's posting accounts.
SAGE50_ACCOUNTS = """\
[sage50]
ar_account = "11000"
ap_account = "20000"
cash_account = "10200"
freight_account = "40600"
default_sales_account = "40000"
default_purchase_account = "12000"
damaged_returns_item = "DAMAGED"
"""
CUSTOMER_COLUMNS = next(csv.reader(io.StringIO((SAMPLES / "bizops" / "customers.csv").read_text("utf-8"))))


def customers_csv(ids: list[str], *, name: str = "Watch Test") -> str:
    """A tiny, valid BizOps customer export: the real heading row, one row per ID."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CUSTOMER_COLUMNS)
    for cid in ids:
        row = dict.fromkeys(CUSTOMER_COLUMNS, "")
        row.update(CustomerID=cid, Name=f"{name} {cid}", City="Boston", Inactive="FALSE")
        writer.writerow([row[c] for c in CUSTOMER_COLUMNS])
    return buf.getvalue()


def drop(folder: Path, name: str, data: str | bytes, *, age: float | None = 10.0) -> Path:
    """Write a file into ``folder``; ``age`` seconds old (so it has settled), or fresh with None."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    if age is not None:
        then = time.time() - age
        os.utime(path, (then, then))
    return path
