"""Measure one cell of the ipc workload: see mpbench/ipc/cli.py, or --help."""

import sys

from mpbench.ipc.cli import main

if __name__ == "__main__":
    sys.exit(main())
