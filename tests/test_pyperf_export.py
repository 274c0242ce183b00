"""A results set exported as a pyperf benchmark suite, read back by pyperf itself."""

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pyperf
import pytest

from conftest import SCRIPTS
from mpbench.analysis.compare import MixedResults
from mpbench.analysis.pyperf_export import benchmark_name, to_suite

CELLS = {
    ("primes", "pool_map", "fork", 300000, 2): (4.0, 2.1),
    ("primes", "manager", "spawn", 300000, 2): (4.0, 9.0),
    ("array", "single", "none", 1000, 1): (0.3, 0.3),
}


def repeats(cells=CELLS, rounds=8, seed=0, host="alpha", paired=True):
    rng = np.random.default_rng(seed)
    rows = []
    for (workload, strategy, method, n, processes), (t1, tp) in cells.items():
        for i in range(1, rounds + 1):
            row = {
                "workload": workload,
                "strategy": strategy,
                "start_method": method,
                "split": "dynamic",
                "n": n,
                "processes": processes,
                "hostname": host,
                "python_version": "3.11.7",
                "python_build": "main Jan 1 2026 / GCC 14",
                "repeat": i,
                "total_s": tp * rng.lognormal(0, 0.01),
                "cores": 2,
            }
            if paired:
                row.update(baseline_s=t1 * rng.lognormal(0, 0.01), strategy_first=i % 2 == 1)
                row["speedup"] = row["baseline_s"] / row["total_s"]
            rows.append(row)
    return pd.DataFrame(rows)


def write(folder, table):
    (folder / "summary").mkdir(parents=True)
    table.to_csv(folder / "summary" / "repeats.csv", index=False)
    return folder


def export(folder, output):
    return subprocess.run(
        [sys.executable, str(SCRIPTS / "export_pyperf.py"), str(folder), "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=60,
    )


NAMES = [
    "array/single/none/dynamic/n1000-p1",
    "primes/manager/spawn/dynamic/n300000-p2",
    "primes/pool_map/fork/dynamic/n300000-p2",
]


def test_benchmark_names_say_the_cell():
    assert (
        benchmark_name("primes", "pool_map", "fork", "dynamic", 300000, 2)
        == "primes/pool_map/fork/dynamic/n300000-p2"
    )


def test_an_export_reads_back_with_one_run_per_round(tmp_path):
    table = repeats()
    done = export(write(tmp_path / "a", table), tmp_path / "a.json")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{tmp_path / 'a.json'}: 3 benchmarks, 24 runs"
    suite = pyperf.BenchmarkSuite.load(str(tmp_path / "a.json"))
    assert sorted(suite.get_benchmark_names()) == NAMES
    cell = table[table["strategy"] == "pool_map"].sort_values("repeat")
    bench = suite.get_benchmark("primes/pool_map/fork/dynamic/n300000-p2")
    assert bench.get_nrun() == 8 and bench.get_nvalue() == 8
    assert bench.get_values() == pytest.approx(list(cell["total_s"]))
    assert bench.get_unit() == "second"
    common = suite.get_metadata()
    assert common["hostname"] == "alpha" and common["python_version"] == "3.11.7"
    assert common["mpbench_python_build"] == "main Jan 1 2026 / GCC 14"
    assert common["mpbench_cores"] == 2 and common["unit"] == "second"
    runs = bench.get_runs()
    assert [run.get_metadata()["mpbench_round"] for run in runs] == list(range(1, 9))
    assert [run.get_metadata()["mpbench_baseline_s"] for run in runs] == pytest.approx(
        list(cell["baseline_s"])
    )
    assert [run.get_metadata()["mpbench_order"] for run in runs[:2]] == [
        "strategy first",
        "baseline first",
    ]
    assert runs[0].get_metadata()["mpbench_speedup"] == pytest.approx(cell["speedup"].iloc[0])


def test_a_set_without_baseline_times_exports_the_times():
    suite = to_suite(repeats(paired=False))
    bench = suite.get_benchmark("primes/manager/spawn/dynamic/n300000-p2")
    assert bench.get_nrun() == 8
    assert "mpbench_baseline_s" not in bench.get_runs()[0].get_metadata()
    assert "mpbench_order" not in bench.get_runs()[0].get_metadata()


def test_a_set_that_mixes_hosts_is_refused_in_one_line(tmp_path):
    mixed = pd.concat([repeats(), repeats(host="beta")])
    with pytest.raises(MixedResults, match="mixes 2 hosts, nodes or Python builds"):
        to_suite(mixed)
    done = export(write(tmp_path / "mixed", mixed), tmp_path / "mixed.json")
    assert done.returncode == 2
    error = done.stderr.strip().splitlines()[-1]
    assert "mixes 2 hosts, nodes or Python builds" in error and "export one host" in error
    assert not (tmp_path / "mixed.json").exists()


def test_a_folder_without_results_is_refused(tmp_path):
    done = export(tmp_path, tmp_path / "x.json")
    assert done.returncode == 2 and "no summary/repeats.csv" in done.stderr


def test_pyperf_stats_and_compare_to_read_the_exports(tmp_path):
    faster = {**CELLS, ("primes", "pool_map", "fork", 300000, 2): (4.0, 2.1 / 2)}
    for name, cells, seed in (("a", CELLS, 1), ("b", faster, 2)):
        done = export(write(tmp_path / name, repeats(cells, seed=seed)), tmp_path / f"{name}.json")
        assert done.returncode == 0, done.stderr
    stats = subprocess.run(
        [sys.executable, "-m", "pyperf", "stats", str(tmp_path / "a.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert stats.returncode == 0, stats.stderr
    for name in NAMES:
        assert name in stats.stdout
    assert "Total number of run: 8" in stats.stdout
    compared = subprocess.run(
        [
            sys.executable,
            "-m",
            "pyperf",
            "compare_to",
            str(tmp_path / "a.json"),
            str(tmp_path / "b.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert compared.returncode == 0, compared.stderr
    line = next(
        line
        for line in compared.stdout.splitlines()
        if line.startswith("primes/pool_map/fork/dynamic/n300000-p2")
    )
    factor = re.search(r": ([0-9.]+)x faster$", line)
    assert factor and float(factor.group(1)) == pytest.approx(2.0, rel=0.03), line
    back = subprocess.run(
        [
            sys.executable,
            "-m",
            "pyperf",
            "compare_to",
            str(tmp_path / "b.json"),
            str(tmp_path / "a.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert back.returncode == 0, back.stderr
    assert re.search(
        r"^primes/pool_map/fork/dynamic/n300000-p2: .*: [0-9.]+x slower$", back.stdout, re.MULTILINE
    ), back.stdout
