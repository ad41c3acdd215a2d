"""The one definition of every setting: its type, its default and what it means (a JSON Schema).

``settings.DEFAULTS``, the commented config that ``init`` writes and the README's settings section
are all generated from ``SCHEMA``; ``problems`` checks a config against it and words each problem
for a person: the key, the value, the type expected, and the closest known key for a misspelling.

Run ``python -m converter.core.config_schema`` to print the commented config (the README's block).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from functools import cache
from typing import Any

_ACCOUNT = "G/L account ID from Sage's chart of accounts"
TRANSACTION_ENTITIES = ("orders", "invoices", "payments", "purchase_orders", "po_receipts")
MAP_ENTITIES = ("customers", "vendors", "products", *TRANSACTION_ENTITIES, "credit_limits")
ENCODINGS = ["auto", "utf-8", "utf-8-sig", "utf-16", "cp1252", "windows-1252", "latin-1"]
SYSTEMS = ["bizops", "sage50"]


def _key(kind: str, meaning: str, default: Any = None, example: Any = None, **rules: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "description": meaning, **rules}
    if default is not None:
        out["default"] = default
    if example is not None:
        out["examples"] = [example]
    return out


def _section(meaning: str, keys: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "description": meaning,
        "properties": keys,
        "additionalProperties": False,
        **more,
    }


def _account(meaning: str, example: str) -> dict[str, Any]:
    return _key("string", meaning, example=example)


_OWNER = {"enum": SYSTEMS}
_MAP_DIRECTION = {
    e: _key(
        "string",
        f"a site copy of the {e} template",
        example=f"site-templates/{e}.json" if e == "customers" else None,
    )
    for e in MAP_ENTITIES
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "bizops-sage50 settings (bizops-sage50.toml)",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "paths": _section(
            "where files come in and go out",
            {
                "inbox": _key("string", "exports dropped here are converted; relative to this file", "inbox"),
                "outbox": _key("string", "batches of import files are written here", "outbox"),
            },
        ),
        "reading": _section(
            "how export files are read",
            {
                "date_order": _key(
                    "string",
                    "mdy | dmy | ymd: how your Sage 50 PC writes dates",
                    "mdy",
                    enum=["mdy", "dmy", "ymd"],
                ),
                "encoding": _key(
                    "string", "auto, or utf-8, utf-8-sig, utf-16, cp1252, latin-1", "auto", enum=ENCODINGS
                ),
                "chunk_rows": _key("integer", "rows held in memory at a time", 50_000, minimum=1),
            },
        ),
        "ledger": _section(
            "the converter's memory: files, batches, records sent, master data",
            {
                "path": _key(
                    "string",
                    "default: .bizops-sage50/ledger.db beside this file",
                    example=".bizops-sage50/ledger.db",
                )
            },
        ),
        "ownership": _section(
            "the system of record of each table: bizops or sage50",
            {
                "customers": _key("string", "who owns customers", "bizops", **_OWNER),
                "products": _key("string", "who owns products (Sage items)", "bizops", **_OWNER),
                "vendors": _key("string", "who owns vendors", "sage50", **_OWNER),
                "transactions": _key("string", "where transactions are created", "bizops", **_OWNER),
                **{
                    e: _key(
                        "string",
                        f"where {e.replace('_', ' ')} are created (default: transactions)",
                        example="sage50",
                        **_OWNER,
                    )
                    for e in TRANSACTION_ENTITIES
                },
            },
        ),
        "credit_limits": _section(
            "a credit-limit change above either threshold is held for review",
            {
                "hold_above_percent": _key("number", "change in percent of the old limit", 50, minimum=0),
                "hold_above_amount": _key("number", "change in money", 10_000, minimum=0),
            },
        ),
        "checks": _section(
            "reference checks against what is known of the other system",
            {
                "unknown_references": _key(
                    "string",
                    '"error" rejects the document, "warning" lets it through',
                    "error",
                    enum=["error", "warning"],
                )
            },
        ),
        "status": _section(
            "what `status` reports",
            {
                "unconfirmed_days": _key(
                    "integer", "records not confirmed after this many days are flagged", 7, minimum=1
                )
            },
        ),
        "review": _section(
            "review.xlsx in every batch, and the approval gate",
            {
                "require_approval": _key(
                    "boolean", "true: batches wait in outbox/pending/ for `approve`", False
                ),
                "max_rows": _key(
                    "integer", "records shown in review.xlsx (the import file has them all)", 1_000, minimum=1
                ),
            },
        ),
        "limits": _section(
            "a file past a limit is refused, with the row and column named",
            {
                "max_file_mb": _key(
                    "number", "size of one input file, checked before it is read", 1024, exclusiveMinimum=0
                ),
                "max_rows": _key("integer", "data rows in one file", 5_000_000, minimum=1),
                "max_cell_chars": _key(
                    "integer", "characters in one cell (Excel's own limit)", 32_767, minimum=1
                ),
                "max_columns": _key("integer", "cells in one row", 1_000, minimum=1),
                "max_xlsx_unpacked_mb": _key(
                    "number", "an XLSX's unpacked size, checked before unpacking", 500, exclusiveMinimum=0
                ),
            },
        ),
        "sage50": _section(
            "what Sage 50 needs that only your company knows",
            {
                "ar_account": _account("Accounts Receivable Account on sales documents", "11000"),
                "ap_account": _account("Accounts Payable Account on purchases", "20000"),
                "cash_account": _account("default Cash Account for receipts", "10200"),
                "freight_account": _account("G/L account of freight lines", "40600"),
                "default_sales_account": _account(
                    "sales lines when neither line nor product names one", "40000"
                ),
                "default_purchase_account": _account(
                    "purchase lines when neither line nor product names one", "12000"
                ),
                "discount_account": _account("receipts that take an early-payment discount", "49000"),
                "prepayment_account": _account(
                    "the account Sage needs for a prepayment receipt, if any", "23000"
                ),
                "damaged_returns_item": _key(
                    "string", "Sage non-inventory item for Damaged credit-memo lines", example="DAMAGED"
                ),
                "default_due_days": _key(
                    "integer", "Date Due when neither document nor terms give one", 30, minimum=0
                ),
                "item_tax_types": {
                    "type": "object",
                    "description": "your company's Item Tax Type numbers, by BizOps tax class",
                    "additionalProperties": {"type": "string"},
                    "default": {"taxable": "1", "exempt": "2"},
                },
                "sales_tax": {
                    "type": "object",
                    "description": "one table per BizOps SalesTaxCode",
                    "examples": [{"GA": {"agency": "GA-DOR", "account": "23100"}}],
                    "additionalProperties": _section(
                        "the Sage agency and liability account of one sales tax code",
                        {
                            "agency": _key("string", "Sales Tax Agency ID in Sage"),
                            "account": _key("string", "its liability G/L account"),
                        },
                    ),  # a table lacking one is reported per document (and by `doctor`), not here
                },
            },
        ),
        "maps": _section(
            "a site's own copy of a mapping template, per direction and entity",
            {
                "bizops-to-sage50": _section(
                    "templates for files going to Sage 50, one key per entity", _MAP_DIRECTION
                ),
                "sage50-to-bizops": _section(
                    "templates for files going to BizOps, one key per entity", _MAP_DIRECTION
                ),
            },
        ),
    },
}
# Account keys of [sage50] (checked against Sage's chart of accounts by `doctor`).
ACCOUNT_KEYS = tuple(k for k in SCHEMA["properties"]["sage50"]["properties"] if k.endswith("_account"))


def defaults(schema: dict[str, Any] = SCHEMA) -> dict[str, Any]:
    """Every default of the schema, as nested dicts (sections without one are left out)."""
    out: dict[str, Any] = {}
    for name, sub in schema.get("properties", {}).items():
        if "default" in sub:
            out[name] = json.loads(json.dumps(sub["default"]))
        elif "properties" in sub:
            inner = defaults(sub)
            if inner:
                out[name] = inner
    return out


def leaves(schema: dict[str, Any] = SCHEMA, prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(dotted key, schema) of every setting with a fixed name."""
    for name, sub in schema.get("properties", {}).items():
        if "properties" in sub:
            yield from leaves(sub, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", sub


# ---------------------------------------------------------------------------- checking


def _strict_integer(_checker: Any, value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@cache
def _validator() -> Any:
    """The settings' validator, built on first use (jsonschema is slow to import)."""
    from jsonschema import Draft202012Validator, validators

    strict = validators.extend(
        Draft202012Validator,
        type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer),
    )
    return strict(SCHEMA)


_TYPES = {
    "string": "text in quotes",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false, without quotes",
    "object": "a table (a [section])",
}


def shown(value: Any) -> str:
    """A value as it is written in TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "a table"
    return repr(value)


def _dotted(path: Any) -> str:
    return ".".join(str(p) for p in path)


def _unknown(data: Any, schema: dict[str, Any], path: tuple[str, ...]) -> Iterator[str]:
    """Keys and sections the schema does not know, each with the closest known name."""
    if not isinstance(data, dict):
        return
    known = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for name, value in data.items():
        here = (*path, name)
        if name in known:
            yield from _unknown(value, known[name], here)
        elif isinstance(extra, dict):
            yield from _unknown(value, extra, here)
        elif extra is False:
            yield _unknown_message(name, value, known, path)


def _unknown_message(name: str, value: Any, known: dict[str, Any], path: tuple[str, ...]) -> str:
    table = isinstance(value, dict)
    full = _dotted((*path, name))
    what = f"section [{full}]" if table else f"setting `{full}`"
    where = f" in [{_dotted(path)}]" if path and not table else ""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    if close:
        hint = f"[{_dotted((*path, close[0]))}]" if table else f"`{close[0]}`"
        return f"unknown {what}{where}: did you mean {hint}?"
    elsewhere = [key for key, _ in leaves() if key.rsplit(".", 1)[-1] == name and not table]
    if elsewhere:
        section = elsewhere[0].rsplit(".", 1)[0]
        return f"unknown {what}{where}: did you mean `{elsewhere[0]}` (it belongs in [{section}])?"
    choices = ", ".join(f"[{_dotted((*path, k))}]" if "properties" in s else k for k, s in known.items())
    return f"unknown {what}{where}; the known ones are: {choices}. Fix the spelling or remove it."


def _type_message(error: Any) -> str:
    key = _dotted(error.absolute_path)
    name = key.rsplit(".", 1)[-1]
    value = error.instance
    if error.validator == "type":
        expected = error.validator_value
        example = error.schema.get("default", (error.schema.get("examples") or [None])[0])
        if expected == "string" and isinstance(value, int | float) and not isinstance(value, bool):
            example = str(value)  # an account written as a number: the same, in quotes
        fix = f", such as `{name} = {shown(example)}`" if example is not None and expected != "object" else ""
        return f"`{key}` is {shown(value)}; it must be {_TYPES.get(expected, expected)}{fix}"
    if error.validator == "enum":
        return f"`{key}` is {shown(value)}; use one of: {', '.join(shown(v) for v in error.validator_value)}"
    if error.validator in ("minimum", "exclusiveMinimum"):
        bound = "at least" if error.validator == "minimum" else "more than"
        return f"`{key}` is {shown(value)}; it must be {bound} {error.validator_value}"
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return f'[{key}] lacks `{missing}`: add {missing} = "..." to it'
    return f"`{key or 'the file'}`: {error.message}"


_ANNOTATIONS = {"$schema", "$id", "title", "description", "default", "examples"}
_CHECKED = {"type", "enum", "minimum", "exclusiveMinimum", "properties", "additionalProperties"}
_PYTHON_TYPES: dict[str, Any] = {"string": str, "boolean": bool, "object": dict, "array": list}


def _is_type(value: Any, expected: Any) -> bool:
    if isinstance(expected, list):
        return any(_is_type(value, e) for e in expected)
    if expected in ("integer", "number"):
        kinds = int if expected == "integer" else int | float
        return isinstance(value, kinds) and not isinstance(value, bool)
    return expected in _PYTHON_TYPES and isinstance(value, _PYTHON_TYPES[expected])


def _surely_valid(value: Any, schema: Any) -> bool:
    """True only when ``value`` certainly meets ``schema``: a quick check of the few keywords the
    settings' schema uses, so that a valid config does not need jsonschema (slow to import). Any
    doubt (a problem, or a keyword not known here) returns False: jsonschema then finds and words
    the problems, as always."""
    if schema is True:
        return True
    if not isinstance(schema, dict) or not set(schema) <= _ANNOTATIONS | _CHECKED:
        return False
    if "type" in schema and not _is_type(value, schema["type"]):
        return False
    if "enum" in schema and not any(type(value) is type(e) and value == e for e in schema["enum"]):
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and not value >= schema["minimum"]:
            return False
        if "exclusiveMinimum" in schema and not value > schema["exclusiveMinimum"]:
            return False
    if not isinstance(value, dict):
        return True
    known = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    return all(_surely_valid(item, known.get(name, extra)) for name, item in value.items())


def problems(data: dict[str, Any]) -> list[str]:
    """Every problem of a config (as read from TOML), worded for a person; empty when it is valid."""
    found = list(_unknown(data, SCHEMA, ()))
    if not found and _surely_valid(data, SCHEMA):
        return []
    for error in sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        if error.validator != "additionalProperties":
            found.append(_type_message(error))
    return found


# ---------------------------------------------------------------------------- the commented config

HEADER = """\
# bizops-sage50 settings. Every key is optional; the values shown are the defaults, or examples
# (commented out) where Sage needs a value that only your company knows. Relative paths are
# relative to this file. `bizops-sage50 doctor` checks this file and the whole site.
"""
_WIDTH = 34


def _line(text: str, meaning: str) -> str:
    return f"{text:<{_WIDTH - 1}} # {meaning}" if len(text) < _WIDTH - 1 else f"{text}  # {meaning}"


def _render_section(name: str, schema: dict[str, Any]) -> list[str]:
    lines = ["", _line(f"[{name}]", schema["description"])]
    tables: list[str] = []
    for key, sub in schema["properties"].items():
        if "properties" in sub:
            tables += _render_section(f"{name}.{key}", sub)
        elif isinstance(sub.get("additionalProperties"), dict) and "examples" in sub:
            for code, entry in sub["examples"][0].items():
                tables += ["", _line(f"# [{name}.{key}.{code}]", sub["description"])]
                entries = sub["additionalProperties"]["properties"]
                tables += [_line(f"# {k} = {shown(v)}", entries[k]["description"]) for k, v in entry.items()]
        elif "default" in sub and isinstance(sub["default"], dict):
            tables += ["", _line(f"[{name}.{key}]", sub["description"])]
            tables += [f"{k} = {shown(v)}" for k, v in sub["default"].items()]
        elif "default" in sub:
            lines.append(_line(f"{key} = {shown(sub['default'])}", sub["description"]))
        elif "examples" in sub:
            lines.append(_line(f"# {key} = {shown(sub['examples'][0])}", sub["description"]))
    return lines + tables


def config_text() -> str:
    """The commented config ``init`` writes (and the README shows), from the schema."""
    lines: list[str] = []
    for name, sub in SCHEMA["properties"].items():
        lines += _render_section(name, sub)
    return HEADER + "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(config_text(), end="")
