"""raw_pipe (reference): two os.pipe per sender, bytes moved with os.write and os.readv.

No multiprocessing layer at all: no framing, no pickling, no lock; what is left is the
kernel's pipe (64 KiB of buffer by default, so a large message crosses in many system
calls). Its ping-pong is the latency floor the other mechanisms are drawn against.
Fork only: the senders inherit the descriptors.
"""

import os

from mpbench.ipc.channel import Channel, Endpoint, RoundRobin

REFERENCE = True
START_METHODS = ("fork",)


def write_all(descriptor: int, message) -> None:
    view = memoryview(message).cast("B")
    while view:
        view = view[os.write(descriptor, view) :]


def read_into(descriptor: int, buffer: bytearray) -> bytearray:
    view, got = memoryview(buffer), 0
    while got < len(buffer):
        read = os.readv(descriptor, [view[got:]])
        if read == 0:
            raise EOFError("the other end of the pipe closed")
        got += read
    return buffer


class Sender(Endpoint):
    def __init__(self, write: int, read: int, n: int):
        self.write, self.read, self.n = write, read, n

    def attach(self) -> None:
        self.echo = bytearray(self.n)

    def send(self, message) -> None:
        write_all(self.write, message)

    def receive(self):
        return read_into(self.read, self.echo)


class Receiver(Channel):
    def __init__(self, processes: int, n: int):
        self.inward = [os.pipe() for _ in range(processes)]  # (read, write): sender -> us
        self.outward = [os.pipe() for _ in range(processes)]  # us -> sender
        self.endpoints = [
            Sender(inward[1], outward[0], n) for inward, outward in zip(self.inward, self.outward)
        ]
        self.message = bytearray(n)
        self.turn = RoundRobin(processes)

    def receive(self):
        sender = self.turn.next()
        return sender, read_into(self.inward[sender][0], self.message)

    def reply(self, sender: int, message) -> None:
        write_all(self.outward[sender][1], message)

    def close(self) -> None:
        for pair in self.inward + self.outward:
            for descriptor in pair:
                os.close(descriptor)


def open(context, processes: int, n: int, names):
    return Receiver(processes, n)
