"""The `primes` workload: count the primes in [2, N].

The test is the blog post's trial division (divide by 2 .. floor(sqrt(n))), written once
here and used by every strategy. The expected answer comes from an independent numpy sieve.
"""

from math import isqrt


def is_prime(n: int) -> bool:
    """Trial division by every d in 2..floor(sqrt(n)); pure Python on purpose (holds the GIL)."""
    if n < 2:
        return False
    for divisor in range(2, isqrt(n) + 1):
        if n % divisor == 0:
            return False
    return True


def count_primes_in(numbers: range) -> int:
    """Number of primes in a range of integers (the unit of work every worker runs)."""
    count = 0
    for n in numbers:
        if is_prime(n):
            count += 1
    return count


def count_primes_sieve(n: int) -> int:
    """pi(n) by a sieve of Eratosthenes in numpy: the independent reference answer."""
    import numpy as np  # here, not at the top: the supervising process never needs it

    if n < 2:
        return 0
    is_candidate = np.ones(n + 1, dtype=bool)
    is_candidate[:2] = False
    for p in range(2, isqrt(n) + 1):
        if is_candidate[p]:
            is_candidate[p * p :: p] = False
    return int(is_candidate.sum())
