"""The array workload: its kernel, every strategy's output, the memory sampler, and what a
cell leaves behind (shared memory segments, files, processes), passed or failed."""

import multiprocessing
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import STRATEGIES
from mpbench import array, memory, processes, record, timing
from mpbench.experiment import registry
from mpbench.job import Job, stop_kept
from mpbench.split import SINGLE, split_work
from mpbench.strategy import Strategy
from mpbench.workloads import input_path
from test_harness import fake_strategy, run_script

ARRAY_STRATEGIES = [name for name in registry.names() if "array" in registry.workloads(name)]
SHM = Path("/dev/shm")


def mpbench_segments() -> set[str]:
    return {path.name for path in SHM.glob("mpbench-*")}


# --- the kernel -------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, array.BLOCK - 1, array.BLOCK + 1, 3 * array.BLOCK + 5])
def test_kernel_on_any_slices_gives_the_whole_arrays_output_bit_for_bit(n):
    data = array.generate(n)
    whole = array.compute(data)
    cuts = sorted({0, n, *np.random.default_rng(n).integers(0, n + 1, size=4).tolist()})
    pieces = [array.compute(data[lo:hi]) for lo, hi in zip(cuts, cuts[1:])]
    assert np.array_equal(np.concatenate(pieces), whole)
    assert array.digest(np.concatenate(pieces)) == array.digest(whole)


def test_kernel_is_the_documented_logistic_map():
    data = np.array([0.0, 0.3, 0.5, 0.999])
    expected = []
    for x in data.tolist():  # Python floats are IEEE doubles: the same operations, in order
        for _ in range(array.ITERATIONS):
            x = (x * (1.0 - x)) * array.R
        expected.append(x)
    assert array.compute(data).tolist() == expected


def test_input_is_seeded_and_read_back_from_its_file_at_any_offset(tmp_path):
    path = tmp_path / "input"
    array.write_input(1000, path)
    assert path.stat().st_size == 8000
    assert np.array_equal(array.generate(1000), array.generate(1000))
    whole = array.read_into(path, np.empty(1000))
    assert np.array_equal(whole, array.generate(1000))
    assert np.array_equal(array.read_into(path, np.empty(5), start=995), whole[995:])
    with pytest.raises(EOFError, match="input ends after 1000 elements, wanted 1005"):
        array.read_into(path, np.empty(10), start=995)


def test_digest_tells_a_changed_element_and_names_a_wrong_type():
    output = array.compute(array.generate(100))
    changed = output.copy()
    changed[57] = np.nextafter(changed[57], 2.0)  # one unit in the last place
    assert array.digest(changed) != array.digest(output)
    assert array.digest(output.astype(np.float32)) == "not 1-d float64: float32 of shape (100,)"
    assert array.digest([1.0]) == "not an array: list"
    assert array.expected_digest(100) == array.digest(output)


# --- every strategy ---------------------------------------------------------------------


def run_array(name: str, n: int, processes_: int, method: str | None, scratch: Path):
    """One checked run of a strategy (wrong output, leftover processes or segments raise)."""
    module = registry.load(name)
    method = registry.describe(name).resolve_start_method(method)
    split = SINGLE if registry.splits(name) == (SINGLE,) else "static"
    path = input_path("array", n, str(scratch))
    if not Path(path).exists():
        array.write_input(n, path)
    job = Job(
        "array",
        n,
        processes_,
        split,
        split_work(n, processes_, split, range(n)),
        registry.describe(name).context(method),
        path,
        str(scratch),
    )
    answer, _, _ = timing.checked_run(module.array, job, array.expected_digest(n), "test run")
    stop_kept()  # what the harness does as the cell ends (a warm pool, see loky_warm)
    return answer, job


def array_cases():
    for name in ARRAY_STRATEGIES:
        single = registry.splits(name) == (SINGLE,)
        # N = 2 and 3 (the smallest, N < P), an odd N that no P divides, more than a block
        for n in (2, 3, 1001, array.BLOCK + 7):
            for p in [1] if single else [1, 2, 3, 5]:
                yield pytest.param(name, n, p, id=f"{name}-n{n}-p{p}")


