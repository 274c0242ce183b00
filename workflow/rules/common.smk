# Config validation, the list of cells, and wildcard constraints.

import os
import sys
from pathlib import Path

import jsonschema
from snakemake.utils import validate

SCRIPTS = Path(workflow.basedir) / "workflow" / "scripts"
sys.path.insert(0, str(SCRIPTS))

from mpbench import registry  # noqa: E402
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


def check_strategies(strategies):
    """What the schema cannot know: which strategy scripts exist."""
    unknown = [name for name in strategies if name not in registry.names()]
    if unknown:
        raise ValueError(
            f"config key 'strategies': unknown strategy {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(registry.names())}"
        )
    if registry.BASELINE not in strategies:
        raise ValueError(
            f"config key 'strategies' must include {registry.BASELINE!r}: "
            "it is the baseline every speedup is measured against"
        )


check_strategies(config["strategies"])


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
CELL = "{workload}/{strategy}/{split}/n{n}-p{processes}"
# figure name (= the function of mpbench/analysis/figures.py that draws it) -> path
FIGURES = {
    name: f"results/figures/{{workload}}/{name}.png"
    for name in ("speedup_vs_processes", "efficiency_vs_processes", "time_vs_n", "fixed_cost")
}
# the one pinned environment, used by every rule under --software-deployment-method conda
ENVIRONMENT = "../../environment.yml"


wildcard_constraints:
    workload="|".join(config["workloads"]),
    strategy="|".join(config["strategies"]),
    split="|".join((SINGLE, *SPLITS)),
    n=r"[1-9]\d*",
    processes=r"[1-9]\d*",


def cells():
    """Every cell of the experiment as wildcard dicts.

    `single` (split "none") runs at P = 1 only, whatever `processes` says: it is the baseline.
    With one worker there is nothing to balance, so at P = 1 the other strategies run their
    first split only (static where they have it).
    """
    for workload, sizes in config["workloads"].items():
        for strategy in config["strategies"]:
            splits = registry.splits(strategy)
            counts = [1] if splits == (SINGLE,) else sorted(config["processes"])
            for n in sizes["n"]:
                for processes in counts:
                    for split in splits[:1] if processes == 1 else splits:
                        yield dict(
                            workload=workload,
                            strategy=strategy,
                            split=split,
                            n=n,
                            processes=processes,
                        )


def cell_records(wildcards=None):
    return [f"results/cells/{CELL}.json".format(**cell) for cell in cells()]


def strategy_script(wildcards):
    return workdir_relative(registry.script(wildcards.strategy))


def cell_threads(wildcards):
    return int(wildcards.processes)


def figure_targets():
    return [path.format(workload=w) for w in config["workloads"] for path in FIGURES.values()]


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
        *figure_targets(),
    ]
