#!/usr/bin/env python3
"""Benchmark of ``bizops-sage50 convert`` (both directions) and of the inbox watcher.

    make bench                                   # 10k, 100k and 1M rows (several minutes)
    .venv/bin/python benchmarks/run.py --quick   # 10k only, a smoke run
    .venv/bin/python benchmarks/run.py --sizes 10000,100000 --keep

What it does, per size (rows of the input file):

1. Generates realistic, deterministic data (numpy, written in streamed chunks) in a temporary
   folder: a BizOps invoices.csv and a Sage 50 SALES.CSV (1-20 lines per document, sales-tax and
   freight distributions, credit memos, drafts), a BizOps customers.csv and a Sage CUSTOMER.CSV,
   with the samples' exact headings.
2. Seeds a ledger the realistic way (not timed): Sage's CHART.CSV and the BizOps customer and
   product masters the transactions reference are converted first, so reference checks run as
   in production (``[checks] unknown_references = "error"``).
3. Times each conversion as a user runs it: ``bizops-sage50 convert FILE --json --config CFG
   --outbox DIR --initial-load`` in a fresh process, with a fresh copy of the seeded ledger and
   an empty outbox. Wall time, CPU time and peak RSS (``os.wait4`` rusage of that very process)
   are recorded, and the JSON result is checked: status "converted" and no errors.
4. Measures the FLOOR the same way: a fresh ``python`` that does ``pd.read_csv(dtype=str,
   keep_default_na=False)`` + ``to_csv`` of the same file.
5. Profiles each conversion once more at 100k rows (else at the largest size run) under
   ``python -m cProfile``.
6. Measures the watcher's latency (native events and ``--poll``) by dropping small files into a
   temporary inbox with an atomic rename and waiting for the batch folder in the outbox.
7. Writes ``benchmarks/RESULTS.md`` and removes the generated data (``--keep`` keeps it).

Nothing in the repository's inbox/ or outbox/ is touched.
"""

from __future__ import annotations

import argparse
import cProfile  # noqa: F401  (the profile runs use `python -m cProfile`; imported to fail early if absent)
import datetime as dt
import io
import json
import os
import platform
import pstats
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BIN = Path(sys.executable).parent
CLI = BIN / "bizops-sage50"
SEED = 20261125

# ------------------------------------------------------------------------------------------ targets
RATIO_TARGET = 2.0  # conversion within 2x the pandas read+write floor
RSS_TARGET_MB = 1024  # peak RSS for the 1M-line journal
CUSTOMERS_100K_TARGET_S = 10.0  # 100k customers, each direction
WATCH_NATIVE_TARGET_S = 3.0  # native events: dropped -> batch folder
WATCH_POLL_EXTRA_S = 3.0  # polling: poll interval + 3 s

CONFIG = """\
# Benchmark company: the sample company's settings (samples/bizops-sage50.toml).
[reading]
date_order = "mdy"

[sage50]
ar_account = "11000"
ap_account = "20000"
cash_account = "10200"
freight_account = "40600"
default_sales_account = "40000"
default_purchase_account = "12000"
damaged_returns_item = "DAMAGED"
discount_account = "49000"
default_due_days = 30

[sage50.item_tax_types]
taxable = "1"
exempt = "2"

[sage50.sales_tax.MA]
agency = "MA-DOR"
account = "23100"

[sage50.sales_tax.NY]
agency = "NY-DTF"
account = "23200"

[checks]
unknown_references = "error"
"""

FLOOR_CODE = """
import sys
import pandas as pd
src, dst, enc_in, enc_out = sys.argv[1:5]
df = pd.read_csv(src, dtype=str, keep_default_na=False, encoding=enc_in)
df.to_csv(dst, index=False, encoding=enc_out)
print(len(df))
"""


@dataclass(frozen=True)
class Case:
    key: str
    title: str
    kind: str  # invoices | customers
    source: str  # bizops | sage50
    file_name: str
    in_encoding: str
    out_encoding: str
    target_dir: str  # to-sage50 | to-bizops


CASES = [
    Case(
        "bizops-invoices",
        "BizOps invoices.csv → Sage 50 SALES.CSV (Sales Journal)",
        "invoices",
        "bizops",
        "invoices.csv",
        "utf-8",
        "cp1252",
        "to-sage50",
    ),
    Case(
        "sage-sales",
        "Sage 50 SALES.CSV (Sales Journal) → BizOps invoices.csv",
        "invoices",
        "sage50",
        "SALES.CSV",
        "cp1252",
        "utf-8",
        "to-bizops",
    ),
    Case(
        "bizops-customers",
        "BizOps customers.csv → Sage 50 CUSTOMER.CSV",
        "customers",
        "bizops",
        "customers.csv",
        "utf-8",
        "cp1252",
        "to-sage50",
    ),
    Case(
        "sage-customers",
        "Sage 50 CUSTOMER.CSV → BizOps customers.csv (full copy, --initial-load)",
        "customers",
        "sage50",
        "CUSTOMER.CSV",
        "cp1252",
        "utf-8",
        "to-bizops",
    ),
]


# ============================================================================ data generation
def sample_header(path: Path, encoding: str) -> list[str]:
    import csv

    with path.open(encoding=encoding, newline="") as fh:
        return next(csv.reader(fh))


BIZOPS_INVOICE_COLS = sample_header(SAMPLES / "bizops" / "invoices.csv", "utf-8")
BIZOPS_CUSTOMER_COLS = sample_header(SAMPLES / "bizops" / "customers.csv", "utf-8")
BIZOPS_PRODUCT_COLS = sample_header(SAMPLES / "bizops" / "products.csv", "utf-8")
SAGE_SALES_COLS = sample_header(SAMPLES / "sage50" / "SALES.CSV", "cp1252")
SAGE_CUSTOMER_COLS = sample_header(SAMPLES / "sage50" / "CUSTOMER.CSV", "cp1252")

