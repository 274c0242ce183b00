# Two commands do everything on a fresh machine with Python 3.11+:
#   make          measure every cell, then build the figures, tables and results/report.html
#   make test     run the whole test suite (what CI runs, after make lint)
#   make test-fast  the unit tests only, in under a minute: the loop while editing
#   make test-faults  the fault-injection suite alone (part of make test)
#   make lint     snakemake --lint, snakefmt and ruff (lint and format), all clean, and the
#                 docs' numbers as docs/results/ renders them (docs_numbers.py render --check)
#   make slurm ACCOUNT=... PARTITION=...  submit the benchmark to a Slurm cluster (docs/slurm.md)
#   make slurm-quick  config/quick.yaml (SLURM_CONFIG) through a one-node Slurm on this machine
#                 (root; Debian's slurmctld slurmd slurm-client munge), into $(SLURM_RUN)/results
#   make interpreters  CPython 3.14 from Debian's binary packages into .interpreters/, with numpy
#                 and psutil (docs/interpreters.md); prints each interpreter it provides
# Both create the pinned virtual environment .venv/ first.

PYTHON ?= python3
CORES ?= 4
VENV := .venv
BIN := $(VENV)/bin
SNAKEMAKE := $(BIN)/snakemake --cores $(CORES)

.PHONY: all benchmark report quick test test-fast test-faults lint format clean slurm slurm-quick interpreters

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

# Slurm (docs/slurm.md): the workflow profile profiles/slurm submits every cell as a job.
ACCOUNT ?=
PARTITION ?=
SLURM_RUN ?= slurm-run
SLURM_CONFIG ?= config/quick.yaml
SLURM_SNAKEMAKE := $(BIN)/snakemake --workflow-profile profiles/slurm

slurm: $(BIN)/snakemake
	$(SLURM_SNAKEMAKE) $(if $(ACCOUNT)$(PARTITION),--default-resources \
		$(if $(ACCOUNT),slurm_account=$(ACCOUNT)) $(if $(PARTITION),slurm_partition=$(PARTITION)))
	$(SNAKEMAKE) --report results/report.html

# The one-node cluster has no accounting database (squeue, not sacct, reads the jobs' states)
# and one partition, its default; workflow/scripts/one_node_slurm.py stops it after the run.
slurm-quick: $(BIN)/snakemake
	mkdir -p $(SLURM_RUN)
	$(BIN)/python workflow/scripts/one_node_slurm.py -- $(SLURM_SNAKEMAKE) \
		--directory $(SLURM_RUN) --configfile $(SLURM_CONFIG) \
		--slurm-no-account --slurm-status-command squeue \
		--slurm-init-seconds-before-status-checks 2
	$(SNAKEMAKE) --directory $(SLURM_RUN) --configfile $(SLURM_CONFIG) \
		--report results/report.html

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
	$(BIN)/python workflow/scripts/docs_numbers.py render --check

format: $(BIN)/snakemake
	$(BIN)/snakefmt Snakefile workflow/rules
	$(BIN)/ruff check --fix workflow tests
	$(BIN)/ruff format workflow tests

# Needs no .venv: apt-get and dpkg-deb with private directories, pip from Debian's wheel.
interpreters:
	bash workflow/scripts/get_interpreters.sh

clean:
	rm -rf results .snakemake
