"""The README's command reference, generated from the commands themselves (what ``--help`` shows).

``python -m converter.cli.reference`` rewrites the block in README.md; a test fails when the README
differs from the commands, so every command and every option is documented.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import typer.main

from .main import app

BEGIN = "<!-- commands: begin (generated from the commands' --help: `python -m converter.cli.reference`) -->"
END = "<!-- commands: end -->"


def _commands(command, path: list[str]):
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, [*path, name])
    else:
        yield path, command


def _option(param) -> str:
    name = max(param.opts, key=len)
    if not param.is_flag:
        name += f" {(param.metavar or param.name).upper()}"
    return f"`{name}`"


def markdown() -> str:
    """Every command with its arguments, and every option with its help text."""
    root = typer.main.get_command(app)
    lines = ["Options before the command:", ""]
    lines += [f"- {_option(p)}: {p.help}" for p in root.params if p.param_type_name == "option"]
    for path, command in _commands(root, []):
        args = " ".join(
            f"{p.name.upper()}{'…' if p.nargs == -1 else ''}"
            for p in command.params
            if p.param_type_name == "argument"
        )
        summary = (command.help or "").strip().splitlines()[0] if command.help else ""
        lines += ["", f"`bizops-sage50 {' '.join(path)}{' ' + args if args else ''}`: {summary}", ""]
        options = [p for p in command.params if p.param_type_name == "option" and "--help" not in p.opts]
        lines += [f"- {_option(p)}: {p.help or ''}".rstrip() for p in options]
    return "\n".join(lines)


def readme_with_commands(text: str) -> str:
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError("README.md has no commands block")
    return pattern.sub(lambda _m: f"{BEGIN}\n{markdown()}\n{END}", text)


if __name__ == "__main__":
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    readme.write_text(readme_with_commands(readme.read_text(encoding="utf-8")), encoding="utf-8")
