"""What a mechanism implements (workflow/scripts/ipc/<name>.py; docs/ipc.md).

`open(context, processes, n, names)` in the receiver makes a Channel for `processes`
senders of N-byte messages (`names(tag)` gives names for shared memory segments and files
that the harness finds if they are left behind). Its `endpoints` are handed one to each
sender process (as Process arguments: picklable under the start methods the mechanism
declares). A sender calls `attach()` once, then `send` and `receive` (or `increment`, for
the counter pattern); the receiver calls the Channel's `receive` and `reply`. Buffers are
bytes-like objects of N bytes; a receiver's buffer may be reused by the next receive.

When `receive` returns, the message must be the receiver's own, as a program would need it
(copied out of a shared slot before the slot is freed, read into the receiver's buffer):
a timed batch only receives, and checks nothing (mpbench.ipc.runner), so what `receive`
leaves to be done later would not be timed.
"""


class Endpoint:
    """A sender's end of a channel."""

    def attach(self) -> None:
        """In the sender process, before its first message."""

    def send(self, message: bytearray) -> None:
        """Send `message` (the sender reuses the buffer once this returns)."""
        raise NotImplementedError

    def receive(self):
        """The receiver's echo (pingpong)."""
        raise NotImplementedError

    def increment(self) -> None:
        """Add 1 to the shared counter (counter pattern)."""
        raise NotImplementedError

    def close(self) -> None:
        """In the sender process, after its last message (flush what is in flight)."""


class Channel:
    """The receiver's end of a channel: every sender's messages arrive here."""

    endpoints: list[Endpoint]

    def receive(self) -> tuple[int | None, object]:
        """(sender index or None if the message names it, message) of the next message."""
        raise NotImplementedError

    def reply(self, sender: int, message) -> None:
        """Send `message` back to `sender` (pingpong)."""
        raise NotImplementedError

    def value(self) -> int:
        """The shared counter (counter pattern)."""
        raise NotImplementedError

    def reset(self) -> None:
        """Set the shared counter to 0 (counter pattern)."""
        raise NotImplementedError

    def security(self) -> dict | None:
        """What the record says about who may connect (a mechanism reachable over a
        network), measured in this cell; None for the others."""
        return None

    def close(self) -> None:
        """Release everything the channel made (after every sender has ended)."""


def close_pipes(pipes: list[tuple]) -> None:
    """Close both ends of each multiprocessing Pipe (connections) in `pipes`."""
    for pair in pipes:
        for connection in pair:
            connection.close()


class RoundRobin:
    """For channels with one way in per sender: the next sender to read from. Every sender
    sends as many messages in a batch, so reading them in turn loses none."""

    def __init__(self, senders: int):
        self.senders = senders
        self.cursor = -1

    def next(self) -> int:
        self.cursor = (self.cursor + 1) % self.senders
        return self.cursor


class QueueEndpoint(Endpoint):
    """A sender of a queue-shaped mechanism: one inbox for every sender, a reply queue each.
    It puts its own bytes object (a queue may pickle it later, in a feeder thread, so the
    sender's buffer could change under it)."""

    def __init__(self, inbox, reply):
        self.inbox, self.reply = inbox, reply

    def send(self, message: bytearray) -> None:
        self.inbox.put(bytes(message))

    def receive(self):
        return self.reply.get()


class QueueChannel(Channel):
    """The receiver of a queue-shaped mechanism: messages name their sender."""

    def __init__(self, inbox, replies: list, endpoints: list[Endpoint] | None = None):
        self.inbox, self.replies = inbox, replies
        self.endpoints = endpoints or [QueueEndpoint(inbox, reply) for reply in replies]

    def receive(self) -> tuple[None, object]:
        return None, self.inbox.get()

    def reply(self, sender: int, message) -> None:
        self.replies[sender].put(message)
