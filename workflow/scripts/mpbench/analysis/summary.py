"""From cell records to tables: the per-round tidy table and the per-cell summary.

Speedup, efficiency and the Karp-Flatt serial fraction follow docs/method.md. A cell's
speedup is the median of its own rounds' ratios T1 / TP, each T1 timed beside its TP in the
same round (mpbench.stats), never a time from another job divided by this one's.
"""

import numpy as np
import pandas as pd

from mpbench import metadata, stats
from mpbench.strategy import BASELINE, NO_START_METHOD
from mpbench.workloads import PHASES

CELL_KEYS = ["workload", "strategy", "start_method", "split", "n", "processes"]
# A results set may hold several machines, nodes or Python builds: never mix them. `node` is
# the Slurm node a cell ran on (docs/slurm.md), or its host outside Slurm.
RUN_KEYS = ["hostname", "node", "python_version", "python_build"]
CV_FLAG = 0.10  # docs/method.md: a cell whose CV exceeds 10 % is flagged


def efficiency(s: float, processes: int, cores: int) -> float:
    """E = S / min(P, cores): oversubscribed workers cannot add cores."""
    return s / min(processes, cores)


def karp_flatt(s: float, processes: int, cores: int) -> float:
    """Serial fraction e = (1/S - 1/p) / (1 - 1/p), p = min(P, cores); NaN when p == 1."""
    p = min(processes, cores)
    if p <= 1:
        return float("nan")
    return (1 / s - 1 / p) / (1 - 1 / p)


def node_of(environment: dict) -> str:
    """The node a record ran on: its Slurm node, or its host outside Slurm (and in records
    made before the Slurm job was recorded)."""
    return (environment.get("slurm") or {}).get("node") or environment["hostname"]


def with_node(table: pd.DataFrame) -> pd.DataFrame:
    """A table (repeats.csv, cells.csv) of a results set made before `node` was a column:
    its node is its host."""
    if "node" in table.columns or "hostname" not in table.columns:
        return table
    return table.assign(node=table["hostname"])


def _context(rec: dict) -> dict:
    env = rec["environment"]
    return {
        **{key: rec[key] for key in CELL_KEYS},
        "start_method": rec["start_method"] or NO_START_METHOD,
        "hostname": env["hostname"],
        "node": node_of(env),
        "python_version": env["python_version"],
        "python_build": env["python_build"],
        "cores": len(env["cpu_affinity"]),
    }


def repeats_table(records: list[dict]) -> pd.DataFrame:
    """Tidy table: one row per timed round: the strategy's time (total_s) with its phases
    where the strategy marks them, the baseline's time beside it, their ratio and their
    order. (No memory: it is sampled in the memory runs after the rounds, see `_memory`.)"""
    rows = []
    for rec in records:
        context = _context(rec)
        for index, total in enumerate(rec.get("repeats_s", [])):
            t1 = rec["baseline_s"][index]
            row = {
                **context,
                "repeat": index + 1,
                "total_s": total,
                "baseline_s": t1,
                "speedup": t1 / total,
                "strategy_first": rec["strategy_first"][index],
            }
            for phase, values in rec["phases_s"].items():
                row[f"{phase}_s"] = np.nan if values is None else values[index]
            rows.append(row)
    return pd.DataFrame(rows)


def _slurm(rec: dict) -> dict:
    """The Slurm job and partition of a cell (empty outside Slurm)."""
    job = rec["environment"].get("slurm") or {}
    return {"slurm_job_id": job.get("job_id") or "", "slurm_partition": job.get("partition") or ""}


def _nan(value) -> float:
    return np.nan if value is None else float(value)


def _background(rec: dict) -> dict:
    if "skipped" in rec:
        return {
            "reference": bool(rec["reference"]),
            "other_cpu_cores": np.nan,
            "steal_fraction": np.nan,
            "busy": False,
        }
    background = rec["background"]
    return {
        "reference": bool(rec["reference"]),
        "other_cpu_cores": background["other_cpu_cores"],
        "steal_fraction": background["steal_fraction"],
        "busy": metadata.is_busy(background),
    }


def _memory(rec: dict) -> dict:
    """Peak memory of the process tree: the median over the memory runs of each run's peak,
    the interpreters' baseline, and both against the payload (input + output bytes)."""
    payload = _nan(rec["payload_bytes"])
    if "skipped" in rec:
        peaks, baseline, sampler = [], {}, {}
    else:
        memory = rec["memory"]
        peaks, baseline, sampler = memory["runs"], memory["baseline"], memory["sampler"]

    def median(key):
        values = [p[key] for p in peaks if p[key] is not None]
        return float(np.median(values)) if values else np.nan

    pss, base = median("peak_pss_bytes"), _nan(baseline.get("pss_bytes"))
    return {
        "payload_bytes": payload,
        "peak_pss_bytes": pss,
        "peak_uss_bytes": median("peak_uss_bytes"),
        "baseline_pss_bytes": base,
        "baseline_uss_bytes": _nan(baseline.get("uss_bytes")),
        # the issue's yardstick: (peak - the interpreters' own) / payload; 1 = one copy of
        # input and output, a zero-copy strategy should stay at most 1.25
        "pss_over_payload": (pss - base) / payload if payload else np.nan,
        "memory_samples": min((p["samples"] for p in peaks), default=0),
        "sampler_cpu_cores": _nan(sampler.get("cpu_cores")),
    }


SPEEDUP_COLUMNS = ("speedup", "speedup_low", "speedup_high", "speedup_coverage", "t1_s")


