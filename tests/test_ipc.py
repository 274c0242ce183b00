"""The ipc workload's measuring side: messages and their checks, every mechanism end to end
in real processes, a corrupted message, the remote manager's authkey, nothing left behind,
a sender killed mid-stream, the config checks, and the workflow rule."""

import csv
import io
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from conftest import ROOT, SCRIPTS
from mpbench import metadata, processes, record, stats
from mpbench.cli import measured
from mpbench.environ import RUN_ID, SCRATCH, new_run_id
from mpbench.experiment.config import ConfigError, load
from mpbench.ipc import mechanism, payload, runner
from mpbench.ipc import record as ipc_record
from mpbench.ipc.payload import CorruptMessage
from mpbench.metadata import QUIET_MAX_S
from mpbench.supervisor import EXIT_WRONG_ANSWER
from mpbench.watchdog import EXIT_DIED

MEASURE = SCRIPTS / "measure_ipc.py"
ODD_SIZES = (1, 4097, 1024 * 1024 + 3)
SHM = Path("/dev/shm")


@pytest.fixture(autouse=True)
def no_settling(monkeypatch):
    """Cells run in this process start their batches at once: on a shared machine the wait
    for quiet (up to 1 s, mpbench.metadata) would make each test slow, and is not what
    these tests check. (Cells run as programs, below, still wait.)"""
    monkeypatch.setattr(metadata, "wait_for_quiet", lambda *_, **__: 0.0)


def cells():
    """Every mechanism, each of its patterns, at the odd sizes and P in {1, 3}."""
    for name in mechanism.names():
        described = mechanism.describe(name)
        for pattern in described.patterns:
            for n in described.sizes(pattern, ODD_SIZES):
                for p in described.counts((1, 3)):
                    yield pytest.param(name, pattern, n, p, id=f"{name}-{pattern}-n{n}-p{p}")


def run(described, pattern, n, p, repeats=1, min_batch_s=1e-4) -> dict:
    method = None if described.in_process else "fork"
    described.check_cell(pattern, n, p, method)
    return runner.run_cell(runner.Cell(described, pattern, n, p, method), repeats, min_batch_s)


# ---- messages and their check (no process) ----


@pytest.mark.parametrize("n", [1, 5, 9, 10, 4097])
def test_every_message_of_every_sender_passes_the_check_in_order(n):
    checker = payload.Checker(n, 3)
    for sequence in range(4):
        for sender in range(3):
            message = payload.pattern(n)
            payload.stamp(message, sender, sequence)
            checker.check(bytes(message))  # the sender named by the first byte
    assert checker.next == [4, 4, 4]


@pytest.mark.parametrize("where", [0, 3, 8, 9, 4096])
def test_one_changed_byte_anywhere_is_caught(where):
    message = payload.pattern(4097)
    payload.stamp(message, 1, 0)
    message[where] ^= 0x01
    with pytest.raises(CorruptMessage, match=r"sender|byte"):
        payload.Checker(4097, 3).check(message, 1)


def test_a_lost_message_a_short_one_and_an_unknown_sender_are_caught():
    first, second = payload.pattern(64), payload.pattern(64)
    payload.stamp(first, 0, 0)
    payload.stamp(second, 0, 1)
    checker = payload.Checker(64, 2)
    with pytest.raises(CorruptMessage, match="message 0 of sender 0 has a wrong header"):
        checker.check(second)  # message 0 never arrived
    with pytest.raises(CorruptMessage, match="63 bytes arrived, 64 were sent"):
        checker.check(first[:63])
    stranger = payload.pattern(64)
    payload.stamp(stranger, 7, 0)
    with pytest.raises(CorruptMessage, match="names sender 7, there are 2 senders"):
        checker.check(stranger)


