"""From IPC records to tables: one row per batch, one per cell, and each mechanism's cost line.

An IPC cell (docs/ipc.md) times batches of messages of N bytes from P senders to one
receiver. Per cell this module reports:

- latency (pingpong): the median and p99 round trip over every message, with the median's
  95 % interval, and the median against the raw pipe's at the same N and P (the floor);
- throughput (stream): the median over batches of bytes / second, its interval, and its share
  of the memory-copy ceiling (`memcpy` at the same N: what one core can move at all);
- time per message (every pattern): the median over batches, the y of the cost line;
- the check cost (stream, pingpong): the checked batch's time per message (pingpong: per
  round trip), measured apart from the timed batches, and how many times longer a message
  takes when every one is checked (`check_ratio`: the checked batch's seconds per message
  over the timed batches' median).

The cost line of a mechanism (one pattern, one P) is time per message = a + b * N, fitted
over all its batches at every N. Timings spread in proportion to their size (a 64 MiB
message varies by milliseconds, a 64 B one by microseconds), so the fit is weighted by
1 / y^2: it minimises relative residuals, and a is set by the small messages as much as b
is by the large ones. Its 95 % intervals come from the weighted fit's covariance and the t
distribution. a is the fixed cost of a message (a system call, a lock, a pickle header), b
the cost of each byte (1 / b is the bandwidth the mechanism tends to for large messages).
"""

import math

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from mpbench import stats
from mpbench.analysis.summary import RUN_KEYS, node_of  # runs never mixed, as for strategies

CELL_KEYS = ["mechanism", "pattern", "n", "processes", "start_method"]
CEILING = "memcpy"  # the reference whose throughput is the ceiling
FLOOR = "raw_pipe"  # the reference whose round trip is the floor
CONFIDENCE = 0.95


def _context(rec: dict) -> dict:
    env = rec["environment"]
    return {
        "workload": "ipc",
        "mechanism": rec["mechanism"],
        "pattern": rec["pattern"],
        "reference": bool(rec["reference"]),
        "n": int(rec["n"]),
        "processes": int(rec["processes"]),
        "start_method": rec["start_method"] or "none",
        "hostname": env["hostname"],
        "node": node_of(env),
        "python_version": env["python_version"],
        "python_build": env["python_build"],
        "cores": len(env["cpu_affinity"]),
    }


def batches_table(records: list[dict]) -> pd.DataFrame:
    """One row per timed batch: its messages, seconds, time per message and throughput."""
    rows = []
    for rec in records:
        context = _context(rec)
        throughput = rec.get("throughput_Bps") or [np.nan] * rec["repeats"]
        for index in range(rec["repeats"]):
            rows.append(
                {
                    **context,
                    "batch": index + 1,
                    "messages": rec["messages"][index],
                    "batch_s": rec["batch_s"][index],
                    "per_message_s": rec["per_message_s"][index],
                    "throughput_Bps": throughput[index],
                }
            )
    return pd.DataFrame(rows)


def _median_ci(values) -> tuple[float, float, float, float]:
    """(median, low, high, coverage) of the order-statistic interval (mpbench.stats)."""
    ordered = sorted(float(v) for v in values)
    low, high, coverage = stats.median_interval_ranks(len(ordered))
    return stats.median(ordered), ordered[low], ordered[high], coverage


def cells_table(records: list[dict]) -> pd.DataFrame:
    """One row per cell, with the floor and the ceiling beside it where the run has them."""
    rows = []
    for rec in records:
        row = _context(rec)
        per_message = _median_ci(rec["per_message_s"])
        row.update(
            zip(
                ("per_message_s", "per_message_low_s", "per_message_high_s", "coverage"),
                per_message,
            )
        )
        latency = rec.get("latency_s") or {}
        row.update(
            latency_median_s=latency.get("median", np.nan),
            latency_p99_s=latency.get("p99", np.nan),
            latency_low_s=latency.get("ci_low", np.nan),
            latency_high_s=latency.get("ci_high", np.nan),
        )
        if rec.get("throughput_Bps"):
            median, low, high, _ = _median_ci(rec["throughput_Bps"])
        else:
            median = low = high = np.nan
        row.update(throughput_Bps=median, throughput_low_Bps=low, throughput_high_Bps=high)
        row.update(
            messages=int(sum(rec["messages"])),
            repeats=int(rec["repeats"]),
            **_check_cost(rec),
            secure=_secure(rec.get("security")),
        )
        rows.append(row)
    cells = pd.DataFrame(rows)
    if cells.empty:
        return cells
    return _against_references(cells).sort_values([*RUN_KEYS, *CELL_KEYS], ignore_index=True)


