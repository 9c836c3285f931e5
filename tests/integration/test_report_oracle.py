"""The reports tell the truth (issue 15, "Tests and checks": the independent oracle).

A seeded history of 300 conversations is driven through the real services against moto's server, on a
controllable clock in Pacific/Auckland (UTC+13 in December, so that the tenant's days are not UTC's), over more than
a week: four queues (one synchronous, whose refused chats are sent away: abandoned waits), six agents, waits in the
queue, snoozes, transfers to a queue and to a colleague, ratings and NPS answers (some after local midnight), and
callbacks booked in slots and cancelled (tests/integration/report_history.py). While driving, the test writes down
what happened; tests/integration/report_naive.py computes every figure from that log a second, naive way (itself
checked by hand in test_report_naive.py).

The stream pump (local/stream_pump.py) feeds the table's stream to the real handler (`app.on_table_change`), and
the report reads (`services/reports.read`, the JSON of docs/reports.md "The report API") must equal the naive
figures: over the range, per day, per queue and per agent, exactly for ranges of up to 7 days; beyond, counts, shares
and means exactly and medians and p90 approximately (flagged, in the right bucket). The same stream, replayed into
twin tenants, every batch delivered twice or with the store failing in the middle of a batch, gives the same figures.

It costs minutes of CPU (about 40 requests to moto per conversation, then some 15,000 stream records): one test,
marked `background` (tests/conftest.py runs it in a child pytest beside the rest of the suite), which runs every
check and reports each one that failed, by name. GUICHET_ORACLE_CONVERSATIONS=60 gives a quicker look (the checks
on the history's breadth then fail).
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import random
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.domain.model import Agent, Principal, PrincipalKind, Role
from chalicelib.ports import Deps
from chalicelib.services import tenants
from local import events
from local.embedded_aws import DEFAULT_TEMPLATE
from local.stream_pump import StreamPump, template_filters
from tests.integration import report_naive as naive
from tests.integration.conftest import Stack
from tests.integration.report_history import TEAM, Clock, History, Timers, drive

#: The event source mapping's FilterCriteria (infra/template.yaml), as the local stack applies them.
STREAM_FILTERS = template_filters(DEFAULT_TEMPLATE, "OnTableChange")

ZONE = "Pacific/Auckland"
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 22:00 on 1 December in Auckland
CONVERSATIONS = int(os.environ.get("GUICHET_ORACLE_CONVERSATIONS", "300"))  # more, or fewer while developing
SEED = 15
NPS_SWITCHES = {0: True, 120: False, 200: True}  # the NPS question on, off for a while, on again
BATCH = 1000  # records per invocation (an event source mapping allows up to 10,000 for a stream)


# --- the history, driven once -------------------------------------------------------------------


@dataclass
class Oracle:
    tenant: str
    deps: Deps
    history: History
    ids: list[str]  # the conversations, in the order they began
    obs: list[naive.Observation]
    records: list[dict[str, Any]]  # the tenant's stream records, in the order the pump delivered them
    first: date  # the first and last days of the history on the tenant's clock
    last: date
    driving: float  # seconds spent driving the history, and pumping its stream
    pumping: float


def conversation_of(record: dict[str, Any], tenant: str) -> str | None:
    """The conversation or callback whose state item a stream record is about, if it is one of the tenant's: the
    only records the consumer reads (every other item's are ignored without a request, so replaying them would
    prove nothing)."""
    keys = record["dynamodb"]["Keys"]
    pk = keys["pk"]["S"]
    for prefix in (f"T#{tenant}#CONV#", f"T#{tenant}#CALLBACK#"):
        if pk.startswith(prefix) and keys["sk"]["S"] == "STATE":
            return pk[len(prefix):]
    return None


def new_tenant(deps: Deps) -> str:
    tenant_id = f"t{uuid.uuid4().hex[:10]}"
    tenants.create_tenant(deps, tenant_id, "Oracle Brand")
    History.configure(deps, tenant_id, ZONE)
    return tenant_id


def drive_and_pump(stack: Stack) -> Oracle:
    """The history driven through the services, its stream pumped into the real handler, and the naive
    observations of its event log."""
    began = time.monotonic()
    clock = Clock(START)
    # No board pushes and no timers: the history has no use for them, and each would cost requests to moto.
    deps = replace(bootstrap.container().deps, clock=clock, timers=Timers(), board=None)
    tenant = new_tenant(deps)
    records: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> Any:
        records.extend(copy.deepcopy(r) for r in event["Records"] if conversation_of(r, tenant))
        return lambda_app.on_table_change(event, context)

    pump = StreamPump(handler, table_name=stack.env["TABLE_NAME"], endpoint_url=stack.env["AWS_ENDPOINT_URL"],
                      batch_size=BATCH, start="LATEST",
                      filters=STREAM_FILTERS)
    history = History(tenant, deps, clock, random.Random(SEED))
    history.hire_team()
    ids = drive(history, CONVERSATIONS, NPS_SWITCHES, ZONE)
    driven = time.monotonic()
    result = pump.drain(max_passes=1000)
    assert result.failed == 0 and result.given_up == 0
    obs = naive.observations(history.log, ZoneInfo(ZONE))
    days = sorted({o.day for o in obs})
    pumped = time.monotonic()
    return Oracle(tenant, deps, history, ids, obs, records, days[0], days[-1], driven - began, pumped - driven)


def boss(tenant: str) -> Principal:
    return Principal(tenant, "boss", PrincipalKind.AGENT, name="Boss", roles=frozenset({Role.ADMIN}))


def read(deps: Deps, tenant: str, view: str, start: date, end: date, queue: str | None = None,
         sl: int = 30) -> dict[str, Any]:
    """The report API's JSON, through the real read."""
    from chalicelib.services import reports

    return naive.as_read(reports.read(deps, boss(tenant), view, start, end, queue, sl))


