"""The sync ledger end to end: ownership, credit limits, changes only, sent once, closing the loop,
two converters at once, and crashes between writing a batch and recording it."""

from __future__ import annotations

import csv
import datetime as dt
import json
import multiprocessing
import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

import converter.sync.ledger as ledger_mod
from converter.admin.project import forget_batch, status_report
from converter.cli import main as cli
from converter.core.settings import load_settings
from converter.io import batches as batches_mod
from converter.pipeline import write as pipeline_mod  # the write stage claims the batch
from converter.pipeline.convert import convert_file
from converter.sync.catalog import Catalog
from converter.sync.ledger import Ledger
from tests.conftest import SAGE50_ACCOUNTS, rcc

runner = CliRunner()

CONFIG = SAGE50_ACCOUNTS

BIZ_CUSTOMERS = "CustomerID,Name,City,Phone,CreditLimit,CreditStatus\n"
SAGE_CUSTOMERS = "Customer ID,Customer Name,Bill to City,Credit Limit,Credit Status\n"
INVOICES = "InvoiceNumber,DocumentType,InvoiceDate,CustomerID,Status,SyncedAt,LineNumber,SKU,Description,Quantity,UnitPrice,Amount,GLAccount\n"
INV_1 = (
    "INV-1,Invoice,2026-06-02,C-1,Finalized,,1,SKU-A,Widget,2,10.00,20.00,40000\n"
    "INV-1,Invoice,2026-06-02,C-1,Finalized,,2,SKU-B,Gadget,1,5.00,5.00,40000\n"
)
INV_2 = "INV-2,Invoice,2026-06-03,C-2,Finalized,,1,SKU-A,Widget,1,10.00,10.00,40000\n"


# ---------------------------------------------------------------------------------------- helpers
def project(folder: Path, extra: str = ""):
    folder.mkdir(parents=True, exist_ok=True)
    cfg = folder / "bizops-sage50.toml"
    cfg.write_text(CONFIG + extra, encoding="utf-8")
    return load_settings(cfg)


def put(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def convert(settings, path: Path, **kw):
    return convert_file(path, settings=settings, outbox=settings.base_dir / "outbox", **kw)


def batch_dirs(settings) -> list[Path]:
    return sorted(
        p
        for p in (settings.base_dir / "outbox").glob("to-*/*")
        if p.is_dir() and not p.name.startswith(".") and not p.name.endswith(".forgotten")
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))


def read_sage(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_bytes().decode("cp1252").splitlines()))


def sent_keys(settings) -> list[tuple[str, str, str]]:
    with sqlite3.connect(Ledger.for_settings(settings).path) as conn:
        return sorted(conn.execute("SELECT entity, target, key FROM sent").fetchall())


def batch_states(settings) -> dict[str, str]:
    with sqlite3.connect(Ledger.for_settings(settings).path) as conn:
        return dict(conn.execute("SELECT batch, state FROM batches").fetchall())


def codes(result) -> set[str]:
    return {i.code for i in result.issues}


def message(result, code: str) -> str:
    return next(i.message for i in result.issues if i.code == code)


@pytest.fixture
def site(tmp_path):
    return project(tmp_path)


# ---------------------------------------------------------------------------------------- the ledger file
def test_ledger_lives_beside_the_config_file(tmp_path):
    settings = project(tmp_path / "site")
    src = put(tmp_path, "customers.csv", BIZ_CUSTOMERS + "C-1,Alpha Clinic,Boston,617-555-0001,1000.00,OK\n")
    assert convert(settings, src).status == "converted"
    assert (tmp_path / "site" / ".bizops-sage50" / "ledger.db").is_file()
    assert not (tmp_path / ".bizops-sage50").exists()


def test_ledger_lives_in_the_working_folder_without_a_config(tmp_path):
    settings = load_settings(None, cwd=tmp_path)
    assert Ledger.for_settings(settings).path == tmp_path.resolve() / ".bizops-sage50" / "ledger.db"


def test_ledger_path_can_be_configured(tmp_path):
    settings = project(tmp_path / "site", '[ledger]\npath = "state/sync.db"\n')
    assert Ledger.for_settings(settings).path == tmp_path / "site" / "state" / "sync.db"


def test_every_input_file_is_recorded(site, tmp_path):
    src = put(tmp_path, "customers.csv", BIZ_CUSTOMERS + "C-1,Alpha Clinic,Boston,617-555-0001,1000.00,OK\n")
    result = convert(site, src)
    with sqlite3.connect(Ledger.for_settings(site).path) as conn:
        rows = conn.execute(
            "SELECT sha256, template, name, size, processed_at, outcome, batch FROM files"
        ).fetchall()
    [(sha, template, name, size, when, outcome, batch)] = rows
    assert sha == result.sha256 and name == "customers.csv" and size == src.stat().st_size
    assert template == f"{result.template['id']}@{result.template['version']}"
    assert outcome == "converted" and batch == result.batch
    assert dt.datetime.fromisoformat(when).date() == dt.date.today()


def test_the_chart_of_accounts_is_remembered(site, tmp_path):
    chart = put(
        tmp_path, "CHART.CSV", "Account ID,Account Description,Account Type\n10200,Cash,0\n40000,Sales,21\n"
    )
    result = convert(site, chart)
    assert result.status == "recorded" and result.ok
    accounts = Catalog.for_settings(site).entries("sage50", "accounts")
    assert set(accounts) == {"10200", "40000"}
    assert accounts["40000"]["description"] == "Sales"


