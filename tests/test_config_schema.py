"""Settings checked against one JSON Schema: unknown keys with the closest known one, wrong types
with the key, value and type expected, exit 2 and no traceback, on every command that reads the
config; the defaults, `init`'s config and the README all come from (or agree with) the schema."""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest
from typer.testing import CliRunner

from converter.cli import main as cli
from converter.core.config_schema import SCHEMA, config_text, defaults, leaves, problems
from converter.core.errors import InvalidConfig
from converter.core.limits import Limits
from converter.core.results import ConversionResult
from converter.core.settings import CONFIG_NAME, DEFAULTS, load_settings
from converter.watch.reload import SettingsReloader
from converter.watch.watcher import Watcher

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

# The cases of issue 12, each with what the message must name.
CASES = [
    ('[sage50]\nar_acount = "11000"\n', ["sage50.ar_acount", "did you mean `ar_account`?"]),
    ("[sage5O]\nar_account = '11000'\n", ["[sage5O]", "did you mean [sage50]?"]),
    ('[ownership]\ncustomer = "sage50"\n', ["ownership.customer", "did you mean `customers`?"]),
    ('[status]\nunconfirmed_days = "seven"\n', ["status.unconfirmed_days", '"seven"', "whole number"]),
    ('[sage50]\ndefault_due_days = "thirty"\n', ["sage50.default_due_days", '"thirty"', "whole number"]),
    ('[review]\nrequire_approval = "false"\n', ["review.require_approval", '"false"', "true or false"]),
]


def write(folder: Path, text: str) -> Path:
    path = folder / CONFIG_NAME
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "named"), CASES)
def test_the_issue_cases_are_refused_naming_file_key_and_fix(tmp_path, text, named):
    path = write(tmp_path, text)
    with pytest.raises(InvalidConfig) as exc:
        load_settings(path)
    message = str(exc.value)
    assert str(path.resolve()) in message
    for part in named:
        assert part in message


@pytest.mark.parametrize(("text", "named"), CASES)
def test_status_on_a_bad_config_exits_2_without_a_traceback(tmp_path, text, named):
    write(tmp_path, text)
    res = runner.invoke(cli.app, ["status"])
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert "Traceback" not in res.output and named[0] in res.stderr


def test_every_problem_is_listed_at_once(tmp_path):
    path = write(
        tmp_path,
        '[sage50]\nar_acount = "11000"\ndefault_due_days = "thirty"\n[sage5O]\n[ownership]\ncustomer = "sage50"\n'
        '[status]\nunconfirmed_days = "seven"\n[review]\nrequire_approval = "false"\n',
    )
    with pytest.raises(InvalidConfig) as exc:
        load_settings(path)
    message = str(exc.value)
    assert "has 6 problems" in message
    for _, named in CASES:
        assert named[0] in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[sage50]\nar_account = 11000\n",
            '`sage50.ar_account` is 11000; it must be text in quotes, such as `ar_account = "11000"`',
        ),
        (
            "[sage50]\nunconfirmed_days = 3\n",
            "did you mean `status.unconfirmed_days` (it belongs in [status])?",
        ),
        (
            "[sage50.item_tax_type]\ntaxable = '1'\n",
            "unknown section [sage50.item_tax_type]: did you mean [sage50.item_tax_types]?",
        ),
        (
            '[reading]\ndate_order = "european"\n',
            '`reading.date_order` is "european"; use one of: "mdy", "dmy", "ymd"',
        ),
        ("[status]\nunconfirmed_days = 0\n", "`status.unconfirmed_days` is 0; it must be at least 1"),
        ("[limits]\nmax_rows = 1.0\n", "`limits.max_rows` is 1.0; it must be a whole number"),
        (
            "[sage50.sales_tax.GA]\nagency = 5\n",
            "`sage50.sales_tax.GA.agency` is 5; it must be text in quotes",
        ),
        ('[maps.bizops-to-sage50]\ncustomer = "x.json"\n', "did you mean `customers`?"),
        ("[wibble]\nx = 1\n", "unknown section [wibble]; the known ones are: [paths], [reading]"),
    ],
)
def test_problems_are_worded_for_a_person(text, expected):
    assert expected in "\n".join(problems(tomllib.loads(text)))


