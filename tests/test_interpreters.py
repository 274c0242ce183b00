"""make interpreters (workflow/scripts/get_interpreters.sh, docs/interpreters.md).

Skipped unless its interpreters are installed, or MPBENCH_GET_INTERPRETERS=1 asks this test to
install them (downloads from Debian's archive and PyPI).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "workflow" / "scripts" / "get_interpreters.sh"
VENV_PYTHON = ROOT / ".interpreters" / "3.14" / "venv" / "bin" / "python"

pytestmark = [
    pytest.mark.interpreters,
    pytest.mark.skipif(
        not VENV_PYTHON.exists() and os.environ.get("MPBENCH_GET_INTERPRETERS") != "1",
        reason="make interpreters not run (MPBENCH_GET_INTERPRETERS=1 runs it here)",
    ),
]


def pinned(name: str) -> str:
    text = (ROOT / "requirements.txt").read_text()
    return re.search(rf"^{name}==(\S+)", text, re.MULTILINE).group(1)


@pytest.fixture(scope="module")
def report() -> dict[str, str]:
    """The script's report (installing first when needed): its `key: value` lines."""
    out = subprocess.run(
        ["bash", str(SCRIPT)], capture_output=True, text=True, check=True, timeout=600
    ).stdout
    return dict(line.split(": ", 1) for line in out.splitlines())


def test_report_names_a_gil_cpython_314_with_the_pinned_packages(report):
    assert report["executable"] == str(VENV_PYTHON)
    assert report["version"].startswith("3.14.")
    assert report["gil_enabled"] == "True"
    assert report["numpy"] == f"{pinned('numpy')} psutil: {pinned('psutil')}"
    assert report["free-threaded"].startswith("none")


@pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
def test_children_of_every_start_method_run_the_same_314(report, method, tmp_path):
    # spawn and forkserver exec sys.executable: the patched binary must run without a wrapper.
    # A file, not -c: spawn's children import the parent's main module to find child().
    script = tmp_path / "children.py"
    script.write_text(
        "import multiprocessing as mp, sys\n"
        "def child(x):\n"
        "    import numpy, psutil, sys\n"
        "    return sys.version, float(numpy.arange(x).sum()), psutil.Process().pid > 0\n"
        "if __name__ == '__main__':\n"
        f"    with mp.get_context('{method}').Pool(2) as pool:\n"
        "        results = pool.map(child, [4, 5])\n"
        "    print(results == [(sys.version, 6.0, True), (sys.version, 10.0, True)], sys.version)\n"
    )
    out = subprocess.run(
        [str(VENV_PYTHON), str(script)], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split(" ", 1)
    assert out == ["True", report["version"] + "\n"]
    assert sys.version != report["version"]  # not the test runner's own interpreter
