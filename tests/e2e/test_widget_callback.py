"""The callbox in the widget (issue 13, CB-1, CB-2, CB-9), in Chromium on the real local stack: a visitor books a
slot, sees the confirmation with the time and the masked number and cancels it; a reload shows the open callback
again, and it moves to another slot; a number Guichet will not dial shows the server's message on the field; "now" is
offered only while an agent is Available for calls (takes calls, has a line); "do not record me" shows when the
tenant records calls; the callbox is axe-clean; it follows the states the `callback.updated` frame brings (sent
through the gateway's @connections API, as the server's fan-out sends it), and an expiry offers a time."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import BASE_SETTINGS, DEMO_PASSWORD, LocalStack, StackPool
from tests.e2e.helpers import Pages, axe_violations, rest
from tests.e2e.test_live_chat_widget import VISITOR_KEY

WAIT = 10_000  # ms: a REST call on the local stack takes well under a second
CALLBACK_KEY = "guichet:demo:callback"
StartStack = Callable[..., str]


def login(url: str, username: str) -> str:
    token: str = rest(url, "POST", "/auth/login", {"username": username, "password": DEMO_PASSWORD})["id_token"]
    return token


def open_callbox(pages: Pages, url: str) -> Page:
    """A new visitor on the demo page, the panel open, then "Call me back"."""
    page = pages.new()
    page.goto(url)
    page.get_by_test_id("guichet-launcher").click()
    page.get_by_test_id("guichet-callback-open").click()
    expect(page.get_by_test_id("guichet-callback-form")).to_be_visible(timeout=WAIT)
    return page


def fill(page: Page, phone: str, name: str = "Zoé <b>Martin</b>") -> None:
    page.get_by_test_id("guichet-callback-phone").fill(phone)
    page.get_by_test_id("guichet-callback-name").fill(name)


def stored(page: Page) -> str | None:
    value = page.evaluate("key => localStorage.getItem(key)", CALLBACK_KEY)
    return value if isinstance(value, str) else None


def book_the_last_days_slot(page: Page, url: str) -> dict[str, Any]:
    """The visitor picks the last day offered and its first slot, and asks; answers that slot as listed before."""
    offered = rest(url, "GET", "/tenants/demo/callbacks/slots")
    day = page.get_by_test_id("guichet-callback-slot-day")
    expect(day).to_be_visible()
    last_day = offered["slots"][-1]["date"]
    day.select_option(last_day)
    chosen: dict[str, Any] = next(s for s in offered["slots"] if s["date"] == last_day)
    page.get_by_test_id("guichet-callback-slot-time").select_option(chosen["key"])
    fill(page, "06 12 34 56 78")
    page.get_by_test_id("guichet-callback-submit").click()
    return chosen


def free_in(url: str, key: str) -> int:
    found = [s["free"] for s in rest(url, "GET", "/tenants/demo/callbacks/slots")["slots"] if s["key"] == key]
    return found[0] if found else 0


def test_a_visitor_books_a_slot_sees_the_confirmation_and_cancels(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    offered = rest(url, "GET", "/tenants/demo/callbacks/slots")
    assert offered["immediate"] is False and offered["scheduled"] is True  # nobody takes calls in the demo
    page = open_callbox(pages, url)
    expect(page.get_by_test_id("guichet-callback-now")).to_be_hidden()  # no agent for calls: a slot only
    chosen = book_the_last_days_slot(page, url)

    state = page.get_by_test_id("guichet-callback-state")
    expect(state).to_contain_text("+33 6 •• •• •• 78", timeout=WAIT)
    expect(state).to_contain_text(re.compile(r"^We will call you at \+33 6 •• •• •• 78 on \w+day, "))
    expect(state).to_be_focused()
    expect(page.get_by_test_id("guichet-announcer")).to_contain_text("We will call you")
    assert stored(page)
    assert free_in(url, chosen["key"]) == chosen["free"] - 1
    expect(page.get_by_test_id("guichet-callback-change")).to_be_visible()

    page.get_by_test_id("guichet-callback-cancel").click()
    expect(state).to_have_text("Your call is cancelled.", timeout=WAIT)
    expect(page.get_by_test_id("guichet-callback-again")).to_be_focused()
    assert stored(page) is None
    assert free_in(url, chosen["key"]) == chosen["free"]
    page.get_by_test_id("guichet-callback-done").click()
    expect(page.get_by_test_id("guichet-callback-summary")).to_be_hidden()  # nothing open any more
    assert pages.dialogs == []


def test_after_a_reload_the_open_callback_is_shown_and_moved_and_a_bad_stored_value_is_dropped(
        start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    page = open_callbox(pages, url)
    book_the_last_days_slot(page, url)
    expect(page.get_by_test_id("guichet-callback-state")).to_contain_text("+33 6", timeout=WAIT)
    page.reload()  # resumed as a conversation is, with the panel open as it was
    expect(page.get_by_test_id("guichet-callback-summary")).to_contain_text("+33 6 •• •• •• 78", timeout=WAIT)
    page.get_by_test_id("guichet-callback-open").click()
    state = page.get_by_test_id("guichet-callback-state")
    booked_text = state.text_content()
    page.get_by_test_id("guichet-callback-change").click()  # Change the time: the first slot offered
    first = rest(url, "GET", "/tenants/demo/callbacks/slots")["slots"][0]
    page.get_by_test_id("guichet-callback-move-day").select_option(first["date"])
    page.get_by_test_id("guichet-callback-move-time").select_option(first["key"])
    page.get_by_test_id("guichet-callback-move-submit").click()
    expect(state).not_to_have_text(booked_text or "", timeout=WAIT)
    expect(state).to_be_focused()
    expect(page.get_by_test_id("guichet-callback-cancel")).to_be_visible()

    page.evaluate("key => localStorage.setItem(key, '../../not an id')", CALLBACK_KEY)
    page.reload()
    expect(page.get_by_test_id("guichet-launcher")).to_be_visible(timeout=WAIT)
    page.wait_for_function("key => localStorage.getItem(key) === null", arg=CALLBACK_KEY)


def test_a_number_guichet_will_not_dial_shows_the_servers_message_on_the_field(
        start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    page = open_callbox(pages, url)
    phone = page.get_by_test_id("guichet-callback-phone")
    page.get_by_test_id("guichet-callback-submit").click()  # empty: the light check in the browser
    expect(page.get_by_test_id("guichet-callback-phone-error")).to_have_text("Please enter your phone number.")
    expect(phone).to_be_focused()

    fill(page, "08 99 12 34 56")  # premium rate: only the server knows
    page.get_by_test_id("guichet-callback-submit").click()
    error = page.get_by_test_id("guichet-callback-phone-error")
    expect(error).to_contain_text("premium-rate", timeout=WAIT)
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_be_focused()
    assert stored(page) is None
    assert axe_violations(page) == []


def test_now_is_offered_only_while_an_agent_is_available_for_calls(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    page = open_callbox(pages, url)
    expect(page.get_by_test_id("guichet-callback-now")).to_be_hidden()

    admin, alice = login(url, "ada"), login(url, "alice")
    alice_id = rest(url, "GET", "/tenants/demo/me", token=alice)["id"]
    rest(url, "PUT", f"/tenants/demo/agents/{alice_id}/settings",
         {"takes_calls": True, "own_line": "+33 6 11 22 33 44"}, token=admin)
    rest(url, "PUT", "/tenants/demo/agents/me/status", {"status": "available"}, token=alice)
    page.get_by_test_id("guichet-callback-back").click()
    expect(page.get_by_test_id("guichet-callback-open")).to_be_focused()
    page.keyboard.press("Enter")  # the keyboard opens it again: the offers are read again
    now = page.get_by_test_id("guichet-callback-now")
    expect(now).to_be_visible(timeout=WAIT)
    expect(now).to_be_checked()
    expect(page.get_by_test_id("guichet-callback-slot-day")).to_be_hidden()  # until "At a time I choose"
    fill(page, "+33 6 98 76 54 32")
    page.get_by_test_id("guichet-callback-submit").click()
    expect(page.get_by_test_id("guichet-callback-state")).to_have_text(
        "We will call you at +33 6 •• •• •• 32 in a moment.", timeout=WAIT)
    expect(page.get_by_test_id("guichet-callback-change")).to_be_hidden()  # only a booked time moves
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("guichet-callback-summary")).to_contain_text("in a moment")


def test_the_callbox_is_axe_clean_with_do_not_record(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack(callback={"recording": True, "recording_notice": "notices/recording.wav"})
    page = open_callbox(pages, url)
    expect(page.get_by_test_id("guichet-callback-no-record")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_test_id("guichet-callback-no-record").check()
    fill(page, "06 12 34 56 70")
    page.get_by_test_id("guichet-callback-submit").click()
    expect(page.get_by_test_id("guichet-callback-state")).to_contain_text("+33 6 •• •• •• 70", timeout=WAIT)
    assert axe_violations(page) == []
    page.get_by_test_id("guichet-callback-change").click()
    expect(page.get_by_test_id("guichet-callback-move-day")).to_be_focused()
    assert axe_violations(page) == []


# ---------------------------------------------------------------- live states


@pytest.fixture
def local(stack_pool: StackPool) -> Iterator[LocalStack]:
    """A stack of its own whose AWS (the table) the test reads."""
    taken = stack_pool.take(dict(BASE_SETTINGS))
    yield taken
    stack_pool.release(taken)


def push_to_widget(local: LocalStack, page: Page, frame: dict[str, Any]) -> None:
    """Sends `frame` to the visitor's open WebSocket connections through the gateway's @connections API, as the
    server's fan-out does (services/callback_notices.py): found in the principal's partition of the table."""
    token = page.evaluate("key => localStorage.getItem(key)", VISITOR_KEY)
    visitor_id = rest(local.url, "GET", "/tenants/demo/me", token=token)["id"]
    dynamodb = boto3.client("dynamodb", endpoint_url=local.aws_endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing", aws_session_token="testing")
    tables = [name for name in dynamodb.list_tables()["TableNames"]
              if {k["AttributeName"] for k in dynamodb.describe_table(TableName=name)["Table"]["KeySchema"]}
              == {"pk", "sk"}]
    key = {":pk": {"S": f"T#demo#VISITOR#{visitor_id}"}, ":conn": {"S": "CONN#"}}
    deadline = time.monotonic() + WAIT / 1000
    while True:  # the table that keeps the principal's partition (docs/data-model.md)
        found = [item for table in tables for item in dynamodb.query(
            TableName=table, KeyConditionExpression="pk = :pk AND begins_with(sk, :conn)",
            ExpressionAttributeValues=key, ConsistentRead=True)["Items"]]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert found, "the widget has no WebSocket connection"
    for item in found:
        connection_id = item["sk"]["S"][len("CONN#"):]
        request = urllib.request.Request(f"{local.url}/@connections/{connection_id}", method="POST",
                                         data=json.dumps(frame).encode())
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200


def test_the_callbox_follows_the_callbacks_states_and_an_expiry_offers_a_time(
        local: LocalStack, pages: Pages) -> None:
    page = open_callbox(pages, local.url)
    book_the_last_days_slot(page, local.url)
    state = page.get_by_test_id("guichet-callback-state")
    expect(state).to_contain_text("+33 6 •• •• •• 78", timeout=WAIT)
    booked = rest(local.url, "GET", f"/tenants/demo/callbacks/{stored(page)}",
                  token=page.evaluate("key => localStorage.getItem(key)", VISITOR_KEY))
    announcer = page.get_by_test_id("guichet-announcer")

    def told(changes: dict[str, Any], text: str | re.Pattern[str]) -> None:
        push_to_widget(local, page, {"type": "callback.updated", "callback": {**booked, **changes}})
        expect(state).to_have_text(text, timeout=WAIT)
        expect(announcer.locator("p").last).to_have_text(text)  # read out

    told({"state": "calling", "attempt": 1, "phase": "calling_visitor"}, "We are calling you at +33 6 •• •• •• 78.")
    expect(page.get_by_test_id("guichet-callback-cancel")).to_be_hidden()  # the phone rings: nothing to cancel
    told({"state": "retrying", "attempt": 1, "next_at": "2026-12-07T08:05:00Z"},
         re.compile(r"^We could not reach you\. Next attempt at 9:05\sAM\b"))  # on the tenant's clock (Paris)
    told({"state": "connected", "attempt": 2, "phase": "connected"}, "You are on the phone with an agent.")
    told({"state": "ended", "attempt": 2}, "Your call has ended. Thank you!")
    assert stored(page) is None  # over: a reload no longer shows it
    told({"state": "expired", "attempt": 1}, re.compile("^No agent could take your call in time"))
    again = page.get_by_test_id("guichet-callback-again")
    expect(again).to_have_text("Choose a time")
    again.click()
    expect(page.get_by_test_id("guichet-callback-now")).to_be_hidden()  # after an expiry: a time, not "now"
    expect(page.get_by_test_id("guichet-callback-slot-day")).to_be_visible()
    expect(page.get_by_test_id("guichet-callback-phone")).to_be_focused()
    assert pages.dialogs == []
