# make demo: set up .venv if needed, convert the bundled samples, show the result.
# make test: set up .venv if needed, run the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

DEMO_BIZOPS := samples/bizops/customers.csv samples/bizops/vendors.csv samples/bizops/products.csv
DEMO_SAGE := samples/sage50/CUSTOMER.CSV samples/sage50/VENDOR.CSV samples/sage50/ITEM.CSV

.PHONY: demo test lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	rm -rf demo-outbox
	$(BIN)/bizops-sage50 convert $(DEMO_BIZOPS) --to sage50 --outbox demo-outbox
	$(BIN)/bizops-sage50 convert $(DEMO_SAGE) --to bizops --outbox demo-outbox
	@echo
	@echo "Batches written under demo-outbox/:"
	@find demo-outbox -type f | sort

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check converter tests
	$(BIN)/ruff format --check converter tests

format: $(STAMP)
	$(BIN)/ruff format converter tests
	$(BIN)/ruff check --fix converter tests

clean:
	rm -rf $(VENV) demo-outbox .pytest_cache
