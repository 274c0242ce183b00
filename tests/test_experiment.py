"""From a config to the experiment (mpbench.experiment.config): the checks, the defaults, the
cells. Plain unit tests, no Snakemake run (tests/test_workflow.py runs the real thing)."""

import copy
import os
import re
import types

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from mpbench.experiment import registry
from mpbench.experiment.config import SCHEMA, ConfigError, StartMethod, load
from mpbench.split import SINGLE, SPLITS

SMALL = {
    "strategies": ["single", "pool_map"],
    "processes": [3],
    "start_methods": ["fork"],
    "workloads": [{"name": "primes", "n": [99]}],
}
TINY = {  # the config of tests/test_workflow.py, without its timing keys
    "strategies": ["single", "threads", "pool_map", "shared_numpy", "numpy_sieve"],
    "processes": [1, 2],
    "start_methods": ["fork", {"method": "spawn", "processes": [2], "n": [50]}],
    "warmups": 0,
    "timeout_s": 120,
    "workloads": [
        {"name": "primes", "n": [50, 500]},
        {
            "name": "array",
            "n": [3001, 20000],
            "strategies": ["single", "pool_map", "shared_memory", "manager"],
        },
    ],
    "size_limits": {"manager": {"array": 5000}},
}
# the example of issue 11, item 5: the schema's default start_methods named P = 2 and
# N = 10^4, 3 * 10^5, which this experiment does not have
ISSUE_11 = {
    "strategies": ["single", "pool_map", "process_pool_executor"],
    "processes": [1, 3],
    "workloads": [{"name": "primes", "n": [5000]}],
}
TOP_LEVEL_KEYS = list(yaml.safe_load(SCHEMA.read_text())["properties"])


def shipped(name: str) -> dict:
    return yaml.safe_load((ROOT / "config" / f"{name}.yaml").read_text())


def cell_ids(experiment) -> list[str]:
    return [
        "{workload}/{strategy}/{start_method}/{split}/n{n}-p{processes}".format(**cell)
        for cell in experiment.cells()
    ]


def test_cells_of_a_small_config():
    # single is the baseline: P = 1 whatever `processes` says; the others follow `processes`
    assert cell_ids(load(SMALL)) == [
        "primes/single/none/none/n99-p1",
        "primes/pool_map/fork/static/n99-p3",
        "primes/pool_map/fork/dynamic/n99-p3",
    ]


def test_cells_of_the_workflow_tests_config():
    cells = list(load(TINY).cells())
    primes = [c for c in cells if c["workload"] == "primes"]
    array = [c for c in cells if c["workload"] == "array"]
    # per size: single and numpy_sieve at P = 1; threads, pool_map, shared_numpy at P = 1
    # (static) and P = 2 (static, dynamic); pool_map and shared_numpy also under spawn at
    # P = 2, N = 50 only
    assert len(primes) == 2 * (2 + 3 * 3) + 2 * 2
    assert len(array) == 2 * (1 + 3 * 2)  # array splits: static only
    methods = {}
    for cell in primes:
        methods.setdefault(cell["strategy"], set()).add(cell["start_method"])
    assert methods == {
        "single": {"none"},
        "numpy_sieve": {"none"},
        "threads": {"none"},
        "pool_map": {"fork", "spawn"},
        "shared_numpy": {"fork", "spawn"},
    }
    assert {(c["n"], c["processes"]) for c in primes if c["start_method"] == "spawn"} == {(50, 2)}


