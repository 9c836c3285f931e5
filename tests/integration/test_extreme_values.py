"""Nothing stored can break a read (issue 11).

For every value a client can store (message text, names, emails, page, custom data, identity, read marks, close notes
and dispositions, contacts, settings, routing), the scene of tests/integration/extremes.py stores the extreme values
the boundary accepts through the real Lambda handlers on moto's server: the longest (exactly the limit), the widest
Unicode (4-byte UTF-8, combining marks, right-to-left overrides, joiners), control characters and NUL, HTML-looking
text, the largest numbers (read marks of 2^31-1, the top of every range) and the empty or minimal value. These tests
read every view that shows those values (the desk's lists, the supervisor views, transcripts in both formats, the
notification email, the visitor's history, availability, settings and routing, the WebSocket pushes) and check that
each answers with exactly what was stored.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib.domain.model import Role
from chalicelib.services import notifications
from tests.integration.conftest import ROOT, Stack
from tests.integration.extremes import (
    EXTREMES,
    FLOOD_TEXT,
    IDS,
    MAX_SEQ,
    MAX_TEXT,
    SITE_URL,
    WIDE,
    WITH_EMAIL,
    Extreme,
    RecordedTimers,
    Scene,
    as_bytes,
    built_scene,
    disposition_of,
    fill,
    login_user,
    stripped,
)
from tests.integration.mailbox import part, sent_to

PUSH_LIMIT = 128 * 1024  # API Gateway's PostToConnection refuses a bigger frame (PayloadTooLargeException)


@pytest.fixture(scope="module")
def scene(stack: Stack) -> Iterator[Scene]:
    with built_scene(stack) as built:
        yield built


def visitor_view_of(kind: Extreme) -> dict[str, Any]:
    """The visitor as agents see it: the signed identity's name and email win over what the widget said."""
    return {"name": kind.identity["name"], "email": kind.stored_email, "external_id": kind.identity["external_id"],
            "verified": True}