def test_mechanisms_declare_what_the_design_says():
    names = mechanism.names()
    assert "queue" in names and "remote_manager" in names and len(names) == 12
    references = {n for n in names if mechanism.describe(n).reference}
    assert references == {"memcpy", "raw_pipe"}
    assert mechanism.describe("memcpy").patterns == ("stream",)
    assert mechanism.describe("memcpy").start_methods == ()
    assert mechanism.describe("value_lock").patterns == ("counter",)
    assert mechanism.describe("mmap_anonymous").start_methods == ("fork",)
    # the ipc package is imported as a package: the standard library's queue is not hidden
    import queue

    assert hasattr(queue, "SimpleQueue") and "ipc" not in queue.__file__


def test_a_cell_the_mechanism_cannot_run_is_refused_with_what_is_allowed():
    with pytest.raises(ValueError, match="no pattern 'pingpong'; it runs: stream"):
        mechanism.describe("memcpy").check_cell("pingpong", 64, 1, None)
    with pytest.raises(ValueError, match=r"processes 3; allowed: 1 \(it runs in one process\)"):
        mechanism.describe("memcpy").check_cell("stream", 64, 3, None)
    with pytest.raises(ValueError, match="n is 8 .a counter., not 64"):
        mechanism.describe("value_lock").check_cell("counter", 64, 1, "fork")
    with pytest.raises(ValueError, match="start method 'spawn'; it runs under: fork"):
        mechanism.describe("raw_pipe").check_cell("stream", 64, 1, "spawn")
    with pytest.raises(mechanism.UnknownMechanism, match="unknown mechanism 'carrier_pigeon'"):
        mechanism.script("carrier_pigeon")


def test_latency_is_the_median_and_p99_of_every_round_trip_with_an_order_statistic_interval():
    batches = [
        runner.Batch(100, 100, 1.0, [float(i) for i in range(1, 101)]),
        runner.Batch(100, 100, 1.0, [float(i) for i in range(101, 201)]),
    ]
    got = runner.latency(batches)
    assert got["median"] == 100.5
    assert got["p99"] == 198.0  # nearest rank: the 198th of 200
    assert got["ci_low"] < 100.5 < got["ci_high"]
    assert (got["ci_low"], got["ci_high"]) == (86.0, 115.0)


# ---- the config ----


def base_config(**ipc):
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["ipc"] = ipc
    return config


@pytest.mark.parametrize(
    "ipc, message",
    [
        (
            {"mechanisms": ["pipe_bytes", "tin_can"]},
            "ipc.mechanisms': unknown mechanism 'tin_can'; allowed: manager_queue, memcpy",
        ),
        (
            {"patterns": ["burst"]},
            "ipc.patterns[0]': 'burst' is not one of ['pingpong', 'stream', 'counter']",
        ),
        ({"n": [64, 0]}, "ipc.n[1]': 0 is less than the minimum of 1"),
        ({"n": [64.5]}, "ipc.n[0]': 64.5 is not of type 'integer'"),
        ({"processes": [256]}, "ipc.processes[0]': 256 is greater than the maximum of 255"),
        (
            {"start_method": "spawn", "mechanisms": ["mmap_anonymous"]},
            "'mmap_anonymous' does not run under start method 'spawn' (ipc.start_method); "
            "it runs under: fork",
        ),
        ({"min_batch_s": 0}, "ipc.min_batch_s': 0 is less than or equal to the minimum of 0"),
        (
            {"repeat": 3},
            "config key 'ipc': unknown key 'repeat'; allowed keys: mechanisms, patterns",
        ),
    ],
)
def test_a_bad_ipc_config_names_the_key_and_what_is_allowed(ipc, message):
    with pytest.raises(ConfigError) as error:
        load(base_config(**ipc))
    assert message in str(error.value)


