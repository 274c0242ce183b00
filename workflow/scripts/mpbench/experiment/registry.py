"""The strategies: one script per strategy under workflow/scripts/strategies/.

A strategy's name is its file name, in config, result paths and figure legends alike.
Adding a strategy is adding one file there (and its name to the config). What a strategy
declares about itself is read once, into a `mpbench.strategy.Strategy` (`describe`).
"""

import importlib
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

from mpbench.strategy import BASELINE, NO_START_METHOD, STRATEGIES_DIR, Strategy
from mpbench.workloads import WORKLOADS

__all__ = [
    "BASELINE",
    "NO_START_METHOD",
    "STRATEGIES_DIR",
    "UnknownStrategy",
    "names",
    "script",
    "load",
    "describe",
    "splits",
    "workloads",
    "workload_splits",
    "starts_processes",
    "start_methods",
    "own_start_methods",
    "data_path",
    "is_reference",
    "baseline",
]


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


@cache
def describe(name: str) -> Strategy:
    """What the strategy declares about itself."""
    return Strategy.of(vars(load(name)), name)


def splits(name: str) -> tuple[str, ...]:
    return describe(name).splits


def workloads(name: str) -> list[str]:
    """The workloads a strategy runs: those it defines a function for."""
    return describe(name).workloads


def workload_splits(workload: str) -> tuple[str, ...]:
    """The splits that make sense for a workload (array: none and static only)."""
    return WORKLOADS[workload].splits


def starts_processes(name: str) -> bool:
    """False for strategies that run in one process (single, threads, references)."""
    return describe(name).starts_processes


def start_methods(name: str) -> tuple[str, ...]:
    """The start methods a process-based strategy runs under; () for one that starts none."""
    return describe(name).start_methods


def own_start_methods() -> tuple[str, ...]:
    """The engines' own start methods (OWN_START_METHOD) that some strategy declares."""
    owns = (describe(name).own_start_method for name in names())
    return tuple(sorted({m for m in owns if m is not None}))


def data_path(name: str) -> str:
    """'zero-copy' or 'copies': how the array workload's data reaches the strategy's workers."""
    return describe(name).data_path


def is_reference(name: str) -> bool:
    """A reference row: not a way to parallelise, but a yardstick such as a better algorithm
    in one process. It is shown beside the strategies, never ranked among them."""
    return describe(name).reference


def baseline(name: str) -> str:
    """The strategy a strategy's speedup is measured against (its BASELINE): timed beside it
    in every round, so its script is an input of the strategy's cells."""
    return describe(name).baseline
