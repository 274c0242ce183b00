"""Scaling: speedup and efficiency against the process count, time against N, Amdahl fits.

Every speedup and efficiency point carries its 95 % confidence interval as an error bar
(from the cells' `speedup_low` / `speedup_high` and `efficiency_low` / `efficiency_high`);
a cell whose interval is wider than ±5 % (`unresolved`) is drawn as a diamond.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from mpbench.analysis.amdahl import amdahl_speedup  # noqa: E402

from . import layout  # noqa: E402
from .registry import figure  # noqa: E402
from .style import (  # noqa: E402
    BASELINE,
    CI_LABEL,
    FLAG_LABEL,
    PANEL_HEIGHT_IN,
    SPLIT_STYLES,
    UNRESOLVED_LABEL,
    WIDTH_IN,
    in_sweep,
    strategy_colours,
)


@figure("primes", section="Scaling", order=10)
@figure("array", section="Time and memory", order=30)
def speedup_vs_processes(cells: pd.DataFrame, path) -> Figure:
    """Speedup S = T1 / TP over `single` against the process count, one panel per N (a
    workload that moves data, array: the largest N alone).

    Read it as: how close does each strategy come to the grey dotted ideal min(P, cores)?
    Solid lines are the dynamic split, dashed the static one (array: solid copies the
    data, dashed is zero-copy); right of the vertical core line (shaded) processes
    outnumber cores, so no further speedup is possible there. Bars are 95 % confidence
    intervals; diamonds are unresolved cells (interval wider than ±5 %).
    """
    return _lines_vs_processes(cells, path, "speedup", "speedup S = T1 / TP (×)", efficiency=False)


@figure("primes", section="Scaling", order=20)
def efficiency_vs_processes(cells: pd.DataFrame, path) -> Figure:
    """Parallel efficiency E = S / min(P, cores) against the process count, one panel per N.

    Read it as: which fraction of the usable cores each strategy turns into speedup. 1 is
    ideal; above the dotted 0.9 line a strategy wastes less than a tenth of the cores.
    """
    return _lines_vs_processes(
        cells, path, "efficiency", "efficiency E = S / min(P, cores)", efficiency=True
    )


@figure("primes", section="Scaling", order=30, rows="sweep_and_reference")
@figure("array", section="Time and memory", order=10, rows="sweep_and_reference")
def time_vs_n(cells: pd.DataFrame, path) -> Figure:
    """Median wall time against problem size N (log-log), every strategy at P = cores.

    Read it as: where each strategy's line crosses below the thick black `single` line,
    parallelism starts to pay off; flat stretches at small N are fixed start-up cost.
    Uses the dynamic split where measured; bars span the fastest to slowest repeat. For a
    workload that moves data (array), solid lines copy it and dashed ones are zero-copy.
    """
    cells, skipped = layout.prepare(cells)
    cores = layout.cores_of(cells)
    moves_data = layout.has_payload(cells)
    paths = layout.data_paths(cells)
    parallel = cells[(cells["strategy"] != BASELINE) & ~cells["reference"]]
    p_values = sorted(parallel["processes"].unique())
    p = max([q for q in p_values if q <= cores], default=min(p_values, default=cores))
    drawn = layout.at_p(cells, p, "median_s")
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
            style = layout.data_path_style(paths, strategy)
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
        layout.mark_cells(ax, rows.assign(unresolved=False), rows["n"], rows["median_s"], colour)
    ax.set(xscale="log", yscale="log", xlabel="problem size N", ylabel="median time (s)")
    ax.grid(True, which="major", alpha=0.3)
    ax.grid(True, which="minor", alpha=0.1)
    seconds = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(seconds)
    if np.divide(*ax.get_ylim()[::-1]) < 10:  # under one decade: label the minor ticks too
        ax.yaxis.set_minor_formatter(seconds)
    split = (
        "dynamic split where measured"
        if (parallel["split"] == "dynamic").any()
        else " / ".join(sorted(set(parallel["split"]))) + " split"
    )
    ax.set_title(f"Time vs. problem size at P = cores (P = {p}, {split})")
    handles, labels = ax.get_legend_handles_labels()
    flag = ([layout.flag_handle()], [FLAG_LABEL])
    if moves_data:
        legends = [
            (handles, labels, "strategy"),
            (*layout.data_path_legend(paths, drawn["strategy"], flag), "line style"),
        ]
    else:
        legends = [(handles + flag[0], labels + flag[1], "strategy")]
    return layout.finish(fig, cells, path, legends, skipped=skipped)


@figure("primes", section="Scaling", order=40)
def amdahl_fits(
    cells: pd.DataFrame, path, fits: pd.DataFrame | None = None, start_method: str | None = None
) -> Figure:
    """Amdahl's law fitted to each strategy's speedups at the largest N, one panel each.

    Read it as: points are measured speedups with their 95 % confidence intervals, the curve
    is S(p) = 1 / (f + (1 - f)/p) with the fitted serial fraction f (± its standard error)
    in the legend; it is fitted on the repeats at 1 < P <= cores and flattens at the core
    count. A small f means the strategy would keep scaling on more cores; f near 1 (threads)
    means it cannot scale.
    """
    cells, skipped = layout.prepare(cells)
    cores = layout.cores_of(cells)
    n = int(cells["n"].max())
    rows = cells[(cells["n"] == n) & (cells["strategy"] != BASELINE)].dropna(subset=["speedup"])
    fits = fits if fits is not None else pd.DataFrame(columns=["strategy"])
    fits = fits[(fits["n"] == n)] if "n" in fits else fits
    if start_method is not None and "start_method" in fits:
        fits = fits[in_sweep(fits["start_method"], start_method)]
    colours = strategy_colours(rows["strategy"])
    strategies = [s for s in colours if s != BASELINE]
    columns = 4
    lines = max(1, -(-len(strategies) // columns))
    fig, axes = plt.subplots(
        lines,
        columns,
        figsize=(WIDTH_IN, 2.6 * lines + 0.8),
        sharex=True,
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    p_values = sorted(rows["processes"].unique()) or [1]
    ps = np.linspace(1, max(p_values), 200)
    for ax in axes.flat[len(strategies) :]:
        ax.set_visible(False)
    for ax, strategy in zip(axes.flat, strategies):
        ax.plot(ps, np.minimum(ps, cores), color="grey", ls=":", lw=1.5)
        ax.axvline(cores, color="dimgrey", lw=0.8)
        for split in ("dynamic", "static"):
            mine = rows[(rows["strategy"] == strategy) & (rows["split"] == split)]
            if mine.empty:
                continue
            mine = mine.groupby("processes", as_index=False).first()
            layout.points_with_ci(
                ax,
                mine,
                mine["processes"],
                mine["speedup"],
                "speedup",
                colours[strategy],
                gid=f"{strategy}/{split}",
                ls="none",
                alpha=1 if split == "dynamic" else 0.55,
            )
            layout.mark_cells(ax, mine, mine["processes"], mine["speedup"], colours[strategy])
            fit = (
                fits[(fits["strategy"] == strategy) & (fits["split"] == split)]
                if "split" in fits
                else fits.iloc[0:0]
            )
            if len(fit) and np.isfinite(fit["serial_fraction"].iloc[0]):
                f, se = fit["serial_fraction"].iloc[0], fit["serial_fraction_se"].iloc[0]
                error = f" ± {se:.3f}" if np.isfinite(se) else ""
                ax.plot(
                    ps,
                    amdahl_speedup(f, np.minimum(ps, cores)),
                    color=colours[strategy],
                    ls=SPLIT_STYLES[split],
                    lw=1.2,
                    label=f"{split}: f = {f:.3f}{error}",
                )
        ax.set_title(strategy, fontsize=9)
        if ax.get_legend_handles_labels()[0]:  # the fits, where amdahl.csv has them
            ax.legend(fontsize=7, loc="upper left", frameon=False)
        ax.grid(True, alpha=0.3)
        ax.set_xticks(p_values, [str(p) for p in p_values])
    for ax in axes[-1]:
        ax.set_xlabel("processes P")
    for ax in axes[:, 0]:
        ax.set_ylabel("speedup S")
    high = rows["speedup_high"] if layout.has_ci(rows, "speedup") else rows["speedup"]
    axes[0, 0].set_ylim(
        0, max(min(max(p_values), cores) * 1.25, high.max() * 1.1 if high.notna().any() else 1)
    )
    handles = [
        Line2D([], [], color="black", ls="-"),
        Line2D([], [], color="black", ls="--"),
        layout.ci_handle(),
        Line2D([], [], color="grey", ls=":"),
        layout.flag_handle(),
    ]
    labels = [
        "Amdahl fit, dynamic split",
        "Amdahl fit, static split",
        "measured speedup" + (f" ({CI_LABEL})" if layout.has_ci(rows, "speedup") else ""),
        "ideal S = min(P, cores)",
        FLAG_LABEL,
    ]
    if layout.has_ci(rows, "speedup"):
        handles, labels = handles + [layout.unresolved_handle()], labels + [UNRESOLVED_LABEL]
    return layout.finish(
        fig,
        rows,
        path,
        [(handles, labels, None)],
        title=f"Amdahl's law fitted to each strategy's speedups, N = {n:,} "
        f"(f = serial fraction ± standard error)",
        skipped=skipped,
    )


def _lines_vs_processes(cells, path, column, ylabel, efficiency) -> Figure:
    """Speedup or efficiency against P: one panel per N, one line per (strategy, split),
    each point with its 95 % confidence interval.

    For a workload that moves data (array: one split only) the largest N alone, where data
    movement weighs most, and the line style tells copying from zero-copy strategies.
    """
    cells = layout.clean(cells)
    moves_data = layout.has_payload(cells)
    if moves_data:
        ran = cells[(cells["skipped"] == "") & cells[column].notna()]
        cells = cells[cells["n"] == (ran if len(ran) else cells)["n"].max()]
    cells, skipped = layout.prepare(cells)
    cores = layout.cores_of(cells)
    paths = layout.data_paths(cells)
    with_ci = layout.has_ci(cells, column)
    colours = strategy_colours(cells["strategy"])
    parallel = cells[cells["strategy"] != BASELINE]
    p_values = sorted(parallel["processes"].unique()) or [1]
    series = [
        (s, sp)
        for s in colours
        for sp in ("dynamic", "static")
        if not parallel[(parallel["strategy"] == s) & (parallel["split"] == sp)].empty
    ]
    # Dodge the series a little along x so that coinciding markers (and bars) stay visible.
    dodge = {key: 2 ** (0.16 * (i / max(len(series) - 1, 1) - 0.5)) for i, key in enumerate(series)}
    x_low, x_high = min(p_values) / 1.35, max(p_values) * 1.35

    fig, axes = layout.panels(
        cells, sharey=True, width=WIDTH_IN * (0.6 if cells["n"].nunique() == 1 else 1)
    )
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
            style = layout.data_path_style(paths, strategy) if moves_data else SPLIT_STYLES[split]
            layout.points_with_ci(
                ax,
                rows,
                x,
                rows[column],
                column,
                colours[strategy],
                gid=f"{strategy}/{split}",
                ls=style,
                lw=1.1,
                alpha=0.85,
                zorder=2,
            )
            layout.mark_cells(ax, rows, x, rows[column], colours[strategy])
            high = rows[f"{column}_high"] if with_ci else rows[column]
            top = max(top, np.nanmax([rows[column].max(), high.max()]) * 1.08)
        if rows_n[column].notna().sum() == 0:
            layout.no_data(ax, f"no {column} values")
        layout.mark_cores(ax, cores, x_low, x_high, max(p_values))
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
        Line2D(
            [],
            [],
            color=colours[s],
            marker="o",
            ms=4,
            lw=1.1,
            ls=layout.data_path_style(paths, s) if moves_data else "-",
        )
        for s in dict.fromkeys(s for s, _ in series)
    ]
    strategy_labels = list(dict.fromkeys(s for s, _ in series))
    marks = ([layout.flag_handle()], [FLAG_LABEL])
    if with_ci:
        marks = (
            [layout.ci_handle(), layout.unresolved_handle(), *marks[0]],
            [CI_LABEL, UNRESOLVED_LABEL, *marks[1]],
        )
    ideal = (
        [Line2D([], [], color="grey", ls=":", lw=1.8)],
        ["ideal (E = 1)" if efficiency else "ideal S = min(P, cores)"],
    )
    if moves_data:  # one split: the style tells the data paths apart instead
        style_handles, style_labels = layout.data_path_legend(paths, parallel["strategy"], ideal)
    else:
        style_handles = [
            Line2D([], [], color="black", ls="-", lw=1.1),
            Line2D([], [], color="black", ls="--", lw=1.1),
            *ideal[0],
        ]
        style_labels = ["dynamic split", "static split", *ideal[1]]
    return layout.finish(
        fig,
        cells,
        path,
        [
            (strategy_handles, strategy_labels, "strategy"),
            (style_handles, style_labels, "line style"),
            (*marks, "marks"),
        ],
        skipped=skipped,
    )