def test_the_ipc_grid_follows_the_config():
    experiment = load(
        base_config(mechanisms=["memcpy", "value_lock", "queue"], n=[64, 4096], processes=[1, 2])
    )
    got = {(c["mechanism"], c["pattern"], c["n"], c["processes"]) for c in experiment.ipc_cells()}
    assert got == {
        *{("memcpy", "stream", n, 1) for n in (64, 4096)},
        *{("value_lock", "counter", 8, p) for p in (1, 2)},
        *{
            ("queue", pattern, n, p)
            for pattern in ("pingpong", "stream")
            for n in (64, 4096)
            for p in (1, 2)
        },
    }
    # a user's config without `ipc` runs none, whatever config/config.yaml says
    assert list(load(base_config(), given={"strategies"}).ipc_cells()) == []
    spawn = load(base_config(start_method="spawn"))
    assert "raw_pipe" not in spawn.ipc.mechanisms and "pipe_bytes" in spawn.ipc.mechanisms
    assert any("'raw_pipe' does not run under start method 'spawn'" in n for n in spawn.notes)


# ---- every mechanism in real processes ----


@pytest.mark.integration
@pytest.mark.parametrize("name, pattern, n, p", list(cells()))
def test_each_mechanism_delivers_the_exact_payload(name, pattern, n, p):
    cell = run(mechanism.describe(name), pattern, n, p, repeats=2)
    ipc_record.validate(cell)
    assert cell["checked"] is True and cell["kind"] == "ipc"
    assert (cell["mechanism"], cell["pattern"], cell["n"], cell["processes"]) == (
        name,
        pattern,
        n,
        p,
    )
    # every sender sent as many messages in a batch
    assert all(messages % p == 0 and messages >= p for messages in cell["messages"])
    assert all(t > 0 for t in cell["batch_s"])
    if pattern == "counter":  # its counter is checked after every batch: no checked batch
        assert cell["check_messages"] is cell["check_s"] is cell["check_per_message_s"] is None
    else:  # a checked batch as long as the last timed one
        assert cell["check_messages"] == cell["messages"][-1] and cell["check_s"] > 0
        per = cell["check_messages"] // p if pattern == "pingpong" else cell["check_messages"]
        assert cell["check_per_message_s"] == pytest.approx(cell["check_s"] / per)
    if pattern == "stream":
        assert cell["throughput_Bps"] == pytest.approx(
            [m * n / t for m, t in zip(cell["messages"], cell["batch_s"])]
        )
    if pattern == "pingpong":
        assert (
            cell["latency_s"]["ci_low"]
            <= cell["latency_s"]["median"]
            <= cell["latency_s"]["ci_high"]
        )
        assert cell["latency_s"]["median"] <= cell["latency_s"]["p99"]
    assert (cell["security"] is not None) == (name == "remote_manager")
    assert processes.live_descendants() == []


@pytest.mark.integration
def test_a_batch_lasts_at_least_min_batch_s():
    cell = run(mechanism.describe("pipe_bytes"), "stream", 64, 1, repeats=2, min_batch_s=0.05)
    assert min(cell["batch_s"]) >= 0.05
    assert min(cell["messages"]) > 100


class Corrupting:
    """A channel whose receiver flips one byte of every message it receives (stream) or
    echoes (pingpong) from the third on, as a mechanism that garbles messages garbles every
    batch's: the timed batches check nothing, the checked batch must fail the cell,
    whichever side checks."""

    def __init__(self, channel, n, where=None, times=None):
        self.channel, self.endpoints, self.count = channel, channel.endpoints, 0
        self.where, self.times = n // 2 if where is None else where, times

    def receive(self):
        sender, message = self.channel.receive()
        self.count += 1
        if self.count >= 3 and (self.times is None or self.count < 3 + self.times):
            message = bytearray(message)
            message[self.where] ^= 0x01 if self.where == 0 else 0xFF
        return sender, message

    def __getattr__(self, name):
        return getattr(self.channel, name)


def corrupting_open(context, processes_, n, names):
    from ipc import pipe_bytes

    return Corrupting(pipe_bytes.open(context, processes_, n, names), n)


