"""mmap_anonymous: counts written into an anonymous shared mmap inherited by the workers.

mmap.mmap(-1, size) maps shared memory that no file backs; children see it only if they
are forked from the parent after it exists, so this strategy runs under `fork` only.
(The file is not called mmap.py: that name would shadow the standard module, which
multiprocessing itself imports.)
"""

import mmap
import struct
import sys

import _bootstrap  # noqa: F401
from mpbench import harness
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
START_METHODS = ("fork",)
SLOT = struct.Struct("q")  # one signed 64-bit count per range
_buffer = None  # the shared mapping, in each worker


def attach(buffer: mmap.mmap) -> None:
    global _buffer
    _buffer = buffer


def store_count(index: int, numbers: range) -> None:
    SLOT.pack_into(_buffer, index * SLOT.size, count_primes_in(numbers))


def primes(job: harness.Job) -> int:
    buffer = mmap.mmap(-1, SLOT.size * len(job.pieces))  # anonymous, MAP_SHARED, zero-filled
    try:
        # Under fork the initializer's arguments are inherited, not pickled.
        with job.pool(initializer=attach, initargs=(buffer,)) as pool:
            pool.starmap(store_count, enumerate(job.pieces), chunksize=1)
        return sum(count for (count,) in SLOT.iter_unpack(buffer))
    finally:
        buffer.close()


if __name__ == "__main__":
    sys.exit(harness.main(__doc__, globals()))
