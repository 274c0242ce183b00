"""pool_map_async: multiprocessing.Pool.map_async, collecting the results later.

The call returns at once with an AsyncResult, leaving the parent free while the workers
count; the parent then waits on get(). Same work as pool_map: the difference measured is
only the cost of the asynchronous interface.
"""

import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")


def primes(job: Job) -> int:
    with job.pool() as pool:
        pending = pool.map_async(count_primes_in, job.pieces, chunksize=1)
        # ... the parent could do other work here ...
        counts = pending.get()
    return sum(counts)


def array(job: Job):
    """Slices pickled to the workers and back, as in pool_map."""
    import numpy as np  # here, not at the top: spawned primes workers would import it too

    from mpbench.array import compute

    data = job.read_input()
    job.lap("setup")
    with job.pool() as pool:
        pending = pool.map_async(compute, [data[p.start : p.stop] for p in job.pieces], chunksize=1)
        output = np.concatenate(pending.get())
    return output


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
