"""pool_map_warm: multiprocessing.Pool.map on a pool kept alive across the cell's runs.

The same calls as pool_map, but the pool outlives the run, as a long-lived program keeps
its Pool: the cell's first run (its untimed priming run) starts it, every timed run finds
its P workers running (start-up is taking the pool) and leaves them running (no teardown).
The harness terminates the pool when the cell ends, or fails (Job.kept). Next to pool_map
(cold: a new Pool in every run) it shows what keeping a standard-library pool alive is
worth, the counterpart of loky_warm. array: slices pickled to the workers and back.
"""

import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
POOL = "warm"  # kept across the cell's runs (Job.kept), started by the priming run


def primes(job: Job) -> int:
    counts = job.warm_pool().map(count_primes_in, job.pieces, chunksize=1)
    job.lap("compute")
    return sum(counts)


def array(job: Job):
    import numpy as np  # here, not at the top: spawned primes workers would import it too

    from mpbench.array import compute

    data = job.read_input()
    job.lap("setup")
    pool = job.warm_pool()
    parts = pool.map(compute, [data[p.start : p.stop] for p in job.pieces], chunksize=1)
    output = np.concatenate(parts)
    job.lap("compute")
    return output


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
