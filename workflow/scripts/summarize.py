"""Snakemake script: every cell record -> the tables under results/summary/.

A corrupt or truncated record stops it with one line (in the log and on the console) that
names the file and the command that measures that cell again; no table is written.
"""

import sys

from mpbench.analysis.amdahl import fit_table
from mpbench.analysis.tables import summarize
from mpbench.record import RecordError

sm = snakemake  # noqa: F821 (injected by Snakemake)
console = sys.stderr
with open(sm.log[0], "w", encoding="utf-8") as log:
    sys.stderr = log
    try:
        cells, repeats = summarize(
            sm.input.records,
            sm.output.cells,
            sm.output.repeats,
            sm.output.markdown,
            sm.output.html,
            sm.output.flagged,
        )
    except RecordError as error:
        for stream in (log, console):
            print(f"mpbench: {error}", file=stream, flush=True)
        sys.exit(1)
    fit_table(repeats).to_csv(sm.output.amdahl, index=False, float_format="%.6g")
    print(f"{len(cells)} cells summarized", file=log)
