"""value_lock: a shared multiprocessing.Value (a C long long in shared memory) with the
lock it comes with; P writers add 1 under the lock (counter pattern).

Each update takes the Value's lock (a recursive lock, a POSIX semaphore underneath), reads,
adds and writes through ctypes, and releases the lock.
"""

from mpbench.ipc.channel import Channel, Endpoint

PATTERNS = ("counter",)


class Writer(Endpoint):
    def __init__(self, counter):
        self.counter = counter

    def increment(self) -> None:
        with self.counter.get_lock():
            self.counter.value += 1


class Counter(Channel):
    def __init__(self, context, processes: int):
        self.counter = context.Value("q", 0)
        self.endpoints = [Writer(self.counter) for _ in range(processes)]

    def value(self) -> int:
        return self.counter.value

    def reset(self) -> None:
        self.counter.value = 0


def open(context, processes: int, n: int, names):
    return Counter(context, processes)
