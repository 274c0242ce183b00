"""Start-up: what a strategy costs before any parallelism, per start method and at P = 1,
and where the time of a run goes at the smallest N."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from . import layout  # noqa: E402
from .registry import figure  # noqa: E402
from .style import (  # noqa: E402
    BASELINE,
    FLAG_LABEL,
    METHOD_COLOURS,
    NO_START_METHOD,
    PHASE_COLOURS,
    PHASE_LABELS,
    WIDTH_IN,
    strategy_colours,
    strategy_order,
)

SECTION = "Start methods and start-up"


def _hatched_handle():
    return Patch(facecolor="grey", hatch="///", edgecolor="white")


@figure("primes", section=SECTION, order=50, rows="every_start_method")
def startup_cost(cells: pd.DataFrame, path) -> Figure:
    """Start-up and teardown of each process-based strategy under each start method, in ms.

    Read it as: what creating the workers (until every one is running) and closing them
    costs before any work is done, per start method. Measured at P = cores; each bar is the
    median over the problem sizes measured (start-up does not depend on N), dynamic split
    where measured. fork copies the parent; spawn starts a fresh interpreter per worker that
    re-imports the main script; forkserver forks each worker from a server process.
    """
    cells, skipped = layout.prepare(cells)
    cores = layout.cores_of(cells)
    rows = cells.dropna(subset=["startup_median_s"])
    rows = rows[(rows["start_method"] != NO_START_METHOD) & ~rows["reference"]]
    p = layout.usable_p(rows, cores)
    rows = rows[rows["processes"] == p]
    rows = rows.sort_values("split", key=lambda c: c != "dynamic")
    rows = rows.groupby(["strategy", "start_method", "n"], as_index=False).first()
    table = (
        rows.groupby(["strategy", "start_method"])
        .agg(
            startup_ms=("startup_median_s", lambda v: 1000 * v.median()),
            teardown_ms=("teardown_median_s", lambda v: 1000 * v.median()),
            flagged=("flagged", "any"),
        )
        .reset_index()
    )
    strategies = strategy_order(set(table["strategy"]))[::-1]
    methods = [m for m in METHOD_COLOURS if m in set(table["start_method"])]
    methods += sorted(set(table["start_method"]) - set(methods))
    height = max(3.0, 0.22 * len(strategies) * max(len(methods), 1) + 1.4)
    fig, axes = plt.subplots(1, 2, figsize=(WIDTH_IN, height), sharey=True, layout="constrained")
    bar = 0.8 / max(len(methods), 1)
    for ax, column, label in (
        (axes[0], "startup_ms", "start-up"),
        (axes[1], "teardown_ms", "teardown"),
    ):
        for i, method in enumerate(methods):
            part = table[table["start_method"] == method].set_index("strategy")
            y = [
                k + (len(methods) - 1 - i - (len(methods) - 1) / 2) * bar
                for k, s in enumerate(strategies)
                if s in part.index
            ]
            values = [part.loc[s, column] for s in strategies if s in part.index]
            bars = ax.barh(
                y, values, height=bar * 0.9, color=METHOD_COLOURS.get(method, "grey"), label=method
            )
            for b, s in zip(bars, [s for s in strategies if s in part.index]):
                if part.loc[s, "flagged"]:
                    b.set(hatch="///", edgecolor="white")
            ax.bar_label(
                bars, [f"{v:.0f}" if v >= 10 else f"{v:.1f}" for v in values], padding=2, fontsize=7
            )
        ax.set_yticks(range(len(strategies)), strategies)
        ax.set_xlabel(f"{label} per run (ms), median")
        ax.grid(True, axis="x", alpha=0.3)
        ax.set_title(f"{label.capitalize()} at P = {p}", fontsize=10)
        ax.set_xlim(0, (table[column].max() if len(table) else 1) * 1.18 or 1)
    handles = [Patch(facecolor=METHOD_COLOURS.get(m, "grey")) for m in methods]
    return layout.finish(
        fig,
        cells,
        path,
        [(handles, methods, "start method"), ([_hatched_handle()], [FLAG_LABEL], None)],
        title="What starting and stopping the workers costs, per start method",
        skipped=skipped,
    )


@figure("primes", section=SECTION, order=60, rows="every_start_method")
def phases_small_n(cells: pd.DataFrame, path) -> Figure:
    """Where the time goes at the smallest N: start-up, compute and teardown, against `single`.

    Read it as: a bar that ends right of the black line is slower than doing the work in one
    process. At small N the work is a few milliseconds, and starting and stopping the workers
    (orange and grey) costs more than the work itself; the compute part alone (blue) is what
    parallelism can shrink. P = cores, dynamic split where measured, every start method. A
    phase no cell spent time in (set-up, for primes) is left out.
    """
    cells, skipped = layout.prepare(cells)
    cores = layout.cores_of(cells)
    n = int(cells["n"].min())
    at_n = cells[cells["n"] == n]
    baseline = at_n.loc[at_n["strategy"] == BASELINE, "median_s"]
    rows = at_n.dropna(subset=["startup_median_s"])
    rows = rows[~rows["reference"] & (rows["strategy"] != BASELINE)]
    p = layout.usable_p(rows, cores)
    rows = rows[rows["processes"] == p].sort_values("split", key=lambda c: c != "dynamic")
    rows = rows.groupby(["strategy", "start_method"], as_index=False).first()
    method_rank = {m: i for i, m in enumerate([NO_START_METHOD, *METHOD_COLOURS])}
    order = strategy_order(set(rows["strategy"]))
    rows = rows.assign(
        order=[
            (order.index(s), method_rank.get(m, 9))
            for s, m in zip(rows["strategy"], rows["start_method"])
        ]
    ).sort_values("order", ascending=False)
    labels = [
        s if m == NO_START_METHOD else f"{s} · {m}"
        for s, m in zip(rows["strategy"], rows["start_method"])
    ]
    fig, ax = plt.subplots(
        figsize=(WIDTH_IN * 0.8, max(3.0, 0.24 * len(rows) + 1.6)), layout="constrained"
    )
    phases = layout.phases_present(rows)
    left = np.zeros(len(rows))
    for phase in phases:
        ms = 1000 * rows[f"{phase}_median_s"].to_numpy()
        ax.barh(
            range(len(rows)), ms, left=left, color=PHASE_COLOURS[phase], height=0.75, label=phase
        )
        left += np.nan_to_num(ms)
    for y, (total, flagged) in enumerate(zip(1000 * rows["median_s"], rows["flagged"])):
        ax.text(
            left[y],
            y,
            f" {total:.1f} ms" + (" (flagged)" if flagged else ""),
            va="center",
            fontsize=7,
        )
    if len(baseline):
        t1 = 1000 * float(baseline.iloc[0])
        ax.axvline(t1, color="black", lw=1.5)
        ax.text(
            t1,
            1.0,
            f" single: {t1:.1f} ms",
            transform=ax.get_xaxis_transform(),
            va="bottom",
            fontsize=8,
        )
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.set_xlim(0, max(left.max() if len(left) else 1, 1) * 1.22)
    ax.set_xlabel(
        "median time per run (ms): " + " + ".join(PHASE_LABELS[phase] for phase in phases)
    )
    ax.grid(True, axis="x", alpha=0.3)
    # room above the axes for the `single` label, clear of the title
    ax.set_title(f"N = {n:,}, P = {p}", fontsize=10, pad=16 if len(baseline) else 6)
    handles = [Patch(facecolor=PHASE_COLOURS[phase]) for phase in phases] + [
        Line2D([], [], color="black", lw=1.5)
    ]
    labels = [PHASE_LABELS[phase] for phase in phases] + ["single (one process)"]
    return layout.finish(
        fig,
        at_n,
        path,
        [(handles, labels, "phase")],
        title="Why parallel code can lose at small N: where each run's time goes",
        skipped=skipped,
    )


@figure("primes", section=SECTION, order=70)
def fixed_cost(cells: pd.DataFrame, path) -> Figure:
    """Each strategy's fixed cost: extra time of its P = 1 run over `single`, in milliseconds.

    Read it as: what a strategy costs before any parallelism (start-up, pickling, proxies).
    Bars are sorted per N, cheapest at the top, labelled in ms and in percent of `single`;
    hatched bars had noisy repeats (CV > 10 %). A fixed cost stays about the same in ms as N
    grows, so its share shrinks: at small N it dwarfs the work, at large N it is a few percent.
    """
    cells, skipped = layout.prepare(cells)
    colours = strategy_colours(cells["strategy"])
    baseline = cells[(cells["strategy"] == BASELINE) & (cells["processes"] == 1)]
    baseline = baseline.groupby("n")["median_s"].first()
    at_one = cells[(cells["strategy"] != BASELINE) & (cells["processes"] == 1)]
    at_one = at_one.sort_values("split", key=lambda s: s != "static")  # static first
    at_one = at_one.groupby(["n", "strategy"], as_index=False).first()
    t1 = at_one["n"].map(baseline)
    at_one["overhead_pct"] = 100 * (at_one["median_s"] / t1 - 1)
    at_one["overhead_ms"] = 1000 * (at_one["median_s"] - t1)

    fig, axes = layout.panels(
        cells, sharey=False, height=max(3.0, 0.28 * at_one["strategy"].nunique() + 1.2)
    )
    for n, ax in axes.items():
        rows = at_one[at_one["n"] == n].dropna(subset=["overhead_ms"])
        rows = rows.sort_values("overhead_ms", ascending=False)
        if rows.empty:
            layout.no_data(ax, f"N = {n:,}: no P = 1 cells\nor no `single` baseline")
            ax.set(xticks=[], yticks=[])
            continue
        bars = ax.barh(
            rows["strategy"],
            rows["overhead_ms"],
            color=[colours[s] for s in rows["strategy"]],
            height=0.7,
        )
        for bar, flagged in zip(bars, rows["flagged"]):
            if flagged:
                bar.set(hatch="///", edgecolor="white")
        labels = [
            f"{ms:+.1f} ms ({pct:+.0f} %)" if abs(pct) >= 10 else f"{ms:+.1f} ms ({pct:+.1f} %)"
            for ms, pct in zip(rows["overhead_ms"], rows["overhead_pct"])
        ]
        low, high = min(0, rows["overhead_ms"].min()), max(0, rows["overhead_ms"].max())
        span = (high - low) or 1.0
        for y, (ms, label) in enumerate(zip(rows["overhead_ms"], labels)):
            # right of the bar, or right of zero for a negative bar: never over the names
            ax.text(max(ms, 0) + 0.02 * span, y, label, va="center", fontsize=7)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlim(low - 0.05 * span, high + 0.6 * span)
        ax.set_xlabel("extra time over single at P = 1 (ms)")
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(True, axis="x", alpha=0.3)
        ax.set_title(f"N = {n:,}", fontsize=10)
    return layout.finish(
        fig,
        cells,
        path,
        [([_hatched_handle()], [FLAG_LABEL], None)],
        title="Fixed cost of each strategy at P = 1 (extra time over single)",
        skipped=skipped,
    )
