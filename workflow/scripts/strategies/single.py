"""single: one process counts the whole range.

The baseline every speedup is measured against (T1 in S = T1 / TP). It starts no process
and does not split the range, so it runs only with --split none and --processes 1.
"""

import sys

import _bootstrap  # noqa: F401
from mpbench import harness
from mpbench.primes import count_primes_in

SPLITS = ("none",)
STARTS_PROCESSES = False


def primes(job: harness.Job) -> int:
    (everything,) = job.pieces
    return count_primes_in(everything)


if __name__ == "__main__":
    sys.exit(harness.main(__doc__, globals()))
