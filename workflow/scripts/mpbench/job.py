"""What a strategy is given: the Job of one run, and the helpers that start its workers.

This is the module strategy scripts and their workers import, so it stays small: the
parent's timing loop (mpbench.timing), the record and the supervisor live elsewhere, and
spawned or forkserver workers never import them. A strategy script::

    from mpbench.job import Job

    SPLITS = ("static", "dynamic")

    def primes(job: Job) -> int: ...

    if __name__ == "__main__":
        from mpbench.cli import main  # only the measured process imports the command line

        sys.exit(main(__doc__, globals()))
"""

import contextlib
import importlib
import itertools
import multiprocessing
import os
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mpbench import status
from mpbench.environ import REPLY, SAMPLE, SAMPLER, new_run_id
from mpbench.workloads import WORKLOADS

READY_POLL_S = 0.05  # how often a parent waiting for its workers to start checks on them
# The pools of the runs in progress, each with its first workers: a Pool replaces a worker
# that dies and then waits forever for the task it lost, so mpbench.watchdog looks here
# for a worker the pool has replaced.
WATCHED_POOLS: list[tuple[object, list]] = []
# What a strategy keeps alive across the runs of a cell (Job.kept): name -> Kept. The
# harness spares its processes in the check after each run and stops it when the cell ends.
KEPT: dict[str, "Kept"] = {}
# The files and folders of what is kept (Job.kept_path): spared by the check after each run.
KEPT_PATHS: set[str] = set()
# What the strategy's engine says of the cell (Job.note), written into the record as "engine".
NOTES: dict[str, object] = {}
_names = itertools.count()  # makes segment names unique within a process


