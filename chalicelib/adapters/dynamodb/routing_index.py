"""The routing index: a group's sharded queues and counters, and the engine's reads of the index.

The item layout: docs/data-model.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path

from chalicelib.adapters.dynamodb.items import ConversationItem, CounterItem, QueueItem, ReadyItem
from chalicelib.adapters.dynamodb.keys import (
    COUNT,
    QUEUE_COUNT,
    STATE,
    _conv_pk,
    _counter_key,
    _queue_key,
    _queue_pk,
    _ready_pk,
    _waiting_pk,
    _waiting_sk,
)
from chalicelib.adapters.dynamodb.table import _Meta, connection
from chalicelib.adapters.dynamodb.tenants import _RoutingConfigs
from chalicelib.adapters.dynamodb.transactions import _Tx
from chalicelib.domain.errors import Conflict
from chalicelib.domain.model import (
    Conversation,
    ConversationStatus,
)
from chalicelib.domain.routing import (
    Channel,
    Group,
    SkillNeed,
    Waiting,
    candidate_order,
    conversation_list,
    parse_queue_list,
    ready_lists,
    shard_capacity,
    shard_of,
)
from chalicelib.ports import GroupCount


def _enqueue(tx: _Tx, conversation: Conversation, shard: int, room: int | None) -> None:
    """Put a conversation in shard `shard` of its group's queue and count it; with `room`, only while fewer than
    `room` conversations wait in that shard (the group's threshold, ROUTE-4)."""
    queue = conversation_list(conversation)
    tx.named_save("none", QueueItem(_queue_pk(conversation.tenant, conversation.queue, queue, shard),
                                    _queue_key(conversation), conversation_id=conversation.id))
    condition = (CounterItem.n.does_not_exist() | (CounterItem.n < room)) if room is not None else None
    tx.named_update("full", CounterItem(*_counter_key(conversation.tenant, conversation.queue, shard)),
                    actions=[CounterItem.n.add(1), Path([QUEUE_COUNT + queue]).add(1)], condition=condition)


def _dequeue(tx: _Tx, conversation: Conversation) -> None:
    """Take a conversation out of its group's queue (it is offered, or it leaves)."""
    if conversation.queue_shard is None:
        return
    queue, shard = conversation_list(conversation), conversation.queue_shard
    tx.named_delete("none", QueueItem(_queue_pk(conversation.tenant, conversation.queue, queue, shard),
                                      _queue_key(conversation)))
    tx.named_update("none", CounterItem(*_counter_key(conversation.tenant, conversation.queue, shard)),
                    actions=[CounterItem.n.add(-1), Path([QUEUE_COUNT + queue]).add(-1)])


def _in_queue_as_read(conversation: Conversation) -> Any:
    """The conversation is in the queue shard we read (or in none), so the queue operations above are right."""
    if conversation.queue_shard is None:
        return ConversationItem.queue_shard.does_not_exist()
    return ConversationItem.queue_shard == conversation.queue_shard


class DynamoRoutingIndex(_RoutingConfigs):
    """The routing engine's reads: a few sorted heads and counters per decision, whatever the number of agents."""

    def counts(self, tenant: str, groups: Sequence[Group]) -> dict[str, GroupCount]:
        """How many conversations wait in each group, and which queues (and shards) hold some: one BatchGetItem
        per 100 shards."""
        keys = [(group.id, shard) for group in groups for shard in range(group.shards)]
        found: dict[tuple[str, int], dict[str, Any]] = {}
        for start in range(0, len(keys), 100):
            chunk = keys[start:start + 100]
            request: dict[str, Any] = {_Meta.table_name: {"ConsistentRead": True, "Keys": [
                {"pk": {"S": _counter_key(tenant, g, s)[0]}, "sk": {"S": COUNT}} for g, s in chunk]}}
            for _ in range(5):
                answer = connection().dispatch("BatchGetItem", {"RequestItems": request})
                for raw in answer.get("Responses", {}).get(_Meta.table_name, []):
                    group_id, shard = raw["pk"]["S"].split("#GROUP#", 1)[1].rsplit("#", 1)
                    found[(group_id, int(shard))] = raw
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
        counts: dict[str, GroupCount] = {}
        for group in groups:
            waiting = 0
            lists: dict[str, list[int]] = {}
            for shard in range(group.shards):
                raw = found.get((group.id, shard), {})
                waiting += int(raw.get("n", {}).get("N", "0"))
                for name, value in raw.items():
                    if name.startswith(QUEUE_COUNT) and int(value["N"]) > 0:
                        lists.setdefault(name[len(QUEUE_COUNT):], []).append(shard)
            counts[group.id] = GroupCount(waiting=waiting, queues={k: tuple(v) for k, v in lists.items()})
        return counts

    def ready(self, tenant: str, group: Group, channel: Channel, need: SkillNeed | None, limit: int) -> list[str]:
        """The best agents of a group who can take this channel and skill level now, best first (may lag: each
        candidate is re-read and checked before an offer)."""
        heads: list[tuple[str, str]] = []
        for list_key, prefix in ready_lists(group, channel, need):
            condition = ReadyItem.sk.startswith(prefix) if prefix else None
            for item in ReadyItem.query(_ready_pk(tenant, list_key), condition, limit=limit, consistent_read=True):
                heads.append((candidate_order(item.sk, need is not None), item.agent_id))
        chosen: list[str] = []
        for _, agent_id in sorted(heads):
            if agent_id not in chosen:
                chosen.append(agent_id)
        return chosen[:limit]

    def heads(self, tenant: str, group: str, queue: str, shards: Sequence[int]) -> list[Waiting]:
        """The first conversation of each shard of one of a group's queues."""
        medium, need = parse_queue_list(queue)
        found: list[Waiting] = []
        for shard in shards:
            for item in QueueItem.query(_queue_pk(tenant, group, queue, shard), limit=1, consistent_read=True):
                priority, arrived, _ = item.sk.split("#", 2)
                found.append(Waiting(conversation_id=item.conversation_id, group=group, medium=medium,
                                     priority=999 - int(priority),
                                     arrived_at=datetime.strptime(arrived, "%Y%m%d%H%M%S%f").replace(tzinfo=UTC),
                                     skill=need))
        return found

    def enqueue(self, conversation: Conversation, group: Group) -> Conversation | None:
        """Put a placed conversation in its group's queue while the group has room (ROUTE-4): one conditional
        transaction per shard tried; None when every shard is full."""
        start = shard_of(conversation.id, group.shards)
        placed = replace(conversation, queue=group.id)
        for turn in range(group.shards):
            shard = (start + turn) % group.shards
            room = shard_capacity(group, shard)
            if room <= 0:
                continue
            tx = _Tx()
            _into_queue(tx, conversation, group, shard, ConversationItem.queue_shard.does_not_exist())
            _enqueue(tx, placed, shard, room)
            try:
                tx.commit()
            except TransactWriteError as exc:
                reason = tx.failed(exc)
                if reason == "full":
                    continue
                raise Conflict("the conversation is no longer waiting", field="conversation_id") from exc
            return replace(placed, queue_shard=shard)
        return None

    def move(self, conversation: Conversation, group: Group) -> Conversation:
        """A waiting conversation leaves its group's queue for another group's (its own left the configuration), at
        its place by priority and arrival whatever the threshold (the visitor was engaged already): one conditional
        transaction. Conflict if it no longer waits in the queue shard it was read in."""
        shard = shard_of(conversation.id, group.shards)
        moved = replace(conversation, queue=group.id, queue_shard=shard)
        tx = _Tx()
        _into_queue(tx, conversation, group, shard,
                    (ConversationItem.queue == conversation.queue) & _in_queue_as_read(conversation))
        _dequeue(tx, conversation)
        _enqueue(tx, moved, shard, room=None)
        try:
            tx.commit()
        except TransactWriteError as exc:
            raise Conflict("the conversation no longer waits there", field="conversation_id") from exc
        return moved


def _into_queue(tx: _Tx, conversation: Conversation, group: Group, shard: int, where: Condition) -> None:
    """The conversation's state names `group` and `shard` and is listed in the group's waiting index, on condition
    that it still waits and `where` holds (the update named "moved" of enqueue and move)."""
    tx.named_update(
        "moved",
        ConversationItem(_conv_pk(conversation.tenant, conversation.id), STATE),
        actions=[ConversationItem.queue.set(group.id), ConversationItem.queue_shard.set(shard),
                 ConversationItem.gsi1pk.set(_waiting_pk(conversation.tenant, group.id)),
                 ConversationItem.gsi1sk.set(_waiting_sk(conversation))],
        condition=(ConversationItem.status == ConversationStatus.WAITING.value) & where,
    )
