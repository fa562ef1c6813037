"""The report's statistics against values worked by hand and published examples."""

from __future__ import annotations

import math

import pytest

from planner.core import stats


def test_z_value_for_95_percent() -> None:
    assert stats.z_value(0.95) == pytest.approx(1.959964, abs=1e-6)


def test_wald_difference_by_hand() -> None:
    # 56/70 = 0.8 and 48/80 = 0.6: se = sqrt(0.8*0.2/70 + 0.6*0.4/80) = sqrt(0.00528571) = 0.0727029,
    # half-width = 1.959964 * 0.0727029 = 0.142495.
    interval = stats.wald_difference(56, 70, 48, 80)
    assert interval.estimate == pytest.approx(0.2)
    assert interval.low == pytest.approx(0.057505, abs=1e-5)
    assert interval.high == pytest.approx(0.342495, abs=1e-5)


def test_wilson_interval_by_hand() -> None:
    # 0 of 10: the upper end is z²/(n + z²) = 3.841459 / 13.841459 = 0.277533.
    low, high = stats.wilson_interval(0, 10)
    assert low == pytest.approx(0, abs=1e-12)
    assert high == pytest.approx(0.277533, abs=1e-5)
    # 5 of 10: centred on 0.5, half-width z*sqrt(0.025 + z²/400)/(1 + z²/10) = 0.5 - 0.236593.
    low, high = stats.wilson_interval(5, 10)
    assert (low, high) == pytest.approx((0.236593, 0.763407), abs=1e-5)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10.
        ((56, 70, 48, 80), (0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.1705, 0.8090)),
    ],
)
def test_newcombe_difference_matches_the_published_examples(
    counts: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    interval = stats.newcombe_difference(*counts)
    assert (interval.low, interval.high) == pytest.approx(expected, abs=1e-4)


def test_mean_difference_by_hand() -> None:
    # means 4 and 2, sample variances 4 and 2: se = sqrt(4/3 + 2/2) = 1.527525; half = 2.993893.
    interval = stats.mean_difference([2, 4, 6], [1, 3])
    assert interval.estimate == pytest.approx(2)
    assert interval.low == pytest.approx(2 - 2.993893, abs=1e-5)
    assert interval.high == pytest.approx(2 + 2.993893, abs=1e-5)
    assert interval.contains(0) and not interval.contains(5)


def test_minimum_sizes() -> None:
    assert stats.too_small(29, 500) and stats.too_small(500, 0) and not stats.too_small(30, 30)
    # Pooled rate 4/200 = 0.02: 100 * 0.02 = 2 expected successes per group, under 5.
    assert stats.too_few_events(3, 100, 1, 100)
    assert not stats.too_few_events(30, 100, 20, 100)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        stats.wilson_interval(11, 10)
    with pytest.raises(ValueError):
        stats.z_value(1.5)
    with pytest.raises(ValueError):
        stats.mean_difference([1.0], [1.0, 2.0])
    assert math.isfinite(stats.newcombe_difference(0, 30, 0, 30).high)
