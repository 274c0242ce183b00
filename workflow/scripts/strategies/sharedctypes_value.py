"""sharedctypes_value: workers add their counts into one shared Value, under its lock.

`total.value += count` is a read and a write: without the lock two workers can read the
same old value and one addition is lost. The Value reaches the workers through the pool's
initializer (passed when the workers start), which works under every start method.
"""

import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
_total = None  # the shared Value, in each worker


def attach(total) -> None:
    global _total
    _total = total


def add_count(numbers: range) -> None:
    count = count_primes_in(numbers)
    with _total.get_lock():
        _total.value += count


def primes(job: Job) -> int:
    total = job.context.Value("q", 0)  # C long long, with a lock
    with job.pool(initializer=attach, initargs=(total,)) as pool:
        pool.map(add_count, job.pieces, chunksize=1)
    return total.value


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