def test_start_methods_apply_to_process_strategies_only_and_where_supported():
    experiment = load(
        {
            "strategies": ["single", "threads", "pool_map", "mmap_anonymous"],
            "processes": [2],
            "workloads": [{"name": "primes", "n": [99, 200]}],
            "start_methods": [
                {"method": "spawn", "n": [99]},
                "fork",
                {"method": "forkserver", "n": [200]},
            ],
        }
    )
    assert experiment.primary_start_method == "spawn"  # the first listed
    assert list(experiment.start_methods_of("pool_map")) == ["spawn", "fork", "forkserver"]
    assert list(experiment.start_methods_of("mmap_anonymous")) == ["fork"]
    assert list(experiment.start_methods_of("threads")) == ["none"]
    pool_map = {c for c in cell_ids(experiment) if "/pool_map/" in c}
    assert pool_map == {
        f"primes/pool_map/{m}/{split}/n{n}-p2"
        for m, n in (("spawn", 99), ("fork", 99), ("fork", 200), ("forkserver", 200))
        for split in ("static", "dynamic")
    }


def test_engines_run_once_under_their_own_start_method_whatever_start_methods_say():
    experiment = load(
        {
            "strategies": [
                "single",
                "pool_map",
                "joblib_parallel",
                "loky_warm",
                "dask_distributed",
            ],
            "processes": [1, 2],
            "workloads": [{"name": "primes", "n": [99]}],
            "start_methods": ["spawn", {"method": "fork", "processes": [2]}],
        }
    )
    assert experiment.start_methods_of("joblib_parallel") == {"loky": StartMethod("loky")}
    assert list(experiment.start_methods_of("dask_distributed")) == ["dask"]
    engines = {c for c in cell_ids(experiment) if "/pool_map/" not in c and "/single/" not in c}
    assert engines == {
        f"primes/{strategy}/{method}/{split}/n99-p{p}"
        for strategy, method in (
            ("joblib_parallel", "loky"),
            ("loky_warm", "loky"),
            ("dask_distributed", "dask"),
        )
        for p, split in ((1, "static"), (2, "static"), (2, "dynamic"))
    }
    # an engine's method cannot be asked of the config: it is not multiprocessing's
    with pytest.raises(ConfigError, match=r"^config key 'start_methods\[0\]': 'loky' is not one"):
        load({**TINY, "start_methods": ["loky"]})


def test_an_existing_dask_cluster_goes_to_the_strategies_that_can_use_one_only():
    experiment = load(
        {
            **TINY,
            "strategies": [*TINY["strategies"], "dask_distributed"],
            "dask_scheduler": "tcp://127.0.0.1:8786",
        }
    )
    cell = dict(
        workload="primes",
        strategy="dask_distributed",
        start_method="dask",
        split="static",
        n=3001,
        processes=2,
    )
    assert experiment.cell_options(cell) == ("--start-method dask --scheduler tcp://127.0.0.1:8786")
    assert "--scheduler" not in experiment.cell_options(
        {**cell, "strategy": "pool_map", "start_method": "fork"}
    )
    assert "--scheduler" not in load(TINY).cell_options(cell)  # no key: a LocalCluster per run
    with pytest.raises(
        ConfigError, match=r"^config key 'dask_scheduler': 'tcp://a b; rm' does not"
    ):
        load({**TINY, "dask_scheduler": "tcp://a b; rm"})


def test_the_schema_defaults_fit_each_other():
    experiment = load({})
    assert experiment.notes == ()  # nothing dropped
    assert list(experiment.workloads) == ["primes", "array"]
    assert list(experiment.start_methods) == ["fork", "spawn", "forkserver"]


def test_memory_runs_default_is_the_command_lines():
    """The config's default memory_runs and a strategy script's --memory-runs agree, and the
    rule hands the config's value to every cell."""
    from mpbench import timing

    assert load({}).config["memory_runs"] == timing.MEMORY_RUNS
    assert load({**TINY, "memory_runs": 5}).config["memory_runs"] == 5
    rule = (SCHEMA.parents[1] / "rules" / "measure.smk").read_text()
    assert "--memory-runs {params.memory_runs}" in rule
    assert 'memory_runs=config["memory_runs"]' in rule


@pytest.mark.parametrize("name", ["config", "quick", "full"])
def test_shipped_configs_load(name):
    cells = cell_ids(load(shipped(name)))
    assert cells and len(set(cells)) == len(cells)


