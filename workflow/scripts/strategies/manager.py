"""manager: data held by a multiprocessing.Manager, a server process reached through proxies.

Every access from a worker is a round trip to the server, its arguments and results pickled.
- primes: the workers store their counts in a Manager dict; the parent sums it.
- array: the input and the output are Manager lists of Python floats. Set-up starts the
  Manager and places the input in it; each worker fetches its slice, computes, and stores
  the result slice; the parent fetches the whole output. The data is converted to Python
  floats and pickled at every step, so this is slow and memory-hungry: the workflow runs it
  only up to a size limit (config key size_limits) and records larger cells as skipped.
"""

import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")


def store_count(counts, index: int, numbers: range) -> None:
    counts[index] = count_primes_in(numbers)


def primes(job: Job) -> int:
    with job.context.Manager() as manager:
        counts = manager.dict()
        tasks = [(counts, index, numbers) for index, numbers in enumerate(job.pieces)]
        with job.pool() as pool:
            pool.starmap(store_count, tasks, chunksize=1)
            total = sum(counts.values())
    return total


def compute_slice(data, output, start: int, stop: int) -> None:
    import numpy as np

    from mpbench.array import compute

    output[start:stop] = compute(np.array(data[start:stop], dtype=np.float64)).tolist()


def array(job: Job):
    import numpy as np  # here, not at the top: spawned primes workers would import it too

    with job.context.Manager() as manager:
        data = manager.list(job.read_input().tolist())
        output = manager.list([0.0] * job.n)
        job.lap("setup")
        with job.pool() as pool:
            pool.starmap(
                compute_slice, [(data, output, p.start, p.stop) for p in job.pieces], chunksize=1
            )
            result = np.array(output[:], dtype=np.float64)
    return result


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
