"""Distributions of durations (M2.3, M2.4 of the reports research).

Two ways to a median or a p90:
- exact, from the values (a read of up to 7 days of fact items): `summarise` gives count, mean, median and p90, the
  percentiles by the nearest-rank definition: the p-th percentile of n sorted values is the value at rank
  ceil(p/100 * n), 1-based; it is always one of the values (the median of 1, 2, 3, 4 is 2, not 2.5);
- approximate, from bucket counts (the daily aggregates' fixed log-spaced buckets, merged over a long range):
  `approximate_quantile` finds the bucket holding the rank and interpolates linearly inside it; its result says it
  is approximate, and "at least" when the rank falls in the open last bucket (2 days and more).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

_MINUTE, _HOUR, _DAY = 60, 3600, 86_400

#: The buckets' lower edges in seconds: bucket i holds [EDGES[i], EDGES[i + 1]), the last one [2 d, +inf).
EDGES: tuple[int, ...] = (0, 5, 10, 20, 30, 45, _MINUTE, 2 * _MINUTE, 3 * _MINUTE, 5 * _MINUTE, 10 * _MINUTE,
                          15 * _MINUTE, 30 * _MINUTE, _HOUR, 2 * _HOUR, 4 * _HOUR, 8 * _HOUR, _DAY, 2 * _DAY)
BUCKETS = len(EDGES)


def bucket_of(seconds: float) -> int:
    """The index of the bucket a duration falls in (an edge belongs to the bucket it starts)."""
    if seconds < 0 or math.isnan(seconds):
        raise ValueError("a duration is a number of seconds >= 0")
    return bisect_right(EDGES, seconds) - 1


def bucket_bounds(index: int) -> tuple[float, float]:
    """[lower, upper) of a bucket in seconds; the last one's upper bound is infinite."""
    upper = EDGES[index + 1] if index + 1 < BUCKETS else math.inf
    return float(EDGES[index]), float(upper)


def counts_of(values: Iterable[float]) -> tuple[int, ...]:
    """The bucket counts of some durations."""
    counts = [0] * BUCKETS
    for value in values:
        counts[bucket_of(value)] += 1
    return tuple(counts)


def merge(*many: Sequence[int]) -> tuple[int, ...]:
    """Bucket counts added bucket by bucket (days into a range, queues into a tenant)."""
    for counts in many:
        if len(counts) != BUCKETS:
            raise ValueError(f"bucket counts have {BUCKETS} entries, got {len(counts)}")
    return tuple(sum(column) for column in zip(*many, strict=True)) if many else (0,) * BUCKETS


@dataclass(frozen=True)
class Estimate:
    """A quantile read from buckets: always approximate (shown with "≈"); `at_least` when the rank lies in the
    open last bucket, whose lower edge is all that is known."""

    seconds: float
    approximate: bool = True
    at_least: bool = False


def approximate_quantile(counts: Sequence[int], q: float) -> Estimate | None:
    """The q-quantile (0 < q <= 1) of the durations counted in `counts`; None when nothing was counted. The rank
    q * n is found in the cumulative counts and placed linearly inside its bucket: if a bucket [lo, hi) holds c
    values and r of them come before the rank, the estimate is lo + (hi - lo) * r / c."""
    if not 0 < q <= 1:
        raise ValueError("q is in (0, 1]")
    if len(counts) != BUCKETS:
        raise ValueError(f"bucket counts have {BUCKETS} entries, got {len(counts)}")
    total = sum(counts)
    if total == 0:
        return None
    rank = Fraction(str(q)) * total  # exact: 0.7 * 10 is 7, not 7.000000000000001
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            lower, upper = bucket_bounds(index)
            if math.isinf(upper):
                return Estimate(lower, at_least=True)
            return Estimate(lower + (upper - lower) * float(rank - seen) / count)
        seen += count
    raise AssertionError("unreachable: the rank is at most the total")


def nearest_rank(values: Sequence[float], percentile: float) -> float:
    """The nearest-rank percentile (0 < percentile <= 100) of `values`: the sorted value at rank ceil(p/100 * n)."""
    if not values:
        raise ValueError("no values")
    if not 0 < percentile <= 100:
        raise ValueError("the percentile is in (0, 100]")
    ordered = sorted(values)
    return ordered[math.ceil(Fraction(str(percentile)) * len(ordered) / 100) - 1]  # exact, as above


@dataclass(frozen=True)
class Summary:
    """Exact figures of some durations: what the desk shows side by side (median and p90 next to the mean)."""

    count: int
    mean: float
    median: float
    p90: float


def summarise(values: Sequence[float]) -> Summary | None:
    """Count, mean, nearest-rank median and p90 of `values`; None when there are none."""
    if not values:
        return None
    return Summary(len(values), math.fsum(values) / len(values), nearest_rank(values, 50), nearest_rank(values, 90))
