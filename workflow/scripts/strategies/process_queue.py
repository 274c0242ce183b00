"""process_queue: one multiprocessing.Process per worker, counts back through a Queue.

The blog post's first parallel version, made correct for every N and P:
- static: each of the P processes is given one range as an argument (the post's way);
- dynamic: the P processes take ranges from a task Queue until they get a stop sentinel.
The parent reads every result before joining (a child that has put data on a Queue does
not exit until it is read), and fails at once if a worker dies instead of waiting forever.
"""

import queue
import sys

import _bootstrap  # noqa: F401
from mpbench import harness
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
POLL_S = 0.05  # how often the parent looks for a dead worker while it waits for results


def count_range(numbers: range, results, ready) -> None:
    harness.signal_ready(ready)
    results.put(count_primes_in(numbers))


def count_tasks(tasks, results, ready) -> None:
    harness.signal_ready(ready)
    for numbers in iter(tasks.get, None):
        results.put(count_primes_in(numbers))


def failures(workers: list) -> str | None:
    failed = [w for w in workers if w.exitcode not in (None, 0)]
    return ", ".join(f"pid {w.pid}: exit {w.exitcode}" for w in failed) or None


def receive(results, expected: int, workers: list) -> list[int]:
    """`expected` items from `results`, raising if a worker exits with an error first."""
    received = []
    while len(received) < expected:
        try:
            received.append(results.get(timeout=POLL_S))
        except queue.Empty:
            if (failed := failures(workers)) is not None:
                raise RuntimeError(f"worker died before sending its count ({failed})")
    return received


def primes(job: harness.Job) -> int:
    ctx = job.context
    results, ready = ctx.Queue(), job.ready_signal()
    if job.split == "static":
        workers = [ctx.Process(target=count_range, args=(numbers, results, ready))
                   for numbers in job.pieces]
    else:
        tasks = ctx.Queue()
        workers = [ctx.Process(target=count_tasks, args=(tasks, results, ready))
                   for _ in range(job.processes)]
    try:
        for worker in workers:
            worker.start()
        job.started(ready, len(workers), lambda: failures(workers))
        if job.split == "dynamic":
            for numbers in [*job.pieces, *[None] * job.processes]:
                tasks.put(numbers)
        counts = receive(results, len(job.pieces), workers)
        job.lap("compute")
    except BaseException:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        raise
    finally:
        for worker in workers:
            if worker.pid is not None:
                worker.join()
    return sum(counts)


if __name__ == "__main__":
    sys.exit(harness.main(__doc__, globals()))
