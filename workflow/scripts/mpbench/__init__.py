"""mpbench: the measurement harness shared by every strategy script.

Everything directly in this package is on the *measured* side: editing it reruns every
benchmark cell. The reader side (tables, figures, report) lives in ``mpbench.analysis``.
"""

import os

# Numeric libraries in measured processes run single-threaded (docs/method.md): set before
# numpy is imported anywhere, so that a BLAS pool never competes with our workers.
NUMERIC_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
for _name in NUMERIC_THREAD_VARIABLES:
    os.environ[_name] = "1"

__version__ = "0.1.0"
