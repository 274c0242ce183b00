"""simple_queue: multiprocessing.SimpleQueue, one inbox for every sender and a reply queue
per sender.

A pipe with a lock on each end: put() pickles and writes in the caller's thread (no feeder
thread), get() reads and unpickles.
"""

from mpbench.ipc.channel import QueueChannel


class Channel(QueueChannel):
    def close(self) -> None:
        for queue in (self.inbox, *self.replies):
            queue.close()


def open(context, processes: int, n: int, names):
    return Channel(context.SimpleQueue(), [context.SimpleQueue() for _ in range(processes)])
