"""pool_map: multiprocessing.Pool.map, blocking until every range is counted.

static hands each of the P workers one range (chunksize 1); dynamic hands out many small
ranges one at a time as workers free up.
"""

import sys

import _bootstrap  # noqa: F401
from mpbench import harness
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")


def primes(job: harness.Job) -> int:
    with job.pool() as pool:
        counts = pool.map(count_primes_in, job.pieces, chunksize=1)
    return sum(counts)


if __name__ == "__main__":
    sys.exit(harness.main(__doc__, globals()))
