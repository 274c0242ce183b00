import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "workflow" / "scripts"
STRATEGIES = SCRIPTS / "strategies"
for folder in (SCRIPTS, STRATEGIES):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


@pytest.fixture
def python():
    return sys.executable
