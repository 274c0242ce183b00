"""The memory sampler samples only while the measured process has it on (mpbench.memory), and
workflow/scripts/sampler_bias.py measures what sampling during the timed rounds would cost."""

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
