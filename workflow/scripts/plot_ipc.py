"""Snakemake script: results/summary/ipc_cells.csv and ipc_costs.csv -> the ipc workload's PNGs."""

import sys

import pandas as pd

from mpbench.analysis import figures

sm = snakemake  # noqa: F821 (injected by Snakemake)
with open(sm.log[0], "w", encoding="utf-8") as log:
    sys.stderr = log
    cells = pd.read_csv(sm.input.cells, keep_default_na=False, na_values=[""])
    costs = pd.read_csv(sm.input.costs)
    for name, path in sm.output.items():
        figures.draw(name, cells, path, costs=costs)
        print(f"wrote {path}", file=log)
