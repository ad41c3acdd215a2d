"""Invented files shaped like real Sage 50 master-list exports (format reference: "Values seen in
real master-list exports"): every record with a usable ID is kept, odd codings are carried and
warned once per distinct value, and credit limits never fail for an unrelated field."""

import csv
import io
from pathlib import Path

from converter.core.settings import load_settings
from converter.pipeline.convert import convert_file

CUSTOMER_HEADER = [
    "Customer ID",
    "Customer Name",
    "Prospect",
    "Inactive",
    "Bill to Contact First Name",
    "Bill to Contact Last Name",
    "Bill to Address-Line One",
    "Bill to Address-Line Two",
    "Bill to City",
    "Bill to State",
    "Bill to Zip",
    "Bill to Country",
    "Bill to Sales Tax ID",
    "Ship to Address 1-Line One",
    "Ship to Address 1-Line Two",
    "Ship to City 1",
    "Ship to State 1",
    "Ship to Zipcode 1",
    "Ship to Country 1",
    "Ship to Sales Tax ID 1",
    "Customer Type",
    "Telephone 1",
    "Telephone 2",
    "Fax Number",
    "Customer E-mail",
    "Sales Representative ID",
    "Account #",
    "G/L Sales Account",
    "Open Purchase Order Number",
    "Ship Via",
    "Resale Number",
    "Pricing Level",
    "Use Standard Terms",
    "C.O.D. Terms",
    "Prepaid Terms",
    "Terms Type",
    "Due Days",
    "Discount Days",
    "Discount Percent",
    "Credit Limit",
    "Credit Status",
    "Charge Finance Charges",
    "Due Month End Terms",
    "Cardholder's Name",
    "Credit Card Address Line 1",
    "Credit Card Address Line 2",
    "Credit Card City",
    "Credit Card State",
    "Credit Card Zip Code",
    "Credit Card Country",
    "Credit Card Stored Reference",
    "Merchant ID",
    "Last Known CC Number",
    "Last Known CC Expiration Date",
    "Use Receipt Settings",
    "Customer Payment Method",
    "Customer Cash Account",
    "Second Contact",
    "Reference",
    "Mailing List?",
    "Multiple Sites?",
    "Customer Since Date",
    "Last Statement Date",
    "Customer Web Site",
    "ID Replacement",
]
GUID = "{00000000-0000-0000-0000-000000000000}"


def customer(cid, name, *, limit="5000.00", terms_type="FALSE", ship_via="0", **more) -> dict[str, str]:
    row = dict.fromkeys(CUSTOMER_HEADER, "")
    row.update(
        {
            "Customer ID": cid,
            "Customer Name": name,
            "Prospect": "FALSE",
            "Inactive": "FALSE",
            "Ship Via": ship_via,
            "Pricing Level": "0",
            "Use Standard Terms": "TRUE",
            "C.O.D. Terms": "FALSE",
            "Prepaid Terms": "FALSE",
            "Terms Type": terms_type,
            "Due Days": "30",
            "Discount Days": "0",
            "Discount Percent": "0.00000",
            "Credit Limit": limit,
            "Credit Status": "1",
            "Charge Finance Charges": "FALSE",
            "Due Month End Terms": "FALSE",
            "Credit Card Stored Reference": GUID,
            "Use Receipt Settings": "TRUE",
            "ID Replacement": "0",
            "Customer Since Date": "3/7/08",
        }
    )
    row.update(more)
    return row


def real_customer_list() -> list[dict[str, str]]:
    return [
        customer("ALDEN", "Alden Family Pharmacy", terms_type="TRUE", ship_via="2"),
        # The clerk's address fields: a city in the Zip, a phone number in the Country.
        customer(
            "ANNOX NIG. LTD",
            "Annox Nigeria Ltd.",
            limit="10000000.00",
            ship_via="3",
            **{"Bill to Zip": "Lagos", "Bill to Country": "+234 1 270 4410", "G/L Sales Account": "11000"},
        ),
        customer("-", "", limit="0.00"),  # Sage's placeholder customer
        customer("PREVENAR  13", "Double  Space Clinic", **{"Customer Since Date": "31/31/31"}),
    ]


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode("cp1252"))
    return path


def convert(path: Path, outbox: Path, **kw):
    return convert_file(path, settings=load_settings(None, cwd=outbox.parent), outbox=outbox, **kw)


def read_out(result, name: str) -> list[dict[str, str]]:
    [path] = [Path(p) for p in result.outputs if Path(p).name == name]
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


def warned(result) -> set[tuple]:
    return {(i.row, i.column, i.code) for i in result.issues if i.severity == "warning"}


def test_a_real_customer_list_yields_a_credit_limit_for_every_customer(tmp_path, outbox):
    src = write_csv(tmp_path / "CUSTOMER.CSV", CUSTOMER_HEADER, real_customer_list())
    result = convert(src, outbox)  # BizOps owns customers: credit limits only
    assert result.ok and result.status == "converted", [i for i in result.issues if i.severity == "error"]
    limits = read_out(result, "credit_limits.csv")
    assert [(r["CustomerID"], r["CreditLimit"], r["CreditStatus"]) for r in limits] == [
        ("ALDEN", "5000.00", "1"),
        ("ANNOX NIG. LTD", "10000000.00", "1"),
        ("-", "0.00", "1"),
        ("PREVENAR  13", "5000.00", "1"),
    ]
    assert not [i for i in result.issues if i.severity == "error"]


