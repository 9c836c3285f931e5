"""The published API docs cover what the code serves, and their examples have the shapes the code emits."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

import app
from chalicelib import ws
from chalicelib.domain.model import Agent, Conversation, Message, Offer, PageContext, PrincipalKind, Sender
from chalicelib.domain.settings import TenantSettings
from chalicelib.rest.http import STATUS_BY_CODE
from chalicelib.services import frames

DOCS = Path(__file__).resolve().parents[2] / "docs"
OPENAPI = DOCS / "openapi.yaml"
WEBSOCKET = DOCS / "websocket.md"

#: Every frame type the server sends (chalicelib/ws.py, services/{conversations,routing,offers,agents,
#: queue_position}.py).
SERVER_FRAME_TYPES = [
    "message", "offer", "offer.withdrawn", "conversation.assigned", "conversation.updated", "conversation.closed",
    "conversation.dissuaded", "conversation.rated", "queue.position", "typing", "agent.status", "pong", "ack", "error",
    "callback.updated", "board", "settings.updated",
]
#: Frames that carry the visitor's subset of a conversation (frames.for_visitor), and the frames whose
#: conversation carries `last_seq`.
VISITOR_CONVERSATION_FRAMES = {"conversation.updated", "conversation.closed", "conversation.dissuaded"}
VISITOR_CONVERSATION_ACKS = {"start_conversation"}
LAST_SEQ_FRAMES = {"offer", "conversation.assigned"}
CLIENT_ACTIONS = ["ping", *ws.ACTIONS]
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

_NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
MESSAGE_KEYS = set(frames.message(Message("t", "c", 1, "m", Sender(PrincipalKind.VISITOR, "v"), "hi", _NOW)))
_CONVERSATION = Conversation("t", "c", "v", _NOW, page=PageContext("https://x"))
CONVERSATION_KEYS = set(frames.conversation(_CONVERSATION))
VISITOR_CONVERSATION_KEYS = set(frames.for_visitor(_CONVERSATION))
OFFER_KEYS = set(frames.offer(replace(_CONVERSATION, offer=Offer("o", "a", _NOW)), reject_allowed=True))
AGENT_KEYS = set(frames.agent(Agent("t", "a", "Ann")))


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def guide() -> str:
    return WEBSOCKET.read_text(encoding="utf-8")


def _app_routes() -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, methods in app.app.routes.items() for method in methods}


def _spec_routes(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in (spec.get("paths") or {}).items()
        for method in item
        if method in HTTP_METHODS
    }


def test_openapi_documents_every_route_the_app_serves(spec: dict[str, Any]) -> None:
    missing = sorted(_app_routes() - _spec_routes(spec))
    assert not missing, "docs/openapi.yaml lacks these app.py routes: " + ", ".join(f"{m} {p}" for p, m in missing)


def test_openapi_documents_no_route_the_app_lacks(spec: dict[str, Any]) -> None:
    extra = sorted(_spec_routes(spec) - _app_routes())
    assert not extra, "docs/openapi.yaml documents routes app.py does not serve: " + ", ".join(
        f"{m} {p}" for p, m in extra
    )


def test_openapi_is_a_valid_openapi_3_document(spec: dict[str, Any]) -> None:
    assert str(spec.get("openapi", "")).startswith("3."), "docs/openapi.yaml must be OpenAPI 3"
    validate(spec)


def test_openapi_error_codes_are_the_ones_app_maps_to_statuses(spec: dict[str, Any]) -> None:
    documented = set(spec["components"]["schemas"]["Error"]["properties"]["code"]["enum"])
    assert documented == set(STATUS_BY_CODE), (
        f"Error.code enum in docs/openapi.yaml {sorted(documented)} != STATUS_BY_CODE {sorted(STATUS_BY_CODE)}"
    )


@pytest.mark.parametrize(("schema", "keys"), [
    # An agent's REST view of a callback's call adds `callback` (rest/desk.py `_with_call`).
    ("Message", MESSAGE_KEYS), ("Conversation", CONVERSATION_KEYS | {"callback"}), ("Agent", AGENT_KEYS),
    ("VisitorConversation", VISITOR_CONVERSATION_KEYS), ("TenantSettings", set(TenantSettings().to_json())),
    ("WidgetSettings", set(TenantSettings().public()) | {"brand"}),  # services/tenants.widget_settings
])
def test_openapi_schemas_have_the_fields_the_code_emits(spec: dict[str, Any], schema: str, keys: set[str]) -> None:
    documented = set(spec["components"]["schemas"][schema]["properties"])
    assert documented == keys, (
        f"components.schemas.{schema} in docs/openapi.yaml: missing {sorted(keys - documented)}, "
        f"not emitted by frames.py {sorted(documented - keys)}"
    )


def _documented_names(guide: str) -> set[str]:
    """Names written as a code span anywhere, or as the text of a heading."""
    spans = set(re.findall(r"`([^`\n]+)`", guide))
    headings = {m.strip().strip("`") for m in re.findall(r"^#{1,6}\s+(.+)$", guide, flags=re.MULTILINE)}
    return spans | headings


def test_websocket_guide_documents_every_client_action(guide: str) -> None:
    names = _documented_names(guide)
    missing = [a for a in CLIENT_ACTIONS if a not in names]
    assert not missing, f"docs/websocket.md does not document these actions (heading or `code span`): {missing}"
    headings = set(re.findall(r"^###\s+`([^`]+)`\s*$", guide, flags=re.MULTILINE))
    no_section = [a for a in CLIENT_ACTIONS if a not in headings]
    assert not no_section, f"docs/websocket.md has no '### `action`' section for: {no_section}"


def test_websocket_guide_documents_every_server_frame_type(guide: str) -> None:
    names = _documented_names(guide)
    missing = [t for t in SERVER_FRAME_TYPES if t not in names]
    assert not missing, f"docs/websocket.md does not document these server frame types: {missing}"


def _json_examples(guide: str) -> list[dict[str, Any]]:
    blocks = re.findall(r"```json\n(.*?)```", guide, flags=re.DOTALL)
    examples = []
    for block in blocks:
        try:
            examples.append(json.loads(block))
        except ValueError as exc:
            pytest.fail(f"a ```json example in docs/websocket.md does not parse ({exc}):\n{block}")
    return examples


def test_websocket_guide_shows_an_example_of_every_frame_type(guide: str) -> None:
    shown = {e.get("type") for e in _json_examples(guide)}
    missing = [t for t in SERVER_FRAME_TYPES if t not in shown]
    assert not missing, f"docs/websocket.md has no ```json example of these server frames: {missing}"


def _shape_errors(example: dict[str, Any]) -> list[str]:
    errors = []
    if "action" in example and example["action"] not in CLIENT_ACTIONS:
        errors.append(f"unknown action {example['action']!r}")
    if "type" in example and example["type"] not in SERVER_FRAME_TYPES:
        errors.append(f"unknown frame type {example['type']!r}")
    messages = [example["message"]] if isinstance(example.get("message"), dict) else []
    messages += example.get("messages") or []
    for message in messages:
        if set(message) != MESSAGE_KEYS:
            errors.append(f"message keys {sorted(message)} != frames.message {sorted(MESSAGE_KEYS)}")
    conversation = example.get("conversation")
    if conversation is not None:
        if example.get("type") in VISITOR_CONVERSATION_FRAMES or (
                example.get("type") == "ack" and example.get("action") in VISITOR_CONVERSATION_ACKS):
            expected, source = VISITOR_CONVERSATION_KEYS, "frames.for_visitor"
        else:
            expected, source = CONVERSATION_KEYS, "frames.conversation"
            if example.get("type") in LAST_SEQ_FRAMES:
                expected = expected | {"last_seq"}
        if set(conversation) != expected:
            errors.append(f"conversation keys {sorted(conversation)} != {source} {sorted(expected)}")
    offer = example.get("offer")
    if example.get("type") == "offer" and (not isinstance(offer, dict) or set(offer) != OFFER_KEYS):
        errors.append(f"offer keys {sorted(offer or {})} != frames.offer {sorted(OFFER_KEYS)}")
    agent = example.get("agent")
    if agent is not None and set(agent) != AGENT_KEYS:
        errors.append(f"agent keys {sorted(agent)} != frames.agent {sorted(AGENT_KEYS)}")
    if example.get("type") == "ack" and "action" not in example:
        errors.append("an ack names its action")
    if example.get("type") == "error" and not {"code", "message"} <= set(example):
        errors.append("an error frame has code and message")
    return errors


def test_websocket_examples_have_the_shapes_the_code_emits(guide: str) -> None:
    wrong = {json.dumps(e)[:80]: errs for e in _json_examples(guide) if (errs := _shape_errors(e))}
    assert not wrong, f"docs/websocket.md examples disagree with chalicelib/services/frames.py: {wrong}"
