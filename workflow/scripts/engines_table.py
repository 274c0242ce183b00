"""Print the README's tables of the engines and the pools, cold beside warm, from a results set.

    python workflow/scripts/engines_table.py [results] [--processes P]

For each workload and N, at P (default: the machine's cores), one row per pair of a cold
strategy (its workers started in every timed run) and its warm twin (its workers kept
across the cell's runs, started by the untimed priming run): the multiprocessing pools
(pool_map, process_pool_executor and their _warm twins, under fork), joblib (joblib_parallel
and joblib_warm), loky (loky_cold and loky_warm) and dask (dask_distributed and dask_warm).
For each of the two: the speedup over its baseline with its 95 % interval, and the start-up
phase (median over the rounds); then the peak memory (PSS) above the interpreters' own. A
pair with one side not measured shows a dash there. Every number is read from
results/summary/cells.csv: nothing is computed here that the summary did not.
"""

import argparse
import sys
from pathlib import Path

import pandas as pd

# (cold, warm): the same calls, the workers started in every run or kept across the runs
PAIRS = [
    ("pool_map", "pool_map_warm"),
    ("process_pool_executor", "process_pool_executor_warm"),
    ("joblib_parallel", "joblib_warm"),
    ("loky_cold", "loky_warm"),
    ("dask_distributed", "dask_warm"),
]
START_METHODS = ["fork", "loky", "dask"]  # the stdlib pools' under fork, the engines' own
DASH = "–"


def _speedup(r) -> str:
    return f"{r.speedup:.2f} [{r.speedup_low:.2f}, {r.speedup_high:.2f}]"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def _memory(r) -> str:
    return f"{(r.peak_pss_bytes - r.baseline_pss_bytes) / 1e6:.0f} MB"


def columns(r) -> list[str]:
    """A row's speedup [95 % CI], start-up, teardown and memory above the interpreters, as
    the tables print them (docs_numbers's engines block prints them too)."""
    return [_speedup(r), _ms(r.startup_median_s), _ms(r.teardown_median_s), _memory(r)]


def _side(row) -> list[str]:
    """Speedup, start-up and memory of one side of a pair (a dash where not measured)."""
    if row is None:
        return [DASH] * 3
    return [_speedup(row), _ms(row.startup_median_s), _memory(row)]


def table(cells: pd.DataFrame, processes: int | None) -> str:
    out = []
    names = [name for pair in PAIRS for name in pair]
    unskipped = cells["skipped"].isna() | (cells["skipped"].astype(str) == "")
    cells = cells[cells["strategy"].isin(names) & unskipped]
    for (workload, n), group in cells.groupby(["workload", "n"], sort=True):
        p = processes or int(group["cores"].max())
        rows = group[(group["processes"] == p) & group["start_method"].isin(START_METHODS)]
        if rows.empty:
            continue
        out.append(f"\n{workload}, N = {n:,}, P = {p}:\n\n")
        out.append(
            "| cold | warm | split | speedup, cold [95 % CI] | speedup, warm [95 % CI] | "
            "start-up, cold | start-up, warm | peak memory above baseline, cold | warm |\n"
            "|---|---|---|---:|---:|---:|---:|---:|---:|\n"
        )
        for cold, warm in PAIRS:
            pair = rows[rows["strategy"].isin([cold, warm])]
            for split in sorted(pair["split"].unique()):
                found = {
                    r.strategy: r for r in pair[pair["split"] == split].itertuples(index=False)
                }
                c, w = _side(found.get(cold)), _side(found.get(warm))
                out.append(
                    f"| {cold} | {warm} | {split} | {c[0]} | {w[0]} | {c[1]} | {w[1]} | "
                    f"{c[2]} | {w[2]} |\n"
                )
    return "".join(out)


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
