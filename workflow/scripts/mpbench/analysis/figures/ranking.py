"""At a glance: which strategy is fastest at P = cores, and which differences are findings.

A forest plot: per N, the strategies ranked by speedup over `single` (the median of the
cell's per-round paired ratios T1 / TP), each with its 95 % confidence interval. Reference
rows (another algorithm, not a way to parallelise) stand apart below, never ranked.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter  # noqa: E402

from . import layout  # noqa: E402
from .registry import figure  # noqa: E402
from .style import (  # noqa: E402
    BASELINE,
    CI_LABEL,
    FLAG_LABEL,
    MULTIPROCESSING_START_METHODS,
    REFERENCE_COLOUR,
    UNRESOLVED_LABEL,
    strategy_colours,
)

ROW_IN = 0.24  # inches per row
PANEL_WIDTH_IN, LABEL_IN_PER_CHAR = 3.1, 0.062  # a panel's plot, and its labels per character
MAX_NAME = 24  # characters of a strategy name shown (a user-added name may be longer)
GAP = 1.0  # rows of space between the ranked rows and the reference rows
VALUES_STRIP = 0.17  # the right part of a panel that holds the values
MAX_TICKS = 6  # speedup ticks under a panel
BAND_COLOUR, BAND_ALPHA = "#f2c94c", 0.4


def ranking_p(cells: pd.DataFrame) -> int:
    """The process count the ranking compares at: the machine's cores where measured, else
    the largest measured P below them (else the smallest P measured)."""
    cores = layout.cores_of(cells)
    parallel = cells[(cells["strategy"] != BASELINE) & ~cells["reference"]]
    p_values = sorted(parallel["processes"].unique())
    return max([p for p in p_values if p <= cores], default=min(p_values, default=cores))


def rank_strategies(cells: pd.DataFrame) -> tuple[int, pd.DataFrame]:
    """(P, rows): the rows the figure draws, in drawing order within each N.

    First the strategies at P, fastest first (`rank` 1, 2, ...); an oversubscribed cell is
    never ranked (it comes after them, `rank` NaN): it cannot be the best way to use these
    cores. Last the reference rows (at P = 1), never ranked. `label` names the row: the
    strategy, with the split when the strategies have several (and the start method when
    the cells hold several).
    """
    cells = layout.clean(cells)
    cells = cells[cells["skipped"] == ""].dropna(subset=["speedup"])
    p = ranking_p(cells)
    parallel = cells[
        (cells["strategy"] != BASELINE) & ~cells["reference"] & (cells["processes"] == p)
    ]
    references = cells[cells["reference"]].sort_values("processes", kind="stable")
    references = references.drop_duplicates(["strategy", "n"])
    several_splits = parallel["split"].nunique() > 1
    # an engine's own start method (loky, dask) is part of its strategy, not a variant of it
    multiprocessing_rows = parallel["start_method"].isin(MULTIPROCESSING_START_METHODS)
    several_methods = parallel.loc[multiprocessing_rows, "start_method"].nunique() > 1
    parts = []
    for n in sorted(set(parallel["n"]) | set(references["n"])):
        mine = parallel[parallel["n"] == n].sort_values(
            ["speedup", "strategy"], ascending=[False, True]
        )
        fair = mine[~mine["oversubscribed"]]
        parts.append(fair.assign(rank=np.arange(1, len(fair) + 1, dtype=float), group="ranked"))
        parts.append(mine[mine["oversubscribed"]].assign(rank=np.nan, group="oversubscribed"))
        parts.append(
            references[references["n"] == n]
            .sort_values("speedup", ascending=False)
            .assign(rank=np.nan, group="reference")
        )
    rows = (
        pd.concat(parts, ignore_index=True) if parts else cells.iloc[0:0].assign(rank=[], group=[])
    )

    # a warm pool (started before the timed runs) is not ranked unmarked beside cold ones
    pools = parallel["pool"].nunique() > 1

    def label(row) -> str:
        against = f" vs {row.baseline}" if row.baseline != BASELINE else ""
        if row.group == "reference":
            return f"{row.strategy} (reference{against})"
        extra = [row.split] if several_splits else []
        if several_methods and row.start_method in MULTIPROCESSING_START_METHODS:
            extra.append(row.start_method)
        if pools:
            extra.append(row.pool)
        text = " · ".join([row.strategy, *extra]) + (f" ({against.strip()})" if against else "")
        return text + (" (oversubscribed)" if row.group == "oversubscribed" else "")

    return p, rows.assign(label=[label(row) for row in rows.itertuples()])


def _overlaps(rows: pd.DataFrame, best) -> np.ndarray:
    """Which rows' intervals reach into the interval of the fastest (`best`)."""
    return (
        (rows["speedup_high"] >= best["speedup_low"])
        & (rows["speedup_low"] <= best["speedup_high"])
    ).to_numpy()


