"""One cell, measured in this process: the input, the reference answer, the priming runs,
the memory baseline, the paired rounds, the memory runs, and the record they make.

The supervisor (mpbench.supervisor) runs this in the measured process and adds the memory
it sampled from outside; mpbench.cli decides which of the two this process is.
"""

import random
import secrets
import sys
import time
from dataclasses import dataclass

from mpbench import job as job_module
from mpbench import metadata, processes, record, status
from mpbench.job import Job
from mpbench.split import SINGLE, split_work
from mpbench.strategy import Strategy, load_baseline
from mpbench.timing import (
    MEMORY_RUNS,
    LeftoverProcesses,
    LeftoverSegments,
    RoundsPlan,
    WrongAnswer,
    checked_run,
    hold_empty_pool,
    measure,
    memory_runs,
    prepare,
)
from mpbench.watchdog import guarded
from mpbench.workloads import WORKLOADS, input_path

# Before any warmup, one untimed run of the baseline and of the strategy on
# N = min(N, PRIMING_N): it imports every module they use and starts multiprocessing's
# helpers, so that no timed run pays a cold start (10-40 ms here), at a cost of
# milliseconds, not a full run.
PRIMING_N = 1000


@dataclass(frozen=True)
class Cell:
    """One cell, as the command line asked for it (mpbench.cli checks it first)."""

    strategy: Strategy
    workload: str
    n: int
    processes: int
    split: str
    start_method: str | None  # None for a strategy that starts no process
    scheduler: str | None = None  # an existing cluster to use (EXISTING_CLUSTER strategies)

    @property
    def name(self) -> str:
        """How messages name the cell."""
        method = f", start method {self.start_method}" if self.start_method else ""
        return (
            f"{self.strategy.name} {self.workload} (n={self.n}, processes={self.processes}, "
            f"split={self.split}{method})"
        )

    def fields(self) -> dict:
        """What names the cell in its record, measured or skipped, and what readers need to
        know of its strategy (so that they never import strategy code)."""
        return {
            "schema_version": record.SCHEMA_VERSION,
            "workload": self.workload,
            "strategy": self.strategy.name,
            "reference": self.strategy.reference,
            "data_path": self.strategy.data_path,
            "pool": self.strategy.pool,
            "baseline": self.strategy.baseline,
            "split": self.split,
            "n": self.n,
            "processes": self.processes,
            "start_method": self.start_method,
            "payload_bytes": WORKLOADS[self.workload].payload(self.n),
        }


def skipped_cell(cell: Cell, size_limit: int) -> dict:
    """The record of a cell above the strategy's size limit: nothing is run."""
    return {
        **cell.fields(),
        "skipped": f"above the limit: n = {cell.n} > size limit {size_limit} for "
        f"{cell.strategy.name} on {cell.workload} (config key size_limits)",
        "size_limit": size_limit,
        "started_at": metadata.now_iso(),
        "environment": metadata.collect(),
    }


def run_cell(
    cell: Cell,
    warmups: int,
    plan: RoundsPlan,
    timeout_s: float,
    cpu_pinned: list[int] | None = None,
    memory: int = MEMORY_RUNS,
    sample_rounds: bool = False,
) -> dict:
    """Measure one cell and return its record (without "memory", which the supervisor adds
    from the "windows": the memory baseline's and each of the `memory` memory runs'
    [start, end]). `sample_rounds`: sample memory during the timed rounds too (only for
    workflow/scripts/sampler_bias.py, see mpbench.timing.measure).

    The cell has passed Strategy.check_cell and resolve_start_method (mpbench.cli does both
    before it starts anything). Its files go to $MPBENCH_SCRATCH (else a temporary folder)
    and its segments are named after $MPBENCH_RUN_ID (else a new run id); the supervisor
    sets both.
    """
    job_module.NOTES.clear()
    with guarded(cell.name, (WrongAnswer,), on_error=job_module.stop_kept) as (run_id, scratch):
        return _run_cell(
            cell, warmups, plan, timeout_s, cpu_pinned, scratch, run_id, memory, sample_rounds
        )


