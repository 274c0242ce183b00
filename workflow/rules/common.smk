# Snakemake's side of the experiment. The config is checked and made into the grid of cells
# by mpbench.experiment.config (plain Python, tested in tests/test_experiment.py); here are
# what the rules need from it: wildcard constraints, input functions, targets.

import os
import sys
from pathlib import Path

SCRIPTS = Path(workflow.basedir) / "workflow" / "scripts"
sys.path.insert(0, str(SCRIPTS))

from mpbench.experiment import registry  # noqa: E402
from mpbench.experiment.config import ConfigError, load  # noqa: E402
from mpbench.experiment.registry import NO_START_METHOD  # noqa: E402
from mpbench.experiment.stop import insist_on_sigint, relay_sigterm  # noqa: E402
from mpbench.split import SINGLE, SPLITS  # noqa: E402


def keys_given():
    """The top-level keys of --configfile and --config, if any: the others then come from
    config/config.yaml and count as defaults, which must fit the user's experiment."""
    given = getattr(getattr(workflow, "config_settings", None), "overwrite_config", None)
    return set(given) if given else None


try:
    EXPERIMENT = load(config, given=keys_given())
except ConfigError as error:
    sys.exit(f"mpbench: {error}")
for note in EXPERIMENT.notes:
    print(f"mpbench: {note}", file=sys.stderr)
config.update(EXPERIMENT.config)  # the defaults filled in, as snakemake.utils.validate does
WORKLOADS = EXPERIMENT.workloads  # workload -> its sizes and strategies
START_METHODS = EXPERIMENT.start_methods  # start method -> the part of the grid it runs on
# The start method of the full sweep: the first listed (the scaling figures show it).
PRIMARY_START_METHOD = EXPERIMENT.primary_start_method


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
    strategy="|".join(EXPERIMENT.strategies),
    split="|".join((SINGLE, *SPLITS)),
    start_method="|".join((NO_START_METHOD, *START_METHODS, *registry.own_start_methods())),
    n=r"[1-9]\d*",
    processes=r"[1-9]\d*",


def cell_records(wildcards=None):
    return [f"results/cells/{CELL}.json".format(**cell) for cell in EXPERIMENT.cells()]


def strategy_script(wildcards):
    return workdir_relative(registry.script(wildcards.strategy))


def baseline_script(wildcards):
    return workdir_relative(registry.script(registry.baseline(wildcards.strategy)))


def cell_options(wildcards):
    """Command-line options of a cell beyond its wildcards."""
    return EXPERIMENT.cell_options(wildcards)


def cell_threads(wildcards):
    return int(wildcards.processes)


# minutes of wall time a batch system gives a measuring job (profiles/slurm): the cell's own
# timeout (past it, it ends itself) and a few minutes to start and write the record
CELL_RUNTIME_MIN = int(config["timeout_s"]) // 60 + 5


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
# Snakemake's SIGTERM handler (its graceful stop) can deadlock on the scheduler's lock: it is
# replaced by one that asks for the same stop from a thread of its own, and its log handler can
# swallow Ctrl-C's KeyboardInterrupt, which is then raised again (mpbench/experiment/stop.py).
onstart:
    scheduler = getattr(workflow, "scheduler", None)
    if getattr(scheduler, "job_rate_limiter", None) is not None:
        scheduler.job_rate_limiter = None
    if hasattr(scheduler, "exit_gracefully"):
        relay_sigterm(scheduler.exit_gracefully)
        insist_on_sigint(scheduler)
