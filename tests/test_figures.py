"""The figures on known cells: the registry (every figure draws, has its caption), the
ranking, the array figures (memory, set-up against compute, time, speedup), and what the
figures share: confidence intervals as error bars, skipped cells never drawn, phases without
time left out, colours, the data path read from the table."""

import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection

from conftest import ROOT, SCRIPTS
from mpbench.analysis import figures

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MB = 1_000_000
SIZES = (100_000, 1_000_000, 10_000_000)
LIMIT = 1_000_000  # manager is skipped above it
COPIES = {"single": 1.0, "pool_map": 3.0, "shared_memory": 1.0, "manager": 10.0}
# the cells' data_path column, as the summary writes it for the array workload
DATA_PATHS = {
    "single": "copies",
    "pool_map": "copies",
    "shared_memory": "zero-copy",
    "manager": "copies",
}


def array_cell(strategy, n, processes, **values):
    """One row of cells.csv for the array workload, with memory and phases that follow from
    the strategy: the interpreters take 30 MB plus 5 MB per worker, a strategy keeps
    COPIES[strategy] payloads alive at its peak (pool_map one more at P = 2)."""
    payload = 16 * n
    baseline = 30 * MB + (0 if strategy == "single" else 5 * MB * processes)
    copies = COPIES[strategy] + (1 if strategy == "pool_map" and processes == 2 else 0)
    zero_copy = DATA_PATHS[strategy] == "zero-copy"
    setup = 2e-9 * n if zero_copy else 1e-10 * n
    compute = (4e-8 if strategy == "single" else 2e-8 if zero_copy else 6e-8) * n
    row = {
        "workload": "array",
        "strategy": strategy,
        "split": "none" if strategy == "single" else "static",
        "start_method": "none" if strategy == "single" else "fork",
        "n": n,
        "processes": processes,
        "cores": 2,
        "hostname": "alpha",
        "python_version": "3.11.7",
        "reference": False,
        "flagged": False,
        "skipped": "",
        "data_path": DATA_PATHS[strategy],
        "oversubscribed": processes > 2,
        "setup_median_s": setup,
        "startup_median_s": 0.01,
        "compute_median_s": compute,
        "teardown_median_s": 0.005,
        "payload_bytes": float(payload),
        "peak_pss_bytes": baseline + copies * payload,
        "baseline_pss_bytes": float(baseline),
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


def add_speedups(rows, half_width=0.03):
    """Speedup, efficiency and their 95 % intervals (± `half_width`, relative) as the summary
    writes them; a row may set its own half width in `_ci` (above 5 %: unresolved)."""
    single = {row["n"]: row["median_s"] for row in rows if row["strategy"] == "single"}
    for row in rows:
        s = single[row["n"]] / row["median_s"]
        width = row.pop("_ci", half_width)
        usable = min(row["processes"], row["cores"])
        row.update(
            speedup=s,
            speedup_low=s * (1 - width),
            speedup_high=s * (1 + width),
            rounds=7,
            unresolved=width > 0.05,
            efficiency=s / usable,
            efficiency_low=s * (1 - width) / usable,
            efficiency_high=s * (1 + width) / usable,
        )
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
            row["skipped"] = (
                f"above the limit: n = {row['n']} > size limit {LIMIT} for manager "
                "on array (config key size_limits)"
            )
        if row["strategy"] == "shared_memory" and row["n"] == 1_000_000 and row["processes"] == 2:
            row.update(peak_pss_bytes=np.nan, pss_over_payload=np.nan)  # no memory sample
        if row["strategy"] == "pool_map" and row["n"] == 100_000 and row["processes"] == 2:
            row.update(pss_over_payload=-0.5)  # the baseline's noise at a small payload
    return as_plot_reads_it(add_speedups(rows))


def lines_by_gid(ax) -> dict:
    return {line.get_gid(): line for line in ax.lines if line.get_gid()}


def legend_texts(fig) -> list[str]:
    return [text.get_text() for legend in fig.legends for text in legend.get_texts()]


@pytest.mark.parametrize(
    "name", ["time_vs_n", "memory_vs_n", "speedup_vs_processes", "setup_vs_compute"]
)
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
    levels = {
        line.get_ydata()[0]
        for line in ratio_ax.lines
        if line.get_linestyle() in (":", "--") and not line.get_gid()
    }
    assert {figures.ONE_COPY, figures.ZERO_COPY_BOUND} <= levels
    ratio = lines_by_gid(ratio_ax)
    assert list(ratio["shared_memory"].get_ydata()) == [1.0, 1.0]
    # a negative ratio (noise) breaks the line and sits as a triangle on the floor
    pool_map = np.asarray(ratio["pool_map"].get_ydata(), dtype=float)
    assert np.isnan(pool_map[0]) and list(pool_map[1:]) == [4.0, 4.0]
    floored = [
        line for line in ratio_ax.lines if line.get_marker() == "v" and len(line.get_xdata())
    ]
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
    fig = figures.draw("speedup_vs_processes", array_cells, tmp_path / "p.png", start_method="fork")
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
        "workload": "primes",
        "strategy": strategy,
        "split": "none" if strategy == "single" else "dynamic",
        "start_method": "none" if strategy == "single" else "fork",
        "n": n,
        "processes": processes,
        "cores": 2,
        "hostname": "alpha",
        "python_version": "3.11.7",
        "reference": False,
        "flagged": False,
        "skipped": "",
        "data_path": np.nan,
        "oversubscribed": processes > 2,
        "median_s": median,
        "min_s": median,
        "max_s": median,
        "setup_median_s": 0.0,
        "startup_median_s": 0.01,
        "compute_median_s": median - 0.015,
        "teardown_median_s": 0.005,
        "payload_bytes": np.nan,
        "peak_pss_bytes": 30 * MB,
        "baseline_pss_bytes": 30 * MB,
        "pss_over_payload": np.nan,
    }


