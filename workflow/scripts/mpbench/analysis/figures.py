"""Figures over the per-cell table (`cells.csv`, one row per benchmark cell).

`draw(name, cells, path, ...)` writes the figure `name`. Every figure function takes the
cells DataFrame and a PNG path. All figures colour a strategy the same way
(`strategy_colours`), mark flagged cells (CV > 10 % or a busy machine) with hollow markers
or hatched bars, and state the workload, host, Python version, core count and start method
in the title, so that a PNG read on its own is honest about where it was measured.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from mpbench.analysis.amdahl import amdahl_speedup  # noqa: E402
from mpbench.registry import BASELINE, NO_START_METHOD  # noqa: E402

# the figures of the scaling sweep, drawn for one start method (and without reference rows)
SWEEP_FIGURES = ("speedup_vs_processes", "efficiency_vs_processes", "fixed_cost")
METHOD_COLOURS = {"fork": "#4c72b0", "spawn": "#dd8452", "forkserver": "#55a868"}
PHASE_COLOURS = {"startup": "#dd8452", "compute": "#4c72b0", "teardown": "#8c8c8c"}
FLAG_LABEL = "flagged: CV > 10 % or busy machine"


def draw(name: str, cells: pd.DataFrame, path, start_method: str | None = None,
         fits: pd.DataFrame | None = None) -> None:
    """Write figure `name` (a function of this module) from the cells of one workload.

    The scaling figures show one start method (`start_method`, the full sweep's; the cells of
    strategies that start no process always belong); the start-method figures show all.
    """
    cells = _clean(cells)
    sweep = cells
    if start_method is not None:
        sweep = cells[cells["start_method"].isin([start_method, NO_START_METHOD])]
    if name in SWEEP_FIGURES:
        globals()[name](sweep[~sweep["reference"]], path)
    elif name == "time_vs_n":
        time_vs_n(sweep, path)
    elif name == "amdahl_fits":
        amdahl_fits(sweep[~sweep["reference"]], fits, path, start_method)
    else:
        globals()[name](cells, path)

KNOWN_STRATEGIES = (
    "single",
    "threads",
    "process_queue",
    "pool_map",
    "pool_map_async",
    "pool_apply_async",
    "process_pool_executor",
    "manager",
    "sharedctypes_value",
    "sharedctypes_array",
    "shared_numpy",
    "mmap_anonymous",
)
SPLIT_STYLES = {"dynamic": "-", "static": "--", "none": "-"}
WIDTH_IN, PANEL_HEIGHT_IN, DPI = 11.0, 4.2, 110

# Hand-picked, mutually distinct colours for the known strategies (no grey: that is the
# ideal line; black is the baseline), then a qualitative palette for user-added strategies.
_KNOWN_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#e6ab02",
)
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
    """One stable colour per strategy: `single` black, the known strategies in a fixed
    order, then unknown (user-added) names in sorted order after them."""
    names = set(strategies)
    unknown = sorted(names - set(KNOWN_STRATEGIES))
    colours = {BASELINE: "black"}
    for i, name in enumerate([s for s in KNOWN_STRATEGIES if s != BASELINE] + unknown):
        palette = _KNOWN_COLOURS + _EXTRA_COLOURS
        colours[name] = palette[i] if i < len(palette) else plt.get_cmap("hsv")(i * 0.618 % 1)
    return {name: colours[name] for name in _strategy_order(names)}


def speedup_vs_processes(cells: pd.DataFrame, path) -> None:
    """Speedup S = T1 / TP over `single` against the process count, one panel per N.

    Read it as: how close does each strategy come to the grey dotted ideal min(P, cores)?
    Solid lines are the dynamic split, dashed the static one; right of the vertical core
    line (shaded) processes outnumber cores, so no further speedup is possible there.
    """
    _lines_vs_processes(cells, path, "speedup", "speedup S = T1 / TP (×)", efficiency=False)


def efficiency_vs_processes(cells: pd.DataFrame, path) -> None:
    """Parallel efficiency E = S / min(P, cores) against the process count, one panel per N.

    Read it as: which fraction of the usable cores each strategy turns into speedup. 1 is
    ideal; above the dotted 0.9 line a strategy wastes less than a tenth of the cores.
    """
    _lines_vs_processes(
        cells, path, "efficiency", "efficiency E = S / min(P, cores)", efficiency=True
    )


def time_vs_n(cells: pd.DataFrame, path) -> None:
    """Median wall time against problem size N (log-log), every strategy at P = cores.

    Read it as: where each strategy's line crosses below the thick black `single` line,
    parallelism starts to pay off; flat stretches at small N are fixed start-up cost.
    Uses the dynamic split where measured; bars span the fastest to slowest repeat.
    """
    cells = _clean(cells)
    cores = _cores(cells)
    parallel = cells[(cells["strategy"] != BASELINE) & ~cells["reference"]]
    p_values = sorted(parallel["processes"].unique())
    p = max([q for q in p_values if q <= cores], default=min(p_values, default=cores))
    fig, ax = plt.subplots(figsize=(WIDTH_IN * 0.75, PANEL_HEIGHT_IN * 1.4))
    colours = strategy_colours(cells["strategy"])
    references = set(cells.loc[cells["reference"], "strategy"])
    for strategy in colours:
        rows = cells[cells["strategy"] == strategy]
        rows = rows[rows["processes"] == (1 if strategy == BASELINE or strategy in references else p)]
        rows = rows.sort_values("split", key=lambda s: s != "dynamic")  # dynamic first
        rows = rows.groupby("n", as_index=False).first().dropna(subset=["median_s"])
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
        ax.errorbar(
            rows["n"],
            rows["median_s"],
            yerr=np.nan_to_num(np.clip(yerr, 0, None)),
            color=colour,
            ls="--" if reference else "-",
            lw=3 if baseline else 1.8 if reference else 1.2,
            zorder=3 if baseline else 2,
            marker="s" if reference else "o",
            ms=4,
            capsize=2,
            label=label,
        )
        _hollow_flagged(ax, rows, rows["n"], rows["median_s"], colour)
    ax.set(xscale="log", yscale="log", xlabel="problem size N", ylabel="median time (s)")
    ax.grid(True, which="major", alpha=0.3)
    ax.grid(True, which="minor", alpha=0.1)
    seconds = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(seconds)
    if np.divide(*ax.get_ylim()[::-1]) < 10:  # under one decade: label the minor ticks too
        ax.yaxis.set_minor_formatter(seconds)
    ax.set_title(f"Time vs. problem size at P = cores (P = {p}, dynamic split where measured)")
    handles, labels = ax.get_legend_handles_labels()
    handles.append(_flag_handle())
    labels.append(FLAG_LABEL)
    _finish(fig, cells, path, [(handles, labels, "strategy")])


def fixed_cost(cells: pd.DataFrame, path) -> None:
    """Each strategy's fixed cost: extra time of its P = 1 run over `single`, in milliseconds.

    Read it as: what a strategy costs before any parallelism (start-up, pickling, proxies).
    Bars are sorted per N, cheapest at the top, labelled in ms and in percent of `single`;
    hatched bars had noisy repeats (CV > 10 %). A fixed cost stays about the same in ms as N
    grows, so its share shrinks: at small N it dwarfs the work, at large N it is a few percent.
    """
    cells = _clean(cells)
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
    _finish(
        fig,
        cells,
        path,
        [(handles, [FLAG_LABEL], None)],
        title="Fixed cost of each strategy at P = 1 (extra time over single)",
    )


def startup_cost(cells: pd.DataFrame, path) -> None:
    """Start-up and teardown of each process-based strategy under each start method, in ms.

    Read it as: what creating the workers (until every one is running) and closing them
    costs before any work is done, per start method. Measured at P = cores; each bar is the
    median over the problem sizes measured (start-up does not depend on N), dynamic split
    where measured. fork copies the parent; spawn starts a fresh interpreter per worker that
    re-imports the main script; forkserver forks each worker from a server process.
    """
    cells = _clean(cells)
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
    for ax, column, label in ((axes[0], "startup_ms", "start-up"), (axes[1], "teardown_ms", "teardown")):
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
    _finish(fig, cells, path,
            [(handles, methods, "start method"),
             ([Patch(facecolor="grey", hatch="///", edgecolor="white")], [FLAG_LABEL], None)],
            title="What starting and stopping the workers costs, per start method")


def phases_small_n(cells: pd.DataFrame, path) -> None:
    """Where the time goes at the smallest N: start-up, compute and teardown, against `single`.

    Read it as: a bar that ends right of the black line is slower than doing the work in one
    process. At small N the work is a few milliseconds, and starting and stopping the workers
    (orange and grey) costs more than the work itself; the compute part alone (blue) is what
    parallelism can shrink. P = cores, dynamic split where measured, every start method.
    """
    cells = _clean(cells)
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
    left = np.zeros(len(rows))
    for phase, colour in PHASE_COLOURS.items():
        ms = 1000 * rows[f"{phase}_median_s"].to_numpy()
        ax.barh(range(len(rows)), ms, left=left, color=colour, height=0.75, label=phase)
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
    ax.set_xlabel("median time per run (ms): start-up + compute + teardown")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(f"N = {n:,}, P = {p}", fontsize=10)
    handles = [Patch(facecolor=c) for c in PHASE_COLOURS.values()] + [
        Line2D([], [], color="black", lw=1.5)]
    _finish(fig, at_n, path,
            [(handles, ["start-up", "compute", "teardown", "single (one process)"], "phase")],
            title="Why parallel code can lose at small N: where each run's time goes")


def amdahl_fits(cells: pd.DataFrame, fits: pd.DataFrame, path, start_method=None) -> None:
    """Amdahl's law fitted to each strategy's speedups at the largest N, one panel each.

    Read it as: points are measured median speedups, the curve is S(p) = 1 / (f + (1 - f)/p)
    with the fitted serial fraction f (± its standard error) in the legend; it is fitted on
    the repeats at 1 < P <= cores and flattens at the core count. A small f means the
    strategy would keep scaling on more cores; f near 1 (threads) means it cannot scale.
    """
    cells = _clean(cells)
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
    _finish(fig, rows, path,
            [(handles, ["Amdahl fit, dynamic split", "Amdahl fit, static split",
                        "measured median", "ideal S = min(P, cores)", FLAG_LABEL], None)],
            title=f"Amdahl's law fitted to each strategy's speedups, N = {n:,} "
                  f"(f = serial fraction ± standard error)")


def _usable_p(rows: pd.DataFrame, cores: int) -> int:
    """The largest measured P that does not exceed the cores (else the smallest P)."""
    p_values = sorted(rows["processes"].unique())
    return max([q for q in p_values if 1 < q <= cores],
               default=min(p_values, default=cores))


# --- shared helpers -----------------------------------------------------------------------


def _lines_vs_processes(cells, path, column, ylabel, efficiency) -> None:
    """Speedup or efficiency against P: one panel per N, one line per (strategy, split)."""
    cells = _clean(cells)
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

    fig, axes = _panels(cells, sharey=True)
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
                ls=SPLIT_STYLES[split],
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
        Line2D([], [], color=colours[s], marker="o", ms=4, lw=1.1)
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
    _finish(
        fig,
        cells,
        path,
        [
            (strategy_handles, strategy_labels, "strategy"),
            (style_handles, style_labels, "line style"),
        ],
    )


def _panels(cells, sharey, height=PANEL_HEIGHT_IN):
    """The shared layout: one subplot per problem size N, side by side, sorted by N."""
    ns = sorted(cells["n"].dropna().unique()) or [0]
    fig, axes = plt.subplots(
        1, len(ns), figsize=(WIDTH_IN, height), sharey=sharey, squeeze=False, layout="constrained"
    )
    return fig, {int(n): ax for n, ax in zip(ns, axes[0])}


def _finish(fig, cells, path, legends, title=None) -> None:
    """Add the title and host line, legends outside the axes on the right; save the PNG."""
    info = _provenance(cells)
    fig.suptitle(f"{title}\n{info}" if title else info, fontsize=11)
    anchor = 1.0
    for handles, labels, title in legends:
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
        )
        fig.canvas.draw()
        box = legend.get_window_extent().transformed(fig.transFigure.inverted())
        anchor = box.y0 - 0.02
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)


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
    for column in ("median_s", "min_s", "max_s", "speedup", "efficiency"):
        cells[column] = pd.to_numeric(cells.get(column), errors="coerce")
    for column in ("flagged", "reference"):
        values = cells[column] if column in cells else pd.Series(False, index=cells.index)
        cells[column] = values.map(lambda v: str(v).strip().lower() in {"true", "1", "1.0"})
    if "start_method" not in cells:
        cells["start_method"] = NO_START_METHOD
    cells["start_method"] = cells["start_method"].fillna(NO_START_METHOD).astype(str)
    for column in ("startup_median_s", "compute_median_s", "teardown_median_s"):
        cells[column] = pd.to_numeric(cells.get(column), errors="coerce")
    return cells


def _cores(cells) -> int:
    cores = pd.to_numeric(cells["cores"], errors="coerce").dropna() if "cores" in cells else []
    return int(cores.max()) if len(cores) else 1


def _strategy_order(names) -> list:
    known = [s for s in KNOWN_STRATEGIES if s in names]
    return known + sorted(set(names) - set(KNOWN_STRATEGIES))
