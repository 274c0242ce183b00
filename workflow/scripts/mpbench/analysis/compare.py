"""Compare two results sets cell by cell, as pyperf's compare_to does.

For every cell the two sets share: the ratio of medians (B / A), Welch's t-test on the
logarithms of the timed repeats (times are positive and their noise is multiplicative, so a
ratio is what is compared; Welch's form because the two sets need not be equally noisy),
the matching 95 % confidence interval of the ratio of geometric means, and a verdict. A set
that mixes hosts or Python builds is refused: its cells could not be told apart.
"""

import textwrap

import numpy as np
import pandas as pd
from scipy import stats

from mpbench.analysis.summary import CELL_KEYS, CV_FLAG, RUN_KEYS

ALPHA = 0.05  # significance level of the verdict
CLOSE = 0.05  # "reproduced" when the medians agree within 5 %


class MixedResults(ValueError):
    pass


def _single_run(repeats: pd.DataFrame, label: str) -> tuple:
    runs = repeats[RUN_KEYS].drop_duplicates()
    if len(runs) != 1:
        described = "; ".join(", ".join(map(str, row)) for row in runs.itertuples(index=False))
        raise MixedResults(f"results set {label} mixes {len(runs)} hosts or Python builds "
                           f"({described}): compare one at a time")
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


def compare(repeats_a: pd.DataFrame, repeats_b: pd.DataFrame) -> pd.DataFrame:
    """One row per common cell: medians, ratio B / A, p-value and verdict ("faster" = B faster)."""
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
        rows.append({**dict(zip(CELL_KEYS, key)), "median_a_s": np.median(a),
                     "median_b_s": np.median(b), "ratio": ratio, "ci_low": low, "ci_high": high,
                     "p_value": p_value, "verdict": verdict(ratio, p_value),
                     "cv_a": cv_a, "cv_b": cv_b,
                     "steady": bool(cv_a <= CV_FLAG and cv_b <= CV_FLAG)})
    if not rows:
        raise ValueError("the two results sets have no cell in common")
    return pd.DataFrame(rows)


def summary_line(table: pd.DataFrame) -> str:
    deviation = (table["ratio"] - 1).abs()
    counts = table["verdict"].value_counts()
    steady = deviation[table["steady"]]
    return (f"{len(table)} common cells: {counts.get('faster', 0)} faster, "
            f"{counts.get('slower', 0)} slower, "
            f"{counts.get('no significant difference', 0)} no significant difference; "
            f"medians within {CLOSE:.0%}: {(deviation <= CLOSE).mean():.0%} of all cells, "
            f"{(steady <= CLOSE).sum()} of {len(steady)} cells with CV <= {CV_FLAG:.0%} in both "
            f"({(steady <= CLOSE).mean() if len(steady) else float('nan'):.0%}); "
            f"median |B/A - 1|: {deviation.median():.1%}")


VERDICT_COLOURS = {"faster": "#2ca02c", "slower": "#d62728", "no significant difference": "#7f7f7f"}


def figure(table: pd.DataFrame, path, label_a: str, label_b: str) -> None:
    """Ratio B / A of every common cell against its time in A, with its 95 % interval.

    Read it as: a point below 1 is a cell where B is faster; colour is the verdict; the band
    is +-5 %. The slowest cells (right) are the most stable ones on a noisy machine.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    fig, ax = plt.subplots(figsize=(10, 5.2), layout="constrained")
    ax.axhspan(1 - CLOSE, 1 + CLOSE, color="grey", alpha=0.12, lw=0)
    ax.axhline(1, color="black", lw=0.8)
    for name, colour in VERDICT_COLOURS.items():
        rows = table[table["verdict"] == name]
        if rows.empty:
            continue
        errors = np.vstack([rows["ratio"] - rows["ci_low"], rows["ci_high"] - rows["ratio"]])
        ax.errorbar(rows["median_a_s"], rows["ratio"], yerr=np.nan_to_num(np.clip(errors, 0, None)),
                    ls="none", marker="o", ms=4, color=colour, elinewidth=0.7, alpha=0.8,
                    label=f"{name} ({len(rows)})")
    ax.set(xscale="log", yscale="log", xlabel="median time in A (s)",
           ylabel="ratio of medians B / A (below 1: B faster)")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.grid(True, which="both", alpha=0.25)
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="grey", alpha=0.3, lw=8))
    labels.append(f"within {CLOSE:.0%}")
    ax.legend(handles, labels, title="verdict (Welch, p < 0.05)", fontsize=8, loc="best")
    summary = textwrap.fill(f"B vs. A, cell by cell: {summary_line(table)}", 120)
    ax.set_title(f"{summary}\nA = {label_a}\nB = {label_b}", fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def describe(repeats: pd.DataFrame) -> str:
    """Host and interpreter of a (single-run) results set, for figure titles."""
    host, version, build = _single_run(repeats, "")
    return f"{host}, Python {version} ({build})"
