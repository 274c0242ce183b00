"""The IPC workload's reader side: the cost-line fit, the tables, the figures (synthetic
records in the format docs/ipc.md describes)."""

import random

import numpy as np
import pandas as pd
import pytest

from mpbench.analysis import figures, ipc
from mpbench.ipc import record as ipc_record

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SIZES = [64, 4096, 262144, 4194304, 67108864]
ENVIRONMENT = {
    "hostname": "testhost",
    "python_version": "3.11.7",
    "python_build": "main / GCC",
    "cpu_affinity": [0, 1],
}
# mechanism -> (pattern, a seconds per message, b seconds per byte)
TRUTH = {
    ("raw_pipe", "pingpong"): (12e-6, 0.9e-9),
    ("raw_pipe", "stream"): (2e-6, 0.4e-9),
    ("memcpy", "stream"): (0.2e-6, 0.1e-9),
    ("pipe_bytes", "pingpong"): (30e-6, 1.0e-9),
    ("pipe_bytes", "stream"): (5e-6, 0.5e-9),
    ("queue", "pingpong"): (60e-6, 2.0e-9),
    ("queue", "stream"): (9e-6, 1.5e-9),
}


CHECK_RATIO = 1.5  # the synthetic checked batch's time per message over the timed batches'


def make_record(mechanism, pattern, n, processes, a, b, noise=0.0, rng=None, repeats=5):
    """A record as the runner writes it, with time per message a + b n (times noise), and a
    checked batch CHECK_RATIO times as slow per message (none for a counter)."""
    rng = rng or random.Random(0)
    per_message = [(a + b * n) * (1 + rng.uniform(-noise, noise)) for _ in range(repeats)]
    messages = [max(8, int(0.1 / (a + b * n))) for _ in range(repeats)]
    batch = [t * m for t, m in zip(per_message, messages)]
    record = {
        "schema_version": ipc_record.SCHEMA_VERSION,
        "kind": "ipc",
        "mechanism": mechanism,
        "pattern": pattern,
        "reference": mechanism in ("raw_pipe", "memcpy"),
        "n": n,
        "processes": processes,
        "start_method": None if mechanism == "memcpy" else "fork",
        "repeats": repeats,
        "messages": messages,
        "batch_s": batch,
        "per_message_s": per_message,
        "latency_s": None,
        "throughput_Bps": None,
        "checked": True,
        "check_messages": messages[-1],
        "check_s": CHECK_RATIO * (a + b * n) * messages[-1],
        "check_per_message_s": CHECK_RATIO * (a + b * n),
        "security": None,
        "environment": dict(ENVIRONMENT),
    }
    if pattern == "pingpong":
        record["check_per_message_s"] *= processes  # per round trip of the slowest sender
    if pattern == "counter":
        record.update(dict.fromkeys(("check_messages", "check_s", "check_per_message_s")))
    if pattern == "pingpong":
        ordered = sorted(per_message)
        record["latency_s"] = {
            "median": ordered[2],
            "p99": ordered[-1] * 1.5,
            "ci_low": ordered[0],
            "ci_high": ordered[-1],
        }
    if pattern == "stream":
        record["throughput_Bps"] = [n * m / s for m, s in zip(messages, batch)]
    return record


def synthetic_records(noise=0.02, processes=(1,)):
    rng = random.Random(42)
    return [
        make_record(mechanism, pattern, n, p, a, b, noise, rng)
        for (mechanism, pattern), (a, b) in TRUTH.items()
        for n in SIZES
        for p in processes
        if not (mechanism == "memcpy" and p > 1)
    ]


def test_the_fit_recovers_a_and_b_exactly_from_exact_timings():
    n = np.array(SIZES * 3, dtype=float)
    fit = ipc.fit_cost_line(n, 25e-6 + 1.25e-9 * n)
    assert fit["a_s"] == pytest.approx(25e-6, rel=1e-9)
    assert fit["b_s_per_byte"] == pytest.approx(1.25e-9, rel=1e-9)
    assert fit["sizes"] == len(SIZES) and fit["points"] == 3 * len(SIZES)
    assert fit["rel_rms"] == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_the_fit_recovers_a_and_b_from_noisy_timings_within_its_intervals(seed):
    rng = np.random.default_rng(seed)
    a, b = 40e-6, 0.8e-9
    n = np.repeat(np.array(SIZES, dtype=float), 7)
    y = (a + b * n) * rng.lognormal(0, 0.03, len(n))  # 3 % multiplicative noise
    fit = ipc.fit_cost_line(n, y)
    assert fit["a_low_s"] <= a <= fit["a_high_s"]
    assert fit["b_low_s_per_byte"] <= b <= fit["b_high_s_per_byte"]
    # and the intervals are informative, not merely wide: within 10 % of the truth
    assert fit["a_high_s"] - fit["a_low_s"] < 0.2 * a
    assert fit["b_high_s_per_byte"] - fit["b_low_s_per_byte"] < 0.2 * b