@pytest.mark.integration
@pytest.mark.parametrize("name,n,processes_", list(array_cases()))
def test_array_strategy_gives_the_single_process_output(tmp_path, name, n, processes_):
    answer, _ = run_array(name, n, processes_, None, tmp_path)
    assert answer == array.expected_digest(n)
    assert processes.live_descendants() == []


@pytest.mark.integration
@pytest.mark.parametrize(
    "name,method",
    [
        pytest.param(name, method, id=f"{name}-{method}")
        for name in ARRAY_STRATEGIES
        if registry.starts_processes(name)
        for method in registry.start_methods(name)
    ],
)
def test_array_strategy_under_every_start_method(tmp_path, name, method):
    answer, job = run_array(name, 1001, 3, method, tmp_path)
    assert answer == array.expected_digest(1001)
    # an engine's own start method (loky, dask): the harness's processes are spawned
    own = registry.describe(name).own_start_method
    assert job.context.get_start_method() == ("spawn" if method == own else method)


@pytest.mark.integration
@pytest.mark.parametrize("name", ARRAY_STRATEGIES)
def test_array_strategy_marks_set_up_before_its_other_phases(tmp_path, name):
    module = registry.load(name)
    split = SINGLE if registry.splits(name) == (SINGLE,) else "static"
    processes_ = 1 if split == SINGLE else 2
    path = input_path("array", 5000, str(tmp_path))
    array.write_input(5000, path)
    job = Job(
        "array",
        5000,
        processes_,
        split,
        split_work(5000, processes_, split, range(5000)),
        multiprocessing.get_context("fork"),
        path,
        str(tmp_path),
    )
    started = time.perf_counter()
    module.array(job)
    finished = time.perf_counter()
    job.release()
    phases = timing.phases_of(job, started, finished)
    assert phases is not None and "setup" in job.marks, f"{name} does not mark its phases"
    assert all(value >= 0 for value in phases.values())
    assert sum(phases.values()) == pytest.approx(finished - started, abs=1e-9)


def test_the_matrix_of_strategies_and_workloads():
    runs = {name: set(registry.workloads(name)) for name in registry.names()}
    # (>=: a strategy added later may run either workload)
    assert {n for n, w in runs.items() if w == {"primes", "array"}} >= {
        "single",
        "threads",
        "process_queue",
        "pool_map",
        "pool_map_async",
        "pool_apply_async",
        "process_pool_executor",
        "manager",
        "sharedctypes_array",
        "shared_numpy",
        "mmap_anonymous",
    }
    assert {n for n, w in runs.items() if w == {"array"}} >= {"pipe", "shared_memory", "mmap_file"}
    assert {n for n, w in runs.items() if w == {"primes"}} >= {"sharedctypes_value", "numpy_sieve"}


def test_readme_matrix_matches_the_strategies():
    """The strategy x workload table of docs/strategies.md says what the scripts run.

    (The name is historical: the table lived in the README before it moved to docs/.)
    """
    page = Path(__file__).resolve().parents[1] / "docs" / "strategies.md"
    rows = {}
    for line in page.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`") and cells[0].strip("`") in registry.names():
            rows[cells[0].strip("`")] = (cells[1], cells[2])
    # every row names a strategy and says what it runs; a strategy added later may have none yet
    assert set(rows) <= set(registry.names()) and len(rows) >= 16
    for name, (primes, arr) in rows.items():
        assert primes.startswith("yes") == ("primes" in registry.workloads(name)), name
        assert arr.startswith("yes") == ("array" in registry.workloads(name)), name
        if arr.startswith("yes"):  # "yes (zero-copy)" or "yes (copying...)"
            assert ("zero-copy" in arr) == (registry.data_path(name) == "zero-copy"), name


