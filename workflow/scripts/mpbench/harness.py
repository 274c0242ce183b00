"""The timing loop and command line shared by every strategy script.

A strategy script defines ``SPLITS`` (the splits it supports) and one function per workload
it runs, e.g. ``def primes(job: Job) -> int`` or ``def array(job: Job) -> numpy.ndarray``,
then ends with::

    if __name__ == "__main__":
        sys.exit(harness.main(__doc__, globals()))

The harness owns everything else: arguments, the input and the reference answer, warmups
and timed repeats, the answer check, the cell timeout, the clean-up of processes, shared
memory segments and files, the memory sampling (from the supervisor) and the record.
"""

import argparse
import contextlib
import importlib
import itertools
import json
import math
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

# The parent's modules (metadata, processes, record, memory: psutil, jsonschema, subprocess)
# and the array workload's numpy are imported where they are used, not here: spawn and
# forkserver workers import this module again, and every import here would be counted in
# their start-up.
from mpbench.primes import count_primes_sieve
from mpbench.split import SINGLE, SPLITS, split_work


def _array():
    from mpbench import array

    return array


@dataclass(frozen=True)
class Workload:
    """What the harness needs to know of a workload to run and check any strategy on it."""

    domain: Callable[[int], range]  # what is split among the workers, for size N
    expected: Callable[[int], object]  # the reference answer for N, computed outside the clock
    answer: Callable[[object], object]  # what a run's result is compared (and recorded) by
    splits: tuple[str, ...]  # the splits that make sense for it
    payload: Callable[[int], int | None] = lambda n: None  # bytes of data a run must hold
    write_input: Callable[[int, str], None] | None = None  # the input file, if it has one
    # imported by every worker as it starts (job.pool, job.executor, signal_ready), so that
    # a spawned worker's import of numpy counts as start-up, not as its first task's compute
    worker_modules: tuple[str, ...] = ()


WORKLOADS = {
    # count the primes in [2, N]: almost no data moves, the work is pure Python
    "primes": Workload(
        domain=lambda n: range(2, n + 1), expected=count_primes_sieve, answer=lambda count: count,
        splits=(SINGLE, *SPLITS)),
    # an element-wise numpy kernel over N float64s: data movement is the cost (mpbench.array)
    "array": Workload(
        domain=lambda n: range(n), expected=lambda n: _array().expected_digest(n),
        answer=lambda output: _array().digest(output), splits=(SINGLE, "static"),
        payload=lambda n: _array().payload_bytes(n),
        write_input=lambda n, path: _array().write_input(n, path),
        worker_modules=("mpbench.array",)),
}
PHASES = ("setup", "startup", "compute", "teardown")
# Before any warmup, one untimed run of the same strategy and P on N = min(N, PRIMING_N):
# it imports every module the strategy uses and starts multiprocessing's helpers, so that
# no timed run pays a cold start (10-40 ms here), at a cost of milliseconds, not a full run.
PRIMING_N = 1000
READY_POLL_S = 0.05  # how often a parent waiting for its workers to start checks on them
# The interpreters' own memory (the baseline a cell's peak memory is judged against) is the
# median of this many samples taken with an empty pool, this far apart:
BASELINE_SAMPLES, BASELINE_GAP_S = 3, 0.02

EXIT_FAILED, EXIT_WRONG_ANSWER, EXIT_TIMEOUT = 1, 3, 124  # 2: bad arguments (argparse)
# Set by the supervisor in the measured process's environment:
SUPERVISED = "MPBENCH_SUPERVISED"  # "1": this process is the measured one
RUN_ID = "MPBENCH_RUN_ID"  # prefix of every shared memory segment and file the cell makes
SCRATCH = "MPBENCH_SCRATCH"  # folder for the cell's input file and file-backed data
RAW_RECORD = "MPBENCH_RAW_RECORD"  # where the measured process leaves its record
SAMPLER = "MPBENCH_SAMPLER"  # "requests,replies": file descriptors to ask for a memory sample
_names = itertools.count()  # makes segment names unique within a process


