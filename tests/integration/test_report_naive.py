"""The naive computation of the report oracle (tests/integration/report_naive.py) on a tiny history worked out by
hand: before the oracle is trusted to judge the reports, its own figures are checked against arithmetic done on paper
(Pacific/Auckland, UTC+13 in December: 11:00 UTC is local midnight)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from tests.integration import report_naive as naive
from tests.integration.report_history import Event

ZONE = "Pacific/Auckland"


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 12, 6, hour, minute, second, tzinfo=UTC)


TINY: list[Event] = [
    # A, sales: taken by Ann after 30 s, answered at 60 s, closed after local midnight (11:00 UTC is 00:00 there).
    Event("A", "visitor", at(10, 0)), Event("A", "enqueued", at(10, 0), queue="sales"),
    Event("A", "accepted", at(10, 0, 30), "ann", "sales"), Event("A", "agent", at(10, 1), "ann"),
    Event("A", "ended", at(11, 0, 30), "ann", "sales", "close"), Event("A", "closed", at(11, 0, 30), "ann", "sales"),
    Event("A", "survey_sent", at(11, 0, 30), "ann", "sales", True),
    Event("A", "rated", at(11, 10), "ann", "sales", 5), Event("A", "nps", at(11, 11), "ann", "sales", 10),
    # B, billing: Cy transfers it to sales after 5 min, where Bob answers it (his first response) and closes it.
    Event("B", "visitor", at(10, 30)), Event("B", "enqueued", at(10, 30), queue="billing"),
    Event("B", "accepted", at(10, 30, 45), "cy", "billing"),
    Event("B", "ended", at(10, 35, 45), "cy", "billing", "transfer"),
    Event("B", "enqueued", at(10, 35, 45), queue="sales"), Event("B", "accepted", at(10, 36, 45), "bob", "sales"),
    Event("B", "agent", at(10, 37, 45), "bob"), Event("B", "ended", at(10, 45, 45), "bob", "sales", "close"),
    Event("B", "closed", at(10, 45, 45), "bob", "sales"),
    Event("B", "survey_sent", at(10, 45, 45), "bob", "sales", False),
    Event("B", "rated", at(11, 5, 45), "bob", "sales", 2),
    # C, support: the visitor gives up after 2 minutes in the queue.
    Event("C", "visitor", at(10, 50)), Event("C", "enqueued", at(10, 50), queue="support"),
    Event("C", "left", at(10, 52)),
]
DEC_6, DEC_7 = date(2026, 12, 6), date(2026, 12, 7)


def test_the_naive_figures_of_a_tiny_history_are_the_ones_worked_out_by_hand() -> None:
    obs = naive.observations(TINY, ZoneInfo(ZONE))

    experience = naive.report("experience", obs, DEC_6, DEC_7)
    assert experience["figures"] == {
        "csat": 50.0, "csat_answers": 2, "csat_sent": 2, "csat_response_rate": 100.0,
        "nps": 100.0, "nps_answers": 1, "nps_asked": 1, "nps_response_rate": 100.0,
        "first_response_median": 60, "first_response_p90": 465, "first_response_mean": 262.5,
        "resolution_median": 945, "resolution_p90": 3630, "resolution_mean": 2287.5}
    # Each figure on its stop event's day in Auckland: B's close at 23:45:45 on the 6th, its rating at 00:05:45 on
    # the 7th; so the 7th has two answers to one survey sent that day.
    assert experience["per_day"]["2026-12-06"] == {
        "csat": None, "csat_answers": 0, "csat_sent": 1, "csat_response_rate": 0.0,
        "nps": None, "nps_answers": 0, "nps_asked": 0, "nps_response_rate": None,
        "first_response_median": 60, "first_response_p90": 465, "first_response_mean": 262.5,
        "resolution_median": 945, "resolution_p90": 945, "resolution_mean": 945.0}
    assert experience["per_day"]["2026-12-07"]["csat_response_rate"] == 200.0
    assert experience["per_agent"]["bob"] == {
        "csat": 0.0, "csat_answers": 1, "csat_sent": 1, "csat_response_rate": 100.0,
        "nps": None, "nps_answers": 0, "nps_asked": 0, "nps_response_rate": None,
        "first_response_median": 465, "first_response_p90": 465, "first_response_mean": 465.0,
        "resolution_median": 945, "resolution_p90": 945, "resolution_mean": 945.0}

    conversations = naive.report("conversations", obs, DEC_6, DEC_7)
    assert conversations["figures"] == {
        "closed": 2, "conversations": 2, "contacts": 3, "handle_median": 540, "handle_p90": 3600,
        "handle_mean": 1480.0, "waits": 4, "answered": 3, "abandoned": 1, "abandonment_rate": 25.0,
        "service_level": 25.0, "queue_answer_mean": 45.0,  # only A's wait of exactly 30 s is within 30 s
        "sales": 0, "sales_credited": 0}
    assert conversations["per_queue"]["sales"] == {
        "closed": 2, "conversations": 2, "contacts": 2, "handle_median": 540, "handle_p90": 3600,
        "handle_mean": 2070.0, "waits": 2, "answered": 2, "abandoned": 0, "abandonment_rate": 0.0,
        "service_level": 50.0, "queue_answer_mean": 45.0, "sales": 0, "sales_credited": 0}
    assert conversations["per_queue"]["support"]["abandonment_rate"] == 100.0
    assert naive.report("conversations", obs, DEC_6, DEC_7, queue="billing")["figures"]["contacts"] == 1
    assert naive.report("conversations", obs, DEC_6, DEC_7, sl=45)["figures"]["service_level"] == 50.0
    assert (naive.bucket(30), naive.bucket(29.9), naive.bucket(200_000)) == (
        (30.0, 45.0), (20.0, 30.0), (172_800.0, float("inf")))
