"""The configuration document of `guichet export` / `guichet import` (domain/tenant_config.py): what it holds, and
the first wrong field named by its path in the document."""

from __future__ import annotations

import pytest

from chalicelib.domain import tenant_config
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.model import Agent
from chalicelib.domain.routing.config import config_from_json
from chalicelib.domain.settings import TenantSettings

ROUTING = {"skills": ["billing"], "groups": [{"id": "level1"}], "rules": [{"id": "all", "groups": ["level1"]}]}


def doc(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {"format": "guichet.tenant-config", "version": 1, "tenant": "dev", "name": "Acme",
                               "settings": {"acceptance_seconds": 40}, "routing": ROUTING,
                               "agents": {"alice": {"skills": {"billing": 3}, "groups": ["level1"]}}}
    return {**base, **changes}


def test_a_document_holds_the_settings_routing_and_agents_by_username_without_their_own_line() -> None:
    agent = Agent(tenant="t", id="sub-1", name="Alice", skills={"billing": 2}, own_line="+33612345678",
                  keypad_id="12", queues=("level1",))
    written = tenant_config.document("t", "Acme", TenantSettings(), config_from_json(ROUTING), {"alice": agent})
    assert (written["format"], written["version"], list(written["agents"])) == ("guichet.tenant-config", 1, ["alice"])
    assert "own_line" not in written["agents"]["alice"]
    assert written["agents"]["alice"]["keypad_id"] == "12"
    assert written["settings"] == TenantSettings().to_json()
    read = tenant_config.read(written, {"alice"})
    assert (read.settings, read.routing) == (TenantSettings(), config_from_json(ROUTING))
    assert read.agents["alice"][1].skills == {"billing": 2}


@pytest.mark.parametrize(("changes", "field"), [
    ({"format": "other"}, "format"),
    ({"version": 2}, "version"),
    ({"extra": 1}, "extra"),
    ({"name": ""}, "name"),
    ({"settings": {"acceptance_seconds": 1}}, "settings.acceptance_seconds"),
    ({"settings": []}, "settings"),
    ({"routing": {**ROUTING, "rules": []}}, "routing.rules"),
    ({"agents": {"zoe": {}}}, "agents.zoe"),
    ({"agents": {"alice": {"groups": ["level9"]}}}, "agents.alice.groups[0]"),
    ({"agents": {"alice": {"own_line": "+33612345678"}}}, "agents.alice.own_line"),
    ({"agents": {"alice": "x"}}, "agents.alice"),
])
def test_the_first_wrong_field_is_named_by_its_path(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        tenant_config.read(doc(**changes), {"alice", "bob"})
    assert refused.value.field == field


def test_two_agents_may_not_share_a_keypad_id() -> None:
    with pytest.raises(InvalidInput) as refused:
        tenant_config.read(doc(agents={"alice": {"keypad_id": "7"}, "bob": {"keypad_id": "7"}}), {"alice", "bob"})
    assert refused.value.field == "agents.bob.keypad_id"


def test_an_import_that_would_put_an_agent_on_the_desk_in_acd_mode_writes_nothing() -> None:
    """change_agent_settings refuses "desk" in ACD mode: the import finds it before its first write."""
    from chalicelib.services import tenant_config as service
    from tests.unit.fakes import make_deps

    deps = make_deps("acme")
    deps.agents.put(Agent(tenant="acme", id="sub-1", name="Alice"))
    before = deps.tenants.get("acme")
    callback = {"acd_number": "+33 1 45 55 00 00", "acd_welcome": "audio/t/acd_welcome-aaaaaaaaaaaa.wav",
                "acd_welcome_ms": 3500}
    refused = doc(settings={"callback": callback}, routing={**ROUTING, "groups": [{"id": "general"}],
                                                            "rules": [{"id": "all", "groups": ["general"]}]},
                  agents={"alice": {"answer_calls": "desk"}})
    with pytest.raises(Exception) as error:
        service.import_(deps, "acme", refused, {"alice": "sub-1"})
    assert getattr(error.value, "field", None) == "agents.alice.answer_calls"
    assert deps.tenants.get("acme") == before
    assert deps.agents.get("acme", "sub-1") == Agent(tenant="acme", id="sub-1", name="Alice")


def test_an_import_giving_an_agent_the_keypad_id_of_one_left_out_writes_nothing() -> None:
    from dataclasses import replace

    from chalicelib.services import tenant_config as service
    from tests.unit.fakes import make_deps

    deps = make_deps("acme")
    deps.agents.put(Agent(tenant="acme", id="sub-1", name="Alice"))
    deps.agents.put(replace(Agent(tenant="acme", id="sub-2", name="Bob"), keypad_id="7"))
    before = deps.tenants.get("acme")
    general = {**ROUTING, "groups": [{"id": "general"}], "rules": [{"id": "all", "groups": ["general"]}]}
    with pytest.raises(Exception) as error:
        service.import_(deps, "acme", doc(routing=general, agents={"alice": {"keypad_id": "7"}}),
                        {"alice": "sub-1", "bob": "sub-2"})
    assert getattr(error.value, "field", None) == "agents.alice.keypad_id"
    assert deps.tenants.get("acme") == before
    assert service.import_(deps, "acme", doc(routing=general, agents={"alice": {"keypad_id": "8"}}),
                           {"alice": "sub-1", "bob": "sub-2"}) == ["settings", "routing", "agents.alice"]
    assert deps.agents.get("acme", "sub-1").keypad_id == "8"  # type: ignore[union-attr]