def new_run_id() -> str:
    """A prefix no other run on this machine uses: two runs never collide in /dev/shm."""
    return f"mpbench-{os.getpid()}-{secrets.token_hex(4)}"


class WrongAnswer(AssertionError):
    def __init__(self, expected, got, run: str):
        super().__init__(f"wrong answer in {run}: expected {expected}, got {got}")


class LeftoverProcesses(RuntimeError):
    pass


class LeftoverSegments(RuntimeError):
    pass


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
    marks: dict[str, float] = field(default_factory=dict)
    paused_s: float = 0.0  # time the clock stood still while a memory sample was taken
    _cleanups: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def lap(self, phase: str) -> None:
        """Mark the end of `phase` ('setup', 'startup' or 'compute'); teardown is what
        follows. A strategy that places no data marks no setup (it counts as 0).

        At the end of compute, when all of the run's data still exists, the supervisor
        takes a memory sample while the clock stands still (see mpbench.memory).
        """
        self.marks[phase] = time.perf_counter()
        if phase == "compute":
            self.paused_s += _sample_memory_now()

    def read_input(self, out=None):
        """The array workload's input: read into `out` (any writable float64 buffer of N
        elements, e.g. a view of shared memory), or into a new numpy array."""
        import numpy as np

        out = np.empty(self.n) if out is None else np.frombuffer(out, dtype=np.float64)
        if len(out) != self.n:
            raise ValueError(f"input buffer holds {len(out)} float64s, the input {self.n}")
        return _array().read_into(self.input_path, out)

    def segment_name(self, tag: str) -> str:
        """A name for a shared memory segment (or a file in `scratch`) that no other run
        uses and that the harness finds if it is left behind."""
        return f"{self.run_id}-{tag}-{next(_names)}"

    def scratch_file(self, tag: str) -> Path:
        """A path in the cell's scratch folder for file-backed data, named like a segment."""
        return Path(self.scratch) / self.segment_name(tag)

    def defer(self, callback: Callable, *args) -> None:
        """Call `callback(*args)` once the run's result has been checked, or on an error.

        For what must outlive the strategy call: the shared memory that holds the output the
        strategy returns. Deferred calls run after the clock stops, last registered first.
        """
        self._cleanups.callback(callback, *args)

    def release(self) -> None:
        """Run the deferred clean-ups (the harness calls this)."""
        self._cleanups.close()

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
        pool = self.context.Pool(self.processes, _ready_after,
                                 (ready, initializer, initargs, self.workload))
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

    @contextlib.contextmanager
    def executor(self, initializer: Callable | None = None, initargs: tuple = ()):
        """A concurrent.futures.ProcessPoolExecutor of `processes` workers, phases marked
        like `pool`. Its workers start on demand as tasks arrive (under spawn and
        forkserver); one no-op task per worker starts them all before compute begins."""
        from concurrent.futures import ProcessPoolExecutor

        ready = self.ready_signal()
        executor = ProcessPoolExecutor(self.processes, self.context, _ready_after,
                                       (ready, initializer, initargs, self.workload))
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


def _sample_memory_now() -> float:
    """Ask the supervisor for a memory sample and wait for it; return the seconds waited
    (0 when not supervised)."""
    channel = os.environ.get(SAMPLER)
    if not channel:
        return 0.0
    requests, replies = map(int, channel.split(","))
    started = time.perf_counter()
    os.write(requests, b"s")
    if not os.read(replies, 1):
        raise RuntimeError("the supervisor's memory sampler is gone")
    return time.perf_counter() - started


def failures(workers: list) -> str | None:
    """Which of these Process objects exited with an error, or None."""
    failed = [w for w in workers if w.exitcode not in (None, 0)]
    return ", ".join(f"pid {w.pid}: exit {w.exitcode}" for w in failed) or None


def signal_ready(ready, workload: str | None = None) -> None:
    """In a worker: import what `workload`'s tasks need, then tell the parent this worker
    is running (Job.started waits for it)."""
    if workload is not None:
        for module in WORKLOADS[workload].worker_modules:
            importlib.import_module(module)
    ready.release()


