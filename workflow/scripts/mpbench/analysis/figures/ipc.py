"""The IPC workload's figures, over its per-cell table (`ipc_cells.csv`) and cost lines
(`ipc_costs.csv`, mpbench.analysis.ipc): what one message costs and how fast data moves,
against the floor (a raw os.pipe round trip) and the ceiling (one core's memory copy).

Each mechanism keeps one colour in every figure; the two references are drawn black
(raw_pipe, the floor) and grey (memcpy, the ceiling), dashed, never as mechanisms.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

from . import layout  # noqa: E402
from .registry import figure  # noqa: E402
from .style import DPI  # noqa: E402

FLOOR, CEILING = "raw_pipe", "memcpy"
REFERENCE_STYLE = {FLOOR: ("black", "--"), CEILING: ("dimgrey", "--")}
# the mechanisms of docs/ipc.md, in legend order; a user-added one takes a colour after them
_KNOWN = {
    "pipe_bytes": "#c51b7d",
    "pipe_pickle": "#e7298a",
    "queue": "#ff7f0e",
    "simple_queue": "#d95f02",
    "manager_queue": "#e377c2",
    "remote_manager": "#7b4173",
    "shared_memory": "#01665e",
    "mmap_anonymous": "#e6ab02",
    "value_lock": "#bcbd22",
    "rawvalue_lock": "#17becf",
}
_EXTRA = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#637939", "#843c39")


def mechanism_colours(names) -> dict:
    names = set(names) - set(REFERENCE_STYLE)
    known = [m for m in _KNOWN if m in names]
    extra = sorted(names - set(_KNOWN))
    colours = {m: _KNOWN[m] for m in known}
    colours.update({m: _EXTRA[i % len(_EXTRA)] for i, m in enumerate(extra)})
    return colours


def size_label(n: float) -> str:
    """64 B, 4 KiB, 64 MiB, 1 MiB + 3 B is '1 MiB' (approximately): an axis label."""
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= factor:
            value = n / factor
            return (
                f"{value:.0f} {unit}"
                if value >= 10 or value == int(value)
                else f"{value:.1g} {unit}"
            )
    return f"{n:.0f} B"


def _seconds_formatter():
    def text(value, _):
        for unit, factor in (("s", 1), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
            if value >= factor:
                return f"{value / factor:g} {unit}"
        return f"{value:g} s"

    return FuncFormatter(text)


def _rate_formatter():
    def text(value, _):
        for unit, factor in (("GB/s", 1e9), ("MB/s", 1e6), ("kB/s", 1e3)):
            if value >= factor:
                return f"{value / factor:g} {unit}"
        return f"{value:g} B/s"

    return FuncFormatter(text)


def _finish(fig, cells, path, title, handles, labels) -> Figure:
    fig.suptitle(f"{title}\n{layout.provenance(cells)}", fontsize=11)
    if handles:
        fig.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=8,
            frameon=False,
        )
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return fig


def _no_data(ax, message):
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color="grey")


def _size_axis(ax, sizes):
    ax.set_xscale("log", base=2)
    ticks = sorted(set(sizes))
    ax.set_xticks(ticks)
    ax.set_xticklabels([size_label(t) for t in ticks], rotation=30, fontsize=8)
    ax.set_xlabel("message size N")


def _ticks_125(ax, formatter) -> None:
    """x ticks at 1, 2, 5 x 10^k inside the drawn range (a log axis over less than a decade
    has no major tick of its own), labelled by `formatter`, minor ticks unlabelled."""
    low, high = ax.get_xlim()
    ticks = [
        m * 10.0**k
        for k in range(int(np.floor(np.log10(low))) - 1, int(np.ceil(np.log10(high))) + 1)
        for m in (1, 2, 5)
    ]
    inside = [t for t in ticks if low <= t <= high]
    if len(inside) > 7:
        inside = [t for t in inside if f"{t:e}".startswith("1")]
    ax.set_xticks(inside)
    ax.xaxis.set_major_formatter(formatter)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(low, high)


def _errors(rows, value, low, high):
    v = rows[value].to_numpy(float)
    return np.vstack([v - rows[low].to_numpy(float), rows[high].to_numpy(float) - v])


def _mechanisms(cells):
    return cells[~cells["reference"].astype(bool)]


@figure("ipc", section="At a glance", order=0, rows="all")
def ipc_at_a_glance(cells: pd.DataFrame, path, costs=None) -> Figure:
    """Each mechanism at one point: its round trip for the smallest message (x) against its
    share of the memory-copy ceiling for the largest (y), one sender, with 95 % intervals.

    Read it as: up and to the left is better at both; the dashed vertical line is the raw
    os.pipe round trip (nothing that crosses the kernel does better), the dashed horizontal
    line the ceiling (a copy within one process). A mechanism shown at one end only has
    only one pattern (a counter has neither: see the cost lines).
    """
    one = cells[cells["processes"] == 1]
    small = one[one["pattern"] == "pingpong"]
    small = small[small["n"] == small["n"].min()] if len(small) else small
    large = one[(one["pattern"] == "stream") & one["ceiling_share"].notna()]
    large = large[large["n"] == large["n"].max()] if len(large) else large
    fig, ax = plt.subplots(figsize=(8.5, 5.2), layout="constrained")
    colours = mechanism_colours(cells["mechanism"])
    handles, labels = [], []
    floor = small[small["mechanism"] == FLOOR]["latency_median_s"]
    for name, colour in colours.items():
        x_row = small[small["mechanism"] == name]
        y_row = large[large["mechanism"] == name]
        if x_row.empty or y_row.empty:
            continue
        x, y = x_row.iloc[0], y_row.iloc[0]
        share_low = y["throughput_low_Bps"] / y["ceiling_Bps"]
        share_high = y["throughput_high_Bps"] / y["ceiling_Bps"]
        ax.errorbar(
            [x["latency_median_s"]],
            [y["ceiling_share"]],
            xerr=[
                [x["latency_median_s"] - x["latency_low_s"]],
                [x["latency_high_s"] - x["latency_median_s"]],
            ],
            yerr=[[y["ceiling_share"] - share_low], [share_high - y["ceiling_share"]]],
            fmt="o",
            color=colour,
            ms=7,
            capsize=2,
        )
        ax.annotate(
            name,
            (x["latency_median_s"], y["ceiling_share"]),
            xytext=(6, 5 - 12 * (len(handles) % 2)),  # alternate sides: close points
            textcoords="offset points",
            fontsize=8,
            color=colour,
        )
        handles.append(Line2D([], [], color=colour, marker="o", ls="none"))
        labels.append(name)
    if len(floor):
        ax.axvline(float(floor.iloc[0]), color="black", ls="--", lw=1)
        handles.append(Line2D([], [], color="black", ls="--"))
        labels.append(f"raw os.pipe round trip at {size_label(small['n'].min())} (floor)")
    ax.axhline(1.0, color="dimgrey", ls="--", lw=1)
    handles.append(Line2D([], [], color="dimgrey", ls="--"))
    labels.append("memory copy in one process (ceiling)")
    if not handles[:-1]:
        _no_data(ax, "needs pingpong and stream cells at P = 1 and the memcpy reference")
    ax.set_xscale("log")
    _ticks_125(ax, _seconds_formatter())
    small_n = size_label(small["n"].min()) if len(small) else "?"
    large_n = size_label(large["n"].max()) if len(large) else "?"
    ax.set_xlabel(f"round trip of a {small_n} message, median (log scale; left is better)")
    ax.set_ylabel(f"throughput of {large_n} messages, share of the ceiling (log scale)")
    # log scale: the mechanisms sit at a few percent of the ceiling, which must stay in view
    shares = [*large["ceiling_share"].dropna(), 1.0]
    ax.set_yscale("log")
    ax.set_ylim(min(shares) / 1.6, max(shares) * 1.6)
    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _: f"{v:.0%}" if v >= 0.01 else f"{v:.1%}")
    )
    ax.grid(True, which="both", alpha=0.3)
    return _finish(
        fig,
        cells,
        path,
        "Which mechanism for what: small-message latency against large-message throughput",
        handles,
        labels,
    )


def _panel_per_p(cells, rows=1, height=4.2):
    ps = sorted(cells["processes"].unique()) or [1]
    fig, axes = plt.subplots(
        rows, len(ps), figsize=(5.2 * len(ps), height * rows), squeeze=False, layout="constrained"
    )
    return ps, fig, axes


@figure("ipc", section="Latency", order=10, rows="all")
def latency_vs_size(cells: pd.DataFrame, path, costs=None) -> Figure:
    """Round-trip time of one message against its size (pingpong), log-log, one panel per
    number of senders P; points are medians with their 95 % intervals, the small hollow
    marks the 99th percentile. The dashed black line is the raw os.pipe round trip: the
    floor. With P > 1 the senders take turns at one receiver, so a round trip includes the
    wait for the others'.
    """
    rows = cells[cells["pattern"] == "pingpong"]
    ps, fig, axes = _panel_per_p(rows)
    colours = mechanism_colours(rows["mechanism"])
    for p, ax in zip(ps, axes[0]):
        here = rows[rows["processes"] == p]
        if here.empty:
            _no_data(ax, f"no pingpong cell at P = {p}")
            continue
        for name, group in here.groupby("mechanism"):
            group = group.sort_values("n")
            colour, style = REFERENCE_STYLE.get(name, (colours.get(name), "-"))
            ax.errorbar(
                group["n"],
                group["latency_median_s"],
                yerr=_errors(group, "latency_median_s", "latency_low_s", "latency_high_s"),
                color=colour,
                ls=style,
                marker="o" if name not in REFERENCE_STYLE else None,
                ms=4,
                capsize=2,
                lw=1.4,
            )
            ax.plot(
                group["n"],
                group["latency_p99_s"],
                ls="none",
                marker="o",
                mfc="none",
                ms=3,
                color=colour,
                alpha=0.7,
            )
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(_seconds_formatter())
        _size_axis(ax, here["n"])
        ax.set_ylabel("round trip (median; hollow: p99)")
        ax.set_title(f"P = {p} sender{'s' if p > 1 else ''}", fontsize=10, fontweight="bold")
        ax.grid(True, which="both", alpha=0.3)
    handles, labels = _legend(rows, colours)
    return _finish(fig, rows, path, "Latency: round trip by message size", handles, labels)


def _legend(rows, colours):
    handles, labels = [], []
    for name, colour in colours.items():
        if name in set(rows["mechanism"]):
            handles.append(Line2D([], [], color=colour, marker="o", ms=4))
            labels.append(name)
    for name, (colour, style) in REFERENCE_STYLE.items():
        if name in set(rows["mechanism"]):
            handles.append(Line2D([], [], color=colour, ls=style))
            labels.append(f"{name} ({'floor' if name == FLOOR else 'ceiling'}, reference)")
    return handles, labels


@figure("ipc", section="Throughput", order=20, rows="all")
def throughput_vs_size(cells: pd.DataFrame, path, costs=None) -> Figure:
    """Streaming throughput against message size (top, log-log) and as a share of the
    memory-copy ceiling (bottom), one column per number of senders P, medians over batches
    with 95 % intervals. The dashed grey line is one core copying memory (numpy.copyto): no
    mechanism that copies the data can pass it for long; a share near 1 means the mechanism
    costs little beyond that copy, a share of 0.1 that nine tenths of the time go elsewhere
    (pickling, system calls, locks, a server process in between).
    """
    rows = cells[cells["pattern"] == "stream"]
    ps, fig, axes = _panel_per_p(rows, rows=2, height=3.6)
    colours = mechanism_colours(rows["mechanism"])
    ceiling = rows[rows["mechanism"] == CEILING].groupby("n")["throughput_Bps"].max()
    for column, p in enumerate(ps):
        top, bottom = axes[0][column], axes[1][column]
        here = rows[(rows["processes"] == p) & (rows["mechanism"] != CEILING)]
        if here.empty:
            _no_data(top, f"no stream cell at P = {p}")
            continue
        if len(ceiling):
            top.plot(ceiling.index, ceiling.values, color="dimgrey", ls="--", lw=1.4)
            bottom.axhline(1.0, color="dimgrey", ls="--", lw=1)
        for name, group in here.groupby("mechanism"):
            group = group.sort_values("n")
            colour, style = REFERENCE_STYLE.get(name, (colours.get(name), "-"))
            marker = None if name in REFERENCE_STYLE else "o"
            top.errorbar(
                group["n"],
                group["throughput_Bps"],
                yerr=_errors(group, "throughput_Bps", "throughput_low_Bps", "throughput_high_Bps"),
                color=colour,
                ls=style,
                marker=marker,
                ms=4,
                capsize=2,
            )
            bottom.plot(
                group["n"], group["ceiling_share"], color=colour, ls=style, marker=marker, ms=4
            )
        top.set_yscale("log")
        top.yaxis.set_major_formatter(_rate_formatter())
        top.set_ylabel("throughput (bytes/s)")
        top.set_title(f"P = {p} sender{'s' if p > 1 else ''}", fontsize=10, fontweight="bold")
        bottom.set_ylabel("share of the memory-copy ceiling")
        bottom.set_ylim(0, max(1.1, float(np.nanmax([*here["ceiling_share"], 0])) * 1.1))
        for ax in (top, bottom):
            _size_axis(ax, here["n"])
            ax.grid(True, which="both", alpha=0.3)
    handles, labels = _legend(rows, colours)
    return _finish(fig, rows, path, "Throughput: bytes per second by message size", handles, labels)


@figure("ipc", section="Cost model", order=30, rows="all")
def cost_lines(cells: pd.DataFrame, path, costs=None) -> Figure:
    """Each mechanism's cost line, time per message = a + b × N, fitted over every size (one
    sender): a, the fixed cost of a message (left), and 1 / b, the bandwidth it tends to for
    large messages (right), each with its 95 % interval, per pattern. A counter (one size)
    has only a, its cost per update. Read a to choose for many small messages, 1 / b for
    few large ones; the references (grey) bound both.
    """
    costs = pd.DataFrame() if costs is None else costs
    rows = costs[costs["processes"] == 1] if len(costs) else costs
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(11, 0.9 + 0.32 * max(len(rows), 4)), layout="constrained", sharey=True
    )
    if rows.empty:
        for ax in (left, right):
            _no_data(ax, "no cost line")
        return _finish(fig, cells, path, "Cost lines: a + b × N per message", [], [])
    rows = rows.sort_values(["reference", "pattern", "a_s"], ascending=[True, True, False])
    labels = [f"{m} · {p}" for m, p in zip(rows["mechanism"], rows["pattern"])]
    y = np.arange(len(rows))
    colours = mechanism_colours(rows["mechanism"])
    colour = [REFERENCE_STYLE.get(m, (colours.get(m), "-"))[0] for m in rows["mechanism"]]
    a = rows["a_s"].to_numpy(float)
    a_low = np.clip(rows["a_low_s"].to_numpy(float), a * 1e-3, None)
    a_high = rows["a_high_s"].to_numpy(float)
    bw = rows["bandwidth_Bps"].to_numpy(float)
    bw_low = 1 / rows["b_high_s_per_byte"].to_numpy(float)
    b_low = rows["b_low_s_per_byte"].to_numpy(float)
    bw_high = np.where(b_low > 0, 1 / np.where(b_low > 0, b_low, 1), np.nan)
    for i in range(len(rows)):
        if a[i] > 0:
            left.errorbar(
                a[i],
                y[i],
                xerr=[[a[i] - a_low[i]], [max(a_high[i] - a[i], 0)]]
                if np.isfinite(a_high[i])
                else None,
                fmt="o",
                color=colour[i],
                capsize=2,
            )
        if np.isfinite(bw[i]):
            high = bw_high[i] if np.isfinite(bw_high[i]) else bw[i]
            right.errorbar(
                bw[i],
                y[i],
                xerr=[[bw[i] - max(bw_low[i], 0)], [high - bw[i]]],
                fmt="o",
                color=colour[i],
                capsize=2,
            )
    left.set_yticks(y)
    left.set_yticklabels(labels, fontsize=8)
    left.invert_yaxis()
    left.set_xscale("log")
    _ticks_125(left, _seconds_formatter())
    left.set_xlabel("a: fixed cost per message (log; left is better)")
    right.set_xscale("log")
    _ticks_125(right, _rate_formatter())
    right.set_xlabel("1 / b: bandwidth for large messages (log; right is better)")
    for ax in (left, right):
        ax.grid(True, which="both", axis="x", alpha=0.3)
    return _finish(
        fig, cells, path, "Cost lines: time per message = a + b × N (one sender)", [], []
    )