# ---------------------------------------------------------------------------------------- ownership
@pytest.mark.parametrize(
    ("name", "text", "key", "known"),
    [
        ("vendors.csv", "VendorID,Name,City\nV-1,Acme Supply,Boston\n", "ownership.vendors", "1 vendors"),
        (
            "ITEM.CSV",
            "Item ID,Item Description,Item Class\nSKU-A,Widget,1\n",
            "ownership.products",
            "1 items",
        ),
    ],
)
def test_an_export_from_the_non_owner_is_read_for_reference_not_converted(
    site, tmp_path, name, text, key, known
):
    src = put(tmp_path, name, text)
    before = src.read_bytes()
    result = convert(site, src)
    assert result.status == "reference-only" and result.ok
    assert [(i.row, i.code, i.severity) for i in result.issues] == [(None, "reference-only", "info")]
    text = message(result, "reference-only")
    assert text.startswith(f"read for reference: {known} now known in ") and f"(`{key}`)" in text
    assert "not converted" in text
    assert src.read_bytes() == before
    assert batch_dirs(site) == []


def test_a_reference_only_export_exits_0_and_says_so_on_the_command_line(site, tmp_path):
    src = put(tmp_path, "vendors.csv", "VendorID,Name,City\nV-1,Acme Supply,Boston\n")
    res = runner.invoke(cli.app, ["convert", str(src), "--config", str(site.path), "--json"])
    assert res.exit_code == 0, res.output
    [data] = json.loads(res.stdout)
    assert data["status"] == "reference-only" and data["counts"] == {"known": 1, "confirmed": 0}
    assert [i["code"] for i in data["issues"]] == ["reference-only"]
    res = runner.invoke(cli.app, ["convert", str(src), "--config", str(site.path)])
    assert res.exit_code == 0 and "reference-only" in res.stdout
    assert (
        "read for reference: 1 vendors now known in BizOps; not converted, because Sage 50 owns" in res.stdout
    )


def test_a_sage_item_list_read_for_reference_lets_invoices_check_their_items(site, tmp_path):
    """The first week's trap: ITEM.CSV from Sage while BizOps owns products, then invoices."""
    items = "Item ID,Item Description,Item Class\nSKU-A,Widget,1\nSKU-B,Gadget,1\n,No ID,1\n"
    learned = convert(site, put(tmp_path, "ITEM.CSV", items))
    assert learned.status == "reference-only" and learned.counts["known"] == 2
    assert rcc(learned.issues) == {(4, "Item ID", "missing-value"), (None, None, "reference-only")}
    assert "2 items now known in Sage 50" in message(learned, "reference-only")
    assert sorted(Catalog.for_settings(site).entries("sage50", "products")) == ["sku-a", "sku-b"]
    sent = convert(site, put(tmp_path, "invoices.csv", INVOICES + INV_1))
    assert sent.status == "converted", sent.issues
    assert "references-unchecked" not in {
        i.code for i in sent.issues if "products" in i.message or "items" in i.message
    }
    unknown = INV_2.replace("SKU-A", "SKU-Z")
    bad = convert(site, put(tmp_path, "invoices2.csv", INVOICES + unknown))
    assert bad.status == "rejected-rows"
    assert (2, "SKU", "unknown-reference") in {(i.row, i.column, i.code) for i in bad.issues}
    assert any("SKU-Z" in i.message for i in bad.issues)  # the message names the unknown item


def test_validate_of_a_non_owner_export_checks_every_row_and_records_nothing(site, tmp_path):
    items = "Item ID,Item Description,Item Class\nSKU-A,Widget,1\n,No ID,1\nSKU-C,Gizmo,1\n"
    src = put(tmp_path, "ITEM.CSV", items)
    res = runner.invoke(cli.app, ["validate", str(src), "--config", str(site.path), "--json"])
    assert res.exit_code == 0, res.output
    [data] = json.loads(res.stdout)
    assert data["status"] == "reference-only" and data["rows_in"] == 3 and data["rejected"] == 1
    assert [(i["row"], i["code"]) for i in data["issues"]] == [(3, "missing-value"), (None, "reference-only")]
    assert data["issues"][-1]["message"].startswith(
        "would be read for reference only: 2 items would become known in Sage 50"
    )
    assert Catalog.for_settings(site).entries("sage50", "products") == {}
    assert Ledger.for_settings(site).history() == []


def test_initial_load_lets_the_non_owner_through(site, tmp_path):
    src = put(tmp_path, "vendors.csv", "VendorID,Name,City\nV-1,Acme Supply,Boston\n")
    result = convert(site, src, initial_load=True)
    assert result.status == "converted" and result.records_out == 1
    [batch] = batch_dirs(site)
    assert read_sage(batch / "VENDOR.CSV")[0]["Vendor ID"] == "V-1"


def test_initial_load_flag_on_the_command_line(site, tmp_path):
    src = put(tmp_path, "vendors.csv", "VendorID,Name,City\nV-1,Acme Supply,Boston\n")
    res = runner.invoke(cli.app, ["convert", str(src), "--config", str(site.path), "--initial-load"])
    assert res.exit_code == 0, res.output


def test_ownership_follows_the_config(tmp_path):
    settings = project(tmp_path, '[ownership]\nvendors = "bizops"\n')
    ours = put(tmp_path, "vendors.csv", "VendorID,Name,City\nV-1,Acme Supply,Boston\n")
    theirs = put(tmp_path, "VENDOR.CSV", "Vendor ID,Vendor Name,City\nV-2,Beta Supply,Boston\n")
    assert convert(settings, ours).status == "converted"
    refused = convert(settings, theirs)
    assert refused.status == "reference-only" and "`ownership.vendors`" in refused.issues[0].message


def test_transactions_are_owned_as_a_whole_or_per_type(tmp_path):
    settings = project(tmp_path / "a")
    sent = convert(settings, put(tmp_path, "invoices.csv", INVOICES + INV_1))
    assert sent.status == "converted"
    sales = Path(sent.outputs[0])
    refused = convert(settings, sales)
    assert refused.status == "reference-only"
    assert "`ownership.transactions`" in message(refused, "reference-only")

    per_type = project(tmp_path / "b", '[ownership]\ninvoices = "sage50"\n')
    biz = convert(per_type, put(tmp_path, "invoices2.csv", INVOICES + INV_2))
    assert biz.status == "reference-only" and "`ownership.invoices`" in message(biz, "reference-only")


