"""shared_memory: one multiprocessing.shared_memory segment, a slot of N bytes per sender,
handed over with semaphores (mpbench.ipc.slots).

A sender attaches to the segment by name (any start method); a message crosses by two
copies, into the slot and out of it, and each hand-over is a semaphore release and acquire.
The segment is named after the cell's run, so that the harness finds it if it is left.
"""

from multiprocessing.shared_memory import SharedMemory

from mpbench.ipc.slots import SlotChannel, SlotEndpoint


class Sender(SlotEndpoint):
    def map(self):
        self.segment = SharedMemory(name=self.shared)
        return self.segment.buf

    def unmap(self) -> None:
        self.segment.close()


class Channel(SlotChannel):
    def __init__(self, context, processes: int, n: int, name: str):
        self.segment = SharedMemory(name=name, create=True, size=processes * n)
        super().__init__(
            context,
            processes,
            n,
            self.segment.buf,
            lambda index, signals: Sender(index, n, signals, self.segment.name),
        )

    def close(self) -> None:
        self.release_views()
        self.segment.close()
        self.segment.unlink()


def open(context, processes: int, n: int, names):
    return Channel(context, processes, n, names("ipc"))
