"""mpbench through Slurm: the records name their Slurm job, nodes are kept apart, and a real
one-node Slurm (workflow/scripts/one_node_slurm.py) runs a tiny config through the executor
plugin with profiles/slurm. A missing or broken Slurm fails these tests: it is never a skip."""

import copy
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import one_node_slurm
import pandas as pd
import psutil
import pytest
from one_node_slurm import NODE, PARTITION, OneNodeSlurm
from test_workflow import FIGURE_NAMES, copy_workflow, write_config

from mpbench import metadata, record
from mpbench.analysis import compare, pyperf_export, summary, tables
from test_summary import RECORDS

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
TINY = {
    "strategies": ["single", "pool_map"],
    "processes": [2],
    "start_methods": ["fork"],
    "rounds": {"min": 2, "max": 2},
    "warmups": 0,
    "timeout_s": 120,
    "workloads": [{"name": "primes", "n": [2000]}],
}
# single at P = 1; pool_map at P = 2, static and dynamic split
CELLS = {("single", 1), ("pool_map", 2)}
CELL_COUNT = 3


# -- the record and the tables (no Slurm needed) -----------------------------------------


def test_the_slurm_job_comes_from_the_environment():
    environ = {"SLURM_JOB_ID": "42", "SLURMD_NODENAME": "cn07", "SLURM_JOB_PARTITION": "short"}
    assert metadata.slurm_job(environ) == {"job_id": "42", "node": "cn07", "partition": "short"}
    assert metadata.slurm_job({"HOME": "/root"}) == {
        "job_id": None,
        "node": None,
        "partition": None,
    }


def on_node(rec: dict, node: str | None, job_id: str | None = "7") -> dict:
    rec = copy.deepcopy(rec)
    slurm = {"job_id": job_id, "node": node, "partition": "short" if node else None}
    rec["environment"]["slurm"] = slurm if node else {key: None for key in slurm}
    return rec


def test_two_nodes_of_one_host_are_two_runs_never_averaged():
    # the same cells measured on two Slurm nodes that report the same hostname (e.g. a
    # login name): they are kept apart as two hosts are, never taken for duplicates
    records = [on_node(r, "cn01") for r in RECORDS] + [on_node(r, "cn02") for r in RECORDS]
    records[len(RECORDS) + 1]["repeats_s"] = [1.0, 1.0, 1.0]  # pool_map P = 2 twice as fast
    cells = summary.cells_table(records)
    assert len(cells) == 2 * len(RECORDS)
    pool = cells[(cells["strategy"] == "pool_map") & (cells["split"] == "dynamic")]
    pool = pool[pool["processes"] == 2].set_index("node")
    assert pool.loc["cn01", "speedup"] == 2.0 and pool.loc["cn02", "speedup"] == 4.0
    assert set(cells["slurm_partition"]) == {"short"} and set(cells["slurm_job_id"]) == {"7"}
    markdown = tables.markdown_table(cells)
    assert "(alpha, node cn01, Python 3.11.7" in markdown
    assert "(alpha, node cn02, Python 3.11.7" in markdown
    repeats = summary.repeats_table(records)
    with pytest.raises(compare.MixedResults, match="mixes 2 hosts, nodes or Python builds"):
        compare.compare(repeats, repeats[repeats["node"] == "cn01"])
    with pytest.raises(compare.MixedResults, match="export one host, node and build"):
        pyperf_export.to_suite(repeats)


def test_outside_slurm_and_in_older_records_the_node_is_the_host():
    older = copy.deepcopy(RECORDS)  # made before environment.slurm was recorded
    local = [on_node(r, None) for r in RECORDS]
    for records in (older, local):
        cells = summary.cells_table(records)
        assert set(cells["node"]) == {"alpha"} and set(cells["slurm_job_id"]) == {""}
    # a repeats table written before `node` was a column still compares (and exports)
    slurm = summary.repeats_table([on_node(r, "cn01") for r in RECORDS])
    old = summary.repeats_table(older).drop(columns="node")
    table = compare.compare(old, slurm)
    assert len(table) == len(RECORDS) and (table["ratio"] == 1.0).all()
    suite = pyperf_export.to_suite(slurm)
    run = suite.get_benchmarks()[0].get_runs()[0].get_metadata()
    assert run["mpbench_node"] == "cn01" and run["hostname"] == "alpha"


