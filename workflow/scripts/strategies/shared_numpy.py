"""shared_numpy: counts written into a numpy array over a shared RawArray.

np.frombuffer wraps the shared memory without copying it, in the parent and in every
worker, so the workers write straight into the array the parent sums. No lock: each
range has its own slot.
"""

import sys

import _bootstrap  # noqa: F401
import numpy as np
from mpbench import harness
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
_counts = None  # numpy view of the shared RawArray, in each worker


def attach(raw_counts) -> None:
    global _counts
    _counts = np.frombuffer(raw_counts, dtype=np.int64)


def store_count(index: int, numbers: range) -> None:
    _counts[index] = count_primes_in(numbers)


def primes(job: harness.Job) -> int:
    raw_counts = job.context.RawArray("q", len(job.pieces))  # zero-filled, no lock
    with job.pool(initializer=attach, initargs=(raw_counts,)) as pool:
        pool.starmap(store_count, enumerate(job.pieces), chunksize=1)
    return int(np.frombuffer(raw_counts, dtype=np.int64).sum())


if __name__ == "__main__":
    sys.exit(harness.main(__doc__, globals()))
