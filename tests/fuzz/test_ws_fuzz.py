"""Hypothesis on WebSocket frames, sent by a visitor and by an agent (ada) over real connections to the fuzz's stack.

Frames are built from the documented actions (docs/websocket.md) with arbitrary JSON in their fields (deep nesting,
huge integers, floats, NaN and Infinity, lone surrogates written raw in the JSON text, long strings), known ids half
of the time so that actions get past `not_found`; and raw text that is not JSON. Property: every frame gets exactly
one answer (an `ack`, a `pong`, or an error frame with a documented code, echoing a valid `id`), the connection
stays open, and the stack logs no handler failure."""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, given, seed, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from tests.fuzz.support import REACHED, SEED, WS_ERROR_CODES, Demo, Raw, ask, next_answer, render, ws_connect

#: Frames per connection; 10 to 30 s for both on 2 cores, depending on the load (GUICHET_FUZZ_FRAMES changes it).
FRAMES = int(os.environ.get("GUICHET_FUZZ_FRAMES", "400"))
MAX_FRAME_BYTES = 32 * 1024  # a bigger frame is API Gateway's to refuse (it closes the connection, code 1009)
MAX_ID_CHARS = 64


def plain_json(value: Any) -> bool:
    """Whether `value` (parsed) is JSON the boundary reads: no NaN or Infinity, at most 16 levels deep (lone
    surrogates are fine: they are refused as fields, with the frame's id)."""
    def walk(node: Any, depth: int) -> bool:
        if depth > 16 or (isinstance(node, float) and not math.isfinite(node)):
            return False
        if isinstance(node, list):
            return all(walk(item, depth + 1) for item in node)
        if isinstance(node, dict):
            return all(walk(item, depth + 1) for item in node.values())
        return True
    return walk(value, 1)


def has_lone_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


# --- values ---------------------------------------------------------------------------------------------------------

ANY_CHAR = st.characters(exclude_categories=())  # lone surrogates included
EDGE_LENGTHS = [40, 41, 63, 64, 65, 120, 121, 128, 129, 200, 201, 254, 255, 320, 321, 512, 513, 1000, 1001, 1940,
                1941, 2048, 2049, 4000, 4001, 8000]
LONG = st.tuples(st.sampled_from(["a", "é", "😀", " ", "\ud800", "<b>"]), st.sampled_from(EDGE_LENGTHS)).map(
    lambda pair: pair[0] * pair[1])
WORDS = st.sampled_from([
    "", " ", "\x00", "\ud800", "a\udfff", "😀", "<script>alert(1)</script>", "default", "demo", "3h", "24h",
    "available", "away", "offline", "case", "draft", "2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z",
    "2026-11-23T08:00:00+01:00", "zoe@example.org", "a,b@example.org", "x@example.org>", "[a]@example.org",
    "https://shop.example/cart", "https://evil.example/login", "javascript:alert(1)", "../../etc/passwd",
])
TEXT = st.one_of(st.text(ANY_CHAR, max_size=20), LONG, WORDS)
INTEGER = st.one_of(st.integers(), st.sampled_from([0, -1, 1, 5, 15, 16, 200, 201, 2**31 - 1, 2**31, 2**53 + 1, 2**63,
                                                   10**40, -(10**40), 10**300]))
LITERAL = st.sampled_from(["1e400", "-1e400", "1E+999", "NaN", "Infinity", "-Infinity", "-0", "1.0e-400",
                           "123456789012345678901234567890123456789012345678901234567890123456789"]).map(Raw)
NESTED = st.sampled_from([15, 16, 17, 40, 1000, 5000]).map(lambda depth: Raw("[" * depth + "]" * depth))
SCALAR = st.one_of(st.none(), st.booleans(), INTEGER, st.floats(allow_nan=False, allow_infinity=False), TEXT)
ANY_JSON = st.one_of(
    st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
                 max_leaves=12),
    LITERAL, NESTED, st.floats())

#: Ids that exist on the stack (the conversations of the fuzz's visitor), filled in by the `sockets` fixture.
CONVERSATIONS: list[str] = []
CONVERSATION_ID = st.deferred(lambda: st.sampled_from(CONVERSATIONS or ["c-1"]))
MESSAGE_ID = st.from_regex(r"[A-Za-z0-9_.:-]{1,64}", fullmatch=True)
PLAIN = st.text(st.characters(codec="utf-8"), min_size=1, max_size=30)
SMALL = st.integers(0, 20)

