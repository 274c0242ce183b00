"""shared_memory: multiprocessing.shared_memory.SharedMemory segments, attached by name.

The parent creates two named POSIX shared memory segments (/dev/shm on Linux), reads the
input into the first (set-up), and starts a pool whose workers attach both by name; each
worker computes its slice straight into the second, which is the parent's output. Nothing
is copied after set-up, and since a name is all a worker needs, this works the same under
every start method (and across unrelated processes).

A segment outlives every process that maps it until it is unlinked: the parent unlinks
the input when the run ends, and the output once the harness has checked it (job.defer).
Names come from job.segment_name, unique per run, so that two runs on one machine never
collide and the harness can remove any segment a failed run leaves behind.
"""

import sys
from multiprocessing.shared_memory import SharedMemory

import _bootstrap  # noqa: F401
import numpy as np

from mpbench.array import compute_into
from mpbench.job import Job

SPLITS = ("static",)
DATA_PATH = "zero-copy"  # array: the workers compute in the buffers the parent reads
_segments: list[SharedMemory] = []  # the segments a worker has attached (kept mapped)


def attach(data_name: str, output_name: str, n: int) -> None:
    _segments.extend([SharedMemory(name=data_name), SharedMemory(name=output_name)])


def compute_slice(start: int, stop: int) -> None:
    data, output = (
        np.ndarray((stop - start,), np.float64, segment.buf, start * 8) for segment in _segments
    )
    compute_into(data, output)


def release(segment: SharedMemory) -> None:
    """Unmap (where no view of it is left) and unlink a segment; safe to call twice."""
    try:
        segment.close()
    except BufferError:  # a view outlives the run (an error's traceback holds it): the
        pass  # mapping goes with the view; what must not stay is the name
    try:
        segment.unlink()
    except FileNotFoundError:
        pass


def array(job: Job):
    size = job.n * 8
    data = SharedMemory(name=job.segment_name("input"), create=True, size=size)
    try:
        output = SharedMemory(name=job.segment_name("output"), create=True, size=size)
        job.defer(release, output)  # after the harness has checked what we return
        job.read_input(data.buf)
        job.lap("setup")
        with job.pool(initializer=attach, initargs=(data.name, output.name, job.n)) as pool:
            pool.starmap(compute_slice, [(p.start, p.stop) for p in job.pieces], chunksize=1)
    finally:
        release(data)
    return np.ndarray((job.n,), np.float64, output.buf)


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
