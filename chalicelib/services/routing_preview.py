"""What a routing change would do to the conversations that wait, shown before it is saved (issue 16, docs/routing.md).

A waiting conversation keeps the group it was placed in for as long as that group is configured: a change of rules
or thresholds routes the conversations that start afterwards, not those already waiting. Only when the draft leaves
their group out do they move, on save, to the group that now takes them (`routing_admin.group_now_taking`, the rule
the save itself applies). So the preview says, for each waiting conversation, where it waits now, where it would
wait after the save, and where a new conversation like it would go under the draft; then counts them in sentences.

`preview` is pure (configurations and conversations in, a report out); `preview_routing` reads what waits (one
Query and one BatchGet per group that has waiting conversations, after one BatchGet of the counters) and writes
nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from chalicelib.domain import routing as policy
from chalicelib.domain.model import Conversation, Principal
from chalicelib.domain.routing import Medium, RoutingConfig, RoutingContext
from chalicelib.ports import Deps
from chalicelib.services import frames
from chalicelib.services.routing_admin import _require_supervision, _tenant, group_now_taking

PREVIEW_LIMIT = 200  # waiting conversations read per group; more are counted by `truncated`


def preview_routing(deps: Deps, caller: Principal, body: object) -> dict[str, Any]:
    """Supervisors and admins: the draft is checked like `PUT /routing` (400 naming the field), then compared with
    the stored configuration over the conversations waiting now. Nothing is written."""
    _require_supervision(caller)
    draft = policy.config_from_json(body)
    current = _tenant(deps, caller.tenant).routing
    groups = list(current.groups.values())
    counts = deps.routing.counts(caller.tenant, groups)
    waiting: list[Conversation] = []
    truncated = False
    for group in groups:
        if counts[group.id].waiting:
            found = deps.conversations.waiting_in(caller.tenant, group.id, PREVIEW_LIMIT)
            truncated = truncated or counts[group.id].waiting > len(found)
            waiting.extend(found)
    return {**preview(current, draft, waiting), "truncated": truncated}


def preview(current: RoutingConfig, draft: RoutingConfig, waiting: Sequence[Conversation]) -> dict[str, Any]:
    """Each waiting conversation (oldest first) with `group` (where it waits), `after` (where it would wait once the
    draft is saved) and `new_route` (the group a new conversation like it would go to under the draft; None when no
    rule takes it), and `summary`: one sentence per kind of change, with exact counts."""
    rows = [_row(current, draft, c) for c in sorted(waiting, key=lambda c: (c.created_at, c.id))]
    moves: Counter[tuple[str, str]] = Counter()
    redirected: Counter[tuple[str, str | None]] = Counter()
    for row in rows:
        before, after, new_route = row["group"]["id"], row["after"]["id"], row["new_route"]
        if after != before:
            moves[(before, after)] += 1
        elif new_route is None or new_route["id"] != before:
            redirected[(before, new_route["id"] if new_route else None)] += 1
    return {"waiting": rows, "moving": sum(moves.values()), "summary": _summary(current, draft, rows, moves,
                                                                                  redirected)}


def _row(current: RoutingConfig, draft: RoutingConfig, conversation: Conversation) -> dict[str, Any]:
    target = group_now_taking(draft, conversation)
    after = target.id if target is not None else conversation.queue
    context = RoutingContext(channel=Medium(conversation.medium).channel, custom=conversation.custom,
                             url=conversation.page.url if conversation.page else "")
    route = policy.route_for(draft, context)
    new_route = route.groups[0].id if route and route.groups else None
    return {
        "conversation_id": conversation.id,
        "visitor_name": conversation.visitor.name,
        "medium": conversation.medium,
        "waiting_since": frames.iso(conversation.created_at),
        "group": _named(current, draft, conversation.queue),
        "after": _named(draft, current, after),
        "new_route": _named(draft, current, new_route) if new_route else None,
    }


def _named(first: RoutingConfig, second: RoutingConfig, group_id: str) -> dict[str, str]:
    group = first.groups.get(group_id) or second.groups.get(group_id)
    return {"id": group_id, "name": (group.name if group else "") or group_id}


def _summary(current: RoutingConfig, draft: RoutingConfig, rows: list[dict[str, Any]],
             moves: Counter[tuple[str, str]], redirected: Counter[tuple[str, str | None]]) -> list[str]:
    if not rows:
        return ["No conversation is waiting now: the change applies to the conversations that start after it."]
    name = {row["group"]["id"]: row["group"]["name"] for row in rows}
    name.update({row["after"]["id"]: row["after"]["name"] for row in rows})
    name.update({row["new_route"]["id"]: row["new_route"]["name"] for row in rows if row["new_route"]})
    lines = []
    for (before, after), count in sorted(moves.items()):
        line = f"{_conversations(count)} would move from {name[before]} to {name[after]}"
        if after not in current.groups:
            line += f" ({name[after]} is a new group with no agents yet: {_pronoun(count)} would wait there until " \
                    "an admin adds agents to it on the Agents page)"
        lines.append(line + ".")
    for (before, new_route), count in sorted(redirected.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        where = f"new ones like {_them(count)} would go to {name[new_route]}" if new_route else \
            f"no rule would take a new one like {_them(count)}"
        lines.append(f"{_conversations(count)} would stay in {name[before]} (a waiting conversation keeps its "
                     f"group); {where}.")
    if not moves:
        lines.insert(0, f"No waiting conversation would move ({len(rows)} waiting).")
    return lines


def _conversations(count: int) -> str:
    return f"{count} waiting conversation{'s' if count != 1 else ''}"


def _pronoun(count: int) -> str:
    return "it" if count == 1 else "they"


def _them(count: int) -> str:
    return "it" if count == 1 else "them"
