"""What the config asks for, checked, as an experiment: the grid of cells to measure.

`load(config)` is the one way from a config (the dict Snakemake reads from the config files)
to an `Experiment`, whose `cells()` are the workflow's measurements. It fills in the
schema's defaults as `snakemake.utils.validate` does, validates against
workflow/schemas/config.schema.yaml, then makes the checks the schema cannot express
(strategies that exist and run the workload, the baseline among them, start methods of this
platform, restrictions inside the experiment, CPUs that exist). Every failure is a
`ConfigError` whose message is one line naming the config key and what is allowed there. A
default never fails: what it names that the experiment lacks is dropped (see `load`).
"""

import copy
import functools
import itertools
import math
import multiprocessing
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml

from mpbench.experiment import registry
from mpbench.split import SINGLE

SCHEMA = Path(__file__).resolve().parents[3] / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """A config the experiment cannot be made from; the message is one line naming the key."""


def key(path: str) -> str:
    """`config key '<path>'`, on one line whatever the names in the path hold."""
    return "config key '" + repr(path)[1:-1] + "'"


def config_error(error: jsonschema.ValidationError) -> str:
    """One line naming the config key that is wrong and what is allowed there."""
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    where = key(path.removeprefix(".")) if path else "config"
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and "properties" in schema:
        allowed = list(schema["properties"])
        extra = [k for k in error.instance if k not in allowed]
        return (
            f"{where}: unknown key {', '.join(map(repr, extra))}; "
            f"allowed keys: {', '.join(allowed)}"
        )
    hint = " ".join(str(schema.get("description", "")).split())
    return f"{where}: {' '.join(error.message.splitlines())}" + (f" ({hint})" if hint else "")


@functools.cache
def _validator():
    """The schema's validator, filling in defaults as snakemake.utils.validate(set_default=True)
    does: before a mapping's properties are checked, each one it lacks that has a default gets
    it (a copy here, not the schema's own object). Stricter than Snakemake on one point: 1.0
    is not an integer (a process count of 1.0 would make a cell path ending in p1.0)."""
    schema = yaml.safe_load(SCHEMA.read_text())
    base = jsonschema.Draft202012Validator
    check_properties = base.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema:
                    instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from check_properties(validator, properties, instance, schema)

    types = base.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)
    )
    return jsonschema.validators.extend(base, {"properties": set_defaults}, type_checker=types)(
        schema
    )


@dataclass(frozen=True)
class Workload:
    name: str
    sizes: tuple[int, ...]  # the problem sizes N, as listed
    strategies: tuple[str, ...]  # the strategies that run it, the baseline among them


@dataclass(frozen=True)
class StartMethod:
    """A start method and the part of the grid it runs on (None: every P, every N)."""

    name: str
    processes: tuple[int, ...] | None = None
    n: tuple[int, ...] | None = None

    def covers(self, n: int, processes: int) -> bool:
        return (self.n is None or n in self.n) and (
            self.processes is None or processes in self.processes
        )


EVERYWHERE = StartMethod(registry.NO_START_METHOD)


