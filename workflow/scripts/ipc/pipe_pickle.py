"""pipe_pickle: a duplex multiprocessing Pipe per sender, Connection.send and recv of a
bytes object.

What most code does with a Pipe: send() pickles the object (for bytes, a copy into the
pickle), recv() unpickles it into a new bytes object.
"""

from mpbench.ipc.channel import Channel, Endpoint, RoundRobin, close_pipes


class Sender(Endpoint):
    def __init__(self, connection):
        self.connection = connection

    def send(self, message) -> None:
        self.connection.send(bytes(message))

    def receive(self):
        return self.connection.recv()


class Receiver(Channel):
    def __init__(self, context, processes: int):
        self.pipes = [context.Pipe() for _ in range(processes)]  # (ours, the sender's)
        self.endpoints = [Sender(theirs) for _, theirs in self.pipes]
        self.turn = RoundRobin(processes)

    def receive(self):
        sender = self.turn.next()
        return sender, self.pipes[sender][0].recv()

    def reply(self, sender: int, message) -> None:
        self.pipes[sender][0].send(message)

    def close(self) -> None:
        close_pipes(self.pipes)


def open(context, processes: int, n: int, names):
    return Receiver(context, processes)
