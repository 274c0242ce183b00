"""Figures over the per-cell table (`cells.csv`, one row per benchmark cell).

`draw(name, cells, path, ...)` writes the figure `name`. Every figure function takes the
cells DataFrame and a PNG path, and returns the (closed) matplotlib Figure it saved. All
figures colour a strategy the same way (`strategy_colours`), mark flagged cells (CV > 10 %
or a busy machine) with hollow markers or hatched bars, never draw a skipped cell (one not
run, e.g. above a strategy's size limit) but name it in the legend, and state the workload,
host, Python version, core count and start method in the title, so that a PNG read on its
own is honest about where it was measured.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from mpbench.analysis.amdahl import amdahl_speedup  # noqa: E402
from mpbench.experiment import registry  # noqa: E402
from mpbench.experiment.registry import BASELINE, NO_START_METHOD  # noqa: E402

# the figures drawn for one start method (the full sweep's), without reference rows
SWEEP_FIGURES = ("speedup_vs_processes", "efficiency_vs_processes", "fixed_cost",
                 "memory_vs_n", "setup_vs_compute")
METHOD_COLOURS = {"fork": "#4c72b0", "spawn": "#dd8452", "forkserver": "#55a868"}
# in the order a run goes through them
PHASE_COLOURS = {"setup": "#8172b3", "startup": "#dd8452", "compute": "#4c72b0",
                 "teardown": "#8c8c8c"}
PHASE_LABELS = {"setup": "set-up", "startup": "start-up", "compute": "compute",
                "teardown": "teardown"}
FLAG_LABEL = "flagged: CV > 10 % or busy machine"
# Array strategies whose workers read the input and write the output where the parent keeps
# them (threads: one address space; the others: shared memory or a shared mapping), so
# nothing is copied after set-up. Every other strategy moves the data to the workers and
# back (pickles, pipes, proxies).
DATA_PATH_STYLES = {"copies": "-", "zero-copy": "--"}
DATA_PATH_LABELS = {"copies": "copies the data (pickles, pipes, proxies)",
                    "zero-copy": "zero-copy (threads, shared memory, mappings)"}
# (peak PSS - the interpreters' baseline) / payload: 1 is one copy of input and output; the
# issue's bound for a zero-copy strategy is 1.25
ONE_COPY, ZERO_COPY_BOUND = 1.0, 1.25
RATIO_FLOOR = 0.25  # below it (or negative) the ratio is the baseline's noise, not a copy


def draw(name: str, cells: pd.DataFrame, path, start_method: str | None = None,
         fits: pd.DataFrame | None = None) -> Figure:
    """Write figure `name` (a function of this module) from the cells of one workload.

    The scaling and memory figures show one start method (`start_method`, the full sweep's;
    the cells of strategies that start no process always belong); the start-method figures
    show all.
    """
    cells = _clean(cells)
    sweep = cells
    if start_method is not None:
        sweep = cells[cells["start_method"].isin([start_method, NO_START_METHOD])]
    if name in SWEEP_FIGURES:
        return globals()[name](sweep[~sweep["reference"]], path)
    if name == "time_vs_n":
        return time_vs_n(sweep, path)
    if name == "amdahl_fits":
        return amdahl_fits(sweep[~sweep["reference"]], fits, path, start_method)
    return globals()[name](cells, path)


# Hand-picked, mutually distinct colours for the known strategies (no grey: that is the
# ideal line; black is the baseline), in legend order (array: pipe after the other copying
# paths, shared_memory and mmap_file after the other zero-copy ones).
# User-added strategies take the qualitative palette after them, in sorted order.
_KNOWN_COLOURS = {
    "threads": "#1f77b4",
    "process_queue": "#ff7f0e",
    "pool_map": "#2ca02c",
    "pool_map_async": "#d62728",
    "pool_apply_async": "#9467bd",
    "process_pool_executor": "#8c564b",
    "manager": "#e377c2",
    "pipe": "#c51b7d",
    "sharedctypes_value": "#bcbd22",
    "sharedctypes_array": "#17becf",
    "shared_numpy": "#393b79",
    "mmap_anonymous": "#e6ab02",
    "shared_memory": "#01665e",
    "mmap_file": "#7fbc41",
}
KNOWN_STRATEGIES = (BASELINE, *_KNOWN_COLOURS)
SPLIT_STYLES = {"dynamic": "-", "static": "--", "none": "-"}
WIDTH_IN, PANEL_HEIGHT_IN, DPI = 11.0, 4.2, 110
_EXTRA_COLOURS = (
    "#7b4173",
    "#637939",
    "#843c39",
    "#6baed6",
    "#fd8d3c",
    "#74c476",
    "#9e9ac8",
    "#e7969c",
    "#8c6d31",
    "#3182bd",
)


def strategy_colours(strategies) -> dict:
    """One stable colour per strategy: `single` black, each known strategy its own, then
    unknown (user-added) names in sorted order; keys in legend order."""
    names = set(strategies)
    colours = {BASELINE: "black", **_KNOWN_COLOURS}
    for i, name in enumerate(sorted(names - set(colours))):
        colours[name] = (_EXTRA_COLOURS[i] if i < len(_EXTRA_COLOURS)
                         else plt.get_cmap("hsv")(i * 0.618 % 1))
    return {name: colours[name] for name in _strategy_order(names)}


def data_path(strategy: str) -> str:
    """'zero-copy' for a strategy whose workers work in the parent's buffers, else 'copies'
    (what the strategy's script declares; 'copies' for one this checkout does not have)."""
    return registry.data_path(strategy) if strategy in registry.names() else "copies"


def speedup_vs_processes(cells: pd.DataFrame, path) -> Figure:
    """Speedup S = T1 / TP over `single` against the process count, one panel per N (a
    workload that moves data, array: the largest N alone).

    Read it as: how close does each strategy come to the grey dotted ideal min(P, cores)?
    Solid lines are the dynamic split, dashed the static one (array: solid copies the
    data, dashed is zero-copy); right of the vertical core line (shaded) processes
    outnumber cores, so no further speedup is possible there.
    """
    return _lines_vs_processes(cells, path, "speedup", "speedup S = T1 / TP (×)",
                               efficiency=False)


def efficiency_vs_processes(cells: pd.DataFrame, path) -> Figure:
    """Parallel efficiency E = S / min(P, cores) against the process count, one panel per N.

    Read it as: which fraction of the usable cores each strategy turns into speedup. 1 is
    ideal; above the dotted 0.9 line a strategy wastes less than a tenth of the cores.
    """
    return _lines_vs_processes(
        cells, path, "efficiency", "efficiency E = S / min(P, cores)", efficiency=True
    )


def time_vs_n(cells: pd.DataFrame, path) -> Figure:
    """Median wall time against problem size N (log-log), every strategy at P = cores.

    Read it as: where each strategy's line crosses below the thick black `single` line,
    parallelism starts to pay off; flat stretches at small N are fixed start-up cost.
    Uses the dynamic split where measured; bars span the fastest to slowest repeat. For a
    workload that moves data (array), solid lines copy it and dashed ones are zero-copy.
    """
    cells, skipped = _prepare(cells)
    cores = _cores(cells)
    moves_data = _has_payload(cells)
    parallel = cells[(cells["strategy"] != BASELINE) & ~cells["reference"]]
    p_values = sorted(parallel["processes"].unique())
    p = max([q for q in p_values if q <= cores], default=min(p_values, default=cores))
    drawn = _at_p(cells, p, "median_s")
    fig, ax = plt.subplots(figsize=(WIDTH_IN * 0.75, PANEL_HEIGHT_IN * 1.4))
    colours = strategy_colours(cells["strategy"])
    references = set(cells.loc[cells["reference"], "strategy"])
    for strategy in colours:
        rows = drawn[drawn["strategy"] == strategy]
        if rows.empty:
            continue
        baseline, reference = strategy == BASELINE, strategy in references
        colour = "black" if reference else colours[strategy]
        yerr = np.vstack([rows["median_s"] - rows["min_s"], rows["max_s"] - rows["median_s"]])
        label = strategy
        if baseline:
            label = f"{strategy} (P = 1)"
        elif reference:
            label = f"{strategy} (reference: another algorithm, P = 1)"
        style = "--" if reference else "-"
        if moves_data and not baseline:
            style = DATA_PATH_STYLES[data_path(strategy)]
        bars = ax.errorbar(
            rows["n"],
            rows["median_s"],
            yerr=np.nan_to_num(np.clip(yerr, 0, None)),
            color=colour,
            ls=style,
            lw=3 if baseline else 1.8 if reference else 1.2,
            zorder=3 if baseline else 2,
            marker="s" if reference else "o",
            ms=4,
            capsize=2,
            label=label,
        )
        bars.lines[0].set_gid(strategy)
        _hollow_flagged(ax, rows, rows["n"], rows["median_s"], colour)
    ax.set(xscale="log", yscale="log", xlabel="problem size N", ylabel="median time (s)")
    ax.grid(True, which="major", alpha=0.3)
    ax.grid(True, which="minor", alpha=0.1)
    seconds = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(seconds)
    if np.divide(*ax.get_ylim()[::-1]) < 10:  # under one decade: label the minor ticks too
        ax.yaxis.set_minor_formatter(seconds)
    split = ("dynamic split where measured" if (parallel["split"] == "dynamic").any()
             else " / ".join(sorted(set(parallel["split"]))) + " split")
    ax.set_title(f"Time vs. problem size at P = cores (P = {p}, {split})")
    handles, labels = ax.get_legend_handles_labels()
    flag = ([_flag_handle()], [FLAG_LABEL])
    if moves_data:
        legends = [(handles, labels, "strategy"),
                   (*_data_path_legend(drawn["strategy"], flag), "line style")]
    else:
        legends = [(handles + flag[0], labels + flag[1], "strategy")]
    return _finish(fig, cells, path, legends, skipped=skipped)


def fixed_cost(cells: pd.DataFrame, path) -> Figure:
    """Each strategy's fixed cost: extra time of its P = 1 run over `single`, in milliseconds.

    Read it as: what a strategy costs before any parallelism (start-up, pickling, proxies).
    Bars are sorted per N, cheapest at the top, labelled in ms and in percent of `single`;
    hatched bars had noisy repeats (CV > 10 %). A fixed cost stays about the same in ms as N
    grows, so its share shrinks: at small N it dwarfs the work, at large N it is a few percent.
    """
    cells, skipped = _prepare(cells)
    colours = strategy_colours(cells["strategy"])
    baseline = cells[(cells["strategy"] == BASELINE) & (cells["processes"] == 1)]
    baseline = baseline.groupby("n")["median_s"].first()
    at_one = cells[(cells["strategy"] != BASELINE) & (cells["processes"] == 1)]
    at_one = at_one.sort_values("split", key=lambda s: s != "static")  # static first
    at_one = at_one.groupby(["n", "strategy"], as_index=False).first()
    t1 = at_one["n"].map(baseline)
    at_one["overhead_pct"] = 100 * (at_one["median_s"] / t1 - 1)
    at_one["overhead_ms"] = 1000 * (at_one["median_s"] - t1)

    fig, axes = _panels(
        cells, sharey=False, height=max(3.0, 0.28 * at_one["strategy"].nunique() + 1.2)
    )
    for n, ax in axes.items():
        rows = at_one[at_one["n"] == n].dropna(subset=["overhead_ms"])
        rows = rows.sort_values("overhead_ms", ascending=False)
        if rows.empty:
            _no_data(ax, f"N = {n:,}: no P = 1 cells\nor no `single` baseline")
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
    handles = [Patch(facecolor="grey", hatch="///", edgecolor="white")]
    return _finish(
        fig,
        cells,
        path,
        [(handles, [FLAG_LABEL], None)],
        title="Fixed cost of each strategy at P = 1 (extra time over single)",
        skipped=skipped,
    )


def startup_cost(cells: pd.DataFrame, path) -> Figure:
    """Start-up and teardown of each process-based strategy under each start method, in ms.

    Read it as: what creating the workers (until every one is running) and closing them
    costs before any work is done, per start method. Measured at P = cores; each bar is the
    median over the problem sizes measured (start-up does not depend on N), dynamic split
    where measured. fork copies the parent; spawn starts a fresh interpreter per worker that
    re-imports the main script; forkserver forks each worker from a server process.
    """
    cells, skipped = _prepare(cells)
    cores = _cores(cells)
    rows = cells.dropna(subset=["startup_median_s"])
    rows = rows[(rows["start_method"] != NO_START_METHOD) & ~rows["reference"]]
    p = _usable_p(rows, cores)
    rows = rows[rows["processes"] == p]
    rows = rows.sort_values("split", key=lambda c: c != "dynamic")
    rows = rows.groupby(["strategy", "start_method", "n"], as_index=False).first()
    table = rows.groupby(["strategy", "start_method"]).agg(
        startup_ms=("startup_median_s", lambda v: 1000 * v.median()),
        teardown_ms=("teardown_median_s", lambda v: 1000 * v.median()),
        flagged=("flagged", "any"),
    ).reset_index()
    strategies = [s for s in _strategy_order(set(table["strategy"]))][::-1]
    methods = [m for m in METHOD_COLOURS if m in set(table["start_method"])]
    methods += sorted(set(table["start_method"]) - set(methods))
    height = max(3.0, 0.22 * len(strategies) * max(len(methods), 1) + 1.4)
    fig, axes = plt.subplots(1, 2, figsize=(WIDTH_IN, height), sharey=True, layout="constrained")
    bar = 0.8 / max(len(methods), 1)
    for ax, column, label in ((axes[0], "startup_ms", "start-up"),
                              (axes[1], "teardown_ms", "teardown")):
        for i, method in enumerate(methods):
            part = table[table["start_method"] == method].set_index("strategy")
            y = [k + (len(methods) - 1 - i - (len(methods) - 1) / 2) * bar
                 for k, s in enumerate(strategies) if s in part.index]
            values = [part.loc[s, column] for s in strategies if s in part.index]
            bars = ax.barh(y, values, height=bar * 0.9, color=METHOD_COLOURS.get(method, "grey"),
                           label=method)
            for b, s in zip(bars, [s for s in strategies if s in part.index]):
                if part.loc[s, "flagged"]:
                    b.set(hatch="///", edgecolor="white")
            ax.bar_label(bars, [f"{v:.0f}" if v >= 10 else f"{v:.1f}" for v in values],
                         padding=2, fontsize=7)
        ax.set_yticks(range(len(strategies)), strategies)
        ax.set_xlabel(f"{label} per run (ms), median")
        ax.grid(True, axis="x", alpha=0.3)
        ax.set_title(f"{label.capitalize()} at P = {p}", fontsize=10)
        ax.set_xlim(0, (table[column].max() if len(table) else 1) * 1.18 or 1)
    handles = [Patch(facecolor=METHOD_COLOURS.get(m, "grey")) for m in methods]
    return _finish(fig, cells, path,
                   [(handles, methods, "start method"),
                    ([Patch(facecolor="grey", hatch="///", edgecolor="white")], [FLAG_LABEL],
                     None)],
                   title="What starting and stopping the workers costs, per start method",
                   skipped=skipped)


def phases_small_n(cells: pd.DataFrame, path) -> Figure:
    """Where the time goes at the smallest N: start-up, compute and teardown, against `single`.

    Read it as: a bar that ends right of the black line is slower than doing the work in one
    process. At small N the work is a few milliseconds, and starting and stopping the workers
    (orange and grey) costs more than the work itself; the compute part alone (blue) is what
    parallelism can shrink. P = cores, dynamic split where measured, every start method. A
    phase no cell spent time in (set-up, for primes) is left out.
    """
    cells, skipped = _prepare(cells)
    cores = _cores(cells)
    n = int(cells["n"].min())
    at_n = cells[cells["n"] == n]
    baseline = at_n.loc[at_n["strategy"] == BASELINE, "median_s"]
    rows = at_n.dropna(subset=["startup_median_s"])
    rows = rows[~rows["reference"] & (rows["strategy"] != BASELINE)]
    p = _usable_p(rows, cores)
    rows = rows[rows["processes"] == p].sort_values("split", key=lambda c: c != "dynamic")
    rows = rows.groupby(["strategy", "start_method"], as_index=False).first()
    method_rank = {m: i for i, m in enumerate([NO_START_METHOD, *METHOD_COLOURS])}
    rows = rows.assign(
        order=[(_strategy_order(set(rows["strategy"])).index(s), method_rank.get(m, 9))
               for s, m in zip(rows["strategy"], rows["start_method"])]
    ).sort_values("order", ascending=False)
    labels = [s if m == NO_START_METHOD else f"{s} · {m}"
              for s, m in zip(rows["strategy"], rows["start_method"])]
    fig, ax = plt.subplots(figsize=(WIDTH_IN * 0.8, max(3.0, 0.24 * len(rows) + 1.6)),
                           layout="constrained")
    phases = _phases_present(rows)
    left = np.zeros(len(rows))
    for phase in phases:
        ms = 1000 * rows[f"{phase}_median_s"].to_numpy()
        ax.barh(range(len(rows)), ms, left=left, color=PHASE_COLOURS[phase], height=0.75,
                label=phase)
        left += np.nan_to_num(ms)
    for y, (total, flagged) in enumerate(zip(1000 * rows["median_s"], rows["flagged"])):
        ax.text(left[y], y, f" {total:.1f} ms" + (" (flagged)" if flagged else ""),
                va="center", fontsize=7)
    if len(baseline):
        t1 = 1000 * float(baseline.iloc[0])
        ax.axvline(t1, color="black", lw=1.5)
        ax.text(t1, 1.0, f" single: {t1:.1f} ms", transform=ax.get_xaxis_transform(),
                va="bottom", fontsize=8)
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.set_xlim(0, max(left.max() if len(left) else 1, 1) * 1.22)
    ax.set_xlabel("median time per run (ms): "
                  + " + ".join(PHASE_LABELS[phase] for phase in phases))
    ax.grid(True, axis="x", alpha=0.3)
    # room above the axes for the `single` label, clear of the title
    ax.set_title(f"N = {n:,}, P = {p}", fontsize=10, pad=16 if len(baseline) else 6)
    handles = [Patch(facecolor=PHASE_COLOURS[phase]) for phase in phases] + [
        Line2D([], [], color="black", lw=1.5)]
    labels = [PHASE_LABELS[phase] for phase in phases] + ["single (one process)"]
    return _finish(fig, at_n, path, [(handles, labels, "phase")],
                   title="Why parallel code can lose at small N: where each run's time goes",
                   skipped=skipped)


def memory_vs_n(cells: pd.DataFrame, path) -> Figure:
    """Peak memory against N (left) and the memory beyond the interpreters in payloads
    (right), every strategy at P = cores (`single` at P = 1).

    Read it as: the black dashed line is the payload (input + output, 16 N bytes); the grey
    band adds the interpreters' own memory, where a strategy that copies nothing lies. On the
    right, 1 is one copy of input and output and 1.25 the bound for a zero-copy strategy: a
    strategy at 3 keeps two more copies alive at its peak. Dashed lines are the zero-copy
    strategies, solid ones copy the data. At small N the payload is small against the noise
    of the baseline, so the ratio there is rough; below 0.25 (or negative) it is drawn as a
    triangle at the bottom edge.
    """
    cells, skipped = _prepare(cells)
    p = _usable_p(cells[cells["strategy"] != BASELINE], _cores(cells))
    drawn = _at_p(cells, p, "peak_pss_bytes")
    colours = strategy_colours(drawn["strategy"])
    # spread the triangles of the strategies that reach the floor, so none hides another
    floored = [s for s in colours if (drawn.loc[drawn["strategy"] == s, "pss_over_payload"]
                                      < RATIO_FLOOR).any()]
    floor_dodge = {s: 1.12 ** (i - (len(floored) - 1) / 2) for i, s in enumerate(floored)}
    fig, (peak_ax, ratio_ax) = plt.subplots(1, 2, figsize=(WIDTH_IN, PANEL_HEIGHT_IN * 1.35),
                                            layout="constrained")
    for strategy, colour in colours.items():
        rows = drawn[drawn["strategy"] == strategy]
        baseline = strategy == BASELINE
        style = {"color": colour, "lw": 3 if baseline else 1.3, "marker": "o", "ms": 4,
                 "zorder": 3 if baseline else 2,
                 "ls": "-" if baseline else DATA_PATH_STYLES[data_path(strategy)]}
        label = f"{strategy} (P = 1)" if baseline else strategy
        peak_ax.plot(rows["n"], rows["peak_pss_bytes"], label=label, gid=strategy, **style)
        _hollow_flagged(peak_ax, rows, rows["n"], rows["peak_pss_bytes"], colour)
        ratio = rows.dropna(subset=["pss_over_payload"])
        below = ratio["pss_over_payload"] < RATIO_FLOOR
        # a ratio under the floor is noise of the baseline: a marker at the edge, no line
        ratio_ax.plot(ratio["n"], ratio["pss_over_payload"].mask(below), gid=strategy, **style)
        ratio_ax.plot(ratio.loc[below, "n"] * floor_dodge.get(strategy, 1),
                      np.full(below.sum(), RATIO_FLOOR), ls="none", marker="v", ms=6,
                      color=colour, zorder=style["zorder"])
        _hollow_flagged(ratio_ax, ratio[~below], ratio.loc[~below, "n"],
                        ratio.loc[~below, "pss_over_payload"], colour)

    ns = sorted(drawn["n"].unique()) or sorted(cells["n"].unique())
    payload = cells.groupby("n")["payload_bytes"].median().reindex(ns)
    if drawn.empty:  # say so, rather than leave two empty axes
        for ax in (peak_ax, ratio_ax):
            _no_data(ax, f"no memory sample at P = {p}")
    peak_ax.plot(ns, payload, color="black", ls="--", lw=1.3, gid="payload", zorder=4)
    parallel = drawn[drawn["strategy"] != BASELINE]
    interpreters = (parallel if parallel["baseline_pss_bytes"].notna().any() else drawn)
    interpreters = interpreters.groupby("n")["baseline_pss_bytes"].median().reindex(ns)
    peak_ax.plot(ns, payload + interpreters, color="grey", lw=12, alpha=0.3,
                 solid_capstyle="butt", gid="payload+baseline", zorder=1)
    peak_ax.set(xscale="log", xlabel="problem size N", ylabel="peak PSS of the process tree")
    if len(drawn) or payload.notna().any():
        peak_ax.set_yscale("log")
        peak_ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        peak_ax.yaxis.set_major_formatter(_bytes_formatter())
        peak_ax.yaxis.set_minor_formatter(NullFormatter())
    peak_ax.set_title(f"Peak memory (PSS, summed over the process tree), P = {p}", fontsize=10)

    for level, text, style in ((ONE_COPY, "1: one copy of input and output", ":"),
                               (ZERO_COPY_BOUND, "1.25: bound for zero-copy", "--")):
        ratio_ax.axhline(level, color="dimgrey", ls=style, lw=1.2, zorder=1)
        ratio_ax.text(0.01, level, text, transform=ratio_ax.get_yaxis_transform(), fontsize=7.5,
                      color="dimgrey", va="top" if level == ONE_COPY else "bottom",
                      bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 1})
    ratio_ax.set(xscale="log", yscale="log", xlabel="problem size N",
                 ylabel="(peak PSS − baseline) / payload")
    values = drawn["pss_over_payload"].dropna()
    ratio_ax.set_ylim(RATIO_FLOOR / 1.25, max(values.max() if len(values) else 1, 2.0) * 1.35)
    ratio_ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ratio_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ratio_ax.yaxis.set_minor_formatter(NullFormatter())
    ratio_ax.set_title("Memory beyond the interpreters, in payloads", fontsize=10)
    for ax in (peak_ax, ratio_ax):
        ax.grid(True, which="major", alpha=0.3)
        ax.set_xlim(min(ns, default=1) / 1.5, max(ns, default=10) * 1.5)

    handles, labels = peak_ax.get_legend_handles_labels()
    references = (
        [Line2D([], [], color="black", ls="--", lw=1.3),
         Line2D([], [], color="grey", lw=8, alpha=0.3),
         Line2D([], [], ls="none", marker="v", ms=6, color="dimgrey"), _flag_handle()],
        ["payload: input + output (16 N bytes)",
         f"payload + the interpreters alone (median baseline at P = {p})",
         f"ratio below {RATIO_FLOOR:g} or negative: within the baseline's noise", FLAG_LABEL],
    )
    return _finish(fig, cells, path,
                   [(handles, labels, "strategy"),
                    (*_data_path_legend(drawn["strategy"], references), "lines and markers")],
                   title="Which strategies copy the data: peak memory against problem size",
                   skipped=skipped)