def test_sage_customer_list_yields_only_credit_limits(site, tmp_path):
    src = put(
        tmp_path, "CUSTOMER.CSV", SAGE_CUSTOMERS + "C-1,Alpha Clinic,Boston,1000.00,Notify Over Limit\n"
    )
    result = convert(site, src)
    assert result.status == "converted" and result.ok
    assert (None, None, "credit-limits-only") in rcc(result.issues)
    assert "reference-only" not in codes(result)
    [batch] = batch_dirs(site)
    assert sorted(p.name for p in batch.iterdir()) == ["credit_limits.csv", "manifest.json", "review.xlsx"]
    with (batch / "credit_limits.csv").open(encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == [
            "CustomerID",
            "CreditLimit",
            "CreditStatus",
            "SourceFile",
            "ExportedAt",
        ]
    [row] = read_csv(batch / "credit_limits.csv")
    assert (row["CustomerID"], row["CreditLimit"], row["CreditStatus"], row["SourceFile"]) == (
        "C-1",
        "1000.00",
        "Notify Over Limit",
        "CUSTOMER.CSV",
    )
    assert dt.datetime.fromisoformat(row["ExportedAt"])
    res = runner.invoke(
        cli.app, ["convert", str(put(tmp_path, "C2.CSV", SAGE_CUSTOMERS + "C-9,Z,Y,5.00,\n"))]
    )
    assert res.exit_code == 0, res.output


def test_credit_limits_only_claims_no_customers_created(site, tmp_path):
    src = put(tmp_path, "CUSTOMER.CSV", SAGE_CUSTOMERS + "C-1,Alpha Clinic,Boston,1000.00,OK\n")
    result = convert(site, src)
    assert result.credit_limits == {"sent": 1, "held": 0, "unchanged": 0}
    assert not (result.counts or {}).get("created")


# ---------------------------------------------------------------------------------------- credit limits
def sage_customers(tmp_path: Path, name: str, *limits: tuple[str, str]) -> Path:
    rows = "".join(f"{cid},{cid} Inc,Boston,{limit},Notify Over Limit\n" for cid, limit in limits)
    return put(tmp_path, name, SAGE_CUSTOMERS + rows)


def limits_sent(result) -> list[dict[str, str]]:
    path = next((Path(p) for p in result.outputs if p.endswith("/credit_limits.csv")), None)
    return read_csv(path) if path else []


def test_credit_limits_send_all_first_then_only_changes(site, tmp_path):
    first = convert(
        site, sage_customers(tmp_path, "C1.CSV", ("C-1", "1000.00"), ("C-2", "2000.00"), ("C-3", "3000.00"))
    )
    assert [r["CustomerID"] for r in limits_sent(first)] == ["C-1", "C-2", "C-3"]
    assert first.credit_limits == {"sent": 3, "held": 0, "unchanged": 0}

    # C-2's limit changed; C-3's status alone changed.
    second = convert(
        site,
        put(
            tmp_path,
            "C2.CSV",
            SAGE_CUSTOMERS
            + "C-1,A,B,1000.00,Notify Over Limit\nC-2,A,B,2100.00,Notify Over Limit\nC-3,A,B,3000.00,Always Hold\n",
        ),
    )
    sent = [(r["CustomerID"], r["CreditLimit"], r["CreditStatus"]) for r in limits_sent(second)]
    assert sent == [("C-2", "2100.00", "Notify Over Limit"), ("C-3", "3000.00", "Always Hold")]
    assert second.credit_limits == {"sent": 2, "held": 0, "unchanged": 1}
    assert second.records_out == 2


def test_no_credit_limit_changes_writes_no_batch(site, tmp_path):
    convert(site, sage_customers(tmp_path, "C1.CSV", ("C-1", "1000.00")))
    again = convert(
        site, put(tmp_path, "C2.CSV", SAGE_CUSTOMERS + "C-1,Other Name,Elsewhere,1000.00,Notify Over Limit\n")
    )
    assert again.ok and again.batch is None
    assert "nothing-new" in codes(again)
    assert again.credit_limits == {"sent": 0, "held": 0, "unchanged": 1}
    assert len(batch_dirs(site)) == 1


def test_bizops_customers_never_carry_a_credit_limit_to_sage(site, tmp_path):
    result = convert(
        site, put(tmp_path, "customers.csv", BIZ_CUSTOMERS + "C-1,Alpha,Boston,617-555-0001,1000.00,OK\n")
    )
    [batch] = batch_dirs(site)
    assert Path(result.outputs[0]).name == "CUSTOMER.CSV"
    header = (batch / "CUSTOMER.CSV").read_bytes().decode("cp1252").splitlines()[0].split(",")
    assert "Credit Limit" not in header and "Credit Status" not in header
    manifest = json.loads((batch / "manifest.json").read_text(encoding="utf-8"))
    assert "Credit Limit" not in manifest["target"]["fields"]


def test_bizops_credit_limit_unlike_sages_is_drift(site, tmp_path):
    convert(site, sage_customers(tmp_path, "CUSTOMER.CSV", ("C-1", "1000.00"), ("C-2", "2000.00")))
    result = convert(
        site,
        put(
            tmp_path,
            "customers.csv",
            BIZ_CUSTOMERS
            + "C-1,Alpha,Boston,617-555-0001,1500.00,OK\nC-2,Beta,Boston,617-555-0002,2000.00,OK\n",
        ),
    )
    assert (2, "CreditLimit", "credit-limit-drift") in rcc(result.issues)
    assert not any(i.row == 3 and i.code == "credit-limit-drift" for i in result.issues)
    drift = next(i for i in result.issues if i.code == "credit-limit-drift")
    assert drift.severity == "warning"
    assert result.status == "converted" and result.records_out == 2


def test_credit_limit_drift_compares_only_customers_with_a_limit_on_both_sides(site, tmp_path):
    convert(
        site,
        sage_customers(
            tmp_path, "CUSTOMER.CSV", ("C-1", "1000.00"), ("c-2", "2000.00"), ("C-3", ""), ("C-4", "4000.00")
        ),
    )
    rows = [
        "C-1,Alpha,Boston,617-555-0001,1000,OK",  # the same amount, spelled otherwise: no drift
        "C-2,Beta,Boston,617-555-0002,2500.00,OK",  # IDs match case-insensitively: drift
        "C-3,Gamma,Boston,617-555-0003,3000.00,OK",  # no limit in Sage
        "C-4,Delta,Boston,617-555-0004,,OK",  # no limit in BizOps
        "C-5,Epsilon,Boston,617-555-0005,5000.00,OK",  # unknown to Sage
        "C-6,Zeta,Boston,617-555-0006,1.00,OK",
    ]
    result = convert(site, put(tmp_path, "customers.csv", BIZ_CUSTOMERS + "\n".join(rows) + "\n"))
    drift = [i for i in result.issues if i.code == "credit-limit-drift"]
    assert [(i.row, i.column) for i in drift] == [(3, "CreditLimit")]
    assert drift[0].message.startswith("C-2: BizOps has credit limit 2500.00, Sage 50 has 2000.00.")


def test_bizops_credit_limit_without_a_sage_list_is_not_drift(site, tmp_path):
    result = convert(
        site, put(tmp_path, "customers.csv", BIZ_CUSTOMERS + "C-1,Alpha,Boston,617-555-0001,1500.00,OK\n")
    )
    assert "credit-limit-drift" not in codes(result)


# CustomerID: (limit before, limit now, held?)
HOLD_CASES = {
    "C-1": ("1000.00", "1500.00", False),  # exactly 50 %: sent
    "C-2": ("1000.00", "1600.00", True),  # 60 %: held
    "C-3": ("1000.00", "300.00", True),  # −70 %: held
    "C-4": ("100000.00", "110000.00", False),  # 10 %, exactly 10,000: sent
    "C-5": ("100000.00", "115000.00", True),  # 15 %, but 15,000: held
    "C-6": ("0.00", "500.00", True),  # from nothing: an infinite share
    "C-7": ("2000.00", "2100.00", False),
}


def test_large_credit_limit_changes_are_held(site, tmp_path):
    convert(site, sage_customers(tmp_path, "C1.CSV", *((c, old) for c, (old, _, _) in HOLD_CASES.items())))
    result = convert(
        site, sage_customers(tmp_path, "C2.CSV", *((c, new) for c, (_, new, _) in HOLD_CASES.items()))
    )
    sent = [(r["CustomerID"], r["CreditLimit"]) for r in limits_sent(result)]
    assert sent == [(c, new) for c, (_, new, held) in HOLD_CASES.items() if not held]
    held_file = Path(next(p for p in result.outputs if p.endswith("/held-credit-limits.csv")))
    held = [(r["CustomerID"], r["CreditLimit"]) for r in read_csv(held_file)]
    assert held == [(c, new) for c, (_, new, held) in HOLD_CASES.items() if held]
    rows = [n for n, (_, _, held) in enumerate(HOLD_CASES.values(), start=2) if held]
    assert sorted(i.row for i in result.issues if i.code == "credit-limit-held") == rows
    assert {(i.column, i.severity) for i in result.issues if i.code == "credit-limit-held"} == {
        ("Credit Limit", "warning")
    }
    assert result.credit_limits == {"sent": 3, "held": 4, "unchanged": 0}


def test_hold_thresholds_come_from_the_config(tmp_path):
    settings = project(tmp_path, "[credit_limits]\nhold_above_percent = 10\nhold_above_amount = 100\n")
    convert(settings, sage_customers(tmp_path, "C1.CSV", ("C-1", "1000.00"), ("C-2", "1000.00")))
    result = convert(settings, sage_customers(tmp_path, "C2.CSV", ("C-1", "1150.00"), ("C-2", "1050.00")))
    assert [r["CustomerID"] for r in limits_sent(result)] == ["C-2"]
    assert (2, "Credit Limit", "credit-limit-held") in rcc(result.issues)


def test_a_held_change_is_held_again_until_released(site, tmp_path):
    convert(site, sage_customers(tmp_path, "C1.CSV", ("C-1", "1000.00"), ("C-2", "2000.00")))
    held = convert(site, sage_customers(tmp_path, "C2.CSV", ("C-1", "9000.00"), ("C-2", "2000.00")))
    assert held.credit_limits["held"] == 1 and held.batch is not None
    again = convert(site, sage_customers(tmp_path, "C3.CSV", ("C-1", "9000.00"), ("C-2", "2100.00")))
    assert "credit-limit-held" in codes(again)  # not silently forgotten: still not sent
    released = convert(
        site,
        sage_customers(tmp_path, "C4.CSV", ("C-1", "9000.00"), ("C-2", "2100.00"), ("C-3", "50.00")),
        release_held=True,
    )
    sent = [(r["CustomerID"], r["CreditLimit"]) for r in limits_sent(released)]
    assert sent == [("C-1", "9000.00"), ("C-3", "50.00")]
    assert "credit-limit-held" not in codes(released)
    after = convert(
        site, sage_customers(tmp_path, "C5.CSV", ("C-3", "50.00"), ("C-2", "2100.00"), ("C-1", "9000.00"))
    )
    assert after.credit_limits == {"sent": 0, "held": 0, "unchanged": 3}
    assert "credit-limit-held" not in codes(after)


def test_release_held_on_the_command_line(site, tmp_path):
    convert(site, sage_customers(tmp_path, "C1.CSV", ("C-1", "1000.00")))
    convert(site, sage_customers(tmp_path, "C2.CSV", ("C-1", "9000.00")))
    src = sage_customers(tmp_path, "C3.CSV", ("C-1", "9000.00"), ("C-2", "10.00"))
    res = runner.invoke(
        cli.app, ["convert", str(src), "--config", str(site.path), "--release-held", "--json"]
    )
    assert res.exit_code == 0, res.output
    [data] = json.loads(res.stdout)
    assert data["credit_limits"] == {"sent": 2, "held": 0, "unchanged": 0}


def test_release_held_works_on_the_file_that_held_it(site, tmp_path):
    convert(site, sage_customers(tmp_path, "C1.CSV", ("C-1", "1000.00")))
    src = sage_customers(tmp_path, "C2.CSV", ("C-1", "9000.00"))
    assert convert(site, src).credit_limits["held"] == 1
    released = convert(site, src, release_held=True)
    assert [(r["CustomerID"], r["CreditLimit"]) for r in limits_sent(released)] == [("C-1", "9000.00")]


# ---------------------------------------------------------------------------------------- masters: changes only
CUST_A = "C-1,Alpha Clinic,Boston,617-555-0001,1000.00,OK\n"
CUST_B = "C-2,Beta Labs,Cambridge,617-555-0002,2000.00,OK\n"
CUST_C = "C-3,Gamma Care,Salem,617-555-0003,3000.00,OK\n"


def test_only_new_or_changed_master_records_are_sent(site, tmp_path):
    first = convert(site, put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A + CUST_B))
    assert first.counts == {"created": 2, "updated": 0, "unchanged": 0}
    changed_b = CUST_B.replace("Cambridge", "Somerville")
    second = convert(site, put(tmp_path, "c2.csv", BIZ_CUSTOMERS + CUST_A + changed_b + CUST_C))
    assert second.counts == {"created": 1, "updated": 1, "unchanged": 1}
    assert second.records_out == 2 and second.status == "converted"
    rows = read_sage(Path(second.outputs[0]))
    assert [(r["Customer ID"], r["Bill to City"]) for r in rows] == [("C-2", "Somerville"), ("C-3", "Salem")]


