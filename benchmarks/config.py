"""Paths, targets, the benchmark config and the cases measured."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BIN = Path(sys.executable).parent
CLI = BIN / "bizops-sage50"
SEED = 20261125

# ------------------------------------------------------------------------------------------ targets
RATIO_TARGET = 2.0  # conversion within 2x the pandas read+write floor
RSS_TARGET_MB = 1024  # peak RSS at 1M lines, every case
CUSTOMERS_100K_TARGET_S = 6.0  # 100k customers, each direction
SMALL_FILE_ROWS = 1_000  # a small file: converted end to end in under SMALL_FILE_TARGET_S
SMALL_FILE_TARGET_S = 1.0
RATIO_MIN_SIZE = 100_000  # the ratio target applies from this size (fixed costs dominate below)
STARTUP_RUNS = 7  # start-up commands: median of this many runs
# Floor and conversion of a file of up to this many rows: the median of that many runs (a run of a
# few seconds moves by a tenth or more with the machine's other work); larger files run once.
RUNS_UP_TO = ((10_000, 5), (100_000, 3))


def runs_for(size: int) -> int:
    """How many times a file of ``size`` rows is converted (and its floor measured)."""
    return next((runs for limit, runs in RUNS_UP_TO if size <= limit), 1)


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
