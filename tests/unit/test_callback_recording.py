"""Which callbacks are recorded (CB-9), chalicelib/domain/callbacks/recording.py: 70 % of the calls by default, never
an opted-out visitor's, none when recording is off, and a callback's draw fixed for good."""

from __future__ import annotations

import base64
import random

import pytest

from chalicelib.domain.callbacks.recording import DEFAULT_SHARE_PERCENT, RecordingPolicy, draw, recorded

ON = RecordingPolicy(enabled=True)


def callback_ids(seed: int, count: int = 1000) -> list[str]:
    """Ids shaped as Guichet draws them (128 random bits, URL-safe base64), from a seeded generator."""
    rng = random.Random(seed)
    return [base64.urlsafe_b64encode(rng.randbytes(16)).rstrip(b"=").decode() for _ in range(count)]


def share(ids: list[str], policy: RecordingPolicy, *, opted_out: bool = False) -> int:
    return sum(recorded(i, policy, opted_out=opted_out) for i in ids)


def test_recording_is_off_by_default_and_records_70_percent_when_on() -> None:
    assert RecordingPolicy() == RecordingPolicy(enabled=False, share_percent=70)
    assert DEFAULT_SHARE_PERCENT == 70


@pytest.mark.parametrize("seed", [1, 13, 2026])
def test_70_percent_of_1000_callbacks_are_recorded_within_3_points(seed: int) -> None:
    assert 670 <= share(callback_ids(seed), ON) <= 730


@pytest.mark.parametrize("percent", [10, 50, 90])
def test_other_shares_are_kept_within_3_points(percent: int) -> None:
    recorded_count = share(callback_ids(7), RecordingPolicy(enabled=True, share_percent=percent))
    assert abs(recorded_count - 10 * percent) <= 30


def test_zero_percent_records_none_and_100_percent_records_every_call() -> None:
    ids = callback_ids(5)
    assert share(ids, RecordingPolicy(enabled=True, share_percent=0)) == 0
    assert share(ids, RecordingPolicy(enabled=True, share_percent=100)) == 1000


def test_an_opted_out_visitor_is_never_recorded_even_at_100_percent() -> None:
    ids = callback_ids(11)
    assert share(ids, ON, opted_out=True) == 0
    assert share(ids, RecordingPolicy(enabled=True, share_percent=100), opted_out=True) == 0


def test_with_recording_off_no_call_is_recorded_whatever_the_share() -> None:
    ids = callback_ids(3)
    assert share(ids, RecordingPolicy(enabled=False, share_percent=100)) == 0


def test_a_callbacks_draw_is_the_same_at_every_attempt_and_in_every_release() -> None:
    # Pinned values: a change of the hash would flip the choice of callbacks already booked or being retried.
    assert [draw(i) for i in ("cb-1", "cb-2", "cb-3")] == [26.76, 60.59, 12.01]
    for callback_id in callback_ids(17, 50):
        first = recorded(callback_id, ON, opted_out=False)
        assert all(recorded(callback_id, ON, opted_out=False) == first for _attempt in range(5))
        assert draw(callback_id) == draw(callback_id)


def test_the_draw_is_compared_with_the_share_at_a_hundredth_of_a_percent() -> None:
    assert (draw("cb-11177"), draw("cb-4520")) == (69.99, 70.0)
    assert recorded("cb-11177", ON, opted_out=False)
    assert not recorded("cb-4520", ON, opted_out=False)
    assert (draw("cb-52"), draw("cb-2405")) == (0.0, 99.99)
    assert not recorded("cb-52", RecordingPolicy(enabled=True, share_percent=0), opted_out=False)
    assert recorded("cb-2405", RecordingPolicy(enabled=True, share_percent=100), opted_out=False)


def test_draws_are_spread_over_0_to_100() -> None:
    draws = [draw(i) for i in callback_ids(23)]
    assert min(draws) >= 0 and max(draws) < 100
    deciles = [sum(1 for d in draws if 10 * k <= d < 10 * (k + 1)) for k in range(10)]
    assert sum(deciles) == 1000
    assert all(70 <= n <= 130 for n in deciles), deciles  # 100 expected in each, 3 standard deviations either side
