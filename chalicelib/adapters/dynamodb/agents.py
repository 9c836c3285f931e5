"""Agents: their item on an exact revision, with their ready-list entries and group memberships.

The item layout: docs/data-model.md.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.adapters.dynamodb.audit import audit_put
from chalicelib.adapters.dynamodb.items import AgentItem, KeypadItem, ReadyItem, RosterItem
from chalicelib.adapters.dynamodb.keys import PROFILE, _keypad_pk, _principal_pk, _ready_pk, _roster_pk
from chalicelib.adapters.dynamodb.tenants import _RoutingConfigs
from chalicelib.adapters.dynamodb.transactions import _Tx
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import Conflict
from chalicelib.domain.model import Agent, AgentStatus, Conversation, PrincipalKind
from chalicelib.domain.routing import (
    AgentSettings,
    Channel,
    Medium,
    ReadyEntry,
    RoutingConfig,
    ready_entries,
    routing_view,
    with_settings,
)


def _index_agent(tx: _Tx, before: Agent, after: Agent, config: RoutingConfig) -> frozenset[str]:
    """Move the agent's ready-list entries from where they are to where `after` belongs (unchanged ones stay)."""
    wanted = {entry.encode(): entry for entry in ready_entries(routing_view(after), config)}
    for key in sorted(before.index_keys - wanted.keys()):
        gone = ReadyEntry.decode(key)
        tx.named_delete("none", ReadyItem(_ready_pk(after.tenant, gone.list_key), gone.sort_key))
    for key in sorted(wanted.keys() - before.index_keys):
        entry = wanted[key]
        tx.named_save("none", ReadyItem(_ready_pk(after.tenant, entry.list_key), entry.sort_key, agent_id=after.id))
    return frozenset(wanted)


def _write_agent(tx: _Tx, before: Agent, after: Agent, config: RoutingConfig, *, name: str = "agent_changed",
                 extra: Sequence[Any] = ()) -> Agent:
    """Update the agent's item on the exact revision read (optimistic), with its ready-list entries."""
    keys = _index_agent(tx, before, after, config)
    actions: list[Any] = [
        AgentItem.status.set(after.status.value),
        AgentItem.active.set(after.active),
        AgentItem.call_active.set(after.call_active),
        AgentItem.email_active.set(after.email_active),
        AgentItem.version.set(before.version + 1),
        AgentItem.index_keys.set(set(keys)) if keys else AgentItem.index_keys.remove(),
        *extra,
    ]
    if after.idle_since is not None:
        actions.append(AgentItem.idle_since.set(after.idle_since))
    if after.status_since is not None and after.status_since != before.status_since:
        actions.append(AgentItem.status_since.set(after.status_since))
    tx.named_update(name, AgentItem(_principal_pk(after.tenant, PrincipalKind.AGENT, after.id), PROFILE),
                    actions=actions, condition=AgentItem.version == before.version)
    return replace(after, version=before.version + 1, index_keys=keys)


def _reserved_count(delta: int) -> list[Any]:
    """Count an agent's reservations up or down, as a new revision of the agent: a concurrent change of theirs
    (going Available, say) then retries on a fresh read and sees the reservation it must pull."""
    return [AgentItem.reserved.add(delta), AgentItem.version.add(1)]


def _load_field(channel: Channel) -> str:
    return {Channel.CHAT: "active", Channel.CALL: "call_active", Channel.EMAIL: "email_active"}[channel]


def _loaded(agent: Agent, channel: Channel, delta: int) -> Agent:
    field_name = _load_field(channel)
    return replace(agent, **{field_name: getattr(agent, field_name) + delta})


def _channel(conversation: Conversation) -> Channel:
    return Medium(conversation.medium).channel