def test_primes_phases_leave_out_the_empty_setup(tmp_path):
    rows = [
        primes_cell("single", 1000, 1),
        primes_cell("pool_map", 1000, 1),
        primes_cell("pool_map", 1000, 2),
    ]
    cells = as_plot_reads_it(add_speedups(rows))
    fig = figures.draw("phases_small_n", cells, tmp_path / "phases.png", start_method="fork")
    assert legend_texts(fig) == ["start-up", "compute", "teardown", "single (one process)"]
    assert "set-up" not in fig.axes[0].get_xlabel()
    # primes moves no data: the speedup figure keeps its line style for the split
    fig = figures.draw("speedup_vs_processes", cells, tmp_path / "speedup.png", start_method="fork")
    assert lines_by_gid(fig.axes[0])["pool_map/dynamic"].get_linestyle() == "-"
    assert "dynamic split" in legend_texts(fig)


def test_strategy_colours_stay_fixed_and_distinct():
    colours = figures.strategy_colours([*figures.KNOWN_STRATEGIES, "a_new_one"])
    assert colours["single"] == "black"
    assert colours["threads"] == "#1f77b4" and colours["mmap_anonymous"] == "#e6ab02"
    assert len(set(colours.values())) == len(colours)
    assert {"pipe", "shared_memory", "mmap_file"} <= set(colours)
    assert colours["a_new_one"] not in {c for s, c in colours.items() if s != "a_new_one"}


# --- the registry, every figure, the ranking, confidence intervals --------------------------

PRIMES_SIZES = (1_000, 100_000)
# speedup over single at P = 2 (the cores) at the larger N, per (strategy, start method,
# split); at the smaller N a fifth of it. P = 4 gains nothing over P = 2 (two cores).
PRIMES_SPEEDUPS = {
    ("pool_map", "fork", "dynamic"): 1.9,
    ("process_queue", "fork", "dynamic"): 1.75,
    ("pool_map", "fork", "static"): 1.6,
    ("pool_map", "spawn", "dynamic"): 1.5,  # another start method: not in the sweep's ranking
    ("threads", "none", "dynamic"): 0.95,
}
REFERENCE_SPEEDUP = {1_000: 2.0, 100_000: 40.0}  # numpy_sieve, another algorithm, P = 1


