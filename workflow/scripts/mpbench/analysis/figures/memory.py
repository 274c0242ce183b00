"""Memory and data movement (array): peak memory against N in payloads, and set-up against
compute at the largest N. Which strategies copy the data is the cells' `data_path` column."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from . import layout  # noqa: E402
from .registry import figure  # noqa: E402
from .style import (  # noqa: E402
    BASELINE,
    FLAG_LABEL,
    PANEL_HEIGHT_IN,
    PHASE_COLOURS,
    PHASE_LABELS,
    WIDTH_IN,
    strategy_colours,
)

SECTION = "Time and memory"
# (peak PSS - the interpreters' baseline) / payload: 1 is one copy of input and output; the
# issue's bound for a zero-copy strategy is 1.25
ONE_COPY, ZERO_COPY_BOUND = 1.0, 1.25
RATIO_FLOOR = 0.25  # below it (or negative) the ratio is the baseline's noise, not a copy


@figure("array", section=SECTION, order=20)
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
    cells, skipped = layout.prepare(cells)
    p = layout.usable_p(cells[cells["strategy"] != BASELINE], layout.cores_of(cells))
    paths = layout.data_paths(cells)
    drawn = layout.at_p(cells, p, "peak_pss_bytes")
    colours = strategy_colours(drawn["strategy"])
    # spread the triangles of the strategies that reach the floor, so none hides another
    floored = [
        s
        for s in colours
        if (drawn.loc[drawn["strategy"] == s, "pss_over_payload"] < RATIO_FLOOR).any()
    ]
    floor_dodge = {s: 1.12 ** (i - (len(floored) - 1) / 2) for i, s in enumerate(floored)}
    fig, (peak_ax, ratio_ax) = plt.subplots(
        1, 2, figsize=(WIDTH_IN, PANEL_HEIGHT_IN * 1.35), layout="constrained"
    )
    for strategy, colour in colours.items():
        rows = drawn[drawn["strategy"] == strategy]
        baseline = strategy == BASELINE
        style = {
            "color": colour,
            "lw": 3 if baseline else 1.3,
            "marker": "o",
            "ms": 4,
            "zorder": 3 if baseline else 2,
            "ls": "-" if baseline else layout.data_path_style(paths, strategy),
        }
        label = f"{strategy} (P = 1)" if baseline else strategy
        peak_ax.plot(rows["n"], rows["peak_pss_bytes"], label=label, gid=strategy, **style)
        flagged_only = rows.assign(unresolved=False)  # a memory point has no speedup CI
        layout.mark_cells(peak_ax, flagged_only, rows["n"], rows["peak_pss_bytes"], colour)
        ratio = flagged_only.dropna(subset=["pss_over_payload"])
        below = ratio["pss_over_payload"] < RATIO_FLOOR
        # a ratio under the floor is noise of the baseline: a marker at the edge, no line
        ratio_ax.plot(ratio["n"], ratio["pss_over_payload"].mask(below), gid=strategy, **style)
        ratio_ax.plot(
            ratio.loc[below, "n"] * floor_dodge.get(strategy, 1),
            np.full(below.sum(), RATIO_FLOOR),
            ls="none",
            marker="v",
            ms=6,
            color=colour,
            zorder=style["zorder"],
        )
        layout.mark_cells(
            ratio_ax,
            ratio[~below],
            ratio.loc[~below, "n"],
            ratio.loc[~below, "pss_over_payload"],
            colour,
        )

    ns = sorted(drawn["n"].unique()) or sorted(cells["n"].unique())
    payload = cells.groupby("n")["payload_bytes"].median().reindex(ns)
    if drawn.empty:  # say so, rather than leave two empty axes
        for ax in (peak_ax, ratio_ax):
            layout.no_data(ax, f"no memory sample at P = {p}")
    peak_ax.plot(ns, payload, color="black", ls="--", lw=1.3, gid="payload", zorder=4)
    parallel = drawn[drawn["strategy"] != BASELINE]
    interpreters = parallel if parallel["baseline_pss_bytes"].notna().any() else drawn
    interpreters = interpreters.groupby("n")["baseline_pss_bytes"].median().reindex(ns)
    peak_ax.plot(
        ns,
        payload + interpreters,
        color="grey",
        lw=12,
        alpha=0.3,
        solid_capstyle="butt",
        gid="payload+baseline",
        zorder=1,
    )
    peak_ax.set(xscale="log", xlabel="problem size N", ylabel="peak PSS of the process tree")
    if len(drawn) or payload.notna().any():
        peak_ax.set_yscale("log")
        peak_ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        peak_ax.yaxis.set_major_formatter(layout.bytes_formatter())
        peak_ax.yaxis.set_minor_formatter(NullFormatter())
    peak_ax.set_title(f"Peak memory (PSS, summed over the process tree), P = {p}", fontsize=10)

    for level, text, style in (
        (ONE_COPY, "1: one copy of input and output", ":"),
        (ZERO_COPY_BOUND, "1.25: bound for zero-copy", "--"),
    ):
        ratio_ax.axhline(level, color="dimgrey", ls=style, lw=1.2, zorder=1)
        ratio_ax.text(
            0.01,
            level,
            text,
            transform=ratio_ax.get_yaxis_transform(),
            fontsize=7.5,
            color="dimgrey",
            va="top" if level == ONE_COPY else "bottom",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 1},
        )
    ratio_ax.set(
        xscale="log",
        yscale="log",
        xlabel="problem size N",
        ylabel="(peak PSS − baseline) / payload",
    )
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
        [
            Line2D([], [], color="black", ls="--", lw=1.3),
            Line2D([], [], color="grey", lw=8, alpha=0.3),
            Line2D([], [], ls="none", marker="v", ms=6, color="dimgrey"),
            layout.flag_handle(),
        ],
        [
            "payload: input + output (16 N bytes)",
            f"payload + the interpreters alone (median baseline at P = {p})",
            f"ratio below {RATIO_FLOOR:g} or negative: within the baseline's noise",
            FLAG_LABEL,
        ],
    )
    return layout.finish(
        fig,
        cells,
        path,
        [
            (handles, labels, "strategy"),
            (*layout.data_path_legend(paths, drawn["strategy"], references), "lines and markers"),
        ],
        title="Which strategies copy the data: peak memory against problem size",
        skipped=skipped,
    )


@figure("array", section=SECTION, order=40)
def setup_vs_compute(cells: pd.DataFrame, path) -> Figure:
    """Where each run's time goes at the largest N: set-up, start-up, compute and teardown,
    every strategy at P = cores and `single` at P = 1 (black line), sorted by total.

    Read it as: set-up is placing the data where the workers can reach it (reading the input
    into shared memory, a mapping, or the parent's own array). A zero-copy strategy pays it
    once and then computes about as fast as the cores allow; a copying strategy pays in its
    compute part instead, pickling or piping slices to the workers and back. Bars are
    medians of each phase over the repeats; the label is the median total.
    """
    cells = layout.clean(cells)
    ran = cells[(cells["skipped"] == "") & cells["median_s"].notna()]
    n = int((ran if len(ran) else cells)["n"].max())
    cells, skipped = layout.prepare(cells[cells["n"] == n])
    paths = layout.data_paths(cells)
    p = layout.usable_p(cells[cells["strategy"] != BASELINE], layout.cores_of(cells))
    rows = layout.at_p(cells, p, "median_s").sort_values("median_s", ascending=False, kind="stable")
    phases = layout.phases_present(rows)
    factor, unit = layout.time_unit(rows["median_s"].max() if len(rows) else 0)
    labels = [
        f"{s} (P = 1)"
        if s == BASELINE
        else f"{s} (zero-copy)"
        if paths.get(s) == "zero-copy"
        else s
        for s in rows["strategy"]
    ]
    fig, ax = plt.subplots(
        figsize=(WIDTH_IN * 0.8, max(3.0, 0.3 * len(rows) + 1.6)), layout="constrained"
    )
    left = np.zeros(len(rows))
    for phase in phases:
        width = factor * rows[f"{phase}_median_s"].to_numpy()
        bars = ax.barh(
            range(len(rows)), width, left=left, color=PHASE_COLOURS[phase], height=0.72, gid=phase
        )
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
    ax.set_xlabel(
        f"median time per run ({unit}): " + " + ".join(PHASE_LABELS[phase] for phase in phases)
    )
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(f"N = {n:,}, P = {p} (single: P = 1)", fontsize=10)
    handles = [Patch(facecolor=PHASE_COLOURS[phase]) for phase in phases]
    return layout.finish(
        fig,
        cells,
        path,
        [
            (handles, [PHASE_LABELS[phase] for phase in phases], "phase"),
            (
                [
                    Line2D([], [], color="black", lw=1.2),
                    Patch(facecolor="grey", hatch="///", edgecolor="white"),
                ],
                ["single: the work in one process", FLAG_LABEL],
                None,
            ),
        ],
        title="Set-up against compute: where each run's time goes at the largest N",
        skipped=skipped,
    )
