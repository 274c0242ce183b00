"""Fault injection: real strategies, real signals. Every fault ends the cell within its bound,
with one line that names what happened, and leaves nothing behind: no process of the cell,
no new /dev/shm segment, no scratch folder, no record.

- a worker SIGKILLed mid-compute: the cell fails within 5 s, naming the process and signal;
- a worker stopped mid-compute (SIGSTOP: it never returns): killed at the cell's timeout,
  the message names the run and phase it hung in;
- the measured process SIGKILLed: its supervisor says so and kills the rest of the tree;
- the supervisor SIGKILLed: the measured process cleans up and ends its own tree;
- Ctrl-C (SIGINT) and SIGTERM of a real snakemake run: nothing left, and a plain rerun
  completes the run.

Each strategy runs under every start method it supports, on primes where it runs it (else
on array), with N large enough that one compute phase lasts about a second.
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from test_workflow import copy_workflow, write_config

from conftest import STRATEGIES
from mpbench import record
from mpbench.experiment import registry

pytestmark = pytest.mark.faults
SHM = Path("/dev/shm")
DETECTION_S = 5.0  # the bound on noticing a dead process
# N where a compute phase at P = 2 lasts from a third of a second to a second here
SIZE = {"primes": 1_000_000, "array": 50_000_000}
CASES = [
    pytest.param(name, method, id=f"{name}-{method}")
    for name in registry.names()
    if registry.starts_processes(name)
    for method in registry.start_methods(name)
]


def workload_of(name: str) -> str:
    return "primes" if "primes" in registry.workloads(name) else "array"


def segments() -> set[str]:
    return {path.name for path in SHM.glob("mpbench-*")}


def scratch_folders() -> set[str]:
    return {path.name for path in Path("/tmp").glob("mpbench-*")}


class Cell:
    """A strategy script running one cell, watched from outside."""

    def __init__(self, name: str, method: str, timeout: float = 120):
        workload = workload_of(name)
        self.output = Path(f"/tmp/fault-test-{name}-{method}.json")
        self.output.unlink(missing_ok=True)
        self.before = (segments(), scratch_folders())
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(STRATEGIES / f"{name}.py"),
                "--workload",
                workload,
                "--n",
                str(SIZE[workload]),
                "--processes",
                "2",
                "--start-method",
                method,
                "--min-rounds",
                "3",
                "--max-rounds",
                "3",
                "--timeout",
                str(timeout),
                "--output",
                str(self.output),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.supervisor = psutil.Process(self.process.pid)
        self.seen: set[int] = set()

    def measured(self) -> psutil.Process:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            children = self.supervisor.children()
            if children:
                return children[0]
            time.sleep(0.01)
        raise AssertionError("the measured process never started")

    def tree(self) -> list[psutil.Process]:
        processes = [self.supervisor, *self.supervisor.children(recursive=True)]
        self.seen |= {p.pid for p in processes}
        return processes

    def status(self) -> str:
        path = self.measured().environ().get("MPBENCH_STATUS")
        try:
            return Path(path).read_bytes().rstrip(b"\0").decode()
        except (OSError, TypeError):
            return ""

    def wait_for_compute(self) -> psutil.Process:
        """Wait until the strategy's first timed run is computing; return one of its workers
        (not the forkserver or the resource tracker, which belong to the interpreter)."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if re.match(r"round \d+ \(strategy\), compute", self.status()):
                workers = self.workers()
                if workers:
                    time.sleep(0.05)  # inside the phase, not at its edge
                    return workers[-1]
            time.sleep(0.01)
        raise AssertionError(f"never saw a compute phase; status {self.status()!r}")

    def workers(self) -> list[psutil.Process]:
        """The measured process's workers: its children and the forkserver's, but not the
        forkserver itself or the resource tracker."""
        measured = self.measured()
        self.tree()
        found = []
        for child in measured.children():
            try:
                command = " ".join(child.cmdline())
            except psutil.Error:
                continue
            if "resource_tracker" in command:
                continue
            if "forkserver" in command:
                found += child.children()
            else:
                found.append(child)
        return found

    def finish(self, within: float) -> tuple[int, str, float]:
        started = time.monotonic()
        try:
            _, stderr = self.process.communicate(timeout=within + 30)
        except subprocess.TimeoutExpired:  # fail, but leave nothing behind
            for pid in self.seen:
                with contextlib.suppress(psutil.Error):
                    psutil.Process(pid).kill()
            self.process.kill()
            self.process.communicate()
            raise AssertionError(
                f"the cell had not ended {within + 30:g} s after the fault"
            ) from None
        return self.process.returncode, stderr, time.monotonic() - started

    def assert_nothing_left(self) -> None:
        time.sleep(0.2)
        alive = [
            pid
            for pid in self.seen
            if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        ]
        assert alive == [], f"processes left behind: {alive}"
        assert segments() <= self.before[0], f"segments left: {segments() - self.before[0]}"
        assert scratch_folders() <= self.before[1], "scratch folder left behind"
        assert not self.output.exists(), "a record was written for a failed cell"


@pytest.mark.parametrize("name,method", CASES)
def test_a_worker_killed_mid_compute_fails_the_cell_within_5_s_naming_it(
    name, method, record_property
):
    cell = Cell(name, method)
    victim = cell.wait_for_compute()
    victim.send_signal(signal.SIGKILL)
    code, stderr, took = cell.finish(DETECTION_S)
    record_property("detection_s", round(took, 3))  # in --junitxml: the slowest, for the notes
    assert code != 0 and took <= DETECTION_S, (code, took, stderr[-2000:])
    # one line says it (dying workers may print tracebacks of their own around it, and the
    # supervisor a line on what it removed)
    said = [
        line
        for line in stderr.splitlines()
        if line.startswith(f"mpbench: {name} ") and "no record written" in line
    ]
    assert len(said) == 1, stderr[-3000:]
    assert "SIGKILL" in said[0] and f"pid {victim.pid}" in said[0], said[0]
    assert "no record written" in said[0], said[0]
    cell.assert_nothing_left()


