"""memcpy (reference): one process copies each message with numpy.copyto.

No second process and no kernel: a message "moves" by one memory copy (plus a Python call
of about a microsecond). Its throughput at large N is the ceiling of any mechanism that
copies the bytes at least once; stream only, P = 1.
"""

import numpy as np

from mpbench.ipc.channel import Channel, Endpoint

REFERENCE = True
IN_PROCESS = True
PATTERNS = ("stream",)


class Copier(Endpoint):
    def __init__(self, destination: np.ndarray):
        self.destination = destination

    def send(self, message) -> None:
        np.copyto(self.destination, np.frombuffer(message, dtype=np.uint8))


class Copied(Channel):
    def __init__(self, n: int):
        self.destination = np.empty(n, dtype=np.uint8)
        self.endpoints = [Copier(self.destination)]

    def receive(self):
        return 0, self.destination


def open(context, processes: int, n: int, names):
    return Copied(n)
