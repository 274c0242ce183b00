"""The parent's timing loop: paired rounds of the baseline and the strategy, each run checked.

A round runs the baseline (the strategy's BASELINE, `single` unless it declares another;
same workload and N) and the strategy back to back, in
a random order that is recorded. Both see the same machine, so the round's ratio T1 / TP
cancels whatever slows the host for longer than a round (mpbench.stats). Rounds go on until
the speedup's interval is narrow enough, the cell's time budget is spent or the most rounds
are run, whichever comes first, and never fewer than the fewest rounds.

No memory is sampled during the rounds (on 2 cores the sampler would take a share of the
core that `single` leaves free and a P = 2 strategy does not): the strategy's memory is
measured in a few untimed memory runs after them (`memory_runs`), with the supervisor's
sampler on (mpbench.memory).
"""

import contextlib
import multiprocessing
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from mpbench import processes, stats, status
from mpbench.environ import SAMPLING_OFF, SAMPLING_ON
from mpbench.job import KEPT_PATHS, Job, ask_sampler, kept_pids, ready_after
from mpbench.workloads import PHASES, WORKLOADS

# The interpreters' own memory (the baseline a cell's peak memory is judged against) is the
# median of this many samples taken with an empty pool, this far apart:
BASELINE_SAMPLES, BASELINE_GAP_S = 3, 0.02
# After the timed rounds, this many untimed runs of the strategy with the memory sampler on,
# by default (config key memory_runs, workflow/schemas/config.schema.yaml, says the same)
MEMORY_RUNS = 3


class WrongAnswer(AssertionError):
    def __init__(self, expected, got, run: str):
        super().__init__(f"wrong answer in {run}: expected {expected}, got {got}")


class LeftoverProcesses(RuntimeError):
    pass


class LeftoverSegments(RuntimeError):
    pass


@dataclass(frozen=True)
class RoundsPlan:
    """How many paired rounds a cell runs (config key `rounds`)."""

    min_rounds: int = 6  # the fewest with a 95 % interval for a median (mpbench.stats)
    max_rounds: int = 20
    target: float = stats.RESOLUTION  # stop once the interval reaches no further than this
    budget_s: float = 30.0  # stop after the round that spends this much time in rounds

    def stop(self, rounds: int, speedup: stats.Speedup, spent_s: float) -> str | None:
        """Why to stop after `rounds` rounds, or None to run another."""
        if rounds < self.min_rounds:
            return None
        if speedup.coverage >= stats.CONFIDENCE and speedup.halfwidth <= self.target:
            return "interval narrow"
        if rounds >= self.max_rounds:
            return "most rounds"
        if spent_s >= self.budget_s:
            return "time budget"
        return None


@dataclass
class Measurement:
    answer: object
    baseline_s: list[float]  # each round's baseline time
    repeats_s: list[float]  # each round's strategy time
    strategy_first: list[bool]  # each round's order
    warmups_s: list[float]  # untimed rounds' strategy times
    phases_s: dict[str, list[float] | None]  # the strategy's phases, per round
    stop: str  # why the rounds stopped
    rounds_s: float  # wall time of all rounds, checks included


def phases_of(job: Job, started: float, finished: float) -> dict[str, float] | None:
    if not {"startup", "compute"} <= set(job.marks):  # (the harness adds "checked")
        return None
    setup_end = job.marks.get("setup", started)
    return {
        "setup": setup_end - started,
        "startup": job.marks["startup"] - setup_end,
        "compute": job.marks["compute"] - job.marks["startup"],
        "teardown": finished - job.marks["compute"] - job.paused_s,
    }


def checked_run(run: Callable[[Job], object], job: Job, expected, label: str):
    """One run: (answer, start, end) on the clock, then the checks.

    Only the strategy call is inside the clock; the job (its pieces) is built before it,
    and the answer check, the deferred clean-ups and the leftover checks come after it.
    """
    status.enter(label)
    try:
        started = time.perf_counter()
        result = run(job)
        finished = time.perf_counter()
        answer = WORKLOADS[job.workload].answer(result)
        job.marks["checked"] = time.perf_counter()
        del result  # the last view of the output, so that its shared memory can be freed
    finally:
        job.release()
    if answer != expected:
        raise WrongAnswer(expected, answer, label)
    check_leftovers(label, job.run_id, job.scratch, "strategy", " (or hand them to job.defer)")
    return answer, started, finished


def check_leftovers(label: str, run_id: str, scratch, who: str, hint: str = "") -> None:
    """After a run: raise (and clean up) if processes, segments or files of it are left."""
    leftovers = processes.live_descendants(spared=kept_pids())  # a warm pool stays (Job.kept)
    if leftovers:
        processes.kill_descendants()
        raise LeftoverProcesses(
            f"{label} returned with {len(leftovers)} process(es) still running "
            f"(pids {[p.pid for p in leftovers]}); every {who} must join what it starts"
        )
    left = processes.remove_segments(run_id, scratch, spared=KEPT_PATHS)  # a warm pool's
    if left:
        raise LeftoverSegments(
            f"{label} returned leaving {', '.join(left)} behind; every {who} must unlink "
            f"the shared memory and files it makes{hint}"
        )


