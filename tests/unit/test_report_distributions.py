"""Durations' distributions (docs/reports.md, "Exact and approximate"): the fixed buckets, merging them, the
approximate quantile read from them against the exact nearest-rank figures of the same values."""

from __future__ import annotations

import math
import random

import pytest

from chalicelib.domain.reports.distributions import (
    BUCKETS,
    EDGES,
    Estimate,
    approximate_quantile,
    bucket_bounds,
    bucket_of,
    counts_of,
    merge,
    nearest_rank,
    summarise,
)


def test_the_edges_are_m2_3s() -> None:
    m, h, d = 60, 3600, 86_400
    expected = (0, 5, 10, 20, 30, 45, m, 2 * m, 3 * m, 5 * m, 10 * m, 15 * m, 30 * m, h, 2 * h, 4 * h, 8 * h, d, 2 * d)
    assert expected == EDGES
    assert BUCKETS == 19
    assert bucket_bounds(18) == (172_800.0, math.inf)


@pytest.mark.parametrize(("seconds", "index"), [(0, 0), (4.999, 0), (5, 1), (44.9, 4), (45, 5), (59.99, 5), (60, 6),
                                                 (3599, 12), (3600, 13), (86_399, 16), (86_400, 17), (172_800, 18),
                                                 (10**9, 18)])
def test_a_duration_falls_in_the_bucket_its_lower_edge_starts(seconds: float, index: int) -> None:
    assert bucket_of(seconds) == index


@pytest.mark.parametrize("bad", [-1, math.nan])
def test_a_negative_or_missing_duration_has_no_bucket(bad: float) -> None:
    with pytest.raises(ValueError):
        bucket_of(bad)


def test_merging_adds_bucket_by_bucket_as_counting_all_values_at_once() -> None:
    monday, tuesday = [3, 7, 7, 61, 4000], [0, 7, 200_000]
    assert merge(counts_of(monday), counts_of(tuesday)) == counts_of(monday + tuesday)
    assert merge() == (0,) * BUCKETS
    with pytest.raises(ValueError):
        merge((1, 2, 3))


@pytest.mark.parametrize(("values", "p", "expected"), [
    ([1, 2, 3, 4], 50, 2),  # nearest rank: a value, never an average of two
    ([4, 1, 3, 2], 50, 2),
    ([1, 2, 3, 4, 5], 50, 3),
    (list(range(1, 11)), 90, 9),
    (list(range(1, 11)), 70, 7),  # 0.7 * 10 is 7 exactly, not 7.000000000000001 (which would give 8)
    (list(range(1, 12)), 90, 10),  # ceil(9.9) = 10
    ([42], 90, 42),
    (list(range(1, 101)), 100, 100),
])
def test_nearest_rank_percentile(values: list[float], p: float, expected: float) -> None:
    assert nearest_rank(values, p) == expected


def test_summary_gives_mean_median_and_p90() -> None:
    summary = summarise([30, 10, 20, 40, 50, 60, 70, 80, 90, 1000])
    assert summary is not None
    assert (summary.count, summary.mean, summary.median, summary.p90) == (10, 145.0, 50, 90)
    assert summarise([]) is None


def test_approximate_quantile_interpolates_inside_the_bucket() -> None:
    counts = counts_of([1, 2, 3, 4, 6, 7, 8, 9, 11, 12])  # 4 in [0, 5), 4 in [5, 10), 2 in [10, 20)
    assert approximate_quantile(counts, 0.5) == Estimate(6.25)  # rank 5: 1 of 4 into [5, 10)
    assert approximate_quantile(counts, 0.4) == Estimate(5.0)  # rank 4: the end of [0, 5)
    assert approximate_quantile(counts, 0.9) == Estimate(15.0)  # rank 9: 1 of 2 into [10, 20)
    assert approximate_quantile(counts, 1.0) == Estimate(20.0)
    assert approximate_quantile((0,) * BUCKETS, 0.5) is None


def test_a_quantile_in_the_open_last_bucket_is_at_least_its_edge() -> None:
    estimate = approximate_quantile(counts_of([10, 300_000, 400_000]), 0.9)
    assert estimate == Estimate(172_800.0, approximate=True, at_least=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("q", [0.5, 0.9])
def test_bucket_quantiles_stay_in_the_exact_values_bucket(seed: int, q: float) -> None:
    rng = random.Random(seed)
    values = [rng.lognormvariate(4.5, 1.3) for _ in range(2000)]  # first responses around 90 s, a long tail
    exact = nearest_rank(values, q * 100)
    estimate = approximate_quantile(counts_of(values), q)
    assert estimate is not None and estimate.approximate
    lower, upper = bucket_bounds(bucket_of(exact))
    assert lower <= estimate.seconds <= upper
    assert abs(estimate.seconds - exact) / exact < 0.2  # within the buckets' resolution on a smooth distribution
