"""How the range [2, N] is cut into the pieces that workers count.

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


def split_work(n: int, processes: int, split: str) -> list[range]:
    """The pieces of [2, n] for `processes` workers under the named split."""
    if split == SINGLE:
        return [range(2, n + 1)]
    if split == "static":
        return even_ranges(2, n + 1, processes)
    if split == "dynamic":
        chunks = even_ranges(2, n + 1, processes * CHUNKS_PER_WORKER)
        non_empty = [chunk for chunk in chunks if len(chunk)]
        return sorted(non_empty, key=lambda chunk: chunk.start, reverse=True)
    raise ValueError(f"unknown split {split!r}; allowed: {', '.join((SINGLE, *SPLITS))}")
