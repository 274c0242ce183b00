"""Compare two results sets cell by cell, as pyperf's compare_to does.

For every cell the two sets share: the ratio of medians (B / A), Welch's t-test on the
logarithms of the timed repeats (times are positive and their noise is multiplicative, so a
ratio is what is compared; Welch's form because the two sets need not be equally noisy),
the matching 95 % confidence interval of the ratio of geometric means, and a verdict. A set
that mixes hosts, Slurm nodes or Python builds is refused: its cells could not be told apart.

Times alone cannot tell a change of machine from a change of strategy: a host 20 % slower
makes every cell slower. So each cell is compared on its paired speedup too (results sets
with paired rounds: every round times the baseline `single` beside the strategy): the
speedup of each set (median of its rounds' ratios T1 / TP, with the distribution-free 95 %
interval of mpbench.stats), their ratio B / A, Welch's test and interval on the logarithms
of the rounds' ratios, and a verdict ("higher" = B's speedup is higher). Sets made before
paired rounds have no baseline times: their speedup columns are NaN, times still compare.
"""

import textwrap

import numpy as np
import pandas as pd
from scipy import stats

from mpbench import stats as paired
from mpbench.analysis.summary import CELL_KEYS, CV_FLAG, RUN_KEYS, with_node

ALPHA = 0.05  # significance level of the verdict
CLOSE = 0.05  # "reproduced" when the medians (or the speedups) agree within 5 %
LONG_BASELINE_S = 0.05  # speedups are judged on cells whose single takes >= 50 ms in A
SPEEDUP_COLUMNS = [
    "speedup_a",
    "speedup_a_low",
    "speedup_a_high",
    "speedup_b",
    "speedup_b_low",
    "speedup_b_high",
    "t1_a_s",
    "speedup_ratio",
    "speedup_ci_low",
    "speedup_ci_high",
    "speedup_p_value",
    "speedup_verdict",
    "speedups_agree",
    "intervals_overlap",
]


class MixedResults(ValueError):
    pass


def _single_run(repeats: pd.DataFrame, label: str, advice: str = "compare one at a time") -> tuple:
    runs = with_node(repeats)[RUN_KEYS].drop_duplicates()
    if len(runs) != 1:
        described = "; ".join(", ".join(map(str, row)) for row in runs.itertuples(index=False))
        raise MixedResults(
            f"results set {label} mixes {len(runs)} hosts, nodes or Python builds ({described}): "
            f"{advice}"
        )
    return tuple(runs.iloc[0])


def verdict(ratio: float, p_value: float) -> str:
    if np.isnan(p_value) or p_value >= ALPHA:
        return "no significant difference"
    return "faster" if ratio < 1 else "slower"


def _welch_interval(log_a: np.ndarray, log_b: np.ndarray) -> tuple[float, float]:
    """95 % confidence interval of exp(mean log B - mean log A), Welch-Satterthwaite."""
    if len(log_a) < 2 or len(log_b) < 2:
        return np.nan, np.nan
    va, vb = log_a.var(ddof=1) / len(log_a), log_b.var(ddof=1) / len(log_b)
    difference = log_b.mean() - log_a.mean()
    if va + vb == 0:
        return float(np.exp(difference)), float(np.exp(difference))
    dof = (va + vb) ** 2 / (va**2 / (len(log_a) - 1) + vb**2 / (len(log_b) - 1))
    half = stats.t.ppf(1 - ALPHA / 2, dof) * np.sqrt(va + vb)
    return float(np.exp(difference - half)), float(np.exp(difference + half))


def _cv(times: np.ndarray) -> float:
    return float(times.std(ddof=1) / times.mean()) if len(times) > 1 else np.nan


def _welch_p_value(log_a: np.ndarray, log_b: np.ndarray) -> float:
    if len(log_a) < 2 or len(log_b) < 2:
        return np.nan  # one repeat: no spread to test against
    if np.ptp(log_a) == 0 and np.ptp(log_b) == 0:  # no spread at all: the test is undefined
        return 1.0 if log_a[0] == log_b[0] else 0.0
    return float(stats.ttest_ind(log_a, log_b, equal_var=False).pvalue)


def speedup_verdict(log_a: np.ndarray, log_b: np.ndarray, p_value: float) -> str:
    """Higher or lower: B's speedup against A's, in the direction of the tested difference
    (of the mean log ratios, so that the verdict never contradicts the interval)."""
    if np.isnan(p_value) or p_value >= ALPHA:
        return "no significant difference"
    return "higher" if log_b.mean() > log_a.mean() else "lower"


