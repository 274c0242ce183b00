"""Speedup, efficiency, Karp-Flatt and the summary tables, on known numbers."""

import copy
import io
import math

import pandas as pd
import pytest

from mpbench import record
from mpbench.analysis import summary, tables


def test_efficiency_and_karp_flatt_on_known_numbers():
    assert summary.efficiency(2.0, processes=2, cores=2) == 1.0
    # oversubscribed: 4 workers on 2 cores can at best use 2 cores
    assert summary.efficiency(1.8, processes=4, cores=2) == pytest.approx(0.9)
    assert summary.efficiency(3.0, processes=4, cores=8) == pytest.approx(0.75)
    # e = (1/S - 1/p) / (1 - 1/p): S = 1.6 on p = 2 -> (0.625 - 0.5) / 0.5 = 0.25
    assert summary.karp_flatt(1.6, processes=2, cores=2) == pytest.approx(0.25)
    # perfect speedup has no serial fraction; no speedup at all is fully serial
    assert summary.karp_flatt(2.0, processes=4, cores=2) == pytest.approx(0.0)
    assert summary.karp_flatt(1.0, processes=2, cores=2) == pytest.approx(1.0)
    # S = 3 on p = 4: (1/3 - 1/4) / (3/4) = 1/9
    assert summary.karp_flatt(3.0, processes=4, cores=4) == pytest.approx(1 / 9)
    assert math.isnan(summary.karp_flatt(1.0, processes=1, cores=2))


def make_record(strategy, split, n, processes, repeats, host="alpha", cores=2, baseline=None):
    """A record of paired rounds: the strategy's times `repeats`, the baseline's `baseline`
    beside them (4.0 s in every round unless given)."""
    baseline = [4.0] * len(repeats) if baseline is None else baseline
    return {
        "workload": "primes",
        "strategy": strategy,
        "reference": False,
        "split": split,
        "n": n,
        "processes": processes,
        "start_method": None if strategy == "single" else "fork",
        "data_path": "copies",
        "pieces": processes,
        "answer": 25,
        "expected": 25,
        "repeats_s": repeats,
        "baseline_s": baseline,
        "strategy_first": [i % 2 == 0 for i in range(len(repeats))],
        "rounds": {
            "min": 1,
            "max": 20,
            "target": 0.05,
            "budget_s": 30,
            "stop": "most rounds",
            "seed": 1,
            "sampled": False,
        },
        "phases_s": {"setup": None, "startup": None, "compute": None, "teardown": None},
        "background": {
            "wall_s": 10.0,
            "other_cpu_cores": 0.01,
            "steal_fraction": 0.0,
            "settle_s": 0.1,
        },
        "payload_bytes": None,
        "memory": {
            "payload_bytes": None,
            "baseline": {"samples": 3, "pss_bytes": 30e6, "uss_bytes": 20e6, "processes": 3},
            "runs": [  # the memory runs after the rounds, as many as asked for
                {"samples": 2, "peak_pss_bytes": 40e6, "peak_uss_bytes": 25e6, "processes": 3}
                for _ in range(2)
            ],
            "sampler": {"cpu_cores": 0.03},
        },
        "environment": {
            "hostname": host,
            "python_version": "3.11.7",
            "python_build": "b",
            "cpu_affinity": list(range(cores)),
        },
    }


RECORDS = [
    make_record("single", "none", 100, 1, [4.0, 4.2, 3.8]),
    make_record("pool_map", "dynamic", 100, 2, [2.0, 2.0, 2.0]),
    make_record("pool_map", "static", 100, 2, [2.5, 2.5, 3.5]),
    make_record("pool_map", "dynamic", 100, 4, [2.2, 2.2, 2.2]),
]


def test_cells_table_computes_from_the_repeats():
    cells = summary.cells_table(copy.deepcopy(RECORDS)).set_index(
        ["strategy", "split", "processes"]
    )
    single = cells.loc[("single", "none", 1)]
    assert (single["median_s"], single["speedup"], single["min_s"], single["max_s"]) == (
        4.0,
        1.0,
        3.8,
        4.2,
    )
    assert single["iqr_s"] == pytest.approx(0.2)  # percentiles 25 and 75 of 3.8, 4.0, 4.2
    assert single["cv"] == pytest.approx(0.2 / 4.0)
    dynamic = cells.loc[("pool_map", "dynamic", 2)]
    assert (dynamic["speedup"], dynamic["efficiency"], dynamic["karp_flatt"]) == (2.0, 1.0, 0.0)
    assert not dynamic["oversubscribed"] and not dynamic["flagged"]
    static = cells.loc[("pool_map", "static", 2)]
    assert static["speedup"] == pytest.approx(1.6)
    assert static["karp_flatt"] == pytest.approx(0.25)
    assert static["flagged"]  # repeats 2.5, 2.5, 3.5: CV about 0.2
    over = cells.loc[("pool_map", "dynamic", 4)]
    assert over["oversubscribed"]
    assert over["efficiency"] == pytest.approx(4.0 / 2.2 / 2)


