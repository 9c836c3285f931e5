"""An admin's change to one agent's routing settings (capacity, skills, groups, flags) and call settings (issue 13:
takes calls, own line or asked at login, answered on that line or on the desk: CB-6; auto-answer and its delay:
CB-4), checked and applied.

The words used: chalicelib/domain/routing/__init__.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from chalicelib.domain.callbacks.numbers import agent_line
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.model import ANSWER_CALLS, Agent
from chalicelib.domain.routing.config import _enum, _int
from chalicelib.domain.routing.media import MAX_LEVEL, Channel
from chalicelib.domain.routing.rules import RoutingConfig


@dataclass(frozen=True)
class AgentSettings:
    """An admin's change to one agent; a field left out (None) keeps its value."""

    capacity: Mapping[Channel, int] | None = None
    skills: Mapping[str, int] | None = None
    groups: tuple[str, ...] | None = None
    route_first: bool | None = None
    multi_channel: bool | None = None
    takes_calls: bool | None = None
    own_line: str | None = None  # E.164, or "" for none
    ask_line_at_login: bool | None = None
    auto_answer: bool | None = None
    auto_answer_seconds: int | None = None
    answer_calls: str | None = None  # "line" or "desk" (issue 14)
    keypad_id: str | None = None  # digits, or "" for none (ACD mode, CB-5)


MAX_CAPACITY = 50
AUTO_ANSWER_SECONDS = (0, 300)
_FLAGS = ("route_first", "multi_channel", "takes_calls", "ask_line_at_login", "auto_answer")
#: An agent's keypad id (ACD mode, CB-5): what they type on an ACD's keypad to take a callback there.
KEYPAD_ID = re.compile(r"^[0-9]{1,12}$")


def agent_settings_from_json(data: object, config: RoutingConfig) -> AgentSettings:
    """Checked against the tenant's routing configuration (known skills and groups only); an own line must be a
    number Guichet dials (numbers.agent_line), refused with its reason otherwise."""
    if not isinstance(data, dict):
        raise InvalidInput("send a JSON object", field="body")
    known = {"capacity", "skills", "groups", *_FLAGS, "own_line", "auto_answer_seconds", "answer_calls",
             "keypad_id"}
    for key in data:
        if key not in known:
            raise InvalidInput(f"unknown field; use {', '.join(sorted(known))}", field=str(key))
    capacity: dict[Channel, int] | None = None
    if "capacity" in data:
        raw = data["capacity"]
        if not isinstance(raw, dict) or not raw:
            raise InvalidInput("must map channels (chat, call, email) to a number of conversations",
                               field="capacity")
        capacity = {}
        for name, value in raw.items():
            channel = _enum(Channel, name, f"capacity.{name}")
            capacity[channel] = _int(value, f"capacity.{name}", 0, MAX_CAPACITY)
    skills: dict[str, int] | None = None
    if "skills" in data:
        raw = data["skills"]
        if not isinstance(raw, dict) or len(raw) > 50:
            raise InvalidInput("must map at most 50 skill names to a level from 1 to 5", field="skills")
        skills = {}
        for name, level in raw.items():
            if name not in config.skills:
                raise InvalidInput(f"unknown skill '{name}'; the tenant's skills are set in its routing",
                                   field=f"skills.{name}")
            skills[name] = _int(level, f"skills.{name}", 1, MAX_LEVEL)
    groups: tuple[str, ...] | None = None
    if "groups" in data:
        raw = data["groups"]
        if not isinstance(raw, list) or len(raw) > 20:
            raise InvalidInput("must list at most 20 group ids", field="groups")
        for i, group_id in enumerate(raw):
            if not isinstance(group_id, str) or group_id not in config.groups:
                raise InvalidInput(f"unknown group '{group_id}'", field=f"groups[{i}]")
        if len(set(raw)) != len(raw):
            raise InvalidInput("a group is listed twice", field="groups")
        groups = tuple(raw)
    flags: dict[str, bool | None] = {}
    for name in _FLAGS:
        value = data.get(name)
        if value is not None and not isinstance(value, bool):
            raise InvalidInput("must be true or false", field=name)
        flags[name] = value
    own_line: str | None = None
    if data.get("own_line") is not None:
        raw = data["own_line"]
        own_line = "" if isinstance(raw, str) and not raw.strip() else agent_line(raw, field="own_line")
    seconds = data.get("auto_answer_seconds")
    keypad = data.get("keypad_id")
    if keypad is not None and (not isinstance(keypad, str) or (keypad.strip() and not KEYPAD_ID.match(keypad.strip()))):
        raise InvalidInput("must be 1 to 12 digits (0-9), or empty for none", field="keypad_id")
    return AgentSettings(capacity=capacity, skills=skills, groups=groups, **flags, own_line=own_line,
                         auto_answer_seconds=None if seconds is None else _int(seconds, "auto_answer_seconds",
                                                                               *AUTO_ANSWER_SECONDS),
                         answer_calls=answer_calls_from_json(data.get("answer_calls")),
                         keypad_id=None if keypad is None else keypad.strip())


def answer_calls_from_json(value: object) -> str | None:
    """How the agent answers calls (CB-6): "line" or "desk"; None (absent) keeps the current choice."""
    if value is None:
        return None
    if value not in ANSWER_CALLS:
        raise InvalidInput(f"must be one of {', '.join(ANSWER_CALLS)}", field="answer_calls")
    return str(value)


def with_settings(agent: Agent, settings: AgentSettings) -> Agent:
    """The agent after an admin's change; switched-off groups the agent no longer belongs to are forgotten."""
    changed = agent
    if settings.capacity is not None:
        cap = settings.capacity
        changed = replace(changed, capacity=cap.get(Channel.CHAT, changed.capacity),
                          call_capacity=cap.get(Channel.CALL, changed.call_capacity),
                          email_capacity=cap.get(Channel.EMAIL, changed.email_capacity))
    if settings.skills is not None:
        changed = replace(changed, skills=dict(settings.skills))
    if settings.groups is not None:
        changed = replace(changed, queues=settings.groups,
                          queues_off=tuple(q for q in changed.queues_off if q in settings.groups))
    if settings.route_first is not None:
        changed = replace(changed, route_first=settings.route_first)
    calls = {name: getattr(settings, name)
             for name in (*_FLAGS, "own_line", "auto_answer_seconds", "answer_calls", "keypad_id")}
    return replace(changed, **{name: value for name, value in calls.items() if value is not None})
