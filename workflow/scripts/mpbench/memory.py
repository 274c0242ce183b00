"""Memory of a cell's whole process tree, sampled from outside it by the supervisor.

The supervisor (the strategy script's first process, which only waits) samples the measured
process and every descendant (workers, a Manager's server, multiprocessing's resource
tracker and forkserver): the sum of their PSS (proportional set size: a page shared by k
processes counts 1/k in each, so shared memory is counted once overall) and of their USS
(pages private to one process), from /proc/<pid>/smaps_rollup through psutil.

Sampling from another process keeps the sampler off the measured processes' GIL. It costs
CPU time all the same, on a machine whose cores the cell uses, so the supervisor samples only
when the measured process asks it to (mpbench.environ: SAMPLING_ON, SAMPLING_OFF), around the
runs whose memory is measured: the memory baseline and the untimed memory runs of the
strategy after the timed rounds (mpbench.timing). No sample is taken during a timed round,
whose clock nothing then pauses. While sampling is on, each sample is followed by a pause of
at least MIN_INTERVAL_S and at least (1 / MAX_DUTY - 1) times what the sample took, so that
the sampler never uses more than MAX_DUTY of one core. What it did use while on is in every
record (memory.sampler).

Besides sampling at that rate, the supervisor takes one sample on request (SAMPLE): when a
memory run marks the end of its compute phase (job.lap("compute")), the measured process
asks for a sample and waits for it. At that moment all of the run's data still exists
(input, output and the workers holding them), so every memory run has at least one sample
where zero-copy strategies peak; the periodic samples catch the peaks inside compute (copies
in flight).

The measured process reports when each memory run ran (time.perf_counter, which is
CLOCK_MONOTONIC on Linux and so the same clock in both processes); a run's peak is the
largest sample taken inside it. A run with no sample inside has a null peak, never a guess.
"""

import math
import os
import resource
import select
import statistics
import subprocess
import time

import psutil

from mpbench.environ import REPLY, SAMPLE, SAMPLING_OFF, SAMPLING_ON

MIN_INTERVAL_S = 0.01  # at most 100 samples a second
MAX_DUTY = 0.05  # the sampler's share of one core, at most
EXIT_POLL_S = 0.05  # how often the supervisor looks whether the measured process has exited


def _children(pid: int) -> list[int]:
    """Direct children of `pid`, from /proc/<pid>/task/*/children (a few microseconds),
    falling back on psutil's scan of every process (milliseconds) where the kernel lacks it."""
    try:
        found = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as stream:
                found.extend(int(child) for child in stream.read().split())
        return found
    except FileNotFoundError:
        if not os.path.exists(f"/proc/{pid}"):
            return []
        try:
            return [child.pid for child in psutil.Process(pid).children()]
        except psutil.NoSuchProcess:
            return []
    except OSError:
        return []


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    pids, index = [pid], 0
    while index < len(pids):
        pids.extend(_children(pids[index]))
        index += 1
    return pids


def tree_memory(pid: int) -> tuple[int, int, int]:
    """(PSS, USS, processes) summed over the tree rooted at `pid`, in bytes."""
    pss = uss = count = 0
    for member in tree(pid):
        try:
            info = psutil.Process(member).memory_full_info()
        except psutil.Error:  # exited meanwhile, or a zombie
            continue
        pss, uss, count = pss + info.pss, uss + info.uss, count + 1
    return pss, uss, count