@pytest.mark.parametrize("name", ["config", "quick", "full"])
def test_shipped_configs_measure_the_engines_on_both_workloads(name):
    """joblib, loky and dask run on both workloads in every shipped config."""
    engines = {"joblib_parallel": "loky", "loky_cold": "loky", "loky_warm": "loky"}
    engines["dask_distributed"] = "dask"
    cells = [c for c in load(shipped(name)).cells() if c["strategy"] in engines]
    # the default leaves loky_cold's array cells to full.yaml (config/config.yaml says why):
    # loky still runs array there, warm
    missing = {("loky_cold", "array")} if name == "config" else set()
    assert {(c["strategy"], c["workload"]) for c in cells} == {
        (s, w) for s in engines for w in ("primes", "array")
    } - missing
    assert all(c["start_method"] == engines[c["strategy"]] for c in cells)
    assert {c["processes"] for c in cells} == set(load(shipped(name)).processes)


def test_defaults_are_filled_as_snakemake_fills_them_and_the_config_is_not_changed():
    from snakemake.utils import validate

    for config in ({}, SMALL, TINY, shipped("config"), {"processes": [1, 2]}):
        before = copy.deepcopy(config)
        filled = copy.deepcopy(config)
        validate(filled, str(SCHEMA))  # outside a workflow: the schema path is absolute
        assert load(config).config == filled
        assert config == before


def test_cell_options():
    experiment = load({**TINY, "cpu_affinity": [0]})
    cell = dict(
        workload="array",
        strategy="manager",
        start_method="fork",
        split="static",
        n=3001,
        processes=2,
    )
    assert experiment.cell_options(cell) == "--start-method fork --size-limit 5000 --cpu-affinity 0"
    wildcards = types.SimpleNamespace(**{**cell, "strategy": "single", "start_method": "none"})
    assert experiment.cell_options(wildcards) == "--cpu-affinity 0"  # Snakemake's wildcards
    assert load(TINY).cell_options(wildcards) == ""


def test_issue_11_default_start_methods_fit_any_experiment():
    # the default start_methods restrict spawn and forkserver to P = 2 and N = 10^4, 3 * 10^5:
    # none of these is in this experiment, so they are dropped (with a note), not an error
    experiment = load(ISSUE_11)
    assert list(experiment.start_methods) == ["fork"]
    assert cell_ids(experiment) == [
        "primes/single/none/none/n5000-p1",
        *(
            f"primes/{s}/fork/{split}/n5000-p{p}"
            for s in ("pool_map", "process_pool_executor")
            for split, p in (("static", 1), ("static", 3), ("dynamic", 3))
        ),
    ]
    assert len(experiment.notes) == 2
    assert experiment.notes[0].startswith("config key 'start_methods[1]' (default): spawn ")


def test_a_default_restriction_keeps_what_the_experiment_has():
    experiment = load({"workloads": [{"name": "primes", "n": [10000, 20000]}]})
    assert experiment.start_methods["spawn"].n == (10000,)  # 300000 dropped
    assert experiment.start_methods["spawn"].processes == (2,)
    assert experiment.notes[0] == (
        "config key 'start_methods[1].n' (default): 300000 not in the "
        "experiment, dropped; spawn runs at n 10000 only"
    )


def test_a_default_with_no_method_of_this_platform_falls_back_to_its_default(monkeypatch):
    monkeypatch.setattr("multiprocessing.get_all_start_methods", lambda: ["spawn"])
    experiment = load(ISSUE_11)  # fork and forkserver missing, spawn restricted to P = 2
    assert experiment.start_methods == {"spawn": experiment.start_methods["spawn"]}
    assert experiment.start_methods["spawn"].covers(5000, 3)  # everywhere
    assert experiment.notes[-1] == (
        "config key 'start_methods' (default): none of its start "
        "methods fits the experiment; spawn, this platform's "
        "default, runs everywhere"
    )