def primes_row(strategy, method, split, n, processes, speedup, **values):
    t1 = 1e-5 * n
    median = t1 / speedup
    row = {
        "workload": "primes",
        "strategy": strategy,
        "start_method": method,
        "split": split,
        "n": n,
        "processes": processes,
        "cores": 2,
        "hostname": "alpha",
        "python_version": "3.11.7",
        "reference": strategy == "numpy_sieve",
        "flagged": False,
        "flag_reason": "",
        "skipped": "",
        "data_path": np.nan,
        "oversubscribed": processes > 2,
        "median_s": median,
        "min_s": 0.98 * median,
        "max_s": 1.05 * median,
        "setup_median_s": 0.0,
        "startup_median_s": 0.2 * median,
        "compute_median_s": 0.7 * median,
        "teardown_median_s": 0.1 * median,
        "payload_bytes": np.nan,
        "peak_pss_bytes": 30 * MB,
        "baseline_pss_bytes": 30 * MB,
        "pss_over_payload": np.nan,
    }
    row.update(values)
    return row


def primes_table(processes=(1, 2, 4), cores=2):
    rows = []
    for n in PRIMES_SIZES:
        rows.append(primes_row("single", "none", "none", n, 1, 1.0))
        rows.append(primes_row("numpy_sieve", "none", "none", n, 1, REFERENCE_SPEEDUP[n]))
        scale = 1.0 if n == max(PRIMES_SIZES) else 0.2
        for (strategy, method, split), at_cores in PRIMES_SPEEDUPS.items():
            for p in processes:
                if p == 1 and split != "static" and strategy != "threads":
                    continue  # P = 1 runs the first split only
                speedup = scale * (0.9 if p == 1 else at_cores * min(p, 2) / 2)
                rows.append(primes_row(strategy, method, split, n, p, speedup))
    for row in rows:
        row["cores"], row["oversubscribed"] = cores, row["processes"] > cores
        key = (row["strategy"], row["start_method"], row["n"], row["processes"])
        if key == ("process_queue", "fork", 100_000, 2):
            row["_ci"] = 0.08  # unresolved: wider than ±5 %
        if key == ("pool_map", "spawn", 100_000, 2):
            row.update(flagged=True, flag_reason="CV 12 % > 10 %")
    return as_plot_reads_it(add_speedups(rows))


@pytest.fixture
def primes_cells():
    return primes_table()


@pytest.fixture
def fits():
    return pd.DataFrame(
        [
            {
                "workload": "primes",
                "strategy": s,
                "start_method": m,
                "split": sp,
                "n": 100_000,
                "serial_fraction": 0.05,
                "serial_fraction_se": 0.01,
            }
            for s, m, sp in PRIMES_SPEEDUPS
        ]
    )


def panel(fig, n):
    return next(ax for ax in fig.axes if f"N = {n:,}" in ax.get_title())


def collections_by_gid(ax) -> dict:
    return {c.get_gid(): c for c in ax.collections if isinstance(c, LineCollection) and c.get_gid()}


# (the ipc workload's figures read another table: tests/test_ipc_analysis.py draws them)
@pytest.mark.parametrize(
    "entry",
    [entry for entry in figures.FIGURES if entry.workload != "ipc"],
    ids=lambda e: f"{e.workload}-{e.name}",
)
def test_every_registered_figure_draws_a_png(entry, primes_cells, array_cells, fits, tmp_path):
    cells = {"primes": primes_cells, "array": array_cells}[entry.workload]
    path = tmp_path / f"{entry.name}.png"
    figures.draw(entry.name, cells, path, start_method="fork", fits=fits)
    assert path.read_bytes()[:8] == PNG_SIGNATURE


def test_every_figure_has_its_caption_and_every_caption_a_figure():
    registered = {(entry.workload, entry.name) for entry in figures.FIGURES}
    for entry in figures.FIGURES:
        assert entry.caption == f"workflow/report/{entry.workload}/{entry.name}.rst"
        assert (ROOT / entry.caption).is_file(), f"{entry.caption} is missing"
    captions = {
        (path.parent.name, path.stem) for path in (ROOT / "workflow/report").glob("*/*.rst")
    }
    assert captions - registered == set(), "caption files without a registered figure"
    assert registered <= captions


