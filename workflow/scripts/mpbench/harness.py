"""The timing loop and command line shared by every strategy script.

A strategy script defines ``SPLITS`` (the splits it supports) and one function per workload
it runs, e.g. ``def primes(job: Job) -> int``, then ends with::

    if __name__ == "__main__":
        sys.exit(harness.main(__doc__, globals()))

The harness owns everything else: arguments, the reference answer, warmups and timed
repeats, the answer check, the cell timeout, the process-tree clean-up and the record.
"""

import argparse
import contextlib
import json
import math
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

# The parent's modules (metadata, processes, record: psutil, jsonschema, subprocess) are
# imported where they are used, not here: spawn and forkserver workers import this module
# again, and every import here would be counted in their start-up.
from mpbench.primes import count_primes_sieve
from mpbench.split import SINGLE, split_work

# Workload name -> function giving the expected answer for N, computed outside the clock.
EXPECTED = {"primes": count_primes_sieve}
PHASES = ("startup", "compute", "teardown")
# Before any warmup, one untimed run of the same strategy and P on N = min(N, PRIMING_N):
# it imports every module the strategy uses and starts multiprocessing's helpers, so that
# no timed run pays a cold start (10-40 ms here), at a cost of milliseconds, not a full run.
PRIMING_N = 1000
READY_POLL_S = 0.05  # how often a parent waiting for its workers to start checks on them

EXIT_FAILED, EXIT_WRONG_ANSWER, EXIT_TIMEOUT = 1, 3, 124  # 2: bad arguments (argparse)
SUPERVISED = "MPBENCH_SUPERVISED"  # set in the measured process by its supervisor


class WrongAnswer(AssertionError):
    def __init__(self, expected, got, run: str):
        super().__init__(f"wrong answer in {run}: expected {expected}, got {got}")


class LeftoverProcesses(RuntimeError):
    pass


@dataclass
class Job:
    """What one run of a strategy is asked to do, and where it marks its phases."""

    workload: str
    n: int
    processes: int
    split: str
    pieces: list[range]
    context: multiprocessing.context.BaseContext
    marks: dict[str, float] = field(default_factory=dict)

    def lap(self, phase: str) -> None:
        """Mark the end of `phase` ('startup' or 'compute'); teardown is what follows."""
        self.marks[phase] = time.perf_counter()

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
        pool = self.context.Pool(self.processes, _ready_after, (ready, initializer, initargs))
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
                                       (ready, initializer, initargs))
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


def signal_ready(ready) -> None:
    """In a worker: tell the parent this worker is running (Job.started waits for it)."""
    ready.release()


def _ready_after(ready, initializer: Callable | None, initargs: tuple) -> None:
    if initializer is not None:
        initializer(*initargs)
    signal_ready(ready)


def _nothing() -> None:
    pass


@dataclass
class Measurement:
    answer: object
    warmups_s: list[float]
    repeats_s: list[float]
    phases_s: dict[str, list[float] | None]


def _phases_of(job: Job, started: float, finished: float) -> dict[str, float] | None:
    if set(job.marks) != {"startup", "compute"}:
        return None
    return {
        "startup": job.marks["startup"] - started,
        "compute": job.marks["compute"] - job.marks["startup"],
        "teardown": finished - job.marks["compute"],
    }


def checked_run(run: Callable[[Job], object], job: Job, expected, label: str):
    """One run of the strategy: (answer, start, end) on the clock, then the checks.

    Only the strategy call is inside the clock; the job (its pieces) is built before it and
    the answer check and leftover-process check after it.
    """
    from mpbench import processes

    started = time.perf_counter()
    answer = run(job)
    finished = time.perf_counter()
    if answer != expected:
        raise WrongAnswer(expected, answer, label)
    leftovers = processes.live_descendants()
    if leftovers:
        processes.kill_descendants()
        raise LeftoverProcesses(
            f"{label} returned with {len(leftovers)} process(es) still running "
            f"(pids {[p.pid for p in leftovers]}); every strategy must join what it starts"
        )
    return answer, started, finished


def measure(run: Callable[[Job], object], make_job: Callable[[], Job], expected,
            warmups: int, repeats: int) -> Measurement:
    """Run `warmups` untimed then `repeats` timed runs, each checked against `expected`."""
    totals, phase_runs, answer = [], [], None
    for index in range(warmups + repeats):
        label = f"warmup {index + 1}" if index < warmups else f"repeat {index - warmups + 1}"
        job = make_job()
        answer, started, finished = checked_run(run, job, expected, label)
        totals.append(finished - started)
        phase_runs.append(_phases_of(job, started, finished))
    timed = phase_runs[warmups:]
    phases_s = {
        phase: None if any(p is None for p in timed) else [p[phase] for p in timed]
        for phase in PHASES
    }
    return Measurement(answer, totals[:warmups], totals[warmups:], phases_s)


def workloads_of(namespace: dict) -> list[str]:
    return [name for name in EXPECTED if callable(namespace.get(name))]


