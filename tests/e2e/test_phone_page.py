"""The /phone page of the local stack, in the browser and with the keyboard: an agent's line scripted there rings
when a visitor's immediate callback is offered to her; its buttons answer it and hang it up, and the app's SMA handler
hears each event; a number scripted busy answers busy. Axe-clean while idle and while ringing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import boto3
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.helpers import Pages, axe_violations, rest

VISITOR = "+33612345678"
AGENT_LINE = "+33698765432"
SMA = "local-sip-media-application"  # local/provision.py: LOCAL_SIP_MEDIA_APPLICATION_ID


def dial(url: str, number: str) -> str:
    voice = boto3.client("chime-sdk-voice", endpoint_url=url, region_name="us-east-1", aws_access_key_id="local",
                         aws_secret_access_key="local")
    answer = voice.create_sip_media_application_call(FromPhoneNumber="+15550100000", ToPhoneNumber=number,
                                                     SipMediaApplicationId=SMA, ArgumentsMap={})
    return str(answer["SipMediaApplicationCall"]["TransactionId"])


def call_of(url: str, transaction: str) -> dict[str, Any]:
    calls = rest(url, "GET", "/__local__/phones")["calls"]
    return next(c for c in calls if c["transaction_id"] == transaction)


def script_number(page: Page, number: str, script: str) -> None:
    """The page's form for a number not dialled yet, with the keyboard only."""
    page.get_by_label("Number (E.164)").fill(number)
    form = page.locator(".add-form")
    form.get_by_label("Next rings").select_option(label=script)
    form.get_by_label("Next rings").press("Tab")
    page.keyboard.press("Tab")  # past "Answer after"
    page.keyboard.press("Tab")  # past "Next ring only"
    page.keyboard.press("Tab")  # past "Digits to type when asked"
    expect(form.get_by_role("button", name="Add")).to_be_focused()
    page.keyboard.press("Enter")


def a_callback_rings(url: str, line: str) -> None:
    """Alice takes calls on `line` and is Available; a visitor asks to be called back now: her line rings."""
    admin = rest(url, "POST", "/auth/login", {"username": "ada", "password": DEMO_PASSWORD})["id_token"]
    alice = rest(url, "POST", "/auth/login", {"username": "alice", "password": DEMO_PASSWORD})
    rest(url, "PUT", f"/tenants/demo/agents/{alice['agent']['id']}/settings", {"takes_calls": True, "own_line": line},
         token=admin)
    rest(url, "PUT", "/tenants/demo/agents/me/status", {"status": "available"}, token=alice["id_token"])
    visitor = rest(url, "POST", "/tenants/demo/visitors")["visitor_token"]
    rest(url, "POST", "/tenants/demo/callbacks", {"phone": VISITOR, "name": "Zoé", "when": "now"}, token=visitor)


def test_the_phone_page_rings_answers_and_hangs_up(start_stack: Callable[..., str], pages: Pages) -> None:
    url = start_stack()
    rest(url, "PUT", "/__local__/phones/timing", {"ring_timeout_seconds": 60})
    page = pages.new()
    page.goto(f"{url}/phone")
    expect(page.get_by_test_id("no-phones")).to_be_visible()
    assert axe_violations(page) == []
    script_number(page, AGENT_LINE, "Let it ring")
    phone = page.get_by_test_id(f"phone-{AGENT_LINE[1:]}")
    expect(phone.get_by_test_id("phone-state")).to_have_text("Idle")
    expect(phone.get_by_test_id("phone-script")).to_have_text("Next rings: Let it ring")
    expect(phone.get_by_role("button", name="Answer")).to_be_disabled()
    a_callback_rings(url, AGENT_LINE)
    expect(phone.get_by_test_id("phone-state")).to_have_text("Ringing", timeout=10_000)
    expect(page.get_by_test_id("phone-announcer")).to_have_text(f"{AGENT_LINE} is ringing")
    assert axe_violations(page) == []
    answer = phone.get_by_role("button", name="Answer")
    answer.focus()
    page.keyboard.press("Enter")
    expect(phone.get_by_test_id("phone-state")).to_have_text("In call")  # answering accepted the call
    expect(answer).to_be_disabled()
    expect(page.get_by_test_id(f"phone-{VISITOR[1:]}").get_by_test_id("phone-state")).to_have_text("Ringing")
    hang_up = phone.get_by_role("button", name="Hang up")
    hang_up.focus()
    page.keyboard.press("Enter")
    expect(phone.get_by_test_id("phone-state")).to_have_text("Idle")
    [transaction] = [c["transaction_id"] for c in rest(url, "GET", "/__local__/phones")["calls"]
                     if c["to"] == AGENT_LINE]
    for _ in range(50):  # the hang-up's invocation is logged once the handler answered it
        events = [e["type"] for e in call_of(url, transaction)["events"]]
        if len(events) == 4:
            break
        page.wait_for_timeout(100)
    assert events == ["NEW_OUTBOUND_CALL", "RINGING", "CALL_ANSWERED", "HANGUP"]  # app.sma_handler answered each
    assert all(e["answer"]["SchemaVersion"] == "1.0" for e in call_of(url, transaction)["events"])
    assert pages.dialogs == []


def test_a_number_scripted_busy_on_the_page_answers_busy(start_stack: Callable[..., str], pages: Pages) -> None:
    url = start_stack()
    page = pages.new()
    page.goto(f"{url}/phone")
    script_number(page, AGENT_LINE, "Busy")
    phone = page.get_by_test_id(f"phone-{AGENT_LINE[1:]}")
    expect(phone.get_by_test_id("phone-script")).to_have_text(re.compile("Busy"))
    transaction = dial(url, AGENT_LINE)
    expect(page.get_by_test_id("phone-list")).to_contain_text(AGENT_LINE)
    call: dict[str, Any] = {}

    def ended() -> bool:  # the call is over once its HANGUP invocation is logged (after its state says ended)
        call.update(call_of(url, transaction))
        return bool(call["state"] == "ended" and call["events"] and call["events"][-1]["type"] == "HANGUP")

    for _ in range(50):
        if ended():
            break
        page.wait_for_timeout(100)
    assert call["outcome"] == "busy"
    expect(phone.get_by_test_id("phone-state")).to_have_text("Idle")
    hangup = call["events"][-1]
    assert hangup["type"] == "HANGUP"
