"""The workloads: what is split among the workers, the reference answer, how a result is checked.

Workers import this module (through mpbench.job), so it stays small: the array workload's
numpy code is imported only when an array function is called.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mpbench.primes import count_primes_sieve
from mpbench.split import SINGLE, SPLITS


def _array():
    from mpbench import array

    return array


@dataclass(frozen=True)
class Workload:
    """What the harness needs to know of a workload to run and check any strategy on it."""

    domain: Callable[[int], range]  # what is split among the workers, for size N
    expected: Callable[[int], object]  # the reference answer for N, computed outside the clock
    answer: Callable[[object], object]  # what a run's result is compared (and recorded) by
    splits: tuple[str, ...]  # the splits that make sense for it
    payload: Callable[[int], int | None] = lambda n: None  # bytes of data a run must hold
    write_input: Callable[[int, str], None] | None = None  # the input file, if it has one
    # imported by every worker as it starts (job.pool, job.executor, signal_ready), so that
    # a spawned worker's import of numpy counts as start-up, not as its first task's compute
    worker_modules: tuple[str, ...] = ()


WORKLOADS = {
    # count the primes in [2, N]: almost no data moves, the work is pure Python
    "primes": Workload(
        domain=lambda n: range(2, n + 1),
        expected=count_primes_sieve,
        answer=lambda count: count,
        splits=(SINGLE, *SPLITS),
    ),
    # an element-wise numpy kernel over N float64s: data movement is the cost (mpbench.array)
    "array": Workload(
        domain=lambda n: range(n),
        expected=lambda n: _array().expected_digest(n),
        answer=lambda output: _array().digest(output),
        splits=(SINGLE, "static"),
        payload=lambda n: _array().payload_bytes(n),
        write_input=lambda n, path: _array().write_input(n, path),
        worker_modules=("mpbench.array",),
    ),
}
# The phases of a run, in order; they add up to its time. Set-up places the data where the
# workers can reach it, start-up ends when every worker runs, teardown is what follows compute.
PHASES = ("setup", "startup", "compute", "teardown")


def input_path(workload: str, n: int, scratch: str) -> str | None:
    """Where the input file of size n is (None for a workload without one)."""
    if WORKLOADS[workload].write_input is None:
        return None
    return str(Path(scratch) / f"input-{workload}-n{n}")
