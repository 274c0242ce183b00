"""The supervisor: runs the measured process in a process group of its own, samples the
memory of its process tree from outside when the measured process asks it to (in the memory
baseline and the memory runs, never in a timed round: mpbench.memory), and writes the record
when the cell succeeded.

Whatever happens to the measured process, no process, shared memory segment or file of the
cell survives (the group is killed, segments named after the run id are unlinked, the
scratch folder is removed), and no record is written unless the cell succeeded.
"""

import json
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from mpbench import memory, processes, record, status
from mpbench.environ import (
    RAW_RECORD,
    RUN_ID,
    SAMPLER,
    SCRATCH,
    STATUS,
    SUPERVISED,
    new_run_id,
)
from mpbench.job import how

EXIT_FAILED, EXIT_WRONG_ANSWER, EXIT_TIMEOUT = 1, 3, 124  # 2: bad arguments (argparse)


def supervise(
    script: str,
    argv: list[str],
    timeout_s: float,
    cell_name: str,
    output: Path | None,
    finish: Callable[[dict, memory.TreeSampler, Path | None], None] | None = None,
) -> int:
    """Run `script argv` as the measured process; return the exit status for the cell.

    `finish(record, sampler, output)` completes and writes the record of a cell that
    succeeded (default: a strategy cell's, with the memory the sampler took). The sampler
    samples only while the measured process has it on (an ipc cell never does: on 2 cores,
    reading the tree's memory every few milliseconds preempted its ping-pong and made a
    7 us round trip take 42 us)."""
    # SIGTERM (from a workflow engine or a batch system) ends the supervisor like Ctrl-C:
    # through its clean-up, which kills the measured tree and removes the cell's files
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    run_id = new_run_id()
    with tempfile.TemporaryDirectory(prefix=f"{run_id}-") as scratch:
        raw, where = Path(scratch) / "record.json", Path(scratch) / "status"
        environment = {
            **os.environ,
            SUPERVISED: "1",
            RUN_ID: run_id,
            SCRATCH: scratch,
            RAW_RECORD: str(raw),
            STATUS: str(where),
        }
        sampler = memory.TreeSampler()
        requests, asks = os.pipe()  # the measured process asks the sampler ...
        answers, replies = os.pipe()  # ... and waits for the answer
        environment[SAMPLER] = f"{asks},{answers}"

        def watch(child, deadline):
            os.close(asks)
            os.close(answers)
            return sampler.watch(child, deadline, requests, replies)

        try:
            code = processes.run_in_own_group(
                [sys.executable, script, *argv],
                environment,
                timeout_s,
                watch,
                pass_fds=(asks, answers),
            )
        finally:
            for descriptor in (requests, replies):
                os.close(descriptor)
        last_seen = status.read(where) or "its start"
        left = processes.remove_segments(run_id, scratch)
        if left:
            print(
                f"mpbench: {cell_name}: removed what the cell left behind: {', '.join(left)}",
                file=sys.stderr,
                flush=True,
            )
        if code is None:
            print(
                f"mpbench: {cell_name}: cell timed out after {timeout_s:g} s during "
                f"{last_seen}; process tree killed, no record written",
                file=sys.stderr,
                flush=True,
            )
            return EXIT_TIMEOUT
        if code < 0:
            print(
                f"mpbench: {cell_name}: the measured process (the workers' parent) "
                f"{how(code)} during {last_seen}; process tree killed, no record written",
                file=sys.stderr,
                flush=True,
            )
            return EXIT_FAILED
        if code != 0:
            return code
        cell = json.loads(raw.read_text(encoding="utf-8"))
    (finish or _finish_strategy_cell)(cell, sampler, output)
    return 0


def _finish_strategy_cell(cell: dict, sampler: memory.TreeSampler, output: Path | None) -> None:
    cell["memory"] = sampler.summary(cell.pop("windows"), cell["payload_bytes"])
    # the whole job: this interpreter's start, the measured process, the sampling
    cell["overhead_s"]["supervisor_total"] = round(processes.age_s(), 6)
    emit(cell, output)


def _exit_on_sigterm(*_) -> None:
    raise SystemExit(128 + signal.SIGTERM)


def emit(cell: dict, output: Path | None, check: Callable = record.validate) -> None:
    """Validate the record (with `check`), then write it atomically to `output` (or print
    it)."""
    if output is None:
        check(cell, "record")
        print(json.dumps(cell, indent=2, sort_keys=True))
    else:
        record.write(cell, output, check)
