"""The messages of the ipc workload and how every received one is checked.

A message of N bytes is a fixed pattern (`pattern(n)`) whose first HEADER.size bytes are
replaced by a header: the sender's index and the message's sequence number (a message
shorter than the header holds the header's first N bytes). Every message is therefore
known in advance from (sender, sequence number): in a checked batch the receiver compares
each one it gets with the bytes it must be, exactly, and so does a sender with each echo it
gets back (mpbench.ipc.runner says which batches are checked).
"""

import struct

HEADER = struct.Struct("<BQ")  # sender index, sequence number (per sender, from 0)
MAX_SENDERS = 255  # the sender index is one byte
_BLOCK = bytes((7 * i + 13) % 251 for i in range(251))  # 251: prime, so no power-of-2 period


class CorruptMessage(AssertionError):
    """A received message is not the one that was sent."""


def pattern(n: int) -> bytearray:
    """The N bytes every message is made of, before its header."""
    return bytearray((_BLOCK * (n // len(_BLOCK) + 1))[:n])


def stamp(message: bytearray, sender: int, sequence: int) -> None:
    """Write the header of message `sequence` of `sender` into `message`, in place."""
    size = min(len(message), HEADER.size)
    message[:size] = HEADER.pack(sender, sequence)[:size]


class Checker:
    """Checks that messages arrive whole, in each sender's order, none changed."""

    def __init__(self, n: int, senders: int):
        self.n = n
        self.senders = senders
        self.head = min(n, HEADER.size)
        self._body = memoryview(pattern(n))[self.head :]
        self.next = [0] * senders  # each sender's next sequence number

    def check(self, message, sender: int | None = None) -> None:
        """Raise CorruptMessage unless `message` is the next one of `sender` (None: the
        sender its first byte names)."""
        view = memoryview(message).cast("B")
        if view.nbytes != self.n:
            raise CorruptMessage(f"a message of {view.nbytes} bytes arrived, {self.n} were sent")
        sender = view[0] if sender is None else sender
        if sender >= self.senders:
            raise CorruptMessage(
                f"a message names sender {sender}, there are {self.senders} senders"
            )
        sequence = self.next[sender]
        if view[: self.head] != HEADER.pack(sender, sequence)[: self.head]:
            raise CorruptMessage(
                f"message {sequence} of sender {sender} has a wrong header: "
                f"{bytes(view[: self.head]).hex()}"
            )
        if view[self.head :] != self._body:
            wrong = next(i for i, (a, b) in enumerate(zip(view[self.head :], self._body)) if a != b)
            raise CorruptMessage(
                f"message {sequence} of sender {sender} differs from what was sent at byte "
                f"{self.head + wrong} of {self.n}"
            )
        self.next[sender] = sequence + 1

    def skip(self, count: int) -> None:
        """Every sender sent `count` messages that were not checked (a timed batch): the
        next ones follow them."""
        self.next = [sequence + count for sequence in self.next]
