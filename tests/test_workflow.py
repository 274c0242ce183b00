"""The Snakemake workflow itself: config checks, caching, failure handling, end to end."""

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT
from mpbench import record
from mpbench.analysis import figures

pytestmark = pytest.mark.workflow
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
TINY = {
    "strategies": ["single", "threads", "pool_map", "shared_numpy", "numpy_sieve"],
    "processes": [1, 2],
    "start_methods": ["fork", {"method": "spawn", "processes": [2], "n": [50]}],
    "rounds": {"min": 2, "max": 2},
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
PI = {50: 15, 500: 95}
PRIMES_CELLS = 2 * (2 + 3 * 3) + 2 * 2
# per size: single at P = 1; three strategies at P = 1 and 2 (static only), fork
ARRAY_CELLS = 2 * (1 + 3 * 2)
CELLS = PRIMES_CELLS + ARRAY_CELLS
MEASURED = CELLS - 2  # manager on array at N = 20000 (P = 1, 2) is above its size limit
# every figure the workflow draws: the registry's (mpbench.analysis.figures)
FIGURE_NAMES = {
    workload: tuple(entry.name for entry in figures.for_workload(workload))
    for workload in ("primes", "array")
}


def copy_workflow(destination: Path) -> Path:
    """The workflow's own files (not results, not caches) in a fresh folder."""
    ignore = shutil.ignore_patterns("__pycache__", "results", ".snakemake")
    for name in ("Snakefile", "environment.yml"):
        shutil.copy2(ROOT / name, destination / name)
    for name in ("workflow", "config", "profiles"):
        shutil.copytree(ROOT / name, destination / name, ignore=ignore)
    return destination


def write_config(folder: Path, config: dict, name: str = "test.yaml") -> str:
    path = folder / "config" / name
    path.write_text(yaml.safe_dump(config))
    return f"config/{name}"


def snakemake(folder: Path, *args, timeout=900):
    return subprocess.run(
        [SNAKEMAKE, *map(str, args)], cwd=folder, capture_output=True, text=True, timeout=timeout
    )


def pending_cells(folder: Path, configfile: str) -> set[str]:
    """The cell records a run would (re)make now, from `snakemake --summary`."""
    done = snakemake(folder, "--summary", "--configfile", configfile)
    assert done.returncode == 0, done.stderr
    rows = csv.DictReader(io.StringIO(done.stdout), delimiter="\t")
    return {
        row["output_file"].removeprefix("results/cells/")
        for row in rows
        if row["output_file"].startswith("results/cells/") and row["plan"] != "no update"
    }


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A real run of a tiny config with --cores 4, then the report; shared by the tests."""
    folder = copy_workflow(tmp_path_factory.mktemp("tiny"))
    configfile = write_config(folder, TINY)
    done = snakemake(folder, "--cores", 4, "--configfile", configfile)
    assert done.returncode == 0, done.stderr[-3000:]
    done = snakemake(
        folder, "--cores", 4, "--configfile", configfile, "--report", "results/report.html"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return folder, configfile


def test_end_to_end_tiny_run(tiny_run):
    folder, _ = tiny_run
    everything = pd.read_csv(folder / "results/summary/cells.csv")
    assert len(everything) == CELLS
    cells = everything[everything["workload"] == "primes"]
    # per size: single and numpy_sieve at P=1; three strategies at P=1 (static) and P=2
    # (static, dynamic) under fork; at N=50 also pool_map and shared_numpy under spawn at P=2
    assert len(cells) == PRIMES_CELLS
    assert cells["correct"].astype(bool).all()
    methods = cells.groupby("strategy")["start_method"].agg(lambda m: sorted(set(m)))
    assert methods.to_dict() == {
        "single": ["none"],
        "numpy_sieve": ["none"],
        "threads": ["none"],
        "pool_map": ["fork", "spawn"],
        "shared_numpy": ["fork", "spawn"],
    }
    for path in (folder / "results/cells").rglob("*.json"):  # the method asked for is the one used
        method = path.relative_to(folder / "results/cells").parts[2]
        assert (record.read(path)["start_method"] or "none") == method
    assert cells.loc[cells["strategy"] == "numpy_sieve", "reference"].all()
    # Snakemake's job-rate limiter is off: its self-multiplying timers kept about a third of a
    # core busy during the cells late in a run (median other_cpu_cores 0.7 in config/quick.yaml
    # before; 0.05 after)
    assert cells["other_cpu_cores"].median() < 0.25
    assert (cells["answer"].astype(int) == cells["n"].map(PI)).all()
    single = everything[everything["strategy"] == "single"]
    # single's cells pair single with itself: an A/A check whose interval holds its median
    assert (
        (single["speedup_low"] <= single["speedup"]) & (single["speedup"] <= single["speedup_high"])
    ).all()
    # (runs of microseconds, 2 rounds: one cell may stray past 2x; their median may not)
    assert 0.5 < single["speedup"].median() < 2.0
    assert (everything.loc[everything["skipped"].isna(), "rounds_stop"] == "most rounds").all()
    assert {
        "workload",
        "strategy",
        "n",
        "processes",
        "median_s",
        "cv",
        "speedup",
        "efficiency",
        "karp_flatt",
        "correct",
        "split",
        "oversubscribed",
        "payload_bytes",
        "peak_pss_bytes",
        "peak_uss_bytes",
        "baseline_pss_bytes",
        "pss_over_payload",
        "setup_median_s",
        "skipped",
    } <= set(everything.columns)
    repeats = pd.read_csv(folder / "results/summary/repeats.csv")
    measured = everything[everything["skipped"].isna()]
    assert len(repeats) == len(measured) * TINY["rounds"]["max"]
    assert (repeats["speedup"] - repeats["baseline_s"] / repeats["total_s"]).abs().max() < 1e-4
    # set-up + start-up + compute + teardown = total, per repeat, wherever phases are marked
    phased = repeats.dropna(subset=["startup_s"])
    unphased = (repeats["workload"] == "primes") & repeats["strategy"].isin(
        ["single", "numpy_sieve"]
    )
    assert len(phased) == len(repeats[~unphased])
    assert (
        phased[["setup_s", "startup_s", "compute_s", "teardown_s"]].sum(axis=1) - phased["total_s"]
    ).abs().max() < 1e-5  # the CSV keeps 6 significant digits
    markdown = (folder / "results/summary/cells.md").read_text()
    assert "| pool_map | fork | dynamic | 2 |" in markdown
    assert "| pool_map | spawn | dynamic | 2 |" in markdown
    fits = pd.read_csv(folder / "results/summary/amdahl.csv")
    assert {"threads", "pool_map", "shared_numpy"} <= set(fits["strategy"])
    listed = (folder / "results/summary/flagged.html").read_text()
    # 2 rounds give no 95 % interval: every measured cell is unresolved
    assert f"<h3>Unresolved: {MEASURED} of {MEASURED} cells</h3>" in listed
    assert "<h3>Flagged: " in listed and "<h3>Implausible: " in listed
    for workload, names in FIGURE_NAMES.items():
        for figure in names:
            png = folder / f"results/figures/{workload}/{figure}.png"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (folder / "results/report.html").read_text(encoding="utf-8", errors="replace")
    for item in (
        *FIGURE_NAMES["primes"],
        *FIGURE_NAMES["array"],
        "cells.csv",
        "flagged cells",
        "amdahl.csv",
        "array workload",
        "primes workload",
    ):
        assert item.replace("_", " ") in html or item in html


def test_end_to_end_array_workload(tiny_run):
    folder, _ = tiny_run
    cells = pd.read_csv(folder / "results/summary/cells.csv")
    array = cells[cells["workload"] == "array"]
    assert len(array) == ARRAY_CELLS
    # manager runs up to its size limit (5000) and is recorded as skipped above it
    manager = array[array["strategy"] == "manager"].set_index(["n", "processes"])
    assert manager.loc[(3001, 1), "skipped"] != manager.loc[(3001, 1), "skipped"]  # NaN: ran
    assert manager.loc[(20000, 2), "skipped"].startswith(
        "above the limit: n = 20000 > size limit 5000"
    )
    assert manager.loc[(20000, 2), "median_s"] != manager.loc[(20000, 2), "median_s"]  # no time
    measured = array[array["skipped"].isna()]
    assert measured["correct"].astype(bool).all()
    assert (measured["answer"] == measured["expected"]).all()
    assert (measured["payload_bytes"] == 16 * measured["n"]).all()
    assert (measured["peak_pss_bytes"] > measured["baseline_pss_bytes"] * 0.9).all()
    assert (measured["setup_median_s"] > 0).all()  # every array strategy places its data
    skipped = record.read(folder / "results/cells/array/manager/fork/static/n20000-p2.json")
    assert "repeats_s" not in skipped and skipped["size_limit"] == 5000


def test_timing_jobs_never_overlap_even_with_four_cores(tiny_run):
    folder, _ = tiny_run
    spans = sorted(
        (rec["started_at"], rec["finished_at"])
        for rec in map(record.read, (folder / "results/cells").rglob("*.json"))
        if "skipped" not in rec
    )
    assert len(spans) == MEASURED
    for (_, finished), (next_started, _) in zip(spans, spans[1:]):
        assert finished <= next_started, "two timing jobs ran at the same time"


def test_nothing_is_pending_after_a_run(tiny_run):
    folder, configfile = tiny_run
    assert pending_cells(folder, configfile) == set()


@pytest.fixture
def finished_copy(tiny_run, tmp_path):
    """A copy of the finished tiny run (mtimes and Snakemake's metadata kept)."""
    folder, configfile = tiny_run
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy, symlinks=True)
    return copy, configfile


def test_editing_one_strategy_reruns_only_its_cells(finished_copy):
    folder, configfile = finished_copy
    with open(folder / "workflow/scripts/strategies/pool_map.py", "a") as script:
        script.write("\n# an edit\n")
    pending = pending_cells(folder, configfile)
    assert pending == {
        f"primes/pool_map/fork/{split}/n{n}-p{p}.json"
        for n in (50, 500)
        for split, p in (("static", 1), ("static", 2), ("dynamic", 2))
    } | {
        "primes/pool_map/spawn/static/n50-p2.json",
        "primes/pool_map/spawn/dynamic/n50-p2.json",
    } | {f"array/pool_map/fork/static/n{n}-p{p}.json" for n in (3001, 20000) for p in (1, 2)}


@pytest.mark.parametrize(
    "edited",
    [
        "workflow/scripts/mpbench/timing.py",
        "workflow/scripts/mpbench/job.py",
        "workflow/scripts/strategies/single.py",
    ],
)
def test_editing_the_harness_or_the_baseline_reruns_every_cell(finished_copy, edited):
    # single runs beside the strategy in every round of every cell
    folder, configfile = finished_copy
    with open(folder / edited, "a") as script:
        script.write("\n# an edit\n")
    assert len(pending_cells(folder, configfile)) == CELLS


def test_editing_the_registry_or_the_config_checks_reruns_no_cell(finished_copy):
    folder, configfile = finished_copy
    for edited in ("registry.py", "config.py"):
        with open(folder / "workflow/scripts/mpbench/experiment" / edited, "a") as script:
            script.write("\n# an edit\n")
    assert pending_cells(folder, configfile) == set()


def test_editing_the_figures_reruns_no_cell(finished_copy):
    folder, configfile = finished_copy
    with open(folder / "workflow/scripts/mpbench/analysis/figures/scaling.py", "a") as module:
        module.write("\n# an edit\n")
    assert pending_cells(folder, configfile) == set()


def test_adding_sizes_and_process_counts_adds_only_new_cells(finished_copy):
    folder, _ = finished_copy
    bigger = {
        **TINY,
        "processes": [1, 2, 3],
        "workloads": [{"name": "primes", "n": [50, 500, 700]}],
    }
    configfile = write_config(folder, bigger)
    pending = pending_cells(folder, configfile)
    method = {"threads": "none", "pool_map": "fork", "shared_numpy": "fork"}
    new_p = {
        f"primes/{s}/{method[s]}/{split}/n{n}-p3.json"
        for n in (50, 500)
        for s in method
        for split in ("static", "dynamic")
    }
    new_n = {
        "primes/single/none/none/n700-p1.json",
        "primes/numpy_sieve/none/none/n700-p1.json",
    } | {
        f"primes/{s}/{method[s]}/{split}/n700-p{p}.json"
        for s in method
        for split, p in (
            ("static", 1),
            ("static", 2),
            ("dynamic", 2),
            ("static", 3),
            ("dynamic", 3),
        )
    }
    assert pending == new_p | new_n  # spawn is restricted to N = 50, P = 2: nothing new


BAD_CONFIGS = [
    (
        {"strategies": ["single", "pool_mapp"]},
        "config key 'strategies': unknown strategy 'pool_mapp'; allowed: ",
    ),
    ({"strategies": ["pool_map"]}, "config key 'strategies' must include 'single'"),
    (
        {"workloads": [{"name": "primes", "n": [1000, 1]}]},
        "config key 'workloads[0].n[1]': 1 is less than the minimum of 2",
    ),
    (
        {"workloads": [{"name": "array", "n": [10]}, {"name": "array", "n": [20]}]},
        "config key 'workloads[1].name': workload 'array' is listed twice",
    ),
    (
        {"workloads": [{"name": "array", "n": [10], "strategies": ["single", "numpy_sieve"]}]},
        "config key 'workloads[0].strategies': 'numpy_sieve' cannot run workload 'array'; "
        "allowed: ",
    ),
    (
        {"workloads": [{"name": "array", "n": [10], "strategies": ["pipe"]}]},
        "config key 'workloads[0].strategies' must include 'single'",
    ),
    (
        {"workloads": {"primes": {"n": [10]}}},
        "config key 'workloads': {'primes': {'n': [10]}} is not of type 'array'",
    ),
    (
        {"size_limits": {"manager": {"array": 1}}},
        "config key 'size_limits.manager.array': 1 is less than the minimum of 2",
    ),
    (
        {"size_limits": {"pool_mapp": {"array": 100}}},
        "config key 'size_limits.pool_mapp': unknown strategy; allowed: ",
    ),
    (
        {"size_limits": {"sharedctypes_value": {"array": 100}}},
        "config key 'size_limits.sharedctypes_value.array': 'sharedctypes_value' does not run "
        "workload 'array'; it runs: primes",
    ),
    ({"processes": [2, 0]}, "config key 'processes[1]': 0 is less than the minimum of 1"),
    ({"rounds": {"min": 0}}, "config key 'rounds.min': 0 is less than the minimum of 1"),
    ({"repeats": 5}, "config: unknown key 'repeats'; allowed keys: strategies, processes, rounds"),
    ({"timeout_s": "soon"}, "config key 'timeout_s': 'soon' is not of type 'number'"),
    (
        {"workloads": [{"name": "sorting", "n": [10]}]},
        "config key 'workloads[0].name': 'sorting' is not one of ['primes', 'array']",
    ),
    (
        {"start_methods": ["fork", "vfork"]},
        "config key 'start_methods[1]': 'vfork' is not one of ['fork', 'spawn', 'forkserver']",
    ),
    (
        {"start_methods": ["fork", {"method": "spawn", "processes": [3]}]},
        "config key 'start_methods[1].processes': 3 not in the experiment; allowed: 1, 2, 4",
    ),
    (
        {"start_methods": [{"method": "spawn", "n": [999]}]},
        "config key 'start_methods[0].n': 999 not in the experiment; allowed: 10000, 100000, "
        "300000, 1000000",
    ),
    (
        {"start_methods": ["spawn", {"method": "spawn", "n": [10000]}]},
        "config key 'start_methods[1]': start method 'spawn' is listed twice",
    ),
    (
        {"start_methods": [{"processes": [2]}]},
        "config key 'start_methods[0]': 'method' is a required property",
    ),
    ({"cpu_affinity": [0, 4096]}, "config key 'cpu_affinity': CPU 4096 not available; allowed: 0"),
]


@pytest.mark.parametrize(
    "config,message",
    BAD_CONFIGS,
    ids=[m.split(":")[0] + str(i) for i, (_, m) in enumerate(BAD_CONFIGS)],
)
def test_bad_config_is_refused_before_anything_runs(tmp_path, config, message):
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(config))
    done = snakemake(tmp_path, "-s", ROOT / "Snakefile", "--cores", 1, "--configfile", "bad.yaml")
    assert done.returncode != 0
    assert message in done.stderr
    assert not (tmp_path / "results").exists()


