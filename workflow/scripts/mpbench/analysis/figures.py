"""Figures over the per-cell table (`cells.csv`, one row per benchmark cell).

Every public function takes the cells DataFrame and a PNG path and writes one figure. All
figures colour a strategy the same way (`strategy_colours`), mark cells whose repeats were
noisy (`flagged`, CV > 10 %) with hollow markers or hatched bars, and state the workload,
host, Python version and core count in the title, so that a PNG read on its own is honest
about where it was measured.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from mpbench.registry import BASELINE  # noqa: E402

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
    parallel = cells[cells["strategy"] != BASELINE]
    p_values = sorted(parallel["processes"].unique())
    p = max([q for q in p_values if q <= cores], default=min(p_values, default=cores))
    fig, ax = plt.subplots(figsize=(WIDTH_IN * 0.75, PANEL_HEIGHT_IN * 1.4))
    colours = strategy_colours(cells["strategy"])
    for strategy in colours:
        rows = cells[cells["strategy"] == strategy]
        rows = rows[rows["processes"] == (1 if strategy == BASELINE else p)]
        rows = rows.sort_values("split", key=lambda s: s != "dynamic")  # dynamic first
        rows = rows.groupby("n", as_index=False).first().dropna(subset=["median_s"])
        if rows.empty:
            continue
        baseline = strategy == BASELINE
        yerr = np.vstack([rows["median_s"] - rows["min_s"], rows["max_s"] - rows["median_s"]])
        ax.errorbar(
            rows["n"],
            rows["median_s"],
            yerr=np.nan_to_num(np.clip(yerr, 0, None)),
            color=colours[strategy],
            lw=3 if baseline else 1.2,
            zorder=3 if baseline else 2,
            marker="o",
            ms=4,
            capsize=2,
            label=f"{strategy} (P = 1)" if baseline else strategy,
        )
        _hollow_flagged(ax, rows, rows["n"], rows["median_s"], colours[strategy])
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
    labels.append("flagged: CV > 10 %")
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
        ax.bar_label(bars, labels, padding=2, fontsize=7)
        ax.axvline(0, color="black", lw=0.8)
        low, high = min(0, rows["overhead_ms"].min()), max(0, rows["overhead_ms"].max())
        span = (high - low) or 1.0
        ax.set_xlim(low - 0.05 * span - (0.4 * span if low < 0 else 0), high + 0.45 * span)
        ax.set_xlabel("extra time over single at P = 1 (ms)")
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(True, axis="x", alpha=0.3)
        ax.set_title(f"N = {n:,}", fontsize=10)
    handles = [Patch(facecolor="grey", hatch="///", edgecolor="white")]
    _finish(
        fig,
        cells,
        path,
        [(handles, ["flagged: CV > 10 %"], None)],
        title="Fixed cost of each strategy at P = 1 (extra time over single)",
    )


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
        "flagged: CV > 10 %",
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
    return (
        f"{values('workload')} workload · host {values('hostname')} · "
        f"Python {values('python_version')} · {cores} core{'s' if cores != 1 else ''}"
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
    flagged = cells["flagged"] if "flagged" in cells else pd.Series(False, index=cells.index)
    cells["flagged"] = flagged.map(lambda v: str(v).strip().lower() in {"true", "1", "1.0"})
    return cells


def _cores(cells) -> int:
    cores = pd.to_numeric(cells["cores"], errors="coerce").dropna() if "cores" in cells else []
    return int(cores.max()) if len(cores) else 1


def _strategy_order(names) -> list:
    known = [s for s in KNOWN_STRATEGIES if s in names]
    return known + sorted(set(names) - set(KNOWN_STRATEGIES))
