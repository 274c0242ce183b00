"""pool_apply_async: one multiprocessing.Pool.apply_async call per range.

Each range is its own task with its own AsyncResult, the most flexible of the Pool styles
(tasks may differ in function and arguments) and the one with the most per-task overhead.
"""

import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")


def primes(job: Job) -> int:
    with job.pool() as pool:
        pending = [pool.apply_async(count_primes_in, (numbers,)) for numbers in job.pieces]
        counts = [result.get() for result in pending]
    return sum(counts)


def array(job: Job):
    """One task per slice, each pickled to a worker and back, as in pool_map."""
    import numpy as np  # here, not at the top: spawned primes workers would import it too

    from mpbench.array import compute

    data = job.read_input()
    job.lap("setup")
    with job.pool() as pool:
        pending = [pool.apply_async(compute, (data[p.start : p.stop],)) for p in job.pieces]
        output = np.concatenate([result.get() for result in pending])
    return output


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