class DynamoAgents(_RoutingConfigs):
    _STATUS_RETRIES = 12

    def get(self, tenant: str, agent_id: str) -> Agent | None:
        try:
            item = AgentItem.get(_principal_pk(tenant, PrincipalKind.AGENT, agent_id), PROFILE, consistent_read=True)
        except DoesNotExist:
            return None
        return item.to_domain(tenant)

    def get_many(self, tenant: str, agent_ids: Sequence[str]) -> list[Agent]:
        unique = dict.fromkeys(agent_ids)
        keys = [(_principal_pk(tenant, PrincipalKind.AGENT, agent_id), PROFILE) for agent_id in unique]
        if not keys:
            return []
        return [item.to_domain(tenant) for item in AgentItem.batch_get(keys, consistent_read=True)]

    def put(self, agent: Agent) -> None:
        """Create or replace an agent (seeding, admin), with their ready-list entries and group memberships."""
        current = self.get(agent.tenant, agent.id)
        before = current or replace(agent, index_keys=frozenset(), queues=())
        tx = _Tx()
        after = replace(agent, version=before.version + 1 if current else 0)
        keys = _index_agent(tx, before, after, self.routing(agent.tenant))
        item = agent_item(replace(after, index_keys=keys))
        condition = AgentItem.version == current.version if current else AgentItem.pk.does_not_exist()
        tx.named_save("agent_changed", item, condition=condition)
        _roster(tx, before, after)
        _keypad(tx, current or replace(agent, keypad_id=""), after)
        try:
            tx.commit()
        except TransactWriteError as exc:
            if tx.failed(exc) == "keypad_taken":
                raise _keypad_taken() from exc
            raise Conflict("the agent changed meanwhile; retry", field="agent_id") from exc

    def set_status(self, tenant: str, agent_id: str, status: AgentStatus, now: datetime) -> Agent:
        def change(current: Agent) -> tuple[Agent, list[Any]]:
            idle_since = current.idle_since
            if status is AgentStatus.AVAILABLE and current.status is not AgentStatus.AVAILABLE:
                idle_since = now
            since = now if status is not current.status or current.status_since is None else current.status_since
            if status is AgentStatus.OFFLINE and current.login_line:
                # The number given at login is for this login only (CB-6): the next one asks again.
                return replace(current, status=status, idle_since=idle_since, status_since=since, login_line=""), [
                    AgentItem.login_line.remove()]
            return replace(current, status=status, idle_since=idle_since, status_since=since), []

        return self._update(tenant, agent_id, change)

    def set_line(self, tenant: str, agent_id: str, line: str) -> Agent:
        def change(current: Agent) -> tuple[Agent, list[Any]]:
            action = AgentItem.login_line.set(line) if line else AgentItem.login_line.remove()
            return replace(current, login_line=line), [action]

        return self._update(tenant, agent_id, change)

    def switch_queues(self, tenant: str, agent_id: str, queues_off: frozenset[str]) -> Agent:
        def change(current: Agent) -> tuple[Agent, list[Any]]:
            action = AgentItem.queues_off.set(set(queues_off)) if queues_off else AgentItem.queues_off.remove()
            return replace(current, queues_off=tuple(sorted(queues_off))), [action]

        return self._update(tenant, agent_id, change)

    def change_settings(self, tenant: str, agent_id: str, settings: AgentSettings,
                        audit: Callable[[Agent, Agent], AuditEntry] | None = None) -> Agent:
        """An admin's change; `audit` makes the entry that goes in the same transaction (from the revision read)."""

        def change(current: Agent) -> tuple[Agent, list[Any]]:
            wanted = with_settings(current, settings)
            actions: list[Any] = [
                AgentItem.capacity.set(wanted.capacity),
                AgentItem.call_capacity.set(wanted.call_capacity),
                AgentItem.email_capacity.set(wanted.email_capacity),
                AgentItem.queues.set(set(wanted.queues)) if wanted.queues else AgentItem.queues.remove(),
                (AgentItem.queues_off.set(set(wanted.queues_off)) if wanted.queues_off
                 else AgentItem.queues_off.remove()),
                AgentItem.skills.set(dict(wanted.skills)) if wanted.skills else AgentItem.skills.remove(),
                AgentItem.route_first.set(wanted.route_first),
                AgentItem.multi_channel.set(wanted.multi_channel),
                AgentItem.takes_calls.set(wanted.takes_calls),
                AgentItem.own_line.set(wanted.own_line) if wanted.own_line else AgentItem.own_line.remove(),
                AgentItem.ask_line_at_login.set(wanted.ask_line_at_login),
                AgentItem.auto_answer.set(wanted.auto_answer),
                AgentItem.auto_answer_seconds.set(wanted.auto_answer_seconds),
                (AgentItem.answer_calls.set(wanted.answer_calls) if wanted.answers_on_desk
                 else AgentItem.answer_calls.remove()),
                AgentItem.keypad_id.set(wanted.keypad_id) if wanted.keypad_id else AgentItem.keypad_id.remove(),
            ]
            return wanted, actions

        return self._update(tenant, agent_id, change, audit)

    def by_keypad(self, tenant: str, keypad_id: str) -> Agent | None:
        """One consistent read of the id's item, then the agent's (ACD mode, CB-5)."""
        try:
            item = KeypadItem.get(_keypad_pk(tenant), keypad_id, consistent_read=True)
        except DoesNotExist:
            return None
        agent = self.get(tenant, item.agent_id)
        return agent if agent is not None and agent.keypad_id == keypad_id else None

    def reindex(self, tenant: str, agent_id: str) -> Agent | None:
        """Rewrite the agent's entries for the tenant's current routing configuration (after an admin changed it)."""
        if self.get(tenant, agent_id) is None:
            return None
        return self._update(tenant, agent_id, lambda current: (current, []))

    def members(self, tenant: str, group: str) -> list[str]:
        """The agents of a group (a report or a re-index reads this; a routing decision never does)."""
        return [item.sk for item in RosterItem.query(_roster_pk(tenant, group), consistent_read=True)]

    def _update(self, tenant: str, agent_id: str, change: Callable[[Agent], tuple[Agent, list[Any]]],
                audit: Callable[[Agent, Agent], AuditEntry] | None = None) -> Agent:
        """Apply a change to the agent on the exact revision read, with their ready-list entries and memberships
        (retried when a concurrent offer or close won)."""
        config = self.routing(tenant)
        for attempt in range(self._STATUS_RETRIES):
            current = self.get(tenant, agent_id)
            if current is None:
                raise Conflict("the agent has no profile")
            wanted, actions = change(current)
            tx = _Tx()
            written = _write_agent(tx, current, wanted, config, extra=actions)
            _roster(tx, current, wanted)
            _keypad(tx, current, wanted)
            if audit is not None:
                audit_put(tx, audit(current, wanted))
            try:
                tx.commit()
            except TransactWriteError as exc:
                if tx.failed(exc) == "keypad_taken":
                    raise _keypad_taken() from exc
                if tx.failed(exc) in ("agent_changed", "transaction_conflict"):
                    _step_aside(attempt)
                    continue
                raise
            return written
        raise Conflict("the agent's state keeps changing; retry")


