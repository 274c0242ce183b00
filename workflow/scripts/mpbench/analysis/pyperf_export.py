"""A results set as a pyperf benchmark suite, so that pyperf's own tools read it
(`python -m pyperf stats`, `show`, `hist`, `compare_to`).

One benchmark per cell, named workload/strategy/start_method/split/nN-pP, one run per
round whose single value is the strategy's time in seconds. pyperf's metadata are per run;
the ones pyperf knows are set with its meaning (name, unit, hostname, python_version), the
rest under an `mpbench_` prefix (pyperf accepts any other key whose value is a non-empty
str, an int or a float): the node (the Slurm node, else the host), the Python build, the
cores, and per round its number, the baseline's time beside it, their ratio and which ran
first. Built with collect_metadata=False:
the metadata describe the machine that measured, not the one that exports.

What does not carry over: pyperf compares benchmarks on their values only, so
`compare_to` compares the strategies' times (as mpbench.analysis.compare does on times),
never the paired speedups, and a set measured on a slower machine reads as slower there.
"""

from pathlib import Path

import pandas as pd
import pyperf

from mpbench.analysis.compare import _single_run
from mpbench.analysis.summary import CELL_KEYS

UNIT = "second"
PREFIX = "mpbench_"


def benchmark_name(workload, strategy, start_method, split, n, processes) -> str:
    """e.g. primes/pool_map/fork/dynamic/n300000-p2"""
    return f"{workload}/{strategy}/{start_method}/{split}/n{int(n)}-p{int(processes)}"


def _text(value) -> str | None:
    """A metadata string pyperf accepts (one line, not empty), or None to leave it out."""
    if pd.isna(value):
        return None
    text = " ".join(str(value).split())
    return text or None


def _round_metadata(row) -> dict:
    metadata = {f"{PREFIX}round": int(row["repeat"])}
    if "baseline_s" in row and pd.notna(row["baseline_s"]):
        metadata[f"{PREFIX}baseline_s"] = float(row["baseline_s"])
        metadata[f"{PREFIX}speedup"] = float(row["baseline_s"]) / float(row["total_s"])
    if "strategy_first" in row and pd.notna(row["strategy_first"]):
        first = str(row["strategy_first"]).strip().lower() in ("true", "1")
        metadata[f"{PREFIX}order"] = "strategy first" if first else "baseline first"
    return metadata


def to_suite(repeats: pd.DataFrame, label: str = "") -> pyperf.BenchmarkSuite:
    """The suite of a single-run results set (its repeats table); MixedResults if it mixes
    hosts, nodes or Python builds, ValueError if it holds no round."""
    if repeats.empty:
        raise ValueError(f"results set {label} holds no timed round")
    host, node, version, build = _single_run(
        repeats, label, "export one host, node and build at a time"
    )
    common = {
        "unit": UNIT,
        "hostname": _text(host),
        "python_version": _text(version),
        f"{PREFIX}node": _text(node),
        f"{PREFIX}python_build": _text(build),
    }
    if "cores" in repeats.columns and repeats["cores"].notna().any():
        common[f"{PREFIX}cores"] = int(repeats["cores"].dropna().iloc[0])
    common = {key: value for key, value in common.items() if value is not None}
    benchmarks = []
    for key, cell in repeats.groupby(CELL_KEYS, sort=True):
        name = benchmark_name(*key)
        runs = [
            pyperf.Run(
                [float(row["total_s"])],
                collect_metadata=False,
                metadata={**common, "name": name, **_round_metadata(row)},
            )
            for _, row in cell.sort_values("repeat").iterrows()
        ]
        benchmarks.append(pyperf.Benchmark(runs))
    return pyperf.BenchmarkSuite(benchmarks)


def export(results: Path, output: Path) -> pyperf.BenchmarkSuite:
    """Write RESULTS/summary/repeats.csv as a pyperf JSON file (replaced if it exists; a
    name ending in .gz is compressed, as pyperf does)."""
    repeats = pd.read_csv(Path(results) / "summary" / "repeats.csv")
    suite = to_suite(repeats, str(results))
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    suite.dump(str(output), replace=True)
    return suite
