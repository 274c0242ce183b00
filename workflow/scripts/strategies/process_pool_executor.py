"""process_pool_executor: concurrent.futures.ProcessPoolExecutor.map.

The modern standard-library interface. Under spawn and forkserver its workers start on
demand as tasks are submitted; the harness's executor() starts all of them before compute
begins, so that start-up is measured as such. A worker that dies makes the executor raise
BrokenProcessPool instead of hanging.
"""

import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")


def primes(job: Job) -> int:
    with job.executor() as executor:
        counts = list(executor.map(count_primes_in, job.pieces))
    return sum(counts)


def array(job: Job):
    """Slices pickled to the workers and back, as in pool_map."""
    import numpy as np  # here, not at the top: spawned primes workers would import it too

    from mpbench.array import compute

    data = job.read_input()
    job.lap("setup")
    with job.executor() as executor:
        parts = executor.map(compute, [data[p.start : p.stop] for p in job.pieces])
        output = np.concatenate(list(parts))
    return output


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