#: For each field, values that the documentation accepts, or nearly (an action gets past validation with them).
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "conversation_id": CONVERSATION_ID,
    "client_message_id": MESSAGE_ID,
    "text": st.one_of(PLAIN, st.just("Hello")),
    "after_seq": SMALL,
    "seq": SMALL,
    "limit": SMALL,
    "page": st.fixed_dictionaries({"url": st.sampled_from(["https://shop.example/cart", "https://shop.example/"])},
                                  optional={"title": PLAIN}),
    "visitor_name": PLAIN,
    "visitor_email": st.sampled_from(["zoe@example.org", "a.b+c@shop.example"]),
    "email": st.sampled_from(["zoe@example.org", "", None]),
    "message": st.fixed_dictionaries({"client_message_id": MESSAGE_ID, "text": PLAIN}),
    "identity": st.fixed_dictionaries({"external_id": PLAIN, "name": PLAIN, "email": st.just("zoe@example.org"),
                                       "signature": st.text("0123456789abcdef", min_size=64, max_size=64)}),
    "custom": st.dictionaries(st.from_regex(r"[a-z]{1,10}", fullmatch=True), st.one_of(PLAIN, SMALL, st.booleans()),
                              max_size=3),
    "queue": st.sampled_from(["default", "sales"]),
    "skill": st.fixed_dictionaries({"skill": st.sampled_from(["billing", "french"]), "min_level": st.integers(1, 5)}),
    "consent": st.just(True),
    "status": st.sampled_from(["available", "away", "offline"]),
    "on": st.booleans(),
    "typing": st.booleans(),
    "enabled": st.booleans(),
    "keep": st.booleans(),
    "offer_id": st.sampled_from(["o-1", "o-2"]),
    "disposition": st.sampled_from(["Resolved", "Sale", ""]),
    "notes": PLAIN,
    "saved_as": st.sampled_from(["case", "draft"]),
    "contact_id": st.sampled_from(["k-1"]),
    "duration": st.sampled_from(["3h", "24h"]),
    "until": st.sampled_from(["2026-11-23T08:00:00Z", "2099-01-01T00:00:00Z"]),
    "to_agent": st.sampled_from(["a-1"]),
    "to_queue": st.sampled_from(["default", "sales"]),
    "to_number": st.sampled_from(["+33145678901", "01 45 67 89 01", "+33899123456", "not a number"]),
    "note": PLAIN,
    "answer_calls": st.sampled_from(["line", "desk", "phone"]),
    "agent_id": st.sampled_from(["a-1", "nobody"]),
}
HOSTILE = st.one_of(TEXT, INTEGER, ANY_JSON)
ACTIONS: dict[str, list[str]] = {
    "ping": [],
    "start_conversation": ["page", "visitor_name", "visitor_email", "message", "identity", "custom", "queue", "skill",
                           "consent"],
    "send_message": ["conversation_id", "client_message_id", "text", "after_seq"],
    "sync": ["conversation_id", "after_seq", "limit"],
    "typing": ["conversation_id", "typing"],
    "read": ["conversation_id", "seq"],
    "page": ["conversation_id", "page"],
    "set_notification": ["conversation_id", "email", "enabled"],
    "set_status": ["status"],
    "switch_queue": ["queue", "on"],
    "accept_offer": ["conversation_id", "offer_id"],
    "reject_offer": ["conversation_id", "offer_id"],
    "close_conversation": ["conversation_id", "disposition", "notes", "saved_as", "contact_id"],
    "snooze": ["conversation_id", "duration", "until", "keep"],
    "transfer": ["conversation_id", "to_agent", "to_queue"],
    "block_visitor": ["conversation_id"],
    # The call card's controls and the softphone (issue 14): on a chat's conversation they answer an error frame.
    "hold_call": ["conversation_id"],
    "resume_call": ["conversation_id"],
    "transfer_call": ["conversation_id", "to_queue", "to_agent"],
    "requalify_call": ["conversation_id", "to_queue", "note"],
    "consult_call": ["conversation_id", "to_agent", "to_number"],
    "end_consult": ["conversation_id"],
    "conference_call": ["conversation_id"],
    "transfer_out": ["conversation_id", "to_number"],
    "start_recording": ["conversation_id"],
    "pause_recording": ["conversation_id"],
    "resume_recording": ["conversation_id"],
    "join_call": ["conversation_id"],
    "set_answer_calls": ["answer_calls"],
    # The live Production board and forcing a status (issue 15): supervisors' actions, refused to others.
    "watch_board": [],
    "unwatch_board": [],
    "set_agent_status": ["agent_id", "status"],
}
#: The call actions an agent sends (`test_the_fuzz_knows_every_action`: every action of ws.py is fuzzed).
CALL_ACTIONS = ["hold_call", "resume_call", "transfer_call", "requalify_call", "consult_call", "end_consult",
                "conference_call", "transfer_out", "start_recording", "pause_recording", "resume_recording",
                "join_call", "set_answer_calls"]