NAMES = {agent_id: agent_id.upper() for agent_id in TEAM}  # the per-agent table shows the agents' names


def expected(o: Oracle, view: str, start: date, end: date, queue: str | None = None, sl: int = 30) -> dict[str, Any]:
    return naive.report(view, o.obs, start, end, queue, sl, NAMES)


def weeks(o: Oracle) -> list[tuple[date, date]]:
    """The history cut into ranges of 7 days (the longest exact range), the last one shorter."""
    cuts = []
    start = o.first
    while start <= o.last:
        cuts.append((start, min(o.last, start + timedelta(days=6))))
        start += timedelta(days=7)
    return cuts


# --- the history is the one the oracle needs ------------------------------------------------------------------------


def the_history_spans_more_than_a_week_of_queues_agents_and_local_midnights(oracle: Oracle) -> None:
    log = oracle.history.log
    kinds = {kind: sum(1 for e in log if e.kind == kind) for kind in {e.kind for e in log}}
    assert kinds["closed"] + kinds["left"] == CONVERSATIONS and kinds["left"] >= 10  # some were sent away
    assert (oracle.last - oracle.first).days + 1 > 7
    assert {o.queue for o in oracle.obs if not o.kind.startswith("cb_")} == {"sales", "billing", "support", "quick"}
    assert {o.agent for o in oracle.obs if o.agent} == set(TEAM)
    ends = {e.value for e in log if e.kind == "ended"}
    assert ends == {"close", "snooze", "transfer"} and kinds["accepted"] > CONVERSATIONS  # more contacts than chats
    assert kinds["rated"] > 100 and kinds["nps"] > 30
    zone = ZoneInfo(ZONE)
    started = {e.conversation: naive.local_date(e.at, zone) for e in reversed(log) if e.kind == "visitor"}
    closed = {e.conversation: naive.local_date(e.at, zone) for e in log if e.kind == "closed"}
    assert sum(1 for c in closed if closed[c] != started[c]) >= 2  # begun before local midnight, closed after
    rated = {e.conversation: naive.local_date(e.at, zone) for e in log if e.kind == "rated"}
    assert sum(1 for c in rated if rated[c] != closed[c]) >= 3  # rated on the day after the close
    waits = [o.seconds for o in oracle.obs if o.kind == "wait"]
    assert any(w == 30 for w in waits) and any(w > 30 for w in waits)  # the service level's edge is in it
    # Some first answers came from another agent than the one who took the chat first (credited to the writer).
    first_taker = {e.conversation: e.agent for e in reversed(log) if e.kind == "accepted"}
    assert sum(1 for o in oracle.obs if o.kind == "first_response" and o.agent != first_taker[o.conversation]) >= 3
    requested = {e.conversation: naive.local_date(e.at, zone) for e in log if e.kind == "cb_requested"}
    cancelled = {e.conversation: naive.local_date(e.at, zone) for e in log if e.kind == "cb_cancelled"}
    assert len(requested) >= 20 and len({e.value for e in log if e.kind == "cb_requested"}) == 2
    assert sum(1 for c in cancelled if cancelled[c] != requested[c]) >= 1  # cancelled on a later day
    # The comparisons below compare figures, not empty tables.
    start, end = weeks(oracle)[0]
    week = expected(oracle, "experience", start, end)["figures"] | expected(oracle, "conversations", start, end)[
        "figures"]
    assert None not in week.values(), week
    assert week["contacts"] > week["closed"] > 100 and week["abandoned"] > 0 and week["csat_sent"] > week[
        "nps_asked"] > 0
    print(f"history: {CONVERSATIONS} conversations, {len(log)} events, {len(oracle.records)} stream records, "
          f"{oracle.first}..{oracle.last}; driven in {oracle.driving:.1f} s, pumped in {oracle.pumping:.1f} s")