def test_an_engines_facts_reach_the_table_and_others_have_none():
    engine = make_record("dask_distributed", "static", 100000, 2, [2.0, 2.1, 2.0])
    engine["start_method"] = "dask"
    engine["engine"] = {"cluster": "tcp://127.0.0.1:8786", "workers": 2}
    cells = summary.cells_table(copy.deepcopy(RECORDS) + [engine]).set_index("strategy")
    assert cells.loc["dask_distributed", "engine"] == "cluster=tcp://127.0.0.1:8786; workers=2"
    assert cells.loc["single", "engine"] == ""


def test_speedup_never_mixes_hosts():
    # each cell's speedup comes from its own rounds: beta's slower single never enters alpha's
    other_host = [
        make_record("single", "none", 100, 1, [8.0], host="beta", baseline=[8.0]),
        make_record("pool_map", "dynamic", 100, 2, [2.0], host="beta", baseline=[8.0]),
    ]
    cells = summary.cells_table(copy.deepcopy(RECORDS) + other_host)
    beta = cells[(cells["hostname"] == "beta") & (cells["strategy"] == "pool_map")]
    alpha = cells[
        (cells["hostname"] == "alpha")
        & (cells["strategy"] == "pool_map")
        & (cells["split"] == "dynamic")
        & (cells["processes"] == 2)
    ]
    assert beta["speedup"].item() == 4.0 and alpha["speedup"].item() == 2.0


def test_a_cell_has_its_paired_speedup_without_a_single_cell_in_the_set():
    cells = summary.cells_table(copy.deepcopy(RECORDS[1:])).set_index(["split", "processes"])
    assert cells.loc[("dynamic", 2), "speedup"] == 2.0
    assert cells.loc[("static", 2), "speedup"] == pytest.approx(1.6)
    assert (cells["t1_s"] == 4.0).all()


def test_speedup_is_the_median_of_the_rounds_ratios_with_its_interval():
    # 9 rounds: ratios 1.6 ... 2.4; the 95 % interval of a median of 9 is [x(2), x(8)]
    strategy = [2.0] * 9
    baseline = [3.2, 3.4, 3.6, 3.8, 4.0, 4.2, 4.4, 4.6, 4.8]
    rec = make_record("pool_map", "dynamic", 100, 2, strategy, baseline=baseline)
    cell = summary.cells_table([rec]).iloc[0]
    assert cell["speedup"] == pytest.approx(2.0) and cell["rounds"] == 9
    assert (cell["speedup_low"], cell["speedup_high"]) == (pytest.approx(1.7), pytest.approx(2.3))
    assert cell["speedup_coverage"] == pytest.approx(1 - 2 * (1 + 9) / 2**9)
    assert cell["unresolved"]  # 2.3 is 15 % above 2.0
    tight = make_record("pool_map", "dynamic", 100, 2, strategy, baseline=[4.0] * 8 + [4.1])
    assert not summary.cells_table([tight]).iloc[0]["unresolved"]


def test_repeats_table_is_tidy():
    repeats = summary.repeats_table(copy.deepcopy(RECORDS))
    assert len(repeats) == 3 * len(RECORDS)
    assert list(repeats.loc[repeats["strategy"] == "single", "total_s"]) == [4.0, 4.2, 3.8]
    assert list(repeats.loc[repeats["strategy"] == "single", "repeat"]) == [1, 2, 3]


