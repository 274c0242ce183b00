"""Buffers handed over through shared memory: each sender owns one slot of N bytes in one
shared buffer, and three semaphores say who may touch it (mechanisms shared_memory and
mmap_anonymous differ only in how the buffer is made and reached).

- send: wait until the slot is free, copy the message in, signal it full;
- the receiver: wait until the sender's slot is full, copy the message out (it owns what it
  received), free the slot; to echo, wait until it is free, copy in, signal "back";
- the sender's receive: wait for "back", copy the echo out, free the slot.
"""

from mpbench.ipc.channel import Channel, Endpoint, RoundRobin


class SlotEndpoint(Endpoint):
    def __init__(self, index: int, n: int, signals: tuple, shared=None):
        self.index, self.n, self.signals = index, n, signals
        self.shared = shared  # the buffer itself, where the sender inherits it (fork)

    def map(self):
        """The shared buffer, in the sender (override to attach to it by name)."""
        return self.shared

    def unmap(self) -> None:
        """Let go of what `map` attached."""

    def attach(self) -> None:
        self.slot = memoryview(self.map())[self.index * self.n : (self.index + 1) * self.n]
        self.echo = bytearray(self.n)

    def send(self, message) -> None:
        free, full, _ = self.signals
        free.acquire()
        self.slot[:] = message
        full.release()

    def receive(self):
        free, _, back = self.signals
        back.acquire()
        self.echo[:] = self.slot
        free.release()
        return self.echo

    def close(self) -> None:
        self.slot.release()
        self.unmap()


class SlotChannel(Channel):
    def __init__(self, context, processes: int, n: int, shared, make_endpoint):
        """`make_endpoint(index, signals)` makes sender `index`'s SlotEndpoint."""
        whole = memoryview(shared)
        self._whole = whole
        self.slots = [whole[i * n : (i + 1) * n] for i in range(processes)]
        self.signals = [
            (context.Semaphore(1), context.Semaphore(0), context.Semaphore(0))
            for _ in range(processes)
        ]
        self.endpoints = [make_endpoint(i, signals) for i, signals in enumerate(self.signals)]
        self.message = bytearray(n)
        self.turn = RoundRobin(processes)

    def receive(self) -> tuple[int, bytearray]:
        sender = self.turn.next()
        free, full, _ = self.signals[sender]
        full.acquire()
        self.message[:] = self.slots[sender]
        free.release()
        return sender, self.message

    def reply(self, sender: int, message) -> None:
        free, _, back = self.signals[sender]
        free.acquire()
        self.slots[sender][:] = message
        back.release()

    def release_views(self) -> None:
        """Drop every view of the shared buffer, so that it can be closed."""
        for view in self.slots:
            view.release()
        self._whole.release()
