"""The `array` workload: an element-wise numpy kernel over N float64 numbers.

Input: N numbers in [0, 1) from a seeded generator, written once per cell to a file that
every strategy reads (its page cache is not in any process's memory, so each strategy pays
for, and is charged the memory of, wherever it puts the data). Output: N float64 numbers.

The kernel iterates the logistic map x <- R x (1 - x) ITERATIONS times on every element: 3
floating-point operations per iteration, each correctly rounded (IEEE 754), so any slice
of the input gives bit for bit the same output as the whole array in one process: the
check is exact. It runs in blocks of BLOCK elements, which stay in the core's cache, so
one core is busy computing, not waiting on memory: about 1.4 ns per element per iteration
on the 2-core development machine, 22 ns per element in all (README, "The array workload").
"""

import hashlib
import os

import numpy as np

SEED = 20260101  # the input's seed: the same N always gives the same input
R = 3.9  # logistic map parameter (chaotic regime: no shortcut, every iteration is computed)
ITERATIONS = 16
BLOCK = 16384  # elements per block: 128 KiB per array, two arrays fit a core's L2 cache
ITEM = np.dtype(np.float64).itemsize


def payload_bytes(n: int) -> int:
    """The data a run must hold at least once: N inputs and N outputs."""
    return 2 * n * ITEM


def generate(n: int) -> np.ndarray:
    """The input for size N: uniform in [0, 1), from a generator seeded with SEED."""
    return np.random.default_rng(SEED).random(n)


def write_input(n: int, path: str | os.PathLike) -> None:
    """Write the input for size N to `path` (raw float64, native byte order)."""
    generate(n).tofile(path)


def read_into(path: str | os.PathLike, out: np.ndarray, start: int = 0) -> np.ndarray:
    """Fill `out` with elements start .. start + len(out) of the input file; return `out`.

    `out` may be a view of shared memory: the bytes go straight from the page cache into
    it, with no intermediate copy.
    """
    buffer = memoryview(out).cast("B")
    with open(path, "rb", buffering=0) as stream:
        stream.seek(start * ITEM)
        done = 0
        while done < len(buffer):
            got = stream.readinto(buffer[done:])
            if not got:
                raise EOFError(
                    f"{path}: input ends after {start + done // ITEM} elements, "
                    f"wanted {start + len(out)}"
                )
            done += got
    return out


def compute_into(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out[i] = the logistic map iterated ITERATIONS times from x[i]; `out` may be `x`."""
    if x.shape != out.shape:
        raise ValueError(f"input and output differ in shape: {x.shape} and {out.shape}")
    scratch = np.empty(min(BLOCK, len(x)))
    for lo in range(0, len(x), BLOCK):
        hi = min(lo + BLOCK, len(x))
        y, t = out[lo:hi], scratch[: hi - lo]
        np.copyto(y, x[lo:hi])
        for _ in range(ITERATIONS):
            np.subtract(1.0, y, out=t)
            np.multiply(y, t, out=y)
            np.multiply(y, R, out=y)
    return out


def compute(x: np.ndarray) -> np.ndarray:
    """The kernel into a new array."""
    return compute_into(x, np.empty_like(x))


def digest(output) -> str:
    """What a run's answer is compared by: the SHA-256 of the output's float64 bytes, or a
    description of what is wrong with its type or shape."""
    if not isinstance(output, np.ndarray):
        return f"not an array: {type(output).__name__}"
    if output.dtype != np.float64 or output.ndim != 1:
        return f"not 1-d float64: {output.dtype} of shape {output.shape}"
    sha = hashlib.sha256(np.ascontiguousarray(output).data).hexdigest()
    return f"sha256:{sha[:16]} of {len(output)}"


def expected_digest(n: int) -> str:
    """The reference answer: the kernel over the whole input in this process, digested."""
    return digest(compute(generate(n)))