def test_markdown_table_lists_every_cell_with_notes():
    markdown = tables.markdown_table(summary.cells_table(copy.deepcopy(RECORDS)))
    assert "### primes, N = 100 (alpha, Python 3.11.7, 2 cores)" in markdown
    # strategy, start method, split, P, median, min, IQR, CV, rounds, speedup [CI], efficiency,
    # Karp-Flatt; 3 rounds cannot give a 95 % interval: unresolved
    assert (
        "| pool_map | fork | dynamic | 2 | 2.0000 | 2.0000 | 0.0000 | 0.0 % | 3 | "
        "2.00 [2.00, 2.00] | 1.00 | 0.000 | unresolved: CI wider than ±5% |"
    ) in markdown
    assert "| pool_map | fork | dynamic | 4 | 2.2000 |" in markdown and "oversubscribed" in markdown
    assert "flagged: CV 20.4 % > 10%" in markdown  # static: 2.5, 2.5, 3.5


def test_a_cell_measured_on_a_busy_machine_is_flagged_and_listed():
    records = copy.deepcopy(RECORDS)
    records[1]["background"]["other_cpu_cores"] = 0.8  # pool_map dynamic P = 2: tight repeats
    cells = summary.cells_table(records).set_index(["strategy", "split", "processes"])
    busy = cells.loc[("pool_map", "dynamic", 2)]
    assert busy["busy"] and busy["flagged"] and not busy["noisy"]
    assert busy["flag_reason"] == "busy machine: 0.80 other cores, 0.0% stolen"
    assert not cells.loc[("single", "none", 1), "flagged"]  # CV 5 %, quiet machine
    listed = tables.flagged_html(cells.reset_index())
    assert "Flagged: 2 of 4 cells" in listed  # the busy one and the noisy static one
    assert "busy machine: 0.80 other cores" in listed and "CV 20.4 % &gt; 10%" in listed


def test_a_synthetic_noisy_cell_is_flagged_and_a_steady_one_is_not():
    noisy = make_record(
        "pool_map", "dynamic", 100, 2, [1.0, 1.3, 1.0]
    )  # sd 0.173, mean 1.1: CV 15.7 %
    steady = make_record("pool_map", "static", 100, 2, [1.00, 1.05, 1.02])  # CV 2.5 %
    cells = summary.cells_table([RECORDS[0], noisy, steady]).set_index("split")
    assert cells.loc["dynamic", "cv"] == pytest.approx(0.03**0.5 / 1.1)
    assert cells.loc["dynamic", "flagged"] and cells.loc["dynamic", "noisy"]
    assert not cells.loc["static", "flagged"]


def test_a_reference_row_has_a_speedup_but_no_parallel_efficiency():
    sieve = make_record("numpy_sieve", "none", 100, 1, [0.01, 0.01, 0.01])
    sieve["reference"], sieve["start_method"] = True, None
    cells = summary.cells_table([*copy.deepcopy(RECORDS), sieve]).set_index("strategy")
    assert cells.loc["numpy_sieve", "speedup"] == pytest.approx(400.0)
    assert math.isnan(cells.loc["numpy_sieve", "efficiency"])


def test_an_interval_beyond_the_ideal_is_implausible_and_listed():
    rounds = 8
    records = [
        # P = 2 on 2 cores, every round 2.5x: above the ideal 2
        make_record("pool_map", "dynamic", 100, 2, [1.6] * rounds),
        # a process strategy at P = 1 faster than single in every round
        make_record("pool_map", "static", 100, 1, [3.0] * rounds),
        # the same speedup from a reference row (a better algorithm) is no contradiction
        {
            **make_record("numpy_sieve", "none", 100, 1, [0.1] * rounds),
            "reference": True,
            "start_method": None,
        },
        # 1.9x on 2 cores whose interval reaches 2.2: plausible
        make_record(
            "pool_map",
            "dynamic",
            100,
            4,
            [2.0] * rounds,
            baseline=[3.6, 3.7, 3.8, 3.8, 3.8, 3.9, 4.4, 4.4],
        ),
    ]
    cells = summary.cells_table(records).set_index(["strategy", "split", "processes"])
    assert cells.loc[("pool_map", "dynamic", 2), "implausible"]
    assert cells.loc[("pool_map", "static", 1), "implausible"]
    assert not cells.loc[("numpy_sieve", "none", 1), "implausible"]
    assert not cells.loc[("pool_map", "dynamic", 4), "implausible"]
    listed = tables.flagged_html(cells.reset_index())
    assert "Implausible: 2 of 4 cells" in listed
    assert "IMPLAUSIBLE" in tables.markdown_table(cells.reset_index())


