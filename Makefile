# Two commands do everything on a fresh machine with Python 3.11+:
#   make          measure every cell, then build the figures, tables and results/report.html
#   make test     run the test suite
# Both create the pinned virtual environment .venv/ first.

PYTHON ?= python3
CORES ?= 4
VENV := .venv
BIN := $(VENV)/bin
SNAKEMAKE := $(BIN)/snakemake --cores $(CORES)

.PHONY: all benchmark report quick test lint clean

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

lint: $(BIN)/snakemake
	$(SNAKEMAKE) --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules

clean:
	rm -rf results .snakemake
