"""Snakemake script: every ipc record -> results/summary/ipc_*.csv and ipc.md.

A corrupt or truncated record stops it with one line (in the log and on the console) that
names the file and the command that measures that cell again; no table is written.
"""

import sys

from mpbench.analysis import ipc
from mpbench.analysis.tables import read_or_say_how_to_remeasure
from mpbench.ipc import record as ipc_record
from mpbench.record import RecordError

sm = snakemake  # noqa: F821 (injected by Snakemake)
console = sys.stderr
with open(sm.log[0], "w", encoding="utf-8") as log:
    sys.stderr = log
    try:
        records = [read_or_say_how_to_remeasure(p, ipc_record.read) for p in sm.input.records]
    except RecordError as error:
        for stream in (log, console):
            print(f"mpbench: {error}", file=stream, flush=True)
        sys.exit(1)
    out = sm.output
    cells, costs = ipc.summarize(records, out.batches, out.cells, out.costs, out.markdown)
    print(f"{len(cells)} ipc cells summarized, {len(costs)} cost lines", file=log)
