"""The comparison of two results sets, on synthetic repeats."""

import subprocess
import sys

import pandas as pd
import pytest
from conftest import SCRIPTS

from mpbench.analysis.compare import MixedResults, compare, summary_line


def repeats(times_by_cell: dict, host="alpha", python="3.11.7"):
    rows = []
    for (strategy, n), times in times_by_cell.items():
        for i, t in enumerate(times, 1):
            rows.append({"workload": "primes", "strategy": strategy, "start_method": "fork",
                         "split": "dynamic", "n": n,
                         "processes": 2, "hostname": host, "python_version": python,
                         "python_build": "b", "repeat": i, "total_s": t})
    return pd.DataFrame(rows)


A = {("pool_map", 100): [2.00, 2.02, 1.98, 2.01, 1.99], ("manager", 100): [3.0, 3.1, 2.9]}


def test_twice_as_fast_with_tight_repeats_is_faster():
    b = {("pool_map", 100): [1.00, 1.01, 0.99, 1.00, 1.02], ("manager", 100): [6.0, 6.1, 5.9]}
    table = compare(repeats(A), repeats(b)).set_index("strategy")
    assert table.loc["pool_map", "verdict"] == "faster"
    assert table.loc["pool_map", "ratio"] == pytest.approx(0.5)
    assert table.loc["pool_map", "p_value"] < 0.001
    assert table.loc["manager", "verdict"] == "slower"
    assert table.loc["manager", "ratio"] == pytest.approx(2.0)
    # the 95 % interval of the ratio holds the ratio and excludes 1 when the verdict is firm
    assert table.loc["pool_map", "ci_low"] < 0.5 < table.loc["pool_map", "ci_high"] < 1
    assert 1 < table.loc["manager", "ci_low"] < 2.0 < table.loc["manager", "ci_high"]


def test_reproducibility_counts_only_cells_steady_in_both_sets():
    a = {("pool_map", 100): [2.0, 2.0, 2.02], ("manager", 100): [3.0, 4.0, 3.0],
         ("pool_map", 200): [5.0, 5.05, 4.95]}
    b = {("pool_map", 100): [2.02, 2.01, 2.0], ("manager", 100): [3.05, 3.0, 3.02],
         ("pool_map", 200): [5.6, 5.5, 5.5]}
    table = compare(repeats(a), repeats(b))
    assert table.set_index(["strategy", "n"])["steady"].to_dict() == {
        ("manager", 100): False, ("pool_map", 100): True, ("pool_map", 200): True}
    # 2 steady cells: pool_map at 100 within 5 %, at 200 10 % slower
    assert "1 of 2 cells with CV <= 10% in both (50%)" in summary_line(table)


def test_identical_distributions_are_no_significant_difference():
    table = compare(repeats(A), repeats(A))
    assert set(table["verdict"]) == {"no significant difference"}
    assert (table["ratio"] == 1.0).all()


def test_a_small_difference_within_the_noise_is_not_significant():
    b = {("pool_map", 100): [1.5, 2.6, 2.0, 1.8, 2.3]}
    table = compare(repeats(A), repeats(b))
    assert table["verdict"].item() == "no significant difference"


def test_only_common_cells_are_compared():
    b = {("pool_map", 100): [2.0, 2.02, 1.98], ("pool_map", 999): [1.0, 1.0]}
    table = compare(repeats(A), repeats(b))
    assert list(table["strategy"]) == ["pool_map"] and list(table["n"]) == [100]
    assert summary_line(table).startswith("1 common cells: 0 faster, 0 slower, 1 no significant")


def test_a_set_that_mixes_machines_is_refused():
    mixed = pd.concat([repeats(A), repeats(A, host="beta")])
    with pytest.raises(MixedResults, match="results set B mixes 2 hosts or Python builds"):
        compare(repeats(A), mixed)


def test_two_machines_compare_fine():
    table = compare(repeats(A), repeats(A, host="beta", python="3.13.1"))
    assert len(table) == 2


def test_command_line_writes_the_table(tmp_path):
    for name, times in (("a", A), ("b", {("pool_map", 100): [1.0, 1.0, 1.01, 0.99, 1.0]})):
        (tmp_path / name / "summary").mkdir(parents=True)
        repeats(times).to_csv(tmp_path / name / "summary" / "repeats.csv", index=False)
    done = subprocess.run([sys.executable, str(SCRIPTS / "compare.py"), str(tmp_path / "a"),
                           str(tmp_path / "b"), "--output", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1 common cells: 1 faster, 0 slower")
    assert pd.read_csv(tmp_path / "out" / "compare.csv")["verdict"].item() == "faster"
    assert (tmp_path / "out" / "compare.png").read_bytes()[:4] == b"\x89PNG"


def test_command_line_refuses_a_folder_without_results(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPTS / "compare.py"), str(tmp_path),
                           str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "no summary/repeats.csv" in done.stderr