REQUEST_ID = st.one_of(st.integers(0, 1000), st.text(ANY_CHAR, max_size=70), INTEGER, ANY_JSON)


OWN_ACTIONS = {
    "visitor": ["ping", "start_conversation", "send_message", "sync", "typing", "read", "page", "set_notification"],
    "agent": ["ping", "send_message", "sync", "typing", "set_status", "switch_queue", "accept_offer", "reject_offer",
              "close_conversation", "snooze", "transfer", "block_visitor", *CALL_ACTIONS, "watch_board",
              "unwatch_board", "set_agent_status"],
}


@st.composite
def documented_frame(draw: st.DrawFn, who: str) -> dict[str, Any]:
    """One documented action (the caller's own three times in four): every field plausible half of the time; one
    field hostile or left out three times in ten; else hostile in every part (the action, any field, fields left
    out, unknown fields)."""
    action = draw(st.sampled_from(OWN_ACTIONS[who] if draw(st.integers(0, 3)) else sorted(ACTIONS)))
    mode = draw(st.sampled_from(["clean"] * 5 + ["one"] * 3 + ["wild"] * 2))
    frame: dict[str, Any] = {"action": action if mode != "wild" else draw(st.one_of(st.just(action), ANY_JSON))}
    if draw(st.integers(0, 4)):
        frame["id"] = draw(REQUEST_ID if mode == "wild" else st.integers(0, 1000) | MESSAGE_ID)
    names = ACTIONS[action]
    hostile = draw(st.sampled_from(names)) if mode == "one" and names else None
    for name in names:
        if mode == "wild" and not draw(st.integers(0, 3)):
            continue
        wild = name == hostile or (mode == "wild" and draw(st.booleans()))
        if wild and not draw(st.integers(0, 5)):
            continue  # left out
        frame[name] = draw(HOSTILE if wild else PLAUSIBLE[name])
    if mode == "wild":
        frame.update(draw(st.dictionaries(TEXT, ANY_JSON, max_size=2)))
    return frame


RAW_TEXT = st.one_of(
    st.text(ANY_CHAR.filter(lambda c: not 0xD800 <= ord(c) <= 0xDFFF), max_size=50),
    st.sampled_from(['{"action": "ping", "id": 1', "[]", "1", "null", '"ping"', "{}", '{"action": "ping"}{}',
                     '{"action": "ping", "id": 1, "id": 2}', "{'action': 'ping'}", "\ufeff{}", '{"id": NaN}']),
)


def frames(who: str) -> st.SearchStrategy[Any]:
    """A frame of a visitor or an agent: raw text one time in six, else a documented action."""
    return st.integers(0, 5).flatmap(lambda n: RAW_TEXT if n == 5 else documented_frame(who))


# --- the property ---------------------------------------------------------------------------------------------------


@dataclass
class Speaker:
    who: str
    socket: ClientConnection
    sent: int = 0


