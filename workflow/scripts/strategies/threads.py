"""threads: a ThreadPoolExecutor of P threads in one process.

primes shows what the GIL does to pure-Python CPU work: only one thread runs Python
bytecode at a time, so the speedup stays near 1 whatever P is (on a free-threaded build it
would not). array shows the other side: numpy releases the GIL inside each operation, so
threads computing slices of one array in place can use several cores, with no copy at all.
"""

import sys
from concurrent.futures import ThreadPoolExecutor

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
DATA_PATH = "zero-copy"  # array: the workers compute in the buffers the parent reads
STARTS_PROCESSES = False


def primes(job: Job) -> int:
    with ThreadPoolExecutor(max_workers=job.processes) as executor:
        job.lap("startup")
        counts = list(executor.map(count_primes_in, job.pieces))
        job.lap("compute")
    return sum(counts)


def array(job: Job):
    import numpy as np  # here, not at the top: primes never needs numpy

    from mpbench.array import compute_into

    data = job.read_input()
    output = np.empty_like(data)
    job.lap("setup")
    with ThreadPoolExecutor(max_workers=job.processes) as executor:
        job.lap("startup")
        done = executor.map(
            lambda p: compute_into(data[p.start : p.stop], output[p.start : p.stop]), job.pieces
        )
        list(done)  # re-raises a thread's error
        job.lap("compute")
    return output


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