@dataclass
class Job:
    """What one run of a strategy is asked to do, and where it marks its phases.

    `pieces` are ranges of the workload's domain (numbers to test for primes, indexes of
    the array); `input_path` is the array workload's input file.
    """

    workload: str
    n: int
    processes: int
    split: str
    pieces: list[range]
    context: multiprocessing.context.BaseContext
    input_path: str | None = None
    scratch: str = field(default_factory=tempfile.gettempdir)
    run_id: str = field(default_factory=new_run_id)
    sample_memory: bool = False  # a memory run: a sample at the end of compute (mpbench.timing)
    scheduler: str | None = None  # an existing cluster's address (EXISTING_CLUSTER strategies)
    marks: dict[str, float] = field(default_factory=dict)
    paused_s: float = 0.0  # time the clock stood still while a memory sample was taken
    _cleanups: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def lap(self, phase: str) -> None:
        """Mark the end of `phase` ('setup', 'startup' or 'compute'); teardown is what
        follows. A strategy that places no data marks no setup (it counts as 0).

        At the end of compute of a memory run (`sample_memory`), when all of the run's data
        still exists, the supervisor takes a memory sample while the clock stands still (see
        mpbench.memory); a timed run asks for none.
        """
        self.marks[phase] = time.perf_counter()
        status.phase_ended(phase)
        if phase == "compute" and self.sample_memory:
            self.paused_s += ask_sampler()  # one sample, waited for

    def read_input(self, out=None):
        """The array workload's input: read into `out` (any writable float64 buffer of N
        elements, e.g. a view of shared memory), or into a new numpy array."""
        import numpy as np

        from mpbench.array import read_into

        out = np.empty(self.n) if out is None else np.frombuffer(out, dtype=np.float64)
        if len(out) != self.n:
            raise ValueError(f"input buffer holds {len(out)} float64s, the input {self.n}")
        return read_into(self.input_path, out)

    def segment_name(self, tag: str) -> str:
        """A name for a shared memory segment (or a file in `scratch`) that no other run
        uses and that the harness finds if it is left behind."""
        return f"{self.run_id}-{tag}-{next(_names)}"

    def scratch_file(self, tag: str) -> Path:
        """A path in the cell's scratch folder for file-backed data, named like a segment."""
        return Path(self.scratch) / self.segment_name(tag)

    def kept_path(self, tag: str, folder: str | os.PathLike | None = None) -> Path:
        """A path (in `folder`, default the scratch folder) for a file or folder of a resource
        kept across runs (Job.kept): named like a segment, so that a failed cell's clean-up
        removes it, but spared by the check after each run; the resource's stop removes it."""
        path = Path(folder or self.scratch) / self.segment_name(tag)
        KEPT_PATHS.add(str(path))
        return path

    def defer(self, callback: Callable, *args) -> None:
        """Call `callback(*args)` once the run's result has been checked, or on an error.

        For what must outlive the strategy call: the shared memory that holds the output the
        strategy returns. Deferred calls run after the clock stops, last registered first.
        """
        self._cleanups.callback(callback, *args)

    def release(self) -> None:
        """Run the deferred clean-ups (the harness calls this)."""
        self._cleanups.close()

    def loky_executor(self):
        """loky's reusable executor of `processes` workers (loky starts them its own way, fork
        then exec), once every one of them runs: the end of start-up. The caller shuts it
        down (loky_cold) or keeps it across runs (loky_warm, with `kept`)."""
        from loky import get_reusable_executor
        from loky.backend import get_context

        ready = get_context("loky").Semaphore(0)  # inherited by loky's workers as they start
        executor = get_reusable_executor(
            max_workers=self.processes,
            timeout=None,  # no idle timeout: the workers end when the executor is shut down
            reuse=False,
            initializer=ready_after,
            initargs=(ready, None, (), self.workload),
        )
        executor.submit(int).result()  # the first task starts all of its workers
        self.started(ready, self.processes)
        return executor

    def note(self, **facts) -> None:
        """Record what the strategy's engine did in this cell (e.g. its cluster, whether
        the data was memory-mapped): the record's "engine" field, as the last run saw it."""
        NOTES.update(facts)

    def kept(self, name: str, start: Callable[[], object], stop: Callable[[object], None]):
        """A resource that outlives the run (a warm pool): `start()` makes it in the first
        run that asks for `name`, later runs of the cell get the same one, and `stop(it)` is
        called once, when the cell ends (or fails). The processes that appear while `start`
        runs are its own: the harness's check for leftovers after each run spares them, and
        checks that none is left once it is stopped. The memory baseline's idle workers are
        then the kept pool's own (mpbench.cell)."""
        if name not in KEPT:
            import psutil  # the measured process only: workers never call this

            def tree() -> set[int]:
                return {p.pid for p in psutil.Process().children(recursive=True)}

            before = tree()
            resource = start()
            KEPT[name] = Kept(resource, stop, frozenset(tree() - before))
        return KEPT[name].resource

    def warm(self, name: str, start: Callable[[], object], stop: Callable[[object], None]):
        """`kept(name, start, stop)` for a warm pool: the first run's start-up ends once
        `start` has its workers running (it calls `started`), a later run's at once."""
        resource = self.kept(name, start, stop)
        if "startup" not in self.marks:  # a later run: the workers were already running
            self.lap("startup")
        return resource

    def warm_pool(self):
        """A multiprocessing.Pool of `processes` workers kept across the cell's runs (a
        warm `pool`): started by the cell's first run, watched for a dead worker while it is
        kept, terminated when the cell ends. The caller marks the end of compute."""

        def start():
            ready = self.ready_signal()
            pool = self.context.Pool(self.processes, ready_after, (ready, None, (), self.workload))
            watched = (pool, list(pool._pool))
            WATCHED_POOLS.append(watched)
            try:
                self.started(ready, self.processes)
            except BaseException:
                stop((pool, watched))
                raise
            return pool, watched

        def stop(kept) -> None:
            pool, watched = kept
            pool.terminate()  # idle workers, or a failed cell's: nothing is waited for
            pool.join()
            WATCHED_POOLS.remove(watched)

        return self.warm("multiprocessing pool", start, stop)[0]

    def warm_executor(self):
        """A ProcessPoolExecutor of `processes` workers kept across the cell's runs (a warm
        `executor`), all started by the cell's first run, shut down when the cell ends."""

        def start():
            from concurrent.futures import ProcessPoolExecutor

            ready = self.ready_signal()
            initargs = (ready, None, (), self.workload)
            executor = ProcessPoolExecutor(self.processes, self.context, ready_after, initargs)
            try:
                for _ in range(self.processes):
                    executor.submit(_nothing)
                self.started(ready, self.processes)
            except BaseException:
                executor.shutdown(wait=True, cancel_futures=True)
                raise
            return executor

        return self.warm(
            "process pool executor", start, lambda e: e.shutdown(wait=True, cancel_futures=True)
        )

    def ready_signal(self):
        """A semaphore each worker releases once it runs (see `signal_ready`)."""
        return self.context.Semaphore(0)

    def started(self, ready, workers: int, failed: Callable[[], str | None] = lambda: None) -> None:
        """Wait until `workers` workers have signalled `ready`, then mark the end of start-up.

        Start-up ends when every worker is running, not when the parent's call returns:
        Pool() and Process.start() return before a spawned child has even imported its
        modules, and that cost would otherwise be counted as compute. `failed` says why
        waiting is pointless (a worker died), or None; the cell's timeout bounds the rest.
        """
        signalled = 0
        while signalled < workers:
            if ready.acquire(timeout=READY_POLL_S):
                signalled += 1
            elif (reason := failed()) is not None:
                raise RuntimeError(f"a worker failed to start: {reason}")
        self.lap("startup")

    @contextlib.contextmanager
    def running(self, workers: list, ready):
        """Run `workers` (Process objects, not started, each calling signal_ready(ready)).

        Starts them and waits until each runs (the end of start-up); on an error terminates
        them; in any case joins them before leaving, so no worker outlives the run.
        """
        try:
            for worker in workers:
                worker.start()
            self.started(ready, len(workers), lambda: failures(workers))
            yield
        except BaseException:
            for worker in workers:
                if worker.is_alive():
                    worker.terminate()
            raise
        finally:
            for worker in workers:
                if worker.pid is not None:
                    worker.join()

    @contextlib.contextmanager
    def pool(self, initializer: Callable | None = None, initargs: tuple = ()):
        """A multiprocessing.Pool of `processes` workers with an honest lifecycle.

        Shared objects reach the workers through `initializer(*initargs)`, which runs once
        in each worker as it starts: the portable way (under spawn and forkserver, globals
        set in the parent are not seen by the children).

        Start-up ends once every worker is running, compute ends when the body is done;
        teardown is close() and join(), so the workers' exit is paid inside the timed run.
        On an error the pool is terminated instead, so no worker outlives the run.
        """
        ready = self.ready_signal()
        pool = self.context.Pool(
            self.processes, ready_after, (ready, initializer, initargs, self.workload)
        )
        watched = (pool, list(pool._pool))
        WATCHED_POOLS.append(watched)
        try:
            self.started(ready, self.processes)
            yield pool
            self.lap("compute")
            pool.close()
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()
            WATCHED_POOLS.remove(watched)

    @contextlib.contextmanager
    def executor(self, initializer: Callable | None = None, initargs: tuple = ()):
        """A concurrent.futures.ProcessPoolExecutor of `processes` workers, phases marked
        like `pool`. Its workers start on demand as tasks arrive (under spawn and
        forkserver); one no-op task per worker starts them all before compute begins."""
        from concurrent.futures import ProcessPoolExecutor

        ready = self.ready_signal()
        executor = ProcessPoolExecutor(
            self.processes, self.context, ready_after, (ready, initializer, initargs, self.workload)
        )
        try:
            for _ in range(self.processes):
                executor.submit(_nothing)
            self.started(ready, self.processes)
            yield executor
            self.lap("compute")
        except BaseException:
            executor.shutdown(wait=True, cancel_futures=True)
            raise
        executor.shutdown(wait=True)


