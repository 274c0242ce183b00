# Config validation, the list of cells, and wildcard constraints.

import itertools
import multiprocessing
import os
import sys
from pathlib import Path

import jsonschema
from snakemake.utils import validate

SCRIPTS = Path(workflow.basedir) / "workflow" / "scripts"
sys.path.insert(0, str(SCRIPTS))

from mpbench.experiment import registry  # noqa: E402
from mpbench.experiment.registry import NO_START_METHOD  # noqa: E402
from mpbench.split import SINGLE, SPLITS  # noqa: E402


def config_error(error: jsonschema.ValidationError) -> str:
    """One line naming the config key that is wrong and what is allowed there."""
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    where = f"config key {key.lstrip('.')!r}" if key else "config"
    if error.validator == "additionalProperties":
        allowed = list(error.schema["properties"])
        extra = [k for k in error.instance if k not in allowed]
        return f"{where}: unknown key {', '.join(map(repr, extra))}; allowed keys: {', '.join(allowed)}"
    hint = error.schema.get("description", "")
    return f"{where}: {error.message}" + (f" ({hint.strip()})" if hint else "")


try:
    validate(config, "../schemas/config.schema.yaml")
except Exception as error:
    # Snakemake wraps the schema's ValidationError (with the whole schema in its text)
    cause = error.__cause__ or error.__context__
    if not isinstance(cause, jsonschema.ValidationError):
        raise
    raise ValueError(config_error(cause)) from None


def workload_grid(entries, strategies):
    """{workload: (sizes, strategies)} from the config's list of workloads, checked against
    what the schema cannot know: each workload named once, strategies that exist and run
    it, and the baseline among them."""
    known = registry.names()
    unknown = [name for name in strategies if name not in known]
    if unknown:
        raise ValueError(
            f"config key 'strategies': unknown strategy {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(known)}"
        )
    grid = {}
    for index, entry in enumerate(entries):
        workload, key = entry["name"], f"config key 'workloads[{index}]"
        if workload in grid:
            raise ValueError(f"{key}.name': workload {workload!r} is listed twice")
        runs = [s for s in known if workload in registry.workloads(s)]
        if "strategies" in entry:
            wrong = [s for s in entry["strategies"] if s not in runs]
            if wrong:
                raise ValueError(
                    f"{key}.strategies': {', '.join(map(repr, wrong))} cannot run "
                    f"workload {workload!r}; allowed: {', '.join(runs)}"
                )
            chosen, where = entry["strategies"], f"{key}.strategies'"
        else:
            chosen, where = [s for s in strategies if s in runs], "config key 'strategies'"
        if registry.BASELINE not in chosen:
            raise ValueError(
                f"{where} must include {registry.BASELINE!r}: it is the baseline every "
                f"speedup on {workload!r} is measured against"
            )
        grid[workload] = (entry["n"], chosen)
    return grid


def check_size_limits(limits):
    for strategy, by_workload in limits.items():
        if strategy not in registry.names():
            raise ValueError(
                f"config key 'size_limits.{strategy}': unknown strategy; "
                f"allowed: {', '.join(registry.names())}"
            )
        for workload in by_workload:
            if workload not in registry.workloads(strategy):
                raise ValueError(
                    f"config key 'size_limits.{strategy}.{workload}': {strategy!r} does not "
                    f"run workload {workload!r}; it runs: {', '.join(registry.workloads(strategy))}"
                )


# workload -> (sizes, strategies)
WORKLOADS = workload_grid(config["workloads"], config["strategies"])
check_size_limits(config.get("size_limits", {}))


def start_method_grid(entries, processes, sizes):
    """{method: restriction} from the config's start_methods, checked against what the schema
    cannot know: this platform's methods, no method twice, and restrictions that name process
    counts and sizes the experiment has."""
    available = multiprocessing.get_all_start_methods()
    grid = {}
    for index, entry in enumerate(entries):
        entry = {"method": entry} if isinstance(entry, str) else entry
        method, key = entry["method"], f"config key 'start_methods[{index}]'"
        if method not in available:
            raise ValueError(
                f"{key}: start method {method!r} is not available on this "
                f"platform; allowed: {', '.join(available)}"
            )
        if method in grid:
            raise ValueError(f"{key}: start method {method!r} is listed twice")
        for name, allowed in (("processes", processes), ("n", sizes)):
            unknown = sorted(set(entry.get(name, ())) - set(allowed))
            if unknown:
                raise ValueError(
                    f"config key 'start_methods[{index}].{name}': "
                    f"{', '.join(map(str, unknown))} not in the experiment; "
                    f"allowed: {', '.join(map(str, sorted(allowed)))}"
                )
        grid[method] = {name: entry[name] for name in ("processes", "n") if name in entry}
    return grid


def check_cpu_affinity(cpus):
    available = sorted(os.sched_getaffinity(0))
    unknown = [cpu for cpu in cpus if cpu not in available]
    if unknown:
        raise ValueError(
            f"config key 'cpu_affinity': CPU {', '.join(map(str, unknown))} not "
            f"available; allowed: {', '.join(map(str, available))}"
        )


# start method -> the part of the grid it runs on ({} = all of it)
START_METHODS = start_method_grid(
    config["start_methods"],
    config["processes"],
    {n for sizes, _ in WORKLOADS.values() for n in sizes},
)
check_cpu_affinity(config.get("cpu_affinity", []))
# The start method of the full sweep: the first listed (the scaling figures show it).
PRIMARY_START_METHOD = next(iter(START_METHODS))


