"""The process tree of a cell, and what else it may leave behind: what is still running
under us and how to end it; its shared memory segments and files and how to remove them.

A strategy script runs as two processes: a supervisor that only waits, and the measured
process below it, in a process group of its own, which the supervisor kills whole if the
cell's deadline passes.

multiprocessing keeps two helpers of its own alive until the parent exits (the resource
tracker, which unlinks leaked shared memory, and the forkserver). They belong to the
interpreter, not to a strategy, so they are neither counted as leftovers nor killed early;
nor is loky's own resource tracker (joblib's and loky's engines), which keeps their
memory-mapping folders until the interpreter exits.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil


def _multiprocessing_helper_pids() -> set[int]:
    pids = set()
    try:
        from multiprocessing import resource_tracker

        pids.add(resource_tracker._resource_tracker._pid)
    except (ImportError, AttributeError):
        pass
    try:
        from multiprocessing import forkserver

        pids.add(forkserver._forkserver._forkserver_pid)
    except (ImportError, AttributeError):
        pass
    for loky in ("loky", "joblib.externals.loky"):  # loky's own resource tracker, likewise
        module = sys.modules.get(f"{loky}.backend.resource_tracker")
        pids.add(getattr(getattr(module, "_resource_tracker", None), "_pid", None))
    pids.discard(None)
    return pids


def age_s() -> float:
    """Seconds since this process was created (its interpreter's start-up and imports
    included), to the kernel's clock tick (10 ms). Both ends are read on the clock since
    boot: psutil's create_time() is on the wall clock, which a VM's clock adjustments move."""
    with open("/proc/self/stat", encoding="ascii") as stat:
        started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
    since_boot = time.clock_gettime(time.CLOCK_BOOTTIME)
    return max(0.0, since_boot - started_ticks / os.sysconf("SC_CLK_TCK"))


def live_descendants(spared: set[int] = frozenset()) -> list[psutil.Process]:
    """Every process below this one that is still running, but multiprocessing's helpers
    and the `spared` pids."""
    helpers = _multiprocessing_helper_pids() | set(spared)
    alive = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.pid not in helpers and child.status() != psutil.STATUS_ZOMBIE:
                alive.append(child)
        except psutil.NoSuchProcess:
            continue
    return alive


def kill_descendants(timeout_s: float = 5.0) -> list[int]:
    """SIGKILL every live descendant (helpers spared), wait for them, return their pids."""
    victims = live_descendants()
    for process in victims:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(victims, timeout=timeout_s)
    return [process.pid for process in victims]


SHM_DIR = Path("/dev/shm")  # where POSIX shared memory segments are, on Linux


def remove_segments(
    run_id: str, scratch: str | os.PathLike | None = None, spared: set[str] = frozenset()
) -> list[str]:
    """Unlink every shared memory segment named after `run_id`, and every such file in
    `scratch`, but the `spared` paths; return their paths (empty when the run cleaned up
    after itself)."""
    found = sorted(SHM_DIR.glob(f"{run_id}*")) if SHM_DIR.is_dir() else []
    if scratch is not None:
        found += sorted(Path(scratch).glob(f"{run_id}*"))
    found = [path for path in found if str(path) not in spared]
    for path in found:
        try:
            if path.is_dir():  # a folder of files (joblib's memory-mapping folder)
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink()
        except FileNotFoundError:
            pass
    return [str(path) for path in found]


def run_in_own_group(
    command: list[str],
    env: dict,
    timeout_s: float,
    watch: Callable[[subprocess.Popen, float], int | None] | None = None,
    pass_fds: tuple[int, ...] = (),
) -> int | None:
    """Run `command` in a new session and return its exit code, or None if it timed out.

    `watch(child, deadline)` waits for the child until time.monotonic() reaches `deadline`
    (doing what it likes meanwhile, such as sampling the child's memory) and returns its
    exit code, or None at the deadline. Whatever happens, nothing it started survives: the
    whole process group is killed at once by the kernel (so a Pool cannot fork a replacement
    worker in between), on timeout, on Ctrl-C, and after a normal exit too (orphans a
    strategy forgot to join).
    """
    child = subprocess.Popen(command, env=env, start_new_session=True, pass_fds=pass_fds)
    try:
        return (watch or _wait)(child, time.monotonic() + timeout_s)
    finally:
        _kill_group(child.pid)
        child.wait()


def _wait(child: subprocess.Popen, deadline: float) -> int | None:
    try:
        return child.wait(timeout=max(deadline - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        return None


def _kill_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already empty


PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies


def end_with_parent(run_id: str, scratch: str | os.PathLike) -> None:
    """In the measured process: if its supervisor dies (even by SIGKILL, which runs no
    clean-up), remove the cell's segments and scratch files and kill the whole process group
    (its workers, the forkserver, the resource tracker), so that nothing outlives the cell.

    The kernel sends SIGTERM on the parent's death (PR_SET_PDEATHSIG); nothing else sends
    SIGTERM to the measured process, which runs in a session of its own.
    """
    import ctypes
    import shutil

    owner = os.getpid()

    def end(*_):
        if os.getpid() != owner:  # a forked worker inherited this handler: die as usual
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        remove_segments(run_id, scratch)
        shutil.rmtree(scratch, ignore_errors=True)
        os.killpg(0, signal.SIGKILL)

    signal.signal(signal.SIGTERM, end)
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:  # the supervisor died before the request was made
        end()