FIRST = np.array(
    [
        "Helen",
        "Priya",
        "Thomas",
        "Amélie",
        "Daniel",
        "Lucía",
        "Brian",
        "Maria",
        "Kevin",
        "Rachel",
        "Carlos",
        "Siobhan",
        "José",
        "Jürgen",
        "Margaret",
        "Agnieszka",
        "Sam",
        "Geneviève",
        "Chukwuemeka",
        "Laura",
        "Pedro",
        "Ana",
        "Kenji",
        "Céline",
        "Erik",
        "Janet",
        "Ray",
        "Grace",
        "Mark",
        "Dana",
        "Tom",
        "Inés",
        "Ruth",
        "Alan",
    ],
    dtype=object,
)
LAST = np.array(
    [
        "Park",
        "Raman",
        "Dubois",
        "Brennan",
        "Kowalczyk",
        "Whitcomb",
        "Smith-Jones",
        "Núñez",
        "O'Connell",
        "Esposito",
        "Alden",
        "Okonkwo",
        "Peña",
        "Müller",
        "Goldberg",
        "Mendoza",
        "Nguyen",
        "Tremblay",
        "Chen",
        "Alves",
        "Ortiz",
        "Watanabe",
        "Moreau",
        "Halverson",
        "Ruiz",
        "Boudreaux",
        "Lin",
        "Ellison",
        "Whitfield",
        "Moss",
    ],
    dtype=object,
)
NAME_A = np.array(
    [
        "Riverside",
        "Beacon Hill",
        "Green Mountain",
        "Lakeshore",
        "Hudson Valley",
        "Harbor",
        "Pinnacle",
        "Northeastern",
        "Maple Leaf",
        "Westside",
        "Crème de la Crème",
        "Müller",
        "Café Olé",
        "Summit",
        "Cedar Grove",
        "Bayview",
        "Alden",
        "Smith, Jones &",
        "O'Brien",
        "Granite State",
        "Coastal",
        "Pioneer Valley",
        "Cape Ann",
        "Berkshire",
    ],
    dtype=object,
)
NAME_B = np.array(
    [
        "Family Medicine",
        "Dental Group",
        "Veterinary Clinic",
        "Urgent Care",
        "Family Pharmacy",
        "School District",
        "Supply Co.",
        "Bakery, LLC",
        "Distributors",
        "Hospital",
        "Clinic",
        "Pediatrics",
        "Co.",
    ],
    dtype=object,
)
CTYPE_BY_B = np.array(
    [
        "CLINIC",
        "CLINIC",
        "CLINIC",
        "CLINIC",
        "PHARM",
        "SCHOOL",
        "WHSL",
        "FOODSVC",
        "WHSL",
        "CLINIC",
        "CLINIC",
        "CLINIC",
        "RETAIL",
    ],
    dtype=object,
)
STREETS = np.array(
    [
        "River Street",
        "Charles Street",
        "Main Street",
        "Market Street",
        "Congress Street",
        "Front Street West",
        "Centre Street",
        "Harbor Road",
        "Lake Shore Drive",
        "Industrial Way",
        "Medical Center Drive",
        "Elm Street",
        "Boylston Street",
        "Route 17 North",
    ],
    dtype=object,
)
# city, state, zip prefix, area code, weight (MA and NY carry sales tax in the config)
PLACES = [
    ("Boston", "MA", "021", "617", 9),
    ("Cambridge", "MA", "021", "617", 5),
    ("Worcester", "MA", "016", "508", 4),
    ("Newton", "MA", "024", "617", 3),
    ("Gloucester", "MA", "019", "978", 2),
    ("New York", "NY", "100", "212", 8),
    ("Poughkeepsie", "NY", "126", "845", 2),
    ("Albany", "NY", "122", "518", 2),
    ("Philadelphia", "PA", "191", "215", 4),
    ("Erie", "PA", "165", "814", 1),
    ("Hoboken", "NJ", "070", "201", 3),
    ("Paramus", "NJ", "076", "201", 2),
    ("Portland", "ME", "041", "207", 1),
    ("Burlington", "VT", "054", "802", 1),
    ("Chicago", "IL", "606", "773", 3),
    ("Miami", "FL", "331", "305", 2),
    ("New Orleans", "LA", "701", "504", 1),
    ("Stamford", "CT", "069", "203", 2),
]
REPS = np.array(["JCOSTA", "LWONG", "MRIVERA"], dtype=object)
CREDIT_STATUS = np.array(
    ["Notify Over Limit", "Hold If Over Limit", "Always Hold", "No Credit Limit", "Always Notify"],
    dtype=object,
)
SHIP_VIA = np.array(
    ["UPS Ground", "Local Courier", "FedEx 2Day", "DHL Express", "Freight Truck", "Hand Deliver"],
    dtype=object,
)
TERMS = np.array(["Net 30", "2% 10, Net 45", "Net 15", "Net 60", "Prepaid", ""], dtype=object)
TERMS_P = np.array([0.5, 0.15, 0.1, 0.05, 0.05, 0.15])
TAX_RATE = {"MA": 6250, "NY": 8875}  # per 100,000
TAX_NAME = {"MA": "Massachusetts sales tax", "NY": "New York sales tax"}
TAX_AGENCY = {"MA": "MA-DOR", "NY": "NY-DTF"}
TAX_ACCOUNT = {"MA": "23100", "NY": "23200"}

DAY0 = dt.date(2025, 7, 1)
DAYS = 366
ISO_DATES = np.array([(DAY0 + dt.timedelta(d)).isoformat() for d in range(DAYS + 120)], dtype=object)
SAGE_DATES = np.array(
    [f"{d.month}/{d.day}/{d.year % 100:02d}" for d in (DAY0 + dt.timedelta(i) for i in range(DAYS + 120))],
    dtype=object,
)


def rng_for(*parts: int) -> np.random.Generator:
    return np.random.default_rng([SEED, *parts])


def money(cents: np.ndarray) -> np.ndarray:
    """Integer cents → "1234.50" strings."""
    return np.array([f"{v:.2f}" for v in (np.asarray(cents, dtype=np.int64) / 100).tolist()], dtype=object)


def qty_text(q: np.ndarray) -> np.ndarray:
    return np.array([f"{v:.2f}" for v in np.asarray(q, dtype=float).tolist()], dtype=object)


def join(*parts) -> np.ndarray:
    """Element-wise string concatenation of object arrays / scalars."""
    out = None
    for p in parts:
        p = p if isinstance(p, np.ndarray) else np.array(p, dtype=object)
        out = p if out is None else out + p
    return out


def ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return np.array([f"{prefix}{n:0{width}d}" for n in numbers.tolist()], dtype=object)


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


@dataclass
class Docs:
    """A run of documents and their lines (the parts both transaction layouts share)."""

    n_docs: int
    lines: np.ndarray  # item lines per document
    doc_of_line: np.ndarray
    seq: np.ndarray  # 1..k within a document
    cust: np.ndarray  # customer row per document
    day: np.ndarray
    credit: np.ndarray  # bool per document
    applies: np.ndarray  # invoice number (int) credited, per document
    number: np.ndarray  # document number per document
    prod: np.ndarray  # product row per line
    qty: np.ndarray  # int per line (positive)
    amount: np.ndarray  # cents per line (positive)
    taxcode: np.ndarray  # "MA" | "NY" | "" per document
    tax: np.ndarray  # cents per document
    freight: np.ndarray  # cents per document
    terms: np.ndarray
    ship_via: np.ndarray
    po: np.ndarray
    note: np.ndarray

    def rows(self, extra_rows: bool) -> np.ndarray:
        """File rows per document: item lines, plus tax and freight rows in a Sage journal."""
        return self.lines + ((self.tax > 0).astype(int) + (self.freight > 0).astype(int) if extra_rows else 0)

    def prefix(self, n: int) -> Docs:
        """The first ``n`` documents."""
        nl = int(self.lines[:n].sum())
        doc_fields = (
            "lines",
            "cust",
            "day",
            "credit",
            "applies",
            "number",
            "taxcode",
            "tax",
            "freight",
            "terms",
            "ship_via",
            "po",
            "note",
        )
        line_fields = ("doc_of_line", "seq", "prod", "qty", "amount")
        kw = {f: getattr(self, f)[:n] for f in doc_fields} | {f: getattr(self, f)[:nl] for f in line_fields}
        return Docs(n_docs=n, **kw)


LINE_P = 0.82 ** np.arange(1, 21)
LINE_P = LINE_P / LINE_P.sum()


