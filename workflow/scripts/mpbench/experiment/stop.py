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

import _thread
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


def insist_on_sigint(scheduler, retry_s: float = 1.0) -> None:
    """Make Ctrl-C (SIGINT) stop the run even when its KeyboardInterrupt is swallowed.

    Snakemake 9.27's log handler catches KeyboardInterrupt while it writes a message and drops
    it (snakemake/logging.py, `except (KeyboardInterrupt, SystemExit): pass`); its loop logs
    whenever a job finishes, which is when a user (and tests/test_faults.py) is likely to press
    Ctrl-C, and the run then went on to its end. The scheduler answers a KeyboardInterrupt that
    reaches it by cancelling its executor's jobs; so here, from the first SIGINT on, a thread
    interrupts the main thread again every `retry_s` until that cancel has begun, and never
    after it (the clean-up must not be cut short). Call it from the main thread."""
    executor = getattr(scheduler, "_executor", None)
    if executor is None:
        return
    cancelled, asked = threading.Event(), threading.Event()
    cancel = executor.cancel

    def cancel_noted(*args, **kwargs):
        cancelled.set()
        return cancel(*args, **kwargs)

    def insist() -> None:
        while not cancelled.wait(retry_s):
            _thread.interrupt_main()  # runs `handler` in the main thread, as a SIGINT would

    def handler(*_) -> None:
        if not asked.is_set():
            asked.set()
            threading.Thread(target=insist, name="mpbench-sigint-insist", daemon=True).start()
        raise KeyboardInterrupt

    executor.cancel = cancel_noted
    signal.signal(signal.SIGINT, handler)
