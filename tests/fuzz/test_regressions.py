"""Every 5xx, crash or closed socket the fuzz (or the security review of issue 11) found, replayed as it was sent.

Each test sends the exact request against the fuzz's local stack and asserts the documented answer. Add one here,
with a sentence for a name, for each new class of failure the fuzz stage reports (with the seed that found it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from websockets.exceptions import InvalidStatus

from tests.fuzz.support import TENANT, Demo, ask, call, the_answer, ws_connect

ROOT = Path(__file__).resolve().parents[2]
NON_ASCII_TOKEN = "v1.é.x"
NESTED_5000 = "[" * 5000 + "]" * 5000
UNMAILABLE = ["a,b@example.org", "x@example.org>", "[a]@example.org"]


def _authenticated_routes() -> list[tuple[str, str]]:
    """Every route of docs/openapi.yaml that takes a bearer token, its path parameters filled in."""
    spec = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    filled = {"tenant": TENANT, "conversation_id": "c-1", "agent_id": "a-1", "contact_id": "k-1", "callback_id": "cb-1",
              "kind": "hold_music", "view": "experience", "user_id": "u-1"}
    routes = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "delete", "patch"} and operation.get("security", spec["security"]):
                routes.append((method.upper(), path.format(**filled)))
    return routes


def _error(answer: Any, status: int, field: str | None = None) -> None:
    assert answer.status == status, answer
    assert isinstance(answer.body, dict) and answer.body.get("code"), answer
    if field is not None:
        assert answer.body.get("field") == field, answer


def _frame_error(answer: dict[str, Any], code: str, field: str | None = None, request_id: Any = None) -> None:
    """An error frame with this code and field, echoing the request's id (docs/websocket.md: `id` is there when the
    request carried a valid one)."""
    assert answer.get("type") == "error" and answer.get("code") == code, answer
    if field is not None:
        assert answer.get("field") == field, answer
    if request_id is not None:
        assert answer.get("id") == request_id, answer


def _started(demo: Demo) -> tuple[str, str]:
    """A new visitor with a conversation of their own: (visitor token, conversation id)."""
    token = demo.new_visitor()
    with ws_connect(demo.url, token) as socket:
        answer = ask(socket, {"action": "start_conversation", "id": 1, "consent": True})
    assert answer["type"] == "ack", answer
    return token, str(answer["conversation"]["id"])


# --- tokens and signatures that are not ASCII -----------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), _authenticated_routes())
def test_a_bearer_token_with_non_ascii_characters_is_refused_with_401(demo: Demo, method: str, path: str) -> None:
    body = None if method == "GET" else {}
    answer = call(demo.url, method, path, body, headers={"Authorization": f"Bearer {NON_ASCII_TOKEN}".encode()})
    _error(answer, 401)


def test_a_websocket_handshake_with_a_non_ascii_token_is_refused_with_401(demo: Demo) -> None:
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(demo.url, NON_ASCII_TOKEN).close()
    assert refused.value.response.status_code == 401


def test_a_previous_visitor_token_with_non_ascii_characters_starts_a_new_visitor(demo: Demo) -> None:
    answer = call(demo.url, "POST", f"/tenants/{TENANT}/visitors", {"visitor_token": NON_ASCII_TOKEN})
    assert answer.status == 201, answer
    assert answer.body["visitor_token"].startswith("v1.") and answer.body["identified"] is False


def test_a_resume_link_with_non_ascii_characters_is_refused_with_401(demo: Demo) -> None:
    _error(call(demo.url, "POST", f"/tenants/{TENANT}/visitors", {"resume": NON_ASCII_TOKEN}), 401)


def test_a_sale_signature_with_non_ascii_characters_is_refused_with_401(demo: Demo) -> None:
    sale = {"visitor_id": demo.visitor_id, "amount": 10, "currency": "EUR", "order_id": "o-1"}
    answer = call(demo.url, "POST", f"/tenants/{TENANT}/sales", sale,
                  headers={"X-Guichet-Signature": "éééé".encode()})
    _error(answer, 401)


# --- deep nesting ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "agent"), [
    ("POST", "/auth/login", False),
    ("POST", f"/tenants/{TENANT}/visitors", False),
    ("PUT", f"/tenants/{TENANT}/settings", True),
    ("PUT", f"/tenants/{TENANT}/routing", True),
    ("POST", f"/tenants/{TENANT}/routing/preview", True),
    ("POST", f"/tenants/{TENANT}/contacts", True),
])
def test_five_thousand_nested_arrays_as_a_rest_body_are_refused_with_400(demo: Demo, method: str, path: str,
                                                                          agent: bool) -> None:
    answer = call(demo.url, method, path, token=demo.agent_token if agent else None, raw_body=NESTED_5000.encode())
    _error(answer, 400)


def test_five_thousand_nested_arrays_as_a_websocket_frame_get_an_error_frame(demo: Demo) -> None:
    nested_in_a_field = '{"action": "ping", "id": "n", "x": ' + NESTED_5000 + "}"
    with ws_connect(demo.url, demo.agent_token) as socket:
        _frame_error(the_answer(socket, NESTED_5000), "invalid_json")
        _frame_error(the_answer(socket, nested_in_a_field), "invalid_json")


# --- lone surrogates ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    ("POST", f"/tenants/{TENANT}/contacts", '{"name": "\\ud800"}', "name"),
    ("PUT", f"/tenants/{TENANT}/settings", '{"dispositions": ["\\ud800"]}', "dispositions"),
])
def test_a_lone_surrogate_in_a_rest_text_is_refused_with_400_naming_the_field(demo: Demo, method: str, path: str,
                                                                               body: str, field: str) -> None:
    answer = call(demo.url, method, path, token=demo.agent_token, raw_body=body.encode())
    _error(answer, 400)
    assert str(answer.body.get("field", "")).startswith(field), answer


def test_a_lone_surrogate_in_a_visitor_identity_is_refused_with_400_not_500(demo: Demo) -> None:
    # found by test_rest_fuzz.py (seed 4343) on the code before the boundary, which answered 500
    raw = (b'{"identity": {"external_id": "C-1234", "name": "Zo\\u00e9 Martin", "email": "zoe@example.com", '
           b'"signature": "<hex HMAC-SHA256, a\\udfffbsee docs/widget.md>"}}')
    _error(call(demo.url, "POST", f"/tenants/{TENANT}/visitors", raw_body=raw), 400, "identity.signature")


@pytest.mark.parametrize(("frame", "field"), [
    ('{{"action": "send_message", "id": 1, "conversation_id": "{c}", "client_message_id": "m-s", '
     '"text": "\\ud800"}}', "text"),
    ('{{"action": "page", "id": 1, "conversation_id": "{c}", "page": {{"url": "https://x.example/", '
     '"title": "\\ud800"}}}}', "page.title"),
    ('{{"action": "start_conversation", "id": 1, "consent": true, "visitor_name": "\\ud800"}}', "visitor_name"),
])
def test_a_lone_surrogate_in_a_text_a_name_or_a_page_title_gets_an_invalid_field_frame(demo: Demo, frame: str,
                                                                                       field: str) -> None:
    token, conversation_id = _started(demo) if "start_conversation" not in frame else (demo.new_visitor(), "")
    with ws_connect(demo.url, token) as socket:
        _frame_error(the_answer(socket, frame.format(c=conversation_id)), "invalid_field", field, request_id=1)


@pytest.mark.parametrize(("who", "frame", "field"), [
    # found by test_ws_fuzz.py: seeds 1111 and 2503259683
    ("agent", '{"action": "set_status", "id": 3, "status": "\\ud800"}', "status"),
    ("agent", '{"action": "transfer", "id": 3, "conversation_id": "c-1", "to_agent": "\\ud800\\ud800", '
              '"to_queue": "sales"}', "to_agent"),
    ("visitor", '{"action": "reject_offer", "id": 3, "conversation_id": {"\\ud800": " "}, "offer_id": "o-1"}',
     "conversation_id"),
])
def test_a_field_error_for_a_lone_surrogate_anywhere_in_a_frame_echoes_the_frames_id(demo: Demo, who: str,
                                                                                    frame: str, field: str) -> None:
    token = demo.agent_token if who == "agent" else demo.new_visitor()
    with ws_connect(demo.url, token) as socket:
        _frame_error(the_answer(socket, frame), "invalid_field", field, request_id=3)


# --- numbers with no bound ------------------------------------------------------------------------------------------


def test_a_read_mark_of_ten_to_the_fortieth_is_refused_and_every_view_still_answers(demo: Demo) -> None:
    token, conversation_id = _started(demo)
    with ws_connect(demo.url, token) as socket:
        answer = ask(socket, {"action": "read", "id": 1, "conversation_id": conversation_id, "seq": 10**40})
        _frame_error(answer, "invalid_field", "seq", request_id=1)
    waiting = call(demo.url, "GET", f"/tenants/{TENANT}/waiting", token=demo.agent_token)
    assert waiting.status == 200, waiting
    with ws_connect(demo.url, demo.new_visitor()) as socket:
        started = ask(socket, {"action": "start_conversation", "id": 2, "consent": True})
    assert started["type"] == "ack", started


# --- email addresses that cannot be mailed --------------------------------------------------------------------------


@pytest.mark.parametrize("email", UNMAILABLE)
def test_a_notification_address_that_cannot_be_mailed_is_refused(demo: Demo, email: str) -> None:
    token, conversation_id = _started(demo)
    with ws_connect(demo.url, token) as socket:
        answer = ask(socket, {"action": "set_notification", "id": 1, "conversation_id": conversation_id,
                              "email": email})
    _frame_error(answer, "invalid_field", "email", request_id=1)


@pytest.mark.parametrize("email", UNMAILABLE)
def test_a_visitor_email_that_cannot_be_mailed_is_refused_when_starting(demo: Demo, email: str) -> None:
    with ws_connect(demo.url, demo.new_visitor()) as socket:
        answer = ask(socket, {"action": "start_conversation", "id": 1, "consent": True, "visitor_email": email})
    _frame_error(answer, "invalid_field", "visitor_email", request_id=1)


# --- public routes --------------------------------------------------------------------------------------------------


def test_the_availability_of_an_unknown_tenant_is_404(demo: Demo) -> None:
    _error(call(demo.url, "GET", "/tenants/unknown/availability"), 404)


def test_a_custom_value_of_300_characters_is_refused_by_availability(demo: Demo) -> None:
    answer = call(demo.url, "GET", f"/tenants/{TENANT}/availability?custom.x={'a' * 300}")
    _error(answer, 400, "custom.x")