def test_a_default_workload_runs_only_the_strategies_the_user_chose():
    experiment = load({"strategies": ["single", "pool_map", "numpy_sieve"]})
    assert experiment.workloads["primes"].strategies == ("single", "pool_map", "numpy_sieve")
    assert experiment.workloads["array"].strategies == ("single", "pool_map")
    assert experiment.notes == (
        "config key 'workloads[1].strategies' (default): threads, "
        "process_queue, pipe, manager, sharedctypes_array, shared_numpy, "
        "shared_memory, mmap_anonymous, mmap_file not in 'strategies', "
        "not run on 'array'",
    )


def test_what_config_yaml_sets_is_a_default_under_a_users_config_file():
    # snakemake --configfile mine.yaml merges mine.yaml over config/config.yaml: its
    # start_methods are not the user's, and must fit the user's experiment as a default does
    merged = {**shipped("config"), **ISSUE_11}
    assert list(load(merged, given=ISSUE_11).start_methods) == ["fork"]
    with pytest.raises(ConfigError, match=r"^config key 'start_methods\[1\]\.processes': 2 not"):
        load(merged)  # the user wrote them all


def test_a_users_restriction_outside_the_experiment_stays_an_error():
    mine = {**ISSUE_11, "start_methods": ["fork", {"method": "spawn", "n": [5000, 7]}]}
    for config, keys in ((mine, None), ({**shipped("config"), **mine}, mine)):
        with pytest.raises(ConfigError) as error:
            load(config, given=keys)
        assert str(error.value) == (
            "config key 'start_methods[1].n': 7 not in the experiment; allowed: 5000"
        )


