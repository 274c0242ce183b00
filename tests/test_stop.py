"""Snakemake's graceful stop on SIGTERM (mpbench.experiment.stop): Snakemake's own handler
deadlocks when SIGTERM lands while its scheduler loop holds the scheduler's lock; the relay
asks for the same stop without deadlocking.

Both run Snakemake's real `JobScheduler.exit_gracefully` on a stand-in with the attributes it
uses, in a Python of their own (a deadlocked handler cannot be undone, and a signal handler
is the process's)."""

import subprocess

import pytest

from conftest import SCRIPTS

STAND_IN = """
import signal, sys, threading, time, types
sys.path.insert(0, {scripts!r})
from snakemake.scheduling.job_scheduler import JobScheduler
from mpbench.experiment.stop import relay_sigterm

scheduler = types.SimpleNamespace(
    _lock=threading.Lock(), _open_jobs=threading.Semaphore(0), _user_kill=None
)
stop = types.MethodType(JobScheduler.exit_gracefully, scheduler)
if {relayed}:
    relay_sigterm(stop)
else:
    signal.signal(signal.SIGTERM, stop)  # what Snakemake's scheduler does
with scheduler._lock:  # the loop books a finished job
    signal.raise_signal(signal.SIGTERM)  # the handler runs here, in this thread
    time.sleep(0.3)
    print("asked before the lock was let go:", scheduler._user_kill, flush=True)
print("woken:", scheduler._open_jobs.acquire(timeout=5), scheduler._user_kill, flush=True)
"""


def run_stand_in(python, relayed: bool, timeout: float):
    return subprocess.run(
        [python, "-c", STAND_IN.format(scripts=str(SCRIPTS), relayed=relayed)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_snakemakes_own_handler_deadlocks_on_the_lock_its_loop_holds(python):
    """If this fails, the installed Snakemake no longer deadlocks: relay_sigterm may go."""
    with pytest.raises(subprocess.TimeoutExpired) as hung:
        run_stand_in(python, relayed=False, timeout=5)
    assert hung.value.stdout in (None, b"", ""), hung.value.stdout


def test_the_relay_stops_the_scheduler_once_its_loop_lets_the_lock_go(python):
    done = run_stand_in(python, relayed=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "asked before the lock was let go: None",  # the stop waited for the lock ...
        "woken: True graceful",  # ... then asked for the graceful stop and woke the loop
    ]


SWALLOWED = """
import signal, sys, time, types
sys.path.insert(0, {scripts!r})
from mpbench.experiment.stop import insist_on_sigint

executor = types.SimpleNamespace(cancel=lambda: print("cancelled", flush=True))
scheduler = types.SimpleNamespace(_executor=executor)
if {insisted}:
    insist_on_sigint(scheduler, retry_s=0.2)

def log(first):  # as Snakemake's log handler: a KeyboardInterrupt while it writes is dropped
    try:
        if first:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C, as a job's end is logged
        time.sleep(0.1)
    except (KeyboardInterrupt, SystemExit):
        pass

try:  # as Snakemake's scheduler loop: a KeyboardInterrupt that reaches it cancels the jobs
    for step in range(15):
        log(step == 0)
        time.sleep(0.2)
    print("ran to its end", flush=True)
except KeyboardInterrupt:
    scheduler._executor.cancel()
"""


@pytest.mark.parametrize("insisted", [False, True], ids=["snakemake's own", "insisted"])
def test_ctrl_c_swallowed_by_the_log_handler_still_cancels_the_jobs(python, insisted):
    done = subprocess.run(
        [python, "-c", SWALLOWED.format(scripts=str(SCRIPTS), insisted=insisted)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    # without insist_on_sigint the run goes on to its end: what tests/test_faults.py saw
    assert done.stdout.splitlines() == (["cancelled"] if insisted else ["ran to its end"])
