"""Snakemake script: results/summary/ cells.csv and amdahl.csv -> the PNGs of one workload."""

import sys

import pandas as pd

from mpbench.analysis import figures

sm = snakemake  # noqa: F821 (injected by Snakemake)
with open(sm.log[0], "w", encoding="utf-8") as log:
    sys.stderr = log
    cells = pd.read_csv(sm.input.cells)
    cells = cells[cells["workload"] == sm.params.workload]
    fits = pd.read_csv(sm.input.amdahl)
    fits = fits[fits["workload"] == sm.params.workload]
    for name, path in sm.output.items():
        figures.draw(name, cells, path, start_method=sm.params.start_method, fits=fits)
        print(f"wrote {path}", file=log)