def _check_cost(rec: dict) -> dict:
    """The checked batch beside the timed ones (NaN for a counter, which has none)."""
    if rec["check_s"] is None:
        return dict.fromkeys(
            ("check_messages", "check_s", "check_per_message_s", "check_ratio"), np.nan
        )
    timed = stats.median([s / m for s, m in zip(rec["batch_s"], rec["messages"])])
    return {
        "check_messages": rec["check_messages"],
        "check_s": rec["check_s"],
        "check_per_message_s": rec["check_per_message_s"],
        "check_ratio": rec["check_s"] / rec["check_messages"] / timed,
    }


def _secure(security: dict | None):
    """'' where the mechanism has no network side; else whether it listened on loopback only
    and refused a wrong authkey, as measured in the cell."""
    if not security:
        return ""
    return bool(security.get("loopback_only") and security.get("wrong_authkey_refused"))


def _against_references(cells: pd.DataFrame) -> pd.DataFrame:
    """Add the raw pipe's median round trip at the same N and P (latency_floor_s, and the
    cell's latency over it) and memcpy's throughput at the same N (ceiling_Bps, and the
    cell's share of it), from the same host and Python only."""
    floor = cells[(cells["mechanism"] == FLOOR) & (cells["pattern"] == "pingpong")]
    floor = floor[[*RUN_KEYS, "n", "processes", "latency_median_s"]].rename(
        columns={"latency_median_s": "latency_floor_s"}
    )
    ceiling = cells[(cells["mechanism"] == CEILING) & (cells["pattern"] == "stream")]
    ceiling = ceiling[[*RUN_KEYS, "n", "throughput_Bps"]].rename(
        columns={"throughput_Bps": "ceiling_Bps"}
    )
    # memcpy runs in one process: its throughput is the ceiling at any P
    ceiling = ceiling.groupby([*RUN_KEYS, "n"], as_index=False)["ceiling_Bps"].max()
    cells = cells.merge(floor, on=[*RUN_KEYS, "n", "processes"], how="left")
    cells = cells.merge(ceiling, on=[*RUN_KEYS, "n"], how="left")
    cells["latency_over_floor"] = cells["latency_median_s"] / cells["latency_floor_s"]
    cells["ceiling_share"] = cells["throughput_Bps"] / cells["ceiling_Bps"]
    return cells


def fit_cost_line(n, seconds) -> dict:
    """Fit seconds = a + b * n, weighted by 1 / seconds^2 (relative residuals).

    Returns a, b, their 95 % interval bounds, the number of points and of sizes, and the
    relative residual's RMS. With fewer than two sizes there is no line: b and every
    interval are NaN, and a is the median time (the cost of one message at that size).
    """
    x = np.asarray(n, dtype=float)
    y = np.asarray(seconds, dtype=float)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError("a cost line needs as many sizes as times, at least one")
    if not np.all(y > 0):
        raise ValueError("times per message must be > 0")
    sizes = len(np.unique(x))
    nan = float("nan")
    if sizes < 2 or len(x) < 3:
        return {
            "a_s": float(np.median(y)),
            **dict.fromkeys(("a_low_s", "a_high_s", "b_s_per_byte"), nan),
            **dict.fromkeys(("b_low_s_per_byte", "b_high_s_per_byte", "rel_rms"), nan),
            "points": len(x),
            "sizes": sizes,
        }
    # weighted least squares as ordinary least squares on rows divided by y: the model
    # 1 = a / y + b * n / y with unit-variance relative errors
    design = np.column_stack([1 / y, x / y])
    target = np.ones_like(y)
    coef, _, _, _ = np.linalg.lstsq(design, target, rcond=None)
    residuals = target - design @ coef
    dof = len(x) - 2
    sigma2 = float(residuals @ residuals) / dof
    covariance = sigma2 * np.linalg.pinv(design.T @ design)
    t = scipy_stats.t.ppf(0.5 + CONFIDENCE / 2, dof)
    a, b = (float(c) for c in coef)
    se_a, se_b = (math.sqrt(max(covariance[i, i], 0.0)) for i in (0, 1))
    return {
        "a_s": a,
        "a_low_s": a - t * se_a,
        "a_high_s": a + t * se_a,
        "b_s_per_byte": b,
        "b_low_s_per_byte": b - t * se_b,
        "b_high_s_per_byte": b + t * se_b,
        "rel_rms": math.sqrt(sigma2),
        "points": len(x),
        "sizes": sizes,
    }


def costs_table(batches: pd.DataFrame) -> pd.DataFrame:
    """One cost line per mechanism, pattern, P and start method (and host and Python):
    a (s per message), b (s per byte) with their 95 % intervals, and 1 / b as bytes / s."""
    if batches.empty:
        return pd.DataFrame()
    keys = [*RUN_KEYS, "mechanism", "pattern", "reference", "processes", "start_method"]
    rows = []
    for values, group in batches.groupby(keys, sort=True):
        fit = fit_cost_line(group["n"], group["per_message_s"])
        rows.append({**dict(zip(keys, values)), **fit})
    costs = pd.DataFrame(rows)
    costs["bandwidth_Bps"] = 1 / costs["b_s_per_byte"].where(costs["b_s_per_byte"] > 0)
    return costs


