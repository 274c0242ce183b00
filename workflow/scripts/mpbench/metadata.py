"""What a record carries so that it can be judged later (METHOD.md, "What keeps numbers clean")."""

import datetime
import os
import platform
import socket
import subprocess
import sys
from importlib import metadata as importlib_metadata
from pathlib import Path

import psutil

from mpbench import NUMERIC_THREAD_VARIABLES

PROJECT_ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("numpy", "psutil", "jsonschema")


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _package_versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), *args],
            capture_output=True, text=True, timeout=10, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def project_revision() -> dict[str, object]:
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def collect() -> dict[str, object]:
    """The machine, interpreter and project this process runs on (not timed)."""
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "cpu_affinity": sorted(os.sched_getaffinity(0)),
        "python_version": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "python_build": " ".join(platform.python_build()) + " / " + platform.python_compiler(),
        "gil_enabled": True if is_gil_enabled is None else bool(is_gil_enabled()),
        "packages": _package_versions(),
        "numeric_threads": {name: os.environ.get(name) for name in NUMERIC_THREAD_VARIABLES},
        "project": project_revision(),
    }