def make_docs(
    rng: np.random.Generator,
    m: Masters,
    k: np.ndarray,
    allow_tax: bool,
    freight_share: float,
    first_number: int,
    day_from: float,
    day_span: float,
) -> Docs:
    n = len(k)
    cust = rng.integers(0, len(m.customers), n)
    credit = rng.random(n) < 0.03
    number = np.arange(first_number, first_number + n)
    applies = np.maximum(number - rng.integers(1, 2000, n), 1)
    day = np.minimum((day_from + np.sort(rng.random(n)) * day_span).astype(int), DAYS - 1)
    doc_of_line = np.repeat(np.arange(n), k)
    starts = np.cumsum(k) - k
    seq = np.arange(len(doc_of_line)) - np.repeat(starts, k) + 1
    prod = rng.choice(len(m.price_cents), len(doc_of_line), p=m.popularity)
    qty = np.minimum(rng.geometric(0.12, len(doc_of_line)), 200)
    qty = np.where(credit[doc_of_line], np.minimum(qty, 5), qty)
    amount = qty * m.price_cents[prod]
    state = m.customers["State"].to_numpy(dtype=object)[cust]
    taxcode = np.where(np.isin(state, ["MA", "NY"]) & allow_tax, state, "").astype(object)
    taxable_cents = np.bincount(doc_of_line, weights=amount * m.taxable[prod], minlength=n).astype(np.int64)
    rate = np.array([TAX_RATE.get(s, 0) for s in taxcode.tolist()], dtype=np.int64)
    tax = (taxable_cents * rate + 50_000) // 100_000
    taxcode = np.where(tax > 0, taxcode, "").astype(object)
    freight = np.where(
        (rng.random(n) < freight_share) & ~credit, rng.integers(5, 80, n) * 100 + rng.choice([0, 50], n), 0
    )
    terms = TERMS[rng.choice(len(TERMS), n, p=TERMS_P)]
    ship_via = SHIP_VIA[rng.integers(0, len(SHIP_VIA), n)]
    po = np.where(rng.random(n) < 0.7, ids("PO-", rng.integers(1, 99999, n), 5), "")
    note = np.where(rng.random(n) < 0.08, "Deliver to rear loading dock, Mon-Wed only", "")
    return Docs(
        n,
        k,
        doc_of_line,
        seq,
        cust,
        day,
        credit,
        applies,
        number,
        prod,
        qty,
        amount,
        taxcode,
        tax,
        freight,
        terms,
        ship_via,
        po,
        note,
    )