@dataclass
class Kept:
    """A resource kept alive across the runs of a cell (a warm pool), its processes and how
    to stop it."""

    resource: object
    stop: Callable[[object], None]
    pids: frozenset[int]


def kept_pids() -> set[int]:
    """The processes of every resource kept alive across runs (spared by the leftover check)."""
    return {pid for kept in KEPT.values() for pid in kept.pids}


def stop_kept() -> None:
    """Stop every kept resource, last started first (the harness calls this as the cell
    ends, and on a failure)."""
    try:
        while KEPT:
            _, kept = KEPT.popitem()
            kept.stop(kept.resource)
    finally:
        KEPT_PATHS.clear()


def ask_sampler(request: bytes = SAMPLE) -> float:
    """Ask the supervisor's memory sampler for `request` (mpbench.environ: a sample, periodic
    sampling on or off) and wait until it is done; return the seconds waited (0 when not
    supervised)."""
    channel = os.environ.get(SAMPLER)
    if not channel:
        return 0.0
    requests, replies = map(int, channel.split(","))
    started = time.perf_counter()
    os.write(requests, request)
    if os.read(replies, 1) != REPLY:
        raise RuntimeError("the supervisor's memory sampler is gone")
    return time.perf_counter() - started


def how(code: int) -> str:
    """'killed by SIGKILL' or 'exited with code 3', for an exit code in multiprocessing's form."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


def failures(workers: list) -> str | None:
    """Which of these Process objects exited with an error, or None."""
    failed = [w for w in workers if w.exitcode not in (None, 0)]
    return ", ".join(f"{w.name} (pid {w.pid}) {how(w.exitcode)}" for w in failed) or None


def signal_ready(ready, workload: str | None = None) -> None:
    """In a worker: import what `workload`'s tasks need, then tell the parent this worker
    is running (Job.started waits for it)."""
    if workload is not None:
        for module in WORKLOADS[workload].worker_modules:
            importlib.import_module(module)
    ready.release()


def ready_after(
    ready, initializer: Callable | None, initargs: tuple, workload: str | None = None
) -> None:
    """A worker's initializer: the strategy's own, then `signal_ready`."""
    if initializer is not None:
        initializer(*initargs)
    signal_ready(ready, workload)


def _nothing() -> None:
    pass
