"""A routing change that removes a group, against moto's server: the conversations waiting in it move to the group
that now takes them (each in one conditional transaction, at their place whatever the threshold), the timer's
passes move what came back meanwhile and nothing twice, and a held conversation released later goes there too."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.errors import Conflict
from chalicelib.domain.model import AgentStatus, Conversation, ConversationStatus, Principal, PrincipalKind, Role
from chalicelib.domain.routing import Group
from chalicelib.services import holding, offers, routing, routing_admin, supervision, timers
from tests.integration.test_routing_engine import EPOCH, configure, deps, hire, start, stored


def waiting_ids(tenant: str, group: str) -> list[str]:
    return [c.id for c in deps().conversations.waiting_in(tenant, group, 50)]


def waiting_count(tenant: str, group: Group) -> int:
    return deps().routing.counts(tenant, [group])[group.id].waiting


def reindex_timer(tenant: str, groups: list[str]) -> str:
    return json.dumps({"kind": routing_admin.REINDEX, "tenant": tenant, "groups": groups})


def supervisor(tenant: str) -> Principal:
    return Principal(tenant=tenant, id="sam", kind=PrincipalKind.AGENT, roles=frozenset({Role.SUPERVISOR}))


def test_conversations_waiting_in_a_removed_group_move_to_the_group_that_now_takes_them(tenant: str) -> None:
    configure(tenant, [{"id": "old", "threshold": 10}, {"id": "new", "threshold": 1}],
              [{"id": "all", "groups": ["old"]}])
    hire(tenant, "a1", groups=("new",), online=False)
    first, second, third = (start(tenant, f"v{n}") for n in range(3))
    assert waiting_ids(tenant, "old") == [first.id, second.id, third.id]

    configure(tenant, [{"id": "new", "threshold": 1}], [{"id": "all", "groups": ["new"]}])

    assert waiting_ids(tenant, "new") == [first.id, second.id, third.id]  # in arrival order, past the threshold
    assert all(stored(tenant, c.id).queue == "new" for c in (first, second, third))
    assert (waiting_count(tenant, Group("old")), waiting_count(tenant, Group("new", threshold=1))) == (0, 3)
    report = supervision.waiting_report(deps(), supervisor(tenant))
    assert [(row["group"], row["position"]) for row in report["waiting"]] == [("new", 1), ("new", 2), ("new", 3)]
    assert routing.pull(deps(), deps().agents.set_status(tenant, "a1", AgentStatus.AVAILABLE, EPOCH))[0].id == first.id
    assert timers.fire(deps(), reindex_timer(tenant, ["new", "old"])) is False  # the timer's pass: nothing to move


def test_the_rule_that_took_it_wins_else_the_rule_that_matches_it_now(tenant: str) -> None:
    configure(tenant, [{"id": "shop"}, {"id": "help"}, {"id": "front"}, {"id": "back"}],
              [{"id": "shop", "groups": ["shop"], "match": {"url_contains": "/shop"}},
               {"id": "help", "groups": ["help"]}])
    cart = start(tenant, "v1", page={"url": "https://brand.example/shop/cart"})
    faq = start(tenant, "v2", page={"url": "https://brand.example/faq"})
    assert (cart.queue, faq.queue) == ("shop", "help")

    configure(tenant, [{"id": "front"}, {"id": "back"}],
              [{"id": "store", "groups": ["front"], "match": {"url_contains": "/shop"}},
               {"id": "help", "groups": ["back", "front"]}])  # the rule that took the FAQ visitor is still there

    assert (stored(tenant, cart.id).queue, stored(tenant, faq.id).queue) == ("front", "back")
    configure(tenant, [{"id": "front"}, {"id": "back"}], [{"id": "help", "groups": ["back"]}])
    assert (stored(tenant, cart.id).queue, stored(tenant, faq.id).queue) == ("front", "back")  # still configured


def test_an_offer_that_ends_after_the_change_is_moved_by_the_later_pass(tenant: str) -> None:
    configure(tenant, [{"id": "old"}, {"id": "new"}], [{"id": "all", "groups": ["old"]}])
    hire(tenant, "a1", groups=("old",))
    offered = start(tenant, "v1")
    assert offered.status is ConversationStatus.OFFERED and offered.offer is not None

    configure(tenant, [{"id": "new"}], [{"id": "all", "groups": ["new"]}])
    assert stored(tenant, offered.id).status is ConversationStatus.OFFERED  # an offer runs its course
    offers.reject(deps(), Principal(tenant, "a1", PrincipalKind.AGENT), offered.id, offered.offer.id)
    assert stored(tenant, offered.id).queue == "old"  # back at its place, in a group that is gone

    assert timers.fire(deps(), reindex_timer(tenant, ["new", "old"])) is True
    assert (stored(tenant, offered.id).status, stored(tenant, offered.id).queue) == (ConversationStatus.WAITING, "new")
    assert timers.fire(deps(), reindex_timer(tenant, ["new", "old"])) is False  # delivered twice: moved once


def test_a_held_conversation_of_a_removed_group_is_released_to_the_group_that_now_takes_it(tenant: str) -> None:
    configure(tenant, [{"id": "old"}, {"id": "new"}], [{"id": "all", "groups": ["old"]}])
    hire(tenant, "a1", groups=("old",))
    offered = start(tenant, "v1")
    assert offered.offer is not None
    offers.accept(deps(), Principal(tenant, "a1", PrincipalKind.AGENT), offered.id, offered.offer.id)
    assert stored(tenant, offered.id).status is ConversationStatus.ASSIGNED

    configure(tenant, [{"id": "new"}], [{"id": "all", "groups": ["new"]}])
    released = holding.release(deps(), supervisor(tenant), offered.id)

    assert (released.status, released.queue) == (ConversationStatus.WAITING, "new")
    assert waiting_ids(tenant, "new") == [offered.id]


def test_a_move_that_lost_a_race_changes_nothing(tenant: str) -> None:
    configure(tenant, [{"id": "old"}, {"id": "new"}, {"id": "back"}], [{"id": "all", "groups": ["old"]}])
    waiting: Conversation = start(tenant, "v1")
    moved = deps().routing.move(waiting, Group("new"))
    assert (moved.queue, stored(tenant, waiting.id).queue) == ("new", "new")
    with pytest.raises(Conflict):
        deps().routing.move(waiting, Group("back"))  # read before the first move: its condition fails
    assert (waiting_count(tenant, Group("old")), waiting_count(tenant, Group("new"))) == (0, 1)

