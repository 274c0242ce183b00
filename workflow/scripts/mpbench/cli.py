"""The command line of every strategy script (only the measured process imports it).

    python workflow/scripts/strategies/pool_map.py --n 100000 --processes 2 --output cell.json

Checks the arguments and the cell before anything starts, then either supervises (the
process Snakemake started) or measures (the process the supervisor started).
"""

import argparse
import json
import math
import multiprocessing
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from mpbench import processes, status, watchdog
from mpbench.environ import RAW_RECORD, RUN_ID, SCRATCH, SUPERVISED
from mpbench.strategy import Strategy
from mpbench.supervisor import EXIT_FAILED, EXIT_WRONG_ANSWER, emit, supervise
from mpbench.timing import (
    MEMORY_RUNS,
    LeftoverProcesses,
    LeftoverSegments,
    RoundsPlan,
    WrongAnswer,
)
from mpbench.watchdog import ProcessDied


def _bounded_int(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be an integer >= {minimum}, got {text!r}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {value}")
        return value

    return parse


def _cpu_list(text: str) -> list[int]:
    """--cpu-affinity: CPU numbers, comma-separated, each one this process may run on."""
    available = sorted(os.sched_getaffinity(0))
    try:
        cpus = sorted({int(part) for part in text.split(",")})
    except ValueError:
        cpus = []
    if not cpus or any(cpu not in available for cpu in cpus):
        raise argparse.ArgumentTypeError(
            f"must be CPU numbers separated by commas, from {', '.join(map(str, available))}; "
            f"got {text!r}"
        )
    return cpus


def _positive_float(what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not value > 0 or math.isinf(value):
            raise argparse.ArgumentTypeError(f"must be {what} > 0, got {text!r}")
        return value

    return parse


def parser_for(strategy: Strategy) -> argparse.ArgumentParser:
    plan = RoundsPlan()
    parser = argparse.ArgumentParser(
        prog=f"{strategy.name}.py",
        description=strategy.description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit status: 0 record written, 2 bad arguments, 3 wrong answer, "
        "124 timed out, 1 any other failure (no record is written on failure).",
    )
    add = parser.add_argument
    add("--workload", choices=strategy.workloads, default=strategy.workloads[0])
    add(
        "--n",
        type=_bounded_int(2),
        required=True,
        help="problem size: count primes in [2, N] (primes), or N float64s (array)",
    )
    add("--processes", type=_bounded_int(1), default=1, help="number of workers P (default: 1)")
    add(
        "--split",
        choices=strategy.splits,
        default=None,
        help="how the work is cut (default: the last of these that the workload has)",
    )
    add("--warmups", type=_bounded_int(0), default=0, help="untimed rounds (default: 0)")
    add(
        "--min-rounds",
        type=_bounded_int(1),
        default=plan.min_rounds,
        help=f"paired rounds at least (default: {plan.min_rounds})",
    )
    add(
        "--max-rounds",
        type=_bounded_int(1),
        default=plan.max_rounds,
        help=f"paired rounds at most (default: {plan.max_rounds})",
    )
    add(
        "--target",
        type=_positive_float("a fraction"),
        default=plan.target,
        help="stop once the speedup's 95 %% interval reaches no further than this fraction "
        f"from it (default: {plan.target})",
    )
    add(
        "--budget",
        type=_positive_float("a number of seconds"),
        default=plan.budget_s,
        help="stop after the round that brings the rounds' time past this many seconds "
        f"(default: {plan.budget_s:g})",
    )
    add(
        "--memory-runs",
        type=_bounded_int(1),
        default=MEMORY_RUNS,
        help="untimed runs of the strategy after the rounds, in which its memory is sampled "
        f"(default: {MEMORY_RUNS})",
    )
    add(
        "--sample-during-rounds",
        action="store_true",
        help="sample memory during the timed rounds too, as the harness once did: exists "
        "only for workflow/scripts/sampler_bias.py, which measures what that costs the "
        "speedup (default: no sample in a timed round)",
    )
    add(
        "--timeout",
        type=_positive_float("a number of seconds"),
        default=600.0,
        help="seconds for the whole cell before its process tree is killed (default: 600)",
    )
    add(
        "--start-method",
        choices=list(
            dict.fromkeys([*multiprocessing.get_all_start_methods(), *strategy.start_methods])
        ),
        default=None,
        help="multiprocessing start method (default: the platform's), or the strategy's "
        "engine's own (OWN_START_METHOD)",
    )
    add(
        "--cpu-affinity",
        type=_cpu_list,
        default=None,
        metavar="CPUS",
        help="pin the measured processes to these CPUs, e.g. 0,1 (default: not pinned)",
    )
    add(
        "--size-limit",
        type=_bounded_int(2),
        default=None,
        metavar="N",
        help="above this N, run nothing and write a record that says the cell was skipped "
        "(default: no limit)",
    )
    if strategy.existing_cluster:
        add(
            "--scheduler",
            default=None,
            metavar="ADDRESS",
            help="use the running cluster of this scheduler (e.g. tcp://127.0.0.1:8786) "
            "instead of starting one; its workers must import mpbench (PYTHONPATH="
            "workflow/scripts) (default: start a cluster in the run)",
        )
    add("--output", type=Path, help="write the JSON record here (default: print it)")
    return parser


def main(description: str, namespace: dict, argv: list[str] | None = None) -> int:
    """Command line of a strategy script; exits with the status documented in --help."""
    from mpbench import cell  # the measuring side: not needed to parse or supervise

    strategy = Strategy.of({**namespace, "__doc__": description})
    parser = parser_for(strategy)
    args = parser.parse_args(argv)
    args.split = args.split or strategy.default_split(args.workload)
    try:  # refuse a cell the strategy cannot run before starting anything
        strategy.check_cell(args.workload, args.n, args.processes, args.split)
        start_method = strategy.resolve_start_method(args.start_method)
        if args.min_rounds > args.max_rounds:
            raise ValueError(
                f"--min-rounds {args.min_rounds} is more than --max-rounds {args.max_rounds}"
            )
    except ValueError as error:
        parser.error(str(error))
    this = cell.Cell(
        strategy,
        args.workload,
        args.n,
        args.processes,
        args.split,
        start_method,
        getattr(args, "scheduler", None),
    )
    cell_name = this.name
    if args.size_limit is not None and args.n > args.size_limit:
        record = cell.skipped_cell(this, args.size_limit)
        print(f"mpbench: {cell_name}: skipped, {record['skipped']}", file=sys.stderr)
        emit(record, args.output)
        return 0
    if args.cpu_affinity is not None:  # inherited by the measured process and its workers
        os.sched_setaffinity(0, args.cpu_affinity)
    if os.environ.get(SUPERVISED) != "1":
        return supervise(
            namespace["__file__"],
            sys.argv[1:] if argv is None else argv,
            args.timeout,
            cell_name,
            args.output,
        )
    if os.environ.get(RUN_ID) and os.environ.get(SCRATCH):
        processes.end_with_parent(os.environ[RUN_ID], os.environ[SCRATCH])
    plan = RoundsPlan(args.min_rounds, args.max_rounds, args.target, args.budget)
    return measured(
        cell_name,
        lambda: cell.run_cell(
            this,
            args.warmups,
            plan,
            args.timeout,
            args.cpu_affinity,
            args.memory_runs,
            args.sample_during_rounds,
        ),
        (WrongAnswer,),
    )


def measured(
    cell_name: str, measure: Callable[[], dict], wrong: tuple[type[BaseException], ...]
) -> int:
    """In the measured process: run `measure()` and hand its record to the supervisor (or
    print it); on failure, one line saying why and the exit status documented in --help.
    `wrong` are the errors that mean a wrong answer (exit 3)."""
    try:
        record = measure()
    except wrong as error:
        print(f"mpbench: {cell_name}: {error}; no record written", file=sys.stderr)
        return EXIT_WRONG_ANSWER
    except (LeftoverProcesses, LeftoverSegments) as error:
        print(f"mpbench: {cell_name}: {error}; no record written", file=sys.stderr)
        return EXIT_FAILED
    except Exception as error:  # the traceback for the log, then the one line that says it
        traceback.print_exc()
        if isinstance(error, ProcessDied):  # the cause, where the strategy saw a broken pipe
            print(
                f"mpbench: {cell_name}: {error}; the rest of the process tree is killed, "
                "no record written",
                file=sys.stderr,
            )
            return watchdog.EXIT_DIED
        print(
            f"mpbench: {cell_name}: failed during {status.now()}: {type(error).__name__}: "
            f"{error}; no record written",
            file=sys.stderr,
        )
        return EXIT_FAILED
    raw = os.environ.get(RAW_RECORD)
    if raw:  # the supervisor completes the record (the memory it sampled), then writes it
        Path(raw).write_text(json.dumps(record), encoding="utf-8")
    else:
        print(json.dumps(record, indent=2, sort_keys=True))
    return 0
