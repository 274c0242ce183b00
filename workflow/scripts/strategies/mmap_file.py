"""mmap_file: the input file and an output file mapped into every worker (mmap.mmap).

The data is already in a file (the harness writes the cell's input to one, as data on disk
would be), so nothing needs placing: set-up only creates the output file at its full size.
Each worker maps both files and computes its slice of the output in place; the pages come
from the operating system's page cache, shared by every process that maps the file, so
nothing is copied between processes. The parent maps the output file for its result.

A file, not an anonymous mapping: any process that can open the path can map it, so this
works under every start method (mmap_anonymous works under fork only). The output file is
named with job.scratch_file (unique per run) and deleted once the harness has checked it.
Its baseline is single_mmap (one process mapping the same files), not single.
"""

import mmap
import sys

import _bootstrap  # noqa: F401
import numpy as np

from mpbench.array import compute_into
from mpbench.job import Job

SPLITS = ("static",)
DATA_PATH = "zero-copy"  # array: the workers compute in the buffers the parent reads
# its speedup is against one process that maps the input as its workers do: `single` reads
# the input into a private array inside its clock, which mapping skips
BASELINE = "single_mmap"
_data = _output = None  # numpy views of the two mappings, in each worker


def mapped(path, writable: bool, n: int) -> np.ndarray:
    """The file at `path` as a numpy array of n float64s, mapped shared."""
    with open(path, "r+b" if writable else "rb") as stream:  # the mapping keeps its own fd
        buffer = mmap.mmap(
            stream.fileno(), n * 8, access=mmap.ACCESS_WRITE if writable else mmap.ACCESS_READ
        )
    return np.frombuffer(buffer, dtype=np.float64, count=n)


def attach(data_path: str, output_path: str, n: int) -> None:
    global _data, _output
    _data, _output = mapped(data_path, False, n), mapped(output_path, True, n)


def compute_slice(start: int, stop: int) -> None:
    compute_into(_data[start:stop], _output[start:stop])


def array(job: Job):
    output_path = job.scratch_file("output")
    job.defer(output_path.unlink, True)  # missing_ok; after the harness checked our result
    with open(output_path, "wb") as stream:
        stream.truncate(job.n * 8)  # sparse: no page is written until a worker writes it
    job.lap("setup")
    with job.pool(initializer=attach, initargs=(job.input_path, str(output_path), job.n)) as pool:
        pool.starmap(compute_slice, [(p.start, p.stop) for p in job.pieces], chunksize=1)
    return mapped(output_path, False, job.n)


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