def test_a_valid_config_and_the_sample_have_no_problems():
    assert problems(DEFAULTS) == []
    assert problems(tomllib.loads((ROOT / "samples" / CONFIG_NAME).read_text(encoding="utf-8"))) == []
    assert problems(tomllib.loads(config_text())) == []
    assert "# [sage50.sales_tax.GA]" in config_text()


def test_sales_tax_codes_and_item_tax_classes_are_the_sites_own_names(tmp_path):
    path = write(
        tmp_path,
        '[sage50.sales_tax.NY-CITY]\nagency = "NYC"\naccount = "23300"\n'
        '[sage50.item_tax_types]\nresale = "3"\n',
    )
    settings = load_settings(path)
    assert settings.get("sage50.sales_tax.NY-CITY.agency") == "NYC"
    assert settings.get("sage50.item_tax_types") == {"taxable": "1", "exempt": "2", "resale": "3"}


# ------------------------------------------------------------------------------ one definition


def test_every_setting_has_a_type_a_meaning_and_a_default_or_an_example():
    for key, schema in leaves():
        assert schema.get("type") and schema.get("description"), key
        assert "\n" not in schema["description"], key
    shown = [key for key, schema in leaves() if "default" in schema or "examples" in schema]
    assert {"sage50.prepayment_account", "sage50.ar_account", "status.unconfirmed_days"} <= set(shown)


def test_defaults_come_from_the_schema():
    assert defaults() == DEFAULTS
    assert DEFAULTS["status"] == {"unconfirmed_days": 7}
    assert DEFAULTS["review"] == {"require_approval": False, "max_rows": 1000}
    assert DEFAULTS["sage50"]["item_tax_types"] == {"taxable": "1", "exempt": "2"}
    limits = Limits()
    assert {f.name: getattr(limits, f.name) for f in fields(Limits)} == DEFAULTS["limits"]


def test_inits_config_states_every_default_and_shows_every_example():
    text = config_text()
    data = tomllib.loads(text)
    assert {k: v for k, v in data.items() if k not in ("ledger", "maps")} == DEFAULTS
    for key, schema in leaves():
        name = key.rsplit(".", 1)[-1]
        if "examples" in schema and schema["type"] != "object" and not key.startswith("maps."):
            assert f"# {name} = " in text, key
        if "default" in schema and not isinstance(schema["default"], dict):
            assert re.search(rf"^{re.escape(name)} = ", text, re.M), key


def test_the_readme_settings_section_is_the_generated_config():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- settings: begin.*?-->\n```toml\n(.*?)```\n<!-- settings: end -->", readme, re.S)
    assert block, "README lacks the settings block"
    assert block.group(1) == config_text(), (
        "README's settings block differs from the schema: paste `python -m converter.core.config_schema` into it"
    )


_SECTIONS = "|".join(SCHEMA["properties"])
_KEY_LITERAL = re.compile(rf'"((?:{_SECTIONS})\.[a-z_]+(?:\.[a-z_]+)?)"')
_READ_CALL = re.compile(r'(?:settings\.get|\.require)\(\s*"([a-z0-9_.-]+)"')


