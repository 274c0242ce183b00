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


def primes(job: Job) -> int:
    executor = job.loky_executor()
    try:
        counts = list(executor.map(count_primes_in, job.pieces))
        job.lap("compute")
    finally:
        executor.shutdown(wait=True)
    return sum(counts)


def array(job: Job):
    import numpy as np  # here, not at the top: primes workers would import it too

    from mpbench.array import compute

    data = job.read_input()
    job.lap("setup")
    executor = job.loky_executor()
    try:
        output = np.concatenate(
            list(executor.map(compute, [data[p.start : p.stop] for p in job.pieces]))
        )
        job.lap("compute")
    finally:
        executor.shutdown(wait=True)
    return output


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
