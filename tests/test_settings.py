"""Settings: documented defaults, the config file in cwd or --config, and errors naming the key."""

from pathlib import Path

import pytest

from converter.core.errors import ConfigError
from converter.core.settings import CONFIG_NAME, DEFAULTS, load_settings


def test_defaults_without_a_config_file(tmp_path):
    s = load_settings(None, cwd=tmp_path)
    assert s.path is None
    assert s.date_order == "mdy"
    assert s.get("reading.encoding") == "auto"
    assert s.get("reading.chunk_rows") == 50_000
    assert s.get("paths.outbox") == "outbox"
    assert s.get("sage50.item_tax_types") == {"taxable": "1", "exempt": "2"}
    assert s.get("no.such.key", "fallback") == "fallback"


def test_loading_does_not_change_the_defaults(tmp_path):
    (tmp_path / CONFIG_NAME).write_text('[sage50.item_tax_types]\ntaxable = "9"\n')
    load_settings(None, cwd=tmp_path)
    assert DEFAULTS["sage50"]["item_tax_types"]["taxable"] == "1"


def test_config_in_cwd_is_found(tmp_path):
    (tmp_path / CONFIG_NAME).write_text('[reading]\ndate_order = "dmy"\n')
    s = load_settings(None, cwd=tmp_path)
    assert s.path == (tmp_path / CONFIG_NAME).resolve()
    assert s.date_order == "dmy"


def test_missing_config_path_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="--config"):
        load_settings(tmp_path / "nope.toml")


def test_invalid_toml_is_a_config_error(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[reading\ndate_order = dmy\n")
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        load_settings(cfg)


def test_non_utf8_config_is_a_config_error(tmp_path):
    cfg = tmp_path / "ansi.toml"
    cfg.write_bytes("# Café site\n[reading]\ndate_order = 'dmy'\n".encode("cp1252"))
    with pytest.raises(ConfigError):
        load_settings(cfg)


def test_bad_date_order_is_a_config_error(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[reading]\ndate_order = "european"\n')
    with pytest.raises(ConfigError, match=r"reading\.date_order"):
        load_settings(cfg)


def test_bad_date_order_in_overrides_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError):
        load_settings(None, cwd=tmp_path, overrides={"reading": {"date_order": "dym"}})


def test_bad_chunk_rows_is_a_config_error(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[reading]\nchunk_rows = "lots"\n')
    with pytest.raises(ConfigError, match="chunk_rows"):
        load_settings(cfg)


def test_require_names_the_key_and_the_section_to_add(tmp_path):
    s = load_settings(None, cwd=tmp_path)
    with pytest.raises(ConfigError) as exc:
        s.require("sage50.accounts.receivable", why="It fills 'Accounts Receivable Account'.")
    message = str(exc.value)
    assert "sage50.accounts.receivable" in message
    assert "[sage50.accounts]\nreceivable = ..." in message
    assert CONFIG_NAME in message and "--config" in message


def test_require_with_a_config_file_names_that_file(tmp_path):
    cfg = tmp_path / "site.toml"
    cfg.write_text('[sage50]\nar_account = ""\n')
    s = load_settings(cfg)
    with pytest.raises(ConfigError) as exc:
        s.require("sage50.ar_account")  # present but blank counts as missing
    assert str(cfg.resolve()) in str(exc.value) and "[sage50]" in str(exc.value)


def test_require_returns_a_present_value(tmp_path):
    assert load_settings(None, cwd=tmp_path).require("sage50.item_tax_types.exempt") == "2"


def test_resolve_path_is_relative_to_the_config_folder(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    cfg = site / "conf.toml"
    cfg.write_text('[paths]\noutbox = "out"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    s = load_settings(Path("../site/conf.toml"))
    assert s.resolve_path(s.get("paths.outbox")) == site.resolve() / "out"
    assert s.resolve_path(tmp_path / "abs") == tmp_path / "abs"


def test_nested_merge_keeps_the_other_defaults(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sage50.item_tax_types]\ntaxable = "7"\n[reading]\nencoding = "cp1252"\n')
    s = load_settings(cfg)
    assert s.get("sage50.item_tax_types") == {"taxable": "7", "exempt": "2"}
    assert s.get("reading.encoding") == "cp1252"
    assert s.date_order == "mdy" and s.get("reading.chunk_rows") == 50_000


def test_overrides_win_over_the_file(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[reading]\ndate_order = "dmy"\n')
    s = load_settings(cfg, overrides={"reading": {"date_order": "ymd"}})
    assert s.date_order == "ymd"


def test_resolve_path_without_a_config_is_relative_to_cwd(tmp_path):
    s = load_settings(None, cwd=tmp_path)
    assert s.resolve_path("outbox") == tmp_path.resolve() / "outbox"
