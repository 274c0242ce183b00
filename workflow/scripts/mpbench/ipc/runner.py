"""One ipc cell, measured in this process (the receiver): its senders, its batches, its record.

The P senders start first and say they are ready; only then does a batch begin, so no
start-up is timed. A batch asks each sender for `count` messages (or round trips, or counter
updates); the count is calibrated first, doubling (or scaled up from the last batch's time)
until a batch lasts at least `min_batch_s`, and the cell then times `repeats` batches of
that count (a batch that falls short is run again with more). Every message is checked
(mpbench.ipc.payload) outside the clock; a wrong one fails the cell with CorruptMessage
and no record.

- stream: the receiver's clock runs from the moment it tells the senders to go until the
  last message is in, less the time spent checking each message as it arrives;
- pingpong: each sender times each round trip itself (the receiver echoes); the batch's
  time is the slowest sender's total, the echoes are checked by their senders;
- counter: the receiver's clock runs from "go" until every sender says it is done; the
  counter is then checked: P x count.
"""

import contextlib
import itertools
import math
import multiprocessing
import os
import time
from dataclasses import dataclass, field

from mpbench import metadata, stats, status
from mpbench.ipc import sender as sending
from mpbench.ipc.mechanism import Mechanism
from mpbench.ipc.payload import Checker, CorruptMessage, pattern, stamp
from mpbench.ipc.record import SCHEMA_VERSION
from mpbench.timing import check_leftovers
from mpbench.watchdog import guarded

GROWTH_MAX = 64  # calibration scales a batch up by at most this factor at a time
GROWTH_MARGIN = 1.2  # ... aiming this far past min_batch_s
P99 = 0.99


@dataclass(frozen=True)
class Cell:
    mechanism: Mechanism
    pattern: str
    n: int
    processes: int
    start_method: str | None  # None for a mechanism that starts no process

    @property
    def name(self) -> str:
        method = f", start method {self.start_method}" if self.start_method else ""
        return (
            f"ipc {self.mechanism.name} {self.pattern} (n={self.n}, "
            f"processes={self.processes}{method})"
        )

    def fields(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "ipc",
            "mechanism": self.mechanism.name,
            "pattern": self.pattern,
            "reference": self.mechanism.reference,
            "n": self.n,
            "processes": self.processes,
            "start_method": self.start_method,
        }


@dataclass
class Batch:
    messages: int  # all senders
    seconds: float
    check_s: float
    round_trips: list[float] = field(default_factory=list)  # pingpong: every sender's


class Senders:
    """The sender processes of a cell, each with a control pipe (mpbench.ipc.sender)."""

    def __init__(self, context, endpoints: list, n: int):
        self.controls, self.processes, self._theirs = [], [], []
        for index, endpoint in enumerate(endpoints):
            ours, theirs = context.Pipe()
            self.controls.append(ours)
            self._theirs.append(theirs)
            self.processes.append(
                context.Process(
                    target=sending.main, args=(index, endpoint, theirs, n), name=f"sender-{index}"
                )
            )

    def __enter__(self) -> "Senders":
        for process in self.processes:
            process.start()
        for theirs in self._theirs:
            theirs.close()  # only the sender holds its end now: its death means EOF
        for control in self.controls:
            if control.recv() != sending.READY:
                raise RuntimeError("a sender did not start")
        return self

    def __exit__(self, error_type, *_) -> None:
        try:
            if error_type is None:
                for control in self.controls:
                    control.send(None)
            else:
                for process in self.processes:
                    if process.is_alive():
                        process.terminate()
            for process in self.processes:
                process.join()
        finally:
            for control in self.controls:
                control.close()

    def go(self, pattern_: str, count: int) -> None:
        for control in self.controls:
            control.send((pattern_, count))

    def feed(self) -> None:
        """(Senders in other processes send by themselves.)"""

    def collect(self) -> list[dict]:
        """Every sender's answer to the batch; CorruptMessage if one saw a wrong echo."""
        answers = [control.recv() for control in self.controls]
        wrong = [text for kind, text in answers if kind == "corrupt"]
        if wrong:
            raise CorruptMessage("; ".join(wrong))
        return [results for _, results in answers]


