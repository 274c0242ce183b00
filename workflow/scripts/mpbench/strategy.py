"""What a strategy script declares about itself, read once into one typed description.

A strategy script (workflow/scripts/strategies/<name>.py) defines one function per workload
it runs (`def primes(job)`, `def array(job)`) and may declare:

- ``SPLITS``: the splits it supports (required), e.g. ("static", "dynamic");
- ``STARTS_PROCESSES = False`` for one that runs in one process (single, threads);
- ``START_METHODS``: the start methods it works under, where not all of them;
- ``OWN_START_METHOD``: for one whose engine starts its workers its own way, not through a
  multiprocessing start method (joblib and loky: "loky", fork then exec; dask: "dask", its
  nanny's spawn): the name its cells are recorded under. It runs under that one method only,
  whatever the config's start_methods say, and the harness's own processes (the memory
  baseline's idle workers) are started with ENGINE_CONTEXT, the closest multiprocessing
  method (a fresh interpreter);
- ``EXISTING_CLUSTER = True`` for one whose engine can use a cluster that is already
  running instead of starting its own workers (dask_distributed): it takes --scheduler
  ADDRESS (config key dask_scheduler), given to it as Job.scheduler;
- ``REFERENCE = True`` for a yardstick that is not a way to parallelise (numpy_sieve);
- ``DATA_PATH = "zero-copy"`` where the array workload's workers compute in the buffers the
  parent reads (shared memory, mappings, threads); the default, "copies", is for strategies
  that pickle, pipe or proxy the data;
- ``POOL = "warm"`` for one whose workers outlive the run (kept across the cell's runs with
  Job.kept, started by the untimed priming run); the default, "cold", starts what it uses
  inside every timed run. The harness checks the declaration against what the strategy kept;
- ``BASELINE``: the one-process strategy its speedup is measured against, in every round
  (default "single"; mmap_file: "single_mmap", which maps the input as it does).

`Strategy.of(namespace)` reads these once; everything else (the harness, the registry, the
record, and through the record the tables and figures) asks the Strategy.
"""

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mpbench.split import SINGLE
from mpbench.workloads import WORKLOADS

BASELINE = "single"  # the default baseline: the strategy a speedup is measured against
POOLS = ("cold", "warm")  # started in each run, or kept across the cell's runs (Job.kept)
NO_START_METHOD = "none"  # the start method of a cell whose strategy starts no process
DATA_PATHS = ("copies", "zero-copy")
STRATEGIES_DIR = Path(__file__).resolve().parents[1] / "strategies"
DECLARED = (
    "SPLITS",
    "STARTS_PROCESSES",
    "START_METHODS",
    "OWN_START_METHOD",
    "EXISTING_CLUSTER",
    "REFERENCE",
    "DATA_PATH",
    "POOL",
    "BASELINE",
)
# The multiprocessing start method of the harness's own processes in a cell whose strategy
# declares OWN_START_METHOD (its engine's workers are fresh interpreters, as under spawn).
ENGINE_CONTEXT = "spawn"


