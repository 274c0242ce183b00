"""The docs' blocks of config facts (mpbench.analysis.docs_numbers): the rounds and cells of
each config file, as the project's config loader (mpbench.experiment.config) reads them."""

from mpbench.analysis.docs_numbers import DEFAULT_CONFIG, block, cell_count


def _rounds(snap, configfile=DEFAULT_CONFIG) -> dict:
    return snap.experiment(configfile).config["rounds"]


@block
def rounds_min(snap) -> str:
    return str(_rounds(snap)["min"])


@block
def rounds_max(snap) -> str:
    return str(_rounds(snap)["max"])


@block
def rounds_budget(snap) -> str:
    return f"{_rounds(snap)['budget_s']:g} s"


@block
def rounds_default(snap) -> str:
    """The default config's rounds key, as written in it."""
    r = _rounds(snap)
    return (
        f"`{{min: {r['min']}, max: {r['max']}, target: {r['target']:g}, "
        f"budget_s: {r['budget_s']:g}}}`"
    )


@block
def configs(snap) -> str:
    """Each config file: its rounds, its cells (the loader's count), its measured time."""
    meta = snap.meta
    lines = [
        "| file | rounds per cell | target | budget per cell | strategy cells | ipc cells "
        "| measured run |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for path in sorted((snap.root / "config").glob("*.yaml")):
        name = f"config/{path.name}"
        experiment = snap.experiment(name)
        r = experiment.config["rounds"]
        cells, ipc_cells = cell_count(experiment)
        measured = "not in this snapshot"
        if meta.get("configfile") == name:
            minutes, seconds = divmod(round(meta["wall_s"]), 60)
            measured = f"{minutes} min {seconds} s"
        lines.append(
            f"| `{name}` | {r['min']} to {r['max']} | ±{r['target']:.0%} | "
            f"{r['budget_s']:g} s | {cells} | {ipc_cells} | {measured} |"
        )
    return "\n".join(lines)