def size(frame: dict[str, Any]) -> int:
    """The bytes of a pushed frame as adapters/push.py encodes it."""
    return len(json.dumps(frame, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


# ---------------------------------------------------------------------------------------------------------------
# Settings and routing


def test_the_longest_settings_read_back_as_stored_by_agents_and_the_widget(scene: Scene) -> None:
    expected = {**scene.settings, "dispositions": [stripped(d) for d in scene.settings["dispositions"]]}
    for answer in (scene.put_answers["settings"], scene.ok("get", "/settings", scene.agent_token)):
        assert {k: answer[k] for k in scene.settings} == expected
    widget = scene.ok("get", "/widget", visitor=True)
    assert widget["texts"] == scene.settings["texts"] and widget["logo_url"] == scene.settings["logo_url"]


def test_a_disposition_set_with_surrounding_whitespace_is_kept_trimmed_so_a_chat_can_close_with_it(
        scene: Scene) -> None:
    control = next(e for e in EXTREMES if e.id == "control-characters")
    assert control.text(80) != stripped(control.text(80))  # it ends with \x0b, which str.strip() removes
    assert stripped(control.text(80)) in scene.ok("get", "/settings", scene.agent_token)["dispositions"]
    record = scene.ok("get", f"/contacts/{scene.stored[control.id].contact_id}", scene.agent_token)
    assert [c["disposition"] for c in record["cases"]] == [stripped(control.text(80))]


def test_the_largest_routing_reads_back_as_stored(scene: Scene) -> None:
    answer = scene.ok("get", "/routing", scene.admin_token)
    assert answer == scene.put_answers["routing"]
    assert (len(answer["groups"]), len(answer["rules"]), len(answer["skills"])) == (200, 200, 200)
    assert answer["groups"] == scene.routing["groups"] and answer["skills"] == scene.routing["skills"]
    for sent, read in zip(scene.routing["rules"], answer["rules"], strict=True):
        assert (read["name"], read["groups"], read["match"]) == (sent.get("name", sent["id"]), sent["groups"],
                                                                 sent.get("match", {}))


def test_the_widest_settings_and_routing_a_body_holds_fit_one_tenant_item(stack: Stack, tenant: str) -> None:
    """Each body within its 128 KB of 4-byte characters: stored as escaped JSON (12 bytes an emoji), the two made an
    item over DynamoDB's 400 KB, and PUT routing answered 500."""
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        other = Scene(client.http, tenant, stack.connections, RecordedTimers())
        admin = login_user(other, "Ada", Role.AGENT, Role.ADMIN)
        settings = {"canned_answers": [{"title": fill(WIDE, 80), "text": fill(WIDE, MAX_TEXT)} for _ in range(16)]}
        groups = [{"id": f"g{n:02d}", "name": fill(WIDE, 120), "threshold": 100_000, "shards": 16} for n in range(36)]
        rules = [{"id": f"r{n:03d}", "name": fill(WIDE, 120), "groups": ["g00"]} for n in range(200)]
        for path, body in (("/settings", settings), ("/routing", {"groups": groups, "rules": rules})):
            assert 120 * 1024 < len(json.dumps(body, ensure_ascii=False).encode()) <= 128 * 1024
            other.ok("put", path, admin, body)
        assert other.ok("get", "/settings", admin)["canned_answers"] == settings["canned_answers"]
        read = other.ok("get", "/routing", admin)
        assert [g["name"] for g in read["groups"]] == [g["name"] for g in groups]
        assert [r["name"] for r in read["rules"]] == [r["name"] for r in rules]


def test_an_agent_in_the_most_ready_lists_reads_back_and_is_listed(scene: Scene) -> None:
    settings = scene.ok("get", f"/agents/{scene.agent_id}/settings", scene.admin_token)
    assert settings == {**scene.put_answers["agent"], "status": "available", "active": settings["active"],
                        "status_since": settings["status_since"]}  # the agent went Available after the PUT
    assert settings["capacities"] == {"chat": 50, "call": 50, "email": 50} and len(settings["skills"]) == 14
    assert settings["active"] == 1 + len(EXTREMES)  # the flood and each kind's desk conversation
    directory = scene.ok("get", "/agents", scene.admin_token)["agents"]
    assert {"id": scene.agent_id, "name": "Ann", "status": "available", "queues": ["desk"],
            "takes_calls": scene.put_answers["agent"]["takes_calls"]} in directory


# ---------------------------------------------------------------------------------------------------------------
# The desk and the supervisor views


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_the_desk_list_shows_each_extreme_conversation_as_stored(scene: Scene, kind: Extreme) -> None:
    stored = scene.stored[kind.id]
    listed = {c["id"]: c for c in scene.ok("get", "/conversations", scene.agent_token)["conversations"]}
    mine = listed[stored.desk_id]
    assert mine["status"] == "assigned" and mine["custom"] == kind.stored_custom
    assert {k: v for k, v in mine["visitor"].items() if k != "ip"} == visitor_view_of(kind)
    assert mine["page"] == kind.page(3)
    assert stored.snoozed_id not in listed and stored.closed_id not in listed
    assert scene.ok("get", f"/conversations/{stored.desk_id}", scene.agent_token) == mine


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_the_messages_read_back_every_text_for_both_sides(scene: Scene, kind: Extreme) -> None:
    stored = scene.stored[kind.id]
    for token in (scene.agent_token, stored.visitor_token):
        path = f"/conversations/{stored.desk_id}/messages"
        messages = scene.ok("get", path, token, visitor=True, query={"after_seq": "0", "limit": "200"})["messages"]
        assert [m["text"] for m in messages] == stored.desk_texts
        assert [m["sender"]["kind"] for m in messages] == ["visitor", "agent", "agent"]
        assert scene.ok("get", path, token, visitor=True, query={"after_seq": str(MAX_SEQ)}) == {"messages": []}


@pytest.mark.parametrize("fmt", ["text", "html"])
@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_the_transcript_holds_every_text_escaped_in_html(scene: Scene, kind: Extreme, fmt: str) -> None:
    stored = scene.stored[kind.id]
    for token, conversation_id, texts in ((scene.agent_token, stored.desk_id, stored.desk_texts),
                                          (stored.visitor_token, stored.closed_id, stored.closed_texts)):
        answer = scene.request("get", f"/conversations/{conversation_id}/transcript", token, visitor=True,
                               query={"format": fmt})
        assert answer.status_code == 200, answer.body[:300]
        assert answer.headers["Content-Type"] == f"text/{'html' if fmt == 'html' else 'plain'}; charset=utf-8"
        body = as_bytes(answer.body).decode("utf-8")
        shown = html.escape(texts[0]) if fmt == "html" else texts[0]
        assert body.count(shown) == len(texts)
        if fmt == "html":
            assert "<script>" not in body and "<img" not in body


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_the_waiting_view_shows_each_waiting_extreme_with_its_rule(scene: Scene, kind: Extreme) -> None:
    report = scene.ok("get", "/waiting", scene.admin_token)
    row = {r["conversation_id"]: r for r in report["waiting"]}[scene.stored[kind.id].wait_id]
    n = IDS.index(kind.id)
    assert (row["group"], row["rule"], row["rule_name"]) == ("nobody", f"extreme-{n}", kind.text(120))
    assert row["visitor_name"] == stripped(kind.text(120)) and row["page_url"] == kind.page(4)["url"]
    assert row["position"] == n + 1 and row["stuck"]["reason"] == "no_eligible_agent_online"
    assert row["skill"] == ({"skill": scene.routing["skills"][-1], "min_level": 5} if n == 0 else None)
    nobody = next(g for g in report["groups"] if g["id"] == "nobody")
    assert (nobody["waiting"], nobody["threshold"]) == (len(EXTREMES) + 1, 100_000)


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_the_held_views_show_the_desk_and_snoozed_extremes(scene: Scene, kind: Extreme) -> None:
    stored = scene.stored[kind.id]
    held = {c["id"]: c for c in scene.ok("get", "/held", scene.admin_token)["conversations"]}
    assert held[stored.desk_id]["status"] == "assigned" and held[stored.desk_id]["agent_connected"] is True
    assert held[stored.desk_id]["custom"] == kind.stored_custom and held[stored.desk_id]["page"] == kind.page(3)
    snoozed = held[stored.snoozed_id]
    assert (snoozed["status"], snoozed["custom"], snoozed["visitor"]["name"]) == (
        "snoozed", kind.stored_custom, stripped(kind.text(120)))
    mine = {c["id"]: c for c in scene.ok("get", "/agents/me/held", scene.agent_token)["snoozed"]}
    assert mine[stored.snoozed_id]["page"] == kind.page(5) and mine[stored.snoozed_id]["snooze"]["kept"] is True


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_the_contact_record_holds_the_case_with_the_longest_notes(scene: Scene, kind: Extreme) -> None:
    stored = scene.stored[kind.id]
    query = {"email": kind.email} if kind.email else {"external_id": kind.identity["external_id"]}
    (found,) = scene.ok("get", "/contacts", scene.agent_token, query=query)["contacts"]
    assert found["id"] == stored.contact_id and found["case_count"] == 1
    assert (found["name"], found["email"], found["phone"], found["external_id"]) == (
        stripped(kind.text(120)) or "A", kind.stored_email, kind.phone, stripped(kind.text(128)) or "1")
    (case,) = scene.ok("get", f"/contacts/{stored.contact_id}", scene.agent_token)["cases"]
    assert case["conversation_id"] == stored.closed_id and case["notes"] == stripped(kind.text(4000))
    assert case["disposition"] == (disposition_of(kind) or "")


# ---------------------------------------------------------------------------------------------------------------
# The visitor's side


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_the_visitor_history_and_open_list_show_the_conversations_as_stored(scene: Scene, kind: Extreme) -> None:
    stored = scene.stored[kind.id]
    history = scene.ok("get", "/visitors/me/history", stored.visitor_token, visitor=True)
    assert [c["id"] for c in history["conversations"]] == [stored.desk_id, stored.closed_id]
    desk, closed = history["conversations"]
    assert desk["page"] == kind.page(3) and desk["notification"] == {"email": kind.stored_email, "enabled": True}
    assert closed["status"] == "closed" and closed["page"] is None
    assert scene.ok("get", "/conversations", stored.visitor_token, visitor=True)["conversations"] == [desk]
    assert scene.ok("get", f"/conversations/{stored.desk_id}", stored.visitor_token, visitor=True) == {
        **desk, "position": None}


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_a_waiting_visitor_reads_its_conversation_and_place_after_the_largest_read_mark(scene: Scene,
                                                                                          kind: Extreme) -> None:
    stored = scene.stored[kind.id]
    assert stored.read["seq"] == MAX_SEQ
    view = scene.ok("get", f"/conversations/{stored.wait_id}", stored.wait_token, visitor=True)
    assert (view["status"], view["page"], view["position"]) == ("waiting", kind.page(4), IDS.index(kind.id) + 1)
    messages = scene.ok("get", f"/conversations/{stored.wait_id}/messages", stored.wait_token, visitor=True)
    assert [m["text"] for m in messages["messages"]] == [kind.message]


def test_a_new_visitor_starts_behind_the_waiting_extremes(scene: Scene) -> None:
    assert scene.newcomer["conversation"]["status"] == "waiting"
    assert scene.newcomer["position"] == len(EXTREMES) + 1


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_availability_matches_the_extreme_page_and_custom_values(scene: Scene, kind: Extreme) -> None:
    # The longest URL availability takes is 2,000 characters (docs/limits.md); the rule's 500 come first.
    query = {"url": kind.page(4)["url"], "queue": "wait",
             **{f"custom.{k}": v for k, v in kind.stored_custom.items()}}
    assert scene.ok("get", "/availability", query=query, visitor=True) == {
        "available": True, "reason": None, "asynchronous": True}  # its rule: room to wait in `nobody`
    other = {**query, "custom.k": "no such value"} if kind.empty else {**query, "url": "https://elsewhere.example/"}
    assert scene.ok("get", "/availability", query=other, visitor=True) == {
        "available": False, "reason": "full", "asynchronous": False}  # the `waits` rule: no room at all


# ---------------------------------------------------------------------------------------------------------------
# The notification email and the pushes


@pytest.mark.parametrize("kind", WITH_EMAIL, ids=[e.id for e in WITH_EMAIL])
def test_the_notification_email_quotes_every_text_escaped_in_html(scene: Scene, kind: Extreme) -> None:
    stored = scene.stored[kind.id]
    (mail,) = sent_to(kind.stored_email)
    text, body = part(mail, "plain"), part(mail, "html")
    assert text.count(f"You: {kind.message}") == 1 and text.count(f"Ann: {kind.message}") == 2
    assert body.count(html.escape(kind.message)) == len(stored.desk_texts)
    assert "<script>" not in body and body.count("<img") == 1  # the logo, whose URL is escaped too
    assert f'<img src="{html.escape(scene.settings["logo_url"])}"' in body
    page = kind.page(3)["url"] if kind.links_to_page else SITE_URL
    assert f"Continue the conversation: {page}#{notifications.LINK_PARAMETER}=" in text
    assert f'href="{html.escape(page)}#{notifications.LINK_PARAMETER}=' in body


def test_no_email_is_sent_without_an_address(scene: Scene) -> None:
    empty = scene.stored["empty"]
    assert scene.timers.of(notifications.NOTIFY, empty.desk_id) == []


def test_the_sync_after_coming_back_returns_every_text(scene: Scene) -> None:
    for stored in scene.stored.values():
        assert [m["text"] for m in stored.sync["messages"]] == stored.desk_texts and stored.sync["more"] is False


def test_a_conversation_full_of_control_characters_is_offered_assigned_and_synced_within_one_push(
        scene: Scene) -> None:
    assert scene.desk is not None
    (offer,) = [f for f in scene.desk.frames("offer") if f["conversation"]["id"] == scene.flood_id]
    (assigned,) = [f for f in scene.desk.frames("conversation.assigned") if f["conversation"]["id"] == scene.flood_id]
    for frame in (offer, assigned, scene.flood_syncs[0]):
        assert size(frame) <= PUSH_LIMIT, (frame.get("type"), frame.get("action"), size(frame))
    for frame in (offer, assigned, *scene.flood_syncs):
        assert frame["messages"] and all(m["text"] == FLOOD_TEXT for m in frame["messages"])
    # The desk gets the newest messages that fit (it reads the rest with GET .../messages); the widget's sync pages
    # bring every message, in order, `more` telling it to ask again.
    assert offer["messages"][-1]["seq"] == assigned["messages"][-1]["seq"] == 15
    assert [m["seq"] for s in scene.flood_syncs for m in s["messages"]] == list(range(1, 16))
    assert len(scene.flood_syncs) >= 2 and [s["more"] for s in scene.flood_syncs][-1] is False
    history = scene.ok("get", f"/conversations/{scene.flood_id}/messages", scene.agent_token)["messages"]
    assert [m["text"] for m in history] == [FLOOD_TEXT] * 15


def test_every_pushed_frame_fits_one_api_gateway_message(scene: Scene) -> None:
    frames = [f for connection_id in scene.connection_ids for f in scene.api.of(connection_id)]
    assert len(frames) > 100
    assert [(f.get("type"), f.get("action"), size(f)) for f in frames if size(f) > PUSH_LIMIT] == []


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_the_widget_and_the_desk_were_pushed_the_texts_as_stored(scene: Scene, kind: Extreme) -> None:
    stored = scene.stored[kind.id]
    widget = [f["message"] for f in scene.api.of(stored.widget_id, "message")]
    assert [(m["conversation_id"], m["text"]) for m in widget] == [(stored.closed_id, kind.message),
                                                                   (stored.desk_id, kind.message)]
    assert scene.desk is not None
    (offer,) = [f for f in scene.desk.frames("offer") if f["conversation"]["id"] == stored.desk_id]
    assert offer["conversation"]["custom"] == kind.stored_custom and offer["messages"] == []  # offered at its start
    (assigned,) = [f for f in scene.desk.frames("conversation.assigned") if f["conversation"]["id"] == stored.desk_id]
    assert [m["text"] for m in assigned["messages"]] == [kind.message]
    assert assigned["conversation"]["visitor"]["name"] == kind.identity["name"]
    pages = [f["page"] for f in scene.desk.frames("conversation.page") if f["conversation_id"] == stored.desk_id]
    assert pages == [kind.page(3)]
