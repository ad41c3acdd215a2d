"""Template files checked against their JSON Schemas (``templates/schema``): each problem a
``Violation`` located by JSON path. jsonschema is imported only when a template is checked."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..core.errors import TemplateError
from .schema_check import conforms
from .template_cache import on_template_change, remember_read
from .transforms import TRANSFORM_OPTIONS


def templates_root() -> Path:
    """The templates folder: ``$BIZOPS_SAGE50_TEMPLATES`` when set, else the package's own
    ``converter/templates``, found through ``importlib.resources`` (the same in the source tree,
    an editable install, a wheel, pip and pipx)."""
    env = os.environ.get("BIZOPS_SAGE50_TEMPLATES")
    if env:
        return Path(env)
    shipped = resources.files("converter") / "templates"
    if not isinstance(shipped, Path):  # a zipped install: the templates must be files to glob and stat
        raise TemplateError(
            f"The templates inside the package ({shipped}) are not plain files; install bizops-sage50 with "
            "pip or pipx (not zipped), or set BIZOPS_SAGE50_TEMPLATES to a templates folder."
        )
    return shipped


@dataclass(frozen=True)
class Violation:
    """One thing wrong with a template file, located by JSON path."""

    file: str
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "path": self.path, "message": self.message}


def _schema_path(schema_name: str) -> Path:
    return templates_root() / "schema" / f"{schema_name}.schema.json"


@cache
def _schema(schema_name: str) -> tuple[Any, bool]:
    """The schema, and whether it is the package's own (checked by the test suite): only then is a
    template passed by the quick check below, without jsonschema."""
    path = _schema_path(schema_name)
    remember_read(path)
    text = path.read_text(encoding="utf-8")
    shipped = resources.files("converter") / "templates" / "schema" / path.name
    own = isinstance(shipped, Path) and (
        shipped == path or (shipped.is_file() and shipped.read_text("utf-8") == text)
    )
    return json.loads(text), own


@cache
def _validator(schema_name: str) -> Any:
    import jsonschema  # only when a template has a problem (or a site's own schema), not on every run

    schema = _schema(schema_name)[0]
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _schema_violations(doc: Any, schema_name: str, file: str) -> list[Violation]:
    schema, own = _schema(schema_name)
    if own and conforms(doc, schema):
        return []
    out: list[Violation] = []
    for error in sorted(_validator(schema_name).iter_errors(doc), key=lambda e: e.json_path):
        if error.validator == "oneOf" and isinstance(error.instance, dict) and "op" in error.instance:
            out.append(Violation(file, error.json_path, _transform_problem(error.instance)))
            continue
        out.append(Violation(file, error.json_path, error.message))
    return out


def _transform_problem(transform: dict[str, Any]) -> str:
    op = transform.get("op")
    if op not in TRANSFORM_OPTIONS:
        known = ", ".join(sorted(TRANSFORM_OPTIONS))
        return f"unknown transform op {op!r}; use one of: {known}"
    allowed = TRANSFORM_OPTIONS[op]
    extra = sorted(set(transform) - {"op", *allowed["optional"], *allowed["required"]})
    missing = sorted(set(allowed["required"]) - set(transform))
    parts = []
    if missing:
        parts.append(f"missing option(s) {', '.join(missing)}")
    if extra:
        parts.append(f"unknown option(s) {', '.join(extra)}")
    if not parts:
        parts.append("an option has the wrong type")
    opts = ", ".join([*allowed["required"], *allowed["optional"]]) or "none"
    return f"transform {op!r}: {'; '.join(parts)} (options: {opts})"


def _raise_if(violations: list[Violation]) -> None:
    if violations:
        lines = [f"  {v.path}: {v.message}" for v in violations]
        raise TemplateError(
            f"{violations[0].file} is not a valid template ({len(violations)} problem(s)); "
            "run `bizops-sage50 templates check` for the full list:\n" + "\n".join(lines)
        )


on_template_change(_schema.cache_clear)
