"""How a workload's range (the numbers [2, N] for primes, the indexes [0, N) for array) is
cut into the pieces that workers take.

Trial division costs more for larger numbers, so equal-width pieces do not take equal time:
- ``static``: the blog post's split, one contiguous range per worker (the last worker,
  holding the largest numbers, finishes last);
- ``dynamic``: many small chunks handed out as workers free up, costliest first, so that
  no expensive chunk is left for the end.
"""

SPLITS = ("static", "dynamic")
SINGLE = "none"  # the split label of the one-process baseline, which does not split
CHUNKS_PER_WORKER = 16  # dynamic split: enough chunks to balance, few enough to keep IPC cheap


def even_ranges(start: int, stop: int, parts: int) -> list[range]:
    """Cut [start, stop) into `parts` contiguous ranges whose lengths differ by at most one.

    Every integer lands in exactly one range, in order. With more parts than integers the
    surplus ranges are empty, so a caller that asks for P pieces always gets P.
    """
    if parts < 1:
        raise ValueError(f"parts must be >= 1, got {parts}")
    length = max(stop - start, 0)
    base, extra = divmod(length, parts)
    ranges, lo = [], start
    for i in range(parts):
        hi = lo + base + (1 if i < extra else 0)
        ranges.append(range(lo, hi))
        lo = hi
    return ranges


def split_work(n: int, processes: int, split: str, domain: range | None = None) -> list[range]:
    """The pieces of `domain` (default [2, n], the primes workload's) for `processes`
    workers under the named split."""
    domain = range(2, n + 1) if domain is None else domain
    if split == SINGLE:
        return [domain]
    if split == "static":
        return even_ranges(domain.start, domain.stop, processes)
    if split == "dynamic":
        chunks = even_ranges(domain.start, domain.stop, processes * CHUNKS_PER_WORKER)
        non_empty = [chunk for chunk in chunks if len(chunk)]
        return sorted(non_empty, key=lambda chunk: chunk.start, reverse=True)
    raise ValueError(f"unknown split {split!r}; allowed: {', '.join((SINGLE, *SPLITS))}")