def test_lint_is_clean():
    done = snakemake(ROOT, "--lint")
    assert done.returncode == 0, done.stdout + done.stderr


def test_wrong_answer_fails_the_job_and_keeps_earlier_results(tmp_path):
    folder = copy_workflow(tmp_path)
    broken = folder / "workflow/scripts/strategies/off_by_one.py"
    broken.write_text(
        (folder / "workflow/scripts/strategies/single.py")
        .read_text()
        .replace("return count_primes_in(everything)", "return count_primes_in(everything) + 1")
    )
    configfile = write_config(
        folder,
        {
            **TINY,
            "strategies": ["single", "off_by_one"],
            "workloads": [{"name": "primes", "n": [50]}],
        },
    )
    done = snakemake(folder, "--cores", 2, "--keep-going", "--configfile", configfile)
    assert done.returncode != 0
    log = (folder / "results/logs/cells/primes/off_by_one/none/none/n50-p1.log").read_text()
    assert "wrong answer in priming run: expected 15, got 16" in log
    assert not (folder / "results/cells/primes/off_by_one/none/none/n50-p1.json").exists()
    assert record.read(folder / "results/cells/primes/single/none/none/n50-p1.json")["answer"] == 15
    assert not (folder / "results/summary/cells.csv").exists()


def test_cell_list_follows_the_config(tmp_path):
    folder = copy_workflow(tmp_path)
    configfile = write_config(
        folder,
        {
            **TINY,
            "strategies": ["single", "pool_map"],
            "start_methods": ["fork"],
            "processes": [3],
            "workloads": [{"name": "primes", "n": [99]}],
        },
    )
    # single is the baseline: P = 1 whatever `processes` says; the others follow `processes`
    assert pending_cells(folder, configfile) == {
        "primes/single/none/none/n99-p1.json",
        "primes/pool_map/fork/static/n99-p3.json",
        "primes/pool_map/fork/dynamic/n99-p3.json",
    }


