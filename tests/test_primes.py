import pytest

from mpbench.primes import count_primes_in, count_primes_sieve, is_prime
from mpbench.split import SINGLE, even_ranges, split_work

# the reference values of docs/method.md
PI = {2: 1, 3: 2, 10: 4, 100: 25, 10**5: 9592, 3 * 10**5: 25997, 10**6: 78498, 10**7: 664579}


@pytest.mark.parametrize("n,expected", PI.items())
def test_sieve_matches_reference_values(n, expected):
    assert count_primes_sieve(n) == expected


def test_is_prime_small_numbers():
    primes_below_50 = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47]
    assert [k for k in range(-3, 50) if is_prime(k)] == primes_below_50


@pytest.mark.parametrize("n", [2, 3, 4, 25, 49, 121, 1000, 7919, 7920, 10**5])
def test_trial_division_agrees_with_sieve(n):
    assert count_primes_in(range(2, n + 1)) == count_primes_sieve(n)


def test_square_of_a_prime_is_not_prime():
    # floor(sqrt(n)) itself must be tried: the blog's bound, easy to get off by one
    assert not any(is_prime(p * p) for p in (2, 3, 5, 7, 97, 997))


@pytest.mark.parametrize("start,stop", [(2, 3), (2, 11), (5, 1000), (2, 2)])
@pytest.mark.parametrize("parts", [1, 2, 3, 4, 7, 16, 2000])
def test_even_ranges_cover_each_integer_once(start, stop, parts):
    ranges = even_ranges(start, stop, parts)
    assert len(ranges) == parts
    assert [k for r in ranges for k in r] == list(range(start, stop))
    lengths = [len(r) for r in ranges]
    assert max(lengths) - min(lengths) <= 1


@pytest.mark.parametrize("n", [2, 3, 10, 1001])
@pytest.mark.parametrize("processes", [1, 2, 3, 5, 64])
def test_static_split_gives_one_range_per_worker(n, processes):
    pieces = split_work(n, processes, "static")
    assert len(pieces) == processes
    assert sorted(k for r in pieces for k in r) == list(range(2, n + 1))


@pytest.mark.parametrize("n", [2, 3, 10, 1001, 10**6])
@pytest.mark.parametrize("processes", [1, 2, 3, 5, 64])
def test_dynamic_split_covers_range_costliest_first(n, processes):
    pieces = split_work(n, processes, "dynamic")
    assert sorted(k for r in pieces for k in r) == list(range(2, n + 1))
    assert all(len(r) for r in pieces)
    starts = [r.start for r in pieces]
    assert starts == sorted(starts, reverse=True)
    assert len(pieces) == min(n - 1, 16 * processes)


def test_single_split_is_the_whole_range():
    assert split_work(100, 1, SINGLE) == [range(2, 101)]


def test_unknown_split_names_the_allowed_ones():
    with pytest.raises(ValueError, match="unknown split 'guided'; allowed: none, static, dynamic"):
        split_work(10, 2, "guided")
