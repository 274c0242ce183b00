import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "workflow" / "scripts"
STRATEGIES = SCRIPTS / "strategies"
for folder in (SCRIPTS, STRATEGIES):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


@pytest.fixture(autouse=True)
def _no_kept_pool_outlives_a_test():
    """What the harness does as a cell ends: stop a pool a strategy kept alive across its
    runs (Job.kept: every POOL = "warm" strategy), so that a test calling one directly
    leaves no worker for the next test's leftover checks."""
    yield
    from mpbench.job import stop_kept

    stop_kept()


@pytest.fixture
def python():
    return sys.executable


def pytest_collection_modifyitems(items):
    """A test that runs a strategy script (the `python` fixture) starts real processes:
    it is an integration test, left out of `make test-fast`."""
    for item in items:
        if "python" in getattr(item, "fixturenames", ()) and "workflow" not in item.keywords:
            item.add_marker(pytest.mark.integration)