def _paired(cell: pd.DataFrame):
    """The cell's paired speedup and its rounds' ratios, or None without baseline times."""
    if "baseline_s" not in cell.columns or cell["baseline_s"].isna().any():
        return None, None
    t1, tp = cell["baseline_s"].to_numpy(float), cell["total_s"].to_numpy(float)
    return paired.paired_speedup(list(t1), list(tp)), t1 / tp


def _speedups(cell_a: pd.DataFrame, cell_b: pd.DataFrame) -> dict:
    """The speedup columns of one common cell (NaN / missing where a set has no baseline)."""
    (a, ratios_a), (b, ratios_b) = _paired(cell_a), _paired(cell_b)
    row = dict.fromkeys(SPEEDUP_COLUMNS, np.nan)
    row.update(speedup_verdict="", speedups_agree=None, intervals_overlap=None)
    for label, speedup in (("a", a), ("b", b)):
        if speedup is not None:
            row.update(
                {
                    f"speedup_{label}": speedup.value,
                    f"speedup_{label}_low": speedup.low,
                    f"speedup_{label}_high": speedup.high,
                }
            )
    if a is not None:
        row["t1_a_s"] = float(np.median(cell_a["baseline_s"]))
    if a is None or b is None:
        return row
    log_a, log_b = np.log(ratios_a), np.log(ratios_b)
    ratio = b.value / a.value
    p_value = _welch_p_value(log_a, log_b)
    low, high = _welch_interval(log_a, log_b)
    row.update(
        speedup_ratio=ratio,
        speedup_ci_low=low,
        speedup_ci_high=high,
        speedup_p_value=p_value,
        speedup_verdict=speedup_verdict(log_a, log_b, p_value),
        speedups_agree=bool(abs(ratio - 1) <= CLOSE),
        intervals_overlap=bool(a.low <= b.high and b.low <= a.high),
    )
    return row


def compare(repeats_a: pd.DataFrame, repeats_b: pd.DataFrame) -> pd.DataFrame:
    """One row per common cell: medians, ratio B / A, p-value and verdict ("faster" = B
    faster); then the paired speedups of A and B with their intervals, the median baseline
    time in A (t1_a_s), the speedup ratio B / A with its interval, p-value and verdict
    ("higher" = B's speedup higher), whether the speedups agree within 5 % and whether their
    intervals overlap (NaN / empty where a set has no baseline times)."""
    _single_run(repeats_a, "A")
    _single_run(repeats_b, "B")
    rows = []
    grouped_b = dict(list(repeats_b.groupby(CELL_KEYS)))
    for key, cell_a in repeats_a.groupby(CELL_KEYS):
        if key not in grouped_b:
            continue
        a, b = cell_a["total_s"].to_numpy(), grouped_b[key]["total_s"].to_numpy()
        ratio = np.median(b) / np.median(a)
        p_value = _welch_p_value(np.log(a), np.log(b))
        low, high = _welch_interval(np.log(a), np.log(b))
        cv_a, cv_b = _cv(a), _cv(b)
        rows.append(
            {
                **dict(zip(CELL_KEYS, key)),
                "median_a_s": np.median(a),
                "median_b_s": np.median(b),
                "ratio": ratio,
                "ci_low": low,
                "ci_high": high,
                "p_value": p_value,
                "verdict": verdict(ratio, p_value),
                "cv_a": cv_a,
                "cv_b": cv_b,
                "steady": bool(cv_a <= CV_FLAG and cv_b <= CV_FLAG),
                **_speedups(cell_a, grouped_b[key]),
            }
        )
    if not rows:
        raise ValueError("the two results sets have no cell in common")
    table = pd.DataFrame(rows)
    for column in ("speedups_agree", "intervals_overlap"):
        table[column] = table[column].astype("boolean")
    return table


def long_baseline(table: pd.DataFrame) -> pd.DataFrame:
    """The cells whose speedups are judged: both sets paired, single >= 50 ms in A (shorter
    cells are dominated by start-up jitter and say little about reproducibility)."""
    both = table["speedup_a"].notna() & table["speedup_b"].notna()
    return table[both & (table["t1_a_s"] >= LONG_BASELINE_S)]


