"""Paired rounds: the speedup of a cell is the median of its rounds' ratios, with an interval
that holds what it claims, taken in a random order that is recorded, and immune to a host
that slows down halfway (the drift that unpaired medians from different jobs suffer)."""

import multiprocessing
import random

import numpy as np
import pytest

from conftest import STRATEGIES
from mpbench import environ, record, stats, timing
from mpbench import job as job_module
from mpbench.job import Job
from test_harness import run_script


def test_a_known_2x_with_noise_is_recovered_inside_its_interval():
    rng = np.random.default_rng(7)
    for _ in range(200):
        baseline = 1.0 * rng.lognormal(0, 0.03, 12)
        strategy = 0.5 * rng.lognormal(0, 0.03, 12)
        speedup = stats.paired_speedup(list(baseline), list(strategy))
        assert speedup.low <= speedup.value <= speedup.high
        assert speedup.value == pytest.approx(2.0, rel=0.05)
    # and the interval covers the truth about as often as it claims (>= 95 %, here 96.1 %)
    covered = 0
    for _ in range(2000):
        speedup = stats.paired_speedup(
            list(rng.lognormal(0, 0.1, 20)), list(0.5 * rng.lognormal(0, 0.1, 20))
        )
        covered += speedup.low <= 2.0 <= speedup.high
    assert covered / 2000 >= 0.94


def test_pure_noise_gives_an_interval_that_covers_one():
    rng = np.random.default_rng(11)
    misses = 0
    for _ in range(1000):
        same = stats.paired_speedup(
            list(rng.lognormal(0, 0.05, 10)), list(rng.lognormal(0, 0.05, 10))
        )
        misses += not (same.low <= 1.0 <= same.high)
    assert misses / 1000 <= 0.05  # the interval's promise: at most 5 % miss the truth


def test_the_interval_uses_order_statistics_and_says_its_coverage():
    assert stats.median_interval_ranks(5) == (0, 4, 1 - 2 / 2**5)  # too few for 95 %
    assert stats.median_interval_ranks(6)[:2] == (0, 5)
    assert stats.median_interval_ranks(10)[:2] == (1, 8)
    assert stats.median_interval_ranks(20)[:2] == (5, 14)
    for n in range(6, 60):
        assert stats.median_interval_ranks(n)[2] >= 0.95
    assert not stats.paired_speedup([1.0] * 5, [1.0] * 5).resolved  # 93.75 % < 95 %
    assert stats.paired_speedup([1.0] * 6, [1.0] * 6).resolved
    with pytest.raises(ValueError, match="as many baseline times as strategy times"):
        stats.paired_speedup([1.0, 2.0], [1.0])


class FakeHost:
    """Fake runs on a fake clock (installed as timing's `time`): the baseline takes `t1`, the
    strategy `tp`, times `slowdown` once `slow_after` runs have been made (a host that turns
    20 % slower halfway), times `noise(run index)` if given. Synthetic timings: exact, and
    immune to the load of the machine running the tests."""

    def __init__(
        self, t1: float, tp: float, slow_after: int, slowdown: float = 1.2, noise=lambda index: 1.0
    ):
        self.t1, self.tp, self.slow_after, self.slowdown = t1, tp, slow_after, slowdown
        self.noise, self.now = noise, 1000.0
        self.runs: list[str] = []

    def perf_counter(self) -> float:
        return self.now

    def _run(self, side: str, seconds: float) -> int:
        factor = self.slowdown if len(self.runs) >= self.slow_after else 1.0
        self.now += seconds * factor * self.noise(len(self.runs))
        self.runs.append(side)
        return 4  # pi(10): the answer the harness checks

    def baseline(self, job):
        return self._run("baseline", self.t1)

    def strategy(self, job):
        return self._run("strategy", self.tp)


@pytest.fixture
def fake_clock(monkeypatch):
    def install(host: FakeHost) -> FakeHost:
        monkeypatch.setattr(timing, "time", host)
        return host

    return install


def _job():
    return Job(
        "primes",
        10,
        1,
        "none",
        [range(2, 11)],
        multiprocessing.get_context("fork"),
        sample_memory=False,
    )


