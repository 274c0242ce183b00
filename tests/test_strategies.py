"""Every strategy of the primes workload gives the exact count for any N >= 2 and P >= 1.
(The array workload's strategies: tests/test_array.py.)"""

import time

import pytest

from mpbench import processes, timing
from mpbench.experiment import registry
from mpbench.job import Job, stop_kept
from mpbench.primes import count_primes_sieve
from mpbench.split import split_work

pytestmark = pytest.mark.integration  # every test here runs strategies in real processes

STRATEGIES = [name for name in registry.names() if "primes" in registry.workloads(name)]
# N = 2 and 3 (the smallest), 98 and 7920 (just above the primes 97 and 7919), 1000 (round)
SIZES = [2, 3, 98, 1000, 7920]
# P = 3 does not divide the ranges evenly; P = 5 is more than N for the small sizes
PROCESS_COUNTS = [1, 2, 3, 5]


PROCESS_STRATEGIES = [s for s in STRATEGIES if registry.starts_processes(s)]


def run_strategy(name: str, n: int, processes_: int, split: str, method: str | None = None):
    module = registry.load(name)
    method = registry.describe(name).resolve_start_method(method)
    job = Job(
        "primes",
        n,
        processes_,
        split,
        split_work(n, processes_, split),
        registry.describe(name).context(method),
    )
    try:
        return module.primes(job), job
    finally:
        stop_kept()  # what the harness does as the cell ends (a warm pool, see loky_warm)


def cases():
    for name in STRATEGIES:
        for split in registry.splits(name):
            for n in SIZES:
                for p in [1] if split == "none" else PROCESS_COUNTS:
                    yield pytest.param(name, split, n, p, id=f"{name}-{split}-n{n}-p{p}")


def test_every_blog_strategy_is_registered():
    assert set(STRATEGIES) >= {
        "single",
        "threads",
        "process_queue",
        "pool_map",
        "pool_map_async",
        "pool_apply_async",
        "process_pool_executor",
        "manager",
        "sharedctypes_value",
        "sharedctypes_array",
        "shared_numpy",
        "mmap_anonymous",
    }


@pytest.mark.parametrize("name,split,n,processes_", list(cases()))
def test_strategy_counts_exactly(name, split, n, processes_):
    count, _ = run_strategy(name, n, processes_, split)
    assert count == count_primes_sieve(n)
    assert processes.live_descendants() == []


@pytest.mark.parametrize("name", [s for s in STRATEGIES if registry.splits(s) != ("none",)])
def test_strategy_at_the_blog_size_with_more_workers_than_cores(name):
    # the blog post's Process version was wrong whenever cpu_count() != 4
    count, _ = run_strategy(name, 10**5, 6, "static")
    assert count == 9592


def start_method_cases():
    for name in PROCESS_STRATEGIES:
        for method in registry.start_methods(name):
            for split in registry.splits(name):
                yield pytest.param(name, method, split, id=f"{name}-{method}-{split}")


@pytest.mark.parametrize("name,method,split", list(start_method_cases()))
def test_strategy_counts_exactly_under_every_start_method(name, method, split):
    # spawn and forkserver children import the strategy afresh: nothing may come from
    # globals the parent set; P = 3 does not divide 7920 - 1 numbers evenly
    count, job = run_strategy(name, 7920, 3, split, method)
    assert count == 1000  # pi(7920): 7919 is the 1000th prime
    own = registry.describe(name).own_start_method  # loky, dask: the harness's are spawned
    assert job.context.get_start_method() == ("spawn" if method == own else method)
    assert processes.live_descendants() == []


def test_every_process_strategy_runs_under_all_three_start_methods_but_mmap_anonymous():
    three = {"fork", "spawn", "forkserver"}
    every = [
        s
        for s in registry.names()
        if registry.starts_processes(s) and registry.describe(s).own_start_method is None
    ]
    assert {s for s in every if set(registry.start_methods(s)) == three} == set(every) - {
        "mmap_anonymous"
    }
    # an anonymous mapping reaches a child only by being inherited through fork
    assert registry.start_methods("mmap_anonymous") == ("fork",)
    with pytest.raises(ValueError, match="cannot run under start method 'spawn'; allowed: fork"):
        registry.describe("mmap_anonymous").resolve_start_method("spawn")
    with pytest.raises(ValueError, match="starts no process"):
        registry.describe("single").resolve_start_method("spawn")