def test_the_intervals_cover_the_truth_about_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    a, b = 10e-6, 2e-9
    n = np.repeat(np.array(SIZES, dtype=float), 5)
    covered = 0
    trials = 400
    for _ in range(trials):
        fit = ipc.fit_cost_line(n, (a + b * n) * rng.lognormal(0, 0.05, len(n)))
        covered += fit["a_low_s"] <= a <= fit["a_high_s"]
    assert 0.90 <= covered / trials <= 0.99


def test_one_size_gives_a_cost_per_message_and_no_line():
    fit = ipc.fit_cost_line([8] * 5, [2e-7, 3e-7, 2.5e-7, 2.2e-7, 2.8e-7])
    assert fit["a_s"] == pytest.approx(2.5e-7)
    assert np.isnan(fit["b_s_per_byte"]) and np.isnan(fit["a_low_s"])
    assert fit["sizes"] == 1


def test_the_fit_refuses_what_is_not_a_cost():
    with pytest.raises(ValueError, match="as many sizes as times"):
        ipc.fit_cost_line([64, 128], [1e-6])
    with pytest.raises(ValueError, match="> 0"):
        ipc.fit_cost_line([64, 128, 256], [1e-6, 0.0, 1e-6])


def test_costs_table_has_one_line_per_mechanism_pattern_and_p():
    batches = ipc.batches_table(synthetic_records(noise=0.0, processes=(1, 2)))
    costs = ipc.costs_table(batches)
    expected = {(m, p, procs) for (m, p) in TRUTH for procs in (1, 2)} - {("memcpy", "stream", 2)}
    assert set(zip(costs["mechanism"], costs["pattern"], costs["processes"])) == expected
    for row in costs.itertuples():
        a, b = TRUTH[(row.mechanism, row.pattern)]
        assert row.a_s == pytest.approx(a, rel=1e-6)
        assert row.b_s_per_byte == pytest.approx(b, rel=1e-6)
        assert row.bandwidth_Bps == pytest.approx(1 / b, rel=1e-6)
    assert costs.loc[costs["mechanism"] == "memcpy", "reference"].all()


def test_cells_table_puts_each_cell_against_the_floor_and_the_ceiling():
    cells = ipc.cells_table(synthetic_records(noise=0.0))
    assert len(cells) == len(TRUTH) * len(SIZES)
    row = cells[(cells["mechanism"] == "queue") & (cells["pattern"] == "pingpong")]
    row = row[row["n"] == 64].iloc[0]
    queue, floor = 60e-6 + 2.0e-9 * 64, 12e-6 + 0.9e-9 * 64
    assert row["latency_median_s"] == pytest.approx(queue)
    assert row["latency_over_floor"] == pytest.approx(queue / floor)
    stream = cells[(cells["mechanism"] == "pipe_bytes") & (cells["pattern"] == "stream")]
    big = stream[stream["n"] == SIZES[-1]].iloc[0]
    n = SIZES[-1]
    assert big["throughput_Bps"] == pytest.approx(n / (5e-6 + 0.5e-9 * n))
    assert big["ceiling_share"] == pytest.approx((0.2e-6 + 0.1e-9 * n) / (5e-6 + 0.5e-9 * n))
    assert cells["messages"].gt(0).all() and (cells["secure"] == "").all()


