"""threads: a ThreadPoolExecutor of P threads in one process.

Shows what the GIL does to pure-Python CPU work: only one thread runs Python bytecode at
a time, so the speedup stays near 1 whatever P is (on a free-threaded build it would not).
"""

import sys
from concurrent.futures import ThreadPoolExecutor

import _bootstrap  # noqa: F401
from mpbench import harness
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
STARTS_PROCESSES = False


def primes(job: harness.Job) -> int:
    with ThreadPoolExecutor(max_workers=job.processes) as executor:
        job.lap("startup")
        counts = list(executor.map(count_primes_in, job.pieces))
        job.lap("compute")
    return sum(counts)


if __name__ == "__main__":
    sys.exit(harness.main(__doc__, globals()))
