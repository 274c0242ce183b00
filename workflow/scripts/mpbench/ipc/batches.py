"""The batches of an ipc cell, one function per pattern, and how their count is calibrated.

Each takes (channel, senders, checker, count, checked): `senders` are the cell's
(mpbench.ipc.runner.Senders, or InProcess), `count` the messages per sender, `checked` whether
this is the checked batch. What each clock spans, and why a timed batch checks nothing, is
in mpbench.ipc.runner's docstring (and docs/ipc.md, "Timing").
"""

import math
import time
from dataclasses import dataclass, field

from mpbench.ipc.payload import Checker, CorruptMessage

GROWTH_MAX = 64  # calibration scales a batch up by at most this factor at a time
GROWTH_MARGIN = 1.2  # ... aiming this far past min_batch_s


@dataclass
class Batch:
    count: int  # per sender
    messages: int  # all senders
    seconds: float
    round_trips: list[float] = field(default_factory=list)  # timed pingpong: every sender's


def _stream(channel, senders, checker: Checker, count: int, checked: bool) -> Batch:
    """The receiver's clock, from "go" to the last message received; checks in a checked
    batch only, inside its clock (it has nothing to subtract)."""
    clock, receive, messages = time.perf_counter, channel.receive, count * senders.size
    started = clock()
    senders.go("stream", count, checked)
    if checked:
        for _ in range(messages):
            senders.feed()
            sender, message = receive()
            checker.check(message, sender)
    else:
        for _ in range(messages):
            senders.feed()
            receive()
    seconds = clock() - started
    senders.collect()
    if not checked:
        checker.skip(count)  # what the checked batch expects follows these
    return Batch(count, messages, seconds)


def _pingpong(channel, senders, checker: Checker, count: int, checked: bool) -> Batch:
    """Echo every message to its sender; the senders time (mpbench.ipc.sender)."""
    processes = senders.size
    named = [0] * processes
    senders.go("pingpong", count, checked)
    for _ in range(count * processes):
        sender, message = channel.receive()
        if sender is None:  # the message names it: its first byte (mpbench.ipc.payload)
            sender = memoryview(message).cast("B")[0]
            if sender >= processes:
                raise CorruptMessage(f"a message names sender {sender} of {processes}")
            if named[sender] == count:  # its echo would go to a sender that did not send it,
                # and the one that did would wait for it for ever
                raise CorruptMessage(
                    f"more messages name sender {sender} than the {count} it sent in this "
                    "batch: a message's first byte (its sender) is wrong"
                )
            named[sender] += 1
        channel.reply(sender, message)
    results = senders.collect()
    if checked:  # each sender's loop of round trips and checks: the slowest one's
        return Batch(count, count * processes, max(r["seconds"] for r in results))
    return Batch(
        count,
        count * processes,
        max(sum(r["round_trips"]) for r in results),
        [t for r in results for t in r["round_trips"]],
    )


def _counter(channel, senders, checker: Checker, count: int, checked: bool) -> Batch:
    """The receiver's clock from "go" until every writer is done; the counter is read after
    it stops, when no writer runs."""
    clock, processes = time.perf_counter, senders.size
    channel.reset()
    started = clock()
    senders.go("counter", count, checked)
    senders.collect()
    seconds = clock() - started
    value = channel.value()
    if value != processes * count:
        raise CorruptMessage(
            f"the counter is {value} after {processes} writers added 1 {count} times each; "
            f"expected {processes * count}"
        )
    return Batch(count, count * processes, seconds)


BATCHES = {"stream": _stream, "pingpong": _pingpong, "counter": _counter}


def grown(count: int, seconds: float, min_batch_s: float) -> int:
    """More messages per sender, for a batch of `count` that lasted only `seconds`."""
    wanted = math.ceil(count * GROWTH_MARGIN * min_batch_s / max(seconds, 1e-9))
    return min(count * GROWTH_MAX, max(count * 2, wanted))


def timed_batches(run_batch, repeats: int, min_batch_s: float) -> list[Batch]:
    """`repeats` batches that each last at least `min_batch_s`. The messages per sender are
    calibrated first (from 1, with batches timed as the kept ones are, not kept); a batch
    that still falls short (the first ones run on a cold cache) is not kept either, and the
    count grows again."""
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