def speedup_line(table: pd.DataFrame) -> str:
    """The headline reproducibility metric: the share of cells whose paired speedups agree
    within 5 % and whose intervals overlap, among those where single takes >= 50 ms in A."""
    subset = f"single >= {LONG_BASELINE_S * 1000:g} ms"
    if table["speedup_ratio"].isna().all():
        return "paired speedups: none (a results set without baseline times)"
    cells = long_baseline(table)
    if cells.empty:
        return f"paired speedups ({subset}): no cell"
    agree, overlap = int(cells["speedups_agree"].sum()), int(cells["intervals_overlap"].sum())
    counts = cells["speedup_verdict"].value_counts()
    return (
        f"paired speedups ({subset}, {len(cells)} cells): "
        f"{agree / len(cells):.0%} agree within {CLOSE:.0%} ({agree} of {len(cells)}), "
        f"{overlap / len(cells):.0%} of intervals overlap ({overlap} of {len(cells)}); "
        f"{counts.get('higher', 0)} higher, {counts.get('lower', 0)} lower"
    )


def summary_line(table: pd.DataFrame) -> str:
    deviation = (table["ratio"] - 1).abs()
    counts = table["verdict"].value_counts()
    steady = deviation[table["steady"]]
    return (
        f"{len(table)} common cells: {counts.get('faster', 0)} faster, "
        f"{counts.get('slower', 0)} slower, "
        f"{counts.get('no significant difference', 0)} no significant difference; "
        f"medians within {CLOSE:.0%}: {(deviation <= CLOSE).mean():.0%} of all cells, "
        f"{(steady <= CLOSE).sum()} of {len(steady)} cells with CV <= {CV_FLAG:.0%} in both "
        f"({(steady <= CLOSE).mean() if len(steady) else float('nan'):.0%}); "
        f"median |B/A - 1|: {deviation.median():.1%}; {speedup_line(table)}"
    )


VERDICT_COLOURS = {"faster": "#2ca02c", "slower": "#d62728", "no significant difference": "#7f7f7f"}
SPEEDUP_COLOURS = {"higher": "#2ca02c", "lower": "#d62728", "no significant difference": "#7f7f7f"}


def _ratio_panel(ax, table, x, y, low, high, verdicts, colours, title, legend_title) -> None:
    import matplotlib
    from matplotlib.lines import Line2D

    ax.axhspan(1 - CLOSE, 1 + CLOSE, color="grey", alpha=0.12, lw=0)
    ax.axhline(1, color="black", lw=0.8)
    for name, colour in colours.items():
        rows = table[(verdicts == name) & table[x].notna() & table[y].notna()]
        if rows.empty:
            continue
        errors = np.vstack([rows[y] - rows[low], rows[high] - rows[y]])
        ax.errorbar(
            rows[x],
            rows[y],
            yerr=np.nan_to_num(np.clip(errors, 0, None)),
            ls="none",
            marker="o",
            ms=4,
            color=colour,
            elinewidth=0.7,
            alpha=0.8,
            label=f"{name} ({len(rows)})",
        )
    ax.set(xscale="log", yscale="log")
    formatter = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}")
    # ratios sit near 1: label 1.2 and 1.5 too, not only 2, 3, ... of each decade
    ax.yaxis.set_minor_locator(matplotlib.ticker.LogLocator(subs=(1.2, 1.5, *range(2, 10))))
    ax.yaxis.set_major_formatter(formatter)
    ax.yaxis.set_minor_formatter(formatter)
    ax.grid(True, which="both", alpha=0.25)
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="grey", alpha=0.3, lw=8))
    labels.append(f"within {CLOSE:.0%}")
    ax.legend(handles, labels, title=legend_title, fontsize=8, title_fontsize=8, loc="best")
    ax.set_title(title, fontsize=9, loc="left")


