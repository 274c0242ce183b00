"""loky_cold: loky's reusable executor, started in the run (a cold pool).

loky (the engine under joblib) starts its workers its own way, fork then exec: a fresh
interpreter, as under spawn, without the forkserver. Start-up is getting the executor and
waiting until its P workers run; compute is Executor.map over the pieces; teardown shuts it
down, so every run pays for a new pool. loky_warm keeps one alive across runs instead: the
two side by side show what keeping a pool alive is worth. array: slices pickled to the
workers and back, as in process_pool_executor.
"""

import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
OWN_START_METHOD = "loky"
DATA_PATH = "copies"


def start_executor(job: Job):
    """loky's reusable executor of P workers, once every one of them runs."""
    from loky import get_reusable_executor
    from loky.backend import get_context

    from mpbench.job import ready_after

    ready = get_context("loky").Semaphore(0)  # inherited by loky's workers as they start
    executor = get_reusable_executor(
        max_workers=job.processes,
        timeout=None,  # no idle timeout: workers end when the executor is shut down
        reuse=False,
        initializer=ready_after,
        initargs=(ready, None, (), job.workload),
    )
    executor.submit(int).result()  # the first task starts all P workers
    job.started(ready, job.processes, lambda: None)
    return executor


def run(job: Job, executor, function, pieces) -> list:
    """Map `function` over `pieces` on a running executor; marks the end of compute."""
    results = list(executor.map(function, pieces))
    job.lap("compute")
    return results


def primes(job: Job) -> int:
    executor = start_executor(job)
    job.note(pool="cold")
    try:
        counts = run(job, executor, count_primes_in, job.pieces)
    finally:
        executor.shutdown(wait=True)
    return sum(counts)


def array(job: Job):
    import numpy as np  # here, not at the top: primes workers would import it too

    from mpbench.array import compute

    data = job.read_input()
    job.lap("setup")
    executor = start_executor(job)
    job.note(pool="cold")
    try:
        parts = run(job, executor, compute, [data[p.start : p.stop] for p in job.pieces])
    finally:
        executor.shutdown(wait=True)
    return np.concatenate(parts)


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
