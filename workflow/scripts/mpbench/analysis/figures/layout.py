"""How the figures are laid out and what they share beyond looks: reading the cells table,
one panel per N, the legends and the host line, the core count, and the marks on a point
(flagged, unresolved, its confidence interval)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from .style import (  # noqa: E402
    BASELINE,
    DATA_PATH_LABELS,
    DATA_PATH_STYLES,
    DPI,
    FLAG_MARKER,
    MARK_MS,
    NO_START_METHOD,
    PANEL_HEIGHT_IN,
    PHASE_COLOURS,
    TEXT_COLUMNS,
    UNRESOLVED_MARKER,
    WIDTH_IN,
    strategy_order,
)

NUMERIC = (
    "median_s",
    "min_s",
    "max_s",
    "speedup",
    "speedup_low",
    "speedup_high",
    "efficiency",
    "efficiency_low",
    "efficiency_high",
    "rounds",
    *(f"{phase}_median_s" for phase in PHASE_COLOURS),
    "payload_bytes",
    "peak_pss_bytes",
    "baseline_pss_bytes",
    "pss_over_payload",
)
# columns that may be absent from an older cells.csv and must then stay absent (`has_ci`)
OPTIONAL = ("speedup_low", "speedup_high", "efficiency_low", "efficiency_high", "rounds")
BOOLEAN = ("flagged", "reference", "unresolved", "oversubscribed")


# --- the table ------------------------------------------------------------------------------


def clean(cells: pd.DataFrame) -> pd.DataFrame:
    """Coerce the columns the figures rely on (a CSV may carry text booleans or blanks)."""
    cells = cells.copy()
    cells["split"] = cells["split"].fillna("none").astype(str)
    for column in ("n", "processes"):
        cells[column] = pd.to_numeric(cells[column], errors="coerce")
    cells = cells.dropna(subset=["n", "processes"]).astype({"n": int, "processes": int})
    for column in NUMERIC:
        if column in cells or column not in OPTIONAL:
            cells[column] = pd.to_numeric(cells.get(column), errors="coerce")
    if "oversubscribed" not in cells:  # as the summary has it
        cells["oversubscribed"] = cells["processes"] > cores_of(cells)
    for column in BOOLEAN:
        values = cells[column] if column in cells else pd.Series(False, index=cells.index)
        cells[column] = values.map(lambda v: str(v).strip().lower() in {"true", "1", "1.0"})
    if "start_method" not in cells:
        cells["start_method"] = NO_START_METHOD
    cells["start_method"] = cells["start_method"].fillna(NO_START_METHOD).astype(str)
    for column, default in TEXT_COLUMNS.items():
        values = cells[column] if column in cells else pd.Series(default, index=cells.index)
        cells[column] = values.map(lambda v, d=default: d if pd.isna(v) else str(v).strip())
    return cells


def prepare(cells: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The cleaned cells that ran, and the legend notes for those that did not."""
    cells = clean(cells)
    return cells[cells["skipped"] == ""], skipped_notes(cells)


def skipped_notes(cells: pd.DataFrame) -> list[str]:
    """One line per strategy with skipped cells: which sizes were not run (a skipped cell
    has no timings or memory, so it is never a data point)."""
    notes = []
    skipped = cells[cells["skipped"] != ""]
    for strategy in strategy_order(set(skipped["strategy"])):
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


def cores_of(cells) -> int:
    cores = pd.to_numeric(cells["cores"], errors="coerce").dropna() if "cores" in cells else []
    return int(cores.max()) if len(cores) else 1


def usable_p(rows: pd.DataFrame, cores: int) -> int:
    """The largest measured P that does not exceed the cores (else the smallest P)."""
    p_values = sorted(rows["processes"].unique())
    return max([q for q in p_values if 1 < q <= cores], default=min(p_values, default=cores))


def at_p(cells: pd.DataFrame, p: int, column: str) -> pd.DataFrame:
    """Each strategy's cells at P = p (`single` and reference rows at P = 1) that have a
    value in `column`, one row per (strategy, N): the dynamic split where measured."""
    one_process = (cells["strategy"] == BASELINE) | cells["reference"]
    rows = cells[cells["processes"] == np.where(one_process, 1, p)].dropna(subset=[column])
    rows = rows.sort_values("split", key=lambda s: s != "dynamic", kind="stable")
    return rows.drop_duplicates(["strategy", "n"]).sort_values(["strategy", "n"])


