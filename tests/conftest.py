"""Shared fixtures: the fixture folder, default settings, a scratch outbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from converter.settings import Settings, load_settings

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
