"""Data generation, part 2: customer and product masters of both systems."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .vocab import (
    BIZOPS_CUSTOMER_COLS,
    BIZOPS_PRODUCT_COLS,
    CREDIT_STATUS,
    CTYPE_BY_B,
    DAY0,
    FIRST,
    LAST,
    NAME_A,
    NAME_B,
    PLACES,
    REPS,
    SAGE_CUSTOMER_COLS,
    STREETS,
    ids,
    join,
    money,
)


@dataclass
class Masters:
    """Customers and products that transactions reference (the same IDs in both systems)."""

    customers: pd.DataFrame  # BizOps customers.csv columns
    products: pd.DataFrame  # BizOps products.csv columns
    price_cents: np.ndarray
    cost_cents: np.ndarray
    taxable: np.ndarray  # bool
    stock: np.ndarray  # bool
    popularity: np.ndarray  # probabilities


def customer_frame(n: int, rng: np.random.Generator, start: int = 1) -> dict[str, np.ndarray]:
    """Fields shared by both customer layouts, n customers."""
    number = np.arange(start, start + n)
    # Most names fit Sage's 30-character ship-to name; a few longer ones are cut (and reported).
    pairs = [(i, j) for i in range(len(NAME_A)) for j in range(len(NAME_B))]
    w = np.array([1.0 if len(NAME_A[i]) + 1 + len(NAME_B[j]) <= 30 else 0.01 for i, j in pairs])
    pick = rng.choice(len(pairs), n, p=w / w.sum())
    a = np.array([pairs[x][0] for x in range(len(pairs))])[pick]
    b = np.array([pairs[x][1] for x in range(len(pairs))])[pick]
    weights = np.array([p[4] for p in PLACES], dtype=float)
    place = rng.choice(len(PLACES), n, p=weights / weights.sum())
    city = np.array([PLACES[i][0] for i in range(len(PLACES))], dtype=object)[place]
    state = np.array([PLACES[i][1] for i in range(len(PLACES))], dtype=object)[place]
    zip3 = np.array([PLACES[i][2] for i in range(len(PLACES))], dtype=object)[place]
    area = np.array([PLACES[i][3] for i in range(len(PLACES))], dtype=object)[place]
    zips = join(zip3, np.array([f"{z:02d}" for z in rng.integers(0, 100, n).tolist()], dtype=object))
    plus4 = rng.random(n) < 0.1
    zips = np.where(plus4, join(zips, "-", np.array([f"{z:04d}" for z in rng.integers(0, 10000, n)])), zips)
    street = join(
        np.array([str(s) for s in rng.integers(1, 9999, n).tolist()], dtype=object),
        " ",
        STREETS[rng.integers(0, len(STREETS), n)],
    )
    addr2 = np.where(
        rng.random(n) < 0.2,
        join("Suite ", np.array([str(s) for s in rng.integers(1, 400, n).tolist()], dtype=object)),
        "",
    )
    has_ship = rng.random(n) < 0.15
    cid = ids("C", number, 7)
    phone = join(
        area, "-555-", np.array([f"{p:04d}" for p in rng.integers(0, 10000, n).tolist()], dtype=object)
    )
    email = join("ap.", np.char.lower(cid.astype(str)).astype(object), "@example.com")
    due = rng.choice(np.array(["", "30", "45", "60", "15"], dtype=object), n, p=[0.5, 0.25, 0.1, 0.05, 0.1])
    disc = (due == "45") & (rng.random(n) < 0.7)
    return {
        "id": cid,
        "name": join(NAME_A[a], " ", NAME_B[b]),
        "first": FIRST[rng.integers(0, len(FIRST), n)],
        "last": LAST[rng.integers(0, len(LAST), n)],
        "addr1": street,
        "addr2": addr2,
        "city": city,
        "state": state,
        "zip": zips,
        "country": np.full(n, "USA", dtype=object),
        "has_ship": has_ship,
        "phone": phone,
        "phone2": np.where(rng.random(n) < 0.2, phone, ""),
        "fax": np.where(rng.random(n) < 0.15, phone, ""),
        "email": email,
        "web": np.where(
            rng.random(n) < 0.5,
            join("https://www.", np.char.lower(cid.astype(str)).astype(object), ".com"),
            "",
        ),
        "type": CTYPE_BY_B[b],
        "rep": REPS[rng.integers(0, 3, n)],
        "resale": np.where(
            rng.random(n) < 0.1,
            join(state, "-R-", np.array([str(x) for x in rng.integers(100000, 999999, n)], dtype=object)),
            "",
        ),
        "due": due,
        "disc_days": np.where(disc, "10", ""),
        "disc_pct": np.where(disc, "2.00", ""),
        "credit": money(rng.choice(np.array([0, 250000, 500000, 1000000, 1500000, 2500000, 5000000]), n)),
        "credit_status": CREDIT_STATUS[rng.choice(5, n, p=[0.7, 0.1, 0.05, 0.1, 0.05])],
        "inactive": np.where(rng.random(n) < 0.03, "TRUE", "FALSE"),
        "since": rng.integers(0, 6500, n),  # days before DAY0
    }


def bizops_customers(n: int, rng: np.random.Generator) -> pd.DataFrame:
    c = customer_frame(n, rng)
    since = np.array([(DAY0 - dt.timedelta(int(d))).isoformat() for d in c["since"].tolist()], dtype=object)
    ship = c["has_ship"]
    taxcode = np.where(
        np.isin(c["state"], ["MA", "NY"]), c["state"], np.where(rng.random(n) < 0.1, "EXEMPT", c["state"])
    )
    data = {
        "CustomerID": c["id"],
        "Name": c["name"],
        "ContactFirstName": c["first"],
        "ContactLastName": c["last"],
        "Address1": c["addr1"],
        "Address2": c["addr2"],
        "City": c["city"],
        "State": c["state"],
        "Zip": c["zip"],
        "Country": c["country"],
        "ShipToName": np.where(
            ship,
            np.where(np.char.str_len(c["name"].astype(str)) <= 24, join(c["name"], " - Dock"), c["name"]),
            "",
        ),
        "ShipToAddress1": np.where(ship, c["addr1"], ""),
        "ShipToAddress2": np.where(ship, "Rear Loading Dock", ""),
        "ShipToCity": np.where(ship, c["city"], ""),
        "ShipToState": np.where(ship, c["state"], ""),
        "ShipToZip": np.where(ship, c["zip"], ""),
        "ShipToCountry": np.where(ship, "USA", ""),
        "Phone": c["phone"],
        "Phone2": c["phone2"],
        "Fax": c["fax"],
        "Email": c["email"],
        "Website": c["web"],
        "CustomerType": c["type"],
        "SalesRepID": c["rep"],
        "SalesTaxCode": taxcode,
        "ResaleNumber": c["resale"],
        "TermsDueDays": c["due"],
        "TermsDiscountDays": c["disc_days"],
        "TermsDiscountPercent": c["disc_pct"],
        "CreditLimit": c["credit"],
        "CreditStatus": c["credit_status"],
        "Inactive": c["inactive"],
        "CustomerSince": since,
    }
    return pd.DataFrame(data, columns=BIZOPS_CUSTOMER_COLS)


def sage_customers(n: int, rng: np.random.Generator) -> pd.DataFrame:
    c = customer_frame(n, rng)
    since = np.array([_sage_date(DAY0 - dt.timedelta(int(d))) for d in c["since"].tolist()], dtype=object)
    ship = c["has_ship"]
    std = c["due"] == ""
    taxid = np.where(
        np.isin(c["state"], ["MA", "NY"]), c["state"], np.where(rng.random(n) < 0.1, "EXEMPT", c["state"])
    )
    data = {
        "Customer ID": c["id"],
        "Customer Name": c["name"],
        "Prospect": np.where(rng.random(n) < 0.02, "TRUE", "FALSE"),
        "Inactive": c["inactive"],
        "Bill to Contact First Name": c["first"],
        "Bill to Contact Last Name": c["last"],
        "Bill to Address-Line One": c["addr1"],
        "Bill to Address-Line Two": c["addr2"],
        "Bill to City": c["city"],
        "Bill to State": c["state"],
        "Bill to Zip": c["zip"],
        "Bill to Country": c["country"],
        "Bill to Sales Tax ID": taxid,
        "Ship to Address 1-Line One": np.where(ship, c["addr1"], ""),
        "Ship to Address 1-Line Two": np.where(ship, "Rear Loading Dock", ""),
        "Ship to City 1": np.where(ship, c["city"], ""),
        "Ship to State 1": np.where(ship, c["state"], ""),
        "Ship to Zipcode 1": np.where(ship, c["zip"], ""),
        "Ship to Country 1": np.where(ship, "USA", ""),
        "Ship to Sales Tax ID 1": np.where(ship, taxid, ""),
        "Customer Type": c["type"],
        "Telephone 1": c["phone"],
        "Telephone 2": c["phone2"],
        "Fax Number": c["fax"],
        "Customer E-mail": c["email"],
        "Sales Representative ID": c["rep"],
        "Account #": "",
        "G/L Sales Account": "40000",
        "Open Purchase Order Number": "",
        "Ship Via": "0",
        "Resale Number": c["resale"],
        "Pricing Level": "0",
        "Use Standard Terms": np.where(std, "TRUE", "FALSE"),
        "C.O.D. Terms": "FALSE",
        "Prepaid Terms": "FALSE",
        "Terms Type": "1",
        "Due Days": np.where(std, "30", c["due"]),
        "Discount Days": np.where(c["disc_days"] == "", "0", c["disc_days"]),
        "Discount Percent": np.where(c["disc_pct"] == "", "0.00", c["disc_pct"]),
        "Credit Limit": c["credit"],
        "Credit Status": c["credit_status"],
        "Charge Finance Charges": "FALSE",
        "Due Month End Terms": "FALSE",
        "Credit Card Stored Reference": "{00000000-0000-0000-0000-000000000000}",
        "Use Receipt Settings": "TRUE",
        "Second Contact": "",
        "Reference": "",
        "Mailing List?": np.where(rng.random(n) < 0.8, "Yes", "No"),
        "Multiple Sites?": np.where(ship, "Yes", "No"),
        "Customer Since Date": since,
        "Last Statement Date": "5/31/26",
        "Customer Web Site": c["web"],
    }
    frame = pd.DataFrame({k: v for k, v in data.items() if k in SAGE_CUSTOMER_COLS}, index=range(n))
    return frame.reindex(columns=SAGE_CUSTOMER_COLS, fill_value="")


def _sage_date(d: dt.date) -> str:
    return f"{d.month}/{d.day}/{d.year % 100:02d}"


PRODUCT_FAMILIES = [
    # prefix, title, item type, sales account, taxable, price range ($)
    ("GLV", "Nitrile exam gloves, box of 100", "Stock", "40000", True, (6, 20)),
    ("SYR", "Luer-Lock syringe, sterile, box of 100", "Stock", "40000", True, (12, 40)),
    ("PIP", "Filtered pipette tips, 960/case", "Stock", "40000", True, (40, 90)),
    ("THM", "Digital min/max thermometer with probe", "Stock", "40000", True, (60, 180)),
    ("BOX", "Insulated cold-chain shipper with gel packs", "Stock", "40000", True, (15, 45)),
    ("VAC", "Vaccine, single-dose vial, 10-pack", "Stock", "40000", False, (300, 1800)),
    ("KIT", "Workplace first aid kit, ANSI Class A", "Stock", "40000", True, (40, 300)),
    ("WID", 'Widget 3/4" brass, threaded', "Stock", "40000", True, (3, 12)),
    ("SVC", "On-site refrigerator calibration and certificate", "Service", "40500", False, (95, 1500)),
    ("LAB", "Field technician labor, per hour", "Labor", "40500", False, (75, 150)),
    ("SPC", "Special order item", "NonStock", "40000", True, (20, 500)),
]
FAMILY_P = np.array([14, 12, 10, 8, 8, 8, 6, 1, 4, 3, 3], dtype=float)


def make_masters(n_customers: int, n_products: int, rng: np.random.Generator) -> Masters:
    customers = bizops_customers(n_customers, rng)
    fam = rng.choice(len(PRODUCT_FAMILIES), n_products, p=FAMILY_P / FAMILY_P.sum())
    f = [PRODUCT_FAMILIES[i] for i in fam.tolist()]
    sku = np.array([f"{x[0]}-{i:05d}" for i, x in enumerate(f, start=1)], dtype=object)
    lo = np.array([x[5][0] for x in f], dtype=float)
    hi = np.array([x[5][1] for x in f], dtype=float)
    price = np.round((lo + (hi - lo) * rng.random(n_products) ** 2) * 100).astype(np.int64)
    price = np.maximum((price // 100) * 100 + rng.choice([0, 25, 50, 75, 95, 99], n_products), 100)
    cost = (price * rng.uniform(0.45, 0.7, n_products)).astype(np.int64)
    item_type = np.array([x[2] for x in f], dtype=object)
    stock = item_type == "Stock"
    taxable = np.array([x[4] for x in f], dtype=bool)
    title = np.array([f"{x[1]} #{i}" for i, x in enumerate(f, start=1)], dtype=object)
    products = pd.DataFrame(
        {
            "SKU": sku,
            "Title": title,
            "Description": join(title, " - ", np.array([x[0] for x in f], dtype=object), " line"),
            "PurchaseDescription": "",
            "ItemType": item_type,
            "Category": np.array([x[0] for x in f], dtype=object),
            "UnitOfMeasure": np.where(stock, "Each", ""),
            "Price": money(price),
            "Cost": np.array([f"{c / 100:.4f}" for c in cost.tolist()], dtype=object),
            "CostMethod": "Average",
            "Taxable": np.where(taxable, "TRUE", "FALSE"),
            "SalesAccount": np.array([x[3] for x in f], dtype=object),
            "InventoryAccount": np.where(stock, "12000", ""),
            "COGSAccount": "50000",
            "UPC": np.where(
                stock,
                np.array(
                    [f"0{u:011d}" for u in rng.integers(10**9, 10**11, n_products).tolist()], dtype=object
                ),
                "",
            ),
            "Weight": np.where(stock, "0.50", ""),
            "ReorderPoint": np.where(stock, "10", ""),
            "ReorderQuantity": np.where(stock, "50", ""),
            "PreferredVendorID": "",
            "Location": np.where(stock, "A-12", ""),
            "Inactive": "FALSE",
        },
        columns=BIZOPS_PRODUCT_COLS,
    )
    damaged = {c: "" for c in BIZOPS_PRODUCT_COLS} | {
        "SKU": "DAMAGED",
        "Title": "Damaged goods returned",
        "Description": "Damaged goods returned by customers (not restocked)",
        "ItemType": "NonStock",
        "Price": "0.00",
        "Cost": "0.0000",
        "CostMethod": "Average",
        "Taxable": "TRUE",
        "SalesAccount": "40000",
        "COGSAccount": "50000",
        "Inactive": "FALSE",
    }
    products = pd.concat([products, pd.DataFrame([damaged])], ignore_index=True)
    popularity = 1.0 / np.arange(1, n_products + 1) ** 0.9
    popularity = rng.permutation(popularity / popularity.sum())
    return Masters(customers, products, price, cost, taxable, stock, popularity)