def test_full_sends_everything(site, tmp_path):
    convert(site, put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A + CUST_B))
    full = convert(site, put(tmp_path, "c2.csv", BIZ_CUSTOMERS + CUST_A + CUST_B + CUST_C), full=True)
    assert full.records_out == 3 and full.counts["unchanged"] == 0
    assert [r["Customer ID"] for r in read_sage(Path(full.outputs[0]))] == ["C-1", "C-2", "C-3"]


def test_full_flag_on_the_command_line_also_reconverts_the_same_file(site, tmp_path):
    src = put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A)
    convert(site, src)
    res = runner.invoke(cli.app, ["convert", str(src), "--config", str(site.path), "--full", "--json"])
    assert res.exit_code == 0, res.output
    [data] = json.loads(res.stdout)
    assert data["status"] == "converted" and data["records_out"] == 1


def test_a_blank_cell_never_overwrites_a_value_sent_before(site, tmp_path):
    convert(site, put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A + CUST_B))
    # C-1: Phone changed, City left blank; C-2: only City blank, so nothing changed.
    update = "C-1,Alpha Clinic,,617-555-9999,1000.00,OK\nC-2,Beta Labs,,617-555-0002,2000.00,OK\n"
    result = convert(site, put(tmp_path, "c2.csv", BIZ_CUSTOMERS + update))
    assert (2, None, "blank-kept") in rcc(result.issues)
    assert not any(i.code == "blank-kept" and i.row == 3 for i in result.issues)
    assert next(i for i in result.issues if i.code == "blank-kept").severity == "info"
    assert result.counts == {"created": 0, "updated": 1, "unchanged": 1}
    [row] = read_sage(Path(result.outputs[0]))
    assert (row["Customer ID"], row["Bill to City"], row["Telephone 1"]) == ("C-1", "Boston", "617-555-9999")
    # The value kept is remembered: the next change still carries it.
    third = convert(
        site, put(tmp_path, "c3.csv", BIZ_CUSTOMERS + "C-1,Alpha Clinic,,617-555-1111,1000.00,OK\n")
    )
    assert read_sage(Path(third.outputs[0]))[0]["Bill to City"] == "Boston"