NAMES = ", ".join(registry.names())
BAD_CONFIGS = [
    # rounds
    (
        {"rounds": {"min": 9, "max": 3}},
        "config key 'rounds.min': 9 is more than rounds.max (3); allowed: at most rounds.max",
    ),
    (
        {"rounds": {"target": 0}},
        "config key 'rounds.target': 0 is less than or equal to the minimum of 0",
    ),
    (
        {"rounds": {"rounds": 3}},
        "config key 'rounds': unknown key 'rounds'; allowed keys: min, max, target, budget_s",
    ),
    # strategies
    (
        {"strategies": ["single", "pool_mapp"]},
        f"config key 'strategies': unknown strategy 'pool_mapp'; allowed: {NAMES}",
    ),
    (
        {"strategies": ["pool_map"]},
        "config key 'strategies' must include 'single': it is the baseline every speedup on "
        "'primes' is measured against",
    ),
    ({"strategies": []}, "config key 'strategies': [] should be non-empty"),
    (
        {"strategies": ["single", "single"]},
        "config key 'strategies': ['single', 'single'] has non-unique elements",
    ),
    # workloads
    (
        {"workloads": [{"name": "array", "n": [10]}, {"name": "array", "n": [20]}]},
        "config key 'workloads[1].name': workload 'array' is listed twice",
    ),
    (
        {"workloads": [{"name": "array", "n": [10], "strategies": ["single", "numpy_sieve"]}]},
        "config key 'workloads[0].strategies': 'numpy_sieve' cannot run workload 'array'; allowed: "
        "dask_distributed, dask_warm, joblib_parallel, joblib_warm, loky_cold, loky_warm, "
        "manager, mmap_anonymous, mmap_file, pipe, pool_apply_async, ",
    ),
    (
        {"workloads": [{"name": "array", "n": [10], "strategies": ["pipe"]}]},
        "config key 'workloads[0].strategies' must include 'single': it is the baseline every "
        "speedup on 'array' is measured against",
    ),
    (
        {"strategies": ["pipe"], "workloads": [{"name": "array", "n": [10]}]},
        "config key 'strategies' must include 'single': it is the baseline every speedup on "
        "'array' is measured against",
    ),
    (
        {"workloads": [{"name": "primes", "n": [1000, 1]}]},
        "config key 'workloads[0].n[1]': 1 is less than the minimum of 2",
    ),
    (
        {"workloads": [{"name": "primes", "n": [10, 10]}]},
        "config key 'workloads[0].n': [10, 10] has non-unique elements",
    ),
    (
        {"workloads": [{"name": "primes", "n": [10.0]}]},
        "config key 'workloads[0].n[0]': 10.0 is not of type 'integer'",
    ),
    ({"workloads": [{"name": "primes"}]}, "config key 'workloads[0]': 'n' is a required property"),
    (
        {"workloads": [{"name": "primes", "n": [10], "size": 3}]},
        "config key 'workloads[0]': unknown key 'size'; allowed keys: name, n, strategies",
    ),
    (
        {"workloads": {"primes": {"n": [10]}}},
        "config key 'workloads': {'primes': {'n': [10]}} is not of type 'array' (The workloads",
    ),
    (
        {"workloads": [{"name": "sorting", "n": [10]}]},
        "config key 'workloads[0].name': 'sorting' is not one of ['primes', 'array']",
    ),
    ({"workloads": []}, "config key 'workloads': [] should be non-empty"),
    # size_limits
    (
        {"size_limits": {"manager": {"array": 1}}},
        "config key 'size_limits.manager.array': 1 is less than the minimum of 2",
    ),
    (
        {"size_limits": {"pool_mapp": {"array": 100}}},
        f"config key 'size_limits.pool_mapp': unknown strategy; allowed: {NAMES}",
    ),
    (
        {"size_limits": {"sharedctypes_value": {"array": 100}}},
        "config key 'size_limits.sharedctypes_value.array': 'sharedctypes_value' does not run "
        "workload 'array'; it runs: primes",
    ),
    (
        {"size_limits": {"pool_map": {"sorting": 100}}},
        "config key 'size_limits.pool_map.sorting': 'pool_map' does not run workload 'sorting'; "
        "it runs: primes, array",
    ),
    (
        {"size_limits": {"pool_map\nx": {"array": 100}}},  # still one line
        "config key 'size_limits.pool_map\\nx': unknown strategy; allowed: ",
    ),
    # processes and other numbers
    ({"processes": [2, 0]}, "config key 'processes[1]': 0 is less than the minimum of 1"),
    ({"processes": [1.0]}, "config key 'processes[0]': 1.0 is not of type 'integer'"),
    ({"processes": [True]}, "config key 'processes[0]': True is not of type 'integer'"),
    ({"processes": "4"}, "config key 'processes': '4' is not of type 'array' (Process counts P"),
    ({"warmups": -1}, "config key 'warmups': -1 is less than the minimum of 0"),
    ({"memory_runs": 0}, "config key 'memory_runs': 0 is less than the minimum of 1"),
    ({"memory_runs": 2.0}, "config key 'memory_runs': 2.0 is not of type 'integer'"),
    ({"timeout_s": "soon"}, "config key 'timeout_s': 'soon' is not of type 'number'"),
    ({"timeout_s": 0}, "config key 'timeout_s': 0 is less than or equal to the minimum of 0"),
    ({"timeout_s": float("inf")}, "config key 'timeout_s': inf is not a finite number"),
    ({"timeout_s": float("nan")}, "config key 'timeout_s': nan is not a finite number"),
    # the whole config
    ({"repeat": 5}, "config: unknown key 'repeat'; allowed keys: strategies, processes, "),
    ({"compare_with": ""}, "config key 'compare_with': '' should be non-empty"),
    # start_methods
    (
        {"start_methods": ["fork", "vfork"]},
        "config key 'start_methods[1]': 'vfork' is not one of ['fork', 'spawn', 'forkserver']",
    ),
    (
        {"start_methods": ["spawn", {"method": "spawn", "n": [10000]}]},
        "config key 'start_methods[1]': start method 'spawn' is listed twice",
    ),
    (
        {"start_methods": [{"processes": [2]}]},
        "config key 'start_methods[0]': 'method' is a required property",
    ),
    (
        {"start_methods": [{"method": "spawn", "procs": [2]}]},
        "config key 'start_methods[0]': unknown key 'procs'; allowed keys: method, processes, n",
    ),
    ({"start_methods": []}, "config key 'start_methods': [] should be non-empty"),
    # a restriction the user wrote must be inside the experiment
    (
        {"start_methods": ["fork", {"method": "spawn", "processes": [3]}]},
        "config key 'start_methods[1].processes': 3 not in the experiment; allowed: 1, 2, 4",
    ),
    (
        {"start_methods": [{"method": "spawn", "n": [999]}]},
        "config key 'start_methods[0].n': 999 not in the experiment; allowed: 10000, 100000, "
        "300000, 1000000, 10000000, 30000000",
    ),
    (
        {**ISSUE_11, "start_methods": ["fork", {"method": "spawn", "processes": [2]}]},
        "config key 'start_methods[1].processes': 2 not in the experiment; allowed: 1, 3",
    ),
    # cpu_affinity
    ({"cpu_affinity": [0, 4096]}, "config key 'cpu_affinity': CPU 4096 not available; allowed: 0"),
    ({"cpu_affinity": [-1]}, "config key 'cpu_affinity[0]': -1 is less than the minimum of 0"),
]


