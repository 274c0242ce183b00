"""Amdahl's law fitted to speedups, on known numbers."""

import copy
import math

import numpy as np
import pytest

from mpbench.analysis import amdahl, summary
from test_summary import RECORDS


def test_amdahl_speedup_on_known_numbers():
    assert amdahl.amdahl_speedup(0.0, 4) == pytest.approx(4.0)
    assert amdahl.amdahl_speedup(1.0, 4) == pytest.approx(1.0)
    # f = 0.1 on 2 cores: 1 / (0.1 + 0.45) = 1.818...
    assert amdahl.amdahl_speedup(0.1, 2) == pytest.approx(1 / 0.55)


def test_the_fit_recovers_a_known_serial_fraction():
    p = np.array([2, 4, 8, 16] * 3)
    s = amdahl.amdahl_speedup(0.05, p)
    f, se, points = amdahl.fit_serial_fraction(p, s)
    assert f == pytest.approx(0.05) and se == pytest.approx(0.0, abs=1e-12) and points == 12
    # P = 1 says nothing about f and is left out; noise gives a standard error
    noisy = s * np.random.default_rng(1).normal(1, 0.02, len(s))
    f, se, points = amdahl.fit_serial_fraction(np.r_[1, p], np.r_[0.9, noisy])
    assert points == 12 and abs(f - 0.05) < 3 * se and 0 < se < 0.02


def test_on_two_cores_the_fit_is_the_mean_karp_flatt_of_the_rounds():
    records = copy.deepcopy(
        RECORDS
    )  # single 4.0 s in every round; pool_map static at P = 2: 2.5, 2.5, 3.5
    fits = amdahl.fit_table(summary.repeats_table(records)).set_index(["strategy", "split"])
    static = fits.loc[("pool_map", "static")]
    expected = np.mean([summary.karp_flatt(4.0 / t, 2, 2) for t in (2.5, 2.5, 3.5)])
    assert static["serial_fraction"] == pytest.approx(expected)
    assert static["points"] == 3 and static["processes_fitted"] == "2"  # P = 4 > cores: not fitted
    assert fits.loc[("pool_map", "dynamic"), "serial_fraction"] == pytest.approx(0.0)
    assert ("single", "none") not in fits.index  # nothing to fit at P = 1


def test_no_point_above_one_core_gives_no_fit():
    f, se, points = amdahl.fit_serial_fraction([1, 1], [0.9, 0.95])
    assert math.isnan(f) and math.isnan(se) and points == 0