def figure(table: pd.DataFrame, path, label_a: str, label_b: str) -> None:
    """Two panels (one, times only, without baseline times), one point per common cell with
    its 95 % interval, the grey band +-5 %.

    Top: the ratio of the strategy's median times B / A against its time in A (below 1: B
    faster; colour is the verdict). The slowest cells (right) are the most stable ones on a
    noisy machine. Bottom: the ratio of paired speedups B / A against the baseline's median
    time in A (above 1: B's speedup higher); a machine that is slower or faster as a whole
    moves the top panel, not this one. Cells left of the dotted line (single < 50 ms) are
    left out of the summary's agreement shares.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paired_rounds = bool(table["speedup_ratio"].notna().any())
    if paired_rounds:
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 9.5), layout="constrained")
    else:  # a set made before paired rounds: times only
        fig, top = plt.subplots(figsize=(10, 5.2), layout="constrained")
    _ratio_panel(
        top,
        table,
        "median_a_s",
        "ratio",
        "ci_low",
        "ci_high",
        table["verdict"],
        VERDICT_COLOURS,
        "strategy times: ratio of medians B / A (below 1: B faster)",
        "verdict (Welch on log times, p < 0.05)",
    )
    top.set(xlabel="strategy's median time in A (s)", ylabel="median time B / A")
    if paired_rounds:
        _ratio_panel(
            bottom,
            table,
            "t1_a_s",
            "speedup_ratio",
            "speedup_ci_low",
            "speedup_ci_high",
            table["speedup_verdict"],
            SPEEDUP_COLOURS,
            "paired speedups: B / A (above 1: B's speedup higher); "
            "interval: Welch on the log ratios of the rounds",
            "verdict (Welch on log round ratios, p < 0.05)",
        )
        bottom.axvline(LONG_BASELINE_S, color="black", ls=":", lw=1)
        bottom.annotate(
            f"single {LONG_BASELINE_S * 1000:g} ms",
            (LONG_BASELINE_S, 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -3),
            textcoords="offset points",
            fontsize=7,
            va="top",
        )
        bottom.set(xlabel="baseline (single) median time in A (s)", ylabel="speedup B / A")
    summary = textwrap.fill(f"B vs. A, cell by cell: {summary_line(table)}", 130)
    fig.suptitle(f"{summary}\nA = {label_a}\nB = {label_b}", fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _robust_sd(values) -> float:
    """1.4826 times the median absolute deviation: the SD of normal data, unmoved by the
    few rounds a neighbour or an allocation stall slows down."""
    values = np.asarray(values, dtype=float)
    return float(1.4826 * np.median(np.abs(values - np.median(values)))) if len(values) else np.nan


def variance_components(repeats_a: pd.DataFrame, repeats_b: pd.DataFrame) -> pd.DataFrame:
    """Where the noise of a paired speedup comes from, per workload and N (log scale, robust
    SDs, medians over cells and both sets):

    - sd_log_t1, sd_log_tp: how much the baseline's and the strategy's times vary from round
      to round within a run; sd_log_ratio: how much their ratio does (what pairing leaves);
    - expected_sd_between_runs: how far two runs' speedups should differ from round-to-round
      noise alone, sqrt(2 * pi/2 * sd_log_ratio^2 / rounds) (the median of k values varies
      pi/2 times as much as their mean);
    - observed_sd_between_runs: how far they did differ (over the cells);
      between_run_excess: the part round noise does not explain (the host between runs).
    """
    rows = []
    grouped_b = dict(list(repeats_b.groupby(CELL_KEYS)))
    per_cell = []
    for key, cell_a in repeats_a.groupby(CELL_KEYS):
        cell_b = grouped_b.get(key)
        if cell_b is None or "baseline_s" not in cell_a or cell_a["baseline_s"].isna().any():
            continue
        logs = {}
        for label, cell in (("a", cell_a), ("b", cell_b)):
            logs[label] = {
                "t1": np.log(cell["baseline_s"]),
                "tp": np.log(cell["total_s"]),
                "ratio": np.log(cell["baseline_s"] / cell["total_s"]),
            }
        per_cell.append(
            {
                **dict(zip(CELL_KEYS, key)),
                "t1_a_s": float(cell_a["baseline_s"].median()),
                "rounds": (len(cell_a) + len(cell_b)) / 2,
                **{
                    f"sd_log_{name}": np.median([_robust_sd(logs[s][name]) for s in "ab"])
                    for name in ("t1", "tp", "ratio")
                },
                "log_ratio_b_over_a": float(
                    np.median(logs["b"]["ratio"]) - np.median(logs["a"]["ratio"])
                ),
            }
        )
    cells = pd.DataFrame(per_cell)
    for (workload, n), group in cells.groupby(["workload", "n"]):
        sd_ratio, rounds = group["sd_log_ratio"].median(), group["rounds"].median()
        expected = float(np.sqrt(2 * np.pi / 2 * sd_ratio**2 / rounds))
        observed = _robust_sd(group["log_ratio_b_over_a"])
        rows.append(
            {
                "workload": workload,
                "n": n,
                "cells": len(group),
                "t1_s": group["t1_a_s"].median(),
                "rounds": rounds,
                "sd_log_t1": group["sd_log_t1"].median(),
                "sd_log_tp": group["sd_log_tp"].median(),
                "sd_log_ratio": sd_ratio,
                "expected_sd_between_runs": expected,
                "observed_sd_between_runs": observed,
                "between_run_excess": float(np.sqrt(max(0.0, observed**2 - expected**2))),
            }
        )
    return pd.DataFrame(rows)


def describe(repeats: pd.DataFrame) -> str:
    """Host and interpreter of a (single-run) results set, for figure titles."""
    host, node, version, build = _single_run(repeats, "")
    where = host if node == host else f"{host}, node {node}"
    return f"{where}, Python {version} ({build})"
