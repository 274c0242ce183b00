"""The command line of an ipc cell (workflow/scripts/measure_ipc.py):

    python workflow/scripts/measure_ipc.py --mechanism pipe_bytes --pattern pingpong \\
        --n 4096 --processes 2 --output cell.json

Checks the arguments and the cell before anything starts, then either supervises (the
process Snakemake started: timeout, process tree kill, clean-up; mpbench.supervisor) or
measures (the process the supervisor started: the receiver; mpbench.ipc.runner).
"""

import argparse
import multiprocessing
import os
import sys
from pathlib import Path

from mpbench import processes
from mpbench.cli import _bounded_int, _positive_float, measured
from mpbench.environ import RUN_ID, SCRATCH, SUPERVISED
from mpbench.ipc import mechanism
from mpbench.supervisor import emit, supervise

DEFAULT_REPEATS, DEFAULT_MIN_BATCH_S = 5, 0.1


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="measure_ipc.py",
        description="Measure one cell of the ipc workload (docs/ipc.md).",
        epilog="Exit status: 0 record written, 2 bad arguments, 3 a message arrived wrong, "
        "4 a sender died, 124 timed out, 1 any other failure (no record is written on "
        "failure).",
    )
    add = parser.add_argument
    add("--mechanism", choices=mechanism.names(), required=True)
    add("--pattern", choices=mechanism.PATTERNS, required=True)
    add("--n", type=_bounded_int(1), required=True, help="message size in bytes")
    add("--processes", type=_bounded_int(1), default=1, help="sending processes P (default: 1)")
    add(
        "--start-method",
        choices=multiprocessing.get_all_start_methods(),
        default="fork",
        help="how the senders start (default: fork; ignored by a mechanism that starts none)",
    )
    add(
        "--repeats",
        type=_bounded_int(1),
        default=DEFAULT_REPEATS,
        help=f"timed batches (default: {DEFAULT_REPEATS})",
    )
    add(
        "--min-batch",
        type=_positive_float("a number of seconds"),
        default=DEFAULT_MIN_BATCH_S,
        help=f"seconds a batch lasts at least (default: {DEFAULT_MIN_BATCH_S:g})",
    )
    add(
        "--timeout",
        type=_positive_float("a number of seconds"),
        default=600.0,
        help="seconds for the whole cell before its process tree is killed (default: 600)",
    )
    add("--output", type=Path, help="write the JSON record here (default: print it)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from mpbench.ipc import record, runner  # the measuring side: not needed to supervise

    arguments = parser()
    args = arguments.parse_args(argv)
    described = mechanism.describe(args.mechanism)
    start_method = None if described.in_process else args.start_method
    try:
        described.check_cell(args.pattern, args.n, args.processes, start_method)
    except ValueError as error:
        arguments.error(str(error))
    cell = runner.Cell(described, args.pattern, args.n, args.processes, start_method)
    if os.environ.get(SUPERVISED) != "1":
        return supervise(
            str(Path(__file__).resolve().parents[2] / "measure_ipc.py"),
            sys.argv[1:] if argv is None else argv,
            args.timeout,
            cell.name,
            args.output,
            # an ipc record has no memory: the cell never turns the sampler on
            lambda done, _sampler, output: emit(done, output, record.validate),
        )
    if os.environ.get(RUN_ID) and os.environ.get(SCRATCH):
        processes.end_with_parent(os.environ[RUN_ID], os.environ[SCRATCH])
    return measured(
        cell.name,
        lambda: record.validate(runner.run_cell(cell, args.repeats, args.min_batch)),
        (runner.CorruptMessage,),
    )
