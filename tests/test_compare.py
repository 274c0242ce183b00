"""The comparison of two results sets, on synthetic repeats."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import SCRIPTS
from mpbench.analysis.compare import MixedResults, compare, summary_line


def repeats(times_by_cell: dict, host="alpha", python="3.11.7"):
    rows = []
    for (strategy, n), times in times_by_cell.items():
        for i, t in enumerate(times, 1):
            rows.append(
                {
                    "workload": "primes",
                    "strategy": strategy,
                    "start_method": "fork",
                    "split": "dynamic",
                    "n": n,
                    "processes": 2,
                    "hostname": host,
                    "python_version": python,
                    "python_build": "b",
                    "repeat": i,
                    "total_s": t,
                }
            )
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
    a = {
        ("pool_map", 100): [2.0, 2.0, 2.02],
        ("manager", 100): [3.0, 4.0, 3.0],
        ("pool_map", 200): [5.0, 5.05, 4.95],
    }
    b = {
        ("pool_map", 100): [2.02, 2.01, 2.0],
        ("manager", 100): [3.05, 3.0, 3.02],
        ("pool_map", 200): [5.6, 5.5, 5.5],
    }
    table = compare(repeats(a), repeats(b))
    assert table.set_index(["strategy", "n"])["steady"].to_dict() == {
        ("manager", 100): False,
        ("pool_map", 100): True,
        ("pool_map", 200): True,
    }
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
    with pytest.raises(MixedResults, match="results set B mixes 2 hosts, nodes or Python builds"):
        compare(repeats(A), mixed)


def test_two_machines_compare_fine():
    table = compare(repeats(A), repeats(A, host="beta", python="3.13.1"))
    assert len(table) == 2


def test_command_line_writes_the_table(tmp_path):
    for name, times in (("a", A), ("b", {("pool_map", 100): [1.0, 1.0, 1.01, 0.99, 1.0]})):
        (tmp_path / name / "summary").mkdir(parents=True)
        repeats(times).to_csv(tmp_path / name / "summary" / "repeats.csv", index=False)
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPTS / "compare.py"),
            str(tmp_path / "a"),
            str(tmp_path / "b"),
            "--output",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1 common cells: 1 faster, 0 slower")
    assert pd.read_csv(tmp_path / "out" / "compare.csv")["verdict"].item() == "faster"
    assert (tmp_path / "out" / "compare.png").read_bytes()[:4] == b"\x89PNG"


def test_command_line_refuses_a_folder_without_results(tmp_path):
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "compare.py"), str(tmp_path), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "no summary/repeats.csv" in done.stderr


# Paired rounds: each round times the baseline (single) beside the strategy.


def paired(cells: dict, machine=1.0, rounds=12, noise=0.01, seed=0, host="alpha"):
    """Rounds of cells {(strategy, n): (t1, tp)}: the baseline and the strategy each with
    its own multiplicative noise, both times `machine` (a slower host: > 1)."""
    rng = np.random.default_rng(seed)
    rows = []
    for (strategy, n), (t1, tp) in cells.items():
        for i in range(1, rounds + 1):
            base = machine * t1 * rng.lognormal(0, noise)
            total = machine * tp * rng.lognormal(0, noise)
            rows.append(
                {
                    "workload": "primes",
                    "strategy": strategy,
                    "start_method": "fork",
                    "split": "dynamic",
                    "n": n,
                    "processes": 2,
                    "hostname": host,
                    "python_version": "3.11.7",
                    "python_build": "b",
                    "repeat": i,
                    "total_s": total,
                    "baseline_s": base,
                    "speedup": base / total,
                    "strategy_first": bool(i % 2),
                    "cores": 2,
                }
            )
    return pd.DataFrame(rows)


CELLS = {
    ("pool_map", 100): (0.40, 0.21),
    ("manager", 100): (0.40, 0.90),
    ("pool_map", 1000): (4.0, 2.05),
    ("pipe", 1000): (4.0, 2.4),
}


def test_a_slower_machine_is_slower_in_time_but_not_in_speedup():
    # independent noise in A and B: at p < 0.05 about 1 cell in 20 is a false "higher" or
    # "lower" (5.8 % over 100 seeds); these seeds happen to give none
    table = compare(paired(CELLS, seed=7), paired(CELLS, machine=1.2, seed=8))
    assert set(table["verdict"]) == {"slower"}
    assert table["ratio"].to_numpy() == pytest.approx(1.2, rel=0.03)
    assert set(table["speedup_verdict"]) == {"no significant difference"}
    assert table["speedups_agree"].all() and table["intervals_overlap"].all()
    assert table["speedup_ratio"].to_numpy() == pytest.approx(1.0, abs=0.03)
    for label in "ab":  # each set's speedup sits inside its own interval
        assert (table[f"speedup_{label}_low"] <= table[f"speedup_{label}"]).all()
        assert (table[f"speedup_{label}"] <= table[f"speedup_{label}_high"]).all()
    assert (table["speedup_ci_low"] < 1).all() and (table["speedup_ci_high"] > 1).all()
    assert table.set_index(["strategy", "n"])["t1_a_s"].to_dict() == pytest.approx(
        {
            ("pool_map", 100): 0.4,
            ("manager", 100): 0.4,
            ("pool_map", 1000): 4.0,
            ("pipe", 1000): 4.0,
        },
        rel=0.02,
    )
    assert (
        "paired speedups (single >= 50 ms, 4 cells): 100% agree within 5% (4 of 4), "
        "100% of intervals overlap (4 of 4)"
    ) in summary_line(table)


def test_the_same_machine_scaled_exactly_gives_the_same_speedups():
    a = paired(CELLS, seed=3)
    b = a.assign(total_s=a["total_s"] * 1.2, baseline_s=a["baseline_s"] * 1.2)
    table = compare(a, b)
    assert set(table["verdict"]) == {"slower"}
    assert set(table["speedup_verdict"]) == {"no significant difference"}
    assert table["speedup_ratio"].to_numpy() == pytest.approx(1.0)


def test_a_strategy_twice_as_fast_has_a_higher_speedup():
    faster = {**CELLS, ("pool_map", 1000): (4.0, 2.05 / 2)}
    table = compare(paired(CELLS, seed=4), paired(faster, seed=5)).set_index(["strategy", "n"])
    row = table.loc[("pool_map", 1000)]
    assert row["verdict"] == "faster" and row["speedup_verdict"] == "higher"
    assert row["speedup_ratio"] == pytest.approx(2.0, rel=0.03)
    assert 1 < row["speedup_ci_low"] < 2.0 < row["speedup_ci_high"]
    assert row["speedup_p_value"] < 0.001
    assert not row["speedups_agree"] and not row["intervals_overlap"]
    assert row["speedup_b"] == pytest.approx(2 * row["speedup_a"], rel=0.03)
    others = table.drop(("pool_map", 1000))
    assert set(others["speedup_verdict"]) == {"no significant difference"}
    # and slower: A against B
    back = compare(paired(faster, seed=5), paired(CELLS, seed=4)).set_index(["strategy", "n"])
    assert back.loc[("pool_map", 1000), "speedup_verdict"] == "lower"


def test_old_results_without_baseline_times_still_compare_times():
    old = repeats(A)
    new = paired({("pool_map", 100): (2.0, 1.0), ("manager", 100): (3.0, 6.0)}, rounds=6)
    for a, b in ((old, old), (old, new), (new, old)):
        table = compare(a, b).set_index("strategy")
        assert set(table["verdict"]) == {"faster", "slower"} or a is b
        assert table["speedup_ratio"].isna().all() and table["speedup_p_value"].isna().all()
        assert table["speedups_agree"].isna().all() and table["intervals_overlap"].isna().all()
        assert set(table["speedup_verdict"]) == {""}
        assert "paired speedups: none (a results set without baseline times)" in summary_line(table)
    table = compare(new, old).set_index("strategy")  # A's own speedups are still given
    assert table.loc["pool_map", "speedup_a"] == pytest.approx(2.0, rel=0.05)
    assert table.loc["pool_map", "t1_a_s"] == pytest.approx(2.0, rel=0.05)
    assert table["speedup_b"].isna().all()


def test_the_speedup_shares_count_only_cells_whose_single_takes_50_ms():
    a = {
        ("pool_map", 100): (0.2, 0.1),
        ("manager", 100): (0.2, 0.4),  # single 200 ms
        ("pool_map", 10): (0.01, 0.02),
        ("manager", 10): (0.01, 0.02),  # single 10 ms
        ("pipe", 10): (0.049, 0.04),
    }
    b = {
        **a,
        ("manager", 100): (0.2, 0.2),  # 2x higher speedup: disagrees, apart
        ("pool_map", 10): (0.01, 0.01),
        ("manager", 10): (0.01, 0.01),
        ("pipe", 10): (0.049, 0.02),
    }
    table = compare(paired(a, seed=6), paired(b, seed=7))
    judged = table.set_index(["strategy", "n"])["speedups_agree"].to_dict()
    assert judged == {
        ("pool_map", 100): True,
        ("manager", 100): False,
        ("pool_map", 10): False,
        ("manager", 10): False,
        ("pipe", 10): False,
    }
    assert (
        "paired speedups (single >= 50 ms, 2 cells): 50% agree within 5% (1 of 2), "
        "50% of intervals overlap (1 of 2); 1 higher, 0 lower"
    ) in summary_line(table)
    fast_only = table[table["n"] == 10]
    assert "paired speedups (single >= 50 ms): no cell" in summary_line(fast_only)


def test_command_line_writes_the_speedup_columns_and_line(tmp_path):
    for name, machine in (("a", 1.0), ("b", 1.2)):
        (tmp_path / name / "summary").mkdir(parents=True)
        paired(CELLS, machine=machine, seed=int(machine * 10)).to_csv(
            tmp_path / name / "summary" / "repeats.csv", index=False
        )
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPTS / "compare.py"),
            str(tmp_path / "a"),
            str(tmp_path / "b"),
            "--output",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("4 common cells: 0 faster, 4 slower")
    assert "paired speedups (single >= 50 ms, 4 cells): 100% agree" in done.stdout
    written_line = (tmp_path / "out" / "compare.txt").read_text()
    assert "paired speedups (single >= 50 ms, 4 cells)" in written_line
    written = pd.read_csv(tmp_path / "out" / "compare.csv")
    assert {
        "speedup_a",
        "speedup_a_low",
        "speedup_a_high",
        "speedup_b",
        "speedup_b_low",
        "speedup_b_high",
        "t1_a_s",
        "speedup_ratio",
        "speedup_ci_low",
        "speedup_ci_high",
        "speedup_verdict",
        "speedups_agree",
        "intervals_overlap",
    } <= set(written.columns)
    assert set(written["speedup_verdict"]) == {"no significant difference"}
    assert (tmp_path / "out" / "compare.png").read_bytes()[:4] == b"\x89PNG"


def test_variance_components_tell_round_noise_from_a_shift_between_runs():
    from mpbench.analysis.compare import variance_components

    cells = {(f"s{i}", 100): (1.0, 0.5) for i in range(40)}
    a = paired(cells, rounds=20, noise=0.02, seed=1)
    same = variance_components(a, paired(cells, rounds=20, noise=0.02, seed=2)).iloc[0]
    # round noise alone: each time 2 %, so each ratio about 2.8 %, and two medians of 20
    # rounds differ by about sqrt(2 * pi/2 * 0.028^2 / 20) = 1.1 %
    assert same["sd_log_ratio"] == pytest.approx(0.028, rel=0.3)
    assert same["expected_sd_between_runs"] == pytest.approx(0.011, rel=0.3)
    assert same["between_run_excess"] < 0.01
    # the same, but each cell's strategy 5 % faster or slower in B at random: a run effect
    rng = np.random.default_rng(3)
    b = paired(cells, rounds=20, noise=0.02, seed=2)
    shift = {s: rng.normal(0, 0.05) for s, _ in cells}
    b["total_s"] *= np.exp(b["strategy"].map(shift))
    b["speedup"] = b["baseline_s"] / b["total_s"]
    shifted = variance_components(a, b).iloc[0]
    assert shifted["between_run_excess"] == pytest.approx(0.05, rel=0.35)
    assert shifted["expected_sd_between_runs"] == pytest.approx(same["expected_sd_between_runs"])
