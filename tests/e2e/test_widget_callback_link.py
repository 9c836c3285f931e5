"""A callback email's link in a real browser on the local stack (issue 13): `#guichet_callback=<token>` on the
brand's page opens the widget as the visitor who booked, on another device, and takes the token out of the address
bar; a link that is not valid leaves the widget as usual.

The link is minted here with the stack's visitor secret, exactly as services/callback_mail.py writes it into the
email (tests/integration/test_callback_mail.py checks the email itself)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from playwright.sync_api import expect

from chalicelib.domain import links
from chalicelib.domain.callbacks.model import Callback, CallbackMode
from tests.e2e.conftest import BASE_SETTINGS, LocalStack, StackPool
from tests.e2e.helpers import Pages, rest, rest_status
from tests.e2e.test_live_chat_widget import VISITOR_KEY, stored

WAIT = 10_000  # ms


@pytest.fixture
def stack(stack_pool: StackPool) -> Iterator[LocalStack]:
    taken = stack_pool.take(dict(BASE_SETTINGS))
    yield taken
    stack_pool.release(taken)


def visitor_secret(stack: LocalStack) -> bytes:
    secrets = boto3.client("secretsmanager", endpoint_url=stack.aws_endpoint, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing",
                           aws_session_token="testing")
    [name] = [s["Name"] for s in secrets.list_secrets()["SecretList"] if s["Name"].endswith("-visitor-token")]
    return str(secrets.get_secret_value(SecretId=name)["SecretString"]).encode()


def book(url: str) -> tuple[str, dict[str, Any]]:
    """A new visitor books the first free slot; (their token, the callback)."""
    visitor = rest(url, "POST", "/tenants/demo/visitors", {})
    slots = rest(url, "GET", "/tenants/demo/callbacks/slots")["slots"]
    assert slots, "the demo tenant offers no slot"
    booked = rest(url, "POST", "/tenants/demo/callbacks", {
        "phone": "+33 6 12 34 56 78", "name": "Zoé", "email": "zoe@example.org", "when": slots[0]["key"]},
        token=visitor["visitor_token"])
    return visitor["visitor_id"], booked


def test_a_callback_link_opens_the_widget_as_the_visitor_who_booked(stack: LocalStack, pages: Pages) -> None:
    url = stack.url
    who, booked = book(url)
    at = datetime.fromisoformat(booked["at"])
    callback = Callback(tenant="demo", id=booked["id"], visitor_id=who, phone="", name="", mode=CallbackMode.SCHEDULED,
                        created_at=at, at=at)
    token = links.callback_token(visitor_secret(stack), links.CallbackLink("demo", who, booked["id"]),
                                 links.callback_link_expiry(callback))

    page = pages.new()  # another device: nothing stored
    page.goto(f"{url}/#top&guichet_callback={token}")
    expect(page.locator("#panel")).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("guichet-launcher")).to_be_visible()
    assert page.evaluate("location.hash") == "#top"  # the token left the address bar, the rest stayed
    session = stored(page, VISITOR_KEY)
    assert rest(url, "GET", "/tenants/demo/me", token=session)["id"] == who  # the visitor who booked
    # Which is what the link is for: that visitor may cancel (or move) the callback.
    status, cancelled = rest_status(url, "DELETE", f"/tenants/demo/callbacks/{booked['id']}", token=session)
    assert status == 200 and cancelled["state"] == "cancelled"
    assert pages.dialogs == []


def test_a_callback_link_that_is_not_valid_opens_the_widget_as_usual(stack: LocalStack, pages: Pages) -> None:
    page = pages.new()
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    page.goto(f"{stack.url}/#guichet_callback=b1.forged.token")
    expect(page.get_by_test_id("guichet-launcher")).to_be_visible(timeout=WAIT)
    assert "guichet_callback" not in page.evaluate("location.href")
    expect(page.locator("#panel")).to_be_hidden()
    assert any("callback link is not valid" in text for text in warnings), warnings
