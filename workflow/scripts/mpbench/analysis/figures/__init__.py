"""Figures over the per-cell table (`cells.csv`, one row per benchmark cell).

Each figure is a function `name(cells, path)` that draws the PNG `path` from the cells of
one workload and returns the (closed) matplotlib Figure; `@figure` (registry.py) registers
it for its workloads and report section, and `FIGURES` is the list the workflow, its
report and the tests read. `draw(name, cells, path, ...)` selects the cells a figure
shows and draws it.

All figures colour a strategy the same way (style.py), mark flagged cells (CV > 10 % or a
busy machine) with hollow markers or hatched bars, draw every speedup and efficiency with
its 95 % confidence interval and unresolved cells (interval wider than ±5 %) as diamonds,
never draw a skipped cell (one not run, e.g. above a strategy's size limit) but name it in
the legend, and state the workload, host, Python version, core count and start method in the
title, so that a PNG read on its own is honest about where it was measured. They read what
they need from the table only (a strategy's data path from its `data_path` column), never
strategy code.

Modules: style (colours, sizes, labels), layout (panels, legends, marks, the table),
registry (the decorator and the list), and the figures by idea: ranking (at a glance),
scaling, startup, memory; and the ipc workload's (ipc), over its own table.
"""

import pandas as pd
from matplotlib.figure import Figure

from . import layout
from .ipc import cost_lines, ipc_at_a_glance, latency_vs_size, throughput_vs_size
from .memory import ONE_COPY, RATIO_FLOOR, ZERO_COPY_BOUND, memory_vs_n, setup_vs_compute
from .ranking import rank_strategies, speedup_ranking
from .registry import FIGURES, Entry, figure, find, for_workload, workloads
from .scaling import amdahl_fits, efficiency_vs_processes, speedup_vs_processes, time_vs_n
from .startup import fixed_cost, phases_small_n, startup_cost
from .style import KNOWN_STRATEGIES, in_sweep, strategy_colours

__all__ = [
    "FIGURES",
    "Entry",
    "figure",
    "find",
    "for_workload",
    "workloads",
    "draw",
    "rank_strategies",
    "strategy_colours",
    "KNOWN_STRATEGIES",
    "ONE_COPY",
    "ZERO_COPY_BOUND",
    "RATIO_FLOOR",
    "speedup_ranking",
    "speedup_vs_processes",
    "efficiency_vs_processes",
    "time_vs_n",
    "amdahl_fits",
    "startup_cost",
    "phases_small_n",
    "fixed_cost",
    "memory_vs_n",
    "setup_vs_compute",
    "ipc_at_a_glance",
    "latency_vs_size",
    "throughput_vs_size",
    "cost_lines",
]


def draw(
    name: str,
    cells: pd.DataFrame,
    path,
    start_method: str | None = None,
    fits: pd.DataFrame | None = None,
    costs: pd.DataFrame | None = None,
) -> Figure:
    """Write figure `name` from the cells of one workload.

    The figure's `rows` (see registry.py) say which cells it gets: most show one start
    method (`start_method`, the full sweep's; the cells of strategies that start no process,
    or start them their engine's own way, always belong), without reference rows or with
    them; the start-method figures show all.
    """
    workload = cells["workload"].dropna().unique() if "workload" in cells else []
    entry = find(name, workload[0] if len(workload) == 1 else None)
    options = {"start_method": start_method, "fits": fits, "costs": costs}
    if entry.rows == "all":
        return entry.draw(cells, path, **{option: options[option] for option in entry.options})
    cells = layout.clean(cells)
    if entry.rows != "every_start_method" and start_method is not None:
        cells = cells[in_sweep(cells["start_method"], start_method)]
    if entry.rows == "sweep":
        cells = cells[~cells["reference"]]
    return entry.draw(cells, path, **{option: options[option] for option in entry.options})