@dataclass(frozen=True)
class Experiment:
    """A checked config: what to measure. Made by `load`; the dicts are not to be changed."""

    workloads: dict[str, Workload]  # in config order
    processes: tuple[int, ...]  # ascending
    start_methods: dict[str, StartMethod]  # in config order; the first is the full sweep's
    size_limits: dict[str, dict[str, int]]  # strategy -> workload -> largest N run
    cpu_affinity: tuple[int, ...]  # () = not pinned
    config: dict  # the whole config with the defaults filled in
    notes: tuple[str, ...] = ()  # defaults that did not fit the experiment and were dropped
    ipc: "IpcGrid | None" = None  # the ipc workload (config key `ipc`), None: not run

    @property
    def primary_start_method(self) -> str:
        """The start method of the full sweep: the first listed (the scaling figures show it)."""
        return next(iter(self.start_methods))

    @property
    def strategies(self) -> tuple[str, ...]:
        """Every strategy that runs some workload, in order of first appearance."""
        seen = (s for w in self.workloads.values() for s in w.strategies)
        return tuple(dict.fromkeys(seen))

    @property
    def sizes(self) -> tuple[int, ...]:
        """Every problem size of some workload, ascending."""
        return tuple(sorted({n for w in self.workloads.values() for n in w.sizes}))

    def start_methods_of(self, strategy: str) -> dict[str, StartMethod]:
        """The configured start methods a strategy runs under, each with its part of the grid;
        {"none": everywhere} for a strategy that starts no process."""
        if not registry.starts_processes(strategy):
            return {registry.NO_START_METHOD: EVERYWHERE}
        own = registry.describe(strategy).own_start_method
        if own is not None:  # its engine starts its workers its own way: once, everywhere
            return {own: StartMethod(own)}
        supported = registry.start_methods(strategy)
        return {m: only for m, only in self.start_methods.items() if m in supported}

    def cells(self) -> Iterator[dict]:
        """Every cell of the experiment as wildcard dicts.

        Each workload runs its strategies, with the splits both the strategy and the workload
        have. `single` (split "none") runs at P = 1 only, whatever `processes` says: it is the
        baseline. With one worker there is nothing to balance, so at P = 1 the other
        strategies run their first split only (static where they have it). A strategy that
        starts processes runs under each configured start method it supports, on that
        method's part of the grid; one that starts none runs once (start method "none"), and
        one whose engine starts its workers its own way runs once, under that method
        (OWN_START_METHOD, e.g. "loky"), whatever the config's start_methods say.
        """
        for workload in self.workloads.values():
            for strategy in workload.strategies:
                splits = [
                    s
                    for s in registry.splits(strategy)
                    if s in registry.workload_splits(workload.name)
                ]
                counts = [1] if splits == [SINGLE] else self.processes
                for method, only in self.start_methods_of(strategy).items():
                    for n, processes in itertools.product(workload.sizes, counts):
                        if not only.covers(n, processes):
                            continue
                        for split in splits[:1] if processes == 1 else splits:
                            yield dict(
                                workload=workload.name,
                                strategy=strategy,
                                start_method=method,
                                split=split,
                                n=n,
                                processes=processes,
                            )

    def cell_options(self, cell) -> str:
        """Command-line options of a cell beyond its wildcards (a dict or Snakemake's
        wildcards)."""
        field = cell.__getitem__ if isinstance(cell, Mapping) else cell.__getattribute__
        options = []
        if field("start_method") != registry.NO_START_METHOD:
            options.append(f"--start-method {field('start_method')}")
        scheduler = self.config.get("dask_scheduler")
        if scheduler is not None and registry.describe(field("strategy")).existing_cluster:
            options.append(f"--scheduler {scheduler}")
        limit = self.size_limits.get(field("strategy"), {}).get(field("workload"))
        if limit is not None:
            options.append(f"--size-limit {limit}")
        if self.cpu_affinity:
            options.append(f"--cpu-affinity {','.join(map(str, self.cpu_affinity))}")
        return " ".join(options)

    def ipc_cells(self) -> Iterator[dict]:
        """Every cell of the ipc workload, as wildcard dicts (none without `ipc`)."""
        return iter(()) if self.ipc is None else self.ipc.cells()


@dataclass(frozen=True)
class IpcGrid:
    """The ipc workload's part of the experiment (config key `ipc`, docs/ipc.md)."""

    mechanisms: tuple[str, ...]  # each runs under start_method (or starts no process)
    patterns: tuple[str, ...]
    sizes: tuple[int, ...]
    processes: tuple[int, ...]
    start_method: str
    repeats: int
    min_batch_s: float

    def cells(self) -> Iterator[dict]:
        """Each mechanism, each of its patterns among `patterns`, at its sizes (a counter:
        8 bytes) and sender counts (one that starts no process: 1)."""
        from mpbench.ipc import mechanism

        for name in self.mechanisms:
            described = mechanism.describe(name)
            for pattern in described.patterns:
                if pattern not in self.patterns:
                    continue
                sizes = described.sizes(pattern, self.sizes)
                for n, processes in itertools.product(sizes, described.counts(self.processes)):
                    yield dict(mechanism=name, pattern=pattern, n=n, processes=processes)

    def options(self, timeout_s: float) -> str:
        """Command-line options of every ipc cell beyond its wildcards."""
        return (
            f"--start-method {self.start_method} --repeats {self.repeats} "
            f"--min-batch {self.min_batch_s} --timeout {timeout_s}"
        )


