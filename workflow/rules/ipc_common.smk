# What the ipc workload's rule (workflow/rules/ipc.smk) needs from the config and the
# mechanisms: its targets, input functions and the harness files its cells run.

from mpbench.ipc import mechanism as ipc_mechanism  # noqa: E402

IPC_CELL = "{mechanism}/{pattern}/n{n}-p{processes}"
IPC_SCRIPT = workdir_relative(SCRIPTS / "measure_ipc.py")  # the cell's command line
IPC_HARNESS = (
    [path for path in HARNESS if path.endswith(".py") and "strategies" not in path]
    + sorted(map(workdir_relative, (SCRIPTS / "mpbench" / "ipc").glob("*.py")))
    + [
        workdir_relative(ipc_mechanism.MECHANISMS_DIR / "__init__.py"),
        workdir_relative(SCRIPTS.parent / "schemas" / "ipc_record.schema.json"),
    ]
)


def ipc_records(wildcards=None):
    """Every ipc record the config asks for (none without the config key `ipc`)."""
    return [f"results/ipc/{IPC_CELL}.json".format(**cell) for cell in EXPERIMENT.ipc_cells()]


def mechanism_file(wildcards):
    return workdir_relative(ipc_mechanism.script(wildcards.mechanism))


def ipc_threads(wildcards):
    """The CPUs a cell pins, its receiver and its P senders (Mechanism.cpus): under Slurm
    its cpus_per_task; locally Snakemake lowers it to --cores, as for a strategy's cell."""
    described = ipc_mechanism.describe(wildcards.mechanism)
    return described.cpus(int(wildcards.processes))


def ipc_options(wildcards):
    return EXPERIMENT.ipc.options(config["timeout_s"]) if EXPERIMENT.ipc else ""


FIGURES_IPC = figures_of("ipc")


def ipc_targets():
    """The ipc workload's tables and figures (nothing without the config key `ipc`)."""
    if not EXPERIMENT.ipc:
        return []
    tables = ["ipc_batches.csv", "ipc_cells.csv", "ipc_costs.csv", "ipc.md"]
    return [f"results/summary/{name}" for name in tables] + [
        figure_path("ipc", entry.name) for entry in FIGURES_IPC
    ]
