"""What the supervisor tells the measured process, through its environment.

The supervisor (mpbench.supervisor) starts the measured process with these variables set;
the measured process (mpbench.cell, mpbench.job) reads them. Both sides import the names
from here, so neither imports the other.
"""

import os
import secrets

SUPERVISED = "MPBENCH_SUPERVISED"  # "1": this process is the measured one
RUN_ID = "MPBENCH_RUN_ID"  # prefix of every shared memory segment and file the cell makes
SCRATCH = "MPBENCH_SCRATCH"  # folder for the cell's input file and file-backed data
RAW_RECORD = "MPBENCH_RAW_RECORD"  # where the measured process leaves its record
SAMPLER = "MPBENCH_SAMPLER"  # "requests,replies": file descriptors to talk to the memory sampler
STATUS = "MPBENCH_STATUS"  # the page where the measured process says where it is (mpbench.status)

# What the measured process writes on the requests descriptor; the supervisor answers each
# byte with one byte on the replies descriptor once it has done what was asked
# (mpbench.memory): take one sample, start sampling periodically, stop sampling.
SAMPLE, SAMPLING_ON, SAMPLING_OFF = b"s", b"[", b"]"
REPLY = b"k"


def new_run_id() -> str:
    """A prefix no other run on this machine uses: two runs never collide in /dev/shm."""
    return f"mpbench-{os.getpid()}-{secrets.token_hex(4)}"
