"""A tenant's configuration as one versioned JSON document (`guichet export` / `guichet import`), for moving it from
one stage to another (dev to prod).

The document: ``{"format": FORMAT, "version": VERSION, "tenant", "name", "settings", "routing", "agents"}`` where
`settings` is the settings' JSON (GET /settings), `routing` the routing configuration's (GET /routing), and `agents`
maps a username (the same person's login on both stages; agent ids differ) to their routing and call settings as
PUT /agents/{id}/settings takes them. An agent's own phone number is personal and stage-specific: it is not exported.

Reading it checks everything with the domain's own validators, against the document's routing (an agent's groups
and skills must exist in it); the first error raises InvalidInput whose field is the path in the document
(``settings.acceptance_seconds``, ``routing.groups``, ``agents.alice.skills.billing``).
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any

from chalicelib.domain import settings as settings_rules
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.model import Agent
from chalicelib.domain.routing import AgentSettings, RoutingConfig, agent_settings_from_json
from chalicelib.domain.routing.config import config_from_json, config_to_json
from chalicelib.domain.settings import TenantSettings

FORMAT = "guichet.tenant-config"
VERSION = 1
#: The agent settings a document carries (the flags and call settings of PUT /agents/{id}/settings, but not
#: `own_line`).
AGENT_FLAGS = ("route_first", "multi_channel", "takes_calls", "ask_line_at_login", "auto_answer",
               "auto_answer_seconds", "answer_calls", "keypad_id")


@dataclass(frozen=True)
class TenantConfig:
    """A checked document."""

    name: str
    settings: TenantSettings
    routing: RoutingConfig
    #: username -> (the settings as written in the document, checked)
    agents: Mapping[str, tuple[dict[str, Any], AgentSettings]]


def agent_to_json(agent: Agent) -> dict[str, Any]:
    return {"capacity": {"chat": agent.capacity, "call": agent.call_capacity, "email": agent.email_capacity},
            "skills": dict(sorted(agent.skills.items())), "groups": list(agent.queues),
            **{name: getattr(agent, name) for name in AGENT_FLAGS}}


def document(tenant: str, name: str, settings: TenantSettings, routing: RoutingConfig,
             agents: Mapping[str, Agent]) -> dict[str, Any]:
    """The document of a tenant; `agents` by username."""
    return {"format": FORMAT, "version": VERSION, "tenant": tenant, "name": name, "settings": settings.to_json(),
            "routing": config_to_json(routing),
            "agents": {username: agent_to_json(agents[username]) for username in sorted(agents)}}


def read(doc: object, usernames: Set[str]) -> TenantConfig:
    """The checked configuration of a document; `usernames` are the target tenant's users (an agent the document
    names must be one of them). InvalidInput naming the document's field otherwise."""
    if not isinstance(doc, dict):
        raise InvalidInput("the file must hold a JSON object", field="body")
    if doc.get("format") != FORMAT:
        raise InvalidInput(f"must be '{FORMAT}' (a file written by `guichet export`)", field="format")
    if doc.get("version") != VERSION:
        raise InvalidInput(f"this guichet reads version {VERSION}", field="version")
    unknown = set(doc) - {"format", "version", "tenant", "name", "settings", "routing", "agents"}
    if unknown:
        raise InvalidInput("unknown field", field=sorted(unknown)[0])
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        raise InvalidInput("must be the brand's name (1 to 120 characters)", field="name")
    raw_settings = doc.get("settings", {})
    with _within("settings"):
        if not isinstance(raw_settings, dict):
            raise InvalidInput("must be a JSON object", field=None)
        settings = settings_rules.from_json(raw_settings)
    with _within("routing"):
        routing = config_from_json(doc.get("routing", {}))
    raw_agents = doc.get("agents", {})
    if not isinstance(raw_agents, dict):
        raise InvalidInput("must map usernames to agent settings", field="agents")
    agents: dict[str, tuple[dict[str, Any], AgentSettings]] = {}
    keypads: dict[str, str] = {}
    for username, raw in raw_agents.items():
        if username not in usernames:
            raise InvalidInput(f"no user '{username}' in this tenant: create them first, or leave them out",
                               field=f"agents.{username}")
        with _within(f"agents.{username}"):
            if isinstance(raw, dict) and "own_line" in raw:
                raise InvalidInput("an agent's own line is not part of a configuration", field="own_line")
            checked = agent_settings_from_json(raw, routing)
        if checked.keypad_id:
            if checked.keypad_id in keypads:
                raise InvalidInput(f"also {keypads[checked.keypad_id]}'s keypad id",
                                   field=f"agents.{username}.keypad_id")
            keypads[checked.keypad_id] = username
        agents[username] = (dict(raw), checked)
    return TenantConfig(name=name.strip(), settings=settings, routing=routing, agents=agents)


class _within:
    """Prefixes the field of an InvalidInput raised inside with the document's path to it."""

    def __init__(self, path: str) -> None:
        self._path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: object) -> None:
        if isinstance(error, InvalidInput):
            inner = error.field if error.field not in (None, "body") else None
            error.field = f"{self._path}.{inner}" if inner else self._path
