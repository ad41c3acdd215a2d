"""The README's generated parts match the code: the issue codes (one registry) and the command
reference (every command and option of --help); and the code emits only registered codes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from converter.cli import reference as cli_reference
from converter.core import issue_codes

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
KEBAB = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")
# Kebab-case strings in the converter that are not issue codes: encodings, statuses, kinds, names.
NOT_CODES = {
    "utf-8", "utf-8-sig", "utf8-sig", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "windows-1252", "iso-8859-1",
    "yyyy-mm-dd", "bizops-sage50", "bizops-to-sage50", "sage50-to-bizops", "rejected-rows",
    "already-processed", "vendor-bill", "credit-limits", "last-good", "to-sage50", "to-bizops",
    "bizops-sage50-heartbeat",
}  # fmt: skip


def test_readme_lists_exactly_the_registered_codes():
    assert issue_codes.readme_with_codes(README) == README, "run `python -m converter.core.issue_codes`"


def test_readme_command_reference_matches_help():
    assert cli_reference.readme_with_commands(README) == README, "run `python -m converter.cli.reference`"


def test_every_command_and_option_is_in_the_reference():
    block = README[README.index(cli_reference.BEGIN) : README.index(cli_reference.END)]
    for command in ("convert", "validate", "watch", "retry", "doctor", "templates check", "forget"):
        assert f"`bizops-sage50 {command}" in block
    validate = block[block.index("`bizops-sage50 validate") :].split("\n\n`")[0]
    for option in ("--entity", "--config", "--encoding", "--date-order", "--initial-load", "--json"):
        assert f"`{option}" in validate


def _issue_code_literals() -> dict[str, str]:
    """Codes the converter passes to Issue(...) as literals, and every kebab-case literal."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "converter").rglob("*.py")):
        if path.name == "issue_codes.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Issue":
                arg = node.args[2] if len(node.args) > 2 else None
                if isinstance(arg, ast.Constant):
                    found[arg.value] = f"{path.name}:{node.lineno}"
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and KEBAB.match(node.value):
                found.setdefault(node.value, f"{path.name}:{node.lineno}")
    return found


def test_the_code_emits_only_registered_codes():
    unknown = {c: where for c, where in _issue_code_literals().items() if c not in issue_codes.CODES}
    unknown = {c: w for c, w in unknown.items() if c not in NOT_CODES}
    assert unknown == {}, "add these to converter/core/issue_codes.py (or to NOT_CODES if they are no codes)"


def test_every_registered_code_is_emitted_somewhere():
    literals = set(_issue_code_literals())
    for path in (ROOT / "converter").rglob("*.py"):  # one-word codes ("usage", "formula") too
        if path.name != "issue_codes.py":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            literals |= {
                n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            }
    derived = {f"bad-{t}" for t in ("date", "bool", "number", "code")}  # validation: f"bad-{_CODE[type]}"
    dead = set(issue_codes.CODES) - literals - derived
    assert dead == set(), "remove codes nothing emits from converter/core/issue_codes.py"


def test_missing_column_is_not_promised():
    assert "missing-column" not in README
