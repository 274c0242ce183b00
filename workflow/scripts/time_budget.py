"""Where a run's measurement time went: python workflow/scripts/time_budget.py [RESULTS] [LOG].

RESULTS is a results folder (default: results), LOG the Snakemake log of the run that made
it (default: the newest .snakemake/log/*.snakemake.log beside RESULTS). Prints, summed over
the cells: the timed runs (the baseline's and the strategy's, inside the clock), the rest of
each cell's rounds (checks, clean-up), the memory runs after them, priming, the memory
baseline, preparing the input, waiting for a quiet machine, the interpreters' start, and
what Snakemake spent between jobs; and the timed share of the measurement phase (first cell
started to last cell finished).
"""

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mpbench import record  # noqa: E402

STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")


def measurement_window(log: Path) -> tuple[datetime, datetime]:
    """From the first measure_cell job's start to the last one's end, from the log's stamps."""
    stamps, rules = [], []
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    for index, line in enumerate(lines):
        match = STAMP.match(line.strip())
        if match:
            when = datetime.strptime(match.group(1), "%a %b %d %H:%M:%S %Y")
            following = " ".join(lines[index + 1 : index + 3])
            stamps.append(when)
            rules.append("measure_cell" in following)
    cells = [when for when, is_cell in zip(stamps, rules) if is_cell]
    if not cells:
        raise SystemExit(f"{log}: no measure_cell job in this log")
    return cells[0], cells[-1]


def budget(results: Path) -> dict[str, float]:
    totals: dict[str, float] = {}
    cells = 0
    for path in sorted((results / "cells").rglob("*.json")):
        cell = record.read(path)
        if "skipped" in cell:
            continue
        cells += 1
        spent = cell["overhead_s"]
        timed = sum(cell["baseline_s"]) + sum(cell["repeats_s"])
        for key, value in {
            "timed runs (baseline and strategy)": timed,
            "rest of the rounds (checks, clean-up)": spent["rounds"] - timed,
            "memory runs (untimed, sampled)": spent["memory_runs"],
            "priming runs": spent["priming"],
            "memory baseline": spent["memory_baseline"],
            "input and expected answer": spent["prepare"],
            "waiting for a quiet machine": spent["settle"],
            "measured interpreter's start": spent["start"],
            "supervisor's own start and record": spent["supervisor_total"]
            - sum(
                spent[k]
                for k in (
                    "start",
                    "prepare",
                    "settle",
                    "priming",
                    "memory_baseline",
                    "rounds",
                    "memory_runs",
                )
            ),
        }.items():
            totals[key] = totals.get(key, 0.0) + value
    totals["cells"] = cells
    return totals


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="?", default=Path("results"))
    parser.add_argument("log", type=Path, nargs="?")
    args = parser.parse_args(argv)
    log = args.log or max(
        (args.results.parent / ".snakemake/log").glob("*.snakemake.log"),
        key=lambda p: p.stat().st_mtime,
    )
    first, last = measurement_window(log)
    wall = (last - first).total_seconds()
    totals = budget(args.results)
    cells = int(totals.pop("cells"))
    inside = sum(totals.values())
    print(
        f"{cells} measured cells; measurement phase {wall:.0f} s ({first:%H:%M:%S} to "
        f"{last:%H:%M:%S}, from {log.name})"
    )
    for key, value in totals.items():
        print(f"  {key:48s} {value:8.1f} s  {value / wall:6.1%}")
    print(
        f"  {'Snakemake between jobs (the rest)':48s} {wall - inside:8.1f} s  "
        f"{(wall - inside) / wall:6.1%}"
    )
    timed = totals["timed runs (baseline and strategy)"]
    print(f"timed share of the measurement phase: {timed / wall:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
