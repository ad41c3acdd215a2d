"""The mapping templates in use at a site: its own copy where the config names one
(``[maps]``), else the shipped template; and the column aliases those templates declare."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from ..core.errors import ConfigError, TemplateError
from ..core.settings import Settings
from ..io.layouts import ENTITIES, MapTemplate, default_map_path, load_map, templates_root
from ..io.template_cache import on_template_change, remember_read


def resolve_map(settings: Settings, source_system: str, target_system: str, entity: str) -> MapTemplate:
    """The site's copy of a mapping template when the config names one, else the default."""
    direction = f"{source_system}-to-{target_system}"
    key = f"maps.{direction}.{entity}"
    override = settings.get(key)
    path = (
        settings.resolve_path(override)
        if override
        else default_map_path(source_system, target_system, entity)
    )
    if not path.is_file():
        if override:
            raise ConfigError(f"`{key}` points at {path}, which does not exist. Fix the path in the config.")
        raise TemplateError(
            f"There is no {direction} mapping template for {entity} ({path}). Restore it from the "
            f"release, or point `{key}` in the config at a site template."
        )
    template = load_map(path.resolve())
    if (template.source_system, template.target_system, template.source_entity) != (
        source_system,
        target_system,
        entity,
    ):
        raise TemplateError(
            f"{path} maps {template.source_system} {template.source_entity} → {template.target_system}; "
            f"`{key}` needs a {direction} template for {entity}."
        )
    return template


def site_columns(settings: Settings) -> dict[str, dict[str, tuple[str, ...]]]:
    """Column aliases declared by the templates in use, keyed by source layout name."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for direction_dir in sorted((templates_root() / "maps").glob("*-to-*")):
        source_system, _, target_system = direction_dir.name.partition("-to-")
        for entity in ENTITIES:
            try:
                if settings.get(f"maps.{source_system}-to-{target_system}.{entity}"):
                    columns = resolve_map(settings, source_system, target_system, entity).columns
                else:  # a shipped template: only its aliases are needed here (it is checked when used)
                    columns = _shipped_columns(default_map_path(source_system, target_system, entity))
            except TemplateError:
                continue
            bucket = out.setdefault(f"{source_system}/{entity}", {})
            for name, spellings in columns.items():
                bucket[name] = tuple(dict.fromkeys((*bucket.get(name, ()), *spellings)))
    return out


@cache
def _shipped_columns(path: Path) -> dict[str, tuple[str, ...]]:
    """The column aliases of a shipped template, read without validating the whole template
    (every conversion needs the aliases of all of them; validating all costs a second)."""
    remember_read(path)
    try:
        columns = json.loads(path.read_text(encoding="utf-8")).get("columns") or {}
    except (OSError, ValueError, AttributeError):
        return {}
    if not isinstance(columns, dict):
        return {}
    return {str(k): tuple(str(v) for v in vals) for k, vals in columns.items() if isinstance(vals, list)}


on_template_change(_shipped_columns.cache_clear)
