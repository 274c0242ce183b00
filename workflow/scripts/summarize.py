"""Snakemake script: every cell record -> the tables under results/summary/."""

import sys

from mpbench.analysis.amdahl import fit_table
from mpbench.analysis.tables import summarize

sm = snakemake  # noqa: F821 (injected by Snakemake)
with open(sm.log[0], "w", encoding="utf-8") as log:
    sys.stderr = log
    cells, repeats = summarize(
        sm.input.records,
        sm.output.cells,
        sm.output.repeats,
        sm.output.markdown,
        sm.output.html,
        sm.output.flagged,
    )
    fit_table(repeats).to_csv(sm.output.amdahl, index=False, float_format="%.6g")
    print(f"{len(cells)} cells summarized", file=log)
