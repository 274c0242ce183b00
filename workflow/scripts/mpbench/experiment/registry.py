"""The strategies: one script per strategy under workflow/scripts/strategies/.

A strategy's name is its file name, in config, result paths and figure legends alike.
Adding a strategy is adding one file there (and its name to the config).
"""

import importlib
import sys
from pathlib import Path
from types import ModuleType

from mpbench import harness

STRATEGIES_DIR = Path(__file__).resolve().parents[2] / "strategies"
BASELINE = "single"
NO_START_METHOD = "none"  # the start method of a cell whose strategy starts no process


class UnknownStrategy(KeyError):
    def __str__(self) -> str:
        return self.args[0]


def names() -> list[str]:
    """Every strategy there is a script for, alphabetically."""
    return sorted(p.stem for p in STRATEGIES_DIR.glob("*.py") if not p.stem.startswith("_"))


def script(name: str) -> Path:
    if name not in names():
        raise UnknownStrategy(
            f"unknown strategy {name!r}; known: {', '.join(names())} "
            f"(a strategy is a file {STRATEGIES_DIR}/<name>.py)"
        )
    return STRATEGIES_DIR / f"{name}.py"


def load(name: str) -> ModuleType:
    """Import the strategy's script as the module `name` (its folder goes on sys.path)."""
    script(name)
    if str(STRATEGIES_DIR) not in sys.path:
        sys.path.insert(0, str(STRATEGIES_DIR))
    return importlib.import_module(name)


def splits(name: str) -> tuple[str, ...]:
    return tuple(load(name).SPLITS)


def workloads(name: str) -> list[str]:
    """The workloads a strategy runs: those it defines a function for."""
    return harness.workloads_of(vars(load(name)))


def workload_splits(workload: str) -> tuple[str, ...]:
    """The splits that make sense for a workload (array: none and static only)."""
    return harness.WORKLOADS[workload].splits


def starts_processes(name: str) -> bool:
    """False for strategies that run in one process (single, threads, references)."""
    return harness.starts_processes(vars(load(name)))


def start_methods(name: str) -> tuple[str, ...]:
    """The start methods a process-based strategy runs under; () for one that starts none."""
    namespace = vars(load(name))
    return harness.supported_start_methods(namespace) if harness.starts_processes(namespace) else ()


def data_path(name: str) -> str:
    """'zero-copy' or 'copies': how the array workload's data reaches the strategy's workers."""
    return harness.data_path(vars(load(name)))


def is_reference(name: str) -> bool:
    """A reference row: not a way to parallelise, but a yardstick such as a better algorithm
    in one process. It is shown beside the strategies, never ranked among them."""
    return harness.is_reference(vars(load(name)))
