"""remote_manager: queues served over TCP by a BaseManager, as for processes on other
machines; here on 127.0.0.1 only, with a random authkey.

The server (a process the receiver starts) listens on the loopback address at a free port.
Every sender connects to it as a client with the address and the authkey, and gets proxies
of the inbox and of its reply queue; each put() and get() is a request over TCP. Each cell
also connects a client with a wrong authkey and records that it was refused.
"""

import ipaddress
import multiprocessing
import queue
import secrets
from multiprocessing.managers import BaseManager

from mpbench.ipc.channel import QueueChannel, QueueEndpoint

HOST = "127.0.0.1"  # loopback only: nothing off this machine can connect
_queues: dict[str, queue.Queue] = {}  # in the server process


def _queue(name: str) -> queue.Queue:
    return _queues.setdefault(name, queue.Queue())


class QueueServer(BaseManager):
    pass


QueueServer.register("queue", callable=_queue)


def _client(address, authkey: bytes) -> QueueServer:
    client = QueueServer(address=address, authkey=authkey)
    client.connect()
    return client


def refuses(address, authkey: bytes) -> bool:
    """Whether the server at `address` refuses a client with this authkey."""
    try:
        _client(address, authkey)
    except multiprocessing.AuthenticationError:
        return True
    return False


class Sender(QueueEndpoint):
    def __init__(self, address, authkey: bytes, index: int):
        self.address, self.authkey, self.index = address, authkey, index

    def attach(self) -> None:
        client = _client(self.address, self.authkey)
        super().__init__(client.queue("inbox"), client.queue(f"reply-{self.index}"))


class Channel(QueueChannel):
    def __init__(self, context, processes: int):
        authkey = secrets.token_bytes(32)
        self.server = QueueServer(address=(HOST, 0), authkey=authkey, ctx=context)
        self.server.start()
        self.address = self.server.address
        client = _client(self.address, authkey)
        super().__init__(
            client.queue("inbox"),
            [client.queue(f"reply-{i}") for i in range(processes)],
            [Sender(self.address, authkey, i) for i in range(processes)],
        )
        wrong = secrets.token_bytes(32)
        self._security = {
            "address": self.address[0],
            "loopback_only": ipaddress.ip_address(self.address[0]).is_loopback,
            "wrong_authkey_refused": refuses(self.address, wrong),
        }

    def security(self) -> dict:
        return self._security

    def close(self) -> None:
        self.inbox = self.replies = None  # the proxies, before their server goes
        self.server.shutdown()


def open(context, processes: int, n: int, names):
    return Channel(context, processes)