def _ready_after(ready, initializer: Callable | None, initargs: tuple,
                 workload: str | None = None) -> None:
    if initializer is not None:
        initializer(*initargs)
    signal_ready(ready, workload)


def _nothing() -> None:
    pass


@dataclass
class Measurement:
    answer: object
    warmups_s: list[float]
    repeats_s: list[float]
    phases_s: dict[str, list[float] | None]
    windows: list[list[float]]  # each timed repeat's [start, end of its check], perf_counter


def _phases_of(job: Job, started: float, finished: float) -> dict[str, float] | None:
    if not {"startup", "compute"} <= set(job.marks):  # (the harness adds "checked")
        return None
    setup_end = job.marks.get("setup", started)
    return {
        "setup": setup_end - started,
        "startup": job.marks["startup"] - setup_end,
        "compute": job.marks["compute"] - job.marks["startup"],
        "teardown": finished - job.marks["compute"] - job.paused_s,
    }


def checked_run(run: Callable[[Job], object], job: Job, expected, label: str):
    """One run of the strategy: (answer, start, end) on the clock, then the checks.

    Only the strategy call is inside the clock; the job (its pieces) is built before it,
    and the answer check, the deferred clean-ups and the leftover checks come after it.
    """
    from mpbench import processes

    try:
        started = time.perf_counter()
        result = run(job)
        finished = time.perf_counter()
        answer = WORKLOADS[job.workload].answer(result)
        job.marks["checked"] = time.perf_counter()
        del result  # the last view of the output, so that its shared memory can be freed
    finally:
        job.release()
    if answer != expected:
        raise WrongAnswer(expected, answer, label)
    leftovers = processes.live_descendants()
    if leftovers:
        processes.kill_descendants()
        raise LeftoverProcesses(
            f"{label} returned with {len(leftovers)} process(es) still running "
            f"(pids {[p.pid for p in leftovers]}); every strategy must join what it starts"
        )
    left = processes.remove_segments(job.run_id, job.scratch)
    if left:
        raise LeftoverSegments(
            f"{label} returned leaving {', '.join(left)} behind; every strategy must unlink "
            "the shared memory and files it makes (or hand them to job.defer)")
    return answer, started, finished


def measure(run: Callable[[Job], object], make_job: Callable[[], Job], expected,
            warmups: int, repeats: int) -> Measurement:
    """Run `warmups` untimed then `repeats` timed runs, each checked against `expected`."""
    totals, phase_runs, windows, answer = [], [], [], None
    for index in range(warmups + repeats):
        label = f"warmup {index + 1}" if index < warmups else f"repeat {index - warmups + 1}"
        job = make_job()
        answer, started, finished = checked_run(run, job, expected, label)
        totals.append(finished - started - job.paused_s)
        phase_runs.append(_phases_of(job, started, finished))
        # the memory window runs on while the output is checked: the run's data is all still
        # there, so a peak at the very end of the run is caught by a sample after it
        windows.append([started, job.marks["checked"]])
    timed = phase_runs[warmups:]
    phases_s = {
        phase: None if any(p is None for p in timed) else [p[phase] for p in timed]
        for phase in PHASES
    }
    return Measurement(answer, totals[:warmups], totals[warmups:], phases_s, windows[warmups:])


def hold_empty_pool(context, workers: int, workload: str) -> list[float]:
    """Run `workers` idle workers (none: the parent alone) while the supervisor takes
    BASELINE_SAMPLES memory samples, BASELINE_GAP_S apart; return the window.

    Those samples are the interpreters' own memory: the baseline a cell's peak is judged
    against. The workers start like a Pool's (under spawn they import the strategy's script,
    as its workers do) and hold no data.
    """
    def hold() -> list[float]:
        started = time.perf_counter()
        for _ in range(BASELINE_SAMPLES):
            _sample_memory_now()
            time.sleep(BASELINE_GAP_S)
        return [started, time.perf_counter()]

    if workers == 0:
        return hold()
    ready = context.Semaphore(0)
    with context.Pool(workers, _ready_after, (ready, None, (), workload)) as pool:
        for _ in range(workers):
            ready.acquire()
        window = hold()
        pool.close()
        pool.join()
    return window


