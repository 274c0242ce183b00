"""The one list of figures: each is the function that draws it, registered with `@figure`.

    @figure("primes", section="Scaling", order=10)
    def speedup_vs_processes(cells, path): ...

registers the figure `speedup_vs_processes` of the primes workload: the workflow draws it
into results/figures/primes/speedup_vs_processes.png and shows it in the report section
"Scaling" with the caption workflow/report/primes/speedup_vs_processes.rst. A figure may
register for several workloads at once (`workload=("primes", "array")`) or, stacking the
decorator, in a different section or place for each. The workflow's plot rules, its report
and the tests all read `FIGURES`; adding a figure is writing the function and its caption.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[5]  # the repository (the workflow's own folder)
# Which cells a figure gets (`draw` selects them): the primary start method's (plus those of
# strategies that start no process) without reference rows; the same with reference rows;
# or every start method's, reference rows included; or every row as given (the ipc
# workload's table, which has its own columns: mpbench.analysis.ipc).
ROWS = ("sweep", "sweep_and_reference", "every_start_method", "all")
# what `draw` may pass on, to a figure function whose signature names it
OPTIONS = ("start_method", "fits", "costs")


@dataclass(frozen=True)
class Entry:
    """One figure of one workload."""

    name: str
    workload: str
    section: str
    order: int
    rows: str
    draw: Callable = field(repr=False, compare=False)

    @property
    def caption(self) -> str:
        """Its caption, relative to the repository."""
        return f"workflow/report/{self.workload}/{self.name}.rst"

    @property
    def caption_file(self) -> Path:
        return ROOT / self.caption

    @property
    def options(self) -> tuple[str, ...]:
        """The options of `draw` the function takes (start_method, fits, costs)."""
        parameters = inspect.signature(self.draw).parameters
        return tuple(option for option in OPTIONS if option in parameters)


# every figure of every workload, by workload then order (filled in as the figure modules
# are imported: mpbench.analysis.figures imports them all)
FIGURES: list[Entry] = []


def figure(workload, section: str, order: int, rows: str = "sweep"):
    """Register the decorated function as the figure of its name for `workload` (a name or
    several), shown in report section `section` at place `order` (lower first; a section
    comes where its first figure does)."""
    workloads = (workload,) if isinstance(workload, str) else tuple(workload)
    if rows not in ROWS:
        raise ValueError(f"rows={rows!r}: one of {', '.join(ROWS)}")

    def register(function: Callable) -> Callable:
        for name in workloads:
            if any(e.workload == name and e.name == function.__name__ for e in FIGURES):
                raise ValueError(f"figure {function.__name__!r} registered twice for {name!r}")
            FIGURES.append(Entry(function.__name__, name, section, order, rows, function))
        FIGURES.sort(key=lambda e: (e.workload, e.order, e.name))
        return function

    return register


def for_workload(workload: str) -> list[Entry]:
    """The figures of one workload, in report order."""
    return [entry for entry in FIGURES if entry.workload == workload]


def workloads() -> list[str]:
    return sorted({entry.workload for entry in FIGURES})


def find(name: str, workload: str | None = None) -> Entry:
    """The entry of figure `name` (for `workload` where given and registered)."""
    found = [entry for entry in FIGURES if entry.name == name]
    if not found:
        raise KeyError(
            f"no figure {name!r}; registered: {', '.join(sorted({e.name for e in FIGURES}))}"
        )
    return next((entry for entry in found if entry.workload == workload), found[0])