def test_start_methods_apply_to_process_strategies_only_and_where_supported(tmp_path):
    folder = copy_workflow(tmp_path)
    configfile = write_config(
        folder,
        {
            **TINY,
            "strategies": ["single", "threads", "pool_map", "mmap_anonymous"],
            "processes": [2],
            "workloads": [{"name": "primes", "n": [99, 200]}],
            "start_methods": [
                {"method": "spawn", "n": [99]},
                "fork",
                {"method": "forkserver", "n": [200]},
            ],
        },
    )
    pool_map = {
        f"primes/pool_map/{m}/{split}/n{n}-p2.json"
        for m, n in (("spawn", 99), ("fork", 99), ("fork", 200), ("forkserver", 200))
        for split in ("static", "dynamic")
    }
    mmap = {
        f"primes/mmap_anonymous/fork/{split}/n{n}-p2.json"  # fork only
        for n in (99, 200)
        for split in ("static", "dynamic")
    }
    once = {f"primes/single/none/none/n{n}-p1.json" for n in (99, 200)} | {
        f"primes/threads/none/{split}/n{n}-p2.json"
        for n in (99, 200)
        for split in ("static", "dynamic")
    }
    assert pending_cells(folder, configfile) == pool_map | mmap | once


def test_compare_rule_against_another_results_set(finished_copy, tiny_run):
    folder, configfile = finished_copy
    reference = tiny_run[0] / "results"
    done = snakemake(
        folder,
        "results/compare/compare.csv",
        "--cores",
        2,
        "--configfile",
        configfile,
        "--config",
        f"compare_with={reference}",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    table = pd.read_csv(folder / "results/compare/compare.csv")
    assert len(table) == MEASURED  # every cell is common: the copy holds the same records
    assert (table["ratio"] == 1.0).all()
    assert set(table["verdict"]) == {"no significant difference"}
    assert f"{MEASURED} common cells" in (folder / "results/compare/compare.txt").read_text()


def test_a_new_strategy_is_one_file_plus_its_name_in_the_config(tmp_path):
    # the claim of docs/contributing.md, on a copy of the whole project: copy pool_map.py to a
    # new name, list it, and nothing else changes; its cells run and the tests that loop over
    # the strategies pass for it too
    ignore = shutil.ignore_patterns(
        "__pycache__",
        "results",
        ".snakemake",
        ".venv",
        ".interpreters",  # make interpreters' install: absolute paths, not for copying
        ".git",
        ".hypothesis",
        ".pytest_cache",
    )
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=ignore)
    strategies = project / "workflow/scripts/strategies"
    shutil.copy2(strategies / "pool_map.py", strategies / "pool_map_twin.py")
    configfile = write_config(
        project,
        {
            "strategies": ["single", "pool_map_twin"],
            "processes": [1, 2],
            "start_methods": ["fork"],
            "rounds": {"min": 2, "max": 2},
            "workloads": [{"name": "primes", "n": [500]}, {"name": "array", "n": [3001]}],
        },
    )
    done = snakemake(project, "--cores", 2, "--configfile", configfile)
    assert done.returncode == 0, done.stderr[-3000:]
    cells = pd.read_csv(project / "results/summary/cells.csv")
    twin = cells[cells["strategy"] == "pool_map_twin"]
    # primes: static at P = 1, static and dynamic at P = 2; array: static at P = 1 and 2
    assert len(twin) == 5 and twin["correct"].astype(bool).all()
    assert set(twin["data_path"].dropna()) == {"copies"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_strategies.py",
            "tests/test_array.py",
            "tests/test_harness.py",
            "tests/test_experiment.py",
            "-k",
            "pool_map_twin or matrix or registered or declare",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    ran = int(done.stdout.strip().splitlines()[-1].split()[0])
    assert ran >= 40, done.stdout[
        -500:
    ]  # the twin's own parametrized cases, not a filter that selects nothing
