"""Compare two results sets cell by cell, as pyperf's compare_to does.

For every cell the two sets share: the ratio of medians (B / A), Welch's t-test on the
logarithms of the timed repeats (times are positive and their noise is multiplicative, so a
ratio is what is compared), and a verdict. A set that mixes hosts or Python builds is refused:
its cells could not be told apart.
"""

import numpy as np
import pandas as pd
from scipy import stats

from mpbench.analysis.summary import CELL_KEYS, RUN_KEYS

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
        rows.append({**dict(zip(CELL_KEYS, key)), "median_a_s": np.median(a),
                     "median_b_s": np.median(b), "ratio": ratio, "p_value": p_value,
                     "verdict": verdict(ratio, p_value)})
    if not rows:
        raise ValueError("the two results sets have no cell in common")
    return pd.DataFrame(rows)


def summary_line(table: pd.DataFrame) -> str:
    deviation = (table["ratio"] - 1).abs()
    counts = table["verdict"].value_counts()
    return (f"{len(table)} common cells: {counts.get('faster', 0)} faster, "
            f"{counts.get('slower', 0)} slower, "
            f"{counts.get('no significant difference', 0)} no significant difference; "
            f"medians within {CLOSE:.0%}: {(deviation <= CLOSE).mean():.0%}; "
            f"median |B/A - 1|: {deviation.median():.1%}")