def test_the_schema_takes_the_slurm_job_and_refuses_a_wrong_one(tmp_path):
    environment = metadata.collect()
    validator = record._validator()
    schema = validator.schema["properties"]["environment"]
    check = type(validator)(schema)
    assert environment["slurm"] == metadata.slurm_job()
    assert not list(check.iter_errors(environment))
    without = {key: value for key, value in environment.items() if key != "slurm"}
    assert not list(check.iter_errors(without))  # an older record
    for wrong in ({"job_id": 42, "node": "n", "partition": "p"}, {"job_id": "1", "node": "n"}):
        assert list(check.iter_errors({**environment, "slurm": wrong})), wrong


def test_a_missing_slurm_program_is_an_error_naming_it(monkeypatch):
    monkeypatch.setattr(one_node_slurm, "CLIENTS", (*one_node_slurm.CLIENTS, "sno-such-tool"))
    cluster = OneNodeSlurm()
    with pytest.raises(
        one_node_slurm.SlurmError, match=r"not found: (.*, )?sno-such-tool \(install .*slurm-client"
    ):
        cluster.__enter__()
    assert cluster.state is None and not cluster.daemons  # nothing was started or written


def planned_jobs(text: str) -> list[dict[str, str]]:
    """The jobs of `snakemake -n`'s output: rule, wildcards, threads, resources each."""
    jobs = []
    for line in text.splitlines():
        if line.startswith(("rule ", "localrule ")):
            jobs.append({"rule": line.split()[1].rstrip(":")})
        elif jobs and ": " in line and line.startswith("    "):
            key, value = line.strip().split(": ", 1)
            jobs[-1][key] = value
    return jobs