def test_html_table_marks_flagged_rows():
    html = tables.html_table(summary.cells_table(copy.deepcopy(RECORDS)))
    assert "<h3>primes, N = 100 (alpha, Python 3.11.7, 2 cores)</h3>" in html
    assert html.count('<tr class="flagged">') == 1  # pool_map static at P = 2
    assert html.count('<tr class="ok">') == 3


def test_summarize_refuses_a_corrupt_record_naming_it(tmp_path):
    corrupt = tmp_path / "n100-p2.json"
    corrupt.write_text("{ truncated")
    with pytest.raises(record.RecordError, match="n100-p2.json: not a readable JSON record"):
        tables.summarize(
            [corrupt],
            tmp_path / "c.csv",
            tmp_path / "r.csv",
            tmp_path / "c.md",
            tmp_path / "c.html",
            tmp_path / "f.html",
        )
    assert not (tmp_path / "c.csv").exists()


def test_figures_draw_from_a_summary(tmp_path):
    from mpbench.analysis import figures

    cells = summary.cells_table(copy.deepcopy(RECORDS))
    cells = pd.read_csv(io.StringIO(cells.to_csv(index=False)))  # as plot.py reads it
    for name in ("speedup_vs_processes", "efficiency_vs_processes", "time_vs_n", "fixed_cost"):
        getattr(figures, name)(cells, tmp_path / f"{name}.png")
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def make_array_record(strategy, n, processes, repeats, peaks, baseline=40e6, skipped=None):
    rec = make_record(
        strategy,
        "none" if strategy == "single" else "static",
        n,
        processes,
        repeats,
        baseline=[1.0] * len(repeats),
    )
    rec.update(workload="array", payload_bytes=16 * n, answer="sha256:x", expected="sha256:x")
    rec["phases_s"] = {
        "setup": [0.1] * len(repeats),
        "startup": [0.0] * len(repeats),
        "compute": [r - 0.1 for r in repeats],
        "teardown": [0.0] * len(repeats),
    }
    rec["memory"]["payload_bytes"] = 16 * n
    rec["memory"]["baseline"]["pss_bytes"] = baseline
    rec["memory"]["runs"] = [
        {
            "samples": 0 if peak is None else index + 1,
            "peak_pss_bytes": peak,
            "peak_uss_bytes": peak,
            "processes": processes + 2,
        }
        for index, peak in enumerate(peaks)
    ]
    if skipped:
        for key in (
            "repeats_s",
            "baseline_s",
            "strategy_first",
            "rounds",
            "phases_s",
            "memory",
            "background",
            "answer",
            "expected",
            "pieces",
        ):
            rec.pop(key)
        rec.update(skipped=skipped, size_limit=n - 1)
    return rec


def test_array_cells_carry_memory_per_payload_and_skipped_cells_no_numbers():
    records = [
        make_array_record("single", 10**6, 1, [1.0, 1.0, 1.0], [56e6, 57e6, 58e6]),
        # peak 40 MB + 16 MB: exactly one payload above the baseline
        make_array_record("shared_memory", 10**6, 2, [0.5, 0.6, 0.7], [56e6, 50e6, None]),
        make_array_record("manager", 10**6, 2, [], [], skipped="above the limit"),
    ]
    cells = summary.cells_table(records).set_index("strategy")
    assert cells.loc["shared_memory", "payload_bytes"] == 16e6
    # the median of the memory runs with a peak, and the fewest samples in one
    assert cells.loc["shared_memory", "peak_pss_bytes"] == 53e6
    assert cells.loc["shared_memory", "memory_samples"] == 0
    assert cells.loc["single", "memory_samples"] == 1
    assert cells.loc["single", "pss_over_payload"] == pytest.approx(1.0625)
    assert cells.loc["shared_memory", "setup_median_s"] == pytest.approx(0.1)
    assert cells.loc["shared_memory", "speedup"] == pytest.approx(1.0 / 0.6)
    assert cells.loc["manager", "skipped"] == "above the limit"
    assert math.isnan(cells.loc["manager", "median_s"])
    assert math.isnan(cells.loc["manager", "peak_pss_bytes"])
    markdown = tables.markdown_table(cells.reset_index())
    assert "| (PSS − baseline) / payload |" in markdown
    assert "skipped: above the limit" in markdown
    repeats = summary.repeats_table(records)
    # no memory per round: no round is sampled (the memory runs come after the rounds)
    assert len(repeats) == 6 and not {"peak_pss_bytes", "memory_samples"} & set(repeats)