def _measure(host, rounds, seed=3):
    plan = timing.RoundsPlan(min_rounds=rounds, max_rounds=rounds, budget_s=3600)
    return timing.measure(
        host.baseline, host.strategy, _job, _job, 4, plan, rng=random.Random(seed)
    )


def test_a_host_that_slows_halfway_moves_unpaired_medians_but_not_the_paired_speedup(fake_clock):
    rounds = 12
    noise = np.random.default_rng(2).lognormal(0, 0.02, 2 * rounds)  # 2 % per run
    host = fake_clock(FakeHost(t1=0.04, tp=0.02, slow_after=rounds, noise=lambda i: noise[i]))
    result = _measure(host, rounds)  # runs 13 on (rounds 7 on) are 20 % slower
    paired = stats.paired_speedup(result.baseline_s, result.repeats_s)
    assert paired.value == pytest.approx(2.0, rel=0.03)
    assert paired.low <= 2.0 <= paired.high
    # the old way: T1 from one job (before the slowdown), TP from another (after it)
    early_t1 = np.median(result.baseline_s[: rounds // 2])
    late_tp = np.median(result.repeats_s[rounds // 2 :])
    assert early_t1 / late_tp == pytest.approx(2.0 / 1.2, rel=0.03)
    assert abs(early_t1 / late_tp - 2.0) > 6 * abs(paired.value - 2.0)


def test_the_round_order_is_random_recorded_and_followed(fake_clock):
    host = fake_clock(FakeHost(t1=0.001, tp=0.001, slow_after=10**6))
    result = _measure(host, 16, seed=5)
    first = result.strategy_first
    assert len(first) == 16 and 0 < sum(first) < 16  # both orders occur
    done = [host.runs[2 * i] == "strategy" for i in range(16)]
    assert done == first  # the order recorded is the order run
    seeded = random.Random(5)
    assert first == [seeded.random() < 0.5 for _ in range(16)]  # drawn from the seed
    assert _measure(fake_clock(FakeHost(0.001, 0.001, 10**6)), 16, seed=6).strategy_first != first


def test_rounds_stop_when_the_interval_is_narrow_or_the_budget_is_spent(fake_clock):
    steady = fake_clock(FakeHost(t1=0.02, tp=0.01, slow_after=10**6))
    plan = timing.RoundsPlan(min_rounds=6, max_rounds=30, target=0.05, budget_s=3600)
    result = timing.measure(steady.baseline, steady.strategy, _job, _job, 4, plan)
    assert (len(result.repeats_s), result.stop) == (6, "interval narrow")

    # 20 % noise on every run: a wide interval
    spread = np.random.default_rng(4).lognormal(0, 0.2, 100)
    noisy = fake_clock(FakeHost(0.01, 0.01, 10**6, noise=lambda i: spread[i]))
    plan = timing.RoundsPlan(min_rounds=6, max_rounds=9, target=0.05, budget_s=3600)
    result = timing.measure(noisy.baseline, noisy.strategy, _job, _job, 4, plan)
    assert (len(result.repeats_s), result.stop) == (9, "most rounds")
    slow = fake_clock(FakeHost(t1=0.02, tp=0.01, slow_after=10**6, noise=lambda i: 1 + i % 3 / 10))
    plan = timing.RoundsPlan(min_rounds=6, max_rounds=100, target=0.0001, budget_s=0.5)
    result = timing.measure(slow.baseline, slow.strategy, _job, _job, 4, plan)
    # rounds of about 0.033 s: the round that passes 0.5 s is the 16th
    assert (result.stop, len(result.repeats_s)) == ("time budget", 16)


def test_a_real_cell_records_its_paired_rounds(tmp_path, python):
    output = tmp_path / "cell.json"
    done = run_script(
        python,
        STRATEGIES / "pool_map.py",
        "--n",
        20000,
        "--processes",
        2,
        "--min-rounds",
        8,
        "--max-rounds",
        8,
        "--output",
        output,
    )
    assert done.returncode == 0, done.stderr
    cell = record.read(output)
    assert cell["baseline"] == "single" and cell["answer"] == 2262  # pi(20000)
    assert len(cell["baseline_s"]) == len(cell["repeats_s"]) == len(cell["strategy_first"]) == 8
    assert cell["rounds"]["stop"] in ("interval narrow", "most rounds")
    # phases belong to the strategy's runs, one per round; memory to the memory runs after them
    assert len(cell["phases_s"]["compute"]) == 8
    assert len(cell["memory"]["runs"]) == timing.MEMORY_RUNS and not cell["rounds"]["sampled"]
    assert cell["data_path"] == "copies"
    spent = cell["overhead_s"]
    assert spent["rounds"] >= sum(cell["baseline_s"]) + sum(cell["repeats_s"])
    assert spent["supervisor_total"] >= spent["rounds"] + spent["priming"] + spent["memory_runs"]


class SamplerLog:
    """Stands in for the supervisor's sampler (mpbench.job.ask_sampler): logs each request
    with the run it came in, and makes a sample take `sample_s`."""

    def __init__(self, sample_s: float = 0.0):
        self.requests: list[tuple[bytes, str]] = []
        self.run, self.sample_s = "outside", sample_s

    def __call__(self, request: bytes = environ.SAMPLE) -> float:
        self.requests.append((request, self.run))
        return self.sample_s if request == environ.SAMPLE else 0.0

    def _run(self, name: str, job):
        self.run = name
        job.lap("startup")
        job.lap("compute")
        self.run = "outside"
        return 4

    def strategy(self, job):
        return self._run("strategy", job)

    def baseline(self, job):
        return self._run("baseline", job)


@pytest.fixture
def sampler_log(monkeypatch):
    log = SamplerLog(sample_s=0.5)
    monkeypatch.setattr(job_module, "ask_sampler", log)
    monkeypatch.setattr(timing, "ask_sampler", log)
    return log


def test_timed_rounds_ask_the_sampler_for_nothing_and_nothing_pauses_their_clock(sampler_log):
    plan = timing.RoundsPlan(min_rounds=3, max_rounds=3, budget_s=3600)
    paused = []

    def make_job():  # a job that would ask for a sample: the rounds must not let it
        job = _job()
        job.sample_memory = True
        paused.append(job)
        return job

    result = timing.measure(
        sampler_log.baseline, sampler_log.strategy, make_job, make_job, 4, plan, warmups=1
    )
    assert len(result.repeats_s) == 3 and len(paused) == 8
    assert sampler_log.requests == []  # no sample asked for, periodic sampling never on
    assert [job.paused_s for job in paused] == [0.0] * 8
    # the memory runs after the rounds: sampling on around each, one sample at its compute's end
    windows = timing.memory_runs(sampler_log.strategy, _job, 4, 2)
    on, sample, off = environ.SAMPLING_ON, environ.SAMPLE, environ.SAMPLING_OFF
    assert (
        sampler_log.requests
        == [
            (on, "outside"),
            (sample, "strategy"),
            (off, "outside"),
        ]
        * 2
    )
    assert len(windows) == 2 and all(start < end for start, end in windows)
    assert windows[0][1] <= windows[1][0]


def test_sample_during_rounds_is_the_old_way_for_the_ab_only(sampler_log):
    plan = timing.RoundsPlan(min_rounds=2, max_rounds=2, budget_s=3600)
    jobs = []

    def make_job():
        jobs.append(_job())
        return jobs[-1]

    timing.measure(
        sampler_log.baseline, sampler_log.strategy, make_job, make_job, 4, plan, sample_rounds=True
    )
    requests = sampler_log.requests
    # on before the first round, off after the last; one sample per strategy run, none in
    # the baseline's, each with the clock stopped
    assert requests[0] == (environ.SAMPLING_ON, "outside")
    assert requests[-1] == (environ.SAMPLING_OFF, "outside")
    assert requests[1:-1] == [(environ.SAMPLE, "strategy")] * 2
    assert sorted(job.paused_s for job in jobs) == [0.0, 0.0, 0.5, 0.5]
