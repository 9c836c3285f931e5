"""Assignments: offers, accepts, closes, snoozes, reservations and requeues, each one transaction.

The item layout: docs/data-model.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib.adapters.dynamodb.agents import (
    DynamoAgents,
    _channel,
    _loaded,
    _reserved_count,
    _step_aside,
    _write_agent,
)
from chalicelib.adapters.dynamodb.conversations import _holds_open_pointer
from chalicelib.adapters.dynamodb.items import AgentItem, ConversationItem, LinkItem
from chalicelib.adapters.dynamodb.keys import (
    CONV,
    OPEN,
    PROFILE,
    SNOOZED_LINK,
    STATE,
    _conv_pk,
    _held_pk,
    _principal_pk,
    _reserved_sk,
    _waiting_pk,
    _waiting_sk,
)
from chalicelib.adapters.dynamodb.routing_index import _dequeue, _enqueue, _in_queue_as_read
from chalicelib.adapters.dynamodb.tenants import _RoutingConfigs
from chalicelib.adapters.dynamodb.transactions import _failed_condition, _Tx
from chalicelib.domain.model import (
    Agent,
    AgentStatus,
    Conversation,
    ConversationStatus,
    EndSurvey,
    Offer,
    PrincipalKind,
    Reservation,
    Snooze,
    WrapUp,
)
from chalicelib.domain.routing import Group, can_take, routing_view, shard_of
from chalicelib.ports import AssignmentLost


class DynamoAssignments(_RoutingConfigs):
    """Ownership and capacity, each change one conditional transaction (invariants 1 and 2).

    An agent's loads count the slots in use, offers included, so that a 7th offer can never exist. The agent's
    item is updated on the exact revision read just before (optimistic), which also keeps their ready-list
    entries right; the conversation leaves or re-enters its group's queue in the same transaction.
    """

    _AGENT_RETRIES = 8

    def offer(self, conversation: Conversation, agent: Agent, offer: Offer, now: datetime) -> None:
        channel = _channel(conversation)
        if not can_take(routing_view(agent), channel):
            raise AssignmentLost("agent_unavailable")
        agent_pk = _principal_pk(conversation.tenant, PrincipalKind.AGENT, agent.id)
        tx = _Tx()
        tx.named_save("already_linked",
                      LinkItem(agent_pk, f"{CONV}{conversation.id}", conversation_id=conversation.id, created_at=now),
                      condition=LinkItem.pk.does_not_exist())
        _dequeue(tx, conversation)
        after = replace(_loaded(agent, channel, +1), idle_since=now)
        actions: list[Any] = [
            ConversationItem.status.set(ConversationStatus.OFFERED.value),
            ConversationItem.status_at.set(now),
            ConversationItem.offer_id.set(offer.id),
            ConversationItem.offer_agent_id.set(agent.id),
            ConversationItem.offer_expires_at.set(offer.expires_at),
            ConversationItem.queue_shard.remove(),
            ConversationItem.gsi1pk.remove(),
            ConversationItem.gsi1sk.remove(),
        ]
        # Ownership (invariant 2): only a waiting conversation is offered, to one agent at a time; one reserved for
        # an agent (ASYNC-13) only to that agent, on the reservation read.
        condition = (ConversationItem.status == ConversationStatus.WAITING.value) & _in_queue_as_read(conversation)
        extra: list[Any] = []
        if conversation.status is ConversationStatus.RESERVED and conversation.reservation is not None:
            tx.named_delete("none", LinkItem(agent_pk, _reserved_sk(conversation.id, conversation.reservation)))
            extra.append(AgentItem.reserved.add(-1))
            actions += [ConversationItem.reservation_id.remove(), ConversationItem.reservation_until.remove(),
                        ConversationItem.agent_id.remove(), ConversationItem.agent_name.remove()]
            condition = (ConversationItem.status == ConversationStatus.RESERVED.value) \
                & (ConversationItem.agent_id == agent.id) \
                & (ConversationItem.reservation_id == conversation.reservation.id)
        _write_agent(tx, agent, after, self.routing(conversation.tenant), name="agent_unavailable", extra=extra)
        tx.named_update("conversation_taken", ConversationItem(_conv_pk(conversation.tenant, conversation.id), STATE),
                        actions=actions, condition=condition)
        try:
            tx.commit()
        except TransactWriteError as exc:
            raise AssignmentLost(tx.failed(exc)) from exc

    def accept(self, conversation: Conversation, agent: Agent, offer_id: str, agent_connections: Iterable[str],
               now: datetime) -> None:
        actions: list[Any] = [
            ConversationItem.status.set(ConversationStatus.ASSIGNED.value),
            ConversationItem.status_at.set(now),
            ConversationItem.agent_id.set(agent.id),
            ConversationItem.agent_name.set(agent.name),
            ConversationItem.assigned_at.set(now),
            ConversationItem.offer_id.remove(),
            ConversationItem.offer_agent_id.remove(),
            ConversationItem.offer_expires_at.remove(),
            ConversationItem.transfer_from.remove(),
            ConversationItem.gsi1pk.set(_held_pk(conversation.tenant, conversation.queue)),
            ConversationItem.gsi1sk.set(_waiting_sk(conversation)),
        ]
        connections = set(agent_connections)
        if connections:
            actions.append(ConversationItem.connections.add(connections))
        try:
            ConversationItem(_conv_pk(conversation.tenant, conversation.id), STATE).update(
                actions=actions,
                condition=(ConversationItem.status == ConversationStatus.OFFERED.value)
                & (ConversationItem.offer_id == offer_id) & (ConversationItem.offer_agent_id == agent.id),
            )
        except UpdateError as exc:
            if _failed_condition(exc):
                raise AssignmentLost("offer_gone") from exc
            raise

    def withdraw(self, conversation: Conversation, agent: Agent, offer_id: str, *, set_away: bool,
                 now: datetime) -> None:
        config = self.routing(conversation.tenant)
        group = config.groups.get(conversation.queue) or Group(conversation.queue)
        shard = shard_of(conversation.id, group.shards)
        back = replace(conversation, queue_shard=shard)

        def attempt(tx: _Tx, current: Agent) -> None:
            tx.named_delete("none", LinkItem(_principal_pk(conversation.tenant, PrincipalKind.AGENT, agent.id),
                                             f"{CONV}{conversation.id}"))
            # Away only from Available: an agent who went Offline meanwhile stays Offline.
            away = AgentStatus.AWAY if set_away and current.status is AgentStatus.AVAILABLE else current.status
            since = now if away is not current.status else current.status_since
            _write_agent(tx, current, replace(_loaded(current, _channel(conversation), -1), status=away,
                                              status_since=since), config)
            tx.named_update(
                "offer_gone",
                ConversationItem(_conv_pk(conversation.tenant, conversation.id), STATE),
                actions=[
                    ConversationItem.status.set(ConversationStatus.WAITING.value),
                    ConversationItem.status_at.set(now),
                    ConversationItem.declines.add(1),
                    ConversationItem.offer_id.remove(),
                    ConversationItem.offer_agent_id.remove(),
                    ConversationItem.offer_expires_at.remove(),
                    ConversationItem.queue_shard.set(shard),
                    ConversationItem.gsi1pk.set(_waiting_pk(conversation.tenant, conversation.queue)),
                    ConversationItem.gsi1sk.set(_waiting_sk(conversation)),
                ],
                condition=(ConversationItem.status == ConversationStatus.OFFERED.value)
                & (ConversationItem.offer_id == offer_id),
            )
            # Back at its original place, whatever the threshold: the visitor was engaged already (CHAT-7).
            _enqueue(tx, back, shard, room=None)

        self._with_fresh_agent(agent, attempt)

    def close(self, conversation: Conversation, agent: Agent, wrap_up: WrapUp, survey: EndSurvey | None = None) -> None:
        tenant = conversation.tenant
        # The end screen's survey goes out with the close, in the same write (docs/reports.md).
        asked = [ConversationItem.survey_sent_at.set(survey.sent_at), ConversationItem.nps_asked.set(survey.nps)] \
            if survey else []
        visitor_pk = _principal_pk(tenant, PrincipalKind.VISITOR, conversation.visitor_id)
        config = self.routing(tenant)

        def attempt(tx: _Tx, current: Agent) -> None:
            tx.named_delete("none", LinkItem(_principal_pk(tenant, PrincipalKind.AGENT, agent.id),
                                             f"{CONV}{conversation.id}"))
            if _holds_open_pointer(conversation):
                tx.named_delete("none", LinkItem(visitor_pk, OPEN))
            _write_agent(tx, current, _loaded(current, _channel(conversation), -1), config)
            tx.named_update(
                "not_yours",
                ConversationItem(_conv_pk(tenant, conversation.id), STATE),
                actions=[
                    ConversationItem.status.set(ConversationStatus.CLOSED.value),
                    ConversationItem.closed_at.set(wrap_up.closed_at),
                    ConversationItem.status_at.set(wrap_up.closed_at),
                    ConversationItem.disposition.set(wrap_up.disposition),
                    ConversationItem.wrap_notes.set(wrap_up.notes),
                    ConversationItem.saved_as.set(wrap_up.saved_as),
                    *asked,
                    ConversationItem.gsi1pk.remove(),
                    ConversationItem.gsi1sk.remove(),
                ],
                condition=(ConversationItem.status == ConversationStatus.ASSIGNED.value)
                & (ConversationItem.agent_id == agent.id),
            )

        self._with_fresh_agent(agent, attempt)

    def snooze(self, conversation: Conversation, agent: Agent, snooze: Snooze, *, now: datetime) -> None:
        """The assigned agent takes the conversation off their desk (ASYNC-10): their slot frees; if kept, it stays
        theirs (an SNZ# link in their partition), else it belongs to its group again."""
        tenant = conversation.tenant
        config = self.routing(tenant)
        agent_pk = _principal_pk(tenant, PrincipalKind.AGENT, agent.id)

        def attempt(tx: _Tx, current: Agent) -> None:
            tx.named_delete("none", LinkItem(agent_pk, f"{CONV}{conversation.id}"))
            if snooze.kept:
                tx.named_save("none", LinkItem(agent_pk, f"{SNOOZED_LINK}{conversation.id}",
                                               conversation_id=conversation.id, created_at=snooze.until))
            _write_agent(tx, current, _loaded(current, _channel(conversation), -1), config)
            actions: list[Any] = [ConversationItem.status.set(ConversationStatus.SNOOZED.value),
                                  ConversationItem.status_at.set(now),
                                  ConversationItem.snooze_id.set(snooze.id),
                                  ConversationItem.snooze_until.set(snooze.until),
                                  ConversationItem.snooze_kept.set(snooze.kept)]
            if not snooze.kept:
                actions += [ConversationItem.agent_id.remove(), ConversationItem.agent_name.remove()]
            tx.named_update("not_yours", ConversationItem(_conv_pk(tenant, conversation.id), STATE), actions=actions,
                            condition=(ConversationItem.status == ConversationStatus.ASSIGNED.value)
                            & (ConversationItem.agent_id == agent.id))

        self._with_fresh_agent(agent, attempt)

    def reserve(self, conversation: Conversation, reservation: Reservation, to: Agent,
                holder: Agent | None = None, *, now: datetime) -> None:
        """The conversation waits for agent `to` alone until the reservation ends (ASYNC-13), from where it was
        read: the desk of `holder` (a transfer: their slot frees), a snooze (back to the agent who kept it, or
        transferred by a supervisor) or another reservation. AssignmentLost if it moved meanwhile."""
        tenant = conversation.tenant
        config = self.routing(tenant)
        to_pk = _principal_pk(tenant, PrincipalKind.AGENT, to.id)
        status = conversation.status
        previous = conversation.agent_id
        previous_pk = _principal_pk(tenant, PrincipalKind.AGENT, previous or "")
        same_reservation = status is ConversationStatus.RESERVED and previous == to.id
        if status is ConversationStatus.ASSIGNED:
            if holder is None or holder.id != previous:
                raise AssignmentLost("not_yours")
            condition = ConversationItem.agent_id == holder.id
        elif status is ConversationStatus.SNOOZED and conversation.snooze is not None:
            condition = ConversationItem.snooze_id == conversation.snooze.id
        elif status is ConversationStatus.RESERVED and conversation.reservation is not None:
            condition = ConversationItem.reservation_id == conversation.reservation.id
        else:
            raise AssignmentLost("not_held")
        condition &= ConversationItem.status == status.value

        def build(tx: _Tx, current: Agent | None) -> None:
            if status is ConversationStatus.ASSIGNED and current is not None:
                tx.named_delete("none", LinkItem(previous_pk, f"{CONV}{conversation.id}"))
                _write_agent(tx, current, _loaded(current, _channel(conversation), -1), config)
            elif status is ConversationStatus.SNOOZED and previous:
                tx.named_delete("none", LinkItem(previous_pk, f"{SNOOZED_LINK}{conversation.id}"))
            elif status is ConversationStatus.RESERVED and not same_reservation:
                tx.named_delete("none", LinkItem(previous_pk, _reserved_sk(conversation.id, conversation.reservation)))
                tx.named_update("none", AgentItem(previous_pk, PROFILE), actions=_reserved_count(-1),
                                condition=AgentItem.pk.exists())
            if not same_reservation:
                tx.named_save("none", LinkItem(to_pk, _reserved_sk(conversation.id, reservation),
                                               conversation_id=conversation.id, created_at=reservation.until))
                tx.named_update("agent_gone", AgentItem(to_pk, PROFILE), actions=_reserved_count(+1),
                                condition=AgentItem.pk.exists())
            actions: list[Any] = [ConversationItem.status.set(ConversationStatus.RESERVED.value),
                                  ConversationItem.status_at.set(now), ConversationItem.enqueued_at.set(now),
                                  ConversationItem.agent_id.set(to.id), ConversationItem.agent_name.set(to.name),
                                  ConversationItem.reservation_id.set(reservation.id),
                                  ConversationItem.reservation_until.set(reservation.until),
                                  ConversationItem.snooze_id.remove(), ConversationItem.snooze_until.remove(),
                                  ConversationItem.snooze_kept.remove(),
                                  ConversationItem.transfer_from.set(reservation.transfer_from)
                                  if reservation.transfer_from else ConversationItem.transfer_from.remove()]
            tx.named_update("moved", ConversationItem(_conv_pk(tenant, conversation.id), STATE), actions=actions,
                            condition=condition)

        if status is ConversationStatus.ASSIGNED and holder is not None:
            self._with_fresh_agent(holder, build)
        else:
            self._retrying(lambda tx: build(tx, None))

    def hand_over(self, conversation: Conversation, holder: Agent, to: Agent, agent_connections: Iterable[str],
                  now: datetime) -> None:
        """From `holder`'s desk to `to`'s (a call transferred with consent, issue 14): both agents' loads, their
        links and the conversation's owner in one transaction, each agent on the revision read (both read again
        when a concurrent change of either won)."""
        tenant = conversation.tenant
        config = self.routing(tenant)
        channel = _channel(conversation)
        holder_pk = _principal_pk(tenant, PrincipalKind.AGENT, holder.id)
        to_pk = _principal_pk(tenant, PrincipalKind.AGENT, to.id)
        connections = set(agent_connections)
        agents = DynamoAgents(self._tenants)
        for retry in range(self._AGENT_RETRIES):
            if not can_take(routing_view(to), channel):
                raise AssignmentLost("agent_unavailable")
            tx = _Tx()
            tx.named_delete("none", LinkItem(holder_pk, f"{CONV}{conversation.id}"))
            tx.named_save("already_linked", LinkItem(to_pk, f"{CONV}{conversation.id}", conversation_id=conversation.id,
                                                     created_at=now), condition=LinkItem.pk.does_not_exist())
            _write_agent(tx, holder, _loaded(holder, channel, -1), config)
            _write_agent(tx, to, replace(_loaded(to, channel, +1), idle_since=now), config, name="target_changed")
            actions: list[Any] = [ConversationItem.agent_id.set(to.id), ConversationItem.agent_name.set(to.name),
                                  ConversationItem.assigned_at.set(now), ConversationItem.status_at.set(now)]
            if connections:
                actions.append(ConversationItem.connections.add(connections))
            tx.named_update("not_yours", ConversationItem(_conv_pk(tenant, conversation.id), STATE), actions=actions,
                            condition=(ConversationItem.status == ConversationStatus.ASSIGNED.value)
                            & (ConversationItem.agent_id == holder.id))
            try:
                tx.commit()
                return
            except TransactWriteError as exc:
                reason = tx.failed(exc)
                if reason not in ("agent_changed", "target_changed", "transaction_conflict"):
                    raise AssignmentLost(reason) from exc
            if retry:
                _step_aside(retry)
            fresh_holder, fresh_to = agents.get(tenant, holder.id), agents.get(tenant, to.id)
            if fresh_holder is None or fresh_to is None:
                raise AssignmentLost("agent_gone")
            holder, to = fresh_holder, fresh_to
        raise AssignmentLost("agent_busy")

    def requeue(self, conversation: Conversation, group: Group, *, now: datetime) -> Conversation:
        """Put a held conversation in `group`'s queue, at its original place whatever the threshold (the visitor
        was engaged already; its place is `conversation.created_at`, which a requalified call sets anew): from a
        desk (transfer to a queue, a supervisor's release: the slot frees), from a
        reservation (expired or released) or from a snooze. AssignmentLost if it changed since it was read."""
        tenant = conversation.tenant
        config = self.routing(tenant)
        shard = shard_of(conversation.id, group.shards)
        back = replace(conversation, queue=group.id, queue_shard=shard)
        status = conversation.status
        holder_pk = _principal_pk(tenant, PrincipalKind.AGENT, conversation.agent_id or "")
        condition = ConversationItem.status == status.value
        if conversation.agent_id:
            condition &= ConversationItem.agent_id == conversation.agent_id
        else:
            condition &= ConversationItem.agent_id.does_not_exist()
        if status is ConversationStatus.RESERVED and conversation.reservation is not None:
            condition &= ConversationItem.reservation_id == conversation.reservation.id
        elif status is ConversationStatus.SNOOZED and conversation.snooze is not None:
            condition &= ConversationItem.snooze_id == conversation.snooze.id
        elif status is not ConversationStatus.ASSIGNED:
            raise AssignmentLost("not_held")

        def build(tx: _Tx, current: Agent | None) -> None:
            if status is ConversationStatus.ASSIGNED and current is not None:
                tx.named_delete("none", LinkItem(holder_pk, f"{CONV}{conversation.id}"))
                _write_agent(tx, current, _loaded(current, _channel(conversation), -1), config)
            elif status is ConversationStatus.RESERVED:
                tx.named_delete("none", LinkItem(holder_pk, _reserved_sk(conversation.id, conversation.reservation)))
                tx.named_update("none", AgentItem(holder_pk, PROFILE), actions=_reserved_count(-1),
                                condition=AgentItem.pk.exists())
            elif conversation.agent_id:  # snoozed and kept
                tx.named_delete("none", LinkItem(holder_pk, f"{SNOOZED_LINK}{conversation.id}"))
            tx.named_update("moved", ConversationItem(_conv_pk(tenant, conversation.id), STATE), actions=[
                ConversationItem.status.set(ConversationStatus.WAITING.value),
                ConversationItem.status_at.set(now), ConversationItem.enqueued_at.set(now),
                ConversationItem.queue.set(group.id),
                ConversationItem.created_at.set(conversation.created_at),  # a requalified call's is new (issue 14)
                ConversationItem.agent_id.remove(), ConversationItem.agent_name.remove(),
                ConversationItem.snooze_id.remove(), ConversationItem.snooze_until.remove(),
                ConversationItem.snooze_kept.remove(), ConversationItem.reservation_id.remove(),
                ConversationItem.reservation_until.remove(), ConversationItem.transfer_from.remove(),
                ConversationItem.queue_shard.set(shard),
                ConversationItem.gsi1pk.set(_waiting_pk(tenant, group.id)),
                ConversationItem.gsi1sk.set(_waiting_sk(conversation)),
            ], condition=condition)
            _enqueue(tx, back, shard, room=None)

        if status is ConversationStatus.ASSIGNED and conversation.agent_id:
            holder = DynamoAgents(self._tenants).get(tenant, conversation.agent_id)
            if holder is None:
                raise AssignmentLost("agent_gone")
            self._with_fresh_agent(holder, build)
        else:
            self._retrying(lambda tx: build(tx, None))
        return replace(back, status=ConversationStatus.WAITING, agent_id=None, agent_name=None, snooze=None,
                       reservation=None)

    def _retrying(self, build: Callable[[_Tx], None]) -> None:
        """Commit a transaction that writes no agent revision, again when it only collided with another one."""
        for _ in range(self._AGENT_RETRIES):
            tx = _Tx()
            build(tx)
            try:
                tx.commit()
                return
            except TransactWriteError as exc:
                reason = tx.failed(exc)
                if reason != "transaction_conflict":
                    raise AssignmentLost(reason) from exc
        raise AssignmentLost("transaction_conflict")

    def _with_fresh_agent(self, agent: Agent, attempt: Callable[[_Tx, Agent], None]) -> None:
        """Run a transaction that lowers an agent's load, re-reading the agent when a concurrent change won."""
        current = agent
        for retry in range(self._AGENT_RETRIES):
            tx = _Tx()
            attempt(tx, current)
            try:
                tx.commit()
                return
            except TransactWriteError as exc:
                reason = tx.failed(exc)
                if reason not in ("agent_changed", "transaction_conflict"):
                    raise AssignmentLost(reason) from exc
            if retry:
                _step_aside(retry)
            fresh = DynamoAgents(self._tenants).get(agent.tenant, agent.id)
            if fresh is None:
                raise AssignmentLost("agent_gone")
            current = fresh
        raise AssignmentLost("agent_busy")
