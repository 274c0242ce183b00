"""joblib_warm: joblib.Parallel(n_jobs=P, backend="loky") as its users call it: warm.

joblib keeps loky's reusable executor alive between calls: a new Parallel with the same
arguments finds the workers of the last call running and reuses them (until they are idle
for idle_worker_timeout, 300 s by default). So here the cell's first call, in its untimed
priming run, starts the P workers, and every timed run is one call of a new Parallel over the
pieces on those workers: start-up is about nothing, teardown only joblib's clean-up of the
call's memory-mapped files. A run that finds joblib started a new executor fails. The
harness shuts the executor down when the cell ends, or fails (Job.kept). Next to
joblib_parallel (cold: the executor shut down after every run) it shows what joblib's reuse
is worth. array: slices above max_nbytes memory-mapped (in a folder of the cell, in
/dev/shm), output pickled back, as in joblib_parallel (engine.memmapped says which).
At P = 1 joblib runs the tasks in the calling process (engine.backend: SequentialBackend).
"""

import shutil
import sys
from pathlib import Path

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
OWN_START_METHOD = "loky"
DATA_PATH = "copies"
POOL = "warm"  # kept across the cell's runs (Job.kept), started by the priming run
MAX_NBYTES = "1M"  # joblib's default: larger numpy arguments are memory-mapped
SHM = Path("/dev/shm")


def compute_slice(data):
    """A worker's slice of the array, and whether joblib handed it over memory-mapped."""
    import numpy as np

    from mpbench.array import compute

    return compute(data), isinstance(data, np.memmap)


def start(job: Job):
    """The first call: joblib starts loky's executor and its P workers. Returns the options
    every later Parallel is made with (the same: joblib then reuses the executor), the
    executor (None at P = 1) and the cell's memory-mapping folder."""
    from joblib import Parallel, delayed
    from joblib.externals.loky import reusable_executor
    from joblib.externals.loky.backend import get_context

    from mpbench.job import ready_after

    folder = job.kept_path("joblib", SHM if SHM.is_dir() else None)
    options = dict(
        n_jobs=job.processes,
        backend="loky",
        max_nbytes=MAX_NBYTES,
        temp_folder=str(folder),
        batch_size=1,  # one task per piece, as Pool.map with chunksize 1
        initializer=ready_after,  # once per worker: it runs, and has imported the workload's
        initargs=(get_context("loky").Semaphore(0), None, (), job.workload),
    )
    parallel = Parallel(**options)
    parallel(delayed(int)() for _ in range(1))
    job.note(backend=type(parallel._backend).__name__)
    executor = reusable_executor._executor if job.processes > 1 else None
    if executor is not None:
        job.started(options["initargs"][0], job.processes)
    return options, executor, folder


def stop(kept) -> None:
    _, executor, folder = kept
    if executor is not None:
        executor.shutdown(wait=True)
    shutil.rmtree(folder, ignore_errors=True)


def run(job: Job, function, pieces) -> list:
    from joblib import Parallel, delayed
    from joblib.externals.loky import reusable_executor

    options, executor, _ = job.warm("joblib executor", lambda: start(job), stop)
    results = Parallel(**options)(delayed(function)(piece) for piece in pieces)
    job.lap("compute")
    if executor is not None and reusable_executor._executor is not executor:
        raise RuntimeError("joblib started a new executor instead of reusing the running one")
    return results


def primes(job: Job) -> int:
    return sum(run(job, count_primes_in, job.pieces))


def array(job: Job):
    import numpy as np  # here, not at the top: primes workers would import it too

    data = job.read_input()
    job.lap("setup")
    results = run(job, compute_slice, [data[p.start : p.stop] for p in job.pieces])
    job.note(memmapped=all(mapped for _, mapped in results), max_nbytes=MAX_NBYTES)
    return np.concatenate([part for part, _ in results])


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