@pytest.mark.parametrize("name,method", CASES)
def test_a_hung_worker_is_killed_at_the_timeout_naming_the_phase(name, method):
    timeout = 8
    cell = Cell(name, method, timeout=timeout)
    started = time.monotonic()
    victim = cell.wait_for_compute()
    victim.send_signal(signal.SIGSTOP)  # it never returns
    code, stderr, _ = cell.finish(timeout)
    assert time.monotonic() - started <= timeout + 5
    assert code == 124, stderr[-2000:]
    assert re.search(
        rf"cell timed out after {timeout} s during round \d+ \(strategy\), "
        "compute; process tree killed, no record written",
        stderr,
    ), stderr[-2000:]
    cell.assert_nothing_left()


@pytest.mark.parametrize("name,method", CASES)
def test_the_measured_process_killed_takes_its_workers_with_it(name, method, record_property):
    cell = Cell(name, method)
    cell.wait_for_compute()
    cell.measured().send_signal(signal.SIGKILL)
    code, stderr, took = cell.finish(DETECTION_S)
    record_property("detection_s", round(took, 3))
    assert code == 1 and took <= DETECTION_S, stderr[-2000:]
    assert re.search(
        r"the measured process \(the workers' parent\) killed by SIGKILL during "
        r"round \d+ \(strategy\), compute; process tree killed",
        stderr,
    ), stderr
    cell.assert_nothing_left()


@pytest.mark.parametrize("name,method", CASES)
def test_the_supervisor_killed_leaves_no_orphan(name, method, record_property):
    cell = Cell(name, method)
    cell.wait_for_compute()
    cell.supervisor.send_signal(signal.SIGKILL)  # no clean-up of its own can run
    # the pipes close when the last process of the tree, which inherited them, has ended
    _, stderr, took = cell.finish(DETECTION_S)
    record_property("detection_s", round(took, 3))
    assert took <= DETECTION_S, (took, stderr[-2000:])
    cell.assert_nothing_left()


QUICK = {
    "strategies": ["single", "pool_map", "shared_memory"],
    "processes": [1, 2],
    "start_methods": ["fork"],
    "rounds": {"min": 6, "max": 6},
    "workloads": [{"name": "primes", "n": [200_000, 400_000]}, {"name": "array", "n": [3_000_000]}],
}
# the bound on a stop: a QUICK cell lasts a few seconds, and SIGTERM waits for the one running
STOP_S = 60


def kill_run(run: subprocess.Popen) -> None:
    """SIGKILL a snakemake run and all it started: first itself and its jobs' shells and
    supervisors (its process group), so that each measured process cleans up after itself
    as its supervisor dies (PR_SET_PDEATHSIG); then whatever is left of their trees."""
    group = os.getpgid(run.pid)
    below = psutil.Process(run.pid).children(recursive=True)
    for process in [psutil.Process(run.pid), *below]:
        with contextlib.suppress(psutil.Error, ProcessLookupError):  # already gone
            if os.getpgid(process.pid) == group:
                process.kill()
    run.communicate()
    _, left = psutil.wait_procs(below, timeout=10)
    for process in left:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(left, timeout=10)


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_snakemake_leaves_nothing_and_a_plain_rerun_completes(tmp_path, sent):
    folder = copy_workflow(tmp_path)
    configfile = write_config(folder, QUICK)
    snakemake = str(Path(sys.executable).parent / "snakemake")
    before = (segments(), scratch_folders())
    run = subprocess.Popen(
        [snakemake, "--cores", "2", "--configfile", configfile],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    cells = folder / "results/cells"
    deadline = time.monotonic() + 120
    while len(list(cells.rglob("*.json"))) < 3:  # some cells done, one in progress
        assert time.monotonic() < deadline and run.poll() is None, "the run ended early"
        time.sleep(0.05)
    tree = {p.pid for p in psutil.Process(run.pid).children(recursive=True)}
    run.send_signal(sent)
    try:
        # SIGINT stops at once; SIGTERM is Snakemake's graceful stop: it lets the running
        # cell finish (its record is then whole) and starts no other. Either ends well
        # within STOP_S; a run still going then hangs (as Snakemake's own SIGTERM handler
        # did: mpbench/experiment/stop.py), and fails the test
        output, _ = run.communicate(timeout=STOP_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"snakemake had not ended {STOP_S} s after {sent.name}: it hangs")
    finally:  # never leave a run behind for the next test to find among its children
        if run.poll() is None:
            kill_run(run)
    assert run.returncode != 0, output[-3000:]  # the run was cut short, and says so
    if sent == signal.SIGTERM:  # the graceful stop, as asked (not a crash, not a kill)
        assert run.returncode == 1, output[-3000:]
        assert "Will exit after finishing currently running jobs" in output, output[-3000:]
    time.sleep(0.5)
    alive = [
        pid
        for pid in tree
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ]
    assert alive == [], f"left running after {sent.name}: {alive}"
    assert segments() <= before[0] and scratch_folders() <= before[1]
    done = list(cells.rglob("*.json"))
    for path in done:  # every record there is whole; no partial one, no temporary file
        record.read(path)
    assert not list(cells.rglob(".*.json.*"))
    rerun = subprocess.run(
        [snakemake, "--cores", "2", "--configfile", configfile],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "IncompleteFilesException" not in rerun.stderr
    assert len(list(cells.rglob("*.json"))) > len(done)
    assert (folder / "results/summary/cells.csv").exists()