def has_payload(cells: pd.DataFrame) -> bool:
    """Whether these cells move data (array): then memory and the data path matter."""
    return bool(cells["payload_bytes"].notna().any())


def data_paths(cells: pd.DataFrame) -> dict:
    """strategy -> "copies" or "zero-copy", from the cells' `data_path` column (strategies
    of a workload without data, or of a results folder older than the column, are absent)."""
    known = cells[cells["data_path"].isin(DATA_PATH_STYLES)] if "data_path" in cells else cells[:0]
    return known.groupby("strategy")["data_path"].first().to_dict()


def data_path_style(paths: dict, strategy: str) -> str:
    """The line style of a strategy's data path (solid where the table does not say)."""
    return DATA_PATH_STYLES.get(paths.get(strategy), "-")


def data_path_legend(paths: dict, strategies, extra=((), ())) -> tuple[list, list]:
    """Legend entries for the line styles of the data paths among `strategies` (not
    `single`), followed by the `extra` (handles, labels)."""
    present = {paths.get(s) for s in set(strategies) - {BASELINE}}
    shown = [path for path in DATA_PATH_STYLES if path in present]
    handles = [Line2D([], [], color="dimgrey", ls=DATA_PATH_STYLES[path], lw=1.2) for path in shown]
    return handles + list(extra[0]), [DATA_PATH_LABELS[path] for path in shown] + list(extra[1])


def phases_present(rows: pd.DataFrame) -> list[str]:
    """The phases any of these rows spent time in (primes has no set-up: it stays out)."""
    return [phase for phase in PHASE_COLOURS if (rows[f"{phase}_median_s"].fillna(0) > 0).any()]


# --- confidence intervals -----------------------------------------------------------------


def has_ci(cells: pd.DataFrame, column: str) -> bool:
    """Whether the table carries the 95 % confidence interval of `column` (speedup,
    efficiency): `{column}_low` and `{column}_high`."""
    return f"{column}_low" in cells and f"{column}_high" in cells


def ci_errors(rows: pd.DataFrame, column: str):
    """The 2 x len(rows) distances from each value down to its CI's low end and up to its
    high end (0 where a bound is missing), as errorbar wants them; None when the table has
    no CI columns."""
    if not has_ci(rows, column):
        return None
    value = rows[column].to_numpy(float)
    below = value - rows[f"{column}_low"].to_numpy(float)
    above = rows[f"{column}_high"].to_numpy(float) - value
    return np.nan_to_num(np.clip(np.vstack([below, above]), 0, None))


def points_with_ci(ax, rows, x, y, column, colour, gid=None, horizontal=False, **style):
    """Plot the points (x, y) of `rows`, with the CI of `column` as error bars along y (along
    x if `horizontal`), in the strategy's colour; return the data line (gid `gid`, its bars
    `gid/ci`).

    An older results folder has no CI columns: then the points are drawn without bars, so
    that it still plots (`ci_errors` is None only when the columns are absent).
    """
    errors = ci_errors(rows, column)
    style = {"marker": "o", "ms": 4, "color": colour, **style}
    if errors is None:
        (line,) = ax.plot(x, y, **style)
    else:
        bars = ax.errorbar(
            x,
            y,
            **{"xerr" if horizontal else "yerr": errors},
            ecolor=colour,
            elinewidth=1.1,
            capsize=2,
            capthick=1.1,
            **style,
        )
        line = bars.lines[0]
        for collection in bars.lines[2]:
            collection.set_gid(f"{gid}/ci" if gid else "ci")
    if gid:
        line.set_gid(gid)
    return line


# --- marks on points ------------------------------------------------------------------------


def mark_cells(ax, rows, x, y, colour) -> None:
    """Redraw the markers of flagged cells hollow (their repeats vary by more than 10 % or
    the machine was busy) and those of unresolved cells as diamonds (their 95 % CI is wider
    than ±5 %): hollow diamond when both."""
    flagged = rows["flagged"].to_numpy(bool)
    unresolved = rows["unresolved"].to_numpy(bool) if "unresolved" in rows else flagged & False
    x, y = np.asarray(x), np.asarray(y)
    for mask, marker, face in (
        (flagged & ~unresolved, FLAG_MARKER, "white"),
        (unresolved & ~flagged, UNRESOLVED_MARKER, colour),
        (unresolved & flagged, UNRESOLVED_MARKER, "white"),
    ):
        if mask.any():
            ax.plot(
                x[mask],
                y[mask],
                ls="none",
                marker=marker,
                ms=MARK_MS if marker == FLAG_MARKER else MARK_MS - 0.5,
                mfc=face,
                mec=colour,
                mew=1.3,
                zorder=4,
            )


