"""shared_numpy: numpy arrays over shared RawArrays (multiprocessing.sharedctypes).

np.frombuffer wraps the shared memory without copying it, in the parent and in every
worker. No lock: each worker writes only its own part.
- primes: the workers write their counts into an array the parent sums.
- array: the parent reads the input into one RawArray (set-up); each worker computes its
  slice straight into a second one, which is the parent's output. Nothing is copied after
  set-up. The RawArrays reach the workers through the pool's initializer (inherited under
  fork, their memory's file descriptor sent over under spawn and forkserver).
"""

import sys

import _bootstrap  # noqa: F401
import numpy as np

from mpbench.array import compute_into
from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
DATA_PATH = "zero-copy"  # array: the workers compute in the buffers the parent reads
_counts = None  # numpy view of the shared RawArray, in each worker


def attach(raw_counts) -> None:
    global _counts
    _counts = np.frombuffer(raw_counts, dtype=np.int64)


def store_count(index: int, numbers: range) -> None:
    _counts[index] = count_primes_in(numbers)


def primes(job: Job) -> int:
    raw_counts = job.context.RawArray("q", len(job.pieces))  # zero-filled, no lock
    with job.pool(initializer=attach, initargs=(raw_counts,)) as pool:
        pool.starmap(store_count, enumerate(job.pieces), chunksize=1)
    return int(np.frombuffer(raw_counts, dtype=np.int64).sum())


_data = _output = None  # numpy views of the shared input and output, in each worker


def attach_arrays(raw_data, raw_output) -> None:
    global _data, _output
    _data = np.frombuffer(raw_data, dtype=np.float64)
    _output = np.frombuffer(raw_output, dtype=np.float64)


def compute_slice(start: int, stop: int) -> None:
    compute_into(_data[start:stop], _output[start:stop])


def array(job: Job):
    raw_data = job.context.RawArray("d", job.n)  # zero-filled shared memory, no lock
    raw_output = job.context.RawArray("d", job.n)
    job.read_input(raw_data)
    job.lap("setup")
    with job.pool(initializer=attach_arrays, initargs=(raw_data, raw_output)) as pool:
        pool.starmap(compute_slice, [(p.start, p.stop) for p in job.pieces], chunksize=1)
    return np.frombuffer(raw_output, dtype=np.float64)


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
