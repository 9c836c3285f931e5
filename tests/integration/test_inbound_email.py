"""A visitor's answer by email lands in the conversation (ASYNC-2): the notification email's reply-to names the
conversation; SES receives the reply and publishes it to SNS (the shape of tests/fixtures/aws-events/
ses-received-sns.json, from the SES developer guide); the SNS handler stores it as the visitor's message, once."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.domain import links
from chalicelib.domain.model import Agent, AgentStatus, Principal, PrincipalKind
from chalicelib.ports import Deps, Email
from chalicelib.services import conversations, follow_up, holding, inbound, notifications, offers
from chalicelib.services.conversations import ChatRequest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = json.loads((ROOT / "tests" / "fixtures" / "aws-events" / "ses-received-sns.json").read_text())
DOMAIN = "reply.brand.example"


class Outbox:
    def __init__(self) -> None:
        self.sent: list[Email] = []

    def send(self, email: Email) -> str:
        self.sent.append(email)
        return f"m{len(self.sent)}"


@pytest.fixture
def world(stack: Any, tenant: str) -> tuple[Deps, str, str, Outbox]:
    """An asynchronous conversation of visitor v1 (email zoe@example.com) on Ann's desk; Ann answered once."""
    outbox = Outbox()
    deps = replace(bootstrap.container().deps, reply_domain=DOMAIN, mailer=outbox)
    deps.agents.put(Agent(tenant=tenant, id="ann", name="Ann", status=AgentStatus.AVAILABLE))
    visitor = Principal(tenant, "v1", PrincipalKind.VISITOR)
    started = conversations.start_conversation(deps, visitor, None, ChatRequest(
        consent=True, page={"url": "https://shop.example/p", "title": "P"}))
    follow_up.set_notification(deps, visitor, started.id, "Zoe@Example.com")
    stored = deps.conversations.get(tenant, started.id)
    assert stored is not None and stored.offer is not None
    offers.accept(deps, Principal(tenant, "ann", PrincipalKind.AGENT), started.id, stored.offer.id)
    answer = conversations.send_message(deps, Principal(tenant, "ann", PrincipalKind.AGENT, name="Ann"), None,
                                        started.id, "a1", "Which size do you need?")
    assert notifications.notify_visitor(deps, tenant, {"conversation_id": started.id, "seq": answer.seq})
    (sent,) = outbox.sent
    assert sent.reply_to is not None and sent.reply_to.endswith(f"@{DOMAIN}")
    return deps, tenant, started.id, outbox


def received(reply_to: str, sender: str, body: str, message_id: str = "d6iitobk75ur44p8kdnnp7g2n800",
             base64_content: bool = False) -> dict[str, Any]:
    """An SES "Received" notification of an SNS action, for a reply sent to `reply_to`."""
    mime = EmailMessage()
    mime["From"] = f"Zoé <{sender}>"
    mime["To"] = reply_to
    mime["Subject"] = "Re: Ann answered you"
    mime["Message-ID"] = f"<{message_id}@mail.example>"
    mime.set_content(body)
    notification = copy.deepcopy(SAMPLE)
    notification["receipt"]["recipients"] = [reply_to]
    notification["mail"]["destination"] = [reply_to]
    notification["mail"]["messageId"] = message_id
    raw = mime.as_bytes()
    if base64_content:
        notification["receipt"]["action"]["encoding"] = "BASE64"
        notification["content"] = base64.b64encode(raw).decode()
    else:
        notification["content"] = raw.decode("utf-8")
    return notification


def texts(deps: Deps, tenant: str, conversation_id: str) -> list[tuple[str, str]]:
    return [(m.sender.kind.value, m.text) for m in deps.conversations.messages(tenant, conversation_id, 0, 50)]


REPLY = "Size 42 please.\n\nOn Sat, 21 Nov 2026 at 10:00, Demo Brand wrote:\n> Which size do you need?\n"


def test_a_reply_by_email_lands_in_the_conversation_once(world: tuple[Deps, str, str, Outbox]) -> None:
    deps, tenant, conversation_id, outbox = world
    reply_to = outbox.sent[0].reply_to
    assert reply_to is not None
    notification = received(reply_to, "zoe@example.com", REPLY)
    stored = inbound.receive(deps, notification)
    assert stored is not None and stored.sender.kind is PrincipalKind.VISITOR
    assert inbound.receive(deps, notification) is not None  # SNS delivered it twice: the same message comes back
    assert texts(deps, tenant, conversation_id) == [("agent", "Which size do you need?"),
                                                    ("visitor", "Size 42 please.")]

    # Base64 content (the SNS action's other encoding) is read as well.
    again = received(reply_to, "zoe@example.com", "And in blue?", message_id="second", base64_content=True)
    assert inbound.receive(deps, again) is not None
    assert texts(deps, tenant, conversation_id)[-1] == ("visitor", "And in blue?")


def test_a_reply_from_another_address_or_to_a_forged_key_is_dropped(world: tuple[Deps, str, str, Outbox]) -> None:
    deps, tenant, conversation_id, outbox = world
    reply_to = outbox.sent[0].reply_to
    assert reply_to is not None
    assert inbound.receive(deps, received(reply_to, "mallory@example.com", "Refund me")) is None
    forged = f"reply+{tenant}.{'a' * links.REPLY_KEY_CHARS}@{DOMAIN}"
    assert inbound.receive(deps, received(forged, "zoe@example.com", "Hello", message_id="x")) is None
    assert texts(deps, tenant, conversation_id) == [("agent", "Which size do you need?")]


def test_the_sns_handler_stores_the_reply(world: tuple[Deps, str, str, Outbox]) -> None:
    deps, tenant, conversation_id, outbox = world
    reply_to = outbox.sent[0].reply_to
    assert reply_to is not None
    notification = received(reply_to, "zoe@example.com", REPLY)
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        client.lambda_.invoke("on_inbound_email", client.events.generate_sns_event(message=json.dumps(notification)))
    assert texts(deps, tenant, conversation_id)[-1] == ("visitor", "Size 42 please.")


def test_a_notification_without_content_or_from_a_blocked_visitor_is_dropped_without_failing(
        world: tuple[Deps, str, str, Outbox]) -> None:
    deps, tenant, conversation_id, outbox = world
    reply_to = outbox.sent[0].reply_to
    assert reply_to is not None
    no_content = received(reply_to, "zoe@example.com", "Hello")
    del no_content["content"]  # e.g. an S3 action's notification
    assert inbound.receive(deps, no_content) is None
    holding.block(deps, Principal(tenant, "ann", PrincipalKind.AGENT), conversation_id)
    assert inbound.receive(deps, received(reply_to, "zoe@example.com", "Let me in", message_id="b")) is None
    assert texts(deps, tenant, conversation_id) == [("agent", "Which size do you need?")]
