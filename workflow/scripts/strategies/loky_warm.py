"""loky_warm: loky's reusable executor, already running when the run starts (a warm pool).

The same as loky_cold, but the pool outlives the run: the first run of the cell (its
untimed priming run) starts it and every later run reuses its workers, so start-up is only
taking the running executor, and teardown shuts nothing down. The harness stops the pool
when the cell ends (Job.kept). Next to loky_cold it shows what keeping a pool alive across
calls is worth, as a long-lived program gets it. array: slices pickled to the workers and
back.
"""

import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
OWN_START_METHOD = "loky"
DATA_PATH = "copies"
POOL = "warm"  # kept across the cell's runs (Job.kept), started by the priming run


def warm_executor(job: Job):
    """The executor kept across the cell's runs, started by its first run; start-up ends
    here (at once, but in that first run)."""
    return job.warm("loky executor", job.loky_executor, lambda e: e.shutdown(wait=True))


def primes(job: Job) -> int:
    counts = list(warm_executor(job).map(count_primes_in, job.pieces))
    job.lap("compute")
    return sum(counts)


def array(job: Job):
    import numpy as np  # here, not at the top: primes workers would import it too

    from mpbench.array import compute

    data = job.read_input()
    job.lap("setup")
    executor = warm_executor(job)
    output = np.concatenate(
        list(executor.map(compute, [data[p.start : p.stop] for p in job.pieces]))
    )
    job.lap("compute")
    return output


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
