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

pytestmark = pytest.mark.workflow
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
TINY = {
    "strategies": ["single", "threads", "pool_map", "shared_numpy"],
    "processes": [1, 2],
    "repeats": 2,
    "warmups": 0,
    "timeout_s": 120,
    "workloads": {"primes": {"n": [50, 500]}},
}
PI = {50: 15, 500: 95}


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
    return subprocess.run([SNAKEMAKE, *map(str, args)], cwd=folder, capture_output=True,
                          text=True, timeout=timeout)


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
    done = snakemake(folder, "--cores", 4, "--configfile", configfile,
                     "--report", "results/report.html")
    assert done.returncode == 0, done.stderr[-3000:]
    return folder, configfile


def test_end_to_end_tiny_run(tiny_run):
    folder, _ = tiny_run
    cells = pd.read_csv(folder / "results/summary/cells.csv")
    # single at P=1; three strategies at P=1 (static) and P=2 (static, dynamic); two sizes
    assert len(cells) == 2 * (1 + 3 * 3)
    assert cells["correct"].all()
    assert (cells["answer"] == cells["n"].map(PI)).all()
    single = cells[cells["strategy"] == "single"]
    assert (single["speedup"] == 1.0).all()
    assert {"workload", "strategy", "n", "processes", "median_s", "cv", "speedup",
            "efficiency", "karp_flatt", "correct", "split", "oversubscribed"} <= set(cells.columns)
    repeats = pd.read_csv(folder / "results/summary/repeats.csv")
    assert len(repeats) == len(cells) * TINY["repeats"]
    markdown = (folder / "results/summary/cells.md").read_text()
    assert "| pool_map | dynamic | 2 |" in markdown
    for figure in ("speedup_vs_processes", "efficiency_vs_processes", "time_vs_n", "fixed_cost"):
        png = folder / f"results/figures/primes/{figure}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (folder / "results/report.html").read_text(encoding="utf-8", errors="replace")
    for figure in ("speedup_vs_processes", "efficiency_vs_processes", "time_vs_n", "fixed_cost",
                   "cells.csv"):
        assert figure in html


def test_timing_jobs_never_overlap_even_with_four_cores(tiny_run):
    folder, _ = tiny_run
    spans = sorted(
        (rec["started_at"], rec["finished_at"])
        for rec in map(record.read, (folder / "results/cells").rglob("*.json"))
    )
    assert len(spans) == 20
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
        f"primes/pool_map/{split}/n{n}-p{p}.json"
        for n in (50, 500) for split, p in (("static", 1), ("static", 2), ("dynamic", 2))
    }


def test_editing_the_harness_reruns_every_cell(finished_copy):
    folder, configfile = finished_copy
    with open(folder / "workflow/scripts/mpbench/harness.py", "a") as harness:
        harness.write("\n# an edit\n")
    assert len(pending_cells(folder, configfile)) == 20


def test_editing_the_figures_reruns_no_cell(finished_copy):
    folder, configfile = finished_copy
    with open(folder / "workflow/scripts/mpbench/analysis/figures.py", "a") as figures:
        figures.write("\n# an edit\n")
    assert pending_cells(folder, configfile) == set()


def test_adding_sizes_and_process_counts_adds_only_new_cells(finished_copy):
    folder, _ = finished_copy
    bigger = {**TINY, "processes": [1, 2, 3], "workloads": {"primes": {"n": [50, 500, 700]}}}
    configfile = write_config(folder, bigger)
    pending = pending_cells(folder, configfile)
    new_p = {f"primes/{s}/{split}/n{n}-p3.json" for n in (50, 500)
             for s in ("threads", "pool_map", "shared_numpy") for split in ("static", "dynamic")}
    new_n = {f"primes/single/none/n700-p1.json"} | {
        f"primes/{s}/{split}/n700-p{p}.json" for s in ("threads", "pool_map", "shared_numpy")
        for split, p in (("static", 1), ("static", 2), ("dynamic", 2), ("static", 3), ("dynamic", 3))
    }
    assert pending == new_p | new_n


BAD_CONFIGS = [
    ({"strategies": ["single", "pool_mapp"]},
     "config key 'strategies': unknown strategy 'pool_mapp'; allowed: "),
    ({"strategies": ["pool_map"]}, "config key 'strategies' must include 'single'"),
    ({"workloads": {"primes": {"n": [1000, 1]}}},
     "config key 'workloads.primes.n[1]': 1 is less than the minimum of 2"),
    ({"processes": [2, 0]}, "config key 'processes[1]': 0 is less than the minimum of 1"),
    ({"repeats": 0}, "config key 'repeats': 0 is less than the minimum of 1"),
    ({"repeat": 5}, "config: unknown key 'repeat'; allowed keys: strategies, processes, repeats"),
    ({"timeout_s": "soon"}, "config key 'timeout_s': 'soon' is not of type 'number'"),
    ({"workloads": {"sorting": {"n": [10]}}}, "config key 'workloads': unknown key 'sorting'"),
]


@pytest.mark.parametrize("config,message", BAD_CONFIGS, ids=[m.split(":")[0] + str(i)
                                                          for i, (_, m) in enumerate(BAD_CONFIGS)])
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
    broken.write_text((folder / "workflow/scripts/strategies/single.py").read_text().replace(
        "return count_primes_in(everything)", "return count_primes_in(everything) + 1"))
    configfile = write_config(folder, {**TINY, "strategies": ["single", "off_by_one"],
                                       "workloads": {"primes": {"n": [50]}}})
    done = snakemake(folder, "--cores", 2, "--keep-going", "--configfile", configfile)
    assert done.returncode != 0
    log = (folder / "results/logs/cells/primes/off_by_one/none/n50-p1.log").read_text()
    assert "wrong answer in priming run: expected 15, got 16" in log
    assert not (folder / "results/cells/primes/off_by_one/none/n50-p1.json").exists()
    assert record.read(folder / "results/cells/primes/single/none/n50-p1.json")["answer"] == 15
    assert not (folder / "results/summary/cells.csv").exists()


def test_cell_list_follows_the_config(tmp_path):
    folder = copy_workflow(tmp_path)
    configfile = write_config(folder, {**TINY, "strategies": ["single", "pool_map"],
                                       "processes": [3], "workloads": {"primes": {"n": [99]}}})
    # single is the baseline: P = 1 whatever `processes` says; the others follow `processes`
    assert pending_cells(folder, configfile) == {
        "primes/single/none/n99-p1.json",
        "primes/pool_map/static/n99-p3.json",
        "primes/pool_map/dynamic/n99-p3.json",
    }


def test_compare_rule_against_another_results_set(finished_copy, tiny_run):
    folder, configfile = finished_copy
    reference = tiny_run[0] / "results"
    done = snakemake(folder, "results/compare/compare.csv", "--cores", 2, "--configfile",
                     configfile, "--config", f"compare_with={reference}")
    assert done.returncode == 0, done.stderr[-2000:]
    table = pd.read_csv(folder / "results/compare/compare.csv")
    assert len(table) == 20  # every cell is common: the copy holds the same records
    assert (table["ratio"] == 1.0).all()
    assert set(table["verdict"]) == {"no significant difference"}
    assert "20 common cells" in (folder / "results/compare/compare.txt").read_text()