def workloads_of(namespace: dict) -> list[str]:
    return [name for name in WORKLOADS if callable(namespace.get(name))]


def _cell_fields(namespace: dict, strategy: str, workload: str, n: int, processes_: int,
                 split: str, start_method: str) -> dict:
    """What names a cell in its record, measured or skipped."""
    from mpbench import record

    return {
        "schema_version": record.SCHEMA_VERSION,
        "workload": workload,
        "strategy": strategy,
        "reference": is_reference(namespace),
        "split": split,
        "n": n,
        "processes": processes_,
        "start_method": start_method if starts_processes(namespace) else None,
        "payload_bytes": WORKLOADS[workload].payload(n),
    }


def run_cell(namespace: dict, strategy: str, workload: str, n: int, processes_: int,
             split: str, warmups: int, repeats: int, timeout_s: float,
             start_method: str, cpu_pinned: list[int] | None = None) -> dict:
    """Measure one cell of the strategy defined in `namespace` and return its record.

    The cell has passed check_cell and its start method resolve_start_method (main() does
    both before it starts anything). Its files go to $MPBENCH_SCRATCH (else a temporary
    folder) and its segments are named after $MPBENCH_RUN_ID (else a new run id); the
    supervisor sets both. The record's "windows" (the baseline's and each repeat's
    [start, end]) are what the supervisor turns into "memory".
    """
    with contextlib.ExitStack() as stack:
        scratch = os.environ.get(SCRATCH) or stack.enter_context(
            tempfile.TemporaryDirectory(prefix="mpbench-"))
        return _run_cell(namespace, strategy, workload, n, processes_, split, warmups,
                         repeats, timeout_s, start_method, cpu_pinned, scratch,
                         os.environ.get(RUN_ID) or new_run_id())


def _run_cell(namespace, strategy, workload, n, processes_, split, warmups, repeats, timeout_s,
              start_method, cpu_pinned, scratch, run_id) -> dict:
    from mpbench import metadata, processes

    spec = WORKLOADS[workload]
    context = multiprocessing.get_context(start_method)
    priming_n = min(n, PRIMING_N)
    pieces = {size: split_work(size, processes_, split, spec.domain(size))
              for size in (priming_n, n)}

    def job_maker(size: int) -> Callable[[], Job]:
        path = input_path(workload, size, scratch)
        return lambda: Job(workload, size, processes_, split, pieces[size], context, path,
                           scratch, run_id)

    expected = prepare(workload, sorted(pieces), scratch)
    make_priming_job, make_job = job_maker(priming_n), job_maker(n)
    environment = metadata.collect()
    settle_s = metadata.wait_for_quiet()
    load_before, started_at = metadata.load_average(), metadata.now_iso()
    activity = metadata.Activity.now()
    try:
        checked_run(namespace[workload], make_priming_job(), expected[priming_n], "priming run")
        baseline = hold_empty_pool(context, processes_ if starts_processes(namespace) else 0,
                                   workload)
        result = measure(namespace[workload], make_job, expected[n], warmups, repeats)
    except BaseException:
        processes.kill_descendants()
        processes.remove_segments(run_id, scratch)
        raise
    background = {**metadata.Activity.now().since(activity), "settle_s": settle_s}
    load_after = metadata.load_average()
    warning = metadata.busy_warning(background, load_before, load_after)
    if warning:
        print(f"mpbench: warning: {warning}", file=sys.stderr, flush=True)
    return {
        **_cell_fields(namespace, strategy, workload, n, processes_, split,
                       context.get_start_method()),
        "pieces": len(pieces[n]),
        "priming_n": priming_n,
        "answer": result.answer,
        "expected": expected[n],
        "correct": True,
        "warmups_s": result.warmups_s,
        "repeats_s": result.repeats_s,
        "phases_s": result.phases_s,
        "windows": {"baseline": baseline, "repeats": result.windows},
        "timeout_s": timeout_s,
        "started_at": started_at,
        "finished_at": metadata.now_iso(),
        "load_before": load_before,
        "load_after": load_after,
        "background": background,
        "cpu_pinned": cpu_pinned,
        "environment": environment,
    }


