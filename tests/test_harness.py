"""The harness: command line, record, answer check, timeout and process clean-up."""

import json
import multiprocessing
import re
import subprocess
import textwrap
import time

import psutil
import pytest

from conftest import SCRIPTS, STRATEGIES
from mpbench import metadata, record
from mpbench.experiment import registry
from mpbench.workloads import PHASES

pytestmark = pytest.mark.integration  # every test here runs strategies in real processes


def run_script(python, script, *args, timeout=60):
    return subprocess.run(
        [python, str(script), *map(str, args)], capture_output=True, text=True, timeout=timeout
    )


def fake_strategy(tmp_path, body: str, name: str = "fake"):
    """A strategy script outside the repo, built on the real harness."""
    script = tmp_path / f"{name}.py"
    script.write_text(
        textwrap.dedent(f"""\
        import os, sys, time
        sys.path.insert(0, {str(SCRIPTS)!r})
        from mpbench.primes import count_primes_in

        SPLITS = ("static",)
        """)
        + textwrap.dedent(body)
        + textwrap.dedent("""
        if __name__ == "__main__":
            from mpbench.cli import main

            sys.exit(main("a fake strategy", globals()))
        """)
    )
    return script


def test_real_strategy_writes_a_valid_record(python, tmp_path):
    output = tmp_path / "cell.json"
    done = run_script(
        python,
        STRATEGIES / "pool_map.py",
        "--n",
        1000,
        "--processes",
        3,
        "--split",
        "static",
        "--warmups",
        1,
        "--min-rounds",
        2,
        "--max-rounds",
        2,
        "--output",
        output,
    )
    assert done.returncode == 0, done.stderr
    cell = record.read(output)
    assert (cell["answer"], cell["expected"], cell["correct"]) == (168, 168, True)
    assert (cell["n"], cell["processes"], cell["split"], cell["pieces"]) == (1000, 3, "static", 3)
    assert len(cell["warmups_s"]) == 1 and len(cell["repeats_s"]) == 2
    assert cell["start_method"] == multiprocessing.get_context().get_start_method()
    env = cell["environment"]
    assert env["cores_logical"] >= 1 and env["python_version"].count(".") == 2
    assert set(env["numeric_threads"].values()) == {"1"}
    for i, total in enumerate(cell["repeats_s"]):
        parts = sum(cell["phases_s"][phase][i] for phase in PHASES)
        assert parts == pytest.approx(total, abs=1e-9)
    assert not list(tmp_path.glob(".cell.json.*")), "temporary file left behind"


@pytest.mark.parametrize("name", registry.names())
def test_every_strategy_has_help(python, name):
    done = run_script(python, STRATEGIES / f"{name}.py", "--help")
    assert done.returncode == 0
    assert "--n N" in done.stdout and "--processes" in done.stdout
    assert name in done.stdout  # the docstring opens with the strategy's name


@pytest.mark.parametrize(
    "script,args,message",
    [
        ("pool_map.py", ["--n", "1"], "argument --n: must be an integer >= 2, got 1"),
        ("pool_map.py", ["--n", "ten"], "argument --n: must be an integer >= 2, got 'ten'"),
        (
            "pool_map.py",
            ["--n", "100", "--processes", "0"],
            "argument --processes: must be an integer >= 1, got 0",
        ),
        (
            "pool_map.py",
            ["--n", "100", "--split", "guided"],
            "argument --split: invalid choice: 'guided'",
        ),
        (
            "pool_map.py",
            ["--n", "100", "--min-rounds", "0"],
            "argument --min-rounds: must be an integer >= 1",
        ),
        (
            "pool_map.py",
            ["--n", "100", "--min-rounds", "8", "--max-rounds", "7"],
            "--min-rounds 8 is more than --max-rounds 7",
        ),
        (
            "pool_map.py",
            ["--n", "100", "--target", "0"],
            "argument --target: must be a fraction > 0",
        ),
        (
            "pool_map.py",
            ["--n", "100", "--timeout", "-1"],
            "argument --timeout: must be a number of seconds > 0",
        ),
        ("single.py", ["--n", "100", "--processes", "2"], "processes must be 1, got 2"),
        (
            "mmap_anonymous.py",
            ["--n", "100", "--start-method", "spawn"],
            "cannot run under start method 'spawn'; allowed: fork",
        ),
        (
            "single.py",
            ["--n", "100", "--split", "none", "--start-method", "fork"],
            "strategy 'single' starts no process, so --start-method does not apply",
        ),
        (
            "pool_map.py",
            ["--n", "100", "--cpu-affinity", "0,4096"],
            "argument --cpu-affinity: must be CPU numbers separated by commas, from 0",
        ),
        (
            "pool_map.py",
            ["--n", "100", "--cpu-affinity", "first"],
            "argument --cpu-affinity: must be CPU numbers separated by commas",
        ),
    ],
)
def test_bad_arguments_are_refused_clearly(python, tmp_path, script, args, message):
    output = tmp_path / "cell.json"
    done = run_script(python, STRATEGIES / script, *args, "--output", output)
    assert done.returncode == 2
    assert message in done.stderr
    assert not output.exists()