def test_nothing_new_writes_no_batch(site, tmp_path):
    first = convert(site, put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A + CUST_B))
    again = convert(
        site, put(tmp_path, "c2.csv", BIZ_CUSTOMERS + CUST_B + CUST_A)
    )  # other bytes, same records
    assert again.status == "converted" and again.ok
    assert (None, None, "nothing-new") in rcc(again.issues)
    assert next(i for i in again.issues if i.code == "nothing-new").severity == "info"
    assert again.batch is None and again.outputs == [] and again.records_out == 0
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 2}
    assert [p.name for p in batch_dirs(site)] == [first.batch]
    [entry] = [h for h in Ledger.for_settings(site).history() if h["file"] == "c2.csv"]
    assert entry["batch"] is None


def test_changes_are_judged_per_target(site, tmp_path):
    """Customers sent to Sage do not make their credit limits count as sent to BizOps."""
    convert(site, put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A))
    back = convert(
        site, put(tmp_path, "CUSTOMER.CSV", SAGE_CUSTOMERS + "C-1,Alpha Clinic,Boston,1000.00,OK\n")
    )
    assert back.credit_limits == {"sent": 1, "held": 0, "unchanged": 0}


def test_ids_are_matched_case_insensitively(site, tmp_path):
    convert(site, put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A))
    again = convert(site, put(tmp_path, "c2.csv", BIZ_CUSTOMERS + CUST_A.replace("C-1", "c-1")))
    assert again.counts["created"] == 0


