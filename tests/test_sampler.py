"""The memory sampler samples only while the measured process has it on (mpbench.memory), and
workflow/scripts/sampler_bias.py measures what sampling during the timed rounds would cost."""

import csv
import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import SCRIPTS
from mpbench import environ, memory

# A measured process that speaks the sampler's protocol: sampling on for a while, off for
# longer, one requested sample, then on and off again; it prints each window it had on.
TALKER = textwrap.dedent("""\
    import json, os, sys, time
    from mpbench.environ import SAMPLING_OFF, SAMPLING_ON, SAMPLE
    from mpbench.job import ask_sampler

    windows = []
    for on_s in (0.2, 0.05):
        start = time.perf_counter()
        ask_sampler(SAMPLING_ON)
        time.sleep(on_s)
        ask_sampler(SAMPLING_OFF)
        windows.append([start, time.perf_counter()])
        time.sleep(0.3)  # sampling off: no sample may fall here
    asked = [time.perf_counter()]
    ask_sampler(SAMPLE)
    asked.append(time.perf_counter())
    print(json.dumps({"windows": windows, "asked": asked}), flush=True)
    """)


@pytest.mark.integration
def test_the_sampler_samples_only_while_the_measured_process_has_it_on():
    sampler = memory.TreeSampler()
    requests, asks = os.pipe()
    answers, replies = os.pipe()
    child = subprocess.Popen(
        [sys.executable, "-c", TALKER],
        env={**os.environ, environ.SAMPLER: f"{asks},{answers}", "PYTHONPATH": str(SCRIPTS)},
        pass_fds=(asks, answers),
        stdout=subprocess.PIPE,
        text=True,
    )
    os.close(asks)
    os.close(answers)
    try:
        code = sampler.watch(child, time.monotonic() + 60, requests, replies)
    finally:
        os.close(requests)
        os.close(replies)
    told = child.stdout.read()
    child.stdout.close()
    assert code == 0, told
    told = json.loads(told)
    windows, asked = told["windows"], told["asked"]
    inside = [[t for t in sampler.times if start <= t <= end] for start, end in windows]
    # at most every MIN_INTERVAL_S while on: 0.2 s holds several samples
    assert len(inside[0]) >= 3 and len(inside[1]) >= 1
    requested = [t for t in sampler.times if asked[0] <= t <= asked[1]]
    assert len(requested) == 1  # the one asked for while sampling was off
    assert len(sampler.times) == len(inside[0]) + len(inside[1]) + 1  # none anywhere else
    assert len(sampler.spans) == 2 and not sampler.sampling
    cost = sampler.summary({"baseline": windows[0], "runs": windows}, None)["sampler"]
    assert 0.25 <= cost["sampled_s"] <= sum(end - start for start, end in windows)
    assert cost["cpu_cores"] == pytest.approx(cost["cpu_s"] / cost["sampled_s"], abs=1e-3)
    assert cost["median_interval_s"] >= memory.MIN_INTERVAL_S


def _rows(path):
    with path.open(encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


@pytest.mark.integration
def test_sampler_bias_runs_interleaved_ab_pairs_and_writes_the_ratio_of_speedups(tmp_path):
    output = tmp_path / "bias" / "sampler_bias.csv"
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPTS / "sampler_bias.py"),
            *("--cell", "primes:pool_map:2000", "--processes", "2"),
            *("--pairs", "2", "--rounds", "2", "--seed", "4", "--output", str(output)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (row,) = _rows(output)
    assert (row["workload"], row["strategy"], row["n"], row["processes"]) == (
        "primes",
        "pool_map",
        "2000",
        "2",
    )
    assert (row["pairs"], row["rounds"], row["seed"]) == ("2", "2", "4")
    runs = _rows(output.with_name("sampler_bias_runs.csv"))
    assert sorted((r["pair"], r["side"]) for r in runs) == [
        ("1", "off"),
        ("1", "on"),
        ("2", "off"),
        ("2", "on"),
    ]
    # side A sampled during its rounds, side B did not; one of each pair ran first
    assert all(r["sampled"] == str(r["side"] == "on") for r in runs)
    assert sorted(r["first"] for r in runs) == ["False", "False", "True", "True"]
    speedup = {(r["pair"], r["side"]): float(r["speedup"]) for r in runs}
    ratios = sorted(speedup[pair, "on"] / speedup[pair, "off"] for pair in ("1", "2"))
    assert float(row["ratio"]) == pytest.approx(sum(ratios) / 2, rel=1e-3)
    assert float(row["ratio_low"]) == pytest.approx(ratios[0], rel=1e-3)
    assert float(row["ratio_high"]) == pytest.approx(ratios[1], rel=1e-3)
    assert float(row["ratio_coverage"]) == 0.5  # 2 pairs: [min, max] covers the median half
    assert float(row["sampler_cpu_cores_on"]) > 0
    assert f"S_on / S_off = {float(row['ratio']):.3f}" in done.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["--cell", "primes:pool_map"], "must be WORKLOAD:STRATEGY:N with N an integer >= 2"),
        (["--cell", "primes:nosuch:100"], "unknown strategy 'nosuch' in 'primes:nosuch:100'"),
        (["--cell", "array:numpy_sieve:100"], "numpy_sieve does not run workload 'array'"),
        (["--processes", "0,2"], "must be process counts >= 1 separated by commas"),
        (["--pairs", "0"], "must be an integer >= 1, got '0'"),
    ],
)
def test_sampler_bias_refuses_bad_arguments_in_one_line(args, message):
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "sampler_bias.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and message in done.stderr.splitlines()[-1]
