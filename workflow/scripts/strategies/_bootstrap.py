"""Makes the mpbench harness package importable when a strategy file is run as a script.

Every strategy starts with ``import _bootstrap``: the script's own folder is first on
sys.path, and the harness lives one folder up. Spawned children inherit sys.path.
"""

import sys
from pathlib import Path

SCRIPTS_DIR = str(Path(__file__).resolve().parent.parent)
if SCRIPTS_DIR not in sys.path:
    sys.path.insert(1, SCRIPTS_DIR)
