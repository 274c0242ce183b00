# Two commands do everything on a fresh machine with Python 3.11+:
#   make          measure every cell, then build the figures, tables and results/report.html
#   make test     run the whole test suite (what CI runs, after make lint)
#   make test-fast  the unit tests only, in under a minute: the loop while editing
#   make test-faults  the fault-injection suite alone (part of make test)
#   make lint     snakemake --lint, snakefmt and ruff (lint and format), all clean
# Both create the pinned virtual environment .venv/ first.

PYTHON ?= python3
CORES ?= 4
VENV := .venv
BIN := $(VENV)/bin
SNAKEMAKE := $(BIN)/snakemake --cores $(CORES)

.PHONY: all benchmark report quick test test-fast test-faults lint format clean

all: report

$(BIN)/snakemake: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

benchmark: $(BIN)/snakemake
	$(SNAKEMAKE)

report: benchmark
	$(SNAKEMAKE) --report results/report.html

quick: $(BIN)/snakemake
	$(SNAKEMAKE) --configfile config/quick.yaml
	$(SNAKEMAKE) --configfile config/quick.yaml --report results/report.html

test: $(BIN)/snakemake
	$(BIN)/python -m pytest

test-fast: $(BIN)/snakemake
	$(BIN)/python -m pytest -m "not workflow and not integration and not faults and not slurm" -q

test-faults: $(BIN)/snakemake
	$(BIN)/python -m pytest -m faults -q

lint: $(BIN)/snakemake
	$(SNAKEMAKE) --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/ruff check workflow tests
	$(BIN)/ruff format --check workflow tests

format: $(BIN)/snakemake
	$(BIN)/snakefmt Snakefile workflow/rules
	$(BIN)/ruff check --fix workflow tests
	$(BIN)/ruff format workflow tests

clean:
	rm -rf results .snakemake
