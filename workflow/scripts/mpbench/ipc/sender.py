"""A sender process: runs the batches its receiver asks for, over a control pipe.

The receiver sends (pattern, count, checked) for each batch and None at the end; the sender
answers each batch with ("done", results) or ("corrupt", why). Between batches it waits,
ready: start-up is never part of a batch. A stream sender does the same in a timed batch and
in a checked one (the receiver checks); a pingpong sender checks its echoes in a checked
batch only (mpbench.ipc.runner).
"""

import time

from mpbench.ipc import payload

READY = "ready"


def main(index: int, endpoint, control, n: int) -> None:
    endpoint.attach()
    message = payload.pattern(n)
    echoes = payload.Checker(n, index + 1)  # the echoes of this sender's own messages
    sequence = 0
    control.send(READY)
    try:
        while (command := control.recv()) is not None:
            pattern, count, checked = command
            if pattern == "counter":
                for _ in range(count):
                    endpoint.increment()
                control.send(("done", {}))
            elif pattern == "stream":
                for offset in range(count):
                    payload.stamp(message, index, sequence + offset)
                    endpoint.send(message)
                control.send(("done", {}))
            elif checked:
                control.send(_checked_pingpong(index, endpoint, message, echoes, sequence, count))
            else:
                control.send(_pingpong(index, endpoint, message, sequence, count))
            sequence += count
    finally:
        endpoint.close()
        control.close()


def _pingpong(index, endpoint, message, first: int, count: int) -> tuple:
    """`count` round trips back to back, each timed on its own, from before the send until
    the echo is received (for a slot, copied out of it); the echoes are not checked, so
    nothing but the next message's header lies between two round trips."""
    round_trips, clock = [], time.perf_counter
    for sequence in range(first, first + count):
        payload.stamp(message, index, sequence)
        started = clock()
        endpoint.send(message)
        endpoint.receive()
        round_trips.append(clock() - started)
    return ("done", {"round_trips": round_trips})


def _checked_pingpong(index, endpoint, message, echoes, first: int, count: int) -> tuple:
    """The same round trips, each echo checked to the byte; the time of the whole loop
    (round trips and checks). A wrong echo is reported after the last round trip (the
    receiver waits for them all)."""
    wrong, clock = None, time.perf_counter
    echoes.next[index] = first
    started = clock()
    for sequence in range(first, first + count):
        payload.stamp(message, index, sequence)
        endpoint.send(message)
        echo = endpoint.receive()
        try:
            echoes.check(echo, index)
        except payload.CorruptMessage as error:
            wrong = wrong or f"sender {index}, echo: {error}"
            echoes.next[index] = sequence + 1
    seconds = clock() - started
    if wrong:
        return ("corrupt", wrong)
    return ("done", {"seconds": seconds})