def test_strategies_declare_how_the_data_reaches_their_workers():
    zero_copy = {name for name in ARRAY_STRATEGIES if registry.data_path(name) == "zero-copy"}
    assert zero_copy == {
        "threads",
        "sharedctypes_array",
        "shared_numpy",
        "shared_memory",
        "mmap_anonymous",
        "mmap_file",
    }
    with pytest.raises(ValueError, match="DATA_PATH must be one of copies, zero-copy, got 'shm'"):
        Strategy.of({"SPLITS": ("static",), "DATA_PATH": "shm", "__file__": "x.py"})


# --- the memory sampler -----------------------------------------------------------------

HOLDER = textwrap.dedent("""\
    import sys
    import numpy as np
    print("baseline", flush=True)
    sys.stdin.readline()
    held = np.ones(25_000_000)  # 200 MB, every page written
    print("holding", flush=True)
    sys.stdin.readline()
    """)


def sample_before_and_after(command: list[str]) -> memory.TreeSampler:
    """Sample the tree of `command` when it prints "baseline", and again when it prints
    "holding" (it waits for a line on stdin after each)."""
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    sampler = memory.TreeSampler()
    try:
        for expected in ("baseline\n", "holding\n"):
            assert process.stdout.readline() == expected
            sampler.sample(process.pid)
            process.stdin.write("go\n")
            process.stdin.flush()
    finally:
        process.wait(timeout=30)
    return sampler


@pytest.mark.integration
def test_sampler_finds_a_known_200_mb_allocation_within_ten_percent():
    sampler = sample_before_and_after([sys.executable, "-c", HOLDER])
    assert sampler.pss[1] - sampler.pss[0] == pytest.approx(200e6, rel=0.10)
    assert sampler.uss[1] - sampler.uss[0] == pytest.approx(200e6, rel=0.10)


TREE = textwrap.dedent("""\
    import multiprocessing, sys, time
    from multiprocessing.shared_memory import SharedMemory
    import numpy as np

    def child(name, go, done):
        go.wait()
        shared = SharedMemory(name=name)
        total = np.ndarray((12_500_000,), np.float64, shared.buf).sum()  # reads every page
        private = np.ones(6_250_000)  # 50 MB of its own
        done.set()
        time.sleep(60)  # holding both until terminated

    if __name__ == "__main__":
        ctx = multiprocessing.get_context("fork")
        go, done = ctx.Event(), ctx.Event()
        shared = SharedMemory(create=True, size=100_000_000)
        worker = ctx.Process(target=child, args=(shared.name, go, done))
        worker.start()
        print("baseline", flush=True)
        sys.stdin.readline()
        np.ndarray((12_500_000,), np.float64, shared.buf)[:] = 1.0  # 100 MB, shared
        private = np.ones(6_250_000)  # 50 MB of the parent's own
        go.set()
        done.wait()
        print("holding", flush=True)
        sys.stdin.readline()
        worker.terminate()
        worker.join()
        shared.close()
        shared.unlink()
    """)


@pytest.mark.integration
def test_sampler_sums_the_tree_and_counts_shared_pages_once(tmp_path):
    # parent and child both map the same 100 MB segment and hold 50 MB each of their own:
    # the tree holds 200 MB; summing RSS would say 300 MB
    script = tmp_path / "tree.py"
    script.write_text(TREE)
    sampler = sample_before_and_after([sys.executable, str(script)])
    assert sampler.processes == [3, 3]  # parent, child and multiprocessing's resource tracker
    assert sampler.pss[1] - sampler.pss[0] == pytest.approx(200e6, rel=0.10)
    assert sampler.uss[1] - sampler.uss[0] == pytest.approx(100e6, rel=0.10)  # private only


