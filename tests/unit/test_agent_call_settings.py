"""An agent's call settings (issue 13: takes calls, own line or asked at login for CB-6, auto-answer and its delay
for CB-4): their defaults, an admin's partial change that keeps the other settings, and every per-field error."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.callbacks.numbers import NumberRefused, Refusal
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.model import Agent
from chalicelib.domain.routing import AgentSettings, RoutingConfig, agent_settings_from_json, with_settings
from chalicelib.services import frames

ANN = Agent("t", "a-1", "Ann", route_first=True, call_capacity=1)


def changed(body: dict[str, Any], agent: Agent = ANN) -> Agent:
    return with_settings(agent, agent_settings_from_json(body, RoutingConfig()))


def test_an_agent_takes_no_calls_and_auto_answers_after_20_seconds_by_default() -> None:
    shown = frames.agent(ANN)
    assert {k: shown[k] for k in ("takes_calls", "own_line", "ask_line_at_login", "auto_answer",
                                  "auto_answer_seconds")} == {
        "takes_calls": False, "own_line": "", "ask_line_at_login": False, "auto_answer": True,
        "auto_answer_seconds": 20}


def test_an_admin_sets_every_call_setting_and_the_rest_stays() -> None:
    agent = changed({"takes_calls": True, "own_line": "+33 6 12 34 56 78", "ask_line_at_login": True,
                     "auto_answer": False, "auto_answer_seconds": 45})

    assert (agent.takes_calls, agent.own_line, agent.ask_line_at_login, agent.auto_answer,
            agent.auto_answer_seconds) == (True, "+33612345678", True, False, 45)
    assert agent.route_first is True and agent.queues == ANN.queues and agent.capacity == ANN.capacity


def test_a_change_leaves_the_call_settings_not_given_as_they_were() -> None:
    first = changed({"takes_calls": True, "own_line": "+44 7400 123456", "auto_answer_seconds": 0})

    second = changed({"auto_answer": False, "capacity": {"chat": 2}}, first)

    assert (second.takes_calls, second.own_line, second.auto_answer_seconds) == (True, "+447400123456", 0)
    assert second.auto_answer is False and second.capacity == 2


def test_an_empty_own_line_clears_it_and_null_keeps_it() -> None:
    with_line = changed({"own_line": "+12015550123"})

    assert changed({"own_line": None}, with_line).own_line == "+12015550123"
    assert changed({"own_line": ""}, with_line).own_line == ""
    assert changed({"own_line": "  "}, with_line).own_line == ""


def test_an_empty_body_changes_nothing() -> None:
    assert agent_settings_from_json({}, RoutingConfig()) == AgentSettings()
    assert changed({}) == ANN


@pytest.mark.parametrize(("body", "field"), [
    ({"takes_calls": "yes"}, "takes_calls"),
    ({"ask_line_at_login": 1}, "ask_line_at_login"),
    ({"auto_answer": "on"}, "auto_answer"),
    ({"auto_answer_seconds": -1}, "auto_answer_seconds"),
    ({"auto_answer_seconds": 301}, "auto_answer_seconds"),
    ({"auto_answer_seconds": 20.5}, "auto_answer_seconds"),
    ({"auto_answer_seconds": True}, "auto_answer_seconds"),
    ({"own_line": 33612345678}, "own_line"),
    ({"own_line": "line"}, "own_line"),
    ({"own_line_number": "+33612345678"}, "own_line_number"),
])
def test_a_bad_call_setting_names_its_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        agent_settings_from_json(body, RoutingConfig())
    assert refused.value.field == field


@pytest.mark.parametrize(("line", "reason"), [
    ("06 12 34 56 78", Refusal.NOT_INTERNATIONAL),  # no country code: an agent's line may be anywhere
    ("+33 8 99 12 34 56", Refusal.NUMBER_TYPE),  # premium rate
    ("+33 6 12", Refusal.INVALID),
])
def test_an_own_line_guichet_would_not_dial_is_refused_with_its_reason(line: str, reason: Refusal) -> None:
    with pytest.raises(NumberRefused) as refused:
        agent_settings_from_json({"own_line": line}, RoutingConfig())
    assert (refused.value.field, refused.value.reason) == ("own_line", reason)


@pytest.mark.parametrize(("takes_calls", "own_line", "ask", "login_line", "call_capacity"), [
    (False, "+15550100001", False, "", 0),  # does not take calls
    (True, "", False, "", 0),  # takes calls but has no phone to ring
    (True, "+15550100001", False, "", 1),  # their own line
    (True, "+15550100001", True, "", 0),  # asked at each login, not given yet: the own line is not used
    (True, "", True, "+15550100002", 1),  # the number given at this login
])
def test_calls_are_routed_only_to_an_agent_who_takes_them_and_has_a_phone(
        takes_calls: bool, own_line: str, ask: bool, login_line: str, call_capacity: int) -> None:
    from chalicelib.domain.routing import Channel, routing_view

    agent = Agent("t", "a-1", "Ann", takes_calls=takes_calls, own_line=own_line, ask_line_at_login=ask,
                  login_line=login_line)
    assert routing_view(agent).capacity[Channel.CALL] == call_capacity
    assert routing_view(agent).capacity[Channel.CHAT] == agent.capacity  # chats are not concerned