def flag_handle():
    return Line2D(
        [], [], ls="none", marker=FLAG_MARKER, ms=MARK_MS, mfc="white", mec="black", mew=1.3
    )


def unresolved_handle():
    return Line2D(
        [],
        [],
        ls="none",
        marker=UNRESOLVED_MARKER,
        ms=MARK_MS - 0.5,
        mfc="dimgrey",
        mec="dimgrey",
        mew=1.3,
    )


def ci_handle(horizontal=False):
    """A point with its error bar, for the legend (a tuple: the legend draws one over the
    other)."""
    bar = Line2D(
        [], [], color="dimgrey", marker="_" if horizontal else "|", ms=13, mew=1.1, ls="none"
    )
    return (bar, Line2D([], [], color="dimgrey", marker="o", ms=4, ls="none"))


# --- panels, legends, the saved PNG ---------------------------------------------------------


def panels(cells, sharey, height=PANEL_HEIGHT_IN, width=WIDTH_IN, sharex=False):
    """The shared layout: one subplot per problem size N, side by side, sorted by N."""
    ns = sorted(cells["n"].dropna().unique()) or [0]
    fig, axes = plt.subplots(
        1,
        len(ns),
        figsize=(width, height),
        sharey=sharey,
        sharex=sharex,
        squeeze=False,
        layout="constrained",
    )
    return fig, {int(n): ax for n, ax in zip(ns, axes[0])}


def finish(fig, cells, path, legends, title=None, skipped=(), below=False) -> Figure:
    """Add the title and host line, legends outside the axes on the right (last, the cells
    not run: `skipped`, from `skipped_notes`); save the PNG and return the figure.

    `below`: one legend under the axes instead, its entries in columns (a wide figure)."""
    info = provenance(cells)
    fig.suptitle(f"{title}\n{info}" if title else info, fontsize=11)
    if skipped:
        blank = [Line2D([], [], ls="none")] * len(skipped)
        legends = [
            *legends,
            (blank, list(skipped), "not run", {"handlelength": 0, "handletextpad": 0}),
        ]
    if below:
        handles = [handle for legend in legends for handle in legend[0]]
        labels = [label for legend in legends for label in legend[1]]
        fig.legend(
            handles,
            labels,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=min(len(handles), 3),
            fontsize=9,
            frameon=False,
        )
        legends = []
    anchor = 1.0
    for handles, labels, heading, *options in legends:
        legend = fig.legend(
            handles,
            labels,
            title=heading,
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


def provenance(cells) -> str:
    def values(column):
        found = cells[column].dropna().astype(str).unique() if column in cells else []
        return " / ".join(sorted(found)) or "?"

    cores = cores_of(cells)
    methods = (
        sorted(set(cells["start_method"].dropna().astype(str)) - {NO_START_METHOD})
        if "start_method" in cells
        else []
    )
    # the Slurm node, where it is not the host's own name (summary.node_of)
    node = values("node")
    return (
        f"{values('workload')} workload · host {values('hostname')} · "
        + (f"node {node} · " if node not in ("?", values("hostname")) else "")
        + f"Python {values('python_version')} · {cores} core{'s' if cores != 1 else ''}"
        + (f" · start method {' / '.join(methods)}" if methods else "")
    )


def mark_cores(ax, cores, x_low, x_high, max_p) -> None:
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


def no_data(ax, message) -> None:
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


def time_unit(seconds: float) -> tuple[float, str]:
    """Milliseconds below one second, else seconds: (factor from seconds, unit)."""
    return (1.0, "s") if seconds >= 1 else (1000.0, "ms")


def bytes_formatter() -> FuncFormatter:
    return FuncFormatter(lambda v, _: f"{v / 1e9:g} GB" if v >= 1e9 else f"{v / 1e6:g} MB")