def parsed(text: str) -> Any:
    """What the server reads from the frame's text (Python's json, as the handler's), or None if it is not JSON."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def must_echo(frame: Any) -> bool:
    """Whether the answer must carry the frame's id: a valid id (a string or an integer of at most 64 characters)
    in a JSON object that parses."""
    if not isinstance(frame, dict) or not plain_json(frame) or "id" not in frame:
        return False
    request_id = frame["id"]
    if isinstance(request_id, str):
        return len(request_id) <= MAX_ID_CHARS and not has_lone_surrogate(request_id)
    return isinstance(request_id, int) and not isinstance(request_id, bool) and len(str(request_id)) <= MAX_ID_CHARS


def check_one_answer(speaker: Speaker, frame: Any) -> None:
    text = frame if isinstance(frame, str) else render(frame)
    assume(len(text.encode("utf-8", "surrogatepass")) <= MAX_FRAME_BYTES)
    try:
        exchange(speaker, frame, text)
    except ConnectionClosed as closed:
        raise AssertionError(f"the connection closed ({closed}); frame sent: {text[:3000]!r}") from closed


def exchange(speaker: Speaker, frame: Any, text: str) -> None:
    sent = f"frame sent (replay it in tests/fuzz/test_regressions.py): {text[:3000]!r}"
    speaker.socket.send(text)
    answer = next_answer(speaker.socket)
    assert "type" in answer, f"the handler failed: {answer}; {sent}"
    if answer["type"] == "error":
        assert answer.get("code") in WS_ERROR_CODES, f"undocumented error {answer}; {sent}"
        assert isinstance(answer.get("message"), str), f"no message: {answer}; {sent}"
        assert isinstance(answer.get("field", ""), str), f"a field that is not a name: {answer}; {sent}"
    REACHED[f"ws {speaker.who} {answer.get('action') or answer.get('code') or answer['type']}"] += 1
    value = parsed(text)
    if must_echo(value):
        assert "id" in answer and answer["id"] == value["id"] and type(answer["id"]) is type(value["id"]), \
            f"the id is not echoed: {answer}; {sent}"
    elif answer.get("id") is not None:
        assert isinstance(value, dict) and answer["id"] == value.get("id"), f"another id: {answer}; {sent}"
    speaker.sent += 1
    check = f"fuzz-check-{speaker.sent}"
    speaker.socket.send(json.dumps({"action": "ping", "id": check}))
    after = next_answer(speaker.socket)  # a second answer to `frame` would come before the pong
    assert after == {"type": "pong", "id": check}, f"a second answer, or none to the next ping: {after}; {sent}"


@pytest.fixture(scope="module")
def sockets(demo: Demo) -> Iterator[dict[str, Speaker]]:
    """A visitor with an open conversation and ada, Available, holding it, each on one connection kept for every
    frame (it must stay open), on the demo tenant as the stack started."""
    demo.restore()
    with ws_connect(demo.url, demo.new_visitor()) as visitor, ws_connect(demo.url, demo.agent_token) as agent:
        assert ask(agent, {"action": "set_status", "id": "a", "status": "available"})["type"] == "ack"
        started = ask(visitor, {"action": "start_conversation", "id": "s", "consent": True})
        assert started["type"] == "ack", started
        CONVERSATIONS[:] = [started["conversation"]["id"], demo.conversation_id, *accept_offers(agent)]
        offset = demo.log_size()
        yield {"visitor": Speaker("visitor", visitor), "agent": Speaker("agent", agent)}
        assert not demo.failures_logged_since(offset), demo.failures_logged_since(offset)[-5000:]


def accept_offers(agent: ClientConnection) -> list[str]:
    """Accept what is offered to the agent within a second of going Available: the ids of the accepted."""
    offers = []
    with contextlib.suppress(TimeoutError):
        while True:
            frame = json.loads(agent.recv(timeout=1))
            if frame.get("type") == "offer":
                offers.append(frame["offer"])
    accepted = []
    for offer in offers:
        answer = ask(agent, {"action": "accept_offer", "id": offer["id"], "conversation_id": offer["conversation_id"],
                             "offer_id": offer["id"]})
        if answer["type"] == "ack":
            accepted.append(offer["conversation_id"])
    return accepted


def _bounded(test: Any) -> Any:
    return seed(SEED)(settings(max_examples=FRAMES, deadline=None, database=None,
                               suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])(test))


@_bounded
@given(frame=frames("visitor"))
def test_every_frame_of_a_visitor_gets_exactly_one_documented_answer(sockets: dict[str, Speaker], frame: Any) -> None:
    check_one_answer(sockets["visitor"], frame)


@_bounded
@given(frame=frames("agent"))
def test_every_frame_of_an_agent_gets_exactly_one_documented_answer(sockets: dict[str, Speaker], frame: Any) -> None:
    check_one_answer(sockets["agent"], frame)


def test_the_fuzz_knows_every_action() -> None:
    """A new WebSocket action is fuzzed from the day it exists."""
    from chalicelib import ws

    assert {"ping", *ws.ACTIONS} == set(ACTIONS)