def doc_stream(
    rng: np.random.Generator,
    m: Masters,
    rows: int,
    *,
    extra_rows: bool,
    first_number: int,
    chunk: int = 100_000,
):
    """Documents in file order whose rows add up to exactly ``rows`` (1-20 item lines each).

    ``extra_rows``: tax and freight are rows of their own (Sage journal) or header fields (BizOps).
    The last document of each chunk is cut to fit; a gap is filled with item-only documents.
    """
    done, number = 0, first_number
    while done < rows:
        part = min(chunk, rows - done)
        n = max(8, part // 4)
        k = rng.choice(np.arange(1, 21), n, p=LINE_P)
        d = make_docs(rng, m, k, True, 0.2, number, done / rows * DAYS, part / rows * DAYS)
        cum = np.cumsum(d.rows(extra_rows))
        take = int(np.searchsorted(cum, part, side="right"))
        used = int(cum[take - 1]) if take else 0
        if take:
            yield d.prefix(take)
        number += take
        done += used
        gap = part - used if take < n else 0
        while gap > 0:
            k1 = min(gap, 20)
            yield make_docs(rng, m, np.array([k1]), False, 0.0, number, done / rows * DAYS, 1)
            number, done, gap = number + 1, done + k1, gap - k1


def _write(frame: pd.DataFrame, path: Path, first: bool, encoding: str, crlf: bool) -> None:
    frame.to_csv(
        path,
        mode="w" if first else "a",
        header=first,
        index=False,
        encoding=encoding,
        lineterminator="\r\n" if crlf else "\n",
    )


def _net_days(terms: np.ndarray) -> np.ndarray:
    return np.array([int(x.group(1)) if (x := re.search(r"Net (\d+)", t)) else 0 for t in terms.tolist()])


def write_bizops_invoices(path: Path, rows: int, m: Masters, rng: np.random.Generator) -> None:
    """BizOps invoices.csv: one row per line, header fields repeated, 1-20 lines per document."""
    c = m.customers
    first = True
    for d in doc_stream(rng, m, rows, extra_rows=False, first_number=10_001):
        L, cm, ci = d.doc_of_line, d.credit, d.cust
        draft = (rng.random(d.n_docs) < 0.01) & ~cm
        synced = (rng.random(d.n_docs) < 0.02) & ~cm & ~draft
        ship_name = c["ShipToName"].to_numpy(dtype=object)[ci]
        ship_name = np.where(ship_name == "", c["Name"].to_numpy(dtype=object)[ci], ship_name)
        net = _net_days(d.terms)
        due = np.where((rng.random(d.n_docs) < 0.3) | cm, "", ISO_DATES[d.day + np.where(net > 0, net, 30)])
        order = np.where((rng.random(d.n_docs) < 0.4) & ~cm, ids("SO-", d.number, 6), "")
        doc = {
            "InvoiceNumber": np.where(cm, ids("CM-", d.number, 6), ids("INV-", d.number, 6)),
            "DocumentType": np.where(cm, "CreditMemo", "Invoice"),
            "InvoiceDate": ISO_DATES[d.day],
            "DueDate": due,
            "CustomerID": c["CustomerID"].to_numpy(dtype=object)[ci],
            "OrderNumber": order,
            "CustomerPO": d.po,
            "AppliesToInvoice": np.where(cm, ids("INV-", d.applies, 6), ""),
            "ShipDate": np.where(cm, "", ISO_DATES[d.day]),
            "ShipVia": np.where(cm, "", d.ship_via),
            "ShipToName": np.where(cm, "", ship_name),
            "ShipToAddress1": np.where(cm, "", c["Address1"].to_numpy(dtype=object)[ci]),
            "ShipToAddress2": np.where(cm, "", c["Address2"].to_numpy(dtype=object)[ci]),
            "ShipToCity": np.where(cm, "", c["City"].to_numpy(dtype=object)[ci]),
            "ShipToState": np.where(cm, "", c["State"].to_numpy(dtype=object)[ci]),
            "ShipToZip": np.where(cm, "", c["Zip"].to_numpy(dtype=object)[ci]),
            "ShipToCountry": np.where(cm, "", "USA"),
            "SalesRepID": c["SalesRepID"].to_numpy(dtype=object)[ci],
            "Terms": d.terms,
            "Status": np.where(draft, "Draft", "Finalized"),
            "SyncedAt": np.where(synced, join(ISO_DATES[d.day], "T16:45:12Z"), ""),
            "SalesTaxCode": d.taxcode,
            "SalesTaxAmount": np.where(d.tax > 0, money(d.tax), ""),
            "FreightAmount": np.where(d.freight > 0, money(d.freight), ""),
            "Note": np.where(cm, "RMA: goods returned", d.note),
        }
        nl = len(L)
        line = {
            "LineNumber": d.seq.astype(str).astype(object),
            "OrderLineNumber": np.where(order[L] != "", d.seq.astype(str).astype(object), ""),
            "SKU": m.products["SKU"].to_numpy(dtype=object)[d.prod],
            "Description": m.products["Title"].to_numpy(dtype=object)[d.prod],
            "Quantity": d.qty.astype(str).astype(object),
            "UnitPrice": money(m.price_cents[d.prod]),
            "Amount": money(d.amount),
            "Taxable": np.where(m.taxable[d.prod], "TRUE", "FALSE"),
            "GLAccount": np.where(
                rng.random(nl) < 0.05, m.products["SalesAccount"].to_numpy(dtype=object)[d.prod], ""
            ),
            "CreditReason": np.where(cm[L], np.where(rng.random(nl) < 0.15, "Damaged", "Return"), ""),
            "RestockFee": np.where(cm[L], np.where(rng.random(nl) < 0.2, "TRUE", "FALSE"), ""),
        }
        frame = pd.DataFrame({**{k_: v[L] for k_, v in doc.items()}, **line}, columns=BIZOPS_INVOICE_COLS)
        _write(frame, path, first, "utf-8", crlf=False)
        first = False


def write_sage_sales(path: Path, rows: int, m: Masters, rng: np.random.Generator) -> None:
    """Sage 50 SALES.CSV: one row per distribution (items, freight, sales tax), header repeated."""
    c = m.customers
    first = True
    for d in doc_stream(rng, m, rows, extra_rows=True, first_number=20_001):
        n, L, cm, ci = d.n_docs, d.doc_of_line, d.credit, d.cust
        has_tax, has_fr = d.tax > 0, d.freight > 0
        sign = np.where(cm, -1, 1)
        cust_name = c["Name"].to_numpy(dtype=object)[ci]
        total = np.bincount(L, weights=d.amount, minlength=n).astype(np.int64) + d.tax + d.freight
        net = _net_days(d.terms)
        disc = np.array(["2%" in t_ for t_ in d.terms.tolist()], dtype=bool) & ~cm
        header = {
            "Customer ID": c["CustomerID"].to_numpy(dtype=object)[ci],
            "Customer Name": cust_name,
            "Invoice/CM #": np.where(cm, ids("CM-", d.number, 6), d.number.astype(str).astype(object)),
            "Apply to Invoice Number": np.where(cm, d.applies.astype(str).astype(object), ""),
            "Credit Memo": np.where(cm, "TRUE", "FALSE"),
            "Progress Billing Invoice": "FALSE",
            "Date": SAGE_DATES[d.day],
            "Quote": "FALSE",
            "Drop Ship": "FALSE",
            "Ship to Name": cust_name,
            "Ship to Address-Line One": c["Address1"].to_numpy(dtype=object)[ci],
            "Ship to Address-Line Two": c["Address2"].to_numpy(dtype=object)[ci],
            "Ship to City": c["City"].to_numpy(dtype=object)[ci],
            "Ship to State": c["State"].to_numpy(dtype=object)[ci],
            "Ship to Zipcode": c["Zip"].to_numpy(dtype=object)[ci],
            "Ship to Country": "USA",
            "Customer PO": d.po,
            "Ship Via": np.where(cm, "", d.ship_via),
            "Ship Date": np.where(cm, "", SAGE_DATES[d.day]),
            "Date Due": SAGE_DATES[d.day + np.where(cm, 0, np.where(net > 0, net, 30))],
            "Discount Amount": money(np.where(disc, (total * 2 + 50) // 100, 0)),
            "Discount Date": np.where(disc, SAGE_DATES[d.day + 10], ""),
            "Displayed Terms": np.where(d.terms == "", "Net 30", d.terms),
            "Sales Representative ID": c["SalesRepID"].to_numpy(dtype=object)[ci],
            "Accounts Receivable Account": "11000",
            "Accounts Receivable Amount": money(total * sign),
            "Sales Tax ID": d.taxcode,
            "Invoice Note": d.note,
            "Note Prints After Line Items": "FALSE",
            "Stmt Note Prints Before Ref": "FALSE",
            "Internal Note": np.where(cm, "RMA: goods returned unopened", ""),
            "Beginning Balance Transaction": "FALSE",
            "Number of Distributions": (d.lines + has_tax + has_fr).astype(str).astype(object),
            "Transaction Period": "34",
            "Transaction Number": (d.number - 19_000).astype(str).astype(object),
            "Return Authorization": np.where(cm, ids("RMA ", d.number % 10000, 4), ""),
            "Retainage Percent": "0.00",
            "Recur Number": "0",
            "Recur Frequency": "0",
        }

        def head(idx: np.ndarray, header: dict = header) -> dict:
            return {k_: (v[idx] if isinstance(v, np.ndarray) else v) for k_, v in header.items()}

        p = d.prod
        qty = d.qty * sign[L]
        items = pd.DataFrame(
            head(L)
            | {
                "Invoice/CM Distribution": d.seq.astype(str).astype(object),
                "Apply to Invoice Distribution": np.where(cm[L], d.seq.astype(str).astype(object), "0"),
                "Apply To Sales Order": "FALSE",
                "Apply to Proposal": "FALSE",
                "Quantity": qty_text(qty),
                "Item ID": m.products["SKU"].to_numpy(dtype=object)[p],
                "SO/Proposal Distribution": "0",
                "Description": m.products["Description"].to_numpy(dtype=object)[p],
                "G/L Account": m.products["SalesAccount"].to_numpy(dtype=object)[p],
                "Unit Price": money(m.price_cents[p]),
                "Tax Type": np.where(m.taxable[p], "1", "2"),
                "UPC / SKU": m.products["UPC"].to_numpy(dtype=object)[p],
                "Weight": "0.00",
                "Amount": money(-d.amount * sign[L]),
                "Inventory Account": np.where(m.stock[p], "12000", ""),
                "Cost of Sales Account": "50000",
                "U/M ID": "<Each>",
                "U/M No. of Stocking Units": "1.00",
                "Stocking Quantity": qty_text(qty),
                "Stocking Unit Price": money(m.price_cents[p]),
                "Cost of Sales Amount": money(np.where(m.stock[p], qty * m.cost_cents[p], 0)),
                "__doc": L,
                "__ord": d.seq,
            }
        )
        blank_line = {
            "Apply to Invoice Distribution": "0",
            "Apply To Sales Order": "FALSE",
            "Apply to Proposal": "FALSE",
            "Quantity": "0.00",
            "SO/Proposal Distribution": "0",
            "Unit Price": "0.00",
            "Weight": "0.00",
            "U/M No. of Stocking Units": "0.00",
            "Stocking Quantity": "0.00",
            "Stocking Unit Price": "0.00",
            "Cost of Sales Amount": "0.00",
        }
        fd = np.flatnonzero(has_fr)
        freight = pd.DataFrame(
            head(fd)
            | blank_line
            | {
                "Invoice/CM Distribution": (d.lines[fd] + 1).astype(str).astype(object),
                "Description": "Freight",
                "G/L Account": "40600",
                "Tax Type": "2",
                "Amount": money(-d.freight[fd] * sign[fd]),
                "__doc": fd,
                "__ord": 1000,
            },
            index=range(len(fd)),
        )
        td = np.flatnonzero(has_tax)
        code = d.taxcode[td].tolist()
        tax = pd.DataFrame(
            head(td)
            | blank_line
            | {
                "Invoice/CM Distribution": "0",
                "Description": np.array([TAX_NAME[x] for x in code], dtype=object),
                "G/L Account": np.array([TAX_ACCOUNT[x] for x in code], dtype=object),
                "Tax Type": "0",
                "Amount": money(-d.tax[td] * sign[td]),
                "Sales Tax Agency ID": np.array([TAX_AGENCY[x] for x in code], dtype=object),
                "__doc": td,
                "__ord": 2000,
            },
            index=range(len(td)),
        )
        frame = pd.concat([items, freight, tax], ignore_index=True)
        frame = frame.sort_values(["__doc", "__ord"], kind="stable")
        frame = frame.reindex(columns=SAGE_SALES_COLS, fill_value="").fillna("")
        _write(frame, path, first, "cp1252", crlf=True)
        first = False


def generate(case: Case, path: Path, rows: int, masters: Masters | None, size_index: int) -> None:
    rng = rng_for(size_index, CASES.index(case))
    if case.key == "bizops-invoices":
        write_bizops_invoices(path, rows, masters, rng)
    elif case.key == "sage-sales":
        write_sage_sales(path, rows, masters, rng)
    elif case.key == "bizops-customers":
        _write(bizops_customers(rows, rng), path, True, "utf-8", crlf=False)
    elif case.key == "sage-customers":
        _write(sage_customers(rows, rng), path, True, "cp1252", crlf=True)
    else:  # pragma: no cover
        raise ValueError(case.key)


def data_rows(path: Path, encoding: str) -> int:
    """Data rows of a CSV (records, not lines: quoted fields may hold line breaks)."""
    return len(pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, usecols=[0]))


# ============================================================================ measurement
@dataclass
class Measure:
    seconds: float
    cpu: float
    rss_mb: float
    returncode: int
    stdout: Path
    stderr: Path
    timed_out: bool = False


def run_measured(cmd: list[str], *, cwd: Path, log_stem: Path, timeout: float) -> Measure:
    """Run ``cmd`` in a fresh process; wall time, CPU time and peak RSS of exactly that process."""
    out, err = log_stem.with_suffix(".out"), log_stem.with_suffix(".err")
    env = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="200")
    with out.open("wb") as fo, err.open("wb") as fe:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL, env=env)
        deadline = t0 + timeout
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                timed_out = True
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measure(
        seconds=seconds,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,  # Linux: KiB
        returncode=proc.returncode,
        stdout=out,
        stderr=err,
        timed_out=timed_out,
    )