@pytest.mark.parametrize(
    "config,message",
    BAD_CONFIGS,
    ids=[
        m.split(":")[0].removeprefix("config key ") + f"-{i}"
        for i, (_, m) in enumerate(BAD_CONFIGS)
    ],
)
def test_bad_config_is_one_line_naming_the_key(config, message):
    with pytest.raises(ConfigError) as error:
        load(config)
    assert str(error.value).startswith(message)
    assert len(str(error.value).splitlines()) == 1


def test_a_config_that_is_not_a_mapping():
    with pytest.raises(ConfigError, match=r"^config: \[1\] is not of type 'object'"):
        load([1])


def test_a_start_method_this_platform_lacks(monkeypatch):
    monkeypatch.setattr("multiprocessing.get_all_start_methods", lambda: ["fork", "spawn"])
    with pytest.raises(ConfigError) as error:
        load({"start_methods": ["fork", "forkserver"]})
    assert str(error.value) == (
        "config key 'start_methods[1]': start method 'forkserver' is "
        "not available on this platform; allowed: fork, spawn"
    )


# Property-based: whatever the config, load() either makes an experiment with cells or
# refuses it with a one-line ConfigError naming a key, never another exception. Configs are
# drawn near the valid ones (names, sizes and counts from small pools, so that restrictions
# fall inside the experiment or outside it, start methods with and without restrictions,
# workloads with and without `single`), then up to two mutations each: any part replaced by
# junk, an unknown key, an emptied list, a duplicated element, a number out of range.

KNOWN = registry.names()
WRONG_NAMES = ["pool_mapp", "", "Single", "a'b\nc", "single "]
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**7) | st.floats() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
SIZES = st.lists(st.sampled_from([2, 50, 99, 500, 1000]), min_size=1, max_size=3, unique=True)
COUNTS = st.lists(st.integers(1, 4), min_size=1, max_size=3, unique=True)


@st.composite
def strategy_lists(draw, pool=KNOWN):
    names = draw(st.lists(st.sampled_from(pool), max_size=5, unique=True))
    if draw(st.integers(0, 9)) and "single" not in names:  # mostly with the baseline
        names.insert(draw(st.integers(0, len(names))), "single")
    if not draw(st.integers(0, 9)):
        names.append(draw(st.sampled_from(WRONG_NAMES)))
    return names


