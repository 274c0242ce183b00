"""Print the README's table of the engines against plain multiprocessing, from a results set.

    python workflow/scripts/engines_table.py [results] [--processes P]

For each workload and N, at P (default: the machine's cores): the speedup over `single`
with its 95 % interval, the start-up and teardown phases (medians over the rounds), and the
process tree's peak memory (PSS) above the interpreters' own, for the engines
(joblib_parallel, loky_cold, loky_warm, dask_distributed) beside the multiprocessing pools
they replace (pool_map, process_pool_executor). Every number is read from
results/summary/cells.csv: nothing is computed here that the summary did not.
"""

import argparse
import sys
from pathlib import Path

import pandas as pd

ENGINES = ["joblib_parallel", "loky_cold", "loky_warm", "dask_distributed"]
POOLS = ["pool_map", "process_pool_executor"]


def table(cells: pd.DataFrame, processes: int | None) -> str:
    out = []
    cells = cells[cells["strategy"].isin(POOLS + ENGINES) & (cells["skipped"].fillna("") == "")]
    for (workload, n), group in cells.groupby(["workload", "n"], sort=True):
        p = processes or int(group["cores"].max())
        rows = group[
            (group["processes"] == p) & group["start_method"].isin(["fork", "loky", "dask"])
        ]
        if rows.empty:
            continue
        rows = rows.sort_values("speedup", ascending=False)
        out.append(f"\n{workload}, N = {n:,}, P = {p}:\n\n")
        out.append(
            "| strategy | speedup [95 % CI] | start-up | teardown | peak memory above baseline |\n"
            "|---|---:|---:|---:|---:|\n"
        )
        several = rows["split"].nunique() > 1
        for r in rows.itertuples():
            name = f"{r.strategy} ({r.split})" if several else r.strategy
            out.append(f"| {name} | {' | '.join(columns(r))} |\n")
    return "".join(out)


def columns(r) -> list[str]:
    """A row's speedup [95 % CI], start-up, teardown and memory above the interpreters, as
    the tables print them (docs_numbers's engines block prints them too)."""
    memory = (r.peak_pss_bytes - r.baseline_pss_bytes) / 1e6
    return [
        f"{r.speedup:.2f} [{r.speedup_low:.2f}, {r.speedup_high:.2f}]",
        f"{r.startup_median_s * 1e3:.1f} ms",
        f"{r.teardown_median_s * 1e3:.1f} ms",
        f"{memory:.0f} MB",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", default="results", type=Path)
    parser.add_argument("--processes", type=int, default=None)
    args = parser.parse_args(argv)
    path = args.results / "summary" / "cells.csv"
    if not path.is_file():
        parser.error(f"no {path}: run the workflow first (make)")
    print(table(pd.read_csv(path, keep_default_na=False, na_values=[""]), args.processes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