# Everything the measured processes run, besides their own strategy script: editing any of
# it reruns every cell. (mpbench/analysis/ is the reader side and is not listed.)
def workdir_relative(path):
    """Input paths relative to the working directory, so that a moved or copied results
    folder keeps its cache (Snakemake reruns a job whose input paths changed)."""
    return os.path.relpath(path)


HARNESS = sorted(map(workdir_relative, (SCRIPTS / "mpbench").glob("*.py"))) + [
    workdir_relative(SCRIPTS / "strategies" / "_bootstrap.py"),
    workdir_relative(SCRIPTS.parent / "schemas" / "record.schema.json"),
]
CELL = "{workload}/{strategy}/{start_method}/{split}/n{n}-p{processes}"
# workload -> its figures in report order, as mpbench.analysis.figures registers them: each
# entry's name (drawn into results/figures/{workload}/{name}.png), report section and caption
# (workflow/report/{workload}/{name}.rst)
from mpbench.analysis.figures import for_workload as figures_of  # noqa: E402

FIGURES = {workload: figures_of(workload) for workload in WORKLOADS}
# the one pinned environment, used by every rule under --software-deployment-method conda
ENVIRONMENT = "../../environment.yml"


wildcard_constraints:
    workload="|".join(WORKLOADS),
    strategy="|".join({s for _, chosen in WORKLOADS.values() for s in chosen}),
    split="|".join((SINGLE, *SPLITS)),
    start_method="|".join((NO_START_METHOD, *START_METHODS)),
    n=r"[1-9]\d*",
    processes=r"[1-9]\d*",


def cells():
    """Every cell of the experiment as wildcard dicts.

    Each workload runs its strategies (workload_grid), with the splits both the strategy and
    the workload have. `single` (split "none") runs at P = 1 only, whatever `processes`
    says: it is the baseline. With one worker there is nothing to balance, so at P = 1 the
    other strategies run their first split only (static where they have it). A strategy that
    starts processes runs under each configured start method it supports, on that method's
    part of the grid; one that starts none runs once (start method "none").
    """
    for workload, (sizes, strategies) in WORKLOADS.items():
        for strategy in strategies:
            splits = [
                s for s in registry.splits(strategy) if s in registry.workload_splits(workload)
            ]
            counts = [1] if splits == [SINGLE] else sorted(config["processes"])
            for method, only in start_methods_of(strategy).items():
                for n, processes in itertools.product(sizes, counts):
                    if n not in only.get("n", [n]) or processes not in only.get(
                        "processes", [processes]
                    ):
                        continue
                    for split in splits[:1] if processes == 1 else splits:
                        yield dict(
                            workload=workload,
                            strategy=strategy,
                            start_method=method,
                            split=split,
                            n=n,
                            processes=processes,
                        )


def start_methods_of(strategy):
    """The configured start methods a strategy runs under, each with its part of the grid."""
    if not registry.starts_processes(strategy):
        return {NO_START_METHOD: {}}
    supported = registry.start_methods(strategy)
    return {m: only for m, only in START_METHODS.items() if m in supported}


def cell_records(wildcards=None):
    return [f"results/cells/{CELL}.json".format(**cell) for cell in cells()]


def strategy_script(wildcards):
    return workdir_relative(registry.script(wildcards.strategy))


def cell_options(wildcards):
    """Command-line options of a cell beyond its wildcards."""
    options = []
    if wildcards.start_method != NO_START_METHOD:
        options.append(f"--start-method {wildcards.start_method}")
    limit = config.get("size_limits", {}).get(wildcards.strategy, {}).get(wildcards.workload)
    if limit is not None:
        options.append(f"--size-limit {limit}")
    if "cpu_affinity" in config:
        options.append(f"--cpu-affinity {','.join(map(str, config['cpu_affinity']))}")
    return " ".join(options)


def cell_threads(wildcards):
    return int(wildcards.processes)


def figure_path(workload, name):
    return f"results/figures/{workload}/{name}.png"


def figure_targets():
    return [
        figure_path(workload, entry.name) for workload in WORKLOADS for entry in FIGURES[workload]
    ]


def reference_repeats(wildcards):
    return str(Path(config["compare_with"]) / "summary" / "repeats.csv")


def summary_targets():
    comparison = ["results/compare/compare.csv"] if "compare_with" in config else []
    return [
        *comparison,
        "results/summary/cells.csv",
        "results/summary/repeats.csv",
        "results/summary/cells.md",
        "results/summary/cells.html",
        "results/summary/flagged.html",
        "results/summary/amdahl.csv",
        *figure_targets(),
    ]


# Snakemake's job-rate limiter (--max-jobs-per-timespan, default 100/1s) wakes the scheduler
# on a timer that re-arms itself and gains one more chain with every finished job: late in a
# run of many jobs that all wait for `mpbench_timing`, the scheduler kept a quarter of a core
# busy beside the measured processes (the harness's other_cpu_cores showed it). mpbench runs
# its jobs on this machine, one at a time, so it has no use for the limiter: it is switched
# off before the scheduler starts.
onstart:
    scheduler = getattr(workflow, "scheduler", None)
    if getattr(scheduler, "job_rate_limiter", None) is not None:
        scheduler.job_rate_limiter = None