def _known(key: str) -> bool:
    node: dict = SCHEMA
    for part in key.split("."):
        if "properties" in node and part in node["properties"]:
            node = node["properties"][part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return False
    return True


def test_every_key_the_code_reads_is_defined_in_the_schema():
    """A setting read anywhere in the code (or named by a template) must be in the schema, or a site
    that sets it would be told it is unknown."""
    read: set[str] = set()
    for source in (ROOT / "converter").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        read |= set(_KEY_LITERAL.findall(text)) | set(_READ_CALL.findall(text))
    for template in (ROOT / "converter" / "templates" / "maps").rglob("*.json"):
        read |= set(re.findall(r'"(?:key|table)":\s*"([a-z0-9_.]+)"', template.read_text(encoding="utf-8")))
    assert "sage50.ar_account" in read and "review.require_approval" in read
    files = (".csv", ".xlsx", ".json", ".txt", ".db")
    assert sorted(k for k in read if not k.endswith(files) and not _known(k)) == []


# ------------------------------------------------------------------------------ every command


@pytest.mark.parametrize(
    "args",
    [
        ["convert", "samples/bizops/customers.csv"],
        ["validate", "samples/bizops/customers.csv"],
        ["status"],
        ["history"],
        ["batches"],
        ["forget", "b1"],
        ["review", "b1"],
        ["approve", "b1"],
        ["reject", "b1", "--reason", "no"],
        ["watch", "--once"],
        ["retry", "--all"],
    ],
)
def test_every_command_that_reads_the_config_checks_it_first(tmp_path, args):
    write(tmp_path, '[sage50]\nar_acount = "11000"\n')
    args = [str(ROOT / a) if a.startswith("samples/") else a for a in args]
    res = runner.invoke(cli.app, args)
    assert res.exit_code == 2, res.output
    assert "did you mean `ar_account`?" in res.stderr and "Traceback" not in res.output
    assert not (tmp_path / "inbox").exists() and not (tmp_path / "outbox").exists()  # nothing started


# ------------------------------------------------------------------------------ the watcher


def test_the_watcher_takes_a_good_edit_and_keeps_its_settings_on_a_bad_one(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="bizops-sage50")
    path = write(tmp_path, "[review]\nmax_rows = 10\n")
    seen: list[int] = []

    def convert(path, *, settings, outbox):
        seen.append(settings.get("review.max_rows"))
        return ConversionResult(input=str(path), status="empty")

    settings = load_settings(path)
    watcher = Watcher(
        inbox=tmp_path / "inbox",
        outbox=tmp_path / "outbox",
        settings=settings,
        settle=0,
        check=0.01,
        convert=convert,
        reload_settings=SettingsReloader(settings),
    )
    watcher.acquire()
    try:
        for n, text in enumerate(["[review]\nmax_rows = 20\n", '[review]\nmax_rows = "thirty"\n']):
            path.write_text(text, encoding="utf-8")
            (tmp_path / "inbox" / f"f{n}.csv").write_text("a\n1\n", encoding="utf-8")
            watcher.run_once(max_wait=2)
    finally:
        watcher.release()
    assert seen == [20, 20]
    messages = [r.getMessage() for r in caplog.records]
    assert any("settings re-read" in m for m in messages)
    bad = [m for m in messages if "last good settings" in m]
    assert len(bad) == 1 and "`review.max_rows`" in bad[0] and str(path.resolve()) in bad[0]


def test_a_reloader_without_a_config_file_keeps_the_defaults(tmp_path):
    settings = load_settings(None, cwd=tmp_path)
    assert SettingsReloader(settings)() is settings


def test_the_watcher_does_not_start_on_a_bad_config(tmp_path):
    write(tmp_path, '[review]\nrequire_approval = "false"\n')
    res = runner.invoke(cli.app, ["watch"])
    assert res.exit_code == 2 and "review.require_approval" in res.stderr
    assert not (tmp_path / "inbox").exists()


def _jsonschema_problems(data) -> list[str]:
    """The problems as jsonschema alone finds them (no quick check first)."""
    from converter.core import config_schema

    original = config_schema._surely_valid
    config_schema._surely_valid = lambda value, schema: False
    try:
        return problems(data)
    finally:
        config_schema._surely_valid = original


def test_the_quick_check_of_a_valid_config_agrees_with_jsonschema_on_every_setting():
    """A config is passed without jsonschema only when jsonschema finds nothing either: every
    setting given a value of every TOML type (and out-of-range numbers) is checked both ways."""
    import copy
    import datetime as dt

    samples = ["text", "", 0, 7, -1, 2.5, -0.5, 0.0, float("nan"), True, False, [], ["a"], {}, {"x": 1},
               dt.date(2024, 1, 2)]  # fmt: skip
    for key, _schema in leaves():
        for value in samples:
            data = copy.deepcopy(DEFAULTS)
            node = data
            *sections, name = key.split(".")
            for section in sections:
                node = node.setdefault(section, {})
            node[name] = value
            assert problems(data) == _jsonschema_problems(data), (key, value)
    assert problems(copy.deepcopy(DEFAULTS)) == [] == _jsonschema_problems(copy.deepcopy(DEFAULTS))
