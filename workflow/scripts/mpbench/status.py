"""Where the measured process is (which run, which phase), on a page its supervisor can read.

The measured process writes a short line into a small memory-mapped file in the cell's
scratch folder at every change: the run ("round 3 (strategy)") and its phase ("compute").
Writing it costs about a microsecond, so the phase marks inside timed runs may write it. A
supervisor whose cell times out reads it to say where the cell hung; the watchdog reads it
to say where a process died.
"""

import mmap
import os

from mpbench.environ import STATUS

SIZE = 256
# the phase a run is in after Job.lap(phase) marks the end of `phase`
AFTER = {"setup": "start-up", "startup": "compute", "compute": "teardown"}
_page: mmap.mmap | None = None
_run = "before the first run"
_phase = ""


def open_page() -> None:
    """In the measured process: create the page at $MPBENCH_STATUS (no-op without it)."""
    global _page
    path = os.environ.get(STATUS)
    if not path or _page is not None:
        return
    with open(path, "wb+") as file:
        file.write(b"\0" * SIZE)
        file.flush()
        _page = mmap.mmap(file.fileno(), SIZE)
    _write()


def _write() -> None:
    if _page is not None:
        text = f"{_run}, {_phase}" if _phase else _run
        _page[:] = text.encode()[:SIZE].ljust(SIZE, b"\0")


def enter(run: str, phase: str = "set-up or start-up") -> None:
    """A new run (or a step such as "priming") begins."""
    global _run, _phase
    _run, _phase = run, phase
    _write()


def phase_ended(phase: str) -> None:
    global _phase
    _phase = AFTER.get(phase, _phase)
    _write()


def now() -> str:
    """Where this process is (its own view)."""
    return f"{_run}, {_phase}" if _phase else _run


def read(path: str | os.PathLike) -> str | None:
    """The supervisor's view: the last line written, or None if there is none yet."""
    try:
        with open(path, "rb") as file:
            text = file.read(SIZE).rstrip(b"\0").decode(errors="replace")
    except OSError:
        return None
    return text or None
