"""numpy_sieve: a reference row, not a parallel strategy: a better algorithm in one process.

Counts the primes in [2, N] with a sieve of Eratosthenes over odd numbers only, in numpy.
It answers the question a reader should ask before adding cores: how far does changing the
algorithm go? It runs once per N (P = 1, no split, no processes); the figures show it beside
the strategies in time vs. N and never rank it among them. (The harness checks its answer
against mpbench.primes.count_primes_sieve, a separate, plainer sieve.)
"""

import sys
from math import isqrt

import _bootstrap  # noqa: F401
import numpy as np

from mpbench.job import Job

SPLITS = ("none",)
STARTS_PROCESSES = False
REFERENCE = True


def count_primes_odd_sieve(n: int) -> int:
    """pi(n): index i of the sieve stands for the odd number 2 i + 1."""
    if n < 3:
        return int(n >= 2)
    odd = np.ones((n + 1) // 2, dtype=bool)  # 1, 3, 5, ..., the largest odd <= n
    odd[0] = False  # 1 is not prime
    for i in range(1, (isqrt(n) - 1) // 2 + 1):
        if odd[i]:
            p = 2 * i + 1
            odd[p * p // 2 :: p] = False  # p*p, p*p + 2p, ... (odd multiples of p)
    return 1 + int(np.count_nonzero(odd))  # + the prime 2


def primes(job: Job) -> int:
    return count_primes_odd_sieve(job.n)


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