def input_path(workload: str, n: int, scratch: str) -> str | None:
    """Where the input file of size n is (None for a workload without one)."""
    if WORKLOADS[workload].write_input is None:
        return None
    return str(Path(scratch) / f"input-{workload}-n{n}")


def _prepare_one(workload: str, n: int, scratch: str):
    spec = WORKLOADS[workload]
    if spec.write_input is not None:
        spec.write_input(n, input_path(workload, n, scratch))
    return spec.expected(n)


def prepare(workload: str, sizes: list[int], scratch: str) -> dict[int, object]:
    """Write the input files and compute the expected answers, {size: answer}.

    Done in a child process, so that the measured process's heap never held these arrays:
    the C allocator keeps freed memory for reuse, and the memory baseline would otherwise
    count pages that the strategy later fills with its own data.
    """
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with context.Pool(1) as pool:
        answers = pool.starmap(_prepare_one, [(workload, n, scratch) for n in sizes])
    return dict(zip(sizes, answers))


def skipped_cell(namespace: dict, strategy: str, workload: str, n: int, processes_: int,
                 split: str, start_method: str, size_limit: int) -> dict:
    """The record of a cell above the strategy's size limit: nothing is run."""
    from mpbench import metadata

    return {
        **_cell_fields(namespace, strategy, workload, n, processes_, split, start_method),
        "skipped": f"above the limit: n = {n} > size limit {size_limit} for {strategy} "
                   f"on {workload} (config key size_limits)",
        "size_limit": size_limit,
        "started_at": metadata.now_iso(),
        "environment": metadata.collect(),
    }


def check_cell(namespace: dict, strategy: str, workload: str, n: int, processes_: int,
               split: str) -> None:
    """Refuse a cell the strategy cannot run, naming what is allowed."""
    workloads = workloads_of(namespace)
    if workload not in workloads:
        raise ValueError(f"strategy {strategy!r} does not run workload {workload!r}; "
                         f"it runs: {', '.join(workloads) or 'none'}")
    splits = namespace["SPLITS"]
    if split not in splits:
        raise ValueError(f"strategy {strategy!r} has no split {split!r}; "
                         f"allowed: {', '.join(splits)}")
    allowed = WORKLOADS[workload].splits
    if split not in allowed:
        raise ValueError(f"workload {workload!r} has no split {split!r}; "
                         f"allowed: {', '.join(allowed)}")
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n}")
    if processes_ < 1:
        raise ValueError(f"processes must be >= 1, got {processes_}")
    if split == SINGLE and processes_ != 1:
        raise ValueError(f"strategy {strategy!r} runs in one process (split {SINGLE!r}); "
                         f"processes must be 1, got {processes_}")


# What a strategy script declares about itself, read here only (the registry asks these too).
def starts_processes(namespace: dict) -> bool:
    """False for strategies that run in one process (STARTS_PROCESSES = False)."""
    return bool(namespace.get("STARTS_PROCESSES", True))


def supported_start_methods(namespace: dict) -> tuple[str, ...]:
    """The start methods it runs under: START_METHODS if it lists them, else all this
    platform has, in either case only those this platform has."""
    available = multiprocessing.get_all_start_methods()
    return tuple(m for m in namespace.get("START_METHODS", available) if m in available)


DATA_PATHS = ("copies", "zero-copy")


def data_path(namespace: dict) -> str:
    """How the array workload's data reaches the workers: DATA_PATH = "zero-copy" where the
    workers compute in the buffers the parent reads (shared memory, mappings, threads),
    else "copies" (the default: pickles, pipes, proxies)."""
    path = namespace.get("DATA_PATH", "copies")
    if path not in DATA_PATHS:
        raise ValueError(f"DATA_PATH must be one of {', '.join(DATA_PATHS)}, got {path!r}")
    return path


def is_reference(namespace: dict) -> bool:
    """A reference row (REFERENCE = True), such as a better algorithm in one process."""
    return bool(namespace.get("REFERENCE", False))


