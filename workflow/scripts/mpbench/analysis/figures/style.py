"""What every figure shares about how things look: colours, line styles, sizes, labels.

A strategy keeps its colour in every figure (`strategy_colours`); a flagged cell (its
repeats vary by more than 10 % or the machine was busy) is drawn hollow; an unresolved cell
(its speedup's 95 % confidence interval is wider than ±5 %) is drawn as a diamond.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

# The vocabulary of cells.csv (what the summary writes there): the baseline strategy, and
# the start method of a cell whose strategy starts no process. The figures read the table
# only; they import no strategy code.
BASELINE = "single"
NO_START_METHOD = "none"
# text columns and their values where a cell (or an older table) has none: a pool started
# in the run, a speedup over single
TEXT_COLUMNS = {"skipped": "", "data_path": "", "pool": "cold", "baseline": BASELINE}
# multiprocessing's start methods; any other name in the table is an engine's own (joblib's
# and loky's "loky", dask's "dask"), whose cells belong to every sweep as "none"'s do
MULTIPROCESSING_START_METHODS = ("fork", "spawn", "forkserver")


def in_sweep(start_methods: pd.Series, start_method: str) -> pd.Series:
    """Which cells belong to the sweep of `start_method`: its own, and those of strategies
    that start no process or start their workers their engine's own way."""
    others = set(MULTIPROCESSING_START_METHODS) - {start_method}
    return ~start_methods.isin(others)


WIDTH_IN, PANEL_HEIGHT_IN, DPI = 11.0, 4.2, 110

METHOD_COLOURS = {
    "fork": "#4c72b0",
    "spawn": "#dd8452",
    "forkserver": "#55a868",
    # the engines' own (OWN_START_METHOD in their scripts)
    "loky": "#c44e52",
    "dask": "#937860",
}
# in the order a run goes through them
PHASE_COLOURS = {
    "setup": "#8172b3",
    "startup": "#dd8452",
    "compute": "#4c72b0",
    "teardown": "#8c8c8c",
}
PHASE_LABELS = {
    "setup": "set-up",
    "startup": "start-up",
    "compute": "compute",
    "teardown": "teardown",
}
SPLIT_STYLES = {"dynamic": "-", "static": "--", "none": "-"}

FLAG_LABEL = "flagged: CV > 10 % or busy machine"
UNRESOLVED_LABEL = "unresolved: CI wider than ±5 %"
CI_LABEL = "bar: 95 % confidence interval"
MARK_MS = 6.5  # the size (points) of the flagged / unresolved marks drawn over a point
FLAG_MARKER, UNRESOLVED_MARKER = "o", "D"

# The array workload's data paths (the cells' `data_path` column): "zero-copy" strategies'
# workers read the input and write the output where the parent keeps them (threads: one
# address space; the others: shared memory or a shared mapping), so nothing is copied after
# set-up; "copies" strategies move the data to the workers and back (pickles, pipes,
# proxies). A workload without data (primes) leaves the column empty.
DATA_PATH_STYLES = {"copies": "-", "zero-copy": "--"}
DATA_PATH_LABELS = {
    "copies": "copies the data (pickles, pipes, proxies)",
    "zero-copy": "zero-copy (threads, shared memory, mappings)",
}

# Hand-picked, mutually distinct colours for the known strategies (no grey: that is the
# ideal line; black is the baseline), in legend order (array: pipe after the other copying
# paths, shared_memory and mmap_file after the other zero-copy ones).
# User-added strategies take the qualitative palette after them, in sorted order.
_KNOWN_COLOURS = {
    "threads": "#1f77b4",
    "process_queue": "#ff7f0e",
    "pool_map": "#2ca02c",
    "pool_map_async": "#d62728",
    "pool_apply_async": "#9467bd",
    "process_pool_executor": "#8c564b",
    "manager": "#e377c2",
    "pipe": "#c51b7d",
    "sharedctypes_value": "#bcbd22",
    "sharedctypes_array": "#17becf",
    "shared_numpy": "#393b79",
    "mmap_anonymous": "#e6ab02",
    "shared_memory": "#01665e",
    "mmap_file": "#7fbc41",
}
KNOWN_STRATEGIES = (BASELINE, *_KNOWN_COLOURS)
_EXTRA_COLOURS = (
    "#7b4173",
    "#637939",
    "#843c39",
    "#6baed6",
    "#fd8d3c",
    "#74c476",
    "#9e9ac8",
    "#e7969c",
    "#8c6d31",
    "#3182bd",
)
REFERENCE_COLOUR = "#8c8c8c"  # reference rows where they stand apart (the ranking)


def strategy_colours(strategies) -> dict:
    """One stable colour per strategy: `single` black, each known strategy its own, then
    unknown (user-added) names in sorted order; keys in legend order."""
    names = set(strategies)
    colours = {BASELINE: "black", **_KNOWN_COLOURS}
    for i, name in enumerate(sorted(names - set(colours))):
        colours[name] = (
            _EXTRA_COLOURS[i] if i < len(_EXTRA_COLOURS) else plt.get_cmap("hsv")(i * 0.618 % 1)
        )
    return {name: colours[name] for name in strategy_order(names)}


def strategy_order(names) -> list:
    """Legend order: the known strategies first (as above), then the others sorted."""
    known = [s for s in KNOWN_STRATEGIES if s in names]
    return known + sorted(set(names) - set(KNOWN_STRATEGIES))