# ---------------------------------------------------------------------------------------- transactions: sent once
def test_the_same_document_again_is_skipped(site, tmp_path):
    first = convert(site, put(tmp_path, "i1.csv", INVOICES + INV_1))
    assert first.status == "converted" and first.records_out == 2
    again = convert(site, put(tmp_path, "i2.csv", INVOICES + INV_1 + INV_2))
    assert (2, None, "duplicate-document") in rcc(again.issues)
    dup = next(i for i in again.issues if i.code == "duplicate-document")
    assert dup.severity == "info" and first.batch in dup.message
    assert again.skipped == 2 and again.rejected == 0 and again.status == "converted"
    rows = read_sage(Path(again.outputs[0]))
    assert {r["Invoice/CM #"] for r in rows} == {"INV-2"}
    # The same number for another customer is another document.
    other = convert(site, put(tmp_path, "i3.csv", INVOICES + INV_2.replace(",C-2,", ",C-3,")))
    assert other.records_out == 1 and "duplicate-document" not in codes(other)


def test_a_changed_document_with_the_same_number_is_an_error(site, tmp_path):
    first = convert(site, put(tmp_path, "i1.csv", INVOICES + INV_1 + INV_2))
    changed = INV_2.replace(",1,10.00,10.00,", ",3,10.00,30.00,")
    again = convert(site, put(tmp_path, "i2.csv", INVOICES + INV_1 + changed))
    assert (4, None, "changed-after-send") in rcc(again.issues)
    issue = next(i for i in again.issues if i.code == "changed-after-send")
    assert issue.severity == "error"
    sent_on = dt.date.today().isoformat()
    assert f"already sent to Sage 50 on {sent_on} in batch {first.batch}; changed fields: " in issue.message
    assert "Quantity" in issue.message and "Amount" in issue.message
    assert "Customer ID" not in issue.message.partition("changed fields:")[2]
    assert again.status == "rejected-rows" and not again.ok and again.rejected == 1 and again.skipped == 2
    rejects = read_csv(Path(next(p for p in again.outputs if p.endswith("rejects.csv"))))
    assert [r["InvoiceNumber"] for r in rejects] == ["INV-2"]
    assert not any(p.endswith("SALES.CSV") and read_sage(Path(p)) for p in again.outputs)


def test_the_same_file_twice_is_recognised_by_its_hash(site, tmp_path):
    src = put(tmp_path, "i1.csv", INVOICES + INV_1)
    first = convert(site, src)
    copy = put(tmp_path, "renamed.csv", src.read_text(encoding="utf-8"))
    for path in (src, copy):
        again = convert(site, path)
        assert again.status == "already-processed" and again.ok
        assert [(i.row, i.code, i.severity) for i in again.issues] == [(None, "same-file", "info")]
        assert first.batch in again.issues[0].message
        assert again.batch is None and again.sha256 == first.sha256
    assert len(batch_dirs(site)) == 1
    res = runner.invoke(cli.app, ["convert", str(src), "--config", str(site.path), "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)[0]["status"] == "already-processed"


def test_a_file_with_rejected_rows_may_be_dropped_in_again(site, tmp_path):
    src = put(
        tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A + "C*2,Beta,Cambridge,,,\n"
    )  # Sage IDs cannot hold *
    first = convert(site, src)
    assert first.status == "rejected-rows" and first.records_out == 1 and first.rejected == 1
    again = convert(site, src)
    assert again.status == "rejected-rows" and "same-file" not in codes(again)
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 1} and again.rejected == 1


def test_a_file_that_failed_is_not_remembered_as_processed(tmp_path):
    broken = project(tmp_path, '[maps.bizops-to-sage50]\ncustomers = "missing.json"\n')
    src = put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A)
    failed = convert(broken, src)
    assert failed.status == "failed"
    assert convert(project(tmp_path), src).status == "converted"


# ---------------------------------------------------------------------------------------- closing the loop
def test_a_later_export_of_the_target_confirms_and_reports_drift(site, tmp_path):
    convert(site, put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A + CUST_B + CUST_C))
    # Sage now holds C-1 as sent, C-2 renamed by someone in Sage; C-3 not loaded yet.
    export = (
        SAGE_CUSTOMERS + "C-1,Alpha Clinic,Boston,1000.00,OK\nC-2,Beta Laboratories,Cambridge,2000.00,OK\n"
    )
    result = convert(site, put(tmp_path, "CUSTOMER.CSV", export))
    assert result.ok
    assert (None, None, "confirmed") in rcc(result.issues)
    assert "2 " in message(result, "confirmed")
    [drift] = [i for i in result.issues if i.code == "drift"]
    assert drift.severity == "warning" and "C-2" in drift.message and "Customer Name" in drift.message
    [row] = [r for r in status_report(site)["entities"] if r["entity"] == "customers"]
    assert row == {
        "entity": "customers",
        "target": "sage50",
        "sent": 3,
        "confirmed": 2,
        "unconfirmed_overdue": 0,
        "drift": 1,
    }
    assert status_report(site)["drift"] == [
        {"entity": "customers", "target": "sage50", "id": "C-2", "fields": ["Customer Name"]}
    ]
    # The next export confirms nothing new; C-2 set back as sent is no longer drift.
    fixed = SAGE_CUSTOMERS + "C-1,Alpha Clinic,Boston,1000.00,OK\nC-2,Beta Labs,Cambridge,2000.00,OK\n"
    again = convert(site, put(tmp_path, "CUSTOMER2.CSV", fixed))
    assert not {"confirmed", "drift"} & codes(again)
    assert status_report(site)["drift"] == []


