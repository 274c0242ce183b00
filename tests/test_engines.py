"""The strategies beyond the standard library (joblib_parallel, joblib_warm, loky_cold,
loky_warm, dask_distributed, dask_warm) and the warm standard-library pools through the real
harness: their records say what their engine did and whether their pool was cold or warm, a
pool kept alive across runs is stopped with the cell, mmap_file is measured against
single_mmap, and dask_distributed runs on a real `dask scheduler` + `dask worker` cluster
started here on 127.0.0.1.

(Their answers under every N and P are checked with the others' in test_strategies.py and
test_array.py, their faults in test_faults.py.)
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from conftest import SCRIPTS, STRATEGIES
from mpbench import array, record
from test_harness import fake_strategy, run_script

pytestmark = pytest.mark.integration
SHM = Path("/dev/shm")
DASK = Path(sys.executable).with_name("dask")  # the CLI of the pinned distributed
ROUNDS = ("--warmups", 0, "--min-rounds", 2, "--max-rounds", 2)


def run_cell(python, tmp_path, name, *args, timeout=120):
    output = tmp_path / f"{name}.json"
    done = run_script(
        python, STRATEGIES / f"{name}.py", *args, *ROUNDS, "--output", output, timeout=timeout
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return record.read(output)


def joblib_folders() -> set[str]:
    return {p.name for p in SHM.glob("*joblib*")}


# --- joblib_parallel -----------------------------------------------------------------------


def test_joblib_records_whether_it_memory_mapped_the_slices_and_leaves_no_folder(python, tmp_path):
    before = joblib_folders()
    # N = 10^6 at P = 2: slices of 4 MB, above joblib's max_nbytes (1 MB)
    big = run_cell(
        python, tmp_path, "joblib_parallel", "--workload", "array", "--n", 10**6, "--processes", 2
    )
    assert big["answer"] == array.expected_digest(10**6)
    assert big["start_method"] == "loky" and big["data_path"] == "copies"
    assert big["engine"] == {"backend": "LokyBackend", "memmapped": True, "max_nbytes": "1M"}
    # N = 2000: slices of 8 kB, pickled to the workers instead
    small = run_cell(
        python, tmp_path, "joblib_parallel", "--workload", "array", "--n", 2000, "--processes", 2
    )
    assert small["engine"]["memmapped"] is False
    assert joblib_folders() <= before  # its memory-mapping folders are removed
    # loky's workers are the measured process's children: their memory is in the peak
    assert big["memory"]["runs"][0]["processes"] >= 3


def test_joblib_at_one_process_runs_in_the_calling_process_and_says_so(python, tmp_path):
    cell = run_cell(python, tmp_path, "joblib_parallel", "--n", 10**4, "--processes", 1)
    assert cell["answer"] == 1229 and cell["engine"]["backend"] == "SequentialBackend"


def test_an_engine_refuses_a_multiprocessing_start_method_and_others_refuse_its(python):
    done = run_script(
        python, STRATEGIES / "joblib_parallel.py", "--n", 100, "--start-method", "fork"
    )
    assert done.returncode == 2
    assert "cannot run under start method 'fork'; allowed: loky" in done.stderr
    done = run_script(python, STRATEGIES / "pool_map.py", "--n", 100, "--start-method", "loky")
    assert done.returncode == 2
    assert "--start-method: invalid choice: 'loky' (choose from 'fork'" in done.stderr
    # only a strategy that can use an existing cluster takes --scheduler
    done = run_script(
        python, STRATEGIES / "pool_map.py", "--n", 100, "--scheduler", "tcp://127.0.0.1:1"
    )
    assert done.returncode == 2 and "unrecognized arguments: --scheduler" in done.stderr


# --- loky: cold and warm -------------------------------------------------------------------


def test_a_warm_pool_starts_once_per_cell_and_is_stopped_with_it(python, tmp_path):
    cold = run_cell(python, tmp_path, "loky_cold", "--n", 10**4, "--processes", 2)
    warm = run_cell(python, tmp_path, "loky_warm", "--n", 10**4, "--processes", 2)
    assert cold["answer"] == warm["answer"] == 1229
    assert (cold["pool"], warm["pool"]) == ("cold", "warm")  # as the scripts declare (POOL)
    assert "engine" not in cold and "engine" not in warm
    # a cold run starts two interpreters; a warm one only takes the running executor
    assert min(cold["phases_s"]["startup"]) > 0.02
    assert max(warm["phases_s"]["startup"]) < 0.005
    assert max(warm["phases_s"]["teardown"]) < 0.005  # nothing is shut down in the run
    # the kept pool's idle workers are the memory baseline's (no second idle pool)
    assert warm["memory"]["baseline"]["processes"] == cold["memory"]["baseline"]["processes"]


KEPT = """
import multiprocessing