def setup_vs_compute(cells: pd.DataFrame, path) -> Figure:
    """Where each run's time goes at the largest N: set-up, start-up, compute and teardown,
    every strategy at P = cores and `single` at P = 1 (black line), sorted by total.

    Read it as: set-up is placing the data where the workers can reach it (reading the input
    into shared memory, a mapping, or the parent's own array). A zero-copy strategy pays it
    once and then computes about as fast as the cores allow; a copying strategy pays in its
    compute part instead, pickling or piping slices to the workers and back. Bars are
    medians of each phase over the repeats; the label is the median total.
    """
    cells = _clean(cells)
    ran = cells[(cells["skipped"] == "") & cells["median_s"].notna()]
    n = int((ran if len(ran) else cells)["n"].max())
    cells, skipped = _prepare(cells[cells["n"] == n])
    p = _usable_p(cells[cells["strategy"] != BASELINE], _cores(cells))
    rows = _at_p(cells, p, "median_s").sort_values("median_s", ascending=False, kind="stable")
    phases = _phases_present(rows)
    factor, unit = _time_unit(rows["median_s"].max() if len(rows) else 0)
    labels = [f"{s} (P = 1)" if s == BASELINE
              else f"{s} (zero-copy)" if data_path(s) == "zero-copy" else s
              for s in rows["strategy"]]
    fig, ax = plt.subplots(figsize=(WIDTH_IN * 0.8, max(3.0, 0.3 * len(rows) + 1.6)),
                           layout="constrained")
    left = np.zeros(len(rows))
    for phase in phases:
        width = factor * rows[f"{phase}_median_s"].to_numpy()
        bars = ax.barh(range(len(rows)), width, left=left, color=PHASE_COLOURS[phase],
                       height=0.72, gid=phase)
        for bar, flagged in zip(bars, rows["flagged"]):
            if flagged:
                bar.set(hatch="///", edgecolor="white")
        left += np.nan_to_num(width)
    totals = factor * rows["median_s"].to_numpy()
    for y, total in enumerate(totals):
        ax.text(max(left[y], total), y, f" {total:.3g} {unit}", va="center", fontsize=8)
    single = rows.loc[rows["strategy"] == BASELINE, "median_s"]
    if len(single):
        t1 = factor * float(single.iloc[0])
        ax.axvline(t1, color="black", lw=1.2, zorder=3)
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.set_xlim(0, max(np.nanmax(np.maximum(left, totals)) if len(rows) else 1, 1e-9) * 1.15)
    ax.set_xlabel(f"median time per run ({unit}): "
                  + " + ".join(PHASE_LABELS[phase] for phase in phases))
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(f"N = {n:,}, P = {p} (single: P = 1)", fontsize=10)
    handles = [Patch(facecolor=PHASE_COLOURS[phase]) for phase in phases]
    return _finish(fig, cells, path,
                   [(handles, [PHASE_LABELS[phase] for phase in phases], "phase"),
                    ([Line2D([], [], color="black", lw=1.2),
                      Patch(facecolor="grey", hatch="///", edgecolor="white")],
                     ["single: the work in one process", FLAG_LABEL], None)],
                   title="Set-up against compute: where each run's time goes at the largest N",
                   skipped=skipped)