def test_an_unreadable_credit_limit_rejects_only_that_customers_limit(tmp_path, outbox):
    rows = real_customer_list()
    rows[1]["Credit Limit"] = "10,000,000"
    src = write_csv(tmp_path / "CUSTOMER.CSV", CUSTOMER_HEADER, rows)
    result = convert(src, outbox)
    assert [r["CustomerID"] for r in read_out(result, "credit_limits.csv")] == ["ALDEN", "-", "PREVENAR  13"]
    errors = {(i.row, i.column, i.code) for i in result.issues if i.severity == "error"}
    assert errors == {(3, "Credit Limit", "bad-credit-limit")}


def test_an_initial_load_of_a_real_customer_list_keeps_every_record(tmp_path, outbox):
    src = write_csv(tmp_path / "CUSTOMER.CSV", CUSTOMER_HEADER, real_customer_list())
    result = convert(src, outbox, initial_load=True)
    assert result.ok and result.rejected == 0 and result.records_out == 4
    customers = read_out(result, "customers.csv")
    assert [(r["CustomerID"], r["Name"]) for r in customers] == [
        ("ALDEN", "Alden Family Pharmacy"),
        ("ANNOX NIG. LTD", "Annox Nigeria Ltd."),
        ("-", "-"),  # a blank name becomes the ID, with a warning
        ("PREVENAR  13", "Double  Space Clinic"),  # inner spaces kept
    ]
    # Whatever the clerk typed is carried as it came.
    assert (customers[1]["Zip"], customers[1]["Country"]) == ("Lagos", "+234 1 270 4410")
    assert customers[3]["CustomerSince"] == ""  # a date BizOps cannot hold: left blank, warned once
    assert warned(result) == {(4, "Customer Name", "filled-in"), (5, "Customer Since Date", "odd-value")}


def test_a_terms_type_coding_nobody_verified_is_never_an_error(tmp_path, outbox):
    rows = [
        customer(f"C{n}", f"Customer {n}", terms_type=value) for n, value in enumerate(["3", "3", "TRUE"])
    ]
    src = write_csv(tmp_path / "CUSTOMER.CSV", CUSTOMER_HEADER, rows)
    result = convert(src, outbox, initial_load=True)
    assert result.ok and result.records_out == 3
    [odd] = [i for i in result.issues if i.code == "odd-value"]
    assert (odd.row, odd.column, odd.severity) == (2, "Terms Type", "warning")
    assert "'3' on 2 records" in odd.message


def item_header(samples: Path) -> list[str]:
    return next(csv.reader(io.StringIO((samples / "sage50" / "ITEM.CSV").read_text(encoding="cp1252"))))


def item(header, iid, desc, cls, costing, **more) -> dict[str, str]:
    row = dict.fromkeys(header, "")
    row.update(
        {
            "Item ID": iid,
            "Item Description": desc,
            "Item Class": cls,
            "Inactive": "FALSE",
            "Sales Price 1": "12.50",
            "Sales Price 1 Calculation": "NC",
            "Item Tax Type": "0",
            "Is Taxable": "TRUE",
            "Costing Method": costing,
            "Last Unit Cost": "4.10",
            "Quantity On Hand": "17.00",
        }
    )
    row.update(more)
    return row


def test_an_initial_load_of_a_real_item_list_keeps_every_item(samples, tmp_path, outbox):
    header = item_header(samples)
    assert len(header) == 181
    rows = [
        item(
            header,
            "MENACTRA (R)",
            "Menactra vaccine",
            "1",
            "1",
            **{"Item Type": "12/25,", "UPC / SKU": "07/25,."},
        ),
        item(header, "PREVENAR  13", "Prevenar 13", "1", "1"),
        item(header, "SN-100", "Serialized scanner", "10", "3"),
        item(header, "NOTE", "", "2", "1", **{"Is Taxable": "FALSE"}),
    ]
    src = write_csv(tmp_path / "ITEM.CSV", header, rows)
    result = convert(src, outbox, initial_load=True)
    assert result.ok and result.rejected == 0 and result.records_out == 4
    products = read_out(result, "products.csv")
    assert [(p["SKU"], p["Title"], p["ItemType"], p["Taxable"], p["CostMethod"]) for p in products] == [
        ("MENACTRA (R)", "Menactra vaccine", "Stock", "TRUE", ""),
        ("PREVENAR  13", "Prevenar 13", "Stock", "TRUE", ""),
        ("SN-100", "Serialized scanner", "SerializedStock", "TRUE", ""),
        ("NOTE", "NOTE", "DescriptionOnly", "FALSE", ""),
    ]
    assert (products[0]["Category"], products[0]["UPC"]) == ("12/25,", "07/25,.")  # free text carried
    # One warning per distinct Costing Method number, not one per item.
    assert warned(result) == {
        (2, "Costing Method", "odd-value"),
        (4, "Costing Method", "odd-value"),
        (5, "Item Description", "filled-in"),
    }
    [one] = [i for i in result.issues if i.code == "odd-value" and i.row == 2]
    assert "'1' on 3 records" in one.message and "left blank" in one.message