class TreeSampler:
    """Samples a process tree's memory when asked; remembers every sample, and how long and
    at what CPU cost it sampled periodically."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.pss: list[int] = []
        self.uss: list[int] = []
        self.processes: list[int] = []
        self.spans: list[list[float]] = []  # [start, end] of each span of periodic sampling
        self.busy_s = 0.0
        self.span_cpu_s = 0.0  # the supervisor's CPU time inside those spans
        self._span_cpu_start: float | None = None  # set while periodic sampling is on

    @staticmethod
    def _cpu_s() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def sample(self, pid: int) -> float:
        """Take one sample of the tree under `pid`; return the seconds to wait until the next."""
        started = time.perf_counter()
        pss, uss, count = tree_memory(pid)
        finished = time.perf_counter()
        if count:
            self.times.append((started + finished) / 2)
            self.pss.append(pss)
            self.uss.append(uss)
            self.processes.append(count)
        took = finished - started
        self.busy_s += took
        return max(MIN_INTERVAL_S, took / MAX_DUTY) - took

    @property
    def sampling(self) -> bool:
        """Whether periodic sampling is on."""
        return self._span_cpu_start is not None

    def start_sampling(self) -> None:
        if not self.sampling:
            self._span_cpu_start = self._cpu_s()
            self.spans.append([time.perf_counter(), math.nan])

    def stop_sampling(self) -> None:
        if self.sampling:
            self.spans[-1][1] = time.perf_counter()
            self.span_cpu_s += self._cpu_s() - self._span_cpu_start
            self._span_cpu_start = None

    def watch(
        self,
        child: subprocess.Popen,
        deadline: float,
        requests: int | None = None,
        replies: int | None = None,
    ) -> int | None:
        """Watch `child` until it exits (its exit code) or `deadline` (None); answer each byte
        read from `requests` (mpbench.environ: a sample, periodic sampling on or off) once done
        with a byte on `replies`, and sample `child`'s tree periodically while that is on."""
        watched = [requests] if requests is not None else []
        next_at = math.inf
        try:
            while True:
                if time.monotonic() >= next_at:
                    next_at = time.monotonic() + self.sample(child.pid)
                if child.poll() is not None:
                    return child.returncode
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                timeout = max(0.0, min(next_at - time.monotonic(), left, EXIT_POLL_S))
                ready, _, _ = select.select(watched, [], [], timeout)
                if not ready:
                    continue
                asked = os.read(requests, 64)
                if not asked:  # the measured process closed its end: it is exiting
                    watched = []
                for request in (asked[i : i + 1] for i in range(len(asked))):
                    if request == SAMPLE:
                        self.sample(child.pid)
                    elif request == SAMPLING_ON:
                        self.start_sampling()
                        next_at = time.monotonic()
                    elif request == SAMPLING_OFF:
                        self.stop_sampling()
                        next_at = math.inf
                    os.write(replies, REPLY)
        finally:
            self.stop_sampling()

    def _inside(self, window) -> list[int]:
        start, end = window
        return [i for i, t in enumerate(self.times) if start <= t <= end]

    def _intervals(self) -> list[float]:
        """The gaps between consecutive samples of one span of periodic sampling."""
        gaps = []
        for start, end in self.spans:
            inside = [t for t in self.times if start <= t <= end]
            gaps.extend(b - a for a, b in zip(inside, inside[1:]))
        return gaps

    def summary(self, windows: dict, payload_bytes: int | None) -> dict:
        """The record's "memory": the baseline, each memory run's peak, the sampler's cost."""
        base = self._inside(windows["baseline"])
        runs = []
        for window in windows["runs"]:
            inside = self._inside(window)
            runs.append(
                {
                    "samples": len(inside),
                    "peak_pss_bytes": max((self.pss[i] for i in inside), default=None),
                    "peak_uss_bytes": max((self.uss[i] for i in inside), default=None),
                    "processes": max((self.processes[i] for i in inside), default=None),
                }
            )
        intervals = self._intervals()
        sampled_s = sum(end - start for start, end in self.spans if not math.isnan(end))
        return {
            "payload_bytes": payload_bytes,
            "baseline": {
                "samples": len(base),
                "pss_bytes": _median_int(self.pss[i] for i in base),
                "uss_bytes": _median_int(self.uss[i] for i in base),
                "processes": _median_int(self.processes[i] for i in base),
            },
            "runs": runs,
            "sampler": {
                "samples": len(self.times),
                "sampled_s": round(sampled_s, 4),
                "median_interval_s": round(statistics.median(intervals), 5) if intervals else None,
                "mean_sample_s": round(self.busy_s / len(self.times), 6) if self.times else None,
                "cpu_s": round(self.span_cpu_s, 4),
                "cpu_cores": round(self.span_cpu_s / sampled_s, 4) if sampled_s > 0 else None,
                "min_interval_s": MIN_INTERVAL_S,
                "max_duty": MAX_DUTY,
            },
        }


def _median_int(values) -> int | None:
    values = list(values)
    return int(statistics.median(values)) if values else None