@contextlib.contextmanager
def sampled():
    """Periodic memory sampling by the supervisor while the body runs; yields the window,
    [before sampling started, after it stopped] on perf_counter once the body is done, so
    that every sample of it falls inside."""
    window = [time.perf_counter()]
    ask_sampler(SAMPLING_ON)
    try:
        yield window
    finally:
        ask_sampler(SAMPLING_OFF)
        window.append(time.perf_counter())


def measure(
    baseline: Callable[[Job], object],
    strategy: Callable[[Job], object],
    make_baseline_job: Callable[[], Job],
    make_job: Callable[[], Job],
    expected,
    plan: RoundsPlan,
    warmups: int = 0,
    rng: random.Random | None = None,
    sample_rounds: bool = False,
) -> Measurement:
    """`warmups` untimed rounds, then paired rounds as `plan` says, each run checked.

    No memory sample is taken in them: nothing stops the clock. `sample_rounds` brings back
    the old way, periodic sampling throughout and a sample at the end of each strategy run's
    compute with the clock stopped, only for workflow/scripts/sampler_bias.py to measure what
    that cost."""
    rng = rng or random.Random()
    baseline_s, repeats_s, first, warmups_s, phase_runs = [], [], [], [], []
    answer, stop, index = None, None, 0
    started = time.perf_counter()
    with sampled() if sample_rounds else contextlib.nullcontext():
        while stop is None:
            timed = index >= warmups
            label = f"round {index - warmups + 1}" if timed else f"warmup {index + 1}"
            strategy_first = rng.random() < 0.5
            times = {}
            for side in ("strategy", "baseline") if strategy_first else ("baseline", "strategy"):
                job = make_job() if side == "strategy" else make_baseline_job()
                job.sample_memory = sample_rounds and side == "strategy"
                answer, begin, end = checked_run(
                    strategy if side == "strategy" else baseline, job, expected, f"{label} ({side})"
                )
                times[side] = end - begin - job.paused_s
                if side == "strategy" and timed:
                    phase_runs.append(phases_of(job, begin, end))
            index += 1
            if not timed:
                warmups_s.append(times["strategy"])
                continue
            baseline_s.append(times["baseline"])
            repeats_s.append(times["strategy"])
            first.append(strategy_first)
            speedup = stats.paired_speedup(baseline_s, repeats_s)
            stop = plan.stop(len(repeats_s), speedup, time.perf_counter() - started)
    phases_s = {
        phase: None if any(p is None for p in phase_runs) else [p[phase] for p in phase_runs]
        for phase in PHASES
    }
    return Measurement(
        answer,
        baseline_s,
        repeats_s,
        first,
        warmups_s,
        phases_s,
        stop,
        time.perf_counter() - started,
    )


def memory_runs(
    strategy: Callable[[Job], object], make_job: Callable[[], Job], expected, runs: int
) -> list[list[float]]:
    """`runs` untimed runs of the strategy, each checked, with the supervisor sampling the
    tree's memory periodically and once at the end of compute (when all of the run's data
    still exists); return each run's window. A window runs on while the output is checked:
    the run's data is all still there, so a peak at the very end is caught by a sample after
    it."""
    windows = []
    for index in range(runs):
        job = make_job()
        job.sample_memory = True
        with sampled() as window:
            checked_run(strategy, job, expected, f"memory run {index + 1}")
        windows.append(window)
    return windows


def hold_empty_pool(context, workers: int, workload: str) -> list[float]:
    """Run `workers` idle workers (none: the parent alone, or the parent and the pool the
    strategy keeps alive across runs, see Job.kept, whose workers are then the idle ones)
    while the supervisor samples their memory periodically and BASELINE_SAMPLES times on
    request, BASELINE_GAP_S apart; return the window.

    Those samples are the interpreters' own memory: the baseline a cell's peak is judged
    against. The workers start like a Pool's (under spawn they import the strategy's script,
    as its workers do) and hold no data.
    """

    def hold() -> list[float]:
        status.enter("memory baseline")
        with sampled() as window:
            for _ in range(BASELINE_SAMPLES):
                ask_sampler()  # one sample
                time.sleep(BASELINE_GAP_S)
        return window

    if workers == 0:
        return hold()
    ready = context.Semaphore(0)
    with context.Pool(workers, ready_after, (ready, None, (), workload)) as pool:
        for _ in range(workers):
            ready.acquire()
        window = hold()
        pool.close()
        pool.join()
    return window


def _prepare_one(workload: str, n: int, path: str | None):
    spec = WORKLOADS[workload]
    if path is not None:
        spec.write_input(n, path)
    return spec.expected(n)


def prepare(workload: str, paths: dict[int, str | None]) -> dict[int, object]:
    """Write the input files {size: path} and compute the expected answers, {size: answer}.

    Done in a child process, so that the measured process's heap never held these arrays:
    the C allocator keeps freed memory for reuse, and the memory baseline would otherwise
    count pages that the strategy later fills with its own data.
    """
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    sizes = sorted(paths)
    with context.Pool(1) as pool:
        answers = pool.starmap(_prepare_one, [(workload, n, paths[n]) for n in sizes])
    return dict(zip(sizes, answers))