def resolve_start_method(namespace: dict, strategy: str, requested: str | None) -> str:
    """The start method to use: the one asked for, else the platform's default.

    A strategy that works under some methods only lists them in START_METHODS; its first
    one is used when the platform's default is not among them. A strategy that starts no
    process (STARTS_PROCESSES = False) refuses to be given one.
    """
    if requested is not None and not starts_processes(namespace):
        raise ValueError(f"strategy {strategy!r} starts no process, so --start-method does "
                         "not apply to it")
    allowed = supported_start_methods(namespace)
    if requested is None:
        default = multiprocessing.get_context().get_start_method()
        return default if default in allowed else allowed[0]
    if requested not in allowed:
        raise ValueError(f"strategy {strategy!r} cannot run under start method {requested!r}; "
                         f"allowed: {', '.join(allowed)}")
    return requested


def _bounded_int(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}")
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {value}")
        return value

    return parse


def _cpu_list(text: str) -> list[int]:
    """--cpu-affinity: CPU numbers, comma-separated, each one this process may run on."""
    available = sorted(os.sched_getaffinity(0))
    try:
        cpus = sorted({int(part) for part in text.split(",")})
    except ValueError:
        cpus = []
    if not cpus or any(cpu not in available for cpu in cpus):
        raise argparse.ArgumentTypeError(
            f"must be CPU numbers separated by commas, from {', '.join(map(str, available))}; "
            f"got {text!r}")
    return cpus


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}")
    return value


def parser_for(description: str, namespace: dict, strategy: str) -> argparse.ArgumentParser:
    splits = namespace["SPLITS"]
    parser = argparse.ArgumentParser(
        prog=f"{strategy}.py", description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit status: 0 record written, 2 bad arguments, 3 wrong answer, "
               "124 timed out, 1 any other failure (no record is written on failure).",
    )
    workloads = workloads_of(namespace)
    parser.add_argument("--workload", choices=workloads, default=workloads[0])
    parser.add_argument("--n", type=_bounded_int(2), required=True,
                        help="problem size: count primes in [2, N] (primes), or N float64s (array)")
    parser.add_argument("--processes", type=_bounded_int(1), default=1,
                        help="number of workers P (default: 1)")
    parser.add_argument("--split", choices=splits, default=None,
                        help="how the work is cut (default: the last of these that the "
                             "workload has)")
    parser.add_argument("--warmups", type=_bounded_int(0), default=1, help="untimed runs (default: 1)")
    parser.add_argument("--repeats", type=_bounded_int(1), default=3, help="timed runs (default: 3)")
    parser.add_argument("--timeout", type=_positive_float, default=600.0,
                        help="seconds for the whole cell before its process tree is killed (default: 600)")
    parser.add_argument("--start-method", choices=multiprocessing.get_all_start_methods(),
                        default=None, help="multiprocessing start method (default: the platform's)")
    parser.add_argument("--cpu-affinity", type=_cpu_list, default=None, metavar="CPUS",
                        help="pin the measured processes to these CPUs, e.g. 0,1 (default: not pinned)")
    parser.add_argument("--size-limit", type=_bounded_int(2), default=None, metavar="N",
                        help="above this N, run nothing and write a record that says the cell "
                             "was skipped (default: no limit)")
    parser.add_argument("--output", type=Path,
                        help="write the JSON record here (default: print it)")
    return parser