# --- exact: ranges of up to 7 days ----------------------------------------------------------------------------------


def every_figure_of_every_week_equals_the_naive_one(oracle: Oracle) -> None:
    for view, (start, end) in itertools.product(("experience", "conversations"), weeks(oracle)):
        got = read(oracle.deps, oracle.tenant, view, start, end)
        want = expected(oracle, view, start, end)
        for part in ("figures", "per_day", "per_queue", "per_agent"):
            assert got[part] == want[part], (view, start, end, part)


def one_queues_figures_equal_the_naive_ones(oracle: Oracle) -> None:
    start, end = weeks(oracle)[0]
    for view, queue in itertools.product(("experience", "conversations"), ("billing", "quick")):
        got = read(oracle.deps, oracle.tenant, view, start, end, queue)
        assert got == {k: v for k, v in expected(oracle, view, start, end, queue).items() if k in got}, (view, queue)
        assert got["figures"] != expected(oracle, view, start, end)["figures"]  # not the whole tenant's


def the_service_level_at_other_thresholds_equals_the_naive_one(oracle: Oracle) -> None:
    start, end = weeks(oracle)[0]
    for sl in (20, 45, 60):
        got = read(oracle.deps, oracle.tenant, "conversations", start, end, sl=sl)
        want = expected(oracle, "conversations", start, end, sl=sl)
        assert [got[p] for p in ("figures", "per_day")] == [want[p] for p in ("figures", "per_day")], sl


def a_single_day_read_equals_that_days_row(oracle: Oracle) -> None:
    days = [o.day for o in oracle.obs]
    busiest = max(set(days), key=days.count)
    for view in ("experience", "conversations"):
        got = read(oracle.deps, oracle.tenant, view, busiest, busiest)
        assert got["figures"] == expected(oracle, view, busiest, busiest)["figures"]
        assert got["per_day"] == {busiest.isoformat(): got["figures"]}


def the_callbacks_view_counts_what_the_visitors_booked_and_cancelled(oracle: Oracle) -> None:
    ranges = [*weeks(oracle), (oracle.first - timedelta(days=1), oracle.last + timedelta(days=3))]  # beyond 7 too
    for start, end in ranges:
        got = read(oracle.deps, oracle.tenant, "callbacks", start, end)
        assert got == naive.callbacks_report(oracle.obs, start, end), (start, end)


# --- beyond 7 days: counts, shares and means exact, medians approximate ---------------------------------------------


