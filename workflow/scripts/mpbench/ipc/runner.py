"""One ipc cell, measured in this process (the receiver): its senders, its batches, its record.

The P senders start first and say they are ready; only then does a batch begin, so no
start-up is timed. A batch asks each sender for `count` messages (or round trips, or counter
updates); the count is calibrated first, doubling (or scaled up from the last batch's time)
until a batch lasts at least `min_batch_s`, and the cell then times `repeats` batches of
that count (a batch that falls short is run again with more).

Timed batches (the calibration ones too, which must predict them) check nothing while the
clock runs, and the clock never subtracts anything: what it measures is the traffic alone.
Checking inside the clock would time the check; timing around each check and subtracting it
would take off the clock the work the senders do meanwhile (a sender fills the next slot or
the pipe while the receiver checks), and inflate the rate. So after the timed batches, one
**checked batch** of the same messages (the same count per sender, the same N) runs, in
which every message is compared to the byte (mpbench.ipc.payload); a wrong one fails the cell
with CorruptMessage and no record. Its time is kept as the check cost (`check_s`).

What "receive" means is the same in both kinds of batch: the receiver owns each message it
received, as a program would (mpbench.ipc.channel): copied out of its slot before the slot
is freed (shared_memory, mmap_anonymous), read into the receiver's buffer (pipe_bytes,
raw_pipe), a new bytes object (pipe_pickle, the queues), copied (memcpy).

- stream: the receiver's clock runs from the moment it tells the senders to go until the
  last message is received; in the checked batch, the same span with a check after each
  receive;
- pingpong: each sender times each of its round trips itself, from before its send until
  its echo is received (the receiver echoes); the batch's time is the slowest sender's
  total. In the checked batch each sender checks every echo and times its whole loop;
- counter: the receiver's clock runs from "go" until every writer says it is done; the
  counter is then checked, P x count, in every batch (no writer runs by then, so nothing
  is hidden from the clock); there is no checked batch.
"""

import contextlib
import itertools
import math
import multiprocessing
import os
from dataclasses import dataclass

from mpbench import metadata, stats, status
from mpbench.ipc import sender as sending
from mpbench.ipc.batches import BATCHES, Batch, timed_batches
from mpbench.ipc.mechanism import Mechanism
from mpbench.ipc.payload import Checker, CorruptMessage, pattern, stamp
from mpbench.ipc.record import SCHEMA_VERSION
from mpbench.timing import check_leftovers
from mpbench.watchdog import guarded

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


class Senders:
    """The sender processes of a cell, each with a control pipe (mpbench.ipc.sender)."""

    def __init__(self, context, endpoints: list, n: int):
        self.size = len(endpoints)
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

    def go(self, pattern_: str, count: int, checked: bool) -> None:
        for control in self.controls:
            control.send((pattern_, count, checked))

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
        self.size, self.message, self.sequence = 1, pattern(n), 0

    def __enter__(self) -> "InProcess":
        self.endpoint.attach()
        return self

    def __exit__(self, *_) -> None:
        self.endpoint.close()

    def go(self, pattern_: str, count: int, checked: bool) -> None:
        pass

    def feed(self) -> None:
        stamp(self.message, 0, self.sequence)
        self.endpoint.send(self.message)
        self.sequence += 1

    def collect(self) -> list[dict]:
        return [{}]


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

            def run_batch(count: int, label: str, checked: bool = False) -> Batch:
                status.enter(f"{label} ({cell.pattern}, {count} per sender)", "")
                return batch(channel, senders, checker, count, checked)

            with pinned(senders) as placement:
                status.enter("settling before the batches", "")
                metadata.wait_for_quiet()  # as a strategy's cell does (mpbench.metadata)
                batches = timed_batches(run_batch, repeats, min_batch_s)
                check = (
                    None  # every counter batch is checked, after its clock
                    if cell.pattern == "counter"
                    else run_batch(batches[-1].count, "checked batch", checked=True)
                )
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
        **check_fields(check, cell.pattern),
        "security": security,
        "placement": placement,
        "started_at": started_at,
        "finished_at": metadata.now_iso(),
        "environment": environment,
    }


def check_fields(check: Batch | None, pattern_: str) -> dict:
    """What the record says of the checked batch (None: a counter has none): its messages,
    seconds and seconds per message (pingpong: per round trip of the slowest sender)."""
    if check is None:
        return dict.fromkeys(("check_messages", "check_s", "check_per_message_s"))
    per = check.count if pattern_ == "pingpong" else check.messages
    return {
        "check_messages": check.messages,
        "check_s": check.seconds,
        "check_per_message_s": check.seconds / per,
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
