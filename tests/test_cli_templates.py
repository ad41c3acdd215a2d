import json
import shutil

from typer.testing import CliRunner

from converter.cli import main as cli
from converter.io.layouts import templates_root

runner = CliRunner()


def test_list_shows_layouts_and_maps():
    res = runner.invoke(cli.app, ["templates", "list", "--json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    names = {lay["name"] for lay in data["layouts"]}
    assert {"sage50/customers", "bizops/products", "sage50/invoices"} <= names
    assert {"bizops-to-sage50/customers", "sage50-to-bizops/vendors"} <= {m["id"] for m in data["maps"]}
    assert all(m["version"] for m in data["maps"])


def test_show_layout_and_template():
    res = runner.invoke(cli.app, ["templates", "show", "sage50/customers"])
    assert res.exit_code == 0 and "Customer ID" in res.stdout
    res = runner.invoke(cli.app, ["templates", "show", "bizops-to-sage50/products", "--json"])
    assert json.loads(res.stdout)["id"] == "bizops-to-sage50/products"
    assert runner.invoke(cli.app, ["templates", "show", "nope/none"]).exit_code == 2


def test_check_passes_on_shipped_templates():
    res = runner.invoke(cli.app, ["templates", "check"])
    assert res.exit_code == 0, res.stdout
    assert "valid" in res.stdout


def test_check_reports_every_violation_with_its_json_path(tmp_path):
    src = templates_root() / "maps" / "bizops-to-sage50" / "customers.json"
    doc = json.loads(src.read_text())
    doc["version"] = "one"
    doc["rules"][1]["transforms"] = [{"op": "eval", "code": "1+1"}]
    doc["rules"][2]["target"] = "No Such Field"
    bad = tmp_path / "customers.json"
    bad.write_text(json.dumps(doc))
    res = runner.invoke(cli.app, ["templates", "check", str(bad), "--json"])
    assert res.exit_code == 1
    paths = {v["path"]: v["message"] for v in json.loads(res.stdout)["violations"]}
    assert "$.version" in paths
    assert (
        "$.rules[1].transforms[0]" in paths
        and "unknown transform op 'eval'" in paths["$.rules[1].transforms[0]"]
    )
    # semantic checks run once the schema passes
    doc["version"] = "1.1"
    doc["rules"][1]["transforms"] = []
    bad.write_text(json.dumps(doc))
    res = runner.invoke(cli.app, ["templates", "check", str(bad), "--json"])
    paths = {v["path"]: v["message"] for v in json.loads(res.stdout)["violations"]}
    assert "$.rules[2].target" in paths and "No Such Field" in paths["$.rules[2].target"]


def test_site_copy_of_a_template_is_used(tmp_path, fixtures):
    src = templates_root() / "maps" / "bizops-to-sage50" / "customers.json"
    doc = json.loads(src.read_text())
    doc["version"] = "1.0.1-site".replace("-site", "")
    doc["columns"] = {"CustomerID": ["Cust No"]}
    site = tmp_path / "site-customers.json"
    site.write_text(json.dumps(doc))
    cfg = tmp_path / "bizops-sage50.toml"
    cfg.write_text('[maps.bizops-to-sage50]\ncustomers = "site-customers.json"\n')
    data = tmp_path / "export.csv"
    shutil.copy(fixtures / "leading-zeros.csv", data)
    text = data.read_text(encoding="utf-8").replace("CustomerID", "Cust No", 1)
    data.write_text(text, encoding="utf-8")
    res = runner.invoke(
        cli.app,
        ["convert", str(data), "--config", str(cfg), "--outbox", str(tmp_path / "o"), "--json"],
    )
    assert res.exit_code == 0, res.stdout
    [result] = json.loads(res.stdout)
    assert result["template"]["path"] == str(site.resolve())
    assert result["entity"] == "customers"
