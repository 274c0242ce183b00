"""single: one process does the whole job: counts the whole range, or computes the whole array.

The baseline every speedup is measured against (T1 in S = T1 / TP). It starts no process
and does not split the work, so it runs only with --split none and --processes 1.
"""

import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("none",)
STARTS_PROCESSES = False


def primes(job: Job) -> int:
    (everything,) = job.pieces
    return count_primes_in(everything)


def array(job: Job):
    from mpbench.array import compute  # here, not at the top: primes never needs numpy

    data = job.read_input()
    job.lap("setup")
    job.lap("startup")  # nothing to start
    output = compute(data)
    job.lap("compute")
    return output


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