@dataclass
class Row:
    case: Case
    size: int
    rows: int = 0
    conv: Measure | None = None
    floor: Measure | None = None
    status: str = ""
    errors: int = 0
    warnings: int = 0
    records_out: int = 0
    skipped: int = 0
    note: str = ""
    targets: dict[str, bool] = field(default_factory=dict)
    tree: str = ""  # fingerprint of converter/ and templates/ when the conversion ran

    @property
    def ratio(self) -> float | None:
        if self.conv and self.floor and self.floor.seconds > 0:
            return self.conv.seconds / self.floor.seconds
        return None


def convert_cmd(path: Path, run_dir: Path) -> list[str]:
    return [
        str(CLI),
        "convert",
        str(path),
        "--json",
        "--config",
        str(run_dir / "bizops-sage50.toml"),
        "--outbox",
        str(run_dir / "outbox"),
        "--initial-load",
    ]


def fresh_run_dir(base: Path, name: str, seed: Path | None) -> Path:
    """A folder with the benchmark config, an empty outbox and (optionally) a copy of a seeded ledger."""
    run_dir = base / name
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    (run_dir / "bizops-sage50.toml").write_text(CONFIG, encoding="utf-8")
    if seed is not None and (seed / ".bizops-sage50").exists():
        shutil.copytree(seed / ".bizops-sage50", run_dir / ".bizops-sage50")
    return run_dir


def parse_result(stdout: Path) -> dict:
    text = stdout.read_text(encoding="utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return {"status": "no-json", "issues": [], "_raw": text[:500]}
    return data[0] if isinstance(data, list) and data else {"status": "no-json", "issues": []}


def seed_ledger(base: Path, masters: Masters) -> Path:
    """Convert the chart of accounts and the masters the transactions reference (not timed)."""
    seed = fresh_run_dir(base, "seed", None)
    customers, products = seed / "customers.csv", seed / "products.csv"
    masters.customers.to_csv(customers, index=False, encoding="utf-8")
    masters.products.to_csv(products, index=False, encoding="utf-8")
    chart = seed / "CHART.CSV"
    shutil.copy(SAMPLES / "sage50" / "CHART.CSV", chart)
    for f in (chart, customers, products):
        m = run_measured(convert_cmd(f, seed), cwd=seed, log_stem=seed / f"seed-{f.stem}", timeout=3600)
        res = parse_result(m.stdout)
        errors = [i for i in res.get("issues", []) if i.get("severity") == "error"]
        if res.get("status") not in ("converted", "recorded") or errors:
            raise SystemExit(
                f"seeding the ledger with {f.name} failed: {res.get('status')} "
                f"{errors[:3] or m.stderr.read_text()[-2000:]}"
            )
    shutil.rmtree(seed / "outbox", ignore_errors=True)
    return seed


def check_result(row: Row, res: dict) -> None:
    issues = res.get("issues", [])
    row.status = res.get("status", "?")
    row.errors = sum(1 for i in issues if i.get("severity") == "error")
    row.warnings = sum(1 for i in issues if i.get("severity") == "warning")
    row.records_out = int(res.get("records_out") or 0)
    row.skipped = int(res.get("skipped") or 0)
    if row.errors:
        first = next(i for i in issues if i.get("severity") == "error")
        row.note = f"first error: row {first.get('row')} {first.get('column')} [{first.get('code')}] {first.get('message', '')[:160]}"


def profile(case: Case, path: Path, run_dir: Path, out: Path, timeout: float) -> Path:
    prof = out.with_suffix(".prof")
    cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), *convert_cmd(path, run_dir)]
    run_measured(cmd, cwd=run_dir, log_stem=out, timeout=timeout)
    return prof


def profile_tables(prof: Path) -> dict[str, str]:
    if not prof.exists():
        return {}
    tables = {}
    for key, sort, n in (("cumulative", "cumulative", 15), ("tottime", "tottime", 10)):
        buf = io.StringIO()
        stats = pstats.Stats(str(prof), stream=buf)
        stats.strip_dirs().sort_stats(sort).print_stats(n)
        text = buf.getvalue()
        start = text.find("   ncalls")
        tables[key] = text[start:].rstrip() if start >= 0 else text.rstrip()
    # Converter functions only, by cumulative time: where in our own code the time goes.
    stats = pstats.Stats(str(prof))
    rows = []
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if "/converter/" in filename:
            rows.append((ct, tt, nc, f"{Path(filename).name}:{line}({func})"))
    rows.sort(reverse=True)
    lines = [f"{'cumtime':>9} {'tottime':>9} {'ncalls':>9}  function"]
    lines += [f"{ct:9.2f} {tt:9.2f} {nc:9d}  {name}" for ct, tt, nc, name in rows[:15]]
    tables["converter"] = "\n".join(lines)
    # All functions by cumulative time, below the entry chain (CLI, typer/click, convert_file): where it goes.
    total_ct = max((v[3] for v in stats.stats.values()), default=0.0)  # type: ignore[attr-defined]
    inner = []
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if ct < 0.9 * total_ct and func != "<module>":
            where = (
                func
                if filename == "~"
                else f"{Path(filename).parent.name}/{Path(filename).name}:{line}({func})"
            )
            inner.append((ct, tt, nc, where))
    inner.sort(reverse=True)
    lines = [f"{'cumtime':>9} {'tottime':>9} {'ncalls':>9}  function"]
    lines += [f"{ct:9.2f} {tt:9.2f} {nc:9d}  {name}" for ct, tt, nc, name in inner[:15]]
    tables["inner"] = "\n".join(lines)
    total = max((ct for (_f, _l, fn), (_a, _b, _c, ct, _d) in stats.stats.items()), default=0.0)  # type: ignore[attr-defined]
    tables["total"] = f"{total:.2f}"
    return tables


# ============================================================================ watcher latency
@dataclass
class WatchResult:
    mode: str
    latencies: list[float]
    limit: float
    note: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.latencies) and max(self.latencies) <= self.limit


def small_customers_file(path: Path, tag: str, n: int = 20) -> str:
    rng = rng_for(999, zlib.crc32(tag.encode()))
    frame = bizops_customers(n, rng)
    frame["CustomerID"] = [f"W{tag}-{i:03d}" for i in range(n)]
    return frame.to_csv(index=False)