def test_a_refused_export_still_confirms_what_was_sent(site, tmp_path):
    sent = convert(site, put(tmp_path, "i1.csv", INVOICES + INV_1 + INV_2))
    export = Path(sent.outputs[0])  # what Sage would export after loading it
    result = convert(site, export)
    assert result.status == "reference-only"
    assert {"reference-only", "confirmed"} <= codes(result)
    assert "read for reference: 2 invoices seen in Sage 50" in message(result, "reference-only")
    assert "2 invoices sent to Sage 50 earlier are in this export: confirmed." in message(result, "confirmed")
    [row] = status_report(site)["entities"]
    assert (row["entity"], row["sent"], row["confirmed"]) == ("invoices", 2, 2)


def test_status_lists_records_unconfirmed_after_n_days(tmp_path, monkeypatch):
    settings = project(tmp_path, "[status]\nunconfirmed_days = 3\n")
    old = (dt.datetime.now().astimezone() - dt.timedelta(days=5)).isoformat(timespec="seconds")
    monkeypatch.setattr(ledger_mod, "now_iso", lambda: old)
    first = convert(settings, put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A + CUST_B))
    monkeypatch.undo()
    convert(settings, put(tmp_path, "c2.csv", BIZ_CUSTOMERS + CUST_A + CUST_B + CUST_C))  # C-3 sent today
    convert(settings, put(tmp_path, "S.CSV", SAGE_CUSTOMERS + "C-1,Alpha Clinic,Boston,1000.00,OK\n"))
    report = status_report(settings)
    assert report["unconfirmed_days"] == 3
    [row] = [r for r in report["entities"] if r["entity"] == "customers"]
    assert (row["sent"], row["confirmed"], row["unconfirmed_overdue"], row["drift"]) == (3, 1, 1, 0)
    assert [(r["id"], r["batch"]) for r in report["overdue"]] == [("C-2", first.batch)]


# ---------------------------------------------------------------------------------------- two converters at once
def _convert_in_child(config: str, path: str, barrier, results) -> None:
    settings = load_settings(Path(config))
    barrier.wait(timeout=30)  # both start converting at the same moment
    result = convert_file(Path(path), settings=settings, outbox=settings.base_dir / "outbox")
    results.put((path, result.as_dict()))


def test_two_processes_converting_at_once_share_the_ledger(site, tmp_path):
    n = 100
    customers = put(
        tmp_path,
        "customers.csv",
        BIZ_CUSTOMERS + "".join(f"C-{i},Customer {i},Boston,617-555-{i:04d},1000.00,OK\n" for i in range(n)),
    )
    products = put(
        tmp_path,
        "products.csv",
        "SKU,Title,ItemType,Price\n" + "".join(f"SKU-{i},Product {i},Stock,{i}.00\n" for i in range(n)),
    )
    assert not Ledger.for_settings(site).exists()  # both start on a fresh ledger
    ctx = multiprocessing.get_context("fork")  # separate processes, without importing pandas twice more
    barrier, queue = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_convert_in_child, args=(str(site.path), str(path), barrier, queue))
        for path in (customers, products)
    ]
    for proc in procs:
        proc.start()
    results = dict(queue.get(timeout=60) for _ in procs)
    for proc in procs:
        proc.join(timeout=60)
    assert [proc.exitcode for proc in procs] == [0, 0]
    assert [results[str(p)]["status"] for p in (customers, products)] == ["converted", "converted"], results
    assert [results[str(p)]["records_out"] for p in (customers, products)] == [n, n]
    keys = sent_keys(site)
    assert len(keys) == len(set(keys)) == 2 * n
    assert {e for e, _, _ in keys} == {"customers", "products"}
    assert sorted(batch_states(site).values()) == ["recorded", "recorded"]
    assert sorted(h["file"] for h in Ledger.for_settings(site).history()) == ["customers.csv", "products.csv"]
    assert len(batch_dirs(site)) == 2


def test_a_batch_name_taken_by_another_converter_keeps_its_records(site, tmp_path, monkeypatch):
    now = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)
    mine = put(tmp_path, "mine.csv", BIZ_CUSTOMERS + CUST_A)
    theirs = put(tmp_path, "theirs.csv", BIZ_CUSTOMERS + CUST_B)
    real = pipeline_mod.claim_batch
    done = []

    def stage(ledger, **kw):
        if not done:  # the other converter finishes in the same second, between our check and our rename
            done.append(None)
            monkeypatch.setattr(pipeline_mod, "claim_batch", real)
            done[0] = convert(site, theirs, now=now)
        return real(ledger, **kw)

    monkeypatch.setattr(pipeline_mod, "claim_batch", stage)
    result = convert(site, mine, now=now)
    monkeypatch.undo()
    assert result.status == "converted" and done[0].status == "converted"
    assert {result.batch, done[0].batch} == {"20260601-093000-customers", "20260601-093000-customers-2"}
    assert sent_keys(site) == [("customers", "sage50", "c-1"), ("customers", "sage50", "c-2")]
    assert set(batch_states(site).values()) == {"recorded"}


def _reconcile_in_child(path: str) -> None:
    Ledger(Path(path)).reconcile()


def test_another_converter_starting_mid_commit_leaves_the_batch_alone(site, tmp_path, monkeypatch):
    real = os.rename

    def rename(src, dst):
        # Another converter starts right now, between staging and the rename, and settles the ledger.
        child = multiprocessing.get_context("fork").Process(
            target=_reconcile_in_child, args=(str(Ledger.for_settings(site).path),)
        )
        child.start()
        child.join(timeout=30)
        assert child.exitcode == 0
        return real(src, dst)

    monkeypatch.setattr(batches_mod.os, "rename", rename)
    result = convert(site, put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A))
    monkeypatch.undo()
    assert result.status == "converted"
    assert batch_states(site) == {result.batch: "recorded"}
    assert sent_keys(site) == [("customers", "sage50", "c-1")]


