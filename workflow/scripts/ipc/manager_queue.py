"""manager_queue: a queue.Queue in a Manager's server process, reached through proxies.

Every put() and get() is a request to the server over a connection of its own: the message
is pickled to the server, stored there, and pickled again to whoever gets it. Two hops
where a multiprocessing.Queue has one, and a server process in between.
"""

from mpbench.ipc.channel import QueueChannel


class Channel(QueueChannel):
    def __init__(self, manager, processes: int):
        self.manager = manager
        super().__init__(manager.Queue(), [manager.Queue() for _ in range(processes)])

    def close(self) -> None:
        self.manager.shutdown()


def open(context, processes: int, n: int, names):
    return Channel(context.Manager(), processes)
