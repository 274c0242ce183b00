"""The array figures (memory, set-up against compute, time, speedup) on known cells, and what
the figures share: skipped cells are never drawn, phases without time stay out, colours."""

import io

import numpy as np
import pandas as pd
import pytest

from mpbench.analysis import figures

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MB = 1_000_000
SIZES = (100_000, 1_000_000, 10_000_000)
LIMIT = 1_000_000  # manager is skipped above it
COPIES = {"single": 1.0, "pool_map": 3.0, "shared_memory": 1.0, "manager": 10.0}


def array_cell(strategy, n, processes, **values):
    """One row of cells.csv for the array workload, with memory and phases that follow from
    the strategy: the interpreters take 30 MB plus 5 MB per worker, a strategy keeps
    COPIES[strategy] payloads alive at its peak (pool_map one more at P = 2)."""
    payload = 16 * n
    baseline = 30 * MB + (0 if strategy == "single" else 5 * MB * processes)
    copies = COPIES[strategy] + (1 if strategy == "pool_map" and processes == 2 else 0)
    zero_copy = figures.data_path(strategy) == "zero-copy"
    setup = 2e-9 * n if zero_copy else 1e-10 * n
    compute = (4e-8 if strategy == "single" else 2e-8 if zero_copy else 6e-8) * n
    row = {
        "workload": "array", "strategy": strategy, "split": "none" if strategy == "single"
        else "static", "start_method": "none" if strategy == "single" else "fork", "n": n,
        "processes": processes, "cores": 2, "hostname": "alpha", "python_version": "3.11.7",
        "reference": False, "flagged": False, "skipped": "",
        "setup_median_s": setup, "startup_median_s": 0.01, "compute_median_s": compute,
        "teardown_median_s": 0.005, "payload_bytes": float(payload),
        "peak_pss_bytes": baseline + copies * payload, "baseline_pss_bytes": float(baseline),
        "pss_over_payload": copies,
    }
    row["median_s"] = setup + 0.01 + compute + 0.005
    row["min_s"], row["max_s"] = 0.95 * row["median_s"], 1.1 * row["median_s"]
    row.update(values)
    return row


def as_plot_reads_it(rows) -> pd.DataFrame:
    """The cells as plot.py gets them: through cells.csv (an empty `skipped` reads as NaN)."""
    cells = pd.DataFrame(rows)
    return pd.read_csv(io.StringIO(cells.to_csv(index=False)))


def add_speedups(rows):
    single = {row["n"]: row["median_s"] for row in rows if row["strategy"] == "single"}
    for row in rows:
        row["speedup"] = single[row["n"]] / row["median_s"]
    return rows


@pytest.fixture
def array_cells():
    rows = [array_cell("single", n, 1) for n in SIZES]
    for n in SIZES:
        for p in (1, 2, 4):
            rows.append(array_cell("pool_map", n, p))
            rows.append(array_cell("shared_memory", n, p))
            rows.append(array_cell("manager", n, p))
    for row in rows:
        if row["strategy"] == "manager" and row["n"] > LIMIT:
            # a skipped cell; the numbers left in it must still never be drawn
            row["skipped"] = (f"above the limit: n = {row['n']} > size limit {LIMIT} for manager "
                              "on array (config key size_limits)")
        if row["strategy"] == "shared_memory" and row["n"] == 1_000_000 and row["processes"] == 2:
            row.update(peak_pss_bytes=np.nan, pss_over_payload=np.nan)  # no memory sample
        if row["strategy"] == "pool_map" and row["n"] == 100_000 and row["processes"] == 2:
            row.update(pss_over_payload=-0.5)  # the baseline's noise at a small payload
    return as_plot_reads_it(add_speedups(rows))


def lines_by_gid(ax) -> dict:
    return {line.get_gid(): line for line in ax.lines if line.get_gid()}


def legend_texts(fig) -> list[str]:
    return [text.get_text() for legend in fig.legends for text in legend.get_texts()]


@pytest.mark.parametrize("name", ["time_vs_n", "memory_vs_n", "speedup_vs_processes",
                                  "setup_vs_compute"])
def test_each_array_figure_writes_a_png(array_cells, tmp_path, name):
    figures.draw(name, array_cells, tmp_path / f"{name}.png", start_method="fork")
    assert (tmp_path / f"{name}.png").read_bytes()[:8] == PNG_SIGNATURE


def test_memory_vs_n_draws_each_strategy_at_p_cores_and_the_payload(array_cells, tmp_path):
    fig = figures.draw("memory_vs_n", array_cells, tmp_path / "m.png", start_method="fork")
    peak_ax, ratio_ax = fig.axes
    lines = lines_by_gid(peak_ax)
    assert list(lines["payload"].get_xdata()) == list(SIZES)
    assert list(lines["payload"].get_ydata()) == [16 * n for n in SIZES]
    # the interpreters of P = 2 workers (40 MB) on top of the payload
    assert list(lines["payload+baseline"].get_ydata()) == [40 * MB + 16 * n for n in SIZES]
    # P = 2 (the cores): pool_map keeps 4 payloads at its peak there, not 3 as at P = 1
    assert list(lines["pool_map"].get_ydata()) == [40 * MB + 4 * 16 * n for n in SIZES]
    assert list(lines["single"].get_ydata()) == [30 * MB + 16 * n for n in SIZES]
    # the cell without a memory sample is left out, not drawn as zero
    assert list(lines["shared_memory"].get_xdata()) == [100_000, 10_000_000]
    # skipped above the size limit: never a point, named in the legend instead
    assert list(lines["manager"].get_xdata()) == [100_000, 1_000_000]
    assert "manager: skipped above N = 1,000,000 (size limit)" in legend_texts(fig)
    # copying strategies solid, zero-copy ones dashed
    assert lines["pool_map"].get_linestyle() == "-"
    assert lines["shared_memory"].get_linestyle() == "--"


