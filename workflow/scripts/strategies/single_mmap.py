"""single_mmap: one process computes the whole array from the input file, mapped (mmap).

The baseline of mmap_file (its BASELINE): the input is read the way mmap_file's workers read
it, mapped from the cell's input file (pages from the page cache, no private copy), and the
output is computed into a mapped output file, as theirs is. Against `single`, which reads the
input into a private array inside its clock, mmap_file would gain what mapping saves as
well as what its workers add; against single_mmap it gains only the workers' part. It starts
no process and does not split the work (--split none, --processes 1).
"""

import sys

import _bootstrap  # noqa: F401

from mpbench.job import Job

SPLITS = ("none",)
STARTS_PROCESSES = False


def array(job: Job):
    from mmap_file import mapped  # the same mapping as mmap_file's workers

    from mpbench.array import compute_into

    output_path = job.scratch_file("output")
    job.defer(output_path.unlink, True)  # missing_ok; after the harness checked our result
    with open(output_path, "wb") as stream:
        stream.truncate(job.n * 8)  # sparse, as mmap_file's
    job.lap("setup")
    job.lap("startup")  # nothing to start
    output = mapped(output_path, True, job.n)
    compute_into(mapped(job.input_path, False, job.n), output)
    job.lap("compute")
    return output


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
