"""The package's shape: subpackages in layers, imports one way, no cycles, modest sizes.

Every module of ``converter`` is parsed (ast, nothing is imported) and its imports of other
``converter`` modules are collected, lazy ones inside functions included. Imports under
``if TYPE_CHECKING:`` are annotations only and do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "converter"

# Top to bottom, in the order data flows through them: a package may import itself and the packages
# below it, never one above. (Also in the README's "Architecture" section.)
LAYERS = (
    "cli",  # the command line: one module per command group
    "admin",  # running a site: init, status, history, forget, retry, doctor
    "watch",  # the inbox watcher
    "pipeline",  # one conversion, stage by stage: detect, read, map, check, sync, write
    "review",  # review.xlsx, batch summaries, the approval gate
    "sage50",  # Sage 50's rules for transactions: documents, journals, references
    "sync",  # what has been exchanged: ledger, catalog, runs, claims
    "mapping",  # templates applied: engine, validation, odd values
    "io",  # files: reading, detection, layouts, writing, batch folders
    "core",  # issues, errors, results, settings, values, limits
)
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 500


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skipped


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The converter modules ``name`` imports (a package's ``__init__`` counts as the package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "converter"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "converter":
                continue
            for alias in node.names:  # `from pkg import module` imports the module
                sub = f"{module}.{alias.name}"
                out.add(sub if sub in known else module)
    return {m for m in out if m in known and m != name}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(name, path, set(mods)) for name, path in mods.items()}


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_sits_in_a_layer():
    loose = [m for m in modules() if m != "converter" and layer(m) is None]
    assert not loose, f"modules outside the layered subpackages {LAYERS}: {loose}"
    assert {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()} == set(LAYERS)


def test_imports_go_down_the_layers():
    rank = {name: i for i, name in enumerate(LAYERS)}
    upward = sorted(
        f"{m} imports {d}"
        for m, deps in graph().items()
        for d in deps
        if layer(m) and layer(d) and rank[layer(d)] < rank[layer(m)]
    )
    assert not upward, "imports against the layering (" + " → ".join(LAYERS) + "):\n" + "\n".join(upward)


def test_no_import_cycles():
    deps = graph()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(deps[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(deps):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_the_checker_sees_relative_and_lazy_imports():
    deps = graph()
    assert "converter.core.errors" in deps["converter.io.batch_names"]
    assert "converter.sync.ledger" not in deps["converter.io.batch_names"]  # under TYPE_CHECKING
    assert "converter.sage50.journals" in deps["converter.pipeline.transactions"]  # inside a function
    assert "converter.core.results" in deps["converter.pipeline.convert"]  # `from ..core.results import`
    assert "converter.core.version" in deps["converter.core.results"]  # `from .version import`


def long_functions() -> list[str]:
    out = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    out.append(f"{name}.{node.name}")
    return out


def test_functions_are_short():
    assert long_functions() == [], f"functions over {MAX_FUNCTION_LINES} lines: split them"


def test_modules_are_small():
    big = {
        name
        for name, path in modules().items()
        if len(path.read_text(encoding="utf-8").splitlines()) > MAX_MODULE_LINES
    }
    assert big == set(), f"modules over {MAX_MODULE_LINES} lines: split them"
