"""Every measured number of the docs, from one committed results snapshot (docs/results/).

Two steps, both run by workflow/scripts/docs_numbers.py:

- `snapshot(results, log)` copies the summary CSVs the docs quote from RESULTS/summary/
  into docs/results/, writes the job times of the run's Snakemake log as job_times.csv
  (workflow/scripts/job_times.py's reading of the log) and snapshot.json: the commit, date,
  machine, command and wall time of the run.
- `render(root)` rewrites, in DOCS, every block between `<!-- numbers:NAME -->` and
  `<!-- /numbers:NAME -->` from the snapshot and the config files (through the project's
  config loader, mpbench.experiment.config). A block is a function registered by name in
  mpbench.analysis.docs_blocks and docs_config_blocks; written on one line, it renders
  inline.
  `check(root)` names each block whose committed text differs from what it renders.
"""

import copy
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

SNAPSHOT = Path("docs/results")
DOCS = ("README.md", "docs/findings.md", "docs/configuration.md", "docs/method.md")
DEFAULT_CONFIG = "config/config.yaml"
# copied from RESULTS/summary/: the first three must be there, the others when a tool made them
REQUIRED_CSVS = ("cells.csv", "ipc_cells.csv", "ipc_costs.csv")
OPTIONAL_CSVS = ("sampler_bias.csv",)
BLOCK = re.compile(
    r"<!-- numbers:(?P<name>[\w-]+) -->(?P<body>.*?)<!-- /numbers:(?P=name) -->", re.DOTALL
)
OPENING = re.compile(r"<!-- /?numbers:([\w-]+) -->")

BLOCKS = {}


def block(function):
    """Register a block under its function's name (mpbench.analysis.docs_blocks)."""
    BLOCKS[function.__name__] = function
    return function


class DocsNumbersError(ValueError):
    """A snapshot or a doc the numbers cannot be made from."""


@dataclass
class Snapshot:
    """What the blocks read: docs/results/ and the config files of a checkout at `root`."""

    root: Path
    folder: Path = None
    _csvs: dict = field(default_factory=dict)

    def __post_init__(self):
        self.root = Path(self.root)
        self.folder = Path(self.folder) if self.folder else self.root / SNAPSHOT

    @property
    def meta(self) -> dict:
        path = self.folder / "snapshot.json"
        if not path.is_file():
            raise DocsNumbersError(f"no {path}: run `docs_numbers.py snapshot RESULTS` first")
        return json.loads(path.read_text(encoding="utf-8"))

    def csv(self, name: str) -> pd.DataFrame | None:
        """A CSV of the snapshot, or None when it holds none of that name."""
        if name not in self._csvs:
            path = self.folder / name
            self._csvs[name] = (
                pd.read_csv(path, keep_default_na=False, na_values=[""]) if path.is_file() else None
            )
        return self._csvs[name]

    def experiment(self, configfile: str = DEFAULT_CONFIG):
        """The checked experiment of a config file, merged over config/config.yaml as
        Snakemake's --configfile merges it (mappings key by key, lists replaced)."""
        from mpbench.experiment.config import load

        base = yaml.safe_load((self.root / DEFAULT_CONFIG).read_text(encoding="utf-8"))
        if configfile == DEFAULT_CONFIG:
            return load(base, given=set(base))
        own = yaml.safe_load((self.root / configfile).read_text(encoding="utf-8"))
        return load(merge(base, own), given=set(own))