@st.composite
def workload_lists(draw):
    entries = []
    for name in draw(
        st.lists(st.sampled_from(["primes", "array"]), min_size=1, max_size=2, unique=True)
    ):
        entry = {"name": name, "n": draw(SIZES)}
        if draw(st.booleans()):
            runs = [s for s in KNOWN if name in registry.workloads(s)]
            entry["strategies"] = draw(strategy_lists(runs if draw(st.integers(0, 3)) else KNOWN))
        entries.append(entry)
    return entries


START_METHOD = st.sampled_from(["fork", "spawn", "forkserver"]).flatmap(
    lambda method: (
        st.just(method)
        | st.fixed_dictionaries(
            {"method": st.just(method)}, optional={"processes": COUNTS, "n": SIZES}
        )
    )
)
NEAR_VALID = st.fixed_dictionaries(
    {},
    optional={
        "strategies": strategy_lists(),
        "processes": COUNTS,
        "start_methods": st.lists(
            START_METHOD,
            min_size=1,
            max_size=3,
            unique_by=lambda m: m if isinstance(m, str) else m["method"],
        ),
        "warmups": st.integers(0, 3),
        "memory_runs": st.integers(1, 4),
        "timeout_s": st.floats(0.5, 1e3) | st.integers(1, 100),
        "cpu_affinity": st.lists(
            st.sampled_from(sorted(os.sched_getaffinity(0))), min_size=1, unique=True
        ),
        "compare_with": st.text(min_size=1, max_size=5),
        "workloads": workload_lists(),
        "size_limits": st.dictionaries(
            st.sampled_from([*KNOWN, *WRONG_NAMES]),
            st.dictionaries(
                st.sampled_from(["primes", "array", "sorting"]), st.integers(2, 10**6), max_size=2
            ),
            max_size=2,
        ),
    },
)


def parts(value, path=()):
    """The path of every part of a nested config, the whole first."""
    yield path
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for name, inner in items:
        yield from parts(inner, (*path, name))


@st.composite
def configs(draw):
    config = draw(NEAR_VALID)
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        path = draw(st.sampled_from(list(parts(config))))
        parent = None
        target = config
        for name in path:
            parent, target = target, target[name]
        mutation = draw(st.sampled_from(["junk", "key", "empty", "twice", "number", "drop"]))
        if mutation == "junk" or parent is None and mutation not in ("key", "drop"):
            new = draw(JUNK)
        elif mutation == "key" and isinstance(target, dict):
            target[draw(st.sampled_from(["repeat", "", "only", "Processes"]))] = draw(JUNK)
            continue
        elif mutation == "empty" and isinstance(target, (dict, list)):
            new = type(target)()
        elif mutation == "twice" and isinstance(target, list) and target:
            new = [*target, target[0]]
        elif mutation == "number":
            new = draw(st.sampled_from([0, 1, -1, 2, 1.5, 2.0, True, 10**30, float("nan")]))
        elif mutation == "drop" and parent is not None:
            del parent[path[-1]]
            continue
        else:
            continue
        if parent is None:
            config = new
        else:
            parent[path[-1]] = new
    return config


def check_cells(experiment) -> None:
    cells = list(experiment.cells())
    assert cells
    ids = set()
    for cell in cells:
        workload = experiment.workloads[cell["workload"]]
        strategy = cell["strategy"]
        assert strategy in workload.strategies and strategy in registry.names()
        own = registry.describe(strategy).own_start_method  # an engine's (loky, dask)
        if own is not None:
            assert cell["start_method"] == own
        else:
            assert cell["start_method"] in ("none", *experiment.start_methods)
        assert (cell["start_method"] == "none") == (not registry.starts_processes(strategy))
        assert cell["split"] in registry.splits(strategy) and cell["split"] in (SINGLE, *SPLITS)
        assert type(cell["n"]) is int and cell["n"] in workload.sizes and cell["n"] >= 2
        assert type(cell["processes"]) is int and cell["processes"] in (1, *experiment.processes)
        assert re.fullmatch(r"[1-9]\d*", str(cell["n"])) and re.fullmatch(
            r"[1-9]\d*", str(cell["processes"])
        )
        ids.add(tuple(cell.values()))
    assert len(ids) == len(cells)  # no cell twice
    assert experiment.primary_start_method in experiment.start_methods