def measure_watcher(
    base: Path, *, poll: float | None, drops: int, aged: bool, timeout: float = 60.0
) -> WatchResult:
    label = f"--poll {poll:g}" if poll else "native events"
    label += ", file already older than 2 s (copied export)" if aged else ", freshly written file"
    limit = (poll + WATCH_POLL_EXTRA_S) if poll else WATCH_NATIVE_TARGET_S
    work = base / f"watch-{'poll' if poll else 'native'}-{'aged' if aged else 'fresh'}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "bizops-sage50.toml").write_text(CONFIG, encoding="utf-8")
    inbox, outbox = work / "inbox", work / "outbox"
    cmd = [
        str(CLI),
        "watch",
        "--inbox",
        str(inbox),
        "--outbox",
        str(outbox),
        "--config",
        str(work / "bizops-sage50.toml"),
        "--log-file",
        str(work / "watch.log"),
    ]
    if poll:
        cmd += ["--poll", f"{poll:g}"]
    proc = subprocess.Popen(
        cmd,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=(work / "watch.err").open("wb"),
        stdin=subprocess.DEVNULL,
    )
    latencies: list[float] = []
    note = ""
    rng = rng_for(4242, int(poll or 0), int(aged))
    try:
        t_start = time.monotonic()
        while not (outbox / ".heartbeat").exists():
            if proc.poll() is not None or time.monotonic() - t_start > 30:
                raise RuntimeError(f"watcher did not start: {(work / 'watch.err').read_text()[-1000:]}")
            time.sleep(0.05)
        time.sleep(0.5)
        target_dir = outbox / "to-sage50"
        for i in range(drops):
            if poll:  # land at a random phase of the poll timer
                time.sleep(float(rng.uniform(0, poll)))
            before = {p.name for p in target_dir.iterdir()} if target_dir.exists() else set()
            tmp = inbox / f".drop-{i}.tmp"
            tmp.write_text(small_customers_file(tmp, f"{int(bool(poll))}{int(aged)}{i}"), encoding="utf-8")
            if aged:
                old = time.time() - 30
                os.utime(tmp, (old, old))
            final = inbox / f"customers-{i}.csv"
            t0 = time.monotonic()
            os.rename(tmp, final)  # atomic drop
            got = None
            while time.monotonic() - t0 < timeout:
                if target_dir.exists():
                    new = [
                        p for p in target_dir.iterdir() if p.name not in before and not p.name.startswith(".")
                    ]
                    if new:
                        got = time.monotonic() - t0
                        break
                time.sleep(0.01)
            if got is None:
                note = f"drop {i}: no batch folder within {timeout:.0f} s"
                break
            latencies.append(got)
            # let the watcher archive the file before the next drop
            t1 = time.monotonic()
            while final.exists() or any((inbox / "processing").iterdir()):
                if time.monotonic() - t1 > 10:
                    break
                time.sleep(0.02)
            time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return WatchResult(label, latencies, limit, note)


