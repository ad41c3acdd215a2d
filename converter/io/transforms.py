"""The transform vocabulary of mapping templates: each op's required and optional options.

Data only: templates are checked against it when loaded (``converter.io.layouts``), and
``converter.mapping.engine`` implements every op (it asserts so on import)."""

from __future__ import annotations

TRANSFORM_OPTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "copy": {"required": (), "optional": ()},
    "strip": {"required": (), "optional": ()},
    "upper": {"required": (), "optional": ()},
    "date": {"required": (), "optional": ()},
    "bool": {"required": (), "optional": ()},
    "code_map": {"required": ("map",), "optional": ("default", "fallback")},
    "number": {"required": (), "optional": ("decimals", "scale", "negate")},
    "truncate": {"required": (), "optional": ("length",)},
    "split_name": {"required": ("part",), "optional": ()},
    "join": {"required": (), "optional": ("separator",)},
    "first": {"required": (), "optional": ("warn",)},
    "default": {"required": ("value",), "optional": ()},
    "constant": {"required": ("value",), "optional": ()},
    "if_blank": {"required": ("then", "else"), "optional": ()},
    "config": {"required": ("key",), "optional": ("when",)},
    "config_lookup": {"required": ("table",), "optional": ("reverse",)},
}