POOL = "warm"

def _idle(conn):
    conn.recv()

def _start(job):
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(target=_idle, args=(child,))
    process.start()
    return process, parent

def _stop(kept):
    process, conn = kept
    {stop}

def primes(job):
    process, _ = job.kept("idler", lambda: _start(job), _stop)
    job.note(kept_pid=process.pid)
    job.lap("startup")
    count = count_primes_in(range(2, job.n + 1))
    job.lap("compute")
    return count
"""


def test_a_kept_process_is_spared_after_each_run_and_must_be_gone_when_the_cell_ends(
    python, tmp_path
):
    script = fake_strategy(tmp_path, KEPT.format(stop="conn.send(None); process.join()"))
    output = tmp_path / "cell.json"
    done = run_script(python, script, "--n", 1000, *ROUNDS, "--output", output)
    assert done.returncode == 0, done.stderr
    cell = record.read(output)
    assert cell["answer"] == 168
    assert not psutil.pid_exists(cell["engine"]["kept_pid"])  # stopped with the cell
    # a stop that does not stop what it kept is a leftover, as in any run
    script = fake_strategy(tmp_path, KEPT.format(stop="pass"), name="forgetful")
    done = run_script(python, script, "--n", 1000, *ROUNDS)
    assert done.returncode == 1
    assert "the pool kept alive across runs left 1 process(es) running" in done.stderr


# --- warm twins of the others ----------------------------------------------------------------


@pytest.mark.parametrize(
    "cold,warm,args",
    [
        ("pool_map", "pool_map_warm", ("--start-method", "spawn")),
        ("process_pool_executor", "process_pool_executor_warm", ("--start-method", "forkserver")),
        ("joblib_parallel", "joblib_warm", ()),
        ("dask_distributed", "dask_warm", ()),
    ],
)
def test_a_warm_twin_starts_its_workers_before_the_timed_runs_and_stops_them_with_the_cell(
    python, tmp_path, cold, warm, args
):
    before = joblib_folders()
    runs = {
        name: run_cell(python, tmp_path, name, "--n", 10**4, "--processes", 2, *args)
        for name in (cold, warm)
    }
    assert runs[cold]["answer"] == runs[warm]["answer"] == 1229
    assert (runs[cold]["pool"], runs[warm]["pool"]) == ("cold", "warm")
    assert runs[cold]["baseline"] == runs[warm]["baseline"] == "single"
    # a cold run starts two interpreters; a warm one only takes the running pool
    assert min(runs[cold]["phases_s"]["startup"]) > 0.01
    assert max(runs[warm]["phases_s"]["startup"]) < 0.005
    # the kept pool's workers are the memory baseline's idle workers
    assert runs[warm]["memory"]["baseline"]["processes"] >= 3
    assert joblib_folders() <= before
    assert not list(tmp_path.glob("mpbench-*"))


def test_a_strategy_that_declares_a_warm_pool_but_keeps_none_fails_the_cell(python, tmp_path):
    script = fake_strategy(
        tmp_path,
        'POOL = "warm"\n\ndef primes(job):\n    job.lap("startup")\n'
        "    return count_primes_in(range(2, job.n + 1))\n",
        name="liar",
    )
    done = run_script(python, script, "--n", 1000, *ROUNDS)
    assert done.returncode == 1
    assert "declares POOL = 'warm' but its priming run kept nothing" in done.stderr


def test_mmap_file_is_measured_against_single_mmap_which_maps_its_input(python, tmp_path):
    mapped = run_cell(
        python, tmp_path, "mmap_file", "--workload", "array", "--n", 10**5, "--processes", 2
    )
    assert mapped["answer"] == array.expected_digest(10**5)
    assert mapped["baseline"] == "single_mmap" and mapped["pool"] == "cold"
    alone = run_cell(python, tmp_path, "single_mmap", "--workload", "array", "--n", 10**5)
    assert alone["answer"] == array.expected_digest(10**5) and alone["baseline"] == "single"


def test_engines_table_prints_each_cold_strategy_beside_its_warm_twin(tmp_path):
    sys.path.insert(0, str(SCRIPTS))
    import engines_table

    row = dict(workload="primes", n=10**4, processes=2, split="static", skipped="", cores=2)
    values = dict(speedup_low=1.0, speedup_high=1.2, baseline_pss_bytes=1e6, peak_pss_bytes=3e6)
    cells = pd.DataFrame(
        [
            {
                **row,
                **values,
                "strategy": "pool_map",
                "start_method": "fork",
                "speedup": 1.1,
                "startup_median_s": 0.012,
            },
            {
                **row,
                **values,
                "strategy": "pool_map_warm",
                "start_method": "fork",
                "speedup": 1.9,
                "startup_median_s": 0.0,
            },
            {
                **row,
                **values,
                "strategy": "loky_cold",
                "start_method": "loky",
                "speedup": 0.5,
                "startup_median_s": 0.1,
            },
            {
                **row,
                **values,
                "strategy": "pool_map_warm",
                "start_method": "spawn",
                "speedup": 9.9,
                "startup_median_s": 0.0,
            },
        ]
    )
    text = engines_table.table(cells, None)
    lines = [line for line in text.splitlines() if line.startswith("| pool_map ")]
    assert lines == [
        "| pool_map | pool_map_warm | static | 1.10 [1.00, 1.20] | 1.90 [1.00, 1.20] | "
        "12.0 ms | 0.0 ms | 2 MB | 2 MB |"
    ]
    assert "| loky_cold | loky_warm | static | 0.50 [1.00, 1.20] | – | 100.0 ms | – |" in text
    assert "9.90" not in text  # spawn's cells are not fork's


# --- dask_distributed ----------------------------------------------------------------------


def test_dask_starts_a_local_cluster_in_each_run_by_default(python, tmp_path):
    cell = run_cell(python, tmp_path, "dask_distributed", "--n", 10**4, "--processes", 2)
    assert cell["answer"] == 1229 and cell["start_method"] == "dask"
    assert cell["engine"] == {"cluster": "local"}
    # the cluster's start is start-up: two interpreters, importing distributed
    assert min(cell["phases_s"]["startup"]) > 0.1


@pytest.fixture
def dask_cluster(tmp_path):
    """A real `dask scheduler` and `dask worker` (2 worker processes, 1 thread each) on
    127.0.0.1, on a free port; their workers import mpbench through PYTHONPATH. Yields the
    scheduler's address; stops both (by their process groups) and checks nothing is left."""
    env = {**os.environ, "PYTHONPATH": str(SCRIPTS)}
    file = tmp_path / "scheduler.json"
    started = []

    def start(*args) -> subprocess.Popen:
        process = subprocess.Popen(
            [str(DASK), *args],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own group: stopped whole, with its nannies' workers
        )
        started.append(process)
        return process

    try:
        start(
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(file),
        )
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        start(
            "worker",
            address,
            "--nworkers",
            "2",
            "--nthreads",
            "1",
            "--host",
            "127.0.0.1",
            "--no-dashboard",
        )
        yield address
    finally:
        tree = []
        for process in started:
            try:
                tree += [psutil.Process(process.pid), *psutil.Process(process.pid).children(True)]
            except psutil.NoSuchProcess:
                pass
        for process in reversed(started):  # workers first, then the scheduler
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        gone, alive = psutil.wait_procs(tree, timeout=30)
        assert alive == [], f"dask processes left behind: {alive}"


