"""A quick JSON Schema check (draft 2020-12) of the keywords the template schemas use, so that a
valid template is passed without importing jsonschema and walking it there (a tenth of a second
on every run). ``conforms`` answers True or False exactly as jsonschema's ``is_valid`` would; a
keyword, type or ``$ref`` it does not know makes it answer False, and jsonschema then decides (and
words the problems) as before."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

ANNOTATIONS = {"$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples"}


class _Unsure(Exception):
    """A keyword (or a keyword's value) this check does not handle."""


def conforms(doc: Any, schema: Any) -> bool:
    """True when ``doc`` meets ``schema``; False when it does not, or when unsure."""
    try:
        return _valid(doc, schema, schema)
    except (_Unsure, re.error, RecursionError, TypeError):
        return False


def _equal(a: Any, b: Any) -> bool:
    """JSON equality as jsonschema has it: true is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _is_type(value: Any, name: Any) -> bool:
    if isinstance(name, list):
        return any(_is_type(value, n) for n in name)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if name == "integer":
        return number and (isinstance(value, int) or value.is_integer())
    checks = {
        "number": number,
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "null": value is None,
    }
    if name not in checks:
        raise _Unsure(name)
    return checks[name]


@cache
def _regex(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _valid(value: Any, schema: Any, root: dict) -> bool:
    if schema is True or schema is False:
        return schema
    if not isinstance(schema, dict):
        raise _Unsure(schema)
    return all(_keyword(key, arg, value, schema, root) for key, arg in schema.items())


def _keyword(key: str, arg: Any, value: Any, schema: dict, root: dict) -> bool:
    if key in ANNOTATIONS or key in ("then", "else"):
        return True
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if key == "type":
        return _is_type(value, arg)
    if key == "enum":
        return any(_equal(value, option) for option in _listed(arg))
    if key == "const":
        return _equal(value, arg)
    if key in ("minimum", "maximum"):
        if not isinstance(arg, int | float) or isinstance(arg, bool):
            raise _Unsure(key)
        return not number or (value >= arg if key == "minimum" else value <= arg)
    if key in ("minLength", "minItems"):
        if not isinstance(arg, int) or isinstance(arg, bool) or arg < 0:
            raise _Unsure(key)
        kind = str if key == "minLength" else list
        return not isinstance(value, kind) or len(value) >= arg
    if key == "pattern":
        return not isinstance(value, str) or _regex(arg).search(value) is not None
    if key in ("required", "properties", "additionalProperties"):
        return not isinstance(value, dict) or _object(key, arg, value, schema, root)
    if key == "items":
        if "prefixItems" in schema or isinstance(arg, list):
            raise _Unsure(key)
        return not isinstance(value, list) or all(_valid(v, arg, root) for v in value)
    if key == "$ref":
        return _valid(value, _resolve(arg, root), root)
    if key in ("allOf", "anyOf", "oneOf"):
        passed = sum(_valid(value, sub, root) for sub in _listed(arg))
        return {"allOf": passed == len(arg), "anyOf": passed > 0, "oneOf": passed == 1}[key]
    if key == "if":
        branch = "then" if _valid(value, arg, root) else "else"
        return _valid(value, schema.get(branch, True), root)
    raise _Unsure(key)


def _listed(arg: Any) -> list:
    if not isinstance(arg, list) or not arg:
        raise _Unsure(arg)
    return arg


def _object(key: str, arg: Any, value: dict, schema: dict, root: dict) -> bool:
    if "patternProperties" in schema:
        raise _Unsure("patternProperties")
    if key == "required":
        if not isinstance(arg, list) or not all(isinstance(k, str) for k in arg):
            raise _Unsure(key)
        return all(k in value for k in arg)
    if key == "properties":
        if not isinstance(arg, dict):
            raise _Unsure(key)
        return all(_valid(value[k], sub, root) for k, sub in arg.items() if k in value)
    known = schema.get("properties", {})
    return all(_valid(v, arg, root) for k, v in value.items() if k not in known)


def _resolve(ref: Any, root: dict) -> Any:
    if not isinstance(ref, str) or not ref.startswith("#/$defs/") or "/" in ref[8:] or "~" in ref:
        raise _Unsure(ref)
    defs = root.get("$defs")
    if not isinstance(defs, dict) or ref[8:] not in defs:
        raise _Unsure(ref)
    return defs[ref[8:]]
