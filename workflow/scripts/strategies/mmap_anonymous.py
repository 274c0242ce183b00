"""mmap_anonymous: an anonymous shared mmap inherited by the workers.

mmap.mmap(-1, size) maps shared memory that no file backs; children see it only if they
are forked from the parent after it exists, so this strategy runs under `fork` only.
- primes: the workers write their counts into it.
- array: it holds the input and the output; the parent reads the input into it (set-up),
  each worker computes its slice of the output in place, nothing else is copied.
(The file is not called mmap.py: that name would shadow the standard module, which
multiprocessing itself imports.)
"""

import mmap
import struct
import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
DATA_PATH = "zero-copy"  # array: the workers compute in the buffers the parent reads
START_METHODS = ("fork",)
SLOT = struct.Struct("q")  # one signed 64-bit count per range
_buffer = None  # the shared mapping, in each worker


def attach(buffer: mmap.mmap) -> None:
    global _buffer
    _buffer = buffer


def store_count(index: int, numbers: range) -> None:
    SLOT.pack_into(_buffer, index * SLOT.size, count_primes_in(numbers))


def primes(job: Job) -> int:
    buffer = mmap.mmap(-1, SLOT.size * len(job.pieces))  # anonymous, MAP_SHARED, zero-filled
    try:
        # Under fork the initializer's arguments are inherited, not pickled.
        with job.pool(initializer=attach, initargs=(buffer,)) as pool:
            pool.starmap(store_count, enumerate(job.pieces), chunksize=1)
        return sum(count for (count,) in SLOT.iter_unpack(buffer))
    finally:
        buffer.close()


_data = _output = None  # numpy views of the mapping, in each worker


def attach_arrays(buffer: mmap.mmap, n: int) -> None:
    import numpy as np  # here, not at the top: spawned primes workers would import it too

    global _data, _output
    _data = np.frombuffer(buffer, dtype=np.float64, count=n)
    _output = np.frombuffer(buffer, dtype=np.float64, count=n, offset=n * 8)


def compute_slice(start: int, stop: int) -> None:
    from mpbench.array import compute_into

    compute_into(_data[start:stop], _output[start:stop])


def array(job: Job):
    import numpy as np

    buffer = mmap.mmap(-1, 2 * job.n * 8)  # input, then output; anonymous, MAP_SHARED
    job.defer(close, buffer)  # once the harness has checked the output, which it holds
    job.read_input(np.frombuffer(buffer, dtype=np.float64, count=job.n))
    job.lap("setup")
    with job.pool(initializer=attach_arrays, initargs=(buffer, job.n)) as pool:
        pool.starmap(compute_slice, [(p.start, p.stop) for p in job.pieces], chunksize=1)
    return np.frombuffer(buffer, dtype=np.float64, count=job.n, offset=job.n * 8)


def close(buffer: mmap.mmap) -> None:
    try:
        buffer.close()
    except BufferError:  # a view outlives the run (an error's traceback holds it): the
        pass  # mapping goes when the view does


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