@pytest.fixture(scope="module")
def memory_records(tmp_path_factory):
    """Real cells at N = 4 * 10^6 (64 MB of input and output): one zero-copy, one copying."""
    folder = tmp_path_factory.mktemp("memory")
    records = {}
    for name in ("shared_memory", "pool_map"):
        output = folder / f"{name}.json"
        done = run_script(
            sys.executable,
            STRATEGIES / f"{name}.py",
            "--workload",
            "array",
            "--n",
            4_000_000,
            "--processes",
            2,
            "--split",
            "static",
            "--warmups",
            0,
            "--min-rounds",
            2,
            "--max-rounds",
            2,
            "--start-method",
            "fork",
            "--output",
            output,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        records[name] = record.read(output)
    return records


@pytest.mark.integration
def test_record_carries_memory_of_every_memory_run_and_what_sampling_cost(memory_records):
    cell = memory_records["shared_memory"]
    assert cell["payload_bytes"] == cell["memory"]["payload_bytes"] == 16 * 4_000_000
    assert "windows" not in cell
    baseline = cell["memory"]["baseline"]
    assert baseline["samples"] >= timing.BASELINE_SAMPLES  # the ones asked for, at least
    assert baseline["processes"] == 4  # parent, 2 idle workers, resource tracker
    runs = cell["memory"]["runs"]
    assert len(runs) == timing.MEMORY_RUNS
    for run in runs:
        # at least the sample taken at the end of compute
        assert run["samples"] >= 1 and run["processes"] >= 3
        assert run["peak_uss_bytes"] <= run["peak_pss_bytes"]
    sampler = cell["memory"]["sampler"]
    assert sampler["min_interval_s"] == memory.MIN_INTERVAL_S
    assert 0 < sampler["cpu_cores"] < 0.25
    # no sample in a timed round: every one the supervisor took is in the memory baseline or
    # a memory run, and sampling was on for less time than the rounds took
    assert not cell["rounds"]["sampled"]
    assert sampler["samples"] == baseline["samples"] + sum(run["samples"] for run in runs)
    spent = cell["overhead_s"]
    assert 0 < sampler["sampled_s"] <= spent["memory_baseline"] + spent["memory_runs"]


@pytest.mark.integration
def test_zero_copy_stays_near_one_payload_and_copying_grows(memory_records):
    # large, stable ratios (the README's table has the measured ones at every size)
    def extra_over_payload(cell):
        peak = np.median([r["peak_pss_bytes"] for r in cell["memory"]["runs"]])
        return (peak - cell["memory"]["baseline"]["pss_bytes"]) / cell["payload_bytes"]

    assert 0.75 <= extra_over_payload(memory_records["shared_memory"]) <= 1.25
    # pool_map holds the input, the pickled slices and the output (about 2 payloads at its
    # peak); the sampler can miss the very top (1.65 was seen once in CI), so the bound sits
    # well above zero-copy's 1.25 and below that
    assert extra_over_payload(memory_records["pool_map"]) >= 1.5


# --- what a cell leaves behind ----------------------------------------------------------

ARRAY_FAKE = """
    import numpy as np
    from multiprocessing.shared_memory import SharedMemory
    from mpbench.array import compute

    SPLITS = ("static",)

    def array(job):
        segment = SharedMemory(name=job.segment_name("data"), create=True, size=job.n * 8)
        with open({pids!r}, "a") as f:
            print(segment.name, file=f)
        job.read_input(segment.buf)
        {then}
"""


def test_segment_names_are_unique_per_run_and_per_segment():
    first = Job("array", 10, 1, "static", [range(10)], multiprocessing.get_context())
    second = Job("array", 10, 1, "static", [range(10)], multiprocessing.get_context())
    assert first.run_id != second.run_id
    names = {first.segment_name("data"), first.segment_name("data"), second.segment_name("data")}
    assert len(names) == 3
    assert all(name.startswith("mpbench-") for name in names)


@pytest.mark.parametrize(
    "then,code,message",
    [
        # fails with the segment still there: the harness unlinks it
        ("raise RuntimeError('broken on purpose')", 1, "broken on purpose"),
        # hangs with a pool running: the supervisor kills the tree and unlinks the segment
        ("with job.pool() as pool: pool.map(time.sleep, [3600] * job.processes)", 124, "timed out"),
        # returns the right output but forgets its segment: the run fails, naming it
        (
            "return compute(np.frombuffer(segment.buf, dtype=np.float64).copy())",
            1,
            "leaving /dev/shm/mpbench-",
        ),
    ],
    ids=["fails", "hangs", "forgets"],
)
def test_no_segment_or_process_survives_a_failed_cell(python, tmp_path, then, code, message):
    names = tmp_path / "names"
    script = fake_strategy(tmp_path, ARRAY_FAKE.format(pids=str(names), then=then))
    before = mpbench_segments()
    done = run_script(
        python,
        script,
        "--workload",
        "array",
        "--n",
        50_000,
        "--processes",
        2,
        "--timeout",
        5,
        "--warmups",
        0,
        "--min-rounds",
        1,
        "--max-rounds",
        1,
    )
    assert done.returncode == code, done.stderr
    assert message in done.stderr
    created = names.read_text().split()
    assert created and all(name.startswith("mpbench-") for name in created)
    assert mpbench_segments() - before == set(), "a shared memory segment survived the cell"
    survivors = [p for p in processes.live_descendants()]
    assert survivors == []


def test_a_passing_cell_leaves_no_segment_or_file(python, tmp_path):
    before = mpbench_segments()
    for name in ("shared_memory", "mmap_file", "sharedctypes_array"):
        output = tmp_path / f"{name}.json"
        done = run_script(
            python,
            STRATEGIES / f"{name}.py",
            "--workload",
            "array",
            "--n",
            3001,
            "--processes",
            3,
            "--split",
            "static",
            "--warmups",
            0,
            "--min-rounds",
            1,
            "--max-rounds",
            1,
            "--output",
            output,
        )
        assert done.returncode == 0, done.stderr
        assert record.read(output)["answer"] == array.expected_digest(3001)
    assert mpbench_segments() - before == set()
    assert not list(Path("/tmp").glob("mpbench-*/input-*")), "a cell's scratch folder survived"


def test_manager_above_its_size_limit_is_skipped_not_run(python, tmp_path):
    output = tmp_path / "cell.json"
    started = time.monotonic()
    done = run_script(
        python,
        STRATEGIES / "manager.py",
        "--workload",
        "array",
        "--n",
        10**9,
        "--processes",
        2,
        "--split",
        "static",
        "--size-limit",
        3_000_000,
        "--output",
        output,
    )
    assert time.monotonic() - started < 20  # a billion elements would take hours: not run
    assert done.returncode == 0, done.stderr
    cell = record.read(output)
    assert cell["skipped"] == (
        "above the limit: n = 1000000000 > size limit 3000000 for "
        "manager on array (config key size_limits)"
    )
    assert cell["size_limit"] == 3_000_000 and cell["payload_bytes"] == 16 * 10**9
    assert "repeats_s" not in cell and "memory" not in cell
    assert "skipped, above the limit" in done.stderr


def test_below_its_size_limit_manager_runs(python, tmp_path):
    output = tmp_path / "cell.json"
    done = run_script(
        python,
        STRATEGIES / "manager.py",
        "--workload",
        "array",
        "--n",
        3001,
        "--processes",
        2,
        "--split",
        "static",
        "--size-limit",
        3001,
        "--warmups",
        0,
        "--min-rounds",
        1,
        "--max-rounds",
        1,
        "--output",
        output,
    )
    assert done.returncode == 0, done.stderr
    cell = record.read(output)
    assert "skipped" not in cell and cell["answer"] == array.expected_digest(3001)


def test_array_refuses_the_dynamic_split(python, tmp_path):
    done = run_script(
        python,
        STRATEGIES / "pool_map.py",
        "--workload",
        "array",
        "--n",
        100,
        "--processes",
        2,
        "--split",
        "dynamic",
    )
    assert done.returncode == 2
    assert "workload 'array' has no split 'dynamic'; allowed: none, static" in done.stderr
