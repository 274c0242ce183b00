"""A one-node Slurm cluster on this machine, for tests/test_slurm.py and `make slurm-quick`.

Starts munged (as the munge user, with its own key), slurmctld and slurmd (Debian's
packages: slurmctld, slurmd, slurm-client, munge; see .ci/run), each in the foreground as a
child of this process, with every file they write (config, key, sockets, state, logs) in one
state directory. Clients find the cluster through SLURM_CONF (`OneNodeSlurm.env`). Stopping
cancels the cluster's jobs, ends the daemons by their process ids, then any process left
that carries this cluster's SLURM_CONF in its environment (a job step that outlived
slurmd), and removes the state directory.

As a command, it runs one command on the cluster and stops it, whatever happens:

    python workflow/scripts/one_node_slurm.py -- snakemake --workflow-profile profiles/slurm ...

Partition: `PARTITION`; node: `NODE` ("localhost"), with every CPU of this machine.

One workaround: inside a Slurm job, snakemake-executor-plugin-slurm-jobstep (0.6.1) runs
the rule through `srun` with every SLURM_* variable removed but the job's identity,
SLURM_CONF included. A real cluster's clients read /etc/slurm/slurm.conf (or slurmd's
configless copy) and do not need it; this cluster's config is in its state directory, so
`env` puts first on PATH a folder (in the state directory) whose `srun` sets SLURM_CONF back
and runs the real one.
"""

import argparse
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

PARTITION = "mpbench"
NODE = "localhost"
CLUSTER = "mpbench"
DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sinfo", "srun", "sbatch", "squeue", "scancel", "scontrol")
MUNGE_USER = "munge"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


class SlurmError(RuntimeError):
    """The cluster could not be started (a program missing, a daemon that died, a timeout)."""


def _free_ports(count: int) -> tuple[int, ...]:
    """Ports free now (each bound until all are chosen, so they differ)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return tuple(probe.getsockname()[1] for probe in probes)
    finally:
        for probe in probes:
            probe.close()


def _real_memory_mb() -> int:
    """Slurm drains a node that has less memory than configured: announce 90 % of it."""
    return max(1, int(psutil.virtual_memory().total / 2**20 * 0.9))


def slurm_conf(state: Path, ports: tuple[int, int], cpus: int, memory_mb: int) -> str:
    """slurm.conf of the one-node cluster: root runs everything, no accounting database,
    no cgroups (processes are tracked through /proc), finished jobs stay visible to squeue
    for MinJobAge seconds (the executor plugin reads their state there)."""
    return f"""\
