# make demo: set up .venv if needed, convert the bundled samples, show the result.
# make test: set up .venv if needed, run the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The sample company: its settings, then Sage's chart of accounts and the master lists (so that
# transactions can be checked against them), then the transactions, in Sage's import order.
DEMO := --config samples/bizops-sage50.toml --outbox demo-outbox
DEMO_MASTERS := samples/sage50/CHART.CSV samples/bizops/vendors.csv samples/bizops/customers.csv \
	samples/bizops/products.csv samples/sage50/VENDOR.CSV samples/sage50/CUSTOMER.CSV samples/sage50/ITEM.CSV
DEMO_BIZOPS_TRANSACTIONS := samples/bizops/purchase_orders.csv samples/bizops/po_receipts.csv \
	samples/bizops/orders.csv samples/bizops/invoices.csv samples/bizops/payments.csv
DEMO_SAGE_TRANSACTIONS := samples/sage50/PO.CSV samples/sage50/PURCHASE.CSV samples/sage50/SO.CSV \
	samples/sage50/SALES.CSV samples/sage50/RECEIPTS.CSV

.PHONY: demo test lint format clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	rm -rf demo-outbox samples/.bizops-sage50
	@echo "== First copy of the master lists, both ways (an initial load):"
	$(BIN)/bizops-sage50 convert $(DEMO_MASTERS) $(DEMO) --initial-load
	@echo "== Transactions created in BizOps, to Sage 50:"
	$(BIN)/bizops-sage50 convert $(DEMO_BIZOPS_TRANSACTIONS) $(DEMO)
	@echo "== Transactions created in Sage 50 (a site that owns them there), to BizOps:"
	$(BIN)/bizops-sage50 convert $(DEMO_SAGE_TRANSACTIONS) $(DEMO) --initial-load
	@echo "== Dropping the same invoices again changes nothing:"
	$(BIN)/bizops-sage50 convert samples/bizops/invoices.csv $(DEMO)
	$(BIN)/bizops-sage50 status --config samples/bizops-sage50.toml
	$(BIN)/bizops-sage50 batches --config samples/bizops-sage50.toml
	@echo
	@echo "Batches written under demo-outbox/ (each has review.xlsx to check before loading, and a manifest.json;"
	@echo "\`bizops-sage50 review BATCH --config samples/bizops-sage50.toml --outbox demo-outbox\` shows its summary):"
	@find demo-outbox -type f ! -name manifest.json | sort

test: $(STAMP)
	$(BIN)/python -m pytest

# make bench: time conversions (10k, 100k, 1M rows, both ways) and the watcher; writes
# benchmarks/RESULTS.md. Takes a long while; `make bench BENCH_ARGS=--quick` is a 10k smoke run.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check converter tests
	$(BIN)/ruff format --check converter tests

format: $(STAMP)
	$(BIN)/ruff format converter tests
	$(BIN)/ruff check --fix converter tests

clean:
	rm -rf $(VENV) demo-outbox samples/.bizops-sage50 .pytest_cache
