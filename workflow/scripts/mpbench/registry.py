"""The strategies: one script per strategy under workflow/scripts/strategies/.

A strategy's name is its file name, in config, result paths and figure legends alike.
Adding a strategy is adding one file there (and its name to the config).
"""

import importlib
import multiprocessing
import sys
from pathlib import Path
from types import ModuleType

STRATEGIES_DIR = Path(__file__).resolve().parents[1] / "strategies"
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


def starts_processes(name: str) -> bool:
    """False for strategies that run in one process (single, threads, references)."""
    return bool(getattr(load(name), "STARTS_PROCESSES", True))


def start_methods(name: str) -> tuple[str, ...]:
    """The start methods a process-based strategy runs under (all this platform has, unless
    the strategy lists fewer in START_METHODS); () for one that starts no process."""
    if not starts_processes(name):
        return ()
    available = multiprocessing.get_all_start_methods()
    return tuple(m for m in getattr(load(name), "START_METHODS", available) if m in available)


def is_reference(name: str) -> bool:
    """A reference row (REFERENCE = True): not a way to parallelise, but a yardstick such as a
    better algorithm in one process. It is shown beside the strategies, never ranked among them."""
    return bool(getattr(load(name), "REFERENCE", False))