@pytest.mark.integration
@pytest.mark.parametrize("pattern", ["stream", "pingpong"])
def test_a_corrupted_message_fails_the_cell_with_a_clear_message_and_no_record(pattern, capsys):
    described = mechanism.Mechanism.of({"open": corrupting_open}, "corrupting")
    cell = runner.Cell(described, pattern, 4097, 2, "fork")
    with pytest.raises(CorruptMessage, match=r"differs from what was sent at byte 2048 of 4097"):
        runner.run_cell(cell, 1, 1e-4)
    assert processes.live_descendants() == []
    code = measured(cell.name, lambda: runner.run_cell(cell, 1, 1e-4), (CorruptMessage,))
    out, err = capsys.readouterr()
    assert code == EXIT_WRONG_ANSWER and out == ""  # no record printed
    assert f"mpbench: {cell.name}: " in err and "byte 2048 of 4097; no record written" in err


def corrupting_queue_open(context, processes_, n, names):
    """A queue whose receiver changes the first byte of the third message only: the sender
    it names, 0 <-> 1."""
    from ipc import queue

    return Corrupting(queue.open(context, processes_, n, names), n, where=0, times=1)


@pytest.mark.integration
def test_a_queue_pingpong_whose_message_names_the_wrong_sender_fails_instead_of_hanging():
    """The receiver of a queue learns the sender from the first byte; one naming the other
    sender sent the echo to it, and the true sender waited for its echo until the timeout.
    Now the receiver sees one message more name that sender than it sent, and fails."""
    described = mechanism.Mechanism.of({"open": corrupting_queue_open}, "corrupting_queue")
    cell = runner.Cell(described, "pingpong", 64, 2, "fork")

    def hung(*_):
        raise TimeoutError("the cell hung")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        with pytest.raises(CorruptMessage, match="more messages name sender [01] than the"):
            runner.run_cell(cell, 1, 1e-4)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert processes.live_descendants() == []


SENDER_S = 200e-6  # the slow sender's time per message, below
CHECK_S = 5 * SENDER_S  # the spinning checker's time per message: five messages' time