@pytest.mark.workflow
def test_every_measuring_job_asks_slurm_for_the_cpus_it_pins_and_the_node_to_itself(tmp_path):
    """A dry run through profiles/slurm (no Slurm needed): an ipc cell asks for its receiver
    and P senders (P + 1 CPUs; memcpy, which starts no process, 1), a strategy's cell for
    its P, and both for --exclusive. (--cores is set high so that the dry run shows each
    rule's threads as they are submitted, not lowered to this machine's cores.)"""
    folder = copy_workflow(tmp_path)
    config = {
        **TINY,
        "ipc": {
            "mechanisms": ["raw_pipe", "memcpy"],
            "patterns": ["stream"],
            "n": [64],
            "processes": [1, 3],
        },
    }
    configfile = write_config(folder, config)
    done = subprocess.run(
        [SNAKEMAKE, "-n", "--workflow-profile", "profiles/slurm", "--configfile", configfile]
        + ["--cores", "64"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    jobs = [j for j in planned_jobs(done.stdout) if j["rule"].startswith("measure_")]
    threads = {(job["rule"], job["wildcards"]): int(job.get("threads", "1")) for job in jobs}
    ipc = "mechanism={}, pattern=stream, n=64, processes={}"
    assert {key: value for key, value in threads.items() if key[0] == "measure_ipc"} == {
        ("measure_ipc", ipc.format("raw_pipe", 1)): 2,
        ("measure_ipc", ipc.format("raw_pipe", 3)): 4,
        ("measure_ipc", ipc.format("memcpy", 1)): 1,
    }
    cells = {key: value for key, value in threads.items() if key[0] == "measure_cell"}
    assert len(cells) == CELL_COUNT
    assert all(
        value == int(wildcards.rsplit("processes=", 1)[1])
        for (_, wildcards), value in cells.items()
    )
    for job in jobs:
        assert "slurm_extra=--exclusive" in job["resources"], job
        assert "runtime=" in job["resources"], job


# -- a real one-node Slurm -----------------------------------------------------------------


def name_of(pid: int) -> str | None:
    try:
        return psutil.Process(pid).name()
    except psutil.NoSuchProcess:
        return None


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.slurm
def test_the_cluster_stops_its_daemons_and_jobs_and_removes_its_state():
    cluster = OneNodeSlurm()
    with cluster:
        daemons = {name: process.pid for name, process in cluster.daemons.items()}
        state = cluster.state
        submitted = cluster.run(
            "sbatch", "--parsable", "--output", os.devnull, "--wrap", "sleep 600"
        )
        assert submitted.returncode == 0, submitted.stderr
        job = submitted.stdout.strip().split(";")[0]
        assert cluster.run("srun", "hostname").returncode == 0
        for _ in range(50):  # wait for the job's sleep to be running
            sleeping = [pid for pid in cluster.leftover_pids() if name_of(pid) == "sleep"]
            if sleeping:
                break
            time.sleep(0.2)
        assert sleeping, f"job {job} never started: {cluster.logs()}"
    assert set(daemons) == {"munged", "slurmctld", "slurmd"}
    assert not [name for name, pid in daemons.items() if alive(pid)]
    assert not [pid for pid in sleeping if alive(pid)]
    assert not state.exists()


@pytest.fixture(scope="module")
def cluster():
    with OneNodeSlurm() as running:
        yield running


@pytest.fixture(scope="module")
def slurm_run(cluster, tmp_path_factory):
    """The tiny config through profiles/slurm, on a copy of the workflow."""
    folder = copy_workflow(tmp_path_factory.mktemp("slurm"))
    configfile = write_config(folder, TINY)
    command = [
        SNAKEMAKE,
        "--workflow-profile",
        "profiles/slurm",
        "--configfile",
        configfile,
        # the one-node cluster has no accounting database; its one partition is the default
        "--slurm-no-account",
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "2",
    ]
    done = subprocess.run(
        command, cwd=folder, env=cluster.env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-4000:] + cluster.logs()
    return folder, done


def slurm_jobs(cluster) -> dict[str, dict[str, str]]:
    """Every job the cluster still remembers (MinJobAge), by id, as scontrol shows it."""
    shown = cluster.run("scontrol", "--oneliner", "show", "job")
    assert shown.returncode == 0, shown.stderr
    jobs = {}
    for line in shown.stdout.splitlines():
        fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
        if "JobId" in fields:
            jobs[fields["JobId"]] = fields
    return jobs


@pytest.mark.slurm
def test_every_cell_ran_in_its_own_exclusive_slurm_job(cluster, slurm_run):
    folder, _ = slurm_run
    records = [record.read(path) for path in sorted((folder / "results/cells").rglob("*.json"))]
    assert len(records) == CELL_COUNT
    assert {(r["strategy"], r["processes"]) for r in records} == CELLS
    jobs = slurm_jobs(cluster)
    ids = [r["environment"]["slurm"]["job_id"] for r in records]
    assert len(set(ids)) == CELL_COUNT, ids  # one job per cell
    for rec in records:
        slurm = rec["environment"]["slurm"]
        assert slurm["node"] == NODE and slurm["partition"] == PARTITION
        assert rec["environment"]["hostname"] == socket.gethostname()
        job = jobs[slurm["job_id"]]
        assert job["JobState"] == "COMPLETED" and job["NodeList"] == NODE
        assert job["Partition"] == PARTITION
        # the cores it measures, and the node to itself
        assert int(job["CPUs/Task"]) == rec["processes"]
        assert job["OverSubscribe"] == "NO"
    # so no two cells were ever measured at once on the node
    spans = sorted((r["started_at"], r["finished_at"]) for r in records)
    assert all(end <= start for (_, end), (start, _) in zip(spans, spans[1:])), spans


@pytest.mark.slurm
def test_the_summary_and_figures_of_a_slurm_run_name_the_node(slurm_run):
    folder, _ = slurm_run
    cells = pd.read_csv(folder / "results/summary/cells.csv", dtype={"slurm_job_id": str})
    assert len(cells) == CELL_COUNT and cells["correct"].all()
    assert set(cells["node"]) == {NODE} and set(cells["slurm_partition"]) == {PARTITION}
    assert cells["slurm_job_id"].str.fullmatch(r"\d+").all()
    repeats = pd.read_csv(folder / "results/summary/repeats.csv")
    assert set(repeats["node"]) == {NODE} and len(repeats) == 2 * CELL_COUNT
    summary_files = ("cells.md", "cells.html", "flagged.html", "amdahl.csv")
    for name in summary_files:
        assert (folder / "results/summary" / name).stat().st_size > 0, name
    assert f"node {NODE}" in (folder / "results/summary/cells.md").read_text()
    for name in FIGURE_NAMES["primes"]:
        png = folder / "results/figures/primes" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