# ============================================================================ report
def tree_fingerprint() -> str:
    """Short fingerprint of the code measured (converter/ and templates/: names, sizes, mtimes).

    Others may edit the converter while a long run goes on; the report shows which rows ran on which code.
    """
    import hashlib

    h = hashlib.sha1()
    for folder in (ROOT / "converter", ROOT / "templates"):
        for f in sorted(folder.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts:
                st = f.stat()
                h.update(f"{f.relative_to(ROOT)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:8]


def machine_info() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} ({platform.release()})"
    except OSError:
        pass

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return "?"

    dirty = [
        ln[3:] for ln in git("status", "--porcelain", "converter", "templates").splitlines() if ln.strip()
    ]
    return {
        "CPU": cpu,
        "Cores": str(os.cpu_count()),
        "RAM": mem,
        "OS": os_name,
        "Python": platform.python_version(),
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "Converter": f"{git('rev-parse', '--short', 'HEAD').strip()}"
        + (
            f" + uncommitted changes in {', '.join(dirty)}" if dirty else " (clean converter/ and templates/)"
        ),
    }


def fmt_s(v: float | None) -> str:
    return "–" if v is None else (f"{v:.2f}" if v < 100 else f"{v:.0f}")


def fmt_int(v: float) -> str:
    return f"{v:,.0f}"


def size_label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else (f"{n // 1000}k" if n % 1000 == 0 else str(n))


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**PASS**" if ok else "**FAIL**")


def evaluate(rows: list[Row]) -> None:
    for r in rows:
        if r.ratio is not None:
            r.targets["≤2× floor"] = r.ratio <= RATIO_TARGET
        if r.case.kind == "invoices" and r.size >= 1_000_000 and r.conv:
            r.targets["RSS<1GB"] = r.conv.rss_mb < RSS_TARGET_MB
        if r.case.kind == "customers" and r.size == 100_000 and r.conv:
            r.targets["<10 s"] = r.conv.seconds < CUSTOMERS_100K_TARGET_S
        if r.conv and (r.conv.timed_out or r.status != "converted" or r.errors):
            r.targets["converted"] = False


def write_report(
    path: Path,
    *,
    args: argparse.Namespace,
    info: dict[str, str],
    rows: list[Row],
    watch: list[WatchResult],
    profiles: dict[str, tuple[int, dict[str, str]]],
    started: dt.datetime,
    load: tuple[tuple[float, ...], tuple[float, ...]],
    startup: Measure | None,
    masters_note: str,
    elapsed: float,
) -> None:
    evaluate(rows)
    L: list[str] = []
    L.append("# Benchmark results: `bizops-sage50 convert` and the inbox watcher")
    L.append("")
    L.append(
        f"Written by `benchmarks/run.py` ({'quick run, ' if args.quick else ''}sizes "
        f"{', '.join(size_label(s) for s in args.size_list)}) on {started:%Y-%m-%d %H:%M %Z}; the run took "
        f"{elapsed / 60:.1f} min. Re-run with `make bench` (or `.venv/bin/python benchmarks/run.py --quick`)."
    )
    L.append("")
    L.append("## Machine")
    L.append("")
    for k, v in info.items():
        L.append(f"- **{k}**: {v}")
    L.append(
        f"- **Load average** (1/5/15 min) at start {load[0][0]:.2f}/{load[0][1]:.2f}/{load[0][2]:.2f}, at end {load[1][0]:.2f}/{load[1][1]:.2f}/{load[1][2]:.2f}"
    )
    if startup:
        L.append(
            f"- **CLI start-up** (`bizops-sage50 --help`): {startup.seconds:.2f} s wall, {startup.rss_mb:.0f} MB RSS (included in every conversion time)"
        )
    trees = list(dict.fromkeys(r.tree for r in rows if r.tree))
    if len(trees) > 1:
        L.append(
            f"- **Code changed during the run**: converter/ and templates/ had {len(trees)} different states "
            f"({', '.join(trees)}, in order); the **Code** column of each table says which one a row measured, so "
            "rows with different codes are not comparable."
        )
    elif trees:
        L.append(f"- **Code fingerprint** (converter/ and templates/): {trees[0]}, unchanged during the run")
    if args.note:
        L.append("")
        L.append(f"> **Caveat for this run:** {args.note}")
    L.append("")
    L.append("## How it was measured")
    L.append("")
    L.append(
        "- Each conversion is the command a user runs, `bizops-sage50 convert FILE --json --config CFG --outbox DIR "
        "--initial-load`, in a fresh process, with a fresh outbox and a fresh copy of a ledger seeded (untimed) with "
        f"Sage's CHART.CSV and the BizOps customer and product masters the documents reference ({masters_note}); "
        'references are checked as in production (`unknown_references = "error"`). Customer lists start from an empty ledger.'
    )
    L.append(
        "- **Seconds** is wall time from spawning to exit (Python start-up and imports included); **CPU s** is user+system "
        "time of that process; **Peak RSS** is its `ru_maxrss` (from `os.wait4`). Each run's JSON result is checked: "
        "**Status** must be `converted` with 0 errors."
    )
    L.append(
        "- **Floor**: a fresh `python` doing `pd.read_csv(FILE, dtype=str, keep_default_na=False, encoding=…)` + "
        "`to_csv` (in the target's encoding), measured the same way in the same run. **Ratio** = conversion seconds / floor seconds."
    )
    L.append(
        "- Data: deterministic (seed "
        f"{SEED}), generated with numpy; transaction files have 1–20 lines per document (truncated geometric, mean ≈ 5.2), "
        "sales tax (MA/NY customers) and freight (20 %) on their own Sage distribution rows, 3 % credit memos (15 % of "
        "their lines Damaged), and in BizOps files 1 % drafts and 2 % already-synced invoices (reported and skipped, as "
        "designed). Rows = data rows of the input file."
    )
    L.append("")
    # ---------------------------------------------------------------- targets summary
    L.append("## Targets")
    L.append("")
    L.append("| Target | Result | Detail |")
    L.append("|---|---|---|")
    ratio_rows = [r for r in rows if r.ratio is not None]
    if ratio_rows:
        bad = [r for r in ratio_rows if r.ratio > RATIO_TARGET]
        worst = max(ratio_rows, key=lambda r: r.ratio)
        L.append(
            f"| Every conversion within {RATIO_TARGET:g}× the floor | {verdict(not bad)} | "
            f"{len(ratio_rows) - len(bad)}/{len(ratio_rows)} within; worst {worst.ratio:.1f}× "
            f"({worst.case.key} {size_label(worst.size)}) |"
        )
    big = [r for r in rows if "RSS<1GB" in r.targets]
    if big:
        L.append(
            f"| Peak RSS < 1 GB for the 1M-line journal | {verdict(all(r.targets['RSS<1GB'] for r in big))} | "
            + "; ".join(f"{r.case.key}: {r.conv.rss_mb:,.0f} MB" for r in big)
            + " |"
        )
    else:
        L.append("| Peak RSS < 1 GB for the 1M-line journal | n/a | 1M size not run |")
    c100 = [r for r in rows if "<10 s" in r.targets]
    if c100:
        L.append(
            f"| 100k customers in < 10 s, each direction | {verdict(all(r.targets['<10 s'] for r in c100))} | "
            + "; ".join(f"{r.case.key}: {r.conv.seconds:.1f} s" for r in c100)
            + " |"
        )
    else:
        L.append("| 100k customers in < 10 s, each direction | n/a | 100k size not run |")
    for w in watch:
        if "aged" in w.mode or "older" in w.mode:
            continue
        detail = (
            f"median {statistics.median(w.latencies):.2f} s, max {max(w.latencies):.2f} s over {len(w.latencies)} drops"
            if w.latencies
            else w.note
        )
        L.append(f"| Watcher ({w.mode}) within {w.limit:g} s | {verdict(w.ok)} | {detail} |")
    failed = [r for r in rows if r.targets.get("converted") is False]
    L.append(
        f"| Every run converted, 0 errors | {verdict(not failed)} | "
        + (
            "; ".join(f"{r.case.key} {size_label(r.size)}: {r.status}, {r.errors} errors" for r in failed)
            or "all runs"
        )
        + " |"
    )
    L.append("")
    # ---------------------------------------------------------------- tables per case
    L.append("## Conversions")
    for case in CASES:
        case_rows = [r for r in rows if r.case is case]
        if not case_rows:
            continue
        L.append("")
        L.append(f"### {case.title}")
        L.append("")
        L.append(
            "| Size | Rows | Seconds | CPU s | Rows/s | Peak RSS MB | Floor s | Floor RSS MB | Ratio | Status | Targets | Code |"
        )
        L.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|---|")
        for r in case_rows:
            c, f = r.conv, r.floor
            status = (
                "timeout"
                if c and c.timed_out
                else f"{r.status}, {r.errors} err, {r.warnings} warn, {r.records_out:,} out"
                + (f", {r.skipped:,} skipped" if r.skipped else "")
            )
            targets = ", ".join(f"{k} {'PASS' if v else 'FAIL'}" for k, v in r.targets.items()) or "–"
            L.append(
                f"| {size_label(r.size)} | {fmt_int(r.rows)} | {fmt_s(c.seconds if c else None)} | "
                f"{fmt_s(c.cpu if c else None)} | {fmt_int(r.rows / c.seconds) if c and c.seconds else '–'} | "
                f"{fmt_int(c.rss_mb) if c else '–'} | {fmt_s(f.seconds if f else None)} | "
                f"{fmt_int(f.rss_mb) if f else '–'} | {f'{r.ratio:.1f}×' if r.ratio else '–'} | {status} | {targets} | {r.tree} |"
            )
        notes = [f"{size_label(r.size)}: {r.note}" for r in case_rows if r.note]
        for n in notes:
            L.append(f"\n- {n}")
    L.append("")
    # ---------------------------------------------------------------- watcher
    L.append("## Watcher latency")
    L.append("")
    L.append(
        "`bizops-sage50 watch` started as a subprocess with a temporary inbox, outbox and config; a 20-row BizOps "
        "customers.csv is written under a dot-name in the inbox and dropped with an atomic `rename`; latency = rename "
        "→ its batch folder appears in `outbox/to-sage50/`. The watcher takes a file only when it is ≥ 2 s old (mtime) "
        "and unchanged over two checks 1 s apart (README), so a freshly written file cannot be taken in under ~2 s; a "
        "copied export whose mtime is already older shows the event path alone."
    )
    L.append("")
    L.append("| Mode | Drops | Median s | Max s | Limit s | Result | Latencies s |")
    L.append("|---|--:|--:|--:|--:|---|---|")
    for w in watch:
        lat = w.latencies
        L.append(
            f"| {w.mode} | {len(lat)} | {statistics.median(lat) if lat else float('nan'):.2f} | "
            f"{max(lat) if lat else float('nan'):.2f} | {w.limit:g} | {verdict(w.ok) if 'older' not in w.mode else '(info)'} | "
            f"{', '.join(f'{x:.2f}' for x in lat)}{' — ' + w.note if w.note else ''} |"
        )
    L.append("")
    # ---------------------------------------------------------------- profiles
    if profiles:
        L.append("## Profiles")
        L.append("")
        L.append(
            "Each conversion run once more under `python -m cProfile` (same command, fresh ledger and outbox). "
            "Times are seconds under the profiler (slower than the timed run). For each: the top 15 by cumulative "
            "time, the converter's own functions by cumulative time, all functions below the entry chain by "
            "cumulative time (the useful view: where the time goes), and the top 10 by own time (tottime)."
        )
        for case in CASES:
            if case.key not in profiles:
                continue
            size, tables = profiles[case.key]
            if not tables:
                continue
            L.append("")
            L.append(
                f"### {case.title}, {size_label(size)} rows (total {tables.get('total', '?')} s under the profiler; code {tables.get('tree', '?')})"
            )
            for key, title in (
                ("cumulative", "Top 15 by cumulative time"),
                ("converter", "converter/ functions by cumulative time"),
                ("inner", "All functions by cumulative time, below the entry chain (< 90 % of the total)"),
                ("tottime", "Top 10 by own time"),
            ):
                L.append("")
                L.append(f"{title}:")
                L.append("")
                L.append("```")
                L.append(tables.get(key, ""))
                L.append("```")
        L.append("")
    path.write_text("\n".join(L) + "\n", encoding="utf-8")


# ============================================================================ main
def masters_for(rows: int) -> tuple[int, int]:
    """Customers and products referenced by a transaction file of ``rows`` rows."""
    return max(200, min(20_000, rows // 50)), 2_000


def preflight(base: Path, timeout: float, cases: list[Case]) -> None:
    """Generate small files of every case, convert them, and insist on "converted" with no errors."""
    rows = 2_000
    n_c, n_p = masters_for(rows)
    masters = make_masters(n_c, n_p, rng_for(0, 99))
    seed = seed_ledger(base / "preflight", masters)
    problems = []
    for case in cases:
        path = base / "preflight" / f"pre-{case.file_name}"
        generate(case, path, rows, masters, 99)
        got = data_rows(path, case.in_encoding)
        run_dir = fresh_run_dir(
            base / "preflight", f"run-{case.key}", seed if case.kind == "invoices" else None
        )
        m = run_measured(
            convert_cmd(path, run_dir), cwd=run_dir, log_stem=run_dir / "convert", timeout=timeout
        )
        res = parse_result(m.stdout)
        errors = [i for i in res.get("issues", []) if i.get("severity") == "error"]
        status = res.get("status")
        print(
            f"  preflight {case.key}: {got} rows, {status}, {len(errors)} errors, {res.get('records_out')} out",
            flush=True,
        )
        if got != rows:
            problems.append(f"{case.key}: generated {got} rows, wanted {rows}")
        if status != "converted" or errors:
            problems.append(
                f"{case.key}: {status}; "
                + "; ".join(
                    f"row {i.get('row')} {i.get('column')} {i.get('code')}: {i.get('message')}"
                    for i in errors[:5]
                )
                + (m.stderr.read_text()[-1500:] if status == "no-json" else "")
            )
    shutil.rmtree(base / "preflight", ignore_errors=True)
    if problems:
        raise SystemExit("generated data is not accepted by the converter:\n  " + "\n  ".join(problems))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes", default="10000,100000,1000000", help="rows per file, comma-separated (default %(default)s)"
    )
    ap.add_argument("--quick", action="store_true", help="10k rows only, fewer watcher drops: a smoke run")
    ap.add_argument(
        "--data-dir", type=Path, help="where generated data goes (default: a new temporary folder)"
    )
    ap.add_argument("--keep", action="store_true", help="keep the generated data and run folders")
    ap.add_argument("--results", type=Path, default=RESULTS, help="report path (default %(default)s)")
    ap.add_argument(
        "--profile-size",
        type=int,
        default=100_000,
        help="size profiled (default 100000; else the largest run)",
    )
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--no-watch", action="store_true")
    ap.add_argument("--drops", type=int, default=5, help="watcher drops per mode (default %(default)s)")
    ap.add_argument(
        "--poll",
        type=float,
        default=2.0,
        help="poll interval for the polling watcher run (default %(default)s)",
    )
    ap.add_argument("--timeout", type=float, default=7200.0, help="per-process timeout in seconds")
    ap.add_argument("--cases", default=",".join(c.key for c in CASES), help="cases to run (default: all)")
    ap.add_argument(
        "--note",
        default="",
        help="a caveat printed in RESULTS.md (e.g. other work on the machine during the run)",
    )
    args = ap.parse_args(argv)
    args.size_list = [10_000] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.quick:
        args.drops = min(args.drops, 3)
    wanted = {k.strip() for k in args.cases.split(",")}
    cases = [c for c in CASES if c.key in wanted]
    if not CLI.exists():
        raise SystemExit(
            f"{CLI} not found: run `make bench` (or `make test`) to install the project into .venv first"
        )

    started = dt.datetime.now().astimezone()
    t_start = time.perf_counter()

    def report() -> None:
        """RESULTS.md as it stands (after each size, so an interrupted run leaves results)."""
        write_report(
            args.results,
            args=args,
            info=info,
            rows=rows,
            watch=watch,
            profiles=profiles,
            started=started,
            load=(load0, os.getloadavg()),
            startup=startup,
            masters_note="; ".join(masters_notes),
            elapsed=time.perf_counter() - t_start,
        )

    load0 = os.getloadavg()
    base = args.data_dir or Path(tempfile.mkdtemp(prefix="bizops-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"benchmark data in {base}", flush=True)
    info = machine_info()
    rows: list[Row] = []
    profiles: dict[str, tuple[int, dict[str, str]]] = {}
    watch: list[WatchResult] = []
    profile_at = args.profile_size if args.profile_size in args.size_list else max(args.size_list)
    masters_notes = []
    try:
        startup = run_measured([str(CLI), "--help"], cwd=base, log_stem=base / "startup", timeout=120)
        if cases:
            print("preflight: small generated files must convert with no errors", flush=True)
            preflight(base, args.timeout, cases)
        for si, size in enumerate(args.size_list, start=1):
            sdir = base / f"size-{size}"
            sdir.mkdir(exist_ok=True)
            masters = seed = None
            if any(c.kind == "invoices" for c in cases):
                n_c, n_p = masters_for(size)
                masters_notes.append(f"{size_label(size)}: {n_c:,} customers, {n_p:,} products")
                t = time.perf_counter()
                masters = make_masters(n_c, n_p, rng_for(si, 77))
                seed = seed_ledger(sdir, masters)
                print(
                    f"[{size_label(size)}] ledger seeded with {n_c} customers, {n_p} products in {time.perf_counter() - t:.1f} s",
                    flush=True,
                )
            for case in cases:
                path = sdir / case.file_name
                t = time.perf_counter()
                generate(case, path, size, masters, si)
                row = Row(case, size, rows=data_rows(path, case.in_encoding), tree=tree_fingerprint())
                mb = path.stat().st_size / 1e6
                print(
                    f"[{size_label(size)}] {case.key}: generated {row.rows:,} rows ({mb:.0f} MB) in {time.perf_counter() - t:.1f} s",
                    flush=True,
                )
                # floor
                fdir = fresh_run_dir(sdir, f"floor-{case.key}", None)
                row.floor = run_measured(
                    [
                        sys.executable,
                        "-c",
                        FLOOR_CODE,
                        str(path),
                        str(fdir / "out.csv"),
                        case.in_encoding,
                        case.out_encoding,
                    ],
                    cwd=fdir,
                    log_stem=fdir / "floor",
                    timeout=args.timeout,
                )
                if row.floor.returncode != 0:
                    row.note = f"floor failed: {row.floor.stderr.read_text()[-300:]}"
                shutil.rmtree(fdir, ignore_errors=True) if not args.keep else None
                # conversion
                run_dir = fresh_run_dir(sdir, f"run-{case.key}", seed if case.kind == "invoices" else None)
                row.conv = run_measured(
                    convert_cmd(path, run_dir),
                    cwd=run_dir,
                    log_stem=run_dir / "convert",
                    timeout=args.timeout,
                )
                res = parse_result(row.conv.stdout)
                check_result(row, res)
                if res.get("status") == "no-json":
                    row.note = (
                        row.note + " " if row.note else ""
                    ) + f"no JSON result; stderr: {row.conv.stderr.read_text()[-300:]}"
                rows.append(row)
                print(
                    f"[{size_label(size)}] {case.key}: {row.conv.seconds:.2f} s ({row.rows / row.conv.seconds:,.0f} rows/s, "
                    f"{row.conv.rss_mb:,.0f} MB), floor {row.floor.seconds:.2f} s ({row.floor.rss_mb:,.0f} MB), "
                    f"ratio {row.ratio or 0:.1f}x, {row.status}, {row.errors} errors",
                    flush=True,
                )
                if not args.keep:
                    shutil.rmtree(run_dir, ignore_errors=True)
                if size == profile_at and not args.no_profile:
                    pdir = fresh_run_dir(sdir, f"prof-{case.key}", seed if case.kind == "invoices" else None)
                    t = time.perf_counter()
                    prof = profile(case, path, pdir, pdir / "profile", args.timeout)
                    profiles[case.key] = (size, profile_tables(prof) | {"tree": tree_fingerprint()})
                    print(
                        f"[{size_label(size)}] {case.key}: profiled in {time.perf_counter() - t:.1f} s",
                        flush=True,
                    )
                    if not args.keep:
                        shutil.rmtree(pdir, ignore_errors=True)
                if not args.keep:
                    path.unlink(missing_ok=True)
            if not args.keep:
                shutil.rmtree(sdir, ignore_errors=True)
            # Partial report after each size, so a long run leaves results even if interrupted.
            report()
        if not args.no_watch:
            for poll, aged in ((None, False), (None, True), (args.poll, False)):
                w = measure_watcher(base, poll=poll, drops=args.drops, aged=aged)
                watch.append(w)
                print(
                    f"watcher {w.mode}: {', '.join(f'{x:.2f}' for x in w.latencies)} s {w.note}", flush=True
                )
        report()
        print(f"wrote {args.results}", flush=True)
    finally:
        if args.keep:
            print(f"kept {base}", flush=True)
        elif args.data_dir is None:
            shutil.rmtree(base, ignore_errors=True)
        else:
            for child in base.iterdir():
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