def assert_close_enough(got: dict[str, Any], want: dict[str, Any], raw_figures: dict[str, Any] | None,
                        waits: list[float], sl: int = 30) -> None:
    """Every count, share and mean equal; every median and p90 in the bucket of the exact value; the service level
    between the share of waits below the bucket holding X and the share below the next edge."""
    for key, value in want.items():
        if key in naive.QUANTILE_KEYS:
            if value is None:
                assert got[key] is None, key
                continue
            lower, upper = naive.bucket(value)
            assert lower <= got[key] <= upper, (key, got[key], value)
            if raw_figures is not None:
                assert raw_figures[key]["approximate"] is True, key
        elif key == "service_level" and value is not None:
            lower_edge, upper_edge = naive.bucket(sl)
            low = naive.share(sum(1 for w in waits if w < lower_edge), len(waits))
            high = naive.share(sum(1 for w in waits if w < upper_edge), len(waits))
            assert low is not None and high is not None and low <= got[key] <= high, (got[key], low, high)
            if raw_figures is not None:
                assert raw_figures[key]["approximate"] is True, key
        else:
            assert got[key] == value, (key, got[key], value)


def beyond_7_days_counts_and_means_stay_exact_and_medians_are_approximate_in_the_right_bucket(
        oracle: Oracle) -> None:
    for view in ("experience", "conversations"):
        beyond_7_days(oracle, view)


def beyond_7_days(oracle: Oracle, view: str) -> None:
    from chalicelib.services import reports

    start, end = oracle.first - timedelta(days=1), oracle.last + timedelta(days=1)
    answer = reports.read(oracle.deps, boss(oracle.tenant), view, start, end)
    assert answer["exact"] is False and answer["time_zone"] == ZONE
    got, want = naive.as_read(answer), expected(oracle, view, start, end)
    raw = {f["key"]: f for f in answer["figures"]}
    waits = [o.seconds or 0.0 for o in oracle.obs if o.kind == "wait"]
    assert_close_enough(got["figures"], want["figures"], raw, waits)
    assert set(got["per_day"]) == set(want["per_day"])
    for day, row in want["per_day"].items():
        day_waits = [o.seconds or 0.0 for o in oracle.obs if o.kind == "wait" and o.day.isoformat() == day]
        assert_close_enough(got["per_day"][day], row, None, day_waits)
    for table, of in (("per_queue", lambda o, k: o.queue == k), ("per_agent", lambda o, k: NAMES.get(o.agent) == k)):
        assert set(got[table]) == set(want[table]), table
        for key, row in want[table].items():
            assert_close_enough(got[table][key], row, None,
                                [o.seconds or 0.0 for o in oracle.obs if o.kind == "wait" and of(o, key)])


# --- the stream delivered again, or failing half way, counts the same -------------------------------------------------


def twin(o: Oracle, half: int) -> tuple[str, list[dict[str, Any]], list[naive.Observation]]:
    """A new tenant like the oracle's (zone, queues, agents); the stream records of a sixth of the oracle's
    conversations (0: the 1st, 7th...; 1: the 4th, 10th...: 50 of 300, every kind of them, and many batches) renamed
    to it; and what the naive computation expects of them. A sixth, not a half: the replays are the oracle's
    costliest minute on moto, and 50 conversations replayed prove the same."""
    tenant = new_tenant(o.deps)
    for agent_id, groups in TEAM.items():
        o.deps.agents.put(Agent(tenant=tenant, id=agent_id, name=agent_id.upper(), queues=groups, capacity=5))
    chosen = set(o.ids[half * 3::6])
    records = [r for r in o.records if conversation_of(r, o.tenant) in chosen]
    renamed: list[dict[str, Any]] = json.loads(json.dumps(records).replace(o.tenant, tenant))
    return tenant, renamed, [obs for obs in o.obs if obs.conversation in chosen]


