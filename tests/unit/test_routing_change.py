"""A routing change that removes a group (docs/supervisor.md): which group now takes a conversation of it, and the
timer passes the change arms. The moves themselves run against moto in tests/integration/test_routing_change.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.domain import routing as policy
from chalicelib.domain.model import Conversation, PageContext, Principal, PrincipalKind, Role
from chalicelib.ports import Deps
from chalicelib.services import routing_admin
from tests.unit.fakes import FakeClock, FakeTimers, make_deps

ADMIN = Principal(tenant="demo", id="ada", kind=PrincipalKind.AGENT, roles=frozenset({Role.ADMIN}))


def config(groups: list[str], rules: list[dict[str, Any]]) -> policy.RoutingConfig:
    return policy.config_from_json({"groups": [{"id": g} for g in groups], "rules": rules})


def waiting(queue: str, rule: str, url: str = "", medium: str = "chat") -> Conversation:
    return Conversation(tenant="demo", id="c1", visitor_id="v1", created_at=FakeClock().now(), queue=queue, rule=rule,
                        page=PageContext(url=url) if url else None, medium=medium)


def test_the_group_now_taking_a_conversation_of_a_removed_group() -> None:
    now = config(["front", "back"], [{"id": "store", "groups": ["front"], "match": {"url_contains": "/shop"}},
                                     {"id": "help", "groups": ["back", "front"]}])
    taking = routing_admin.group_now_taking
    assert taking(now, waiting("front", "old")) is None  # its group is still there: it stays
    assert taking(now, waiting("gone", "help")).id == "back"  # type: ignore[union-attr]  # its rule's first group
    assert taking(now, waiting("gone", "old", "https://x.example/shop/1")).id == "front"  # type: ignore[union-attr]
    assert taking(now, waiting("gone", "old", "https://x.example/faq")).id == "back"  # type: ignore[union-attr]
    only_shop = config(["front", "back"], [{"id": "store", "groups": ["front"], "match": {"url_contains": "/shop"}}])
    assert taking(only_shop, waiting("gone", "old", "https://x.example/faq")).id == "front"  # type: ignore[union-attr]


def armed(deps: Deps) -> list[tuple[dict[str, Any], timedelta]]:
    assert isinstance(deps.timers, FakeTimers)
    start = deps.clock.now()
    return [(dict(t.payload), at - start) for t, at in deps.timers.armed if t.kind == routing_admin.REINDEX]


def test_a_change_that_removes_a_group_arms_one_more_pass_after_the_offers_it_may_have_made() -> None:
    deps = make_deps("demo")
    routing_admin.replace_routing_config(deps, ADMIN, {"groups": [{"id": "a"}, {"id": "b"}],
                                                       "rules": [{"id": "all", "groups": ["a"]}]})
    assert [after for _, after in armed(deps)] == [timedelta(seconds=15), timedelta(seconds=45)]  # "default" left
    deps.timers.armed.clear()  # type: ignore[attr-defined]
    routing_admin.replace_routing_config(deps, ADMIN, {"groups": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
                                                       "rules": [{"id": "all", "groups": ["a"]}]})
    assert [after for _, after in armed(deps)] == [timedelta(seconds=15)]  # nothing removed: one pass
    deps.timers.armed.clear()  # type: ignore[attr-defined]
    routing_admin.replace_routing_config(deps, ADMIN, {"groups": [{"id": "c"}],
                                                       "rules": [{"id": "all", "groups": ["c"]}]})
    assert armed(deps) == [({"groups": ["a", "b", "c"]}, timedelta(seconds=15)),
                           ({"groups": ["a", "b", "c"], "pass": 2}, timedelta(seconds=30 + 15))]
