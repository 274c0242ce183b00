"""The paired speedup of a cell and its confidence interval (pure Python: the measured
process uses it to decide when to stop, the analysis to report it).

Each round of a cell times the baseline and the strategy back to back, so its ratio
T1 / TP compares them on the same machine state; the cell's speedup is the median of the
rounds' ratios. Its 95 % confidence interval is the distribution-free one for a median:
two order statistics of the ratios, chosen from the binomial distribution so that the
interval covers the true median with at least 95 % probability whatever the shape of the
ratios' distribution. Why this and not a t interval or a bootstrap:

- the ratios of a noisy machine are skewed and have outliers (a round hit by a neighbour);
  the order-statistic interval needs no normality and one outlier moves it by one rank;
- it is an interval for the median itself, the statistic we report (a t interval on log
  ratios is one for the geometric mean);
- it is exact for any number of rounds, where a bootstrap of 6 to 20 values is coarse and
  covers less than it claims.

The price: with fewer than 6 rounds no interval reaches 95 % ([min, max] of 5 covers
93.75 %), so cells run at least 6 rounds.
"""

import math
from dataclasses import dataclass

CONFIDENCE = 0.95
RESOLUTION = 0.05  # a speedup whose interval reaches further than this from it is unresolved
EXACT_MAX = 500  # up to this many values, the binomial sums are exact integers (pure Python)


def median(values) -> float:
    ordered = sorted(values)
    if not ordered:
        raise ValueError("the median of no values")
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def _binomial_cdf(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2)."""
    return sum(math.comb(n, i) for i in range(k + 1)) / 2**n


def median_interval_ranks(n: int, confidence: float = CONFIDENCE) -> tuple[int, int, float]:
    """(lower, upper, coverage): 0-based ranks of the order statistics whose interval covers
    the median with probability `coverage` >= `confidence`, as narrow as that allows; for
    n too small to reach it, (0, n - 1) and the coverage it has."""
    if n < 1:
        raise ValueError("no values")
    if n > EXACT_MAX:  # many values (the ipc workload's round trips): scipy's binomial
        from scipy.stats import binom

        alpha = (1 - confidence) / 2
        best = max(0, int(binom.ppf(alpha, n, 0.5)))
        while best > 0 and binom.cdf(best, n, 0.5) > alpha:
            best -= 1
        return best, n - 1 - best, 1 - 2 * float(binom.cdf(best, n, 0.5))
    best = 0
    for j in range(1, (n + 1) // 2):  # [x(j), x(n-1-j)] misses the median with 2 P(X <= j)
        if 1 - 2 * _binomial_cdf(j, n) < confidence:
            break
        best = j
    coverage = 1 - 2 * _binomial_cdf(best, n)
    return best, n - 1 - best, coverage


@dataclass(frozen=True)
class Speedup:
    value: float  # the median of the rounds' ratios
    low: float
    high: float
    coverage: float  # what the interval covers (>= CONFIDENCE from 6 rounds on)
    rounds: int

    @property
    def halfwidth(self) -> float:
        """How far the interval reaches from the speedup, relative to it (the larger side)."""
        return max(self.high / self.value - 1, 1 - self.low / self.value)

    @property
    def resolved(self) -> bool:
        return self.coverage >= CONFIDENCE and self.halfwidth <= RESOLUTION


def paired_speedup(baseline_s, strategy_s) -> Speedup:
    """The speedup T1 / TP of paired rounds (two equally long sequences of times)."""
    if len(baseline_s) != len(strategy_s) or not baseline_s:
        raise ValueError("paired rounds need as many baseline times as strategy times, >= 1")
    ratios = sorted(t1 / tp for t1, tp in zip(baseline_s, strategy_s))
    low, high, coverage = median_interval_ranks(len(ratios))
    return Speedup(median(ratios), ratios[low], ratios[high], coverage, len(ratios))