def merge(base: dict, over: dict) -> dict:
    """`over` merged into a copy of `base`, mappings recursively (snakemake.utils.update_config)."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def cell_count(experiment) -> tuple[int, int]:
    """(strategy cells, ipc cells) of an experiment, as the workflow lists them."""
    return sum(1 for _ in experiment.cells()), sum(1 for _ in experiment.ipc_cells())


def render_text(text: str, snap: Snapshot, where: str = "") -> str:
    """`text` with every block rendered; an unknown or unclosed block is an error."""
    from mpbench.analysis import docs_blocks, docs_config_blocks  # noqa: F401  (register them)

    closed = {m.group("name") for m in BLOCK.finditer(text)}
    for name in OPENING.findall(text):
        if name not in closed:
            raise DocsNumbersError(f"{where}: block {name!r} has no matching end marker")

    def one(match):
        name, body = match.group("name"), match.group("body")
        if name not in BLOCKS:
            raise DocsNumbersError(
                f"{where}: unknown block {name!r}; known: {', '.join(sorted(BLOCKS))}"
            )
        content = BLOCKS[name](snap).strip()
        inner = f" {content} " if "\n" not in body else f"\n{content}\n"
        return f"<!-- numbers:{name} -->{inner}<!-- /numbers:{name} -->"

    return BLOCK.sub(one, text)


def stale_blocks(old: str, new: str) -> list[str]:
    """The names of the blocks whose text differs between two versions of a doc."""
    before = {m.group("name"): m.group("body") for m in BLOCK.finditer(old)}
    after = {m.group("name"): m.group("body") for m in BLOCK.finditer(new)}
    return [name for name in after if before.get(name) != after[name]]


def render(root: Path, check: bool = False, docs=DOCS, snap: Snapshot | None = None) -> list[str]:
    """Render every doc; with `check`, write nothing. Returns "FILE: block NAME" for each
    block whose committed text differs from its rendering."""
    root = Path(root)
    snap = snap or Snapshot(root)
    stale = []
    for doc in docs:
        path = root / doc
        old = path.read_text(encoding="utf-8")
        new = render_text(old, snap, doc)
        stale += [f"{doc}: block {name}" for name in stale_blocks(old, new)]
        if new != old and not check:
            path.write_text(new, encoding="utf-8")
    return stale


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def first_record(results: Path) -> dict:
    """One cell record of a results set (they share the machine and the commit)."""
    for path in sorted((results / "cells").rglob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if "environment" in record:
            return record
    raise DocsNumbersError(f"{results}/cells: no measured cell record")


def snapshot(
    results: Path,
    log: Path | None,
    root: Path,
    command: str,
    configfile: str = DEFAULT_CONFIG,
    note: str = "",
    wall_s: float | None = None,
) -> dict:
    """Copy a finished run's tables into docs/results/ and describe the run."""
    from job_times import jobs, key

    results, root = Path(results), Path(root)
    summary = results / "summary"
    missing = [name for name in REQUIRED_CSVS if not (summary / name).is_file()]
    if missing:
        raise DocsNumbersError(
            f"{summary}: no {', '.join(missing)}; run the workflow to its end first"
        )
    log = log or max((results.parent / ".snakemake" / "log").glob("*.snakemake.log"), default=None)
    if log is None or not Path(log).is_file():
        raise DocsNumbersError(f"no Snakemake log for {results}: give it with --log")
    folder = root / SNAPSHOT
    folder.mkdir(parents=True, exist_ok=True)
    for name in REQUIRED_CSVS + OPTIONAL_CSVS:
        if (summary / name).is_file():
            shutil.copyfile(summary / name, folder / name)
    done = jobs(Path(log))
    times = pd.DataFrame(
        [{"part": key(job, "workload"), "seconds": job["seconds"]} for job in done]
    )
    times = times.groupby("part", sort=True)["seconds"].agg(["count", "sum"]).reset_index()
    times.columns = ["part", "jobs", "seconds"]
    times.to_csv(folder / "job_times.csv", index=False)
    env = first_record(results)["environment"]
    stamps = [job["start"] for job in done]
    meta = {
        "note": note,
        "commit": (env.get("project") or {}).get("commit") or _git(root, "rev-parse", "HEAD"),
        "date": min(stamps).date().isoformat() if stamps else None,
        "command": command,
        "configfile": configfile,
        "wall_s": wall_s if wall_s is not None else log_span(Path(log)),
        "wall_source": "given" if wall_s is not None else "first to last stamp of the log",
        "machine": {
            "cores": len(env["cpu_affinity"]),
            "cores_logical": env.get("cores_logical"),
            "cpu_model": env.get("cpu_model"),
            "python_version": env["python_version"],
            "platform": env.get("platform"),
        },
    }
    (folder / "snapshot.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def log_span(log: Path) -> float:
    """Seconds from the first to the last time stamp of a Snakemake log."""
    from datetime import datetime

    from job_times import STAMP

    stamps = [
        datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
        if (m := STAMP.match(line.strip()))
    ]
    if not stamps:
        raise DocsNumbersError(f"{log}: no time stamp; is it a Snakemake log?")
    return (max(stamps) - min(stamps)).total_seconds()