@dataclass(frozen=True)
class Strategy:
    name: str
    description: str
    runs: dict[str, Callable]  # workload name -> the function that runs it
    splits: tuple[str, ...]
    starts_processes: bool
    start_methods: tuple[str, ...]  # on this platform; () for one that starts no process
    reference: bool
    data_path: str
    own_start_method: str | None = None  # its engine's own way of starting workers
    existing_cluster: bool = False  # it can use a running cluster (--scheduler)
    pool: str = "cold"  # "warm": its workers are kept across the cell's runs (Job.kept)
    baseline: str = BASELINE  # the strategy its speedup is measured against

    @classmethod
    def of(cls, namespace: dict, name: str | None = None) -> "Strategy":
        """Read a strategy script's globals (`vars(module)` or `globals()`)."""
        name = name or Path(namespace["__file__"]).stem
        if "SPLITS" not in namespace:
            raise ValueError(f"strategy {name!r} declares no SPLITS")
        data_path = namespace.get("DATA_PATH", "copies")
        if data_path not in DATA_PATHS:
            raise ValueError(
                f"strategy {name!r}: DATA_PATH must be one of {', '.join(DATA_PATHS)}, "
                f"got {data_path!r}"
            )
        pool = namespace.get("POOL", "cold")
        if pool not in POOLS:
            raise ValueError(
                f"strategy {name!r}: POOL must be one of {', '.join(POOLS)}, got {pool!r}"
            )
        baseline = namespace.get("BASELINE", BASELINE)
        known = sorted(p.stem for p in STRATEGIES_DIR.glob("*.py") if not p.stem.startswith("_"))
        if baseline not in known:
            raise ValueError(
                f"strategy {name!r}: BASELINE must name a strategy script, one of "
                f"{', '.join(known)}; got {baseline!r}"
            )
        starts = bool(namespace.get("STARTS_PROCESSES", True))
        available = multiprocessing.get_all_start_methods()
        methods = namespace.get("START_METHODS", available)
        own = namespace.get("OWN_START_METHOD")
        if own is not None:
            if not starts or "START_METHODS" in namespace:
                raise ValueError(
                    f"strategy {name!r}: OWN_START_METHOD goes with neither START_METHODS nor "
                    "STARTS_PROCESSES = False"
                )
            taken = ("fork", "spawn", "forkserver", NO_START_METHOD)  # multiprocessing's, "none"
            if not isinstance(own, str) or not own or own in taken:
                raise ValueError(
                    f"strategy {name!r}: OWN_START_METHOD must name the engine's own way of "
                    f"starting workers, not {own!r} (multiprocessing's are START_METHODS)"
                )
            methods, available = (own,), (own,)
        return cls(
            name=name,
            description=namespace.get("__doc__") or name,
            runs={w: namespace[w] for w in WORKLOADS if callable(namespace.get(w))},
            splits=tuple(namespace["SPLITS"]),
            starts_processes=starts,
            start_methods=tuple(m for m in methods if m in available) if starts else (),
            reference=bool(namespace.get("REFERENCE", False)),
            data_path=data_path,
            own_start_method=own,
            existing_cluster=bool(namespace.get("EXISTING_CLUSTER", False)),
            pool=pool,
            baseline=baseline,
        )

    def context(self, start_method: str | None):
        """The multiprocessing context of a cell run under `start_method` (as resolved by
        resolve_start_method): ENGINE_CONTEXT's for the strategy's own method."""
        if start_method is not None and start_method == self.own_start_method:
            return multiprocessing.get_context(ENGINE_CONTEXT)
        return multiprocessing.get_context(start_method)

    @property
    def workloads(self) -> list[str]:
        return list(self.runs)

    def default_split(self, workload: str) -> str:
        """The last of its splits that the workload has (static for array, dynamic for primes)."""
        allowed = [s for s in self.splits if s in WORKLOADS[workload].splits]
        return allowed[-1] if allowed else self.splits[-1]

    def check_cell(self, workload: str, n: int, processes: int, split: str) -> None:
        """Refuse a cell the strategy cannot run, naming what is allowed."""
        if workload not in self.runs:
            raise ValueError(
                f"strategy {self.name!r} does not run workload {workload!r}; "
                f"it runs: {', '.join(self.runs) or 'none'}"
            )
        if split not in self.splits:
            raise ValueError(
                f"strategy {self.name!r} has no split {split!r}; allowed: {', '.join(self.splits)}"
            )
        allowed = WORKLOADS[workload].splits
        if split not in allowed:
            raise ValueError(
                f"workload {workload!r} has no split {split!r}; allowed: {', '.join(allowed)}"
            )
        if n < 2:
            raise ValueError(f"n must be >= 2, got {n}")
        if processes < 1:
            raise ValueError(f"processes must be >= 1, got {processes}")
        if split == SINGLE and processes != 1:
            raise ValueError(
                f"strategy {self.name!r} runs in one process (split {SINGLE!r}); "
                f"processes must be 1, got {processes}"
            )

    def resolve_start_method(self, requested: str | None) -> str | None:
        """The start method to use: the one asked for, else the platform's default, else
        the first one it lists; None for a strategy that starts no process."""
        if not self.starts_processes:
            if requested is not None:
                raise ValueError(
                    f"strategy {self.name!r} starts no process, so --start-method does not "
                    "apply to it"
                )
            return None
        if requested is None:
            default = multiprocessing.get_context().get_start_method()
            return default if default in self.start_methods else self.start_methods[0]
        if requested not in self.start_methods:
            raise ValueError(
                f"strategy {self.name!r} cannot run under start method {requested!r}; "
                f"allowed: {', '.join(self.start_methods)}"
            )
        return requested


def load_baseline(name: str = BASELINE) -> Strategy:
    """The baseline strategy's script (a strategy's declared BASELINE), imported from the
    strategies folder (the measured process runs it in every round, beside the strategy)."""
    import importlib.util
    import sys

    if str(STRATEGIES_DIR) not in sys.path:  # its `import _bootstrap` needs the folder
        sys.path.insert(1, str(STRATEGIES_DIR))
    path = STRATEGIES_DIR / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"mpbench_baseline_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Strategy.of(vars(module), name)