class InProcess(Senders):
    """The one sender of an IN_PROCESS mechanism: the receiver itself, between receives."""

    def __init__(self, endpoints: list, n: int):
        (self.endpoint,) = endpoints
        self.message, self.sequence = pattern(n), 0

    def __enter__(self) -> "InProcess":
        self.endpoint.attach()
        return self

    def __exit__(self, *_) -> None:
        self.endpoint.close()

    def go(self, pattern_: str, count: int) -> None:
        pass

    def feed(self) -> None:
        stamp(self.message, 0, self.sequence)
        self.endpoint.send(self.message)
        self.sequence += 1

    def collect(self) -> list[dict]:
        return [{}]


def _stream(channel, senders: Senders, checker: Checker, count: int) -> Batch:
    clock, check_s, messages = time.perf_counter, 0.0, count * checker.senders
    started = clock()
    senders.go("stream", count)
    for _ in range(messages):
        senders.feed()
        sender, message = channel.receive()
        checking = clock()
        checker.check(message, sender)
        check_s += clock() - checking
    seconds = clock() - started - check_s
    senders.collect()
    return Batch(messages, seconds, check_s)


def _pingpong(channel, senders: Senders, checker: Checker, count: int) -> Batch:
    processes = checker.senders
    senders.go("pingpong", count)
    for _ in range(count * processes):
        sender, message = channel.receive()
        if sender is None:  # the message names it: its first byte (mpbench.ipc.payload)
            sender = memoryview(message).cast("B")[0]
            if sender >= processes:
                raise CorruptMessage(f"a message names sender {sender} of {processes}")
        channel.reply(sender, message)
    results = senders.collect()
    return Batch(
        count * processes,
        max(sum(r["round_trips"]) for r in results),
        sum(r["check_s"] for r in results),
        [t for r in results for t in r["round_trips"]],
    )


def _counter(channel, senders: Senders, checker: Checker, count: int) -> Batch:
    clock, processes = time.perf_counter, checker.senders
    channel.reset()
    started = clock()
    senders.go("counter", count)
    senders.collect()
    seconds = clock() - started
    value = channel.value()
    if value != processes * count:
        raise CorruptMessage(
            f"the counter is {value} after {processes} writers added 1 {count} times each; "
            f"expected {processes * count}"
        )
    return Batch(count * processes, seconds, clock() - started - seconds)


BATCHES = {"stream": _stream, "pingpong": _pingpong, "counter": _counter}


def grown(count: int, seconds: float, min_batch_s: float) -> int:
    """More messages per sender, for a batch of `count` that lasted only `seconds`."""
    wanted = math.ceil(count * GROWTH_MARGIN * min_batch_s / max(seconds, 1e-9))
    return min(count * GROWTH_MAX, max(count * 2, wanted))


def timed_batches(run_batch, repeats: int, min_batch_s: float) -> list[Batch]:
    """`repeats` batches that each last at least `min_batch_s`. The messages per sender are
    calibrated first (from 1, batches checked, not kept); a batch that still falls short
    (the first ones run on a cold cache) is not kept either, and the count grows again."""
    count, label = 1, "calibration"
    batches: list[Batch] = []
    while len(batches) < repeats:
        batch = run_batch(count, label)
        if batch.seconds < min_batch_s:
            count = grown(count, batch.seconds, min_batch_s)
        elif label == "calibration":
            label = "batch 1"
        else:
            batches.append(batch)
            label = f"batch {len(batches) + 1}"
    return batches


def run_cell(cell: Cell, repeats: int, min_batch_s: float) -> dict:
    """Measure one cell and return its record (checked by the caller before it is written).
    The cell has passed Mechanism.check_cell."""
    with guarded(cell.name, (CorruptMessage,)) as (run_id, scratch):
        return _run_cell(cell, repeats, min_batch_s, run_id, scratch)


