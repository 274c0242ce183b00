"""sharedctypes_array: workers write into a synchronized multiprocessing.Array.

A synchronized Array has a lock, which the code must take around its accesses.
- primes: each worker writes its count into its own slot (Array item access takes the lock
  itself); since each range has its own slot no two writers meet, so a RawArray (no lock)
  would be as correct (see shared_numpy).
- array: the input and the output are shared Arrays ("d"), seen by numpy through
  get_obj() without a copy. Each worker computes a block of its slice into a small buffer
  of its own, then copies it into the output holding the output's lock: the cost of a lock
  that the writes, being disjoint, do not need (shared_numpy is the same without it).
"""

import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
DATA_PATH = "zero-copy"  # array: the workers compute in the buffers the parent reads
_counts = None  # the shared Array, in each worker


def attach(counts) -> None:
    global _counts
    _counts = counts


def store_count(index: int, numbers: range) -> None:
    _counts[index] = count_primes_in(numbers)


def primes(job: Job) -> int:
    counts = job.context.Array("q", len(job.pieces))  # zero-filled, with a lock
    with job.pool(initializer=attach, initargs=(counts,)) as pool:
        pool.starmap(store_count, enumerate(job.pieces), chunksize=1)
    return sum(counts[:])


_data = _output = _lock = None  # numpy views of the shared Arrays and the output's lock


def attach_arrays(data, output) -> None:
    import numpy as np  # here, not at the top: spawned primes workers would import it too

    global _data, _output, _lock
    _data = np.frombuffer(data.get_obj(), dtype=np.float64)
    _output = np.frombuffer(output.get_obj(), dtype=np.float64)
    _lock = output.get_lock()


def compute_slice(start: int, stop: int) -> None:
    from mpbench.array import BLOCK, compute

    for low in range(start, stop, BLOCK):
        high = min(low + BLOCK, stop)
        block = compute(_data[low:high])
        with _lock:
            _output[low:high] = block


def array(job: Job):
    import numpy as np  # here, not at the top: spawned primes workers would import it too

    data = job.context.Array("d", job.n)  # zero-filled shared memory, with a lock
    output = job.context.Array("d", job.n)
    job.read_input(data.get_obj())
    job.lap("setup")
    with job.pool(initializer=attach_arrays, initargs=(data, output)) as pool:
        pool.starmap(compute_slice, [(p.start, p.stop) for p in job.pieces], chunksize=1)
    return np.frombuffer(output.get_obj(), dtype=np.float64)


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
