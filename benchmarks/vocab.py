"""Data generation, part 1: the samples' headings, the vocabulary (names, places, terms, dates)
and small helpers that build columns of text with numpy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from .config import SAMPLES, SEED


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