def test_dask_uses_an_existing_cluster_and_records_its_address(python, tmp_path, dask_cluster):
    primes = run_cell(
        python,
        tmp_path,
        "dask_distributed",
        "--n",
        10**5,
        "--processes",
        2,
        "--scheduler",
        dask_cluster,
    )
    assert primes["answer"] == 9592 and primes["start_method"] == "dask"
    assert primes["engine"] == {"cluster": dask_cluster}
    # start-up is only connecting the client: no interpreter starts
    assert max(primes["phases_s"]["startup"]) < 0.5
    # the cluster's processes are not this cell's: the measured tree holds none of them
    assert primes["memory"]["runs"][0]["processes"] <= 2
    data = run_cell(
        python,
        tmp_path,
        "dask_distributed",
        "--workload",
        "array",
        "--n",
        10**5,
        "--processes",
        2,
        "--scheduler",
        dask_cluster,
    )
    assert data["answer"] == array.expected_digest(10**5)


def test_dask_fails_the_cell_when_the_cluster_has_fewer_workers_than_asked(
    python, tmp_path, dask_cluster, monkeypatch
):
    monkeypatch.setenv("MPBENCH_DASK_WAIT_S", "3")
    done = run_script(
        python,
        STRATEGIES / "dask_distributed.py",
        "--n",
        1000,
        "--processes",
        3,
        "--scheduler",
        dask_cluster,
        *ROUNDS,
        timeout=120,
    )
    assert done.returncode == 1
    assert "fewer than 3 workers" in done.stderr, done.stderr[-2000:]