def test_engines_start_their_workers_their_own_way_and_refuse_multiprocessings():
    own = {s: registry.describe(s).own_start_method for s in registry.names()}
    assert {s: m for s, m in own.items() if m is not None} == {
        "joblib_parallel": "loky",
        "joblib_warm": "loky",
        "loky_cold": "loky",
        "loky_warm": "loky",
        "dask_distributed": "dask",
        "dask_warm": "dask",
    }
    assert registry.own_start_methods() == ("dask", "loky")
    for name in ("joblib_parallel", "joblib_warm", "dask_distributed", "dask_warm"):
        method = own[name]
        assert registry.start_methods(name) == (method,)
        assert registry.describe(name).resolve_start_method(None) == method
        with pytest.raises(
            ValueError, match=f"cannot run under start method 'fork'; allowed: {method}"
        ):
            registry.describe(name).resolve_start_method("fork")
    # and a multiprocessing strategy refuses an engine's
    with pytest.raises(ValueError, match="cannot run under start method 'loky'; allowed: fork"):
        registry.describe("pool_map").resolve_start_method("loky")


def test_numpy_sieve_reference_row_agrees_with_the_reference_values():
    sieve = registry.load("numpy_sieve")
    assert registry.is_reference("numpy_sieve") and not registry.starts_processes("numpy_sieve")
    assert [sieve.count_primes_odd_sieve(n) for n in (2, 3, 10, 10**5, 3 * 10**5, 10**7)] == [
        1,
        2,
        4,
        9592,
        25997,
        664579,
    ]


@pytest.mark.parametrize(
    "name,method",
    [(s, m) for s in PROCESS_STRATEGIES for m in registry.start_methods(s) if m != "forkserver"],
)
def test_process_strategies_mark_phases_that_add_up(name, method):
    import time

    module = registry.load(name)
    job = Job(
        "primes",
        5000,
        2,
        "dynamic",
        split_work(5000, 2, "dynamic"),
        registry.describe(name).context(method),
    )
    started = time.perf_counter()
    module.primes(job)
    finished = time.perf_counter()
    stop_kept()
    phases = timing.phases_of(job, started, finished)
    assert phases is not None, f"{name} does not mark start-up and compute"
    assert all(value >= 0 for value in phases.values())
    assert sum(phases.values()) == pytest.approx(finished - started, abs=1e-9)


def test_warm_and_cold_are_declared_once_and_each_warm_strategy_has_its_cold_twin():
    pools = {s: registry.describe(s).pool for s in registry.names()}
    warm = {s for s, pool in pools.items() if pool == "warm"}
    assert warm == {
        "pool_map_warm",
        "process_pool_executor_warm",
        "joblib_warm",
        "loky_warm",
        "dask_warm",
    }
    assert set(pools.values()) == {"cold", "warm"}
    twins = {
        "joblib_warm": "joblib_parallel",
        "loky_warm": "loky_cold",
        "dask_warm": "dask_distributed",
    }
    for name in warm:
        cold = twins.get(name, name.removesuffix("_warm"))
        assert pools[cold] == "cold" and registry.workloads(cold) == registry.workloads(name)
        assert registry.start_methods(cold) == registry.start_methods(name)


@pytest.mark.parametrize("name", ["pool_map_warm", "process_pool_executor_warm", "joblib_warm"])
def test_a_warm_pool_is_started_by_the_first_run_and_reused_by_the_next(name):
    module = registry.load(name)
    context = registry.describe(name).context(registry.describe(name).resolve_start_method(None))

    def job(n):
        return Job("primes", n, 2, "dynamic", split_work(n, 2, "dynamic"), context)

    try:
        assert module.primes(job(7920)) == 1000  # the cell's first run starts the pool
        workers = {p.pid for p in processes.live_descendants()}
        assert len(workers) >= 2
        second = job(10**6)
        started = time.perf_counter()
        assert module.primes(second) == 78498  # pi(10^6)
        # the same workers, and its start-up only took the running pool: no worker started
        assert {p.pid for p in processes.live_descendants()} == workers
        assert second.marks["startup"] - started < 0.005
    finally:
        stop_kept()
    assert processes.live_descendants() == []