def amdahl_fits(cells: pd.DataFrame, fits: pd.DataFrame, path, start_method=None) -> Figure:
    """Amdahl's law fitted to each strategy's speedups at the largest N, one panel each.

    Read it as: points are measured median speedups, the curve is S(p) = 1 / (f + (1 - f)/p)
    with the fitted serial fraction f (± its standard error) in the legend; it is fitted on
    the repeats at 1 < P <= cores and flattens at the core count. A small f means the
    strategy would keep scaling on more cores; f near 1 (threads) means it cannot scale.
    """
    cells, skipped = _prepare(cells)
    cores = _cores(cells)
    n = int(cells["n"].max())
    rows = cells[(cells["n"] == n) & (cells["strategy"] != BASELINE)].dropna(subset=["speedup"])
    fits = fits if fits is not None else pd.DataFrame(columns=["strategy"])
    fits = fits[(fits["n"] == n)] if "n" in fits else fits
    if start_method is not None and "start_method" in fits:
        fits = fits[fits["start_method"].isin([start_method, NO_START_METHOD])]
    colours = strategy_colours(rows["strategy"])
    strategies = [s for s in colours if s != BASELINE]
    columns = 4
    lines = max(1, -(-len(strategies) // columns))
    fig, axes = plt.subplots(lines, columns, figsize=(WIDTH_IN, 2.6 * lines + 0.8), sharex=True,
                             sharey=True, squeeze=False, layout="constrained")
    p_values = sorted(rows["processes"].unique()) or [1]
    ps = np.linspace(1, max(p_values), 200)
    for ax in axes.flat[len(strategies):]:
        ax.set_visible(False)
    for ax, strategy in zip(axes.flat, strategies):
        ax.plot(ps, np.minimum(ps, cores), color="grey", ls=":", lw=1.5)
        ax.axvline(cores, color="dimgrey", lw=0.8)
        for split in ("dynamic", "static"):
            mine = rows[(rows["strategy"] == strategy) & (rows["split"] == split)]
            if mine.empty:
                continue
            mine = mine.groupby("processes", as_index=False).first()
            ax.plot(mine["processes"], mine["speedup"], ls="none", marker="o", ms=4,
                    color=colours[strategy], alpha=1 if split == "dynamic" else 0.55)
            _hollow_flagged(ax, mine, mine["processes"], mine["speedup"], colours[strategy])
            fit = fits[(fits["strategy"] == strategy) & (fits["split"] == split)] \
                if "split" in fits else fits.iloc[0:0]
            if len(fit) and np.isfinite(fit["serial_fraction"].iloc[0]):
                f, se = fit["serial_fraction"].iloc[0], fit["serial_fraction_se"].iloc[0]
                error = f" ± {se:.3f}" if np.isfinite(se) else ""
                ax.plot(ps, amdahl_speedup(f, np.minimum(ps, cores)), color=colours[strategy],
                        ls=SPLIT_STYLES[split], lw=1.2, label=f"{split}: f = {f:.3f}{error}")
        ax.set_title(strategy, fontsize=9)
        ax.legend(fontsize=7, loc="upper left", frameon=False)
        ax.grid(True, alpha=0.3)
        ax.set_xticks(p_values, [str(p) for p in p_values])
    for ax in axes[-1]:
        ax.set_xlabel("processes P")
    for ax in axes[:, 0]:
        ax.set_ylabel("speedup S")
    axes[0, 0].set_ylim(0, max(min(max(p_values), cores) * 1.25, rows["speedup"].max() * 1.1
                               if len(rows) else 1))
    handles = [Line2D([], [], color="black", ls="-"), Line2D([], [], color="black", ls="--"),
               Line2D([], [], ls="none", marker="o", color="black"),
               Line2D([], [], color="grey", ls=":"), _flag_handle()]
    return _finish(fig, rows, path,
                   [(handles, ["Amdahl fit, dynamic split", "Amdahl fit, static split",
                               "measured median", "ideal S = min(P, cores)", FLAG_LABEL], None)],
                   title=f"Amdahl's law fitted to each strategy's speedups, N = {n:,} "
                         f"(f = serial fraction ± standard error)",
                   skipped=skipped)


def _usable_p(rows: pd.DataFrame, cores: int) -> int:
    """The largest measured P that does not exceed the cores (else the smallest P)."""
    p_values = sorted(rows["processes"].unique())
    return max([q for q in p_values if 1 < q <= cores],
               default=min(p_values, default=cores))


# --- shared helpers -----------------------------------------------------------------------


def _lines_vs_processes(cells, path, column, ylabel, efficiency) -> Figure:
    """Speedup or efficiency against P: one panel per N, one line per (strategy, split).

    For a workload that moves data (array: one split only) the largest N alone, where data
    movement weighs most, and the line style tells copying from zero-copy strategies.
    """
    cells = _clean(cells)
    moves_data = _has_payload(cells)
    if moves_data:
        ran = cells[(cells["skipped"] == "") & cells[column].notna()]
        cells = cells[cells["n"] == (ran if len(ran) else cells)["n"].max()]
    cells, skipped = _prepare(cells)
    cores = _cores(cells)
    colours = strategy_colours(cells["strategy"])
    parallel = cells[cells["strategy"] != BASELINE]
    p_values = sorted(parallel["processes"].unique()) or [1]
    series = [
        (s, sp)
        for s in colours
        for sp in ("dynamic", "static")
        if not parallel[(parallel["strategy"] == s) & (parallel["split"] == sp)].empty
    ]
    # Dodge the series a little along x so that coinciding markers stay visible.
    dodge = {key: 2 ** (0.16 * (i / max(len(series) - 1, 1) - 0.5)) for i, key in enumerate(series)}
    x_low, x_high = min(p_values) / 1.35, max(p_values) * 1.35

    fig, axes = _panels(cells, sharey=True,
                        width=WIDTH_IN * (0.6 if cells["n"].nunique() == 1 else 1))
    top = 1.1
    for n, ax in axes.items():
        rows_n = parallel[parallel["n"] == n]
        if efficiency:
            ax.axhline(1.0, color="grey", ls=":", lw=1.8, zorder=1)
            ax.axhline(0.9, color="grey", ls=(0, (1, 4)), lw=1)
        else:  # straight segments between the measured P, like the data lines
            ps = np.array([*p_values, x_high])
            ax.plot(ps, np.minimum(ps, cores), color="grey", ls=":", lw=1.8, zorder=1)
            ax.text(
                x_high / 1.03,
                min(x_high, cores),
                "ideal",
                ha="right",
                va="bottom",
                fontsize=8,
                color="dimgrey",
            )
        for strategy, split in series:
            rows = rows_n[(rows_n["strategy"] == strategy) & (rows_n["split"] == split)]
            rows = rows.groupby("processes", as_index=False).first()
            rows = rows.dropna(subset=[column])
            if rows.empty:
                continue
            x = rows["processes"] * dodge[(strategy, split)]
            ax.plot(
                x,
                rows[column],
                color=colours[strategy],
                ls=DATA_PATH_STYLES[data_path(strategy)] if moves_data else SPLIT_STYLES[split],
                gid=f"{strategy}/{split}",
                lw=1.1,
                alpha=0.85,
                marker="o",
                ms=4,
                zorder=2,
            )
            _hollow_flagged(ax, rows, x, rows[column], colours[strategy])
            top = max(top, rows[column].max() * 1.08)
        if rows_n[column].notna().sum() == 0:
            _no_data(ax, f"no {column} values")
        _mark_cores(ax, cores, x_low, x_high, max(p_values))
        ax.set_xscale("log", base=2)
        ax.set_xticks(p_values, [str(p) for p in p_values])
        ax.minorticks_off()
        ax.set_xlim(x_low, x_high)
        ax.set_xlabel("processes P")
        ax.grid(True, axis="y", alpha=0.3)
        name = "Speedup" if column == "speedup" else "Efficiency"
        ax.set_title(f"{name} over `single` vs. process count\n(N = {n:,})", fontsize=10)
    first = next(iter(axes.values()))
    first.set_ylim(0, top if efficiency else max(top, min(max(p_values), cores) * 1.22))
    first.set_ylabel(ylabel)
    if efficiency:
        for ax in axes.values():
            ax.text(x_low * 1.05, 1.0, "ideal", va="bottom", fontsize=8, color="dimgrey")
            ax.text(x_low * 1.05, 0.9, "0.9", va="top", fontsize=8, color="dimgrey")

    strategy_handles = [
        Line2D([], [], color=colours[s], marker="o", ms=4, lw=1.1,
               ls=DATA_PATH_STYLES[data_path(s)] if moves_data else "-")
        for s in dict.fromkeys(s for s, _ in series)
    ]
    strategy_labels = list(dict.fromkeys(s for s, _ in series))
    style_handles = [
        Line2D([], [], color="black", ls="-", lw=1.1),
        Line2D([], [], color="black", ls="--", lw=1.1),
        Line2D([], [], color="grey", ls=":", lw=1.8),
        _flag_handle(),
    ]
    style_labels = [
        "dynamic split",
        "static split",
        "ideal (E = 1)" if efficiency else "ideal S = min(P, cores)",
        FLAG_LABEL,
    ]
    if moves_data:  # one split: the style tells the data paths apart instead
        style_handles, style_labels = _data_path_legend(
            parallel["strategy"], (style_handles[2:], style_labels[2:]))
    return _finish(
        fig,
        cells,
        path,
        [
            (strategy_handles, strategy_labels, "strategy"),
            (style_handles, style_labels, "line style"),
        ],
        skipped=skipped,
    )


def _data_path_legend(strategies, extra=((), ())) -> tuple[list, list]:
    """Legend entries for the line styles of the data paths among `strategies` (not
    `single`), followed by the `extra` (handles, labels)."""
    paths = [path for path in DATA_PATH_STYLES
             if path in {data_path(s) for s in set(strategies) - {BASELINE}}]
    handles = [Line2D([], [], color="dimgrey", ls=DATA_PATH_STYLES[path], lw=1.2)
               for path in paths]
    return handles + list(extra[0]), [DATA_PATH_LABELS[path] for path in paths] + list(extra[1])


def _panels(cells, sharey, height=PANEL_HEIGHT_IN, width=WIDTH_IN):
    """The shared layout: one subplot per problem size N, side by side, sorted by N."""
    ns = sorted(cells["n"].dropna().unique()) or [0]
    fig, axes = plt.subplots(
        1, len(ns), figsize=(width, height), sharey=sharey, squeeze=False, layout="constrained"
    )
    return fig, {int(n): ax for n, ax in zip(ns, axes[0])}


def _finish(fig, cells, path, legends, title=None, skipped=()) -> Figure:
    """Add the title and host line, legends outside the axes on the right (last, the cells
    not run: `skipped`, from `_skipped_notes`); save the PNG and return the figure."""
    info = _provenance(cells)
    fig.suptitle(f"{title}\n{info}" if title else info, fontsize=11)
    if skipped:
        blank = [Line2D([], [], ls="none")] * len(skipped)
        legends = [*legends, (blank, list(skipped), "not run", {"handlelength": 0,
                                                                 "handletextpad": 0})]
    anchor = 1.0
    for handles, labels, title, *options in legends:
        legend = fig.legend(
            handles,
            labels,
            title=title,
            loc="upper left",
            bbox_to_anchor=(1.0, anchor),
            fontsize=8,
            title_fontsize=9,
            frameon=False,
            alignment="left",
            **(options[0] if options else {}),
        )
        fig.canvas.draw()
        box = legend.get_window_extent().transformed(fig.transFigure.inverted())
        anchor = box.y0 - 0.02
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return fig


def _provenance(cells) -> str:
    def values(column):
        found = cells[column].dropna().astype(str).unique() if column in cells else []
        return " / ".join(sorted(found)) or "?"

    cores = _cores(cells)
    methods = sorted(set(cells["start_method"].dropna().astype(str)) - {NO_START_METHOD}) \
        if "start_method" in cells else []
    return (
        f"{values('workload')} workload · host {values('hostname')} · "
        f"Python {values('python_version')} · {cores} core{'s' if cores != 1 else ''}"
        + (f" · start method {' / '.join(methods)}" if methods else "")
    )


def _mark_cores(ax, cores, x_low, x_high, max_p) -> None:
    """Vertical line at P = cores; shade and label the oversubscribed region P > cores."""
    if not x_low < cores < x_high:
        return
    ax.axvline(cores, color="dimgrey", lw=1)
    ax.text(
        cores,
        0.98,
        f"cores = {cores} ",
        transform=ax.get_xaxis_transform(),
        va="top",
        ha="right",
        fontsize=8,
        color="dimgrey",
    )
    if max_p <= cores:  # nothing measured beyond the cores: no region to shade
        return
    ax.axvspan(cores, x_high, color="grey", alpha=0.08, lw=0)
    ax.text(
        x_high / 1.03,
        0.98,
        "oversubscribed",
        transform=ax.get_xaxis_transform(),
        va="top",
        ha="right",
        fontsize=8,
        color="dimgrey",
        style="italic",
    )


def _hollow_flagged(ax, rows, x, y, colour) -> None:
    """Redraw the markers of flagged (noisy) cells hollow."""
    mask = rows["flagged"].to_numpy()
    if mask.any():
        ax.plot(
            np.asarray(x)[mask],
            np.asarray(y)[mask],
            ls="none",
            marker="o",
            ms=6,
            mfc="white",
            mec=colour,
            mew=1.3,
            zorder=4,
        )


def _flag_handle():
    return Line2D([], [], ls="none", marker="o", ms=6, mfc="white", mec="black", mew=1.3)


def _no_data(ax, message) -> None:
    ax.text(
        0.5,
        0.5,
        message,
        transform=ax.transAxes,
        ha="center",
        va="center",
        color="dimgrey",
        fontsize=9,
    )


def _clean(cells: pd.DataFrame) -> pd.DataFrame:
    """Coerce the columns the figures rely on (a CSV may carry text booleans or blanks)."""
    cells = cells.copy()
    cells["split"] = cells["split"].fillna("none").astype(str)
    for column in ("n", "processes"):
        cells[column] = pd.to_numeric(cells[column], errors="coerce")
    cells = cells.dropna(subset=["n", "processes"]).astype({"n": int, "processes": int})
    for column in ("median_s", "min_s", "max_s", "speedup", "efficiency",
                   *(f"{phase}_median_s" for phase in PHASE_COLOURS), "payload_bytes",
                   "peak_pss_bytes", "baseline_pss_bytes", "pss_over_payload"):
        cells[column] = pd.to_numeric(cells.get(column), errors="coerce")
    for column in ("flagged", "reference"):
        values = cells[column] if column in cells else pd.Series(False, index=cells.index)
        cells[column] = values.map(lambda v: str(v).strip().lower() in {"true", "1", "1.0"})
    if "start_method" not in cells:
        cells["start_method"] = NO_START_METHOD
    cells["start_method"] = cells["start_method"].fillna(NO_START_METHOD).astype(str)
    skipped = cells["skipped"] if "skipped" in cells else pd.Series("", index=cells.index)
    cells["skipped"] = skipped.map(lambda v: "" if pd.isna(v) else str(v).strip())
    return cells


def _prepare(cells: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The cleaned cells that ran, and the legend notes for those that did not."""
    cells = _clean(cells)
    return cells[cells["skipped"] == ""], _skipped_notes(cells)


def _skipped_notes(cells: pd.DataFrame) -> list[str]:
    """One line per strategy with skipped cells: which sizes were not run (a skipped cell
    has no timings or memory, so it is never a data point)."""
    notes = []
    skipped = cells[cells["skipped"] != ""]
    for strategy in _strategy_order(set(skipped["strategy"])):
        mine = cells[cells["strategy"] == strategy]
        not_run = sorted(set(mine.loc[mine["skipped"] != "", "n"]))
        run = sorted(set(mine.loc[mine["skipped"] == "", "n"]))
        if run and min(not_run) > max(run):
            where = f"above N = {max(run):,}"
        else:
            where = "at N = " + ", ".join(f"{n:,}" for n in not_run)
        limit = " (size limit)" if mine["skipped"].str.contains("limit").any() else ""
        notes.append(f"{strategy}: skipped {where}{limit}")
    return notes


def _has_payload(cells: pd.DataFrame) -> bool:
    """Whether these cells move data (array): then memory and the data path matter."""
    return bool(cells["payload_bytes"].notna().any())


def _at_p(cells: pd.DataFrame, p: int, column: str) -> pd.DataFrame:
    """Each strategy's cells at P = p (`single` and reference rows at P = 1) that have a
    value in `column`, one row per (strategy, N): the dynamic split where measured."""
    one_process = (cells["strategy"] == BASELINE) | cells["reference"]
    rows = cells[cells["processes"] == np.where(one_process, 1, p)].dropna(subset=[column])
    rows = rows.sort_values("split", key=lambda s: s != "dynamic", kind="stable")
    return rows.drop_duplicates(["strategy", "n"]).sort_values(["strategy", "n"])


def _phases_present(rows: pd.DataFrame) -> list[str]:
    """The phases any of these rows spent time in (primes has no set-up: it stays out)."""
    return [phase for phase in PHASE_COLOURS
            if (rows[f"{phase}_median_s"].fillna(0) > 0).any()]


def _time_unit(seconds: float) -> tuple[float, str]:
    """Milliseconds below one second, else seconds: (factor from seconds, unit)."""
    return (1.0, "s") if seconds >= 1 else (1000.0, "ms")


def _bytes_formatter() -> FuncFormatter:
    return FuncFormatter(lambda v, _: f"{v / 1e9:g} GB" if v >= 1e9 else f"{v / 1e6:g} MB")


def _cores(cells) -> int:
    cores = pd.to_numeric(cells["cores"], errors="coerce").dropna() if "cores" in cells else []
    return int(cores.max()) if len(cores) else 1


def _strategy_order(names) -> list:
    known = [s for s in KNOWN_STRATEGIES if s in names]
    return known + sorted(set(names) - set(KNOWN_STRATEGIES))