def ipc_grid(section: dict, written: set[str], notes: list) -> IpcGrid:
    """The config's `ipc` section, checked against what the schema cannot know: mechanisms
    there is a file for, which run under the start method. A default mechanism that does
    not is dropped, with a note; one the user listed is an error."""
    from mpbench.ipc import mechanism

    known = mechanism.names()
    unknown = [name for name in section["mechanisms"] if name not in known]
    if unknown:
        raise ConfigError(
            f"{key('ipc.mechanisms')}: unknown mechanism {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(known)}"
        )
    method, chosen = section["start_method"], []
    if method not in multiprocessing.get_all_start_methods():
        raise ConfigError(
            f"{key('ipc.start_method')}: start method {method!r} is not available on this "
            f"platform; allowed: {', '.join(multiprocessing.get_all_start_methods())}"
        )
    for name in section["mechanisms"]:
        described = mechanism.describe(name)
        if described.in_process or method in described.start_methods:
            chosen.append(name)
            continue
        why = (
            f"{name!r} does not run under start method {method!r} (ipc.start_method); "
            f"it runs under: {', '.join(described.start_methods)}"
        )
        if "mechanisms" in written:
            raise ConfigError(f"{key('ipc.mechanisms')}: {why}")
        notes.append(f"{key('ipc.mechanisms')} (default): {why}; not measured")
    return IpcGrid(
        mechanisms=tuple(chosen),
        patterns=tuple(section["patterns"]),
        sizes=tuple(sorted(section["n"])),
        processes=tuple(sorted(section["processes"])),
        start_method=method,
        repeats=section["repeats"],
        min_batch_s=float(section["min_batch_s"]),
    )


def load(config, given=None) -> Experiment:
    """The experiment a config asks for, or ConfigError naming the first wrong key.

    `config` is not changed: the defaults are filled into a copy (Experiment.config).

    Defaults fit any experiment. A key the config lacks takes the schema's default, and so
    does every key outside `given`, the top-level keys the user wrote, when it is passed
    (Snakemake merges the user's config files over the workflow's own config/config.yaml, so
    a key the user did not write there comes from that file, a default too). Where the
    user's own restriction naming what the experiment lacks is an error, a default's is
    dropped, with a note (Experiment.notes): a start method's P or N outside the experiment
    (a method left with none is not measured; with no method left, the platform's default
    runs), a start method this platform lacks, a workload's strategy that is not in the
    `strategies` the user chose.
    """
    config = copy.deepcopy(config)
    written = set(config) if isinstance(config, dict) else set()
    if given is not None:
        written &= set(given)
    ipc_written = (
        set(config["ipc"])
        if isinstance(config, dict) and isinstance(config.get("ipc"), dict)
        else set()
    )
    error = next(_validator().iter_errors(config), None)
    if error is not None:
        raise ConfigError(config_error(error))
    defaults = set(config) - written
    if not math.isfinite(config["timeout_s"]):
        raise ConfigError(f"{key('timeout_s')}: {config['timeout_s']} is not a finite number")
    rounds = config["rounds"]
    if rounds["min"] > rounds["max"]:
        raise ConfigError(
            f"{key('rounds.min')}: {rounds['min']} is more than rounds.max ({rounds['max']}); "
            "allowed: at most rounds.max"
        )
    notes = []
    workloads = workload_grid(
        config["workloads"], config["strategies"], "workloads" in defaults, notes
    )
    check_size_limits(config["size_limits"])
    sizes = {n for w in workloads.values() for n in w.sizes}
    start_methods = start_method_grid(
        config["start_methods"], config["processes"], sizes, "start_methods" in defaults, notes
    )
    cpus = tuple(config.get("cpu_affinity", ()))
    check_cpu_affinity(cpus)
    ipc = None
    if "ipc" in config and "ipc" in written:
        ipc = ipc_grid(config["ipc"], ipc_written, notes)
    elif "ipc" in config:  # from config/config.yaml, under a user's config without `ipc`
        notes.append(f"{key('ipc')}: not in your config, so the ipc workload is not run")
    return Experiment(
        workloads=workloads,
        processes=tuple(sorted(config["processes"])),
        start_methods=start_methods,
        size_limits=config["size_limits"],
        cpu_affinity=cpus,
        config=config,
        notes=tuple(notes),
        ipc=ipc,
    )