def supervise(script: str, argv: list[str], timeout_s: float, cell_name: str,
              output: Path | None) -> int:
    """Run this same command as the measured process, in its own process group, sampling
    its process tree's memory from outside; then complete and write its record.

    Whatever happens to the measured process, no process, shared memory segment or file of
    the cell survives (the group is killed, segments named after the run id are unlinked,
    the scratch folder is removed), and no record is written unless it succeeded.
    """
    from mpbench import memory, processes

    run_id = new_run_id()
    with tempfile.TemporaryDirectory(prefix=f"{run_id}-") as scratch:
        raw = Path(scratch) / "record.json"
        environment = {**os.environ, SUPERVISED: "1", RUN_ID: run_id, SCRATCH: scratch,
                       RAW_RECORD: str(raw)}
        sampler = memory.TreeSampler()
        requests, asks = os.pipe()  # the measured process asks for a sample ...
        answers, replies = os.pipe()  # ... and waits for the answer
        environment[SAMPLER] = f"{asks},{answers}"

        def watch(child, deadline):
            os.close(asks)
            os.close(answers)
            return sampler.watch(child, deadline, requests, replies)

        try:
            code = processes.run_in_own_group([sys.executable, script, *argv], environment,
                                              timeout_s, watch, pass_fds=(asks, answers))
        finally:
            for descriptor in (requests, replies):
                os.close(descriptor)
        left = processes.remove_segments(run_id, scratch)
        if left:
            print(f"mpbench: {cell_name}: removed what the cell left behind: {', '.join(left)}",
                  file=sys.stderr, flush=True)
        if code is None:
            print(f"mpbench: {cell_name}: cell timed out after {timeout_s:g} s; process tree "
                  "killed, no record written", file=sys.stderr, flush=True)
            return EXIT_TIMEOUT
        if code != 0:
            return code if code > 0 else EXIT_FAILED
        cell = json.loads(raw.read_text(encoding="utf-8"))
    cell["memory"] = sampler.summary(cell.pop("windows"), cell["payload_bytes"])
    _emit(cell, output)
    return 0


def _emit(cell: dict, output: Path | None) -> None:
    from mpbench import record

    if output is None:
        print(json.dumps(record.validate(cell), indent=2, sort_keys=True))
    else:
        record.write(cell, output)


def main(description: str, namespace: dict, argv: list[str] | None = None) -> int:
    """Command line of a strategy script; exits with the status documented in --help."""
    strategy = Path(namespace["__file__"]).stem
    parser = parser_for(description, namespace, strategy)
    args = parser.parse_args(argv)
    if args.split is None:
        allowed = [s for s in namespace["SPLITS"] if s in WORKLOADS[args.workload].splits]
        args.split = allowed[-1] if allowed else namespace["SPLITS"][-1]
    try:  # refuse a cell the strategy cannot run before starting anything
        check_cell(namespace, strategy, args.workload, args.n, args.processes, args.split)
        start_method = resolve_start_method(namespace, strategy, args.start_method)
    except ValueError as error:
        parser.error(str(error))
    cell_name = f"{strategy} {args.workload} (n={args.n}, processes={args.processes}, " \
        f"split={args.split}" + (f", start method {start_method})"
                                 if starts_processes(namespace) else ")")
    if args.size_limit is not None and args.n > args.size_limit:
        cell = skipped_cell(namespace, strategy, args.workload, args.n, args.processes,
                            args.split, start_method, args.size_limit)
        print(f"mpbench: {cell_name}: skipped, {cell['skipped']}", file=sys.stderr)
        _emit(cell, args.output)
        return 0
    if args.cpu_affinity is not None:  # inherited by the measured process and its workers
        os.sched_setaffinity(0, args.cpu_affinity)
    if os.environ.get(SUPERVISED) != "1":
        return supervise(namespace["__file__"], sys.argv[1:] if argv is None else argv,
                         args.timeout, cell_name, args.output)
    try:
        cell = run_cell(namespace, strategy, args.workload, args.n, args.processes,
                        args.split, args.warmups, args.repeats, args.timeout, start_method,
                        args.cpu_affinity)
    except WrongAnswer as error:
        print(f"mpbench: {cell_name}: {error}; no record written", file=sys.stderr)
        sys.exit(EXIT_WRONG_ANSWER)
    except (LeftoverProcesses, LeftoverSegments) as error:
        print(f"mpbench: {cell_name}: {error}; no record written", file=sys.stderr)
        sys.exit(EXIT_FAILED)
    raw = os.environ.get(RAW_RECORD)
    if raw:  # the supervisor adds the memory it sampled, then writes the record
        Path(raw).write_text(json.dumps(cell), encoding="utf-8")
    else:
        print(json.dumps(cell, indent=2, sort_keys=True))
    return 0