def test_memory_ratio_marks_the_bounds_and_floors_the_noise(array_cells, tmp_path):
    fig = figures.draw("memory_vs_n", array_cells, tmp_path / "m.png", start_method="fork")
    ratio_ax = fig.axes[1]
    levels = {line.get_ydata()[0] for line in ratio_ax.lines
              if line.get_linestyle() in (":", "--") and not line.get_gid()}
    assert {figures.ONE_COPY, figures.ZERO_COPY_BOUND} <= levels
    ratio = lines_by_gid(ratio_ax)
    assert list(ratio["shared_memory"].get_ydata()) == [1.0, 1.0]
    # a negative ratio (noise) breaks the line and sits as a triangle on the floor
    pool_map = np.asarray(ratio["pool_map"].get_ydata(), dtype=float)
    assert np.isnan(pool_map[0]) and list(pool_map[1:]) == [4.0, 4.0]
    floored = [line for line in ratio_ax.lines
               if line.get_marker() == "v" and len(line.get_xdata())]
    assert [list(line.get_ydata()) for line in floored] == [[figures.RATIO_FLOOR]]


def test_setup_vs_compute_stacks_the_phases_at_the_largest_n(array_cells, tmp_path):
    fig = figures.draw("setup_vs_compute", array_cells, tmp_path / "s.png", start_method="fork")
    ax = fig.axes[0]
    labels = [label.get_text() for label in ax.get_yticklabels()]
    # slowest at the bottom; manager was skipped at N = 10,000,000, so it has no bar
    assert labels == ["pool_map", "single (P = 1)", "shared_memory (zero-copy)"]
    assert "manager: skipped at N = 10,000,000 (size limit)" in legend_texts(fig)
    n = 10_000_000
    setup = [bar.get_width() for bar in ax.patches if bar.get_gid() == "setup"]
    compute = [bar.get_width() for bar in ax.patches if bar.get_gid() == "compute"]
    # seconds: the slowest run (pool_map, 0.6 s of compute) is under 1 s, so milliseconds
    assert setup == pytest.approx([1000 * 1e-10 * n, 1000 * 1e-10 * n, 1000 * 2e-9 * n])
    assert compute == pytest.approx([1000 * 6e-8 * n, 1000 * 4e-8 * n, 1000 * 2e-8 * n])
    assert "ms" in ax.get_xlabel() and "set-up + start-up + compute + teardown" in ax.get_xlabel()


def test_array_speedup_shows_the_largest_n_and_no_skipped_cell(array_cells, tmp_path):
    fig = figures.draw("speedup_vs_processes", array_cells, tmp_path / "p.png",
                       start_method="fork")
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == 1 and "N = 10,000,000" in panels[0].get_title()
    lines = lines_by_gid(panels[0])
    assert set(lines) == {"pool_map/static", "shared_memory/static"}
    assert lines["shared_memory/static"].get_linestyle() == "--"


def test_time_vs_n_leaves_skipped_cells_out(array_cells, tmp_path):
    fig = figures.draw("time_vs_n", array_cells, tmp_path / "t.png", start_method="fork")
    lines = lines_by_gid(fig.axes[0])
    assert list(lines["manager"].get_xdata()) == [100_000, 1_000_000]
    assert list(lines["single"].get_xdata()) == list(SIZES)
    assert "static split" in fig.axes[0].get_title()


def primes_cell(strategy, n, processes):
    median = 0.02 if strategy == "single" else 0.03
    return {
        "workload": "primes", "strategy": strategy, "split": "none" if strategy == "single"
        else "dynamic", "start_method": "none" if strategy == "single" else "fork", "n": n,
        "processes": processes, "cores": 2, "hostname": "alpha", "python_version": "3.11.7",
        "reference": False, "flagged": False, "skipped": "", "median_s": median,
        "min_s": median, "max_s": median, "setup_median_s": 0.0, "startup_median_s": 0.01,
        "compute_median_s": median - 0.015, "teardown_median_s": 0.005,
        "payload_bytes": np.nan, "peak_pss_bytes": 30 * MB, "baseline_pss_bytes": 30 * MB,
        "pss_over_payload": np.nan,
    }


def test_primes_phases_leave_out_the_empty_setup(tmp_path):
    rows = [primes_cell("single", 1000, 1), primes_cell("pool_map", 1000, 1),
            primes_cell("pool_map", 1000, 2)]
    cells = as_plot_reads_it(add_speedups(rows))
    fig = figures.draw("phases_small_n", cells, tmp_path / "phases.png", start_method="fork")
    assert legend_texts(fig) == ["start-up", "compute", "teardown", "single (one process)"]
    assert "set-up" not in fig.axes[0].get_xlabel()
    # primes moves no data: the speedup figure keeps its line style for the split
    fig = figures.draw("speedup_vs_processes", cells, tmp_path / "speedup.png",
                       start_method="fork")
    assert lines_by_gid(fig.axes[0])["pool_map/dynamic"].get_linestyle() == "-"
    assert "dynamic split" in legend_texts(fig)


def test_strategy_colours_stay_fixed_and_distinct():
    colours = figures.strategy_colours([*figures.KNOWN_STRATEGIES, "a_new_one"])
    assert colours["single"] == "black"
    assert colours["threads"] == "#1f77b4" and colours["mmap_anonymous"] == "#e6ab02"
    assert len(set(colours.values())) == len(colours)
    assert {"pipe", "shared_memory", "mmap_file"} <= set(colours)
    assert colours["a_new_one"] not in {c for s, c in colours.items() if s != "a_new_one"}