def test_cells_table_puts_the_check_cost_beside_each_cell():
    records = synthetic_records(noise=0.0) + [
        make_record("value_lock", "counter", 8, 1, 1e-6, 0.0),
    ]
    for rec in records:
        rec["environment"] = {**rec["environment"], "platform": "p", "packages": {}}
        ipc_record.validate(rec)  # the records are as the runner writes them
    cells = ipc.cells_table(records).set_index(["mechanism", "pattern", "n"])
    stream = cells.loc[("pipe_bytes", "stream", 4096)]
    assert stream["check_per_message_s"] == pytest.approx(CHECK_RATIO * (5e-6 + 0.5e-9 * 4096))
    assert stream["check_ratio"] == pytest.approx(CHECK_RATIO)
    assert cells.loc[("queue", "pingpong", 64), "check_ratio"] == pytest.approx(CHECK_RATIO)
    counter = cells.loc[("value_lock", "counter", 8)]
    assert np.isnan(counter["check_s"]) and np.isnan(counter["check_ratio"])


def test_the_remote_managers_security_is_reported_as_measured():
    secure = make_record("remote_manager", "pingpong", 64, 1, 1e-4, 1e-9)
    secure["security"] = {
        "address": "127.0.0.1",
        "loopback_only": True,
        "wrong_authkey_refused": True,
    }
    open_door = make_record("remote_manager", "stream", 64, 1, 1e-4, 1e-9)
    open_door["security"] = {**secure["security"], "wrong_authkey_refused": False}
    cells = ipc.cells_table([secure, open_door]).set_index("pattern")
    assert cells.loc["pingpong", "secure"].item() is True
    assert cells.loc["stream", "secure"].item() is False


@pytest.mark.parametrize("entry", figures.for_workload("ipc"), ids=lambda e: e.name)
def test_every_ipc_figure_draws_a_png(entry, tmp_path):
    records = synthetic_records(processes=(1, 2))
    cells = ipc.cells_table(records)
    costs = ipc.costs_table(ipc.batches_table(records))
    path = tmp_path / f"{entry.name}.png"
    figures.draw(entry.name, cells, path, costs=costs)
    assert path.read_bytes()[:8] == PNG_SIGNATURE


def test_the_ipc_figures_say_when_there_is_nothing_to_draw(tmp_path):
    cells = ipc.cells_table(synthetic_records())
    stream_only = cells[cells["pattern"] == "stream"]
    for entry in figures.for_workload("ipc"):
        path = tmp_path / f"{entry.name}.png"
        figures.draw(entry.name, stream_only, path, costs=pd.DataFrame())
        assert path.read_bytes()[:8] == PNG_SIGNATURE


def test_summarize_writes_the_tables_the_readme_quotes(tmp_path):
    records = synthetic_records(processes=(1, 2))
    paths = [tmp_path / name for name in ("b.csv", "c.csv", "k.csv", "ipc.md")]
    cells, costs = ipc.summarize(records, *paths)
    assert len(pd.read_csv(paths[0])) == sum(r["repeats"] for r in records)
    assert len(pd.read_csv(paths[1])) == len(records)
    assert len(pd.read_csv(paths[2])) == len(costs) == 13
    text = paths[3].read_text()
    # the 64 B round trips, fastest first: the raw pipe, then pipe_bytes at 30 µs over 12 µs
    assert "### Round trip of a 64 B message" in text
    assert text.index("| raw_pipe (reference) |") < text.index("| pipe_bytes |")
    pipe_bytes = cells[
        (cells["mechanism"] == "pipe_bytes") & (cells["pattern"] == "pingpong") & (cells["n"] == 64)
    ]
    ratio = pipe_bytes[pipe_bytes["processes"] == 1]["latency_over_floor"].item()
    assert f"| {ratio:.2f} |" in text
    assert "### Streaming 64 MiB messages" in text and "| memcpy (reference) |" in text
    queue = costs[(costs["mechanism"] == "queue") & (costs["pattern"] == "stream")]
    a = queue[queue["processes"] == 1]["a_s"].item()
    assert a == pytest.approx(9e-6, rel=0.05)
    assert "### Cost lines" in text and f"| queue | stream | {a / 1e-6:.3g} µs |" in text
    # the check cost beside each cell: raw_pipe's 64 B round trip checked, 64 MiB stream
    assert (
        "| × raw pipe | checked |" in text and "| share of memcpy | checked, per message |" in text
    )
    floor = CHECK_RATIO * (12e-6 + 0.9e-9 * 64)
    assert f"| 1.00 | {floor / 1e-6:.3g} µs |" in text
    memcpy = CHECK_RATIO * (0.2e-6 + 0.1e-9 * SIZES[-1])
    assert f"| 100% | {memcpy / 1e-3:.3g} ms |" in text
