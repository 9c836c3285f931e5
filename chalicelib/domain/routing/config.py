"""A tenant's routing configuration from and to JSON, each field checked; the first bad field is named.

The words used: chalicelib/domain/routing/__init__.py.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from typing import TypeVar

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.routing.fairness import Fairness
from chalicelib.domain.routing.media import MAX_LEVEL, Channel, SkillNeed
from chalicelib.domain.routing.rules import (
    DEFAULT_THRESHOLD,
    MAX_SHARDS,
    MAX_THRESHOLD,
    Group,
    Match,
    Mode,
    RoutingConfig,
    Rule,
)

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_E = TypeVar("_E", bound=enum.StrEnum)


def _only(raw: Mapping[str, object], known: set[str], where: str) -> None:
    for key in raw:
        if key not in known:
            raise InvalidInput(f"unknown field; use {', '.join(sorted(known))}", field=f"{where}.{key}")


def _identifier(value: object, where: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise InvalidInput("use 1 to 40 lowercase letters, digits, '-' or '_'", field=where)
    return value


def _int(value: object, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"must be a whole number from {low} to {high}", field=where)
    return value


def _text(value: object, where: str, limit: int = 120) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(f"must be text of at most {limit} characters", field=where)
    return value


def _enum(kind: type[_E], value: object, where: str) -> _E:
    for member in kind:
        if member.value == value:
            return member
    raise InvalidInput(f"must be one of {', '.join(m.value for m in kind)}", field=where)


def skill_need_from_json(value: object, where: str, skills: Sequence[str] | None = None) -> SkillNeed | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput("must be an object {skill, min_level}", field=where)
    skill = _identifier(value.get("skill"), f"{where}.skill")
    if skills is not None and skill not in skills:
        raise InvalidInput(f"unknown skill '{skill}'", field=f"{where}.skill")
    return SkillNeed(skill, _int(value.get("min_level", 1), f"{where}.min_level", 1, MAX_LEVEL))


def config_from_json(data: object) -> RoutingConfig:
    """A whole routing configuration as the admin API receives it; the first bad field is named."""
    if not isinstance(data, dict):
        raise InvalidInput("send a JSON object", field="body")
    known = {"groups", "rules", "skills", "fairness"}
    for key in data:
        if key not in known:
            raise InvalidInput(f"unknown field; use {', '.join(sorted(known))}", field=str(key))
    skills_raw = data.get("skills", [])
    if not isinstance(skills_raw, list) or len(skills_raw) > 200:
        raise InvalidInput("must be a list of at most 200 skill names", field="skills")
    skills = tuple(_identifier(s, f"skills[{i}]") for i, s in enumerate(skills_raw))
    if len(set(skills)) != len(skills):
        raise InvalidInput("a skill is listed twice", field="skills")
    groups_raw = data.get("groups")
    if not isinstance(groups_raw, list) or not groups_raw or len(groups_raw) > 200:
        raise InvalidInput("must be a list of 1 to 200 groups", field="groups")
    groups: dict[str, Group] = {}
    for i, raw in enumerate(groups_raw):
        where = f"groups[{i}]"
        if not isinstance(raw, dict):
            raise InvalidInput("must be an object", field=where)
        _only(raw, {"id", "name", "threshold", "shards"}, where)
        group_id = _identifier(raw.get("id"), f"{where}.id")
        if group_id in groups:
            raise InvalidInput(f"group '{group_id}' is defined twice", field=f"{where}.id")
        groups[group_id] = Group(
            id=group_id,
            name=_text(raw.get("name", group_id), f"{where}.name"),
            threshold=_int(raw.get("threshold", DEFAULT_THRESHOLD), f"{where}.threshold", 0, MAX_THRESHOLD),
            shards=_int(raw.get("shards", 1), f"{where}.shards", 1, MAX_SHARDS),
        )
    rules_raw = data.get("rules")
    if not isinstance(rules_raw, list) or not rules_raw or len(rules_raw) > 200:
        raise InvalidInput("must be a list of 1 to 200 rules", field="rules")
    rules: list[Rule] = []
    for i, raw in enumerate(rules_raw):
        rules.append(_rule_from_json(raw, f"rules[{i}]", groups, skills))
    if len({r.id for r in rules}) != len(rules):
        raise InvalidInput("two rules have the same id", field="rules")
    fairness = _enum(Fairness, data.get("fairness", Fairness.LONGEST_IDLE.value), "fairness")
    return RoutingConfig(groups=groups, rules=tuple(rules), skills=skills, fairness=fairness)


def _rule_from_json(raw: object, where: str, groups: Mapping[str, Group], skills: Sequence[str]) -> Rule:
    if not isinstance(raw, dict):
        raise InvalidInput("must be an object", field=where)
    _only(raw, {"id", "name", "groups", "mode", "skill", "priority", "match"}, where)
    rule_id = _identifier(raw.get("id"), f"{where}.id")
    listed = raw.get("groups")
    if not isinstance(listed, list) or not listed or len(listed) > 20:
        raise InvalidInput("must list 1 to 20 group ids, in order", field=f"{where}.groups")
    for j, group_id in enumerate(listed):
        if not isinstance(group_id, str) or group_id not in groups:
            raise InvalidInput(f"unknown group '{group_id}'", field=f"{where}.groups[{j}]")
    if len(set(listed)) != len(listed):
        raise InvalidInput("a group is listed twice", field=f"{where}.groups")
    match_raw = raw.get("match", {})
    if not isinstance(match_raw, dict):
        raise InvalidInput("must be an object", field=f"{where}.match")
    _only(match_raw, {"queue", "channel", "url_contains", "custom"}, f"{where}.match")
    custom = match_raw.get("custom", {})
    if not isinstance(custom, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in custom.items()):
        raise InvalidInput("must map names to texts", field=f"{where}.match.custom")
    channel = match_raw.get("channel")
    queue = match_raw.get("queue")
    url = match_raw.get("url_contains")
    match = Match(
        queue=_identifier(queue, f"{where}.match.queue") if queue is not None else None,
        channel=_enum(Channel, channel, f"{where}.match.channel") if channel is not None else None,
        url_contains=_text(url, f"{where}.match.url_contains", 500) if url is not None else None,
        custom=dict(custom),
    )
    return Rule(
        id=rule_id,
        groups=tuple(listed),
        name=_text(raw.get("name", rule_id), f"{where}.name"),
        match=match,
        mode=_enum(Mode, raw.get("mode", Mode.CASCADE.value), f"{where}.mode"),
        skill=skill_need_from_json(raw.get("skill"), f"{where}.skill", skills),
        priority=_int(raw.get("priority", 0), f"{where}.priority", 0, 999),
    )


def config_to_json(config: RoutingConfig) -> dict[str, object]:
    return {
        "fairness": config.fairness.value,
        "skills": list(config.skills),
        "groups": [{"id": g.id, "name": g.name, "threshold": g.threshold, "shards": g.shards}
                   for g in config.groups.values()],
        "rules": [{
            "id": r.id, "name": r.name, "groups": list(r.groups), "mode": r.mode.value, "priority": r.priority,
            "skill": {"skill": r.skill.skill, "min_level": r.skill.min_level} if r.skill else None,
            "match": {k: v for k, v in {
                "queue": r.match.queue, "channel": r.match.channel.value if r.match.channel else None,
                "url_contains": r.match.url_contains, "custom": dict(r.match.custom) or None}.items()
                if v is not None},
        } for r in config.rules],
    }
