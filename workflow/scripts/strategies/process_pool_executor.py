"""process_pool_executor: concurrent.futures.ProcessPoolExecutor.map.

The modern standard-library interface. Its workers start on demand as tasks are submitted,
so most of its start-up cost falls inside the compute phase; a worker that dies makes the
executor raise BrokenProcessPool instead of hanging.
"""

import sys
from concurrent.futures import ProcessPoolExecutor

import _bootstrap  # noqa: F401
from mpbench import harness
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")


def primes(job: harness.Job) -> int:
    with ProcessPoolExecutor(max_workers=job.processes, mp_context=job.context) as executor:
        job.lap("startup")
        counts = list(executor.map(count_primes_in, job.pieces))
        job.lap("compute")
    return sum(counts)


if __name__ == "__main__":
    sys.exit(harness.main(__doc__, globals()))