def spin(seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        pass


def slow_open(context, processes_, n, names):
    """pipe_bytes whose sender spends SENDER_S before each send: a stream of it cannot
    deliver more than one message per SENDER_S, whatever the receiver does."""
    from ipc import pipe_bytes

    class SlowSender(pipe_bytes.Sender):
        def send(self, message) -> None:
            spin(SENDER_S)
            super().send(message)

    channel = pipe_bytes.open(context, processes_, n, names)
    channel.endpoints = [SlowSender(e.connection, n) for e in channel.endpoints]
    return channel


class SpinningChecker(payload.Checker):
    """The real check, then CHECK_S more: a known, artificial cost per message."""

    def check(self, message, sender=None) -> None:
        super().check(message, sender)
        spin(CHECK_S)


@pytest.mark.integration
def test_the_cost_of_checking_does_not_move_the_measured_throughput(monkeypatch):
    """A stream whose sender needs SENDER_S per message, checked for free and then with a
    check that costs five messages' time: the throughput is the sender's either way, and
    the check cost shows in the record, beside it.

    The old runner checked each message inside the clock and subtracted the check's time.
    During each check (CHECK_S) this sender put five more messages into the pipe, so every
    receive found one waiting and took a few microseconds: with the check subtracted, a
    message seemed to take that, not SENDER_S, and the throughput came out tens of times
    what the sender can give (tried: over ten times what it can). The
    bound on `per_message_s` and the ratio below would both fail."""
    described = mechanism.Mechanism.of({"open": slow_open}, "slow_pipe")
    cell = runner.Cell(described, "stream", 64, 1, "fork")
    free = runner.run_cell(cell, 3, 0.05)
    monkeypatch.setattr(runner, "Checker", SpinningChecker)
    costly = runner.run_cell(cell, 3, 0.05)
    for record_ in (free, costly):
        ipc_record.validate(record_)
        # never faster than the sender can send (a spin is a lower bound, whatever the load)
        assert min(record_["per_message_s"]) >= SENDER_S
    ratio = stats.median(costly["throughput_Bps"]) / stats.median(free["throughput_Bps"])
    assert 1 / 1.5 < ratio < 1.5, (free["per_message_s"], costly["per_message_s"])
    # the check cost is measured, apart: the receiver's check is now the slower side
    assert costly["check_per_message_s"] >= CHECK_S
    assert costly["check_per_message_s"] > 3 * free["check_per_message_s"]


@pytest.mark.integration
def test_a_costly_echo_check_is_not_part_of_a_round_trip(monkeypatch):
    """Each sender checks its echoes in the checked batch only: a check of 2 ms (the
    senders' Checker, replaced before they fork) shows in `check_per_message_s` and not in
    the round trips of a raw pipe."""
    slow = 2e-3

    class Slow(payload.Checker):
        def check(self, message, sender=None) -> None:
            super().check(message, sender)
            spin(slow)

    monkeypatch.setattr(payload, "Checker", Slow)
    cell = run(mechanism.describe("raw_pipe"), "pingpong", 64, 1, repeats=2, min_batch_s=0.01)
    assert cell["latency_s"]["median"] < slow
    assert cell["check_per_message_s"] >= slow


@pytest.mark.integration
def test_the_remote_manager_refuses_a_wrong_authkey_and_listens_on_loopback_only():
    from ipc import remote_manager

    server = remote_manager.QueueServer(address=("127.0.0.1", 0), authkey=b"right key")
    server.start()
    try:
        host, port = server.address
        assert host == "127.0.0.1" and port > 0
        assert remote_manager.refuses(server.address, b"wrong key") is True
        assert remote_manager.refuses(server.address, b"right key") is False
        with pytest.raises(multiprocessing.AuthenticationError):
            remote_manager._client(server.address, b"wrong key")
    finally:
        server.shutdown()
    cell = run(mechanism.describe("remote_manager"), "pingpong", 64, 1)
    assert cell["security"] == {
        "address": "127.0.0.1",
        "loopback_only": True,
        "wrong_authkey_refused": True,
    }


@pytest.mark.integration
@pytest.mark.parametrize("name", ["shared_memory", "remote_manager", "queue"])
def test_nothing_is_left_behind_after_a_cell(name, monkeypatch, tmp_path):
    """Segments named after the run existed during the cell, and none is left after it."""
    run_id = new_run_id()
    monkeypatch.setenv(RUN_ID, run_id)
    monkeypatch.setenv(SCRATCH, str(tmp_path))
    described = mechanism.describe(name)
    seen = []

    def watching_open(context, processes_, n, names):
        channel = described.open(context, processes_, n, names)
        seen.append((sorted(p.name for p in SHM.glob(f"{run_id}*")), processes.live_descendants()))
        return channel

    spy = mechanism.Mechanism.of({"open": watching_open}, name)
    for pattern in described.patterns:
        run(spy, pattern, 4097, 3)
    assert sorted(SHM.glob(f"{run_id}*")) == [] and list(tmp_path.iterdir()) == []
    assert processes.live_descendants() == []
    assert len(seen) == len(described.patterns)
    for segments, running in seen:
        if name == "shared_memory":  # it had its segment, named after the run
            assert len(segments) == 1 and segments[0].startswith(f"{run_id}-ipc-")
        elif name == "queue":  # nothing named, nothing running yet: its pipes are the kernel's
            assert segments == [] and running == []
        else:  # the manager's server ran during the cell
            assert segments == [] and len(running) == 1


@pytest.mark.integration
def test_a_sender_killed_mid_stream_fails_the_cell_fast_naming_it_and_leaves_nothing(tmp_path):
    output = tmp_path / "cell.json"
    command = [
        sys.executable,
        MEASURE,
        "--mechanism",
        "shared_memory",
        "--pattern",
        "stream",
        "--n",
        "65536",
        "--processes",
        "2",
        "--repeats",
        "3",
        "--min-batch",
        "20",
        "--timeout",
        "60",
        "--output",
        output,
    ]
    supervisor = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        senders = []
        while time.monotonic() < deadline and len(senders) < 2:
            time.sleep(0.1)
            measured_ = psutil.Process(supervisor.pid).children()
            senders = [
                child
                for parent in measured_
                for child in parent.children()
                if "resource_tracker" not in " ".join(child.cmdline())
            ]
        assert len(senders) == 2, "the senders did not start"
        time.sleep(QUIET_MAX_S + 0.5)  # mid-stream: past the settling, calibrating
        segments = sorted(SHM.glob(f"mpbench-{supervisor.pid}-*"))
        assert segments, "the cell's segment should exist while it runs"
        victim = senders[1]
        killed_at = time.monotonic()
        victim.send_signal(signal.SIGKILL)
        _, err = supervisor.communicate(timeout=30)
        took = time.monotonic() - killed_at
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
    assert supervisor.returncode == EXIT_DIED
    assert took < 5, f"the cell took {took:.1f} s to fail"
    # the first line says which process died and where; the supervisor then says what it
    # removed (the segment the dead cell could not unlink)
    lines = [line for line in err.splitlines() if line.startswith("mpbench:")]
    assert f"worker sender-1 (pid {victim.pid}) killed by SIGKILL during calibration" in lines[0]
    assert lines[0].endswith("the rest of the process tree is killed, no record written")
    assert all("removed what the cell left behind" in line for line in lines[1:]), err
    assert not output.exists()
    assert sorted(SHM.glob(f"mpbench-{supervisor.pid}-*")) == []
    for process in senders:
        assert not process.is_running() or process.status() == psutil.STATUS_ZOMBIE


@pytest.mark.integration
def test_the_command_line_writes_a_valid_record_and_refuses_a_bad_cell(tmp_path):
    output = tmp_path / "cell.json"
    done = subprocess.run(
        [
            sys.executable,
            MEASURE,
            "--mechanism",
            "raw_pipe",
            "--pattern",
            "pingpong",
            "--n",
            "64",
            "--repeats",
            "2",
            "--min-batch",
            "0.01",
            "--output",
            output,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    cell = ipc_record.read(output)
    assert cell["reference"] is True and cell["start_method"] == "fork" and cell["repeats"] == 2
    assert cell["environment"]["python_version"]
    done = subprocess.run(
        [sys.executable, MEASURE, "--mechanism", "memcpy", "--pattern", "pingpong", "--n", "64"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "mechanism 'memcpy' has no pattern 'pingpong'; it runs: stream" in done.stderr


def test_a_record_missing_a_batch_is_invalid():
    cell = {
        "schema_version": ipc_record.SCHEMA_VERSION,
        "kind": "ipc",
        "mechanism": "raw_pipe",
        "pattern": "stream",
        "reference": True,
        "n": 64,
        "processes": 1,
        "start_method": "fork",
        "repeats": 2,
        "messages": [10, 10],
        "batch_s": [0.1],
        "per_message_s": [0.01, 0.01],
        "latency_s": None,
        "throughput_Bps": [6400.0, 6400.0],
        "checked": True,
        "check_messages": 10,
        "check_s": 0.12,
        "check_per_message_s": 0.012,
        "security": None,
        "environment": {"hostname": "h", "platform": "p", "python_version": "3.11", "packages": {}},
    }
    with pytest.raises(record.RecordError, match="batch_s: 1 entries for 2 batches"):
        ipc_record.validate(cell)
    cell["batch_s"] = [0.1, 0.1]
    assert ipc_record.validate(cell) is cell
    with pytest.raises(record.RecordError, match="latency_s"):
        ipc_record.validate({**cell, "pattern": "pingpong", "throughput_Bps": None})
    # a stream has its checked batch; a counter has none
    with pytest.raises(record.RecordError, match="check_s"):
        ipc_record.validate({**cell, "check_s": None})
    counter = {**cell, "pattern": "counter", "n": 8, "throughput_Bps": None}
    with pytest.raises(record.RecordError, match=r"check_(messages|s|per_message_s): .* 'null'"):
        ipc_record.validate(counter)
    none = dict.fromkeys(("check_messages", "check_s", "check_per_message_s"))
    assert ipc_record.validate({**counter, **none})["check_s"] is None
    with pytest.raises(record.RecordError, match="schema_version"):
        ipc_record.validate({**cell, "schema_version": 1})  # before the checked batch


# ---- the workflow rule ----


@pytest.mark.workflow
def test_the_rule_makes_one_valid_record_per_cell(tmp_path):
    from test_workflow import copy_workflow, snakemake, write_config

    folder = copy_workflow(tmp_path)
    config = {
        "ipc": {
            "mechanisms": ["raw_pipe", "memcpy", "value_lock"],
            "patterns": ["pingpong", "stream", "counter"],
            "n": [64],
            "processes": [1],
            "repeats": 2,
            "min_batch_s": 0.01,
        }
    }
    configfile = write_config(folder, config)
    experiment = load({**yaml.safe_load((ROOT / "config" / "config.yaml").read_text()), **config})
    targets = sorted(
        f"results/ipc/{c['mechanism']}/{c['pattern']}/n{c['n']}-p{c['processes']}.json"
        for c in experiment.ipc_cells()
    )
    assert targets == [
        "results/ipc/memcpy/stream/n64-p1.json",
        "results/ipc/raw_pipe/pingpong/n64-p1.json",
        "results/ipc/raw_pipe/stream/n64-p1.json",
        "results/ipc/value_lock/counter/n8-p1.json",
    ]
    dry = snakemake(folder, "-n", "--configfile", configfile)  # rule all asks for them
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert all(target in dry.stdout for target in targets)
    done = snakemake(folder, "--cores", 2, *targets, "--configfile", configfile, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    for target in targets:
        cell = ipc_record.read(folder / target)
        assert cell["repeats"] == 2 and cell["checked"] is True
        assert (
            (folder / target.replace("results/ipc", "results/logs/ipc"))
            .with_suffix(".log")
            .exists()
        )
    # editing one mechanism reruns its cells only; editing the ipc harness, all of them
    time.sleep(1.1)  # a newer modification time than the records'
    with open(folder / "workflow/scripts/ipc/raw_pipe.py", "a") as script:
        script.write("# edited\n")
    assert pending_records(folder, configfile) == {t for t in targets if "raw_pipe" in t}
    with open(folder / "workflow/scripts/mpbench/ipc/payload.py", "a") as script:
        script.write("# edited\n")
    assert pending_records(folder, configfile) == set(targets)


def pending_records(folder: Path, configfile: str) -> set[str]:
    """The ipc records a run would (re)make now, from `snakemake --summary`."""
    from test_workflow import snakemake

    done = snakemake(folder, "--summary", "--configfile", configfile)
    assert done.returncode == 0, done.stderr
    rows = csv.DictReader(io.StringIO(done.stdout), delimiter="\t")
    return {
        row["output_file"]
        for row in rows
        if row["output_file"].startswith("results/ipc/") and row["plan"] != "no update"
    }


@pytest.mark.integration
def test_the_receiver_and_each_sender_are_pinned_and_the_receiver_gets_its_cpus_back():
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.fail("this test needs a machine with two CPUs or more")
    cell = run(mechanism.describe("raw_pipe"), "pingpong", 64, 3, repeats=1)
    ipc_record.validate(cell)
    assert cell["placement"] == {
        "receiver": cpus[0],
        "senders": [cpus[(i + 1) % len(cpus)] for i in range(3)],
    }
    assert cell["placement"]["senders"][0] != cell["placement"]["receiver"]
    assert sorted(os.sched_getaffinity(0)) == cpus  # the receiver's CPUs, given back
