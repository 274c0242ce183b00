"""A sender process: runs the batches its receiver asks for, over a control pipe.

The receiver sends (pattern, count) for each batch and None at the end; the sender answers
each batch with ("done", results) or ("corrupt", why). Between batches it waits, ready:
start-up is never part of a batch.
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
            pattern, count = command
            if pattern == "counter":
                for _ in range(count):
                    endpoint.increment()
                control.send(("done", {}))
            elif pattern == "stream":
                for offset in range(count):
                    payload.stamp(message, index, sequence + offset)
                    endpoint.send(message)
                sequence += count
                control.send(("done", {}))
            else:
                control.send(_pingpong(index, endpoint, message, echoes, sequence, count))
                sequence += count
    finally:
        endpoint.close()
        control.close()


def _pingpong(index, endpoint, message, echoes, first: int, count: int) -> tuple:
    """`count` round trips, each timed on its own; each echo checked outside its time. A
    wrong echo is reported after the last round trip (the receiver waits for them all)."""
    round_trips, check_s, wrong = [], 0.0, None
    clock = time.perf_counter
    for sequence in range(first, first + count):
        payload.stamp(message, index, sequence)
        started = clock()
        endpoint.send(message)
        echo = endpoint.receive()
        returned = clock()
        round_trips.append(returned - started)
        try:
            echoes.check(echo, index)
        except payload.CorruptMessage as error:
            wrong = wrong or f"sender {index}, echo: {error}"
            echoes.next[index] = sequence + 1
        check_s += clock() - returned
    if wrong:
        return ("corrupt", wrong)
    return ("done", {"round_trips": round_trips, "check_s": check_s})
