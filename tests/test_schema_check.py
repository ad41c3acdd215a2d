"""The quick JSON Schema check that passes valid templates without jsonschema: it agrees with
jsonschema on every shipped template and on many broken copies of them."""

from __future__ import annotations

import copy
import json
import random

import jsonschema
import pytest

from converter.io.layouts import all_template_files, templates_root
from converter.io.schema_check import conforms

VALUES = [None, True, False, 0, 1, -1, 1.5, 2.0, "", "x", "text", "customers", "a/b", "upper", [], ["a"], [1],
          {}, {"op": "upper"}, {"op": "default", "value": 1}, {"name": "X", "type": "text"}]  # fmt: skip


def _paths(doc, path=()):
    yield path
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _paths(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from _paths(value, (*path, i))


def _broken(doc, rng: random.Random, count: int):
    """Copies of ``doc`` with one thing changed: a value replaced, a key removed or added, an item added."""
    paths = list(_paths(doc))[1:]
    for _ in range(count):
        out = copy.deepcopy(doc)
        path = rng.choice(paths)
        parent = out
        for part in path[:-1]:
            parent = parent[part]
        action = rng.random()
        if action < 0.6:
            parent[path[-1]] = rng.choice(VALUES)
        elif isinstance(parent, dict) and action < 0.8:
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[rng.choice(["extra", "op", "source", "aliases", "when"])] = rng.choice(VALUES)
        else:
            parent.append(rng.choice(VALUES))
        yield out


@pytest.mark.parametrize("path", all_template_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_quick_check_agrees_with_jsonschema(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    kind = "map" if path.parent.parent.name == "maps" else "layout"
    schema = json.loads((templates_root() / "schema" / f"{kind}.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert conforms(doc, schema) and validator.is_valid(doc)
    rng = random.Random(path.name)
    for broken in _broken(doc, rng, 25):
        assert conforms(broken, schema) == validator.is_valid(broken), broken


def test_a_keyword_the_quick_check_does_not_know_leaves_the_decision_to_jsonschema():
    assert conforms("a", {"type": "string"}) is True
    assert conforms("a", {"type": "string", "format": "email"}) is False  # unsure: jsonschema decides
    assert conforms({"a": 1}, {"patternProperties": {"^a": {"type": "integer"}}}) is False
    assert conforms(1, {"$ref": "https://example.com/x.json"}) is False
