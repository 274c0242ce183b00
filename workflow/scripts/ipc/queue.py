"""queue: multiprocessing.Queue, one inbox for every sender and a reply queue per sender.

put() hands the object to a feeder thread of the sender, which pickles it and writes it to
a pipe; get() reads and unpickles under a lock shared by every reader. The feeder thread
lets a sender go on before its message has left, at the cost of a thread hand-over.
"""

from mpbench.ipc.channel import QueueChannel


class Channel(QueueChannel):
    def close(self) -> None:
        for queue in (self.inbox, *self.replies):
            queue.close()
            queue.join_thread()


def open(context, processes: int, n: int, names):
    return Channel(context.Queue(), [context.Queue() for _ in range(processes)])