@settings(
    max_examples=500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(configs())
def test_any_config_loads_or_is_refused_in_one_line_naming_a_key(config):
    before = copy.deepcopy(config)
    try:
        experiment = load(config)
    except ConfigError as error:
        message = str(error)
        assert len(message.splitlines()) == 1 and "\n" not in message
        named = re.match(r"config key '([a-z_]+)|config: ", message)
        assert named, message
        assert named.group(1) is None or named.group(1) in TOP_LEVEL_KEYS, message
    else:
        check_cells(experiment)
    assert config == before or config != config  # unchanged (nan is not equal to itself)


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(NEAR_VALID, st.data())
def test_every_default_fits_the_other_keys(config, data):
    """Leaving a key out of a config that loads (so that the schema's default, or
    config/config.yaml's value under a user's config file, is used) never makes that key wrong:
    the config still loads, or fails on a restriction the user wrote in another key."""
    try:
        load(config)
    except ConfigError:
        assume(False)
    left_out = data.draw(st.sampled_from(TOP_LEVEL_KEYS))
    rest = {k: v for k, v in config.items() if k != left_out}
    for attempt in (lambda: load(rest), lambda: load({**shipped("config"), **rest}, given=rest)):
        try:
            check_cells(attempt())
        except ConfigError as error:
            named = re.match(r"config key '([a-z_]+)", str(error))
            assert named and named.group(1) != left_out and named.group(1) in rest, str(error)


def test_an_engines_own_start_method_is_declared_once_and_checked():
    from mpbench.strategy import Strategy

    base = {"SPLITS": ("static",), "__file__": "engine.py", "primes": lambda job: 0}
    engine = Strategy.of({**base, "OWN_START_METHOD": "loky"})
    assert engine.start_methods == ("loky",) and engine.own_start_method == "loky"
    assert engine.context("loky").get_start_method() == "spawn"  # the harness's own processes
    assert (
        engine.context(None).get_start_method()
        == Strategy.of(base).context(None).get_start_method()
    )
    with pytest.raises(ValueError, match="must name the engine's own way .* not 'fork'"):
        Strategy.of({**base, "OWN_START_METHOD": "fork"})
    with pytest.raises(ValueError, match="goes with neither START_METHODS"):
        Strategy.of({**base, "OWN_START_METHOD": "loky", "START_METHODS": ("fork",)})
    with pytest.raises(ValueError, match="goes with neither START_METHODS nor STARTS_PROCESSES"):
        Strategy.of({**base, "OWN_START_METHOD": "loky", "STARTS_PROCESSES": False})


def test_a_strategys_pool_and_baseline_are_declared_once_and_checked():
    from mpbench.experiment import registry
    from mpbench.strategy import Strategy

    base = {"SPLITS": ("static",), "__file__": "mine.py", "array": lambda job: 0}
    assert (Strategy.of(base).pool, Strategy.of(base).baseline) == ("cold", "single")
    mine = Strategy.of({**base, "POOL": "warm", "BASELINE": "single_mmap"})
    assert (mine.pool, mine.baseline) == ("warm", "single_mmap")
    with pytest.raises(ValueError, match="POOL must be one of cold, warm, got 'hot'"):
        Strategy.of({**base, "POOL": "hot"})
    with pytest.raises(ValueError, match="BASELINE must name a strategy script, one of .*single"):
        Strategy.of({**base, "BASELINE": "singel"})
    # only mmap_file has another baseline than single: the one that maps its input as it does
    others = {n: registry.baseline(n) for n in registry.names() if registry.baseline(n) != "single"}
    assert others == {"mmap_file": "single_mmap"}
    assert registry.workloads("single_mmap") == ["array"]
    assert not registry.starts_processes("single_mmap")
