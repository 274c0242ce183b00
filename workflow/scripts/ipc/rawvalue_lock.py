"""rawvalue_lock: a multiprocessing.RawValue (no lock of its own) and an explicit
multiprocessing.Lock; P writers add 1 under the lock (counter pattern).

Against value_lock: a plain lock instead of a recursive one, and no synchronized wrapper
around the value's accesses.
"""

from mpbench.ipc.channel import Channel, Endpoint

PATTERNS = ("counter",)


class Writer(Endpoint):
    def __init__(self, counter, lock):
        self.counter, self.lock = counter, lock

    def increment(self) -> None:
        with self.lock:
            self.counter.value += 1


class Counter(Channel):
    def __init__(self, context, processes: int):
        self.counter, self.lock = context.RawValue("q", 0), context.Lock()
        self.endpoints = [Writer(self.counter, self.lock) for _ in range(processes)]

    def value(self) -> int:
        return self.counter.value

    def reset(self) -> None:
        self.counter.value = 0


def open(context, processes: int, n: int, names):
    return Counter(context, processes)
