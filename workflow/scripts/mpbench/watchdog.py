"""Fails the cell at once when a process of the measured tree dies unexpectedly.

A worker killed mid-cell (by the kernel's out-of-memory killer, a signal, a crash) would
otherwise cost the whole cell timeout: a multiprocessing Pool replaces the dead worker and
waits forever for the task it lost. A thread of the measured process looks every POLL_S:

- at its own children (fork and spawn workers, a Manager's server), without reaping them
  (waitid with WNOWAIT: the code that owns them still joins them as usual);
- at the pools of the runs in progress (mpbench.job.WATCHED_POOLS), for a worker the pool
  replaced: the only trace a forkserver worker leaves, as it is the forkserver's child.

A death is an exit with a non-zero code or by any signal but SIGTERM, which is how
multiprocessing itself ends the workers it terminates. On one, the watchdog writes one line
naming the strategy, the process, how it died and where the cell was (mpbench.status),
then ends the measured process; its supervisor kills the rest of the tree, removes the
cell's shared memory and files, and writes no record.

Where a death leaves no trace the thread can read without disturbing the code that owns the
process (a forkserver's child outside a pool: a Process, an executor's worker, a Manager's
server), the strategy fails instead (a broken pipe, a broken pool), and `post_mortem` names
the process that died: every process the cell starts is remembered (the latest RECENT).
"""

import collections
import contextlib
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable

from mpbench import job, processes, status
from mpbench.environ import RUN_ID, SCRATCH, new_run_id
from mpbench.job import how

POLL_S = 0.05
EXIT_DIED = 4  # the exit status of a cell one of whose processes died
RECENT = 64  # processes remembered for post_mortem (each holds a file descriptor)
_started: collections.deque = collections.deque(maxlen=RECENT)
_original_start = multiprocessing.process.BaseProcess.start


def _start_and_remember(self) -> None:
    _original_start(self)
    _started.append(self)


class ProcessDied(RuntimeError):
    """A process of the cell died, and the strategy failed because of it."""


def post_mortem() -> str | None:
    """After a failure: the processes the cell started that died unexpectedly, or None."""
    dead = []
    for process in list(_started):
        try:
            code = process.exitcode  # polls: the cell is failing, nothing else waits on it
        except (OSError, ValueError):
            continue
        if _unexpected(code):
            dead.append(f"{_role(process)} {process.name} (pid {process.pid}) {how(code)}")
    return "; ".join(dead) or None


def _role(process) -> str:
    return "manager server" if "Manager" in process.name else "worker"


def _unexpected(code: int | None) -> bool:
    return code not in (None, 0, -signal.SIGTERM)


def find_death() -> tuple[object, int] | None:
    """(process, exit code) of a process of ours that died, or None."""
    for process in list(multiprocessing.process._children):
        try:
            info = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except OSError:  # not our child (the forkserver's) or reaped by its owner meanwhile
            continue
        if info is None:
            continue
        code = info.si_status if info.si_code == os.CLD_EXITED else -info.si_status
        if _unexpected(code):
            return process, code
    for pool, first_workers in list(job.WATCHED_POOLS):
        current = {id(worker) for worker in list(pool._pool)}
        for worker in first_workers:
            # a worker the pool replaced has been joined by the pool: its code is known
            code = worker._popen.returncode if worker._popen is not None else None
            if id(worker) not in current and _unexpected(code):
                return worker, code
    return None


class Watchdog:
    def __init__(self, cell_name: str):
        self.cell_name = cell_name
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="mpbench-watchdog", daemon=True)

    def __enter__(self) -> "Watchdog":
        multiprocessing.process.BaseProcess.start = _start_and_remember
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stopped.set()
        self._thread.join()
        multiprocessing.process.BaseProcess.start = _original_start

    def _watch(self) -> None:
        while not self._stopped.wait(POLL_S):
            death = find_death()
            if death is not None:
                process, code = death
                print(
                    f"mpbench: {self.cell_name}: {_role(process)} {process.name} (pid "
                    f"{process.pid}) {how(code)} during {status.now()}; the rest of the "
                    "process tree is killed, no record written",
                    file=sys.stderr,
                    flush=True,
                )
                os._exit(EXIT_DIED)


@contextlib.contextmanager
def guarded(
    cell_name: str,
    expected: tuple[type[BaseException], ...] = (),
    on_error: Callable[[], None] | None = None,
):
    """Measure a cell under the watchdog; yields (run_id, scratch).

    Its files go to $MPBENCH_SCRATCH (else a temporary folder) and its segments are named
    after $MPBENCH_RUN_ID (else a new run id); the supervisor sets both. On any error the
    processes the cell left are killed and its segments and files removed; an error caused
    by a dead process (not one of `expected`, such as a wrong answer) becomes ProcessDied,
    naming that process. `on_error` is called first (a strategy cell's kept pool is
    stopped: Job.kept), its own failure ignored: whatever it leaves is killed next.
    """
    with contextlib.ExitStack() as stack:
        scratch = os.environ.get(SCRATCH) or stack.enter_context(
            tempfile.TemporaryDirectory(prefix="mpbench-")
        )
        run_id = os.environ.get(RUN_ID) or new_run_id()
        status.open_page()
        try:
            with Watchdog(cell_name):
                yield run_id, scratch
        except BaseException as error:
            death = post_mortem()  # before the clean-up below kills what is left
            if on_error is not None:
                with contextlib.suppress(Exception):
                    on_error()
            processes.kill_descendants()
            processes.remove_segments(run_id, scratch)
            if death is not None and not isinstance(error, (*expected, KeyboardInterrupt)):
                raise ProcessDied(f"{death} during {status.now()}") from error
            raise