def lambda_delivers(records: list[dict[str, Any]], batch_size: int, handler: Any) -> list[dict[str, Any]]:
    """What the event source mapping does with ReportBatchItemFailures: batches in order; after an answer naming a
    failed record, the next batch starts at that record. The handler's answers, in order."""
    answers: list[dict[str, Any]] = []
    position = 0
    while position < len(records):
        assert len(answers) < 10 * len(records), "the stream never got through"
        batch = records[position:position + batch_size]
        answer = handler({"Records": batch}, events.lambda_context("on_table_change"))
        answers.append(answer)
        ids = [r["dynamodb"]["SequenceNumber"] for r in batch]
        failed = [ids.index(f["itemIdentifier"]) for f in answer["batchItemFailures"]]
        position += min(failed) if failed else len(batch)
    return answers


def assert_figures(o: Oracle, tenant: str, obs: list[naive.Observation]) -> None:
    """The twin's reads, week by week, equal the naive figures of its conversations."""
    for view in ("experience", "conversations"):
        for start, end in weeks(o):
            got = read(o.deps, tenant, view, start, end)
            want = naive.report(view, obs, start, end, names=NAMES)
            assert got == {k: v for k, v in want.items() if k in got}, (view, start)


def every_batch_delivered_twice_gives_the_same_figures(oracle: Oracle) -> None:
    tenant, records, obs = twin(oracle, 0)

    def twice(event: dict[str, Any], context: Any) -> Any:
        first = lambda_app.on_table_change(copy.deepcopy(event), context)
        again = lambda_app.on_table_change(event, context)
        assert first == again == {"batchItemFailures": []}
        return again

    answers = lambda_delivers(records, 100, twice)

    assert len(answers) == -(-len(records) // 100) > 1
    assert_figures(oracle, tenant, obs)


class FlakyReports:
    """The real store, whose `record_all` (one change's facts) fails once, at its n-th call: the consumer crashing
    in the middle of a batch."""

    def __init__(self, real: Any, fail_at: int) -> None:
        self.real = real
        self.calls = 0
        self.fail_at = fail_at

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def record_all(self, facts: Any) -> bool:
        self.calls += 1
        if self.calls == self.fail_at:
            raise ConnectionError("injected: the store went away in the middle of a batch")
        return bool(self.real.record_all(facts))


def a_crash_in_the_middle_of_a_batch_gives_the_same_figures_after_the_retry(oracle: Oracle) -> None:
    tenant, records, obs = twin(oracle, 1)
    container = bootstrap.container()
    flaky = FlakyReports(container.deps.reports, fail_at=len(obs) // 3)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bootstrap, "_container", replace(container, deps=replace(container.deps, reports=flaky)))
        answers = lambda_delivers(records, 100, lambda_app.on_table_change)

    failed = [a["batchItemFailures"] for a in answers if a["batchItemFailures"]]
    assert len(failed) == 1 and len(failed[0]) == 1  # one record failed, once, and was delivered again
    assert flaky.calls > flaky.fail_at
    assert_figures(oracle, tenant, obs)


# --- the test -----------------------------------------------------------------------------------------------------

CHECKS = (the_history_spans_more_than_a_week_of_queues_agents_and_local_midnights,
          every_figure_of_every_week_equals_the_naive_one, one_queues_figures_equal_the_naive_ones,
          the_service_level_at_other_thresholds_equals_the_naive_one, a_single_day_read_equals_that_days_row,
          the_callbacks_view_counts_what_the_visitors_booked_and_cancelled,
          beyond_7_days_counts_and_means_stay_exact_and_medians_are_approximate_in_the_right_bucket,
          every_batch_delivered_twice_gives_the_same_figures,
          a_crash_in_the_middle_of_a_batch_gives_the_same_figures_after_the_retry)


@pytest.mark.background
def test_the_reports_equal_the_naive_figures_of_a_seeded_history(stack: Stack) -> None:
    """Minutes of CPU (the history's requests to moto, then its stream): run in the background beside the suite
    (tests/conftest.py). Every check runs, and the test fails with every check that failed, by name."""
    oracle = drive_and_pump(stack)
    failures = []
    for check in CHECKS:
        try:
            check(oracle)
        except AssertionError as failed:
            failures.append(f"{check.__name__}: {failed}")
    assert not failures, "\n\n".join(failures)