def _speedup(rec: dict) -> dict:
    """The cell's paired speedup, its 95 % interval, and the median baseline time."""
    if "skipped" in rec:
        return {"rounds_stop": "", "unresolved": False, **{key: np.nan for key in SPEEDUP_COLUMNS}}
    paired = stats.paired_speedup(rec["baseline_s"], rec["repeats_s"])
    return {
        "speedup": paired.value,
        "speedup_low": paired.low,
        "speedup_high": paired.high,
        "speedup_coverage": paired.coverage,
        "unresolved": not paired.resolved,
        "t1_s": stats.median(rec["baseline_s"]),
        "rounds_stop": rec["rounds"]["stop"],
    }


def _stats(rec: dict) -> dict:
    if "skipped" in rec:
        return {
            "rounds": 0,
            "noisy": False,
            **{
                key: np.nan
                for key in (
                    "median_s",
                    "min_s",
                    "max_s",
                    "iqr_s",
                    "cv",
                    *(f"{phase}_median_s" for phase in PHASES),
                )
            },
        }
    times = np.asarray(rec["repeats_s"], dtype=float)
    q1, median, q3 = np.percentile(times, [25, 50, 75])
    cv = times.std(ddof=1) / times.mean() if len(times) > 1 else np.nan
    stats = {
        "rounds": len(times),
        "median_s": median,
        "min_s": times.min(),
        "max_s": times.max(),
        "iqr_s": q3 - q1,
        "cv": cv,
        "noisy": bool(cv > CV_FLAG),
    }
    for phase, values in rec["phases_s"].items():
        stats[f"{phase}_median_s"] = np.nan if values is None else float(np.median(values))
    return stats


def cells_table(records: list[dict]) -> pd.DataFrame:
    """One row per cell: spread, speedup, efficiency, Karp-Flatt, correctness, oversubscription."""
    if not records:
        raise ValueError("no cell records to summarize")
    cells = pd.DataFrame(
        [
            {
                **_context(rec),
                **_stats(rec),
                **_speedup(rec),
                **_background(rec),
                **_memory(rec),
                **_slurm(rec),
                "data_path": rec["data_path"] if rec["payload_bytes"] is not None else "",
                # whether its workers were started in each run or kept across the cell's
                # runs, and the one-process strategy its speedup is against (older records:
                # cold, single)
                "pool": rec.get("pool", "cold"),
                "baseline": rec.get("baseline", BASELINE),
                # what an engine did (dask's cluster, joblib's memory-mapping, loky's pool)
                "engine": "; ".join(f"{k}={v}" for k, v in sorted(rec.get("engine", {}).items())),
                "answer": rec.get("answer"),
                "expected": rec.get("expected"),
                "correct": rec["answer"] == rec["expected"] if "answer" in rec else None,
                "pieces": rec.get("pieces"),
                "skipped": rec.get("skipped", ""),
            }
            for rec in records
        ]
    )
    duplicated = cells.duplicated(CELL_KEYS + RUN_KEYS, keep=False)
    if duplicated.any():
        raise ValueError(
            f"the same cell appears twice: {cells.loc[duplicated, CELL_KEYS].values.tolist()}"
        )
    cells["oversubscribed"] = cells["processes"] > cells["cores"]
    cells["flagged"] = cells["noisy"] | cells["busy"]
    cells["flag_reason"] = [
        "; ".join(
            reason
            for flag, reason in (
                (noisy, f"CV {percent(cv)} > {CV_FLAG:.0%}"),
                (busy, f"busy machine: {other:.2f} other cores, {steal:.1%} stolen"),
            )
            if flag
        )
        for noisy, cv, busy, other, steal in zip(
            cells["noisy"],
            cells["cv"],
            cells["busy"],
            cells["other_cpu_cores"],
            cells["steal_fraction"],
        )
    ]

    for column in ("efficiency", "efficiency_low", "efficiency_high"):
        source = column.replace("efficiency", "speedup")
        cells[column] = [
            efficiency(s, p, c)
            for s, p, c in zip(cells[source], cells["processes"], cells["cores"])
        ]
    cells["karp_flatt"] = [
        karp_flatt(s, p, c) for s, p, c in zip(cells["speedup"], cells["processes"], cells["cores"])
    ]
    # a reference row (a better algorithm) has a speedup over single, but no parallel efficiency
    cells.loc[cells["reference"], ["efficiency", "karp_flatt"]] = np.nan
    cells["implausible"] = _implausible(cells)
    order = ["workload", "n", "strategy", "start_method", "split", "processes"]
    return cells.sort_values(order, kind="stable").reset_index(drop=True)


def _implausible(cells: pd.DataFrame) -> pd.Series:
    """Cells whose whole interval claims the impossible: above the ideal speedup min(P, cores),
    or a process strategy at P = 1 faster than the one process it adds processes to. Such a
    cell points at a measurement problem (or a superlinear effect to explain), never at a
    finding; the flagged list names each."""
    ideal = np.minimum(cells["processes"], cells["cores"])
    parallel = ~cells["reference"].astype(bool)
    above_ideal = parallel & (cells["speedup_low"] > ideal)
    one_process = (cells["processes"] == 1) & (cells["start_method"] != NO_START_METHOD)
    return (above_ideal | (parallel & one_process & (cells["speedup_low"] > 1))).fillna(False)


def percent(value: float) -> str:
    return "–" if pd.isna(value) else f"{100 * value:.1f} %"