def _step_aside(attempt: int) -> None:
    """A busy agent's item changes with every offer and close: a write that lost to one waits a jittered, growing
    moment before reading again, so that it does not lose to a whole run of them."""
    time.sleep(random.uniform(0, min(0.05, 0.002 * 2**attempt)))  # noqa: S311 - jitter, not security


def agent_item(agent: Agent) -> AgentItem:
    """The whole stored item of an agent, revision and index bookkeeping included."""
    return AgentItem(
        _principal_pk(agent.tenant, PrincipalKind.AGENT, agent.id),
        PROFILE,
        name=agent.name,
        status=agent.status.value,
        capacity=agent.capacity,
        active=agent.active,
        queues=set(agent.queues) or None,
        queues_off=set(agent.queues_off) or None,
        idle_since=agent.idle_since,
        status_since=agent.status_since,
        skills=dict(agent.skills) or None,
        route_first=agent.route_first or None,
        multi_channel=agent.multi_channel or None,
        call_capacity=agent.call_capacity,
        email_capacity=agent.email_capacity,
        call_active=agent.call_active,
        email_active=agent.email_active,
        version=agent.version,
        index_keys=set(agent.index_keys) or None,
        takes_calls=agent.takes_calls or None,
        own_line=agent.own_line or None,
        ask_line_at_login=agent.ask_line_at_login or None,
        auto_answer=agent.auto_answer,
        auto_answer_seconds=agent.auto_answer_seconds,
        login_line=agent.login_line or None,
        answer_calls=agent.answer_calls if agent.answers_on_desk else None,
        keypad_id=agent.keypad_id or None,
    )


def _keypad(tx: _Tx, before: Agent, after: Agent) -> None:
    """The agent's keypad id item follows their id: claimed on a condition that no other agent holds it."""
    if before.keypad_id == after.keypad_id:
        return
    if before.keypad_id:
        tx.named_delete("none", KeypadItem(_keypad_pk(after.tenant), before.keypad_id))
    if after.keypad_id:
        tx.named_save("keypad_taken", KeypadItem(_keypad_pk(after.tenant), after.keypad_id, agent_id=after.id),
                      condition=KeypadItem.pk.does_not_exist() | (KeypadItem.agent_id == after.id))


def _keypad_taken() -> Conflict:
    return Conflict("another agent of the tenant has this keypad id", field="keypad_id")


def _roster(tx: _Tx, before: Agent, after: Agent) -> None:
    for group in sorted(set(after.queues) - set(before.queues)):
        tx.named_save("none", RosterItem(_roster_pk(after.tenant, group), after.id))
    for group in sorted(set(before.queues) - set(after.queues)):
        tx.named_delete("none", RosterItem(_roster_pk(after.tenant, group), after.id))
