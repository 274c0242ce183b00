"""sharedctypes_array: each worker writes its count into its own slot of a shared Array.

A synchronized Array takes its lock on every item access; since each range has its own
slot no two writers meet, so a RawArray (no lock) would be as correct (see shared_numpy).
"""

import sys

import _bootstrap  # noqa: F401
from mpbench import harness
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
_counts = None  # the shared Array, in each worker


def attach(counts) -> None:
    global _counts
    _counts = counts


def store_count(index: int, numbers: range) -> None:
    _counts[index] = count_primes_in(numbers)


def primes(job: harness.Job) -> int:
    counts = job.context.Array("q", len(job.pieces))  # zero-filled, with a lock
    with job.pool(initializer=attach, initargs=(counts,)) as pool:
        pool.starmap(store_count, enumerate(job.pieces), chunksize=1)
    return sum(counts[:])


if __name__ == "__main__":
    sys.exit(harness.main(__doc__, globals()))
