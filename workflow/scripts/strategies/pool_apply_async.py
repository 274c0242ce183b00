"""pool_apply_async: one multiprocessing.Pool.apply_async call per range.

Each range is its own task with its own AsyncResult, the most flexible of the Pool styles
(tasks may differ in function and arguments) and the one with the most per-task overhead.
"""

import sys

import _bootstrap  # noqa: F401
from mpbench import harness
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")


def primes(job: harness.Job) -> int:
    with job.pool() as pool:
        pending = [pool.apply_async(count_primes_in, (numbers,)) for numbers in job.pieces]
        counts = [result.get() for result in pending]
    return sum(counts)


if __name__ == "__main__":
    sys.exit(harness.main(__doc__, globals()))
