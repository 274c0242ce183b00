"""process_pool_executor_warm: ProcessPoolExecutor.map on an executor kept across runs.

The same calls as process_pool_executor, but the executor outlives the run: the cell's
first run (its untimed priming run) starts all P workers, every timed run finds them
running (start-up is taking the executor) and leaves them running (no teardown). The
harness shuts it down when the cell ends, or fails (Job.kept). A worker that dies breaks
the executor (BrokenProcessPool) and fails the cell, as in the cold one. Next to
process_pool_executor (cold) it shows what keeping the executor alive is worth.
"""

import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
POOL = "warm"  # kept across the cell's runs (Job.kept), started by the priming run


def primes(job: Job) -> int:
    counts = list(job.warm_executor().map(count_primes_in, job.pieces))
    job.lap("compute")
    return sum(counts)


def array(job: Job):
    """Slices pickled to the workers and back, as in pool_map."""
    import numpy as np  # here, not at the top: spawned primes workers would import it too

    from mpbench.array import compute

    data = job.read_input()
    job.lap("setup")
    executor = job.warm_executor()
    output = np.concatenate(
        list(executor.map(compute, [data[p.start : p.stop] for p in job.pieces]))
    )
    job.lap("compute")
    return output


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