@figure(("primes", "array"), section="At a glance", order=0, rows="sweep_and_reference")
def speedup_ranking(cells: pd.DataFrame, path) -> Figure:
    """Strategies ranked by speedup over `single` at P = cores, one panel per N, each point
    with its 95 % confidence interval (a forest plot).

    Read it as: the top row is the fastest strategy at that N; the shaded band is its
    interval, and a bar that reaches into the band is not distinguishably slower (its name is
    bold): differences whose intervals overlap are not findings. The dotted line is the
    ideal speedup (= cores), the solid line 1 (= `single`): a point left of it loses to one
    process. Reference rows (another algorithm, P = 1) stand apart in grey, never ranked.
    "warm" marks a strategy whose workers were started before its timed runs (kept across
    them), "cold" one that starts them in every run; "vs single_mmap" a speedup over another
    one-process baseline than `single` (the one that reads its input as the strategy does).
    """
    cells, skipped = layout.prepare(cells)
    cores = layout.cores_of(cells)
    with_ci = layout.has_ci(cells, "speedup")
    p, rows = rank_strategies(cells)
    ns = sorted(rows["n"].unique()) or sorted(cells["n"].unique()) or [0]
    colours = strategy_colours(cells["strategy"])
    most = max([len(rows[rows["n"] == n]) for n in ns], default=1)
    longest = max([len(label) for label in rows["label"]], default=10)
    fig, axes = layout.panels(
        pd.DataFrame({"n": ns}),
        sharey=False,
        height=max(3.0, ROW_IN * (most + GAP) + 1.3),
        width=max(6.0, len(ns) * (PANEL_WIDTH_IN + LABEL_IN_PER_CHAR * longest)),
    )
    for n, ax in axes.items():
        _panel(ax, rows[rows["n"] == n].reset_index(drop=True), colours, cores, with_ci)
        over = "single" if (rows["baseline"] == BASELINE).all() else "single (or: vs …)"
        ax.set_xlabel(f"speedup over {over} at P = {p} (×, log scale)", fontsize=9)
        ax.set_title(f"N = {n:,}", fontsize=10, fontweight="bold")
        if not (rows["n"] == n).any():
            layout.no_data(ax, f"no speedup at P = {p}")

    lines = (
        [Line2D([], [], color="grey", ls=":", lw=1.8), Line2D([], [], color="black", lw=1.1)],
        [f"ideal speedup = cores = {cores}", "1 = single (one process)"],
    )
    marks = ([layout.ci_handle(horizontal=True)] if with_ci else []) + [layout.flag_handle()]
    labels = ([CI_LABEL] if with_ci else []) + [FLAG_LABEL]
    if with_ci:
        marks += [layout.unresolved_handle(), Patch(facecolor=BAND_COLOUR, alpha=BAND_ALPHA)]
        labels += [UNRESOLVED_LABEL, "band: the fastest's CI; bold names reach into it"]
    rounds = cells["rounds"].dropna() if "rounds" in cells else pd.Series(dtype=float)
    over = (
        (
            f", {int(rounds.min())}"
            + (f"–{int(rounds.max())}" if rounds.max() > rounds.min() else "")
            + " rounds"
        )
        if len(rounds)
        else ""
    )
    interval = f" with 95 % CIs{over}" if with_ci else " (no confidence intervals recorded)"
    where = "cores" if p == cores else f"{p} (the most measured up to {cores} cores)"
    return layout.finish(
        fig,
        cells,
        path,
        [(*lines, None), (marks, labels, None)],
        title=f"Fastest strategies at P = {where}: speedup over single{interval}\n"
        "Differences whose intervals overlap are not findings; reference rows are "
        "not ranked",
        skipped=skipped,
        below=True,
    )