def _seconds(value: float) -> str:
    if not np.isfinite(value):
        return "—"
    for unit, factor in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {unit}"
    return f"{value / 1e-9:.3g} ns"


def _rate(value: float) -> str:
    return "—" if not np.isfinite(value) else f"{value / 1e6:,.0f} MB/s"


def _size(n: int) -> str:
    for unit, factor in (("MiB", 2**20), ("KiB", 2**10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n:,} B"


def markdown_tables(cells: pd.DataFrame, costs: pd.DataFrame) -> str:
    """The three tables the README quotes, for one sender: small-message latency against the
    raw pipe, large-message throughput against the memory-copy ceiling, and the cost lines."""
    out = ["# IPC workload: one sender\n"]
    if cells.empty:
        return out[0] + "\nNo IPC cell was measured.\n"
    one = cells[cells["processes"] == 1]
    for (host, node, python), group in one.groupby(
        ["hostname", "node", "python_version"], sort=True
    ):
        where = host if node == host else f"{host}, node {node}"
        out.append(f"\n## {where}, Python {python}\n")
        ping = group[group["pattern"] == "pingpong"]
        if len(ping):
            n = int(ping["n"].min())
            rows = ping[ping["n"] == n].sort_values("latency_median_s")
            out.append(f"\n### Round trip of a {_size(n)} message (pingpong)\n\n")
            out.append(
                "| mechanism | median | 95 % CI | p99 | × raw pipe | checked |\n"
                "|---|---:|---:|---:|---:|---:|\n"
            )
            for r in rows.itertuples():
                ci = f"{_seconds(r.latency_low_s)} – {_seconds(r.latency_high_s)}"
                over = f"{r.latency_over_floor:.2f}" if np.isfinite(r.latency_over_floor) else "—"
                out.append(
                    f"| {r.mechanism}{' (reference)' if r.reference else ''} | "
                    f"{_seconds(r.latency_median_s)} | {ci} | "
                    f"{_seconds(r.latency_p99_s)} | {over} | {_seconds(r.check_per_message_s)} |\n"
                )
        stream = group[group["pattern"] == "stream"]
        if len(stream):
            n = int(stream["n"].max())
            rows = stream[stream["n"] == n].sort_values("throughput_Bps", ascending=False)
            out.append(f"\n### Streaming {_size(n)} messages\n\n")
            out.append(
                "| mechanism | throughput | 95 % CI | share of memcpy | checked, per message |\n"
                "|---|---:|---:|---:|---:|\n"
            )
            for r in rows.itertuples():
                ci = f"{_rate(r.throughput_low_Bps)} – {_rate(r.throughput_high_Bps)}"
                share = f"{r.ceiling_share:.0%}" if np.isfinite(r.ceiling_share) else "—"
                out.append(
                    f"| {r.mechanism}{' (reference)' if r.reference else ''} | "
                    f"{_rate(r.throughput_Bps)} | {ci} | {share} | "
                    f"{_seconds(r.check_per_message_s)} |\n"
                )
    if len(costs):
        rows = costs[costs["processes"] == 1].sort_values(["pattern", "a_s"])
        out.append("\n### Cost lines: time per message = a + b × N\n\n")
        out.append(
            "| mechanism | pattern | a | a 95 % CI | b (ns/byte) | b 95 % CI | 1 / b |\n"
            "|---|---|---:|---:|---:|---:|---:|\n"
        )
        for r in rows.itertuples():
            b = r.b_s_per_byte * 1e9
            b_ci = (
                f"{r.b_low_s_per_byte * 1e9:.3g} – {r.b_high_s_per_byte * 1e9:.3g}"
                if np.isfinite(r.b_low_s_per_byte)
                else "—"
            )
            out.append(
                f"| {r.mechanism} | {r.pattern} | {_seconds(r.a_s)} | "
                f"{_seconds(r.a_low_s)} – {_seconds(r.a_high_s)} | "
                f"{b:.3g} | {b_ci} | {_rate(r.bandwidth_Bps)} |\n"
                if np.isfinite(r.b_s_per_byte)
                else f"| {r.mechanism} | {r.pattern} | {_seconds(r.a_s)} | — | — | — | — |\n"
            )
    return "".join(out)


def summarize(records: list[dict], batches_csv, cells_csv, costs_csv, markdown) -> tuple:
    """Write the IPC tables; return (cells, costs)."""
    from pathlib import Path

    batches = batches_table(records)
    cells = cells_table(records)
    costs = costs_table(batches)
    for path in (batches_csv, cells_csv, costs_csv, markdown):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    batches.to_csv(batches_csv, index=False, float_format="%.6g")
    cells.to_csv(cells_csv, index=False, float_format="%.6g")
    costs.to_csv(costs_csv, index=False, float_format="%.6g")
    Path(markdown).write_text(markdown_tables(cells, costs), encoding="utf-8")
    return cells, costs