ClusterName={CLUSTER}
SlurmctldHost={NODE}
SlurmctldPort={ports[0]}
SlurmdPort={ports[1]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={state / "munge" / "munge.socket.2"}
StateSaveLocation={state / "slurmctld"}
SlurmdSpoolDir={state / "slurmd"}
SlurmctldPidFile={state / "slurmctld.pid"}
SlurmdPidFile={state / "slurmd.pid"}
SlurmctldLogFile={state / "slurmctld.log"}
SlurmdLogFile={state / "slurmd.log"}
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=600
NodeName={NODE} CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName={PARTITION} Nodes={NODE} Default=YES MaxTime=INFINITE State=UP
"""


class OneNodeSlurm:
    """Context manager: the running cluster inside the `with`, nothing left after it."""

    def __init__(self):
        self.state: Path | None = None
        self.conf: Path | None = None
        self.daemons: dict[str, subprocess.Popen] = {}

    # -- what clients need -------------------------------------------------------------
    @property
    def env(self) -> dict[str, str]:
        """The environment of a client of this cluster (sbatch passes it on to the jobs)."""
        path = f"{self.state / 'bin'}{os.pathsep}{os.environ.get('PATH', os.defpath)}"
        return {**os.environ, "SLURM_CONF": str(self.conf), "PATH": path}

    def run(self, *command: str, timeout: float = 30.0) -> subprocess.CompletedProcess:
        return subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )

    # -- start -------------------------------------------------------------------------
    def __enter__(self) -> "OneNodeSlurm":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        missing = [name for name in DAEMONS + CLIENTS if not _which(name)]
        if missing:
            raise SlurmError(
                f"Slurm programs not found: {', '.join(missing)} (install the Debian packages "
                "slurmctld slurmd slurm-client munge, as .ci/run does)"
            )
        if os.geteuid() != 0:
            raise SlurmError("a one-node Slurm runs its daemons as root: run this as root")
        try:
            munge = pwd.getpwnam(MUNGE_USER)
        except KeyError as error:
            raise SlurmError(f"no user {MUNGE_USER!r} (the munge package creates it)") from error
        self.state = Path(tempfile.mkdtemp(prefix="mpbench-slurm-"))
        self.state.chmod(0o755)  # munged (not root) must reach its own folder inside
        for folder in ("slurmctld", "slurmd"):
            (self.state / folder).mkdir(mode=0o700)
        self._start_munged(munge)
        self.conf = self.state / "slurm.conf"
        self._write_srun()
        self.conf.write_text(
            slurm_conf(self.state, _free_ports(2), os.cpu_count() or 1, _real_memory_mb()),
            encoding="utf-8",
        )
        self._spawn("slurmctld", ["slurmctld", "-D", "-i", "-f", str(self.conf)])
        self._spawn("slurmd", ["slurmd", "-D", "-N", NODE, "-f", str(self.conf)])
        self._wait_until_ready()

    def _write_srun(self) -> None:
        """The `srun` of the module docstring's workaround."""
        folder = self.state / "bin"
        folder.mkdir()
        srun = folder / "srun"
        srun.write_text(
            f"#!/bin/sh\nSLURM_CONF={shlex.quote(str(self.conf))} "
            f'exec {shlex.quote(_which("srun"))} "$@"\n',
            encoding="utf-8",
        )
        srun.chmod(0o755)

    def _start_munged(self, munge: pwd.struct_passwd) -> None:
        folder = self.state / "munge"
        folder.mkdir()
        folder.chmod(0o755)  # clients reach the socket in it; munged requires that
        key = folder / "munge.key"
        key.write_bytes(secrets.token_bytes(1024))
        key.chmod(0o400)
        for path in (folder, key):
            os.chown(path, munge.pw_uid, munge.pw_gid)
        self._spawn(
            "munged",
            [
                "munged",
                "--foreground",
                f"--socket={folder / 'munge.socket.2'}",
                f"--key-file={key}",
                f"--pid-file={folder / 'munged.pid'}",
                f"--log-file={folder / 'munged.log'}",
                f"--seed-file={folder / 'munged.seed'}",
            ],
            user=munge.pw_uid,
            group=munge.pw_gid,
        )
        self._wait(lambda: (folder / "munge.socket.2").exists(), "munged to open its socket")

    def _spawn(self, name: str, command: list[str], **kwargs) -> None:
        log = open(self.state / f"{name}.out", "wb")  # noqa: SIM115 (closed with the process)
        with log:
            self.daemons[name] = subprocess.Popen(
                [_which(command[0]), *command[1:]],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "SLURM_CONF": str(self.state / "slurm.conf")},
                start_new_session=True,
                **kwargs,
            )

    def _wait(self, ready, what: str, timeout: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.daemons.items():
                if process.poll() is not None:
                    raise SlurmError(
                        f"{name} exited with status {process.returncode} while waiting for "
                        f"{what}\n{self.logs()}"
                    )
            if ready():
                return
            time.sleep(0.2)
        raise SlurmError(f"timed out after {timeout:.0f} s waiting for {what}\n{self.logs()}")

    def _node_idle(self) -> bool:
        done = self.run("sinfo", "--noheader", "--nodes", NODE, "--format", "%T", timeout=10)
        return done.returncode == 0 and done.stdout.strip() == "idle"

    def _wait_until_ready(self) -> None:
        self._wait(self._node_idle, f"node {NODE} to be idle in sinfo")
        done = self.run("srun", "--partition", PARTITION, "--nodes", "1", "true", timeout=60)
        if done.returncode != 0:
            raise SlurmError(
                f"srun true failed (status {done.returncode}): {done.stderr.strip()}\n{self.logs()}"
            )

    def logs(self, lines: int = 15) -> str:
        """The last lines of every daemon's log, to explain a failure."""
        if self.state is None:
            return ""
        parts = []
        for path in sorted(self.state.glob("*.log")) + sorted(self.state.glob("*.out")):
            text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(text))
        munge_log = self.state / "munge" / "munged.log"
        if munge_log.exists():
            text = munge_log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            parts.append("--- munged.log\n" + "\n".join(text))
        return "\n".join(parts)

    # -- stop --------------------------------------------------------------------------
    def stop(self) -> None:
        """Cancel the jobs, end the daemons, then any process of this cluster's jobs still
        alive; remove the state directory. Safe to call twice."""
        if self.daemons.get("slurmctld") and self.daemons["slurmctld"].poll() is None:
            try:
                self.run("scancel", "--full", "--partition", PARTITION, timeout=10)
                deadline = time.monotonic() + STOP_TIMEOUT_S
                while time.monotonic() < deadline:
                    queue = self.run(
                        "squeue", "--noheader", "--states", "RUNNING,PENDING,COMPLETING"
                    )
                    if queue.returncode != 0 or not queue.stdout.strip():
                        break
                    time.sleep(0.3)
            except (OSError, subprocess.SubprocessError):
                pass
        for name in reversed(DAEMONS):  # slurmd, slurmctld, then munged
            process = self.daemons.pop(name, None)
            if process is not None:
                _end(process.pid, process)
        for pid in self.leftover_pids():
            _end(pid)
        if self.state is not None and self.state.exists():
            shutil.rmtree(self.state, ignore_errors=True)

    def leftover_pids(self) -> list[int]:
        """Processes (other than this one and its ancestors) whose environment names this
        cluster's slurm.conf: job steps and what they started."""
        if self.conf is None:
            return []
        markers = {
            f"SLURM_CONF={self.conf}".encode(),
            f"PATH={self.state / 'bin'}{os.pathsep}".encode(),
        }
        keep = {os.getpid(), *(parent.pid for parent in psutil.Process().parents())}
        found = []
        for process in psutil.process_iter(["pid"]):
            if process.pid in keep:
                continue
            try:
                environ = Path(f"/proc/{process.pid}/environ").read_bytes()
            except OSError:
                continue
            if any(line.startswith(marker) for line in environ.split(b"\0") for marker in markers):
                found.append(process.pid)
        return found


def _end(pid: int, process: subprocess.Popen | None = None) -> None:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT_S; reap it if it is our child."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        if process is not None:
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        else:
            psutil.Process(pid).wait(STOP_TIMEOUT_S)
    except psutil.TimeoutExpired:
        os.kill(pid, signal.SIGKILL)
    except psutil.NoSuchProcess:
        pass


def _which(name: str) -> str | None:
    """Also look in the sbin folders, which a non-login root shell may not have on PATH."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Start a one-node Slurm on this machine, run COMMAND with SLURM_CONF "
        "pointing at it, then stop it (and remove its state).",
    )
    parser.add_argument("command", nargs="+", help="the command to run, after --")
    args = parser.parse_args(argv)
    # a SIGTERM (a CI timeout, kill PID) stops the cluster too, as Ctrl-C does
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with OneNodeSlurm() as cluster:
        print(
            f"one_node_slurm: cluster up (partition {PARTITION}, node {NODE}, "
            f"SLURM_CONF={cluster.conf})",
            file=sys.stderr,
        )
        return subprocess.run(args.command, env=cluster.env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
