"""joblib_parallel: joblib.Parallel(n_jobs=P, backend="loky"), scikit-learn's engine.

joblib hands the tasks to loky's reusable executor, whose workers start their own way (fork
then exec: fresh interpreters). Start-up is the first call, which starts the P workers, and
waiting until every one runs; compute is one Parallel call over the pieces; teardown shuts
the executor down (joblib would keep its workers alive for the next call: loky_warm shows
what that is worth) and removes joblib's memory-mapping folder.
array: joblib memory-maps every numpy argument larger than max_nbytes (1 MB): the parent
writes the slice into a file in the run's own folder in /dev/shm and the worker maps it
read-only, so the input is copied once, not pickled through a pipe; the output comes back
pickled. Whether the slices were memory-mapped is measured in the workers and recorded per
cell (engine.memmapped); the data path is "copies" either way.
At P = 1 joblib starts no worker: n_jobs=1 runs the tasks in the calling process (its
SequentialBackend), as a user of joblib gets it; the record's engine.backend says which.
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
MAX_NBYTES = "1M"  # joblib's default: larger numpy arguments are memory-mapped
SHM = Path("/dev/shm")


def compute_slice(data):
    """A worker's slice of the array, and whether joblib handed it over memory-mapped."""
    import numpy as np

    from mpbench.array import compute

    return compute(data), isinstance(data, np.memmap)


def run(job: Job, function, pieces) -> list:
    """Start P loky workers through joblib, run `function` over `pieces`, shut down."""
    from joblib import Parallel, delayed
    from joblib.externals.loky.backend import get_context

    from mpbench.job import ready_after

    folder = (SHM if SHM.is_dir() else Path(job.scratch)) / job.segment_name("joblib")
    ready = get_context("loky").Semaphore(0)  # inherited by the workers as they start
    parallel = Parallel(
        n_jobs=job.processes,
        backend="loky",
        max_nbytes=MAX_NBYTES,
        temp_folder=str(folder),
        batch_size=1,  # one task per piece, as Pool.map with chunksize 1
        initializer=ready_after,
        initargs=(ready, None, (), job.workload),
    )
    executor = None
    try:
        with parallel:
            # joblib 1.6: the loky executor it uses; with n_jobs=1, joblib runs the tasks in
            # this process instead (its SequentialBackend): no worker, nothing to start
            executor = getattr(parallel._backend, "_workers", None)
            job.note(backend=type(parallel._backend).__name__)
            if executor is not None:
                parallel(delayed(int)() for _ in range(1))  # starts all P workers
                job.started(ready, job.processes)
            else:
                job.lap("startup")
            results = parallel(delayed(function)(piece) for piece in pieces)
            job.lap("compute")
            if executor is not None:
                executor.shutdown(wait=True)  # before joblib removes its folder on leaving
    finally:
        if executor is not None:
            executor.shutdown(wait=True, kill_workers=True)  # after an error: at once
        shutil.rmtree(folder, ignore_errors=True)
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
