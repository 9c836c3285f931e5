"""A visitor answers a notification email (ASYNC-2), on the real local stack: the email in the outbox carries a
per-conversation reply-to, the outbox's reply goes through the inbound path SES receiving would take (an SNS
"Received" notification to `on_inbound_email`), and the answer reaches the agent's desk as the visitor's message.
Only the visitor's address may answer."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.helpers import ask, rest, rest_status, ws_url

XSS = "<img src=x onerror=alert(1)>"


def pushed(socket: ClientConnection, kind: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        frame: dict[str, Any] = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if frame.get("type") == kind:
            return frame


def outbox_email(url: str, to: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(f"{url}/outbox.json", timeout=10) as answer:
            emails = [e for e in json.loads(answer.read())["emails"] if to in e["to"]]
        if emails:
            return dict(emails[0])
        assert time.monotonic() < deadline, f"no email to {to} in the outbox"
        time.sleep(0.5)


@pytest.mark.demo_settings(notify_delay_seconds=5)
def test_a_reply_to_the_notification_email_reaches_the_agent(start_stack: Callable[..., str]) -> None:
    url = start_stack()
    with ExitStack() as stack:
        visitor_token = rest(url, "POST", "/tenants/demo/visitors")["visitor_token"]
        widget = stack.enter_context(connect(ws_url(url, visitor_token), open_timeout=10))
        started = ask(widget, {"action": "start_conversation", "consent": True, "id": "s",
                               "page": {"url": f"{url}/", "title": "Home"},
                               "message": {"client_message_id": "v1", "text": f"Is it waterproof? {XSS}"}})
        conversation_id = started["conversation"]["id"]
        assert started["conversation"]["asynchronous"] is True
        assert ask(widget, {"action": "set_notification", "id": "n", "conversation_id": conversation_id,
                            "email": "zoe@example.com"})["notification"] == {"email": "zoe@example.com",
                                                                              "enabled": True}
        widget.close()  # the visitor leaves the site

        token = rest(url, "POST", "/auth/login", {"username": "alice", "password": DEMO_PASSWORD})["id_token"]
        desk = stack.enter_context(connect(ws_url(url, token), open_timeout=10))
        ask(desk, {"action": "set_status", "id": "a", "status": "available"})  # the offer comes with it
        offered = rest(url, "GET", f"/tenants/demo/conversations/{conversation_id}", token=token)
        ask(desk, {"action": "accept_offer", "id": "acc", "conversation_id": conversation_id,
                   "offer_id": offered["offer"]["id"]})
        ask(desk, {"action": "send_message", "id": "m", "conversation_id": conversation_id,
                   "client_message_id": "a1", "text": "Yes, fully waterproof."})

        mail = outbox_email(url, "zoe@example.com")
        assert mail["reply_to"] and mail["reply_to"][0].startswith("reply+")
        assert mail["reply_to"][0].endswith("@reply.guichet.local")
        assert "Demo Brand" in mail["source"] and "Yes, fully waterproof." in (mail["text"] or "")

        # Someone else answering from another address is dropped; the visitor's answer lands.
        status, _ = rest_status(url, "POST", "/outbox/reply", {"id": mail["id"], "text": f"Thanks! {XSS}"})
        assert status == 200
        message = pushed(desk, "message")["message"]
        assert (message["sender"]["kind"], message["text"]) == ("visitor", f"Thanks! {XSS}")
        history = rest(url, "GET", f"/tenants/demo/conversations/{conversation_id}/messages", token=token)
        assert [m["text"] for m in history["messages"]][-2:] == ["Yes, fully waterproof.", f"Thanks! {XSS}"]

        with urllib.request.urlopen(f"{url}/outbox", timeout=10) as page:
            html = page.read().decode()
        assert 'action="/outbox/reply"' in html and XSS not in html  # visitor text is escaped on the page
