# make demo: set up .venv if needed, convert the bundled samples, check the sample site (doctor), show the result.
# make test: set up .venv if needed, run the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The sample company: its settings, then Sage's chart of accounts and the master lists (so that
# transactions can be checked against them), then the transactions, in Sage's import order.
DEMO_CONFIG := --config samples/bizops-sage50.toml
DEMO := $(DEMO_CONFIG) --outbox demo-outbox
DEMO_SITE := $(DEMO) --inbox demo-inbox
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
	rm -rf demo-outbox demo-inbox samples/.bizops-sage50
	mkdir -p demo-inbox
	@echo "== First copy of the master lists, both ways (an initial load):"
	$(BIN)/bizops-sage50 convert $(DEMO_MASTERS) $(DEMO) --initial-load
	@echo "== Transactions created in BizOps, to Sage 50:"
	$(BIN)/bizops-sage50 convert $(DEMO_BIZOPS_TRANSACTIONS) $(DEMO)
	@echo "== Transactions created in Sage 50 (a site that owns them there), to BizOps:"
	$(BIN)/bizops-sage50 convert $(DEMO_SAGE_TRANSACTIONS) $(DEMO) --initial-load
	@echo "== Dropping the same invoices again changes nothing:"
	$(BIN)/bizops-sage50 convert samples/bizops/invoices.csv $(DEMO)
	$(BIN)/bizops-sage50 status $(DEMO_CONFIG)
	$(BIN)/bizops-sage50 batches $(DEMO_CONFIG)
	@echo "== Is the sample site ready?"
	$(BIN)/bizops-sage50 doctor $(DEMO_SITE)
	@echo
	@echo "Batches written under demo-outbox/ (each has review.xlsx to check before loading, and a manifest.json):"
	@find demo-outbox -type f ! -name manifest.json ! -name '.*' | sort
	@echo
	@echo "Try next; each command works as printed, from this folder:"
	@echo "  $(BIN)/bizops-sage50 review $$(ls demo-outbox/to-sage50 | grep -- '-invoices$$' | head -1) $(DEMO)"
	@echo "  cp samples/bizops/customers.csv demo-inbox/ && $(BIN)/bizops-sage50 watch --once $(DEMO_SITE)"
	@echo "  $(BIN)/bizops-sage50 history $(DEMO_CONFIG)"
	@echo "  $(BIN)/bizops-sage50 doctor $(DEMO_SITE)"

test: $(STAMP)
	$(BIN)/python -m pytest

# make bench: time conversions (1k, 10k, 100k, 1M rows, both ways), start-up and the watcher; writes
# benchmarks/RESULTS.md. Takes a long while; `make bench BENCH_ARGS=--quick` is a 1k+10k smoke run.
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check converter tests benchmarks
	$(BIN)/ruff format --check converter tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format converter tests benchmarks
	$(BIN)/ruff check --fix converter tests benchmarks

clean:
	rm -rf $(VENV) demo-outbox demo-inbox samples/.bizops-sage50 .pytest_cache
