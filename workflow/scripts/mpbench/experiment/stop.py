"""Snakemake's graceful stop (SIGTERM), without its deadlock.

Snakemake 9.27's scheduler stops gracefully on SIGTERM (it lets the running jobs finish and
starts no other) with a signal handler, `JobScheduler.exit_gracefully`, that takes the
scheduler's lock, a non-reentrant `threading.Lock`. Python runs signal handlers in the main
thread, between two bytecodes of whatever it was doing; and the main thread is the
scheduler's own loop, which holds that lock whenever it books a finished job or selects the
next. A SIGTERM that arrives then waits forever for a lock its own thread holds: the run
hangs (`tests/test_faults.py` sends SIGTERM as a cell's record appears, which is when the
loop books that job, and caught it hanging so).

`relay_sigterm` replaces the handler with one that takes no lock: it writes a byte to a pipe,
and a thread of its own, waiting on the pipe, calls the stop, which then waits for the lock
like any other thread until the loop lets it go.
"""

import os
import signal
import threading
from collections.abc import Callable


def relay_sigterm(stop: Callable[[], None]) -> None:
    """On SIGTERM, call `stop()` in a thread of its own, not in the signal handler. Call it
    from the main thread (signal handlers can be set only there)."""
    wakeup, wake = os.pipe()
    os.set_blocking(wake, False)  # a storm of signals must not block the handler

    def relay() -> None:
        os.read(wakeup, 1)
        stop()

    def handler(*_) -> None:
        try:
            os.write(wake, b"\0")
        except BlockingIOError:  # the pipe is full: the stop was asked for already
            pass

    threading.Thread(target=relay, name="mpbench-sigterm-relay", daemon=True).start()
    signal.signal(signal.SIGTERM, handler)
