"""The statistics behind `delight report`: two groups compared, with a confidence interval.

Pure functions on counts and numbers; nothing here knows about gestures or databases.

* A difference of two proportions uses Newcombe's hybrid score interval (method 10 in
  Newcombe, 1998, *Statistics in Medicine* 17:873-890): a Wilson score interval for each
  group, combined. It keeps close to its stated coverage even for rates near 0 or 1, where
  the textbook Wald interval (also here, for comparison) is too narrow.
* A difference of two means (revenue per customer) uses Welch's standard error with the
  normal quantile, which is sound at the group sizes the report insists on (30 or more each).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist, fmean, variance

MIN_GROUP_SIZE = 30
"""Fewer customers than this in either group, and the report says so instead of giving a number."""

MIN_EXPECTED = 5
"""Each group's expected successes and failures (under no difference) must reach this."""


@dataclass(frozen=True)
class Interval:
    """A difference between two groups (treated minus control) and its confidence interval."""

    estimate: float
    low: float
    high: float

    def contains(self, value: float) -> bool:
        """True when ``value`` lies inside the interval (ends included)."""
        return self.low <= value <= self.high


def z_value(confidence: float) -> float:
    """The two-sided normal quantile: 0.95 → 1.959964…"""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval for one proportion ``successes / n``."""
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n > 0, got {successes} of {n}")
    z = z_value(confidence)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference(successes_1: int, n_1: int, successes_2: int, n_2: int, confidence: float = 0.95) -> Interval:
    """Difference of proportions ``p1 - p2`` with Newcombe's hybrid score interval."""
    p1, p2 = successes_1 / n_1, successes_2 / n_2
    low_1, high_1 = wilson_interval(successes_1, n_1, confidence)
    low_2, high_2 = wilson_interval(successes_2, n_2, confidence)
    difference = p1 - p2
    return Interval(
        difference,
        difference - math.sqrt((p1 - low_1) ** 2 + (high_2 - p2) ** 2),
        difference + math.sqrt((high_1 - p1) ** 2 + (p2 - low_2) ** 2),
    )


def wald_difference(successes_1: int, n_1: int, successes_2: int, n_2: int, confidence: float = 0.95) -> Interval:
    """Difference of proportions ``p1 - p2`` with the Wald (normal approximation) interval."""
    p1, p2 = successes_1 / n_1, successes_2 / n_2
    half = z_value(confidence) * math.sqrt(p1 * (1 - p1) / n_1 + p2 * (1 - p2) / n_2)
    return Interval(p1 - p2, p1 - p2 - half, p1 - p2 + half)


def mean_difference(values_1: Sequence[float], values_2: Sequence[float], confidence: float = 0.95) -> Interval:
    """Difference of means ``mean1 - mean2`` with Welch's standard error and the normal quantile."""
    if len(values_1) < 2 or len(values_2) < 2:
        raise ValueError("need at least two values in each group")
    standard_error = math.sqrt(variance(values_1) / len(values_1) + variance(values_2) / len(values_2))
    difference = fmean(values_1) - fmean(values_2)
    half = z_value(confidence) * standard_error
    return Interval(difference, difference - half, difference + half)


def too_small(n_1: int, n_2: int) -> bool:
    """True when either group has fewer than ``MIN_GROUP_SIZE`` members."""
    return min(n_1, n_2) < MIN_GROUP_SIZE


def too_few_events(successes_1: int, n_1: int, successes_2: int, n_2: int) -> bool:
    """True when, with the two groups pooled, either group expects fewer than 5 successes or failures."""
    pooled = (successes_1 + successes_2) / (n_1 + n_2)
    return min(n * rate for n in (n_1, n_2) for rate in (pooled, 1 - pooled)) < MIN_EXPECTED