def test_a_ledger_from_before_the_pid_column_still_works(site, tmp_path):
    """A ledger.db written by the first ledger release (batches without ``pid``) is upgraded in place."""
    path = Ledger.for_settings(site).path
    path.parent.mkdir()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE batches (batch TEXT PRIMARY KEY, path TEXT NOT NULL, direction TEXT NOT NULL, "
            "entity TEXT NOT NULL, source TEXT, sha256 TEXT, created_at TEXT NOT NULL, state TEXT NOT NULL)"
        )
    result = convert(site, put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A))
    assert result.status == "converted", result.issues
    assert batch_states(site) == {result.batch: "recorded"}


# ---------------------------------------------------------------------------------------- crashes
def test_crash_after_the_rename_neither_loses_nor_duplicates(site, tmp_path, monkeypatch):
    src = put(tmp_path, "i1.csv", INVOICES + INV_1 + INV_2)

    def crash(self, batch):
        raise RuntimeError("power cut")

    monkeypatch.setattr(ledger_mod.Ledger, "finish_batch", crash)
    crashed = convert(site, src)
    monkeypatch.undo()
    assert crashed.status == "failed" and "internal-error" in codes(crashed)
    [folder] = batch_dirs(site)
    assert (folder / "SALES.CSV").is_file()
    assert batch_states(site) == {folder.name: "pending"}

    again = convert(site, src)
    assert batch_states(site) == {folder.name: "recorded"}
    # The file was claimed with its batch, in the same transaction as the records: the same file again.
    assert again.ok and again.records_out == 0 and again.batch is None
    assert again.status == "already-processed" and "same-file" in codes(again)
    assert batch_dirs(site) == [folder]
    assert sent_keys(site) == [("invoices", "sage50", "c-1|inv-1"), ("invoices", "sage50", "c-2|inv-2")]
    assert (
        next(iter(Ledger.for_settings(site).sent("invoices", "sage50", ["C-1|INV-1"]).values())).batch
        == folder.name
    )


def test_crash_after_the_rename_of_masters(site, tmp_path, monkeypatch):
    src = put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A + CUST_B)
    monkeypatch.setattr(ledger_mod.Ledger, "finish_batch", lambda self, batch: 1 / 0)
    convert(site, src)
    monkeypatch.undo()
    again = convert(site, src)
    assert again.status == "already-processed"  # claimed with its batch, which the next run keeps
    assert again.batch is None and len(batch_dirs(site)) == 1
    changed = convert(site, put(tmp_path, "c2.csv", BIZ_CUSTOMERS + CUST_A + CUST_B + "\n"))
    assert changed.counts == {"created": 0, "updated": 0, "unchanged": 2}
    assert set(batch_states(site).values()) == {"recorded"}


def test_crash_before_the_rename_leaves_pending_records_that_reconcile_drops(site, tmp_path, monkeypatch):
    src = put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A + CUST_B)

    def crash(src_path, dst):
        raise RuntimeError("killed")  # not an OSError: the process dies, nothing undoes the staging

    monkeypatch.setattr(batches_mod.os, "rename", crash)
    crashed = convert(site, src)
    monkeypatch.undo()
    assert crashed.status == "failed"
    assert batch_dirs(site) == []
    assert not list((site.base_dir / "outbox").glob("to-*/.tmp-*"))
    [(name, state)] = batch_states(site).items()
    assert state == "pending" and len(sent_keys(site)) == 2

    ledger = Ledger.for_settings(site)
    assert ledger.reconcile() == [name]
    assert batch_states(site) == {name: "forgotten"}
    assert ledger.sent("customers", "sage50", ["C-1", "C-2"]) == {}
    assert ledger.reconcile() == []

    again = convert(site, src)
    assert again.status == "converted" and again.records_out == 2
    assert again.counts == {"created": 2, "updated": 0, "unchanged": 0}
    assert [p.name for p in batch_dirs(site)] == [again.batch]
    assert len(sent_keys(site)) == 2


def test_the_next_run_reconciles_by_itself(site, tmp_path, monkeypatch):
    src = put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A)
    monkeypatch.setattr(batches_mod.os, "rename", lambda a, b: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        convert(site, src)
    monkeypatch.undo()
    again = convert(site, src)
    assert again.status == "converted" and again.records_out == 1
    assert batch_states(site)[again.batch] == "recorded"
    assert sent_keys(site) == [("customers", "sage50", "c-1")]


def test_a_failed_rename_undoes_the_staging_at_once(site, tmp_path, monkeypatch):
    src = put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A)

    def refuse(src_path, dst):
        raise PermissionError("read-only outbox")

    monkeypatch.setattr(batches_mod.os, "rename", refuse)
    failed = convert(site, src)
    monkeypatch.undo()
    assert failed.status == "failed" and "io-error" in codes(failed)
    assert sent_keys(site) == [] and set(batch_states(site).values()) == {"forgotten"}
    assert convert(site, src).records_out == 1


# ---------------------------------------------------------------------------------------- forget
def test_forgotten_records_go_again(site, tmp_path):
    first = convert(site, put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A + CUST_B))
    forget_batch(site, first.batch, outbox=site.base_dir / "outbox")
    again = convert(site, put(tmp_path, "c2.csv", BIZ_CUSTOMERS + CUST_A + CUST_B + CUST_C))
    assert again.counts == {"created": 3, "updated": 0, "unchanged": 0}
    assert again.records_out == 3


def test_the_same_file_goes_again_after_its_batch_is_forgotten(site, tmp_path):
    src = put(tmp_path, "c1.csv", BIZ_CUSTOMERS + CUST_A + CUST_B)
    first = convert(site, src)
    forget_batch(site, first.batch, outbox=site.base_dir / "outbox")
    again = convert(site, src)
    assert again.status == "converted" and again.records_out == 2
