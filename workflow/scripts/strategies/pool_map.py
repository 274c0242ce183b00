"""pool_map: multiprocessing.Pool.map, blocking until every piece is done.

primes: static hands each of the P workers one range (chunksize 1); dynamic hands out many
small ranges one at a time as workers free up.
array: each worker is sent its slice of the input, pickled through the pool's pipe, and
sends its slice of the output back the same way; the parent joins the slices. Every slice
is copied on the way out and on the way back.
"""

import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")


def primes(job: Job) -> int:
    with job.pool() as pool:
        counts = pool.map(count_primes_in, job.pieces, chunksize=1)
    return sum(counts)


def array(job: Job):
    import numpy as np  # here, not at the top: spawned primes workers would import it too

    from mpbench.array import compute

    data = job.read_input()
    job.lap("setup")
    with job.pool() as pool:
        parts = pool.map(
            compute, [data[piece.start : piece.stop] for piece in job.pieces], chunksize=1
        )
        output = np.concatenate(parts)
    return output


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