def test_wrong_answer_fails_and_keeps_the_earlier_record(python, tmp_path):
    script = fake_strategy(
        tmp_path,
        """
        def primes(job):
            return count_primes_in(job.pieces[0]) + 1
        """,
    )
    output = tmp_path / "cell.json"
    output.write_text("earlier result\n")
    done = run_script(python, script, "--n", 100, "--output", output)
    assert done.returncode == 3
    assert "wrong answer in priming run: expected 25, got 26" in done.stderr
    assert "no record written" in done.stderr
    assert output.read_text() == "earlier result\n"


def _assert_gone(pids):
    for pid in pids:
        try:
            assert psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, f"pid {pid} survived"
        except psutil.NoSuchProcess:
            pass


def test_hung_worker_times_out_and_its_tree_is_killed(python, tmp_path):
    pids = tmp_path / "pids"
    script = fake_strategy(
        tmp_path,
        f"""
        def hang(_):
            with open({str(pids)!r}, "a") as f:
                print(os.getpid(), file=f)
            time.sleep(3600)

        def primes(job):
            with job.pool() as pool:
                pool.map(hang, range(job.processes))
        """,
    )
    output = tmp_path / "cell.json"
    started = time.monotonic()
    done = run_script(
        python, script, "--n", 100, "--processes", 2, "--timeout", 2, "--output", output
    )
    assert time.monotonic() - started < 30
    assert done.returncode == 124
    # the message says where the cell hung: the run and its phase
    assert (
        "cell timed out after 2 s during priming run, compute; process tree killed" in done.stderr
    )
    assert not output.exists()
    worker_pids = [int(line) for line in pids.read_text().split()]
    assert len(worker_pids) == 2
    _assert_gone(worker_pids)


def test_crashed_pool_worker_fails_the_cell_at_once_naming_it(python, tmp_path):
    # A Pool silently replaces a worker that dies, and its task is never answered: before the
    # watchdog, only the cell's deadline ended the wait (here 60 s; 600 s by default).
    script = fake_strategy(
        tmp_path,
        """
        def crash(_):
            os._exit(7)

        def primes(job):
            with job.pool() as pool:
                pool.map(crash, range(2))
        """,
    )
    started = time.monotonic()
    done = run_script(python, script, "--n", 100, "--processes", 2, "--timeout", 60)
    assert time.monotonic() - started < 5
    assert done.returncode == 4
    assert re.search(
        r"mpbench: fake primes \(n=100, .*\): worker ForkPoolWorker-\d+ \(pid \d+\) "
        r"exited with code 7 during priming run, compute; the rest of the process "
        r"tree is killed, no record written",
        done.stderr,
    ), done.stderr


def test_crashed_queue_worker_is_detected_at_once():
    process_queue = registry.load("process_queue")
    ctx = multiprocessing.get_context()
    results = ctx.Queue()
    dying = ctx.Process(target=_exit_with_seven)
    dying.start()
    dying.join()
    with pytest.raises(
        RuntimeError,
        match=f"worker died before sending its result \\({dying.name} \\(pid {dying.pid}\\) "
        "exited with code 7\\)",
    ):
        process_queue.receive(results, 1, [dying])


def _exit_with_seven():
    import os

    os._exit(7)


def test_strategy_that_leaves_a_process_running_fails(python, tmp_path):
    pids = tmp_path / "pids"
    script = fake_strategy(
        tmp_path,
        f"""
        def linger():
            time.sleep(3600)

        def primes(job):
            worker = job.context.Process(target=linger)
            worker.start()
            with open({str(pids)!r}, "w") as f:
                print(worker.pid, file=f)
            return count_primes_in(job.pieces[0])
        """,
    )
    done = run_script(
        python, script, "--n", 100, "--warmups", 0, "--min-rounds", 1, "--max-rounds", 1
    )
    assert done.returncode == 1
    assert "still running" in done.stderr and "must join what it starts" in done.stderr
    _assert_gone([int(pids.read_text())])