def _panel(ax, rows: pd.DataFrame, colours: dict, cores: int, with_ci: bool) -> None:
    """One N: the rows top down (as `rank_strategies` orders them), each a point with its interval
    and its value in a column at the right edge."""
    placed = _positions(rows)
    ranked = rows[rows["group"] == "ranked"]
    apart = rows["group"] == "reference"
    value = rows["speedup"].to_numpy(float)
    low = rows["speedup_low"].to_numpy(float) if with_ci else value
    high = rows["speedup_high"].to_numpy(float) if with_ci else value
    # the x range (log): the intervals of the strategies, 1 and the ideal; the rightmost
    # strip is kept for the values. A reference row far outside sits at the edge, an arrow.
    x_low = min(np.nanmin([*low[~apart], 1.0]), 1.0) / 1.12
    data_high = max(np.nanmax([*high[~apart], float(cores)]), 1.0) * 1.06
    span = np.log(data_high / x_low)
    x_high = data_high * np.exp(span * VALUES_STRIP / (1 - VALUES_STRIP))
    tied = np.zeros(len(rows), dtype=bool)
    if with_ci and len(ranked):  # the fastest's interval, down the ranked rows
        best = ranked.iloc[0]
        ax.fill_betweenx(
            [-0.7, placed[len(ranked) - 1] + 0.5],
            best["speedup_low"],
            best["speedup_high"],
            color=BAND_COLOUR,
            alpha=BAND_ALPHA,
            lw=0,
            zorder=0,
        )
        tied = _overlaps(rows, best) & (rows["group"] == "ranked").to_numpy()
    for y in placed[1::2]:  # every other row shaded, to follow a row across
        ax.axhspan(y - 0.5, y + 0.5, color="#f3f3f3", lw=0, zorder=-1)
    ax.axvline(1.0, color="black", lw=1.1, zorder=1)
    ax.axvline(cores, color="grey", ls=":", lw=1.8, zorder=1)
    ax.axvspan(data_high, x_high, color="#f4f4f4", lw=0, zorder=0)
    for i, row in rows.iterrows():
        reference = row["group"] == "reference"
        colour = REFERENCE_COLOUR if reference else colours[row["strategy"]]
        y = placed[i]
        if not x_low <= value[i] <= data_high:  # a reference row far outside: at the edge
            edge = data_high / 1.03 if value[i] > data_high else x_low * 1.03
            ax.plot(
                [edge],
                [y],
                ls="none",
                marker=">" if value[i] > data_high else "<",
                ms=7,
                color=colour,
                gid=row["label"],
            )
        else:
            one = rows.iloc[[i]]
            layout.points_with_ci(
                ax,
                one,
                [value[i]],
                [y],
                "speedup",
                colour,
                gid=row["label"],
                horizontal=True,
                ls="none",
                ms=5,
                zorder=3,
            )
            layout.mark_cells(ax, one, [value[i]], [y], colour)
        ax.text(
            0.995,
            y,
            _times(value[i]),
            transform=ax.get_yaxis_transform(),
            ha="right",
            va="center",
            fontsize=8,
            color=REFERENCE_COLOUR if reference else "black",
            fontweight="bold" if tied[i] else "normal",
        )
    ax.set_yticks(placed, [_short(label) for label in rows["label"]], fontsize=8)
    for text, group, bold in zip(ax.get_yticklabels(), rows["group"], tied):
        if group == "reference":
            text.set(color=REFERENCE_COLOUR, style="italic")
        if bold:
            text.set_fontweight("bold")
    if apart.any() and (~apart).any():
        line = placed[apart.to_numpy()].min() - (GAP + 1) / 2
        ax.axhline(line, color="darkgrey", lw=0.8, ls="--")
        ax.text(
            0.01,
            line,
            " reference: not ranked ",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=7.5,
            color="dimgrey",
            style="italic",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0},
        )
    ax.set_ylim((placed.max() if len(placed) else 0) + 0.7, -0.7)  # fastest on top
    ax.set_xscale("log")
    ax.set_xlim(x_low, x_high)
    ticks = _ticks(x_low, data_high)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(FixedLocator([]))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(True, axis="x", which="major", alpha=0.3)
    ax.tick_params(axis="y", length=0)


def _ticks(low: float, high: float) -> list[float]:
    """Round speedups between low and high, as many as fit under a panel: the finest of
    these steps per decade that gives at most MAX_TICKS of them."""
    decades = range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
    for steps in (
        (1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 8),
        (1, 1.5, 2, 3, 5, 7),
        (1, 2, 5),
        (1, 3),
        (1,),
    ):
        ticks = [s * 10**d for d in decades for s in steps if low <= s * 10**d <= high]
        if len(ticks) <= MAX_TICKS:
            return ticks
    return ticks[::2]


def _times(speedup: float) -> str:
    """A speedup as the figure prints it: two decimals, two significant digits below 0.1,
    one decimal from 10, none from 100."""
    if speedup < 0.1:
        return f"{speedup:#.2g}×"
    digits = 0 if speedup >= 100 else 1 if speedup >= 10 else 2
    return f"{speedup:.{digits}f}×"


def _short(label: str, room: int = MAX_NAME) -> str:
    """A strategy name cut to `room` characters (a user's long name), its split kept."""
    name, sep, rest = label.partition(" ")
    return (name[: room - 1] + "…" if len(name) > room else name) + sep + rest


def _positions(rows: pd.DataFrame) -> np.ndarray:
    """y of each row (0 at the top): one per row, a gap before the reference rows."""
    first = np.arange(len(rows)) > 0
    starts = (
        first
        & (rows["group"] == "reference").to_numpy()
        & (rows["group"].shift() != "reference").to_numpy()
    )
    return np.arange(len(rows), dtype=float) + GAP * np.cumsum(starts)
