"""manager: workers store their counts in a multiprocessing.Manager dict.

The Manager is a server process; every access from a worker is a round trip to it through
a proxy. The counts are gathered by a Pool; the parent sums the dict once all are in.
"""

import sys

import _bootstrap  # noqa: F401
from mpbench import harness
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")


def store_count(counts, index: int, numbers: range) -> None:
    counts[index] = count_primes_in(numbers)


def primes(job: harness.Job) -> int:
    with job.context.Manager() as manager:
        counts = manager.dict()
        tasks = [(counts, index, numbers) for index, numbers in enumerate(job.pieces)]
        with job.pool() as pool:
            pool.starmap(store_count, tasks, chunksize=1)
            total = sum(counts.values())
    return total


if __name__ == "__main__":
    sys.exit(harness.main(__doc__, globals()))