def _valid_record(tmp_path):
    output = tmp_path / "cell.json"
    done = subprocess.run(
        [
            __import__("sys").executable,
            str(STRATEGIES / "single.py"),
            "--n",
            "50",
            "--warmups",
            "0",
            "--min-rounds",
            "1",
            "--max-rounds",
            "1",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(output.read_text())


def test_record_round_trip_and_schema(tmp_path):
    cell = _valid_record(tmp_path)
    assert cell["schema_version"] == record.SCHEMA_VERSION
    assert cell["start_method"] is None  # single starts no process
    assert record.read(tmp_path / "cell.json") == cell


def test_corrupt_record_is_refused_naming_the_file(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 1, "workload": "pri')
    with pytest.raises(record.RecordError, match="broken.json: not a readable JSON record"):
        record.read(broken)


@pytest.mark.parametrize(
    "change,where",
    [
        (lambda r: r.pop("repeats_s"), "(top level): 'repeats_s' is a required property"),
        (lambda r: r.update(correct=False), "correct: True was expected"),
        (lambda r: r.update(n=1), "n: 1 is less than the minimum of 2"),
        (
            lambda r: r.update(schema_version=99),
            f"schema_version: {record.SCHEMA_VERSION} was expected",
        ),
        (lambda r: r.pop("memory"), "(top level): 'memory' is a required property"),
    ],
)
def test_invalid_record_names_the_field(tmp_path, change, where):
    cell = _valid_record(tmp_path)
    change(cell)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(cell))
    with pytest.raises(record.RecordError, match=re.escape(f"bad.json: invalid record at {where}")):
        record.read(path)


def test_invalid_record_is_never_written(tmp_path):
    cell = _valid_record(tmp_path)
    del cell["answer"]
    target = tmp_path / "sub" / "never.json"
    with pytest.raises(record.RecordError):
        record.write(cell, target)
    assert not target.exists()
    assert not target.parent.exists()  # refused before any folder or temporary file is made


def test_wrong_answer_in_a_timed_repeat_is_caught(python, tmp_path):
    # right on the small priming run, wrong at full size
    script = fake_strategy(
        tmp_path,
        """
        def primes(job):
            return count_primes_in(job.pieces[0]) + (job.n > 1000)
        """,
    )
    done = run_script(
        python, script, "--n", 2000, "--warmups", 0, "--min-rounds", 2, "--max-rounds", 2
    )
    assert done.returncode == 3
    assert "wrong answer in round 1 (strategy): expected 303, got 304" in done.stderr
    assert done.stdout == ""


def test_start_method_asked_for_is_the_one_recorded_and_its_phases_add_up(python, tmp_path):
    output = tmp_path / "cell.json"
    done = run_script(
        python,
        STRATEGIES / "process_pool_executor.py",
        "--n",
        3000,
        "--processes",
        2,
        "--start-method",
        "spawn",
        "--warmups",
        0,
        "--min-rounds",
        2,
        "--max-rounds",
        2,
        "--output",
        output,
    )
    assert done.returncode == 0, done.stderr
    cell = record.read(output)
    assert cell["start_method"] == "spawn" and cell["answer"] == 430
    for i, total in enumerate(cell["repeats_s"]):
        parts = [
            cell["phases_s"][phase][i] for phase in ("setup", "startup", "compute", "teardown")
        ]
        assert sum(parts) == pytest.approx(total, abs=1e-9)
        assert parts[0] == 0  # primes places no data
        # start-up ends when every spawned worker runs: an interpreter start, not a method call
        assert parts[1] > 0.01


def test_cpu_affinity_pins_the_measured_processes_and_is_recorded(python, tmp_path):
    output = tmp_path / "cell.json"
    done = run_script(
        python,
        STRATEGIES / "pool_map.py",
        "--n",
        2000,
        "--processes",
        2,
        "--min-rounds",
        1,
        "--max-rounds",
        1,
        "--warmups",
        0,
        "--cpu-affinity",
        "0",
        "--output",
        output,
    )
    assert done.returncode == 0, done.stderr
    cell = record.read(output)
    assert cell["cpu_pinned"] == [0]
    assert cell["environment"]["cpu_affinity"] == [0]  # what the measured process ran on


def _burn(seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass


def test_a_cell_on_a_busy_machine_warns_in_its_log_and_says_so_in_its_record(python, tmp_path):
    output = tmp_path / "cell.json"
    hog = multiprocessing.get_context("fork").Process(target=_burn, args=(30,))
    hog.start()  # one core kept busy by a process outside the cell's tree
    try:
        done = run_script(
            python,
            STRATEGIES / "single.py",
            "--n",
            150000,
            "--split",
            "none",
            "--min-rounds",
            2,
            "--max-rounds",
            2,
            "--warmups",
            0,
            "--output",
            output,
        )
    finally:
        hog.terminate()
        hog.join()
    assert done.returncode == 0, done.stderr
    assert "mpbench: warning: machine busy during the cell: other processes kept" in done.stderr
    background = record.read(output)["background"]
    assert background["other_cpu_cores"] > 0.5  # the hog: about one core
    # it waited for quiet, in vain, then measured
    assert background["settle_s"] >= metadata.QUIET_MAX_S


def test_a_cell_on_a_quiet_machine_does_not_warn(python, tmp_path):
    output = tmp_path / "cell.json"
    done = run_script(
        python,
        STRATEGIES / "single.py",
        "--n",
        150000,
        "--split",
        "none",
        "--min-rounds",
        2,
        "--max-rounds",
        2,
        "--warmups",
        0,
        "--output",
        output,
    )
    assert done.returncode == 0, done.stderr
    assert "machine busy" not in done.stderr
    assert record.read(output)["background"]["other_cpu_cores"] < 0.25