def workload_grid(
    entries: list[dict], strategies: list[str], default: bool = False, notes: list | None = None
) -> dict[str, Workload]:
    """The config's workloads, checked against what the schema cannot know: each workload
    named once, strategies that exist and run it, and the baseline among them. A default
    workload's own list of strategies keeps only those of `strategies`."""
    known = registry.names()
    unknown = [name for name in strategies if name not in known]
    if unknown:
        raise ConfigError(
            f"{key('strategies')}: unknown strategy {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(known)}"
        )
    grid = {}
    for index, entry in enumerate(entries):
        workload, here = entry["name"], f"workloads[{index}]"
        if workload in grid:
            raise ConfigError(f"{key(here + '.name')}: workload {workload!r} is listed twice")
        runs = [s for s in known if workload in registry.workloads(s)]
        if "strategies" in entry:
            wrong = [s for s in entry["strategies"] if s not in runs]
            if wrong:
                raise ConfigError(
                    f"{key(here + '.strategies')}: {', '.join(map(repr, wrong))} cannot run "
                    f"workload {workload!r}; allowed: {', '.join(runs)}"
                )
            chosen, where = entry["strategies"], key(here + ".strategies")
            if default:
                chosen, where = [s for s in chosen if s in strategies], key("strategies")
                left_out = [s for s in entry["strategies"] if s not in chosen]
                if left_out:
                    notes.append(
                        f"{key(here + '.strategies')} (default): {', '.join(left_out)} not in "
                        f"'strategies', not run on {workload!r}"
                    )
        else:
            chosen, where = [s for s in strategies if s in runs], key("strategies")
        if registry.BASELINE not in chosen:
            raise ConfigError(
                f"{where} must include {registry.BASELINE!r}: it is the baseline every "
                f"speedup on {workload!r} is measured against"
            )
        grid[workload] = Workload(workload, tuple(entry["n"]), tuple(chosen))
    return grid


def check_size_limits(limits: dict[str, dict[str, int]]) -> None:
    for strategy, by_workload in limits.items():
        if strategy not in registry.names():
            raise ConfigError(
                f"{key(f'size_limits.{strategy}')}: unknown strategy; "
                f"allowed: {', '.join(registry.names())}"
            )
        for workload in by_workload:
            if workload not in registry.workloads(strategy):
                raise ConfigError(
                    f"{key(f'size_limits.{strategy}.{workload}')}: {strategy!r} does not run "
                    f"workload {workload!r}; it runs: {', '.join(registry.workloads(strategy))}"
                )


def start_method_grid(
    entries: list,
    processes: list[int],
    sizes: set[int],
    default: bool = False,
    notes: list | None = None,
) -> dict[str, StartMethod]:
    """{method: StartMethod} from the config's start_methods, checked against what the schema
    cannot know: this platform's methods, no method twice, and restrictions that name process
    counts and sizes the experiment has (in a default, those that do not are dropped)."""
    available = multiprocessing.get_all_start_methods()
    grid, seen = {}, set()
    for index, entry in enumerate(entries):
        entry = {"method": entry} if isinstance(entry, str) else entry
        method, here = entry["method"], f"start_methods[{index}]"
        if method in seen:
            raise ConfigError(f"{key(here)}: start method {method!r} is listed twice")
        seen.add(method)
        if method not in available:
            if default:
                notes.append(
                    f"{key(here)} (default): start method {method!r} is not available on "
                    f"this platform, not measured"
                )
                continue
            raise ConfigError(
                f"{key(here)}: start method {method!r} is not available on this "
                f"platform; allowed: {', '.join(available)}"
            )
        restriction = {}
        for name, allowed in (("processes", processes), ("n", sizes)):
            if name not in entry:
                continue
            outside = sorted(set(entry[name]) - set(allowed))
            restriction[name] = tuple(v for v in entry[name] if v in allowed)
            if not outside:
                continue
            if not default:
                raise ConfigError(
                    f"{key(f'{here}.{name}')}: "
                    f"{', '.join(map(str, outside))} not in the experiment; "
                    f"allowed: {', '.join(map(str, sorted(allowed)))}"
                )
            if not restriction[name]:
                notes.append(
                    f"{key(here)} (default): {method} is not measured: it is restricted to "
                    f"{name} {', '.join(map(str, outside))}, none of them in the experiment "
                    f"({name}: {', '.join(map(str, sorted(allowed)))})"
                )
                break
            notes.append(
                f"{key(f'{here}.{name}')} (default): {', '.join(map(str, outside))} not in "
                f"the experiment, dropped; {method} runs at {name} "
                f"{', '.join(map(str, restriction[name]))} only"
            )
        else:
            grid[method] = StartMethod(method, **restriction)
    if not grid:  # a default none of whose methods fits
        method = available[0]  # the platform's default
        notes.append(
            f"{key('start_methods')} (default): none of its start methods fits the "
            f"experiment; {method}, this platform's default, runs everywhere"
        )
        grid[method] = StartMethod(method)
    return grid


def check_cpu_affinity(cpus) -> None:
    available = sorted(os.sched_getaffinity(0))
    unknown = [cpu for cpu in cpus if cpu not in available]
    if unknown:
        raise ConfigError(
            f"{key('cpu_affinity')}: CPU {', '.join(map(str, unknown))} not "
            f"available; allowed: {', '.join(map(str, available))}"
        )
