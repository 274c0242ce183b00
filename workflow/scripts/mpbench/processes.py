"""The process tree of a cell: what is still running under us, and how to end it.

A strategy script runs as two processes: a supervisor that only waits, and the measured
process below it, in a process group of its own, which the supervisor kills whole if the
cell's deadline passes.

multiprocessing keeps two helpers of its own alive until the parent exits (the resource
tracker, which unlinks leaked shared memory, and the forkserver). They belong to the
interpreter, not to a strategy, so they are neither counted as leftovers nor killed early.
"""

import os
import signal
import subprocess

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
    pids.discard(None)
    return pids


def live_descendants() -> list[psutil.Process]:
    """Every process below this one that is still running, but multiprocessing's helpers."""
    helpers = _multiprocessing_helper_pids()
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


def run_in_own_group(command: list[str], env: dict, timeout_s: float) -> int | None:
    """Run `command` in a new session and return its exit code, or None if it timed out.

    Whatever happens, nothing it started survives: the whole process group is killed at
    once by the kernel (so a Pool cannot fork a replacement worker in between), on timeout,
    on Ctrl-C, and after a normal exit too (orphans a strategy forgot to join).
    """
    child = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        return child.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return None
    finally:
        _kill_group(child.pid)
        child.wait()


def _kill_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already empty
