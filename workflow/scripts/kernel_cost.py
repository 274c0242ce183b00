"""What the array workload's kernel costs per element on one core, and why its block size.

    python workflow/scripts/kernel_cost.py [--n 10000000] [--rounds 5]

Times mpbench.array.compute (the logistic map, ITERATIONS iterations per element, in blocks
of BLOCK elements) on N elements, best of `rounds`, and the same kernel with other block
sizes, so that the choice in mpbench/array.py can be checked on any machine: too small a
block pays numpy's per-call overhead, too large a block leaves the cache and waits on memory.
For scale it also times a plain copy of the array (memory bandwidth) and one pass of
pickling it, which is what copying strategies pay per byte on top of the kernel.
Run it on a quiet machine; it is not part of the workflow.
"""

import argparse
import pickle
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from mpbench import array  # noqa: E402


def best_ns_per_element(function, n: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best / n * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data = array.generate(args.n)
    output = np.empty_like(data)
    print(f"N = {args.n:,}, best of {args.rounds}, ns per element")
    kernel = best_ns_per_element(lambda: array.compute_into(data, output), args.n, args.rounds)
    print(
        f"kernel (ITERATIONS = {array.ITERATIONS}, BLOCK = {array.BLOCK}): {kernel:.1f} "
        f"({kernel / array.ITERATIONS:.2f} per iteration)"
    )
    default_block = array.BLOCK
    try:
        for block in (1024, 4096, 65536, 1 << 20):
            array.BLOCK = block
            cost = best_ns_per_element(
                lambda: array.compute_into(data, output), args.n, args.rounds
            )
            print(f"  with BLOCK = {block}: {cost:.1f}")
    finally:
        array.BLOCK = default_block
    copy = best_ns_per_element(lambda: np.copyto(output, data), args.n, args.rounds)
    print(f"copy into an existing array: {copy:.2f}")
    fresh = best_ns_per_element(lambda: data.copy(), args.n, args.rounds)
    print(f"copy into a new array (page faults included): {fresh:.2f}")
    pickled = best_ns_per_element(
        lambda: pickle.loads(pickle.dumps(data, protocol=5)), args.n, args.rounds
    )
    print(f"pickle and unpickle: {pickled:.2f}")


if __name__ == "__main__":
    main()
