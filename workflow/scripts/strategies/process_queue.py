"""process_queue: one multiprocessing.Process per worker, results back through a Queue.

The blog post's first parallel version, made correct for every N and P:
- primes, static: each of the P processes is given one range as an argument (the post's way);
- primes, dynamic: the P processes take ranges from a task Queue until a stop sentinel;
- array: the P processes take their slice of the input from a task Queue and put their
  slice of the output on the result Queue (both pickled, through a pipe, by a feeder thread).
The parent reads every result before joining (a child that has put data on a Queue does
not exit until it is read), and fails at once if a worker dies instead of waiting forever.
"""

import queue
import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job, failures, signal_ready
from mpbench.primes import count_primes_in

SPLITS = ("static", "dynamic")
POLL_S = 0.05  # how often the parent looks for a dead worker while it waits for results


def count_range(numbers: range, results, ready) -> None:
    signal_ready(ready)
    results.put(count_primes_in(numbers))


def count_tasks(tasks, results, ready) -> None:
    signal_ready(ready)
    for numbers in iter(tasks.get, None):
        results.put(count_primes_in(numbers))


def receive(results, expected: int, workers: list) -> list:
    """`expected` items from `results`, raising if a worker exits with an error first."""
    received = []
    while len(received) < expected:
        try:
            received.append(results.get(timeout=POLL_S))
        except queue.Empty:
            if (failed := failures(workers)) is not None:
                raise RuntimeError(f"worker died before sending its result ({failed})") from None
    return received


def primes(job: Job) -> int:
    ctx = job.context
    results, ready = ctx.Queue(), job.ready_signal()
    if job.split == "static":
        workers = [
            ctx.Process(target=count_range, args=(numbers, results, ready))
            for numbers in job.pieces
        ]
    else:
        tasks = ctx.Queue()
        workers = [
            ctx.Process(target=count_tasks, args=(tasks, results, ready))
            for _ in range(job.processes)
        ]
    with job.running(workers, ready):
        if job.split == "dynamic":
            for numbers in [*job.pieces, *[None] * job.processes]:
                tasks.put(numbers)
        counts = receive(results, len(job.pieces), workers)
        job.lap("compute")
    return sum(counts)


def compute_tasks(tasks, results, ready) -> None:
    signal_ready(ready, "array")  # imports numpy and the kernel: start-up
    from mpbench.array import compute

    for index, data in iter(tasks.get, None):
        results.put((index, compute(data)))


def array(job: Job):
    import numpy as np  # here, not at the top: spawned primes workers would import it too

    data = job.read_input()
    job.lap("setup")
    ctx = job.context
    tasks, results, ready = ctx.Queue(), ctx.Queue(), job.ready_signal()
    workers = [
        ctx.Process(target=compute_tasks, args=(tasks, results, ready))
        for _ in range(job.processes)
    ]
    with job.running(workers, ready):
        for index, piece in enumerate(job.pieces):
            tasks.put((index, data[piece.start : piece.stop]))
        for _ in workers:
            tasks.put(None)
        output = np.empty(job.n)
        for _ in job.pieces:  # place each slice as it arrives
            ((index, part),) = receive(results, 1, workers)
            piece = job.pieces[index]
            output[piece.start : piece.stop] = part
        job.lap("compute")
    return output


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
