"""CSAT, NPS and the callback figures (docs/reports.md) on known samples."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.callbacks.model import Callback, CallbackMode, CallbackState
from chalicelib.domain.reports.callback_figures import CallbackEnd, booked_slot, finished, is_final
from chalicelib.domain.reports.surveys import csat, nps

CSAT_CASES = [
    ("4 and 5 are satisfied; 3 is not", [5, 4, 3, 5, 1], 10, (5, 3), 60.0, 50.0),
    ("all satisfied, everybody answered", [4, 4, 5], 3, (3, 3), 100.0, 100.0),
    ("a mean of 3 hides a split: 50 %", [5, 5, 1, 1], 8, (4, 2), 50.0, 50.0),
    ("no answers: no score, a response rate of 0", [], 4, (0, 0), None, 0.0),
]


@pytest.mark.parametrize(("scores", "sent", "counts", "percent", "rate"),
                         [(s, n, c, p, r) for _, s, n, c, p, r in CSAT_CASES], ids=[c[0] for c in CSAT_CASES])
def test_csat_is_the_share_of_4_and_5_with_its_response_rate(scores: list[int], sent: int, counts: tuple[int, int],
                                                             percent: float | None, rate: float) -> None:
    found = csat(scores, sent)
    assert (found.answers, found.satisfied) == counts
    assert found.score.percent == percent
    assert found.response_rate.percent == rate


NPS_CASES = [
    ("5 promoters, 3 passives, 2 detractors", [10, 9, 9, 10, 9, 8, 7, 7, 6, 0], (5, 3, 2), 30.0),
    ("all detractors", [0, 3, 6], (0, 0, 3), -100.0),
    ("all promoters", [9, 10], (2, 0, 0), 100.0),
    ("passives only count in the whole", [7, 8, 9, 6], (1, 2, 1), 0.0),
    ("one of three", [10, 8, 8], (1, 2, 0), 100 / 3),
    ("no answers", [], (0, 0, 0), None),
]


@pytest.mark.parametrize(("scores", "groups", "score"), [(s, g, n) for _, s, g, n in NPS_CASES],
                         ids=[c[0] for c in NPS_CASES])
def test_nps_is_promoters_minus_detractors(scores: list[int], groups: tuple[int, int, int],
                                           score: float | None) -> None:
    found = nps(scores)
    assert (found.promoters, found.passives, found.detractors) == groups
    assert found.score == (None if score is None else pytest.approx(score))


@pytest.mark.parametrize("bad", [0, 6, True, 4.0])
def test_csat_scores_off_the_scale_are_refused(bad: int) -> None:
    with pytest.raises(ValueError):
        csat([bad], 1)


@pytest.mark.parametrize("bad", [-1, 11, False])
def test_nps_scores_off_the_scale_are_refused(bad: int) -> None:
    with pytest.raises(ValueError):
        nps([bad])


def test_more_answers_than_surveys_is_refused() -> None:
    with pytest.raises(ValueError):
        csat([5, 5], 1)


T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
BOOKED = Callback(tenant="t", id="cb1", visitor_id="v", phone="+33600000000", name="Ann",
                  mode=CallbackMode.SCHEDULED, created_at=T0, at=T0 + timedelta(hours=2), slot="2026-12-07T11:00-12:00")
LATER = T0 + timedelta(hours=3)

CALLBACK_CASES = [
    ("connected on attempt 2, recorded", CallbackState.ENDED, 2, "rec/cb1.wav", LATER, CallbackEnd.CONNECTED, 2, True),
    ("connected on attempt 1, not recorded", CallbackState.ENDED, 1, "", LATER, CallbackEnd.CONNECTED, 1, False),
    ("ended without a connection: left while waiting", CallbackState.ENDED, 1, "", None,
     CallbackEnd.LEFT_WHILE_WAITING, 0, False),
    ("not reached after the last attempt", CallbackState.NOT_REACHED, 5, "", None, CallbackEnd.NOT_REACHED, 0, False),
    ("expired", CallbackState.EXPIRED, 1, "", None, CallbackEnd.EXPIRED, 0, False),
    ("cancelled", CallbackState.CANCELLED, 0, "", None, CallbackEnd.CANCELLED, 0, False),
]


@pytest.mark.parametrize(("state", "attempt", "recording", "connected_at", "end", "on_attempt", "recorded"),
                         [c[1:] for c in CALLBACK_CASES], ids=[c[0] for c in CALLBACK_CASES])
def test_a_finished_callback_counts_as(state: CallbackState, attempt: int, recording: str,
                                       connected_at: datetime | None, end: CallbackEnd, on_attempt: int,
                                       recorded: bool) -> None:
    callback = replace(BOOKED, state=state, attempt=attempt, recording_key=recording, since=LATER)
    fact = finished(callback, connected_at)
    assert (fact.end, fact.connected_on_attempt, fact.recorded, fact.ended_at) == (end, on_attempt, recorded, LATER)
    assert (fact.requested_at, fact.slot) == (T0, "2026-12-07T11:00-12:00")


def test_booked_per_slot_and_open_callbacks() -> None:
    assert booked_slot(BOOKED) == "2026-12-07T11:00-12:00"
    assert booked_slot(replace(BOOKED, mode=CallbackMode.IMMEDIATE, slot="")) is None
    for state in (CallbackState.BOOKED, CallbackState.CALLING, CallbackState.RETRYING, CallbackState.CONNECTED):
        assert not is_final(replace(BOOKED, state=state))
        with pytest.raises(ValueError):
            finished(replace(BOOKED, state=state), None)
    with pytest.raises(ValueError):  # a not-reached callback cannot have connected
        finished(replace(BOOKED, state=CallbackState.NOT_REACHED), LATER)
