"""Record layouts and mapping templates: JSON data, validated by JSON Schema when loaded.

A *layout* describes one entity's file in one system (every field in export order, with its
header spelling, aliases, type and limits). A *mapping template* turns a source layout into a
target layout with rules built from the fixed transform vocabulary in ``mapping``.

Both live under ``templates/``; a site copies a mapping template, edits it, and points the
config at the copy (``[maps.<direction>] <entity> = "path"``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..core.errors import TemplateError
from .template_cache import on_template_change, remember_read
from .template_schema import Violation, _raise_if, _schema_violations, _validator, templates_root

SYSTEMS = ("sage50", "bizops")
ENTITIES = (
    "customers",
    "vendors",
    "products",
    "orders",
    "invoices",
    "payments",
    "purchase_orders",
    "po_receipts",
    "credit_limits",
)
MASTER_ENTITIES = ("customers", "vendors", "products")
# Sage files that are recognised but not converted: the chart of accounts (recorded, to check
# G/L accounts) and the lists and journals BizOps does not exchange (reported as not exchanged).
RECOGNISED_ONLY = (
    "chart",
    "disbursements",
    "adjustments",
    "general_journal",
    "contacts",
    "bom",
    "employees",
    "payroll",
    "jobs",
)


def normalise_header(text: str) -> str:
    """Compare headers the forgiving way: case, spacing and a BOM do not matter."""
    return re.sub(r"\s+", " ", text.replace("\ufeff", "")).strip().casefold()


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    max_length: int | None = None
    decimals: int | None = None
    values: tuple[str, ...] = ()
    codes: dict[str, str] = field(default_factory=dict)
    required: bool = False
    imports: bool = True
    id: bool = False
    custom: bool = False
    part: str | None = None
    balances: bool = False  # a transaction balances on it: an unreadable value rejects the document

    @property
    def allowed(self) -> tuple[str, ...]:
        """Allowed values of a code field (codes first, then plain values)."""
        return tuple(self.codes) + tuple(v for v in self.values if v not in self.codes)


@dataclass(frozen=True, eq=False)  # hashed by identity: layouts are loaded once and cached
class Layout:
    system: str
    entity: str
    title: str
    file_name: str
    kind: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    variants: dict[str, tuple[str, ...]]
    max_distributions: int | None = None
    read_only: bool = False
    path: Path | None = None
    not_exchanged: str | None = None  # why a recognised Sage file is not converted
    unverified: bool = False
    partial: bool = False
    full_export: bool = True

    @property
    def name(self) -> str:
        return f"{self.system}/{self.entity}"

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def has_field(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)

    def critical(self, name: str) -> bool:
        """Whether a record cannot exist without a readable value in this field: its key, or (in a
        transaction) a required field or one the document balances on. An odd value anywhere else
        is carried, mapped or left blank, with a warning; here it rejects the record."""
        if name in self.key:
            return True
        if not self.has_field(name):
            return False
        f = self.field(name)
        return f.balances or (self.kind == "transaction" and f.required)

    @property
    def header_index(self) -> dict[str, str]:
        """Normalised header spelling (name or alias) → field name."""
        return _header_index(self)

    @property
    def exchanged(self) -> bool:
        """False for a Sage file that is recognised but not converted (vendor checks, payroll …)."""
        return self.not_exchanged is None

    def column_sets(self) -> dict[str, tuple[str, ...]]:
        """Every full column set this layout is known to be exported with (for headerless files).

        None for an unverified layout: a column count is too weak a sign for headers that are guessed.
        """
        if self.unverified:
            return {}
        full = {"full": tuple(self.field_names)} if self.full_export and not self.partial else {}
        return {**full, **self.variants}


@cache
def _header_index(layout: Layout) -> dict[str, str]:
    index: dict[str, str] = {}
    for f in layout.fields:
        for spelling in (f.name, *f.aliases):
            index.setdefault(normalise_header(spelling), f.name)
    return index


@dataclass(frozen=True)
class Rule:
    target: str
    sources: tuple[str, ...]
    transforms: tuple[dict[str, Any], ...]
    when: dict[str, str] | None = None


@dataclass(frozen=True)
class MapTemplate:
    id: str
    version: str
    source_system: str
    source_entity: str
    target_system: str
    target_entity: str
    rules: tuple[Rule, ...]
    columns: dict[str, tuple[str, ...]]
    description: str = ""
    path: Path | None = None

    @property
    def direction(self) -> str:
        return f"{self.source_system}-to-{self.target_system}"


def _load_json(path: Path) -> Any:
    remember_read(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TemplateError(f"Template file {path} does not exist.") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path} is not valid JSON: {exc}. Fix the file.") from exc


def _layout_semantics(doc: dict[str, Any], file: str) -> list[Violation]:
    out: list[Violation] = []
    names = [f["name"] for f in doc.get("fields", [])]
    seen: dict[str, int] = {}
    for i, f in enumerate(doc.get("fields", [])):
        norm = normalise_header(f["name"])
        if norm in seen:
            out.append(Violation(file, f"$.fields[{i}].name", f"duplicate field name {f['name']!r}"))
        seen[norm] = i
    name_set = {normalise_header(n) for n in names}
    for i, f in enumerate(doc.get("fields", [])):
        for j, alias in enumerate(f.get("aliases", [])):
            if normalise_header(alias) in name_set and normalise_header(alias) != normalise_header(f["name"]):
                out.append(
                    Violation(
                        file,
                        f"$.fields[{i}].aliases[{j}]",
                        f"alias {alias!r} is another field's name",
                    )
                )
    for k, key in enumerate(doc.get("key", [])):
        if key not in names:
            out.append(Violation(file, f"$.key[{k}]", f"key field {key!r} is not in fields"))
    for v, variant in enumerate(doc.get("variants", [])):
        for j, name in enumerate(variant.get("fields", [])):
            if name not in names:
                out.append(
                    Violation(
                        file,
                        f"$.variants[{v}].fields[{j}]",
                        f"{name!r} is not a field of this layout",
                    )
                )
    return out


def _build_layout(doc: dict[str, Any], path: Path | None) -> Layout:
    fields = tuple(
        Field(
            name=f["name"],
            type=f["type"],
            aliases=tuple(f.get("aliases", ())),
            max_length=f.get("max_length"),
            decimals=f.get("decimals"),
            values=tuple(f.get("values", ())),
            codes=dict(f.get("codes", {})),
            required=f.get("required", False),
            imports=f.get("imports", True),
            id=f.get("id", False),
            custom=f.get("custom", False),
            part=f.get("part"),
            balances=f.get("balances", False),
        )
        for f in doc["fields"]
    )
    return Layout(
        system=doc["system"],
        entity=doc["entity"],
        title=doc["title"],
        file_name=doc["file_name"],
        kind=doc["kind"],
        key=tuple(doc["key"]),
        fields=fields,
        variants={v["name"]: tuple(v["fields"]) for v in doc.get("variants", [])},
        max_distributions=doc.get("max_distributions"),
        read_only=doc.get("read_only", False),
        path=path,
        not_exchanged=doc.get("not_exchanged"),
        unverified=doc.get("unverified", False),
        partial=doc.get("partial", False),
        full_export=doc.get("full_export", True),
    )


def layout_path(system: str, entity: str) -> Path:
    return templates_root() / "layouts" / system / f"{entity}.json"


@cache
def _layout_doc(system: str, entity: str) -> tuple[Path, Any]:
    path = layout_path(system, entity)
    if not path.is_file():
        raise TemplateError(
            f"There is no {system} layout for {entity!r} ({path} is missing); restore templates/ from the "
            "release (`bizops-sage50 templates list` shows what is there)."
        )
    return path, _load_json(path)


def _check_layout(path: Path, doc: Any) -> None:
    _raise_if(_schema_violations(doc, "layout", str(path)) or _layout_semantics(doc, str(path)))


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _well_formed(doc: Any) -> bool:
    """Whether what detection reads of a layout (names, aliases, key, variants, flags) has the
    right shape; the JSON Schema checks everything before the layout is used."""
    if not isinstance(doc, dict) or not isinstance(doc.get("fields"), list) or not doc["fields"]:
        return False
    return (
        all(isinstance(doc.get(k), str) for k in ("system", "entity", "title", "file_name", "kind"))
        and _strings(doc.get("key"))
        and all(
            isinstance(f, dict)
            and isinstance(f.get("name"), str)
            and isinstance(f.get("type"), str)
            and _strings(f.get("aliases", []))
            and isinstance(f.get("codes", {}), dict)
            for f in doc["fields"]
        )
        and isinstance(doc.get("variants", []), list)
        and all(
            isinstance(v, dict) and isinstance(v.get("name"), str) and _strings(v.get("fields"))
            for v in doc.get("variants", [])
        )
    )


@cache
def _layout(system: str, entity: str) -> Layout:
    """A layout built from its file but not yet checked against the JSON Schema (detection only
    compares a file's columns with it); a file too malformed to build is checked here, so it
    fails with the same message naming the JSON path at fault."""
    path, doc = _layout_doc(system, entity)
    if not _well_formed(doc):
        _check_layout(path, doc)
    return _build_layout(doc, path)


@cache
def load_layout(system: str, entity: str) -> Layout:
    """Load and validate one layout; raises ``TemplateError`` naming the JSON path at fault."""
    path, doc = _layout_doc(system, entity)
    _check_layout(path, doc)
    return _layout(system, entity)  # the same object detection saw


def _layout_files() -> list[tuple[str, str]]:
    return [
        (system, path.stem)
        for system in SYSTEMS
        for path in sorted((templates_root() / "layouts" / system).glob("*.json"))
    ]


def available_layouts() -> list[Layout]:
    """Every layout shipped under templates/layouts, in system and entity order, each validated."""
    return [load_layout(system, entity) for system, entity in _layout_files()]


def layout_candidates() -> list[Layout]:
    """Every layout under templates/layouts, in system and entity order, for detection to score a
    file against: built, but checked against the JSON Schema only when one is used (``load_layout``,
    which detection calls on the layout it picks). Validating all of them cost every run a third of a
    second; a broken layout still fails, with the same message, before it reads or writes a file."""
    return [_layout(system, entity) for system, entity in _layout_files()]


# ---------------------------------------------------------------- mapping templates


def default_map_path(source_system: str, target_system: str, entity: str) -> Path:
    return templates_root() / "maps" / f"{source_system}-to-{target_system}" / f"{entity}.json"


def _map_semantics(doc: dict[str, Any], file: str) -> list[Violation]:
    out: list[Violation] = []
    try:
        src = load_layout(doc["source"]["system"], doc["source"]["entity"])
        tgt = load_layout(doc["target"]["system"], doc["target"]["entity"])
    except TemplateError as exc:
        return [Violation(file, "$.source", str(exc))]
    src_names = set(src.field_names)
    allow_custom = any(f.custom for f in src.fields)
    targets: dict[str, int] = {}
    for i, rule in enumerate(doc.get("rules", [])):
        target = rule["target"]
        if not tgt.has_field(target):
            out.append(
                Violation(file, f"$.rules[{i}].target", f"{target!r} is not a field of layout {tgt.name}")
            )
        targets.setdefault(target, i)  # several rules for one target: the first with a value wins
        sources = rule.get("source", [])
        sources = [sources] if isinstance(sources, str) else sources
        for j, source in enumerate(sources):
            if source not in src_names and not allow_custom:
                out.append(
                    Violation(
                        file,
                        f"$.rules[{i}].source" + (f"[{j}]" if isinstance(rule["source"], list) else ""),
                        f"{source!r} is not a field of layout {src.name}",
                    )
                )
        when = rule.get("when")
        if when and when["column"] not in src_names:
            out.append(
                Violation(
                    file,
                    f"$.rules[{i}].when.column",
                    f"{when['column']!r} is not a field of {src.name}",
                )
            )
        if not sources and not any(
            t["op"] in ("constant", "config", "default") for t in rule.get("transforms", [])
        ):
            out.append(
                Violation(
                    file,
                    f"$.rules[{i}]",
                    "a rule without a source needs a constant, default or config transform",
                )
            )
    for column in doc.get("columns", {}):
        if column not in src_names:
            out.append(Violation(file, f"$.columns.{column}", f"{column!r} is not a field of {src.name}"))
    return out


def _build_map(doc: dict[str, Any], path: Path | None) -> MapTemplate:
    rules = []
    for rule in doc["rules"]:
        sources = rule.get("source", [])
        rules.append(
            Rule(
                target=rule["target"],
                sources=(sources,) if isinstance(sources, str) else tuple(sources),
                transforms=tuple(rule.get("transforms", ())),
                when=rule.get("when"),
            )
        )
    return MapTemplate(
        id=doc["id"],
        version=doc["version"],
        source_system=doc["source"]["system"],
        source_entity=doc["source"]["entity"],
        target_system=doc["target"]["system"],
        target_entity=doc["target"]["entity"],
        rules=tuple(rules),
        columns={k: tuple(v) for k, v in doc.get("columns", {}).items()},
        description=doc.get("description", ""),
        path=path,
    )


@cache
def load_map(path: Path) -> MapTemplate:
    """Load and validate a mapping template file."""
    doc = _load_json(path)
    violations = _schema_violations(doc, "map", str(path))
    if not violations:
        violations = _map_semantics(doc, str(path))
    _raise_if(violations)
    return _build_map(doc, path)


def check_file(path: Path) -> list[Violation]:
    """Every violation in one layout or mapping file (empty list: valid)."""
    try:
        doc = _load_json(path)
    except TemplateError as exc:
        return [Violation(str(path), "$", str(exc))]
    is_map = isinstance(doc, dict) and (
        "rules" in doc or "source" in doc or "target" in doc or path.parent.parent.name == "maps"
    )
    kind = "map" if is_map else "layout"
    violations = _schema_violations(doc, kind, str(path))
    if not violations and isinstance(doc, dict):
        violations = (_map_semantics if is_map else _layout_semantics)(doc, str(path))
    return violations


def all_template_files(root: Path | None = None) -> list[Path]:
    root = root or templates_root()
    return sorted([*root.glob("layouts/*/*.json"), *root.glob("maps/*/*.json")])


for _cache in (_layout_doc, _layout, load_layout, load_map, _validator, _header_index):
    on_template_change(_cache.cache_clear)