def _run_cell(
    cell, warmups, plan, timeout_s, cpu_pinned, scratch, run_id, memory, sample_rounds
) -> dict:
    strategy, workload, n = cell.strategy, cell.workload, cell.n
    processes_, split, start_method = cell.processes, cell.split, cell.start_method
    clock = {"entered": time.perf_counter()}
    started_s = processes.age_s()  # this interpreter's start and imports, before the cell
    spec = WORKLOADS[workload]
    context = strategy.context(start_method)
    baseline = load_baseline(strategy.baseline)
    if workload not in baseline.runs:
        raise ValueError(f"baseline {baseline.name!r} of {strategy.name!r} does not run {workload}")
    priming_n = min(n, PRIMING_N)
    sizes = sorted({priming_n, n})
    paths = {size: input_path(workload, size, scratch) for size in sizes}

    def job_maker(size: int, workers: int, how: str, scheduler=None):
        pieces = split_work(size, workers, how, spec.domain(size))
        return lambda: Job(
            workload,
            size,
            workers,
            how,
            pieces,
            context,
            paths[size],
            scratch,
            run_id,
            scheduler=scheduler,
        )

    status.enter("preparing the input and the expected answer")
    expected = prepare(workload, paths)
    clock["prepare"] = time.perf_counter()
    environment = metadata.collect()
    settle_s = metadata.wait_for_quiet()
    clock["settle"] = time.perf_counter()
    load_before, started_at = metadata.load_average(), metadata.now_iso()
    activity = metadata.Activity.now()
    run, baseline_run = strategy.runs[workload], baseline.runs[workload]
    checked_run(
        baseline_run,
        job_maker(priming_n, 1, SINGLE)(),
        expected[priming_n],
        "priming run (baseline)",
    )
    checked_run(
        run,
        job_maker(priming_n, processes_, split, cell.scheduler)(),
        expected[priming_n],
        "priming run",
    )
    clock["priming"] = time.perf_counter()
    if (strategy.pool == "warm") != bool(job_module.KEPT):
        raise RuntimeError(
            f"{strategy.name} declares POOL = {strategy.pool!r} but its priming run kept "
            f"{'nothing' if strategy.pool == 'warm' else 'a pool'} across runs (Job.kept)"
        )
    # a pool the strategy keeps alive across runs (Job.kept), started by the priming run,
    # is the idle workers itself; an existing cluster's workers are not this cell's
    own_workers = strategy.starts_processes and cell.scheduler is None
    idle = processes_ if own_workers and not job_module.KEPT else 0
    memory_baseline = hold_empty_pool(context, idle, workload)
    clock["memory_baseline"] = time.perf_counter()
    seed = secrets.randbits(32)
    make_job = job_maker(n, processes_, split, cell.scheduler)
    result = measure(
        baseline_run,
        run,
        job_maker(n, 1, SINGLE),
        make_job,
        expected[n],
        plan,
        warmups,
        random.Random(seed),
        sample_rounds,
    )
    clock["rounds"] = time.perf_counter()
    memory_windows = memory_runs(run, make_job, expected[n], memory)
    status.enter("stopping what the strategy kept alive across runs")
    job_module.stop_kept()
    leftovers = processes.live_descendants()
    if leftovers:
        processes.kill_descendants()
        raise LeftoverProcesses(
            f"the pool kept alive across runs left {len(leftovers)} process(es) running once "
            f"stopped (pids {[p.pid for p in leftovers]})"
        )
    left = processes.remove_segments(run_id, scratch)
    if left:
        raise LeftoverSegments(f"the pool kept alive across runs left {', '.join(left)} behind")
    clock["memory_runs"] = time.perf_counter()
    background = {**metadata.Activity.now().since(activity), "settle_s": settle_s}
    load_after = metadata.load_average()
    warning = metadata.busy_warning(background, load_before, load_after)
    if warning:
        print(f"mpbench: warning: {warning}", file=sys.stderr, flush=True)
    steps = ("entered", "prepare", "settle", "priming", "memory_baseline", "rounds", "memory_runs")
    return {
        **cell.fields(),
        "pieces": len(split_work(n, processes_, split, spec.domain(n))),
        "priming_n": priming_n,
        "answer": result.answer,
        "expected": expected[n],
        "correct": True,
        "warmups_s": result.warmups_s,
        "repeats_s": result.repeats_s,
        "baseline_s": result.baseline_s,
        "strategy_first": result.strategy_first,
        "rounds": {
            "min": plan.min_rounds,
            "max": plan.max_rounds,
            "target": plan.target,
            "budget_s": plan.budget_s,
            "stop": result.stop,
            "seed": seed,
            "sampled": sample_rounds,
        },
        "phases_s": result.phases_s,
        **({"engine": dict(job_module.NOTES)} if job_module.NOTES else {}),
        # where the measured process's time went between its start and the record
        "overhead_s": {
            "start": round(started_s, 6),
            **{b: round(clock[b] - clock[a], 6) for a, b in zip(steps, steps[1:])},
        },
        "windows": {"baseline": memory_baseline, "runs": memory_windows},
        "timeout_s": timeout_s,
        "started_at": started_at,
        "finished_at": metadata.now_iso(),
        "load_before": load_before,
        "load_after": load_after,
        "background": background,
        "cpu_pinned": cpu_pinned,
        "environment": environment,
    }
