"""dask_distributed: dask.distributed's Client, on a cluster of P single-threaded workers.

By default the run starts a LocalCluster of P worker processes (processes=True, one thread
each, no dashboard): its scheduler runs in this process, and each worker is started by a
nanny, dask's own way (multiprocessing's spawn, distributed.worker.multiprocessing-method).
Start-up is the cluster's start, ending once all P workers are up and have imported what
the workload needs; compute is submitting the pieces (client.map) and gathering the
results; teardown closes the client and the cluster.

With --scheduler ADDRESS (config key dask_scheduler) it connects to an existing cluster
instead: start-up is then only connecting the Client and waiting until P workers are there
(the tasks go to P of them), teardown only closes the client, and that cluster's processes
are not this cell's (their memory is not measured, and a death among them is that
cluster's business). Its workers must import mpbench: start them with PYTHONPATH set to
workflow/scripts. The record's engine.cluster says which: "local" or the address.

A task whose worker dies is not retried (distributed.scheduler.allowed-failures = 0 on the
local cluster's scheduler): the cell fails, naming the process, instead of silently
succeeding on a restarted worker. array: slices scattered to the workers (pickled over
TCP) and the output gathered back: copies.
"""

import os
import shutil
import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
OWN_START_METHOD = "dask"
EXISTING_CLUSTER = True  # takes --scheduler ADDRESS: an existing cluster instead of its own
DATA_PATH = "copies"
# an existing cluster with fewer than P workers fails the cell after this many seconds
WAIT_FOR_WORKERS_S = float(os.environ.get("MPBENCH_DASK_WAIT_S", 60))


def import_worker_modules(workload: str) -> None:
    """On each worker: import what the workload's tasks need (part of start-up)."""
    import importlib

    from mpbench.workloads import WORKLOADS

    for module in WORKLOADS[workload].worker_modules:
        importlib.import_module(module)


def run(job: Job, function, make_arguments) -> list:
    """Start (or connect to) the cluster, map `function` over the arguments that
    `make_arguments(client, workers)` places, gather, and close what was opened."""
    import dask
    from distributed import Client, LocalCluster

    cluster, folder = None, None
    settings = {
        "distributed.scheduler.allowed-failures": 0,  # a dead worker fails its task
        "distributed.worker.multiprocessing-method": "spawn",
        "distributed.worker.daemon": False,
    }
    with dask.config.set(settings):
        try:
            if job.scheduler is None:
                folder = job.scratch_file("dask")
                cluster = LocalCluster(
                    n_workers=job.processes,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    local_directory=str(folder),
                )
                client = Client(cluster)
            else:
                client = Client(job.scheduler, timeout=WAIT_FOR_WORKERS_S)
            job.note(cluster="local" if cluster is not None else job.scheduler)
            try:
                try:
                    client.wait_for_workers(job.processes, timeout=WAIT_FOR_WORKERS_S)
                except TimeoutError:
                    there = len(client.scheduler_info(n_workers=-1)["workers"])
                    raise RuntimeError(
                        f"the cluster at {job.scheduler} has fewer than {job.processes} workers "
                        f"({there} after {WAIT_FOR_WORKERS_S:g} s); start at least that many "
                        "(dask worker ADDRESS --nworkers P --nthreads 1)"
                    ) from None
                workers = sorted(client.scheduler_info(n_workers=-1)["workers"])[: job.processes]
                client.run(import_worker_modules, job.workload, workers=workers)
                job.lap("startup")
                arguments = make_arguments(client, workers)
                futures = client.map(
                    function, arguments, workers=workers, allow_other_workers=False, pure=False
                )
                results = client.gather(futures)
                job.lap("compute")
            finally:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
    return results


def primes(job: Job) -> int:
    return sum(run(job, count_primes_in, lambda client, workers: job.pieces))


def array(job: Job):
    import numpy as np  # here, not at the top: primes workers would import it too

    from mpbench.array import compute

    data = job.read_input()
    job.lap("setup")

    def scatter(client, workers):
        slices = [data[p.start : p.stop] for p in job.pieces]
        return client.scatter(slices, workers=workers, hash=False)

    return np.concatenate(run(job, compute, scatter))


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