def _run_cell(cell: Cell, repeats: int, min_batch_s: float, run_id: str, scratch: str) -> dict:
    serial = itertools.count()

    def names(tag: str) -> str:
        return f"{run_id}-{tag}-{next(serial)}"

    environment = metadata.collect()
    started_at = metadata.now_iso()
    context = None if cell.mechanism.in_process else multiprocessing.get_context(cell.start_method)
    checker = Checker(cell.n, cell.processes)
    status.enter("opening the channel", "")
    channel = cell.mechanism.open(context, cell.processes, cell.n, names)
    try:
        endpoints = channel.endpoints
        status.enter("starting the senders", "")
        senders = (
            InProcess(endpoints, cell.n)
            if cell.mechanism.in_process
            else Senders(context, endpoints, cell.n)
        )
        batch = BATCHES[cell.pattern]
        with senders:

            def run_batch(count: int, label: str) -> Batch:
                status.enter(f"{label} ({cell.pattern}, {count} per sender)", "")
                return batch(channel, senders, checker, count)

            with pinned(senders) as placement:
                status.enter("settling before the batches", "")
                metadata.wait_for_quiet()  # as a strategy's cell does (mpbench.metadata)
                batches = timed_batches(run_batch, repeats, min_batch_s)
        security = channel.security()
    finally:
        channel.close()
    check_leftovers(f"{cell.name}", run_id, scratch, "mechanism")
    return {
        **cell.fields(),
        "repeats": repeats,
        "min_batch_s": min_batch_s,
        "messages": [b.messages for b in batches],
        "batch_s": [b.seconds for b in batches],
        "per_message_s": [
            stats.median(b.round_trips) if cell.pattern == "pingpong" else b.seconds / b.messages
            for b in batches
        ],
        "latency_s": latency(batches) if cell.pattern == "pingpong" else None,
        "throughput_Bps": (
            [b.messages * cell.n / b.seconds for b in batches] if cell.pattern == "stream" else None
        ),
        "checked": True,
        "check_s": sum(b.check_s for b in batches),
        "security": security,
        "placement": placement,
        "started_at": started_at,
        "finished_at": metadata.now_iso(),
        "environment": environment,
    }


@contextlib.contextmanager
def pinned(senders: Senders):
    """Pin the receiver to the first CPU this process may use and sender i to the
    (i + 1)-th, round the CPUs: each cell's processes sit where every other cell's do.

    Left to the scheduler, a sender and its receiver sometimes shared a CPU and sometimes
    not, from one cell to the next; on the 2-vCPU development VM a raw-pipe round trip then
    took 6.7 us (one CPU: a context switch) or 42 us (two: waking the other vCPU), so cells
    of one run could not be compared. Pinned, one sender always runs on another CPU than the
    receiver, as the workers of a parallel program do. Yields where each runs (None on a
    machine with one CPU); the receiver's own CPUs are given back on the way out."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        yield None
        return
    os.sched_setaffinity(0, {cpus[0]})
    try:
        placed = []
        for index, process in enumerate(getattr(senders, "processes", [])):
            cpu = cpus[(index + 1) % len(cpus)]
            os.sched_setaffinity(process.pid, {cpu})
            placed.append(cpu)
        yield {"receiver": cpus[0], "senders": placed}
    finally:
        os.sched_setaffinity(0, cpus)


def latency(batches: list[Batch]) -> dict:
    """Median and p99 (nearest rank) of every round trip, and the median's 95 % interval
    from order statistics (mpbench.stats)."""
    times = sorted(t for b in batches for t in b.round_trips)
    low, high, _ = stats.median_interval_ranks(len(times))
    return {
        "median": stats.median(times),
        "p99": times[max(0, math.ceil(P99 * len(times)) - 1)],
        "ci_low": times[low],
        "ci_high": times[high],
    }
