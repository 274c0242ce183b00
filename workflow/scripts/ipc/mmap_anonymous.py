"""mmap_anonymous: one anonymous shared mmap, a slot of N bytes per sender, handed over
with semaphores (mpbench.ipc.slots).

The mapping is made before the senders fork, so they inherit it: fork only. Otherwise as
shared_memory (two copies per message, a semaphore hand-over), without a name or a file.
"""

import mmap

from mpbench.ipc.slots import SlotChannel, SlotEndpoint

START_METHODS = ("fork",)


class Channel(SlotChannel):
    def __init__(self, context, processes: int, n: int):
        self.mapping = mmap.mmap(-1, processes * n)
        super().__init__(
            context,
            processes,
            n,
            self.mapping,
            lambda index, signals: SlotEndpoint(index, n, signals, self.mapping),
        )

    def close(self) -> None:
        self.release_views()
        self.mapping.close()


def open(context, processes: int, n: int, names):
    return Channel(context, processes, n)
