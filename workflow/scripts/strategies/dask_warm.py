"""dask_warm: a dask.distributed Client on a LocalCluster kept across the cell's runs.

As a dask user keeps a Client: the cell's first run (its untimed priming run) starts a
LocalCluster of P single-threaded worker processes (no dashboard; its scheduler in this
process, each worker started by a nanny with multiprocessing's spawn) and connects a Client;
every timed run finds them running (start-up is taking the client), submits the pieces
(client.map) and gathers the results, and closes nothing. The harness closes the client and
the cluster when the cell ends, or fails (Job.kept). Next to dask_distributed (cold: a
LocalCluster per run) it shows what keeping the cluster is worth.

A task whose worker dies is not retried (distributed.scheduler.allowed-failures = 0): the
cell fails. array: slices scattered to the workers (pickled over TCP) in every run and the
output gathered back: copies.
"""

import shutil
import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
OWN_START_METHOD = "dask"
DATA_PATH = "copies"
POOL = "warm"  # kept across the cell's runs (Job.kept), started by the priming run
SETTINGS = {
    "distributed.scheduler.allowed-failures": 0,  # a dead worker fails its task
    "distributed.worker.multiprocessing-method": "spawn",
    "distributed.worker.daemon": False,
}


def import_worker_modules(workload: str) -> None:
    """On each worker: import what the workload's tasks need (part of start-up)."""
    import importlib

    from mpbench.workloads import WORKLOADS

    for module in WORKLOADS[workload].worker_modules:
        importlib.import_module(module)


def start(job: Job):
    """The cluster and its client, once all P workers run and have imported the workload's
    modules."""
    import dask
    from distributed import Client, LocalCluster

    folder = job.kept_path("dask")
    with dask.config.set(SETTINGS):
        cluster = LocalCluster(
            n_workers=job.processes,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            local_directory=str(folder),
        )
        kept = Client(cluster), cluster, folder
        try:
            kept[0].wait_for_workers(job.processes)
            kept[0].run(import_worker_modules, job.workload)
        except BaseException:
            stop(kept)
            raise
    job.note(cluster="local")
    job.lap("startup")
    return kept


def stop(kept) -> None:
    client, cluster, folder = kept
    client.close()
    cluster.close()
    shutil.rmtree(folder, ignore_errors=True)


def run(job: Job, function, make_arguments) -> list:
    client, _, _ = job.warm("dask cluster", lambda: start(job), stop)
    futures = client.map(function, make_arguments(client), pure=False)
    results = client.gather(futures)
    job.lap("compute")
    return results


def primes(job: Job) -> int:
    return sum(run(job, count_primes_in, lambda client: job.pieces))


def array(job: Job):
    import numpy as np  # here, not at the top: primes workers would import it too

    from mpbench.array import compute

    data = job.read_input()
    job.lap("setup")

    def scatter(client):
        return client.scatter([data[p.start : p.stop] for p in job.pieces], hash=False)

    return np.concatenate(run(job, compute, scatter))


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
