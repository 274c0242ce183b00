"""pipe: one Process per worker, each with its own Pipe; raw bytes both ways.

Connection.send_bytes sends a buffer as it is, with no pickling: the parent sends each
worker the bytes of its input slice, the worker wraps them in a numpy array without a
copy (np.frombuffer), computes, and sends the output's bytes back; the parent receives
them straight into its slice of the output (recv_bytes_into). The least copying a copying
path can do: each slice crosses the pipe once each way. A worker that dies closes its end,
so the parent gets EOFError instead of waiting forever.
"""

import contextlib
import sys

import _bootstrap  # noqa: F401
import numpy as np

from mpbench.array import compute
from mpbench.job import Job, signal_ready

SPLITS = ("static",)


def serve(connection, ready) -> None:
    signal_ready(ready, "array")
    with connection:
        data = np.frombuffer(connection.recv_bytes(), dtype=np.float64)
        connection.send_bytes(compute(data))


def array(job: Job):
    data = job.read_input()
    job.lap("setup")
    ctx, ready = job.context, job.ready_signal()
    pipes = [ctx.Pipe() for _ in job.pieces]  # (parent's end, worker's end)
    workers = [ctx.Process(target=serve, args=(theirs, ready)) for _, theirs in pipes]
    with contextlib.ExitStack() as ends:
        for ours, theirs in pipes:
            ends.enter_context(ours)
            ends.enter_context(theirs)
        with job.running(workers, ready):
            for _, theirs in pipes:
                theirs.close()  # only the worker holds its end now: its exit means EOF
            output = np.empty(job.n)
            # A worker reads its whole slice before it computes, so sending to each in turn
            # cannot deadlock; it then blocks on sending until we read it, below.
            for (ours, _), piece in zip(pipes, job.pieces):
                ours.send_bytes(data[piece.start : piece.stop])
            for (ours, _), piece in zip(pipes, job.pieces):
                ours.recv_bytes_into(output[piece.start : piece.stop])
            job.lap("compute")
    return output


if __name__ == "__main__":
    from mpbench.cli import main  # the measured process only: workers never import it

    sys.exit(main(__doc__, globals()))
