"""pipe_bytes: a duplex multiprocessing Pipe per sender, Connection.send_bytes and
recv_bytes_into.

The bytes cross as they are, with a 4-byte length in front and no pickling; the receiver
reads each message straight into a buffer it keeps (recv_bytes_into), so the only copies
are the kernel's.
"""

import multiprocessing

from mpbench.ipc.channel import Channel, Endpoint, RoundRobin, close_pipes
from mpbench.ipc.payload import CorruptMessage


def read_into(connection, buffer: bytearray) -> memoryview:
    try:
        size = connection.recv_bytes_into(buffer)
    except multiprocessing.BufferTooShort as error:
        raise CorruptMessage(
            f"a message of {len(error.args[0])} bytes arrived, {len(buffer)} were sent"
        ) from None
    if size != len(buffer):
        raise CorruptMessage(f"a message of {size} bytes arrived, {len(buffer)} were sent")
    return memoryview(buffer)


class Sender(Endpoint):
    def __init__(self, connection, n: int):
        self.connection, self.n = connection, n

    def attach(self) -> None:
        self.echo = bytearray(self.n)

    def send(self, message) -> None:
        self.connection.send_bytes(message)

    def receive(self):
        return read_into(self.connection, self.echo)


class Receiver(Channel):
    def __init__(self, context, processes: int, n: int):
        self.pipes = [context.Pipe() for _ in range(processes)]  # (ours, the sender's)
        self.endpoints = [Sender(theirs, n) for _, theirs in self.pipes]
        self.message = bytearray(n)
        self.turn = RoundRobin(processes)

    def receive(self):
        sender = self.turn.next()
        return sender, read_into(self.pipes[sender][0], self.message)

    def reply(self, sender: int, message) -> None:
        self.pipes[sender][0].send_bytes(message)

    def close(self) -> None:
        close_pipes(self.pipes)


def open(context, processes: int, n: int, names):
    return Receiver(context, processes, n)
