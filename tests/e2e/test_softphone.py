"""The softphone on the desk (issue 14, CB-6), in Chromium on a fresh local stack whose softphone is the phone
emulator's (SOFTPHONE=local): Alice answers calls on the desk. Her call's offer has Accept (no phone of hers
rings); she accepts, the visitor's emulated phone answers, and the emulator shows her browser attendee in the room
with the visitor; she mutes and unmutes (the emulator and its /phone page show it), holds (the visitor hears the
music) and resumes (the visitor back in the room). The Chime SDK bundle is never loaded: not at the desk's load,
not for a local call. With the microphone refused, the card says so and offers her own line for the next calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.helpers import Pages, axe_violations, login, rest, sign_in_desk, upload_hold_music
from tests.e2e.test_callback_call import VISITOR_PHONE, phone, script, until

WAIT = 15_000  # ms
ALICE_LINE = "+33698765432"
CHIME_BUNDLE = "amazon-chime-sdk"


def on_desk(url: str, line: str = "") -> dict[str, Any]:
    """Alice takes calls, answers them on the desk, takes no chats; the hold music is a second of silence."""
    admin = login(url, "ada")["id_token"]
    alice = login(url, "alice")
    rest(url, "PUT", f"/tenants/demo/agents/{alice['agent']['id']}/settings",
         {"takes_calls": True, "answer_calls": "desk", "own_line": line, "capacity": {"chat": 0, "call": 1}},
         token=admin)
    upload_hold_music(url, admin)
    return alice


def desk_with(pages: Pages, url: str, microphone: bool, requested: list[str]) -> Page:
    page = pages.new()
    if microphone:  # the browser's permission, granted once: chromium's fake device gives the stream
        page.context.grant_permissions(["microphone"], origin=url)
    page.on("request", lambda request: requested.append(request.url))
    return sign_in_desk(page, url, "alice", DEMO_PASSWORD)


def call_now(url: str) -> None:
    visitor = rest(url, "POST", "/tenants/demo/visitors")["visitor_token"]
    rest(url, "POST", "/tenants/demo/callbacks", {"phone": VISITOR_PHONE, "name": "Zoé", "when": "now"},
         token=visitor)


def accept(desk: Page) -> None:
    offer = desk.locator("[data-testid=offer][data-medium=call]")
    expect(offer).to_be_visible(timeout=WAIT)
    expect(offer).to_contain_text("Accept to take the call on the desk.")
    offer.get_by_test_id("offer-accept").click()


def rooms(url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = rest(url, "GET", "/__local__/rooms")["rooms"]
    return found


def browsers(url: str, room: str) -> list[dict[str, Any]]:
    return next((r["browsers"] for r in rooms(url) if r["meeting_id"] == room), [])


def test_alice_takes_the_call_on_the_desk_mutes_holds_and_resumes(start_stack: Callable[..., str],
                                                                   pages: Pages) -> None:
    url = start_stack()
    alice = on_desk(url)
    script(url, VISITOR_PHONE, "answer", after_seconds=0.5)
    requested: list[str] = []
    desk = desk_with(pages, url, microphone=True, requested=requested)
    assert not [r for r in requested if CHIME_BUNDLE in r]  # the desk's load never fetches the Chime SDK

    call_now(url)
    accept(desk)
    card = desk.get_by_test_id("call-card")
    expect(card.get_by_test_id("call-state")).to_have_attribute("data-state", "connected", timeout=WAIT)
    softphone = card.get_by_test_id("softphone")
    expect(softphone).to_have_attribute("data-status", "joined", timeout=WAIT)
    expect(softphone).to_have_attribute("data-mic", "allowed")
    expect(softphone.get_by_test_id("softphone-mic")).to_have_text("Microphone: on")
    until(lambda: phone(url, VISITOR_PHONE)["room"] is not None, "the visitor in the room")
    room = phone(url, VISITOR_PHONE)["room"]
    until(lambda: [b["external_user_id"] for b in browsers(url, room)] == [f"agent-{alice['agent']['id']}"],
          "Alice in the room")
    assert [p["number"] for p in next(r for r in rooms(url) if r["meeting_id"] == room)["phones"]] == [VISITOR_PHONE]
    assert [n for n in (ALICE_LINE,) if phone_known(url, n)] == []  # no phone of Alice's was dialled

    mute = softphone.get_by_role("button", name="Mute")
    expect(mute).to_have_attribute("aria-pressed", "false")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true", timeout=WAIT)
    expect(softphone.get_by_test_id("softphone-mic")).to_have_text("Microphone: muted")
    until(lambda: browsers(url, room)[0]["muted"] is True, "the emulator shows Alice muted")
    phones_page = pages.new()
    phones_page.goto(f"{url}/phone")  # the emulator's page lists her in the room, muted
    shown = phones_page.locator(f"[data-testid=room][data-meeting-id='{room}'] [data-testid=room-browser]")
    expect(shown).to_have_attribute("data-muted", "true", timeout=WAIT)
    expect(phones_page.locator(f"[data-testid=room][data-meeting-id='{room}']")).to_contain_text(VISITOR_PHONE)
    assert axe_violations(desk, "[data-testid=call-card]") == []  # the card with the softphone: labelled, contrasted
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "false", timeout=WAIT)
    until(lambda: browsers(url, room)[0]["muted"] is False, "the emulator shows Alice unmuted")

    card.get_by_test_id("call-hold").click()
    until(lambda: phone(url, VISITOR_PHONE)["state"] == "hearing music", "the visitor hears the hold music")
    assert phone(url, VISITOR_PHONE)["room"] is None and len(browsers(url, room)) == 1  # Alice stays in the room
    card.get_by_test_id("call-resume").click()
    until(lambda: phone(url, VISITOR_PHONE)["room"] == room, "the visitor back in the room")

    rest(url, "POST", f"/__local__/phones/{VISITOR_PHONE.replace('+', '%2B')}", {"action": "hang_up"})
    expect(card.get_by_test_id("call-state")).to_have_attribute("data-state", "ended", timeout=WAIT)
    expect(card.get_by_test_id("softphone")).to_have_count(0, timeout=WAIT)  # left with the call
    assert not [r for r in requested if CHIME_BUNDLE in r]  # the local softphone: never the Chime SDK
    assert pages.dialogs == []


def phone_known(url: str, number: str) -> bool:
    answer: dict[str, Any] = rest(url, "GET", "/__local__/phones")
    return any(p["number"] == number for p in answer["phones"])


def test_a_refused_microphone_is_said_and_the_agents_own_line_offered(start_stack: Callable[..., str],
                                                                      pages: Pages) -> None:
    url = start_stack()
    alice = on_desk(url, line=ALICE_LINE)
    script(url, VISITOR_PHONE, "answer", after_seconds=0.5)
    desk = desk_with(pages, url, microphone=False, requested=[])

    call_now(url)
    accept(desk)
    softphone = desk.get_by_test_id("call-card").get_by_test_id("softphone")
    expect(softphone).to_have_attribute("data-mic", "refused", timeout=WAIT)
    expect(softphone.get_by_test_id("softphone-mic")).to_have_text("Microphone: refused by the browser")
    expect(softphone.get_by_test_id("softphone-refused")).to_contain_text("the visitor cannot hear you")
    expect(softphone.get_by_role("button", name="Mute")).to_be_disabled()
    use_line = softphone.get_by_role("button", name=f"Answer my next calls on {ALICE_LINE}")
    use_line.click()
    expect(softphone.get_by_test_id("softphone-on-line")).to_have_text(f"Your next calls ring {ALICE_LINE}.",
                                                                         timeout=WAIT)
    me = rest(url, "GET", "/tenants/demo/me", token=alice["id_token"])
    assert me["answer_calls"] == "line"
    assert axe_violations(desk, "[data-testid=call-card]") == []
    assert pages.dialogs == []


def test_the_chime_softphone_loads_the_sdk_only_when_created(stack_url: str, pages: Pages) -> None:
    """softphone.js's Chime implementation (what an AWS stack's `join_call` names): the desk's modules load without
    the bundle; creating the softphone imports it and answers the interface."""
    page = pages.new()
    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{stack_url}/desk/index.html")
    page.wait_for_load_state("networkidle")
    assert any(r.endswith("/desk/call-softphone.js") for r in requested)
    assert not [r for r in requested if CHIME_BUNDLE in r or r.endswith("softphone-chime.js")]
    made = page.evaluate("""async () => {
        const { openSoftphone } = await import('/desk/softphone.js');
        const phone = await openSoftphone('chime', { stream: null, audio: document.createElement('audio') });
        const states = [];
        phone.onState((state) => states.push(state));
        await phone.mute(); // before joining: nothing to mute, no error
        await phone.leave();
        return { methods: ['join', 'leave', 'mute', 'unmute', 'onState'].filter((m) => typeof phone[m] === 'function'),
                 states };
    }""")
    assert made == {"methods": ["join", "leave", "mute", "unmute", "onState"], "states": []}
    assert [r for r in requested if r.endswith("/vendor/amazon-chime-sdk.module.js")]
    assert errors == []
