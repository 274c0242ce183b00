"""Amdahl's law fitted to each strategy's measured speedups.

Amdahl: with a serial fraction f, the speedup on p cores is S(p) = 1 / (f + (1 - f) / p).
Rearranged, 1/S - 1/p = f (1 - 1/p): a line through the origin in x = 1 - 1/p, so f is a
least-squares slope. Every timed round at 1 < P <= cores is one point (S = T1 / TP of that
round, T1 timed beside TP); P = 1 carries no information about f
(x = 0) and P > cores is oversubscription, not Amdahl's model, so neither is fitted. The
standard error comes from the scatter of the points around the line; it does not include
a model error. On a 2-core machine the only usable p is 2, and f is the mean
Karp-Flatt fraction of the rounds; more cores give the fit its shape.
"""

import numpy as np
import pandas as pd

from mpbench.analysis.summary import RUN_KEYS

GROUP_KEYS = ["workload", "strategy", "start_method", "split", "n"]


def amdahl_speedup(serial_fraction, p):
    """S(p) = 1 / (f + (1 - f) / p)."""
    p = np.asarray(p, dtype=float)
    return 1.0 / (serial_fraction + (1.0 - serial_fraction) / p)


def fit_serial_fraction(processes, speedups) -> tuple[float, float, int]:
    """(f, standard error of f, points used) from speedups measured at p > 1 cores."""
    p = np.asarray(processes, dtype=float)
    s = np.asarray(speedups, dtype=float)
    keep = (p > 1) & np.isfinite(s) & (s > 0)
    p, s = p[keep], s[keep]
    if len(p) == 0:
        return np.nan, np.nan, 0
    x, y = 1 - 1 / p, 1 / s - 1 / p
    f = float(x @ y / (x @ x))
    if len(p) < 2:
        return f, np.nan, 1
    residual = y - f * x
    se = float(np.sqrt(residual @ residual / (len(p) - 1) / (x @ x)))
    return f, se, int(len(p))


def fit_table(repeats: pd.DataFrame) -> pd.DataFrame:
    """One row per (strategy, start method, split, N, host, interpreter) with P > 1 cells."""
    points = repeats[(repeats["processes"] > 1) & (repeats["processes"] <= repeats["cores"])]
    rows = []
    for key, group in points.groupby(GROUP_KEYS + RUN_KEYS, sort=True):
        f, se, used = fit_serial_fraction(group["processes"], group["speedup"])
        rows.append(
            {
                **dict(zip(GROUP_KEYS + RUN_KEYS, key)),
                "serial_fraction": f,
                "serial_fraction_se": se,
                "points": used,
                "processes_fitted": " ".join(map(str, sorted(group["processes"].unique()))),
                "cores": int(group["cores"].iloc[0]),
            }
        )
    columns = [
        *GROUP_KEYS,
        *RUN_KEYS,
        "serial_fraction",
        "serial_fraction_se",
        "points",
        "processes_fitted",
        "cores",
    ]
    return pd.DataFrame(rows, columns=columns)
