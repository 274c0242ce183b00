"""Snakemake script: results/summary/cells.csv -> one PNG per figure of one workload."""

import sys

import pandas as pd

from mpbench.analysis import figures

sm = snakemake  # noqa: F821 (injected by Snakemake)
with open(sm.log[0], "w", encoding="utf-8") as log:
    sys.stderr = log
    cells = pd.read_csv(sm.input.cells)
    cells = cells[cells["workload"] == sm.wildcards.workload]
    for name, path in sm.output.items():
        getattr(figures, name)(cells, path)
        print(f"wrote {path}", file=log)
