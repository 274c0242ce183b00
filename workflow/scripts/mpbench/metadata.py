"""What a record carries, so that it can be judged later (see docs/method.md)."""

import datetime
import os
import platform
import resource
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path

import psutil

from mpbench import NUMERIC_THREAD_VARIABLES
from mpbench.environ import SUPERVISED

PROJECT_ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("numpy", "psutil", "jsonschema")
# The Slurm job a process runs in, from the variables Slurm sets in a job's environment
# (record field environment.slurm; docs/slurm.md): all null outside Slurm.
SLURM_VARIABLES = {
    "job_id": "SLURM_JOB_ID",
    "node": "SLURMD_NODENAME",
    "partition": "SLURM_JOB_PARTITION",
}


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def slurm_job(environ=os.environ) -> dict[str, str | None]:
    """Job id, node and partition of the Slurm job this process runs in (None outside one)."""
    return {key: environ.get(name) or None for key, name in SLURM_VARIABLES.items()}


def _package_versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def project_revision() -> dict[str, object]:
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def collect() -> dict[str, object]:
    """The machine, interpreter and project this process runs on (not timed)."""
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "cpu_affinity": sorted(os.sched_getaffinity(0)),
        "python_version": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "python_build": " ".join(platform.python_build()) + " / " + platform.python_compiler(),
        "gil_enabled": True if is_gil_enabled is None else bool(is_gil_enabled()),
        "packages": _package_versions(),
        "numeric_threads": {name: os.environ.get(name) for name in NUMERIC_THREAD_VARIABLES},
        "project": project_revision(),
        "slurm": slurm_job(),
    }


# A cell "ran on a busy machine" when processes outside its own tree kept, on average, more
# than this many cores busy while it ran. (The load average is recorded too, but it is a
# one-minute moving average that still holds the previous cells' own workers.)
BUSY_CORES = 0.25
STOLEN_FLAG = 0.05  # ... or when the hypervisor stole more than this share of the CPU time


def _own_cpu_s() -> float:
    """CPU time of this process's whole tree: itself, the children it has waited for, and
    the descendants still alive (such as the forkserver, with the workers it has reaped);
    and of its supervisor, whose memory sampling is the cell's cost, reported on its own
    (memory.sampler in the record), not another process's."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    if os.environ.get(SUPERVISED) == "1":
        try:
            supervisor = psutil.Process(os.getppid()).cpu_times()
            total += supervisor.user + supervisor.system
        except psutil.Error:
            pass
    for process in psutil.Process().children(recursive=True):
        try:
            times = process.cpu_times()
        except psutil.Error:  # exited meanwhile: counted once it is reaped
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


@dataclass
class Activity:
    """Machine-wide CPU counters at one moment, to tell later what else was running."""

    wall: float
    busy_s: float
    steal_s: float
    own_s: float

    @classmethod
    def now(cls) -> "Activity":
        times = psutil.cpu_times()
        busy = sum(
            getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq")
        )
        return cls(time.monotonic(), busy, getattr(times, "steal", 0.0), _own_cpu_s())

    def since(self, start: "Activity") -> dict[str, float]:
        """Mean cores kept busy by other processes, and the share of CPU time stolen."""
        wall = max(self.wall - start.wall, 1e-9)
        other = max(0.0, (self.busy_s - start.busy_s) - (self.own_s - start.own_s))
        cores = psutil.cpu_count() or 1
        return {
            "wall_s": round(wall, 3),
            "other_cpu_cores": round(other / wall, 3),
            "steal_fraction": round(max(0.0, self.steal_s - start.steal_s) / (wall * cores), 4),
        }


QUIET_WINDOW_S = 0.1  # how long each look at the machine lasts while waiting for quiet
# Never wait longer than this for the machine to settle: paired rounds cancel what slows
# both sides of a round, so the wait only protects the first round from Snakemake's own
# bookkeeping after a job launch (about 0.1-0.3 s), not the whole cell.
QUIET_MAX_S = 1.0


def wait_for_quiet(max_s: float = QUIET_MAX_S) -> float:
    """Wait (at most `max_s`) until other processes keep at most a tenth of BUSY_CORES busy
    over a QUIET_WINDOW_S window; return the seconds waited.

    Run just before a cell is measured: the workflow engine that launched this job does its
    bookkeeping right after the launch, and on a 2-core machine a short cell would otherwise
    share the CPU with it.
    """
    started = time.monotonic()
    while True:
        before = Activity.now()
        time.sleep(QUIET_WINDOW_S)
        if Activity.now().since(before)["other_cpu_cores"] <= BUSY_CORES / 10:
            break
        if time.monotonic() - started >= max_s:
            break
    return round(time.monotonic() - started, 3)


def is_busy(background: dict[str, float]) -> bool:
    """Whether other processes or the hypervisor took too much CPU while the cell ran."""
    return background["other_cpu_cores"] > BUSY_CORES or background["steal_fraction"] > STOLEN_FLAG


def busy_warning(background: dict[str, float], load_before, load_after) -> str | None:
    """A line for the log when the machine was not quiet during the cell, else None."""
    if not is_busy(background):
        return None
    return (
        f"machine busy during the cell: other processes kept {background['other_cpu_cores']:.2f} "
        f"cores busy on average, {background['steal_fraction']:.1%} of CPU time stolen by the "
        f"hypervisor (load average before {load_before[0]}, after {load_after[0]}); "
        "its timings may be slow or noisy"
    )