def test_the_registry_puts_the_ranking_first_for_every_workload():
    assert set(figures.workloads()) == {"primes", "array", "ipc"}
    for workload in figures.workloads():
        entries = figures.for_workload(workload)
        first = "ipc_at_a_glance" if workload == "ipc" else "speedup_ranking"
        assert entries[0].name == first and entries[0].section == "At a glance"
        assert [e.order for e in entries] == sorted(e.order for e in entries)
        assert len({e.name for e in entries}) == len(entries)
    primes = [e.name for e in figures.for_workload("primes")]
    assert primes == [
        "speedup_ranking",
        "speedup_vs_processes",
        "efficiency_vs_processes",
        "time_vs_n",
        "amdahl_fits",
        "startup_cost",
        "phases_small_n",
        "fixed_cost",
    ]


def test_adding_a_figure_is_one_decorated_function(tmp_path):
    before = list(figures.FIGURES)
    try:

        @figures.figure(("primes", "array"), section="Extra", order=99)
        def a_new_figure(cells, path):
            return path

        assert [(e.workload, e.name, e.section) for e in figures.FIGURES if e.order == 99] == [
            ("array", "a_new_figure", "Extra"),
            ("primes", "a_new_figure", "Extra"),
        ]
        assert figures.for_workload("primes")[-1].caption == (
            "workflow/report/primes/a_new_figure.rst"
        )
        with pytest.raises(ValueError, match="registered twice"):
            figures.figure("primes", section="Extra", order=98)(a_new_figure)
    finally:
        figures.FIGURES[:] = before


def test_figures_import_no_strategy_code():
    """The figures read a strategy's data path from the table, not from its script."""
    code = "import sys, mpbench.analysis.figures; print('\\n'.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=SCRIPTS, check=True
    )
    loaded = set(done.stdout.split())
    assert not {m for m in loaded if m.startswith("mpbench.experiment")}
    assert not loaded & {path.stem for path in (SCRIPTS / "strategies").glob("*.py")}


def test_the_data_path_comes_from_the_table(array_cells, tmp_path):
    cells = array_cells.assign(data_path=array_cells["data_path"].replace("copies", "zero-copy"))
    fig = figures.draw("speedup_vs_processes", cells, tmp_path / "p.png", start_method="fork")
    lines = lines_by_gid(next(ax for ax in fig.axes if ax.get_title()))
    assert lines["pool_map/static"].get_linestyle() == "--"  # now declared zero-copy
    # a table without the column (an older results folder) still plots, every line solid
    fig = figures.draw(
        "speedup_vs_processes",
        array_cells.drop(columns="data_path"),
        tmp_path / "q.png",
        start_method="fork",
    )
    lines = lines_by_gid(next(ax for ax in fig.axes if ax.get_title()))
    assert {line.get_linestyle() for line in lines.values()} == {"-"}


def test_ranking_orders_by_speedup_and_never_ranks_reference_rows(primes_cells, tmp_path):
    sweep = primes_cells[primes_cells["start_method"].isin(["fork", "none"])]
    p, rows = figures.rank_strategies(sweep)
    assert p == 2
    large = rows[rows["n"] == 100_000]
    assert list(large["label"]) == [
        "pool_map · dynamic",
        "process_queue · dynamic",
        "pool_map · static",
        "threads · dynamic",
        "numpy_sieve (reference)",
    ]
    assert list(large["rank"][:4]) == [1, 2, 3, 4]
    assert large["rank"].iloc[-1] != large["rank"].iloc[-1]  # NaN: the reference is not ranked
    assert large["speedup"].iloc[-1] == pytest.approx(40)  # although 20 times faster

    fig = figures.draw("speedup_ranking", primes_cells, tmp_path / "r.png", start_method="fork")
    assert "intervals overlap are not findings" in fig.texts[0].get_text()
    assert len([ax for ax in fig.axes if ax.get_title().startswith("N = ")]) == 2
    ax = panel(fig, 100_000)
    labels = [label.get_text() for label in ax.get_yticklabels()]
    assert labels == list(large["label"])
    # every point its interval: the CI as a horizontal bar from speedup_low to speedup_high
    bars = collections_by_gid(ax)
    for y, row in enumerate(large.iloc[:4].itertuples()):
        (segment,) = bars[f"{row.label}/ci"].get_segments()
        assert segment[:, 0] == pytest.approx([row.speedup_low, row.speedup_high])
        assert segment[:, 1] == pytest.approx([y, y])
    # the reference stands apart, below a gap, and far outside: an arrow at the edge
    reference = lines_by_gid(ax)["numpy_sieve (reference)"]
    assert reference.get_ydata()[0] > 4 and reference.get_marker() == ">"
    # the unresolved cell (process_queue, ±8 %) is a diamond, and the legend says why
    diamonds = [line for line in ax.lines if line.get_marker() == "D"]
    assert [list(line.get_xdata()) for line in diamonds] == [[pytest.approx(1.75)]]
    assert "unresolved: CI wider than ±5 %" in legend_texts(fig)
    # ideal (= cores) and 1 = single as vertical lines
    verticals = {
        line.get_xdata()[0]
        for line in ax.lines
        if len(line.get_xdata()) == 2 and line.get_xdata()[0] == line.get_xdata()[1]
    }
    assert {1.0, 2.0} <= verticals


