"""job_times.py: job durations from a Snakemake log, summed by rule or what they measured."""

import sys

from conftest import SCRIPTS

sys.path.insert(0, str(SCRIPTS))
import job_times  # noqa: E402

LOG = """\
[Sat Nov 28 14:09:40 2026]
localrule measure_cell:
    jobid: 8
    wildcards: workload=primes, strategy=threads, start_method=none, n=10, processes=4
[Sat Nov 28 14:09:43 2026]
Finished jobid: 8 (Rule: measure_cell)
[Sat Nov 28 14:09:43 2026]
localrule measure_ipc:
    jobid: 9
    wildcards: mechanism=queue, pattern=stream, n=64, processes=1
[Sat Nov 28 14:09:45 2026]
localrule measure_cell:
    jobid: 10
    wildcards: workload=primes, strategy=pool_map, start_method=fork, n=10, processes=2
[Sat Nov 28 14:09:50 2026]
Finished jobid: 9 (Rule: measure_ipc)
[Sat Nov 28 14:09:51 2026]
Finished jobid: 10 (Rule: measure_cell)
[Sat Nov 28 14:09:52 2026]
localrule summarize:
    jobid: 11
"""


def test_each_job_runs_from_its_start_stamp_to_its_finished_stamp(tmp_path):
    log = tmp_path / "run.snakemake.log"
    log.write_text(LOG)
    found = {
        (j["rule"], j["wildcards"].get("strategy", j["wildcards"].get("mechanism"))): j
        for j in job_times.jobs(log)
    }
    assert {k: j["seconds"] for k, j in found.items()} == {
        ("measure_cell", "threads"): 3,
        ("measure_ipc", "queue"): 7,
        ("measure_cell", "pool_map"): 6,
    }  # the unfinished summarize job is not counted


def test_it_sums_by_what_was_measured(tmp_path, capsys):
    log = tmp_path / "run.snakemake.log"
    log.write_text(LOG)
    job_times.main([str(log), "--by", "workload"])
    out = capsys.readouterr().out
    assert "| measure_cell primes | 2 | 0.1 |" in out
    assert "| measure_ipc ipc | 1 | 0.1 |" in out
    assert "| all | 3 | 0.3 |" in out