def run_cell(namespace: dict, strategy: str, workload: str, n: int, processes_: int,
             split: str, warmups: int, repeats: int, timeout_s: float,
             start_method: str, cpu_pinned: list[int] | None = None) -> dict:
    """Measure one cell of the strategy defined in `namespace` and return its record.

    The cell has passed check_cell and its start method resolve_start_method (main() does
    both before it starts anything).
    """
    from mpbench import metadata, processes, record

    context = multiprocessing.get_context(start_method)
    expected = EXPECTED[workload](n)
    environment = metadata.collect()
    settle_s = metadata.wait_for_quiet()
    load_before, started_at = metadata.load_average(), metadata.now_iso()
    activity = metadata.Activity.now()

    pieces = split_work(n, processes_, split)
    priming_n = min(n, PRIMING_N)
    priming_job = Job(workload, priming_n, processes_, split,
                      split_work(priming_n, processes_, split), context)

    def make_job() -> Job:
        return Job(workload, n, processes_, split, pieces, context)

    try:
        checked_run(namespace[workload], priming_job, EXPECTED[workload](priming_n), "priming run")
        result = measure(namespace[workload], make_job, expected, warmups, repeats)
    except BaseException:
        processes.kill_descendants()
        raise
    background = {**metadata.Activity.now().since(activity), "settle_s": settle_s}
    load_after = metadata.load_average()
    warning = metadata.busy_warning(background, load_before, load_after)
    if warning:
        print(f"mpbench: warning: {warning}", file=sys.stderr, flush=True)
    return {
        "schema_version": record.SCHEMA_VERSION,
        "workload": workload,
        "strategy": strategy,
        "reference": is_reference(namespace),
        "split": split,
        "n": n,
        "processes": processes_,
        "start_method": context.get_start_method() if starts_processes(namespace) else None,
        "pieces": len(pieces),
        "priming_n": priming_n,
        "answer": result.answer,
        "expected": expected,
        "correct": True,
        "warmups_s": result.warmups_s,
        "repeats_s": result.repeats_s,
        "phases_s": result.phases_s,
        "timeout_s": timeout_s,
        "started_at": started_at,
        "finished_at": metadata.now_iso(),
        "load_before": load_before,
        "load_after": load_after,
        "background": background,
        "cpu_pinned": cpu_pinned,
        "environment": environment,
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
                        help="problem size: count primes in [2, N]")
    parser.add_argument("--processes", type=_bounded_int(1), default=1,
                        help="number of workers P (default: 1)")
    parser.add_argument("--split", choices=splits, default=splits[-1],
                        help=f"how the range is cut (default: {splits[-1]})")
    parser.add_argument("--warmups", type=_bounded_int(0), default=1, help="untimed runs (default: 1)")
    parser.add_argument("--repeats", type=_bounded_int(1), default=3, help="timed runs (default: 3)")
    parser.add_argument("--timeout", type=_positive_float, default=600.0,
                        help="seconds for the whole cell before its process tree is killed (default: 600)")
    parser.add_argument("--start-method", choices=multiprocessing.get_all_start_methods(),
                        default=None, help="multiprocessing start method (default: the platform's)")
    parser.add_argument("--cpu-affinity", type=_cpu_list, default=None, metavar="CPUS",
                        help="pin the measured processes to these CPUs, e.g. 0,1 (default: not pinned)")
    parser.add_argument("--output", type=Path,
                        help="write the JSON record here (default: print it)")
    return parser


def supervise(script: str, argv: list[str], timeout_s: float, cell_name: str) -> int:
    """Run this same command as the measured process, in its own process group."""
    from mpbench import processes

    command = [sys.executable, script, *argv]
    code = processes.run_in_own_group(command, {**os.environ, SUPERVISED: "1"}, timeout_s)
    if code is None:
        print(f"mpbench: {cell_name}: cell timed out after {timeout_s:g} s; process tree "
              "killed, no record written", file=sys.stderr, flush=True)
        return EXIT_TIMEOUT
    return code if code >= 0 else EXIT_FAILED


def main(description: str, namespace: dict, argv: list[str] | None = None) -> int:
    """Command line of a strategy script; exits with the status documented in --help."""
    strategy = Path(namespace["__file__"]).stem
    parser = parser_for(description, namespace, strategy)
    args = parser.parse_args(argv)
    try:  # refuse a cell the strategy cannot run before starting anything
        check_cell(namespace, strategy, args.workload, args.n, args.processes, args.split)
        start_method = resolve_start_method(namespace, strategy, args.start_method)
    except ValueError as error:
        parser.error(str(error))
    cell_name = f"{strategy} (n={args.n}, processes={args.processes}, split={args.split}" + (
        f", start method {start_method})" if starts_processes(namespace) else ")")
    if args.cpu_affinity is not None:  # inherited by the measured process and its workers
        os.sched_setaffinity(0, args.cpu_affinity)
    if os.environ.get(SUPERVISED) != "1":
        return supervise(namespace["__file__"], sys.argv[1:] if argv is None else argv,
                         args.timeout, cell_name)
    try:
        cell = run_cell(namespace, strategy, args.workload, args.n, args.processes,
                        args.split, args.warmups, args.repeats, args.timeout, start_method,
                        args.cpu_affinity)
    except WrongAnswer as error:
        print(f"mpbench: {cell_name}: {error}; no record written", file=sys.stderr)
        sys.exit(EXIT_WRONG_ANSWER)
    if args.output is None:
        print(json.dumps(cell, indent=2, sort_keys=True))
    else:
        from mpbench import record

        record.write(cell, args.output)
    return 0