def test_ranking_never_shows_an_oversubscribed_cell_as_best(tmp_path):
    only_oversubscribed = primes_table(processes=(4,))
    p, rows = figures.rank_strategies(only_oversubscribed)
    assert p == 4
    parallel = rows[rows["group"] != "reference"]
    assert len(parallel) and parallel["rank"].isna().all()
    assert parallel["label"].str.endswith("(oversubscribed)").all()
    figures.draw("speedup_ranking", only_oversubscribed, tmp_path / "r.png", start_method="fork")
    # four cores, P = 1 and 2 measured: the largest P up to the cores
    assert figures.rank_strategies(primes_table(processes=(1, 2), cores=4))[0] == 2


def test_speedup_and_efficiency_draw_the_interval_of_every_point(primes_cells, tmp_path):
    for column in ("speedup", "efficiency"):
        fig = figures.draw(
            f"{column}_vs_processes", primes_cells, tmp_path / f"{column}.png", start_method="fork"
        )
        ax = panel(fig, 100_000)
        assert ax.containers, "no errorbar containers"
        bars = collections_by_gid(ax)
        assert set(bars) == {f"{key}/ci" for key in lines_by_gid(ax)}
        expected = primes_cells[
            (primes_cells["strategy"] == "pool_map")
            & (primes_cells["split"] == "dynamic")
            & (primes_cells["start_method"] == "fork")
            & (primes_cells["n"] == 100_000)
        ].sort_values("processes")
        segments = bars["pool_map/dynamic/ci"].get_segments()
        assert [list(s[:, 1]) for s in segments] == [
            pytest.approx([low, high])
            for low, high in zip(expected[f"{column}_low"], expected[f"{column}_high"])
        ]
        assert any(line.get_marker() == "D" for line in ax.lines)  # process_queue, unresolved
        assert "unresolved: CI wider than ±5 %" in legend_texts(fig)


def test_amdahl_points_carry_their_intervals(primes_cells, fits, tmp_path):
    fig = figures.draw(
        "amdahl_fits", primes_cells, tmp_path / "a.png", start_method="fork", fits=fits
    )
    ax = next(ax for ax in fig.axes if ax.get_title() == "pool_map")
    assert "pool_map/dynamic/ci" in collections_by_gid(ax)


def test_an_older_table_without_intervals_still_plots(primes_cells, tmp_path):
    """Before the CI columns existed: points without bars, never an error."""
    old = primes_cells.drop(
        columns=[
            "speedup_low",
            "speedup_high",
            "efficiency_low",
            "efficiency_high",
            "rounds",
            "unresolved",
        ]
    )
    for name in (
        "speedup_ranking",
        "speedup_vs_processes",
        "efficiency_vs_processes",
        "amdahl_fits",
    ):
        fig = figures.draw(name, old, tmp_path / f"{name}.png", start_method="fork")
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == PNG_SIGNATURE
        for ax in fig.axes:
            assert not collections_by_gid(ax)
    assert "unresolved: CI wider than ±5 %" not in legend_texts(fig)


def test_a_sweep_keeps_the_engines_and_the_one_process_cells_but_no_other_start_method():
    from mpbench.analysis.figures.style import in_sweep

    methods = pd.Series(["fork", "spawn", "forkserver", "none", "loky", "dask"])
    assert methods[in_sweep(methods, "fork")].tolist() == ["fork", "none", "loky", "dask"]
    assert methods[in_sweep(methods, "spawn")].tolist() == ["spawn", "none", "loky", "dask"]
