"""The brand's email is not a phishing relay (issue 11), against moto's server: a visitor who names a page of another
site gets an email whose link goes to the brand's site, or no link at all; a page on the brand's origins keeps its
link. When the tenant lists its site origins, visitors' REST routes and the WebSocket `$connect` authorizer refuse a
request whose `Origin` is missing or foreign; agents are not checked, and nothing changes for a tenant that lists
none. Emails go through the real SES adapter and are read from moto's backend (see test_async_conversations)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.adapters import dynamodb
from chalicelib.domain import links
from chalicelib.domain.model import Principal, PrincipalKind
from chalicelib.services import conversations, follow_up, notifications, tenants
from tests.integration.conftest import ROOT, ConnectionsApi
from tests.integration.handlers import authorize
from tests.integration.test_async_conversations import World, admin, make_world, part, sent_to
from tests.integration.test_slice_handlers import login, make_agent
from tests.integration.test_visitors_and_sales import chat_with

BRAND = "https://brand.example"
EVIL = "https://evil.example"


def settle(tenant: str, **changes: object) -> None:
    tenants.change_settings(bootstrap.container().deps, admin(tenant), changes)


# ---------------------------------------------------------------------------------------------------------------
# The email's link


@pytest.fixture
def world(tenant: str, connections_api: ConnectionsApi) -> World:
    return make_world(tenant, connections_api)


def email_after_an_answer(world: World, page_url: str) -> tuple[str, str]:
    """A visitor on `page_url` leaves an address and goes away; an agent answers; the (plain, html) parts of the one
    email that tells them."""
    a1 = world.hire("a1")
    address = f"v-{uuid.uuid4().hex[:8]}@example.com"
    started = world.start("v1", "Where is my order?", page={"url": page_url, "title": "Sign in"})
    chat = world.accept("a1", started.id)
    follow_up.set_notification(world.deps, world.visitor("v1"), chat.id, email=address, enabled=True)
    conversations.send_message(world.deps, a1, None, chat.id, "r-1", "It left our warehouse today.")
    world.clock.advance(seconds=tenants.settings_of(world.deps, world.tenant).notify_delay_seconds)
    assert True in world.deliver(notifications.NOTIFY, chat.id)
    [mail] = sent_to(address)
    return part(mail, "plain"), part(mail, "html")


def resume_link(world: World, text: str) -> str:
    found = re.search(r"(\S+)#guichet_resume=([A-Za-z0-9_.\-]+)", text)
    assert found is not None, text
    assert world.deps.secrets is not None
    resumed = links.verify_resume(world.deps.secrets.visitor_token_key(), found.group(2), world.clock.now())
    assert resumed.tenant == world.tenant and resumed.visitor_id == "v1"
    return found.group(1)


def test_a_visitor_naming_a_foreign_page_gets_a_link_to_the_brands_site(world: World) -> None:
    tenants.change_settings(world.deps, admin(world.tenant), {"site_url": f"{BRAND}/help"})
    text, html = email_after_an_answer(world, f"{EVIL}/login")
    assert resume_link(world, text) == f"{BRAND}/help"
    assert f'href="{BRAND}/help#guichet_resume=' in html
    assert "evil.example" not in text and "evil.example" not in html
    assert "It left our warehouse today." in text


def test_without_a_site_url_a_foreign_page_gets_no_link_at_all(world: World) -> None:
    text, html = email_after_an_answer(world, f"{EVIL}/login")
    assert "guichet_resume" not in text and "guichet_resume" not in html and "<a " not in html
    assert "evil.example" not in text and "evil.example" not in html
    assert "Continue the conversation" not in text and "It left our warehouse today." in text
    if world.deps.reply_domain:
        assert "You can answer this email." in text


@pytest.mark.parametrize(("page", "link"), [
    (f"{BRAND}/products?id=7#reviews", f"{BRAND}/products?id=7"),
    ("https://BRAND.example:443/cart", f"{BRAND}/cart"),
    ("https://brand.example.evil.example/products?id=7", f"{BRAND}/"),
    ("https://brand.example@evil.example/login", f"{BRAND}/"),
], ids=["allowed", "allowed-not-normalised", "lookalike-host", "userinfo"])
def test_a_page_on_the_brands_origins_keeps_its_link_and_no_other_does(world: World, page: str, link: str) -> None:
    tenants.change_settings(world.deps, admin(world.tenant), {"site_url": f"{BRAND}/",
                                                              "site_origins": [BRAND, "https://shop.example"]})
    text, html = email_after_an_answer(world, page)
    assert resume_link(world, text) == link
    assert f'href="{link}#guichet_resume=' in html


# ---------------------------------------------------------------------------------------------------------------
# The Origin check


@pytest.fixture
def http(stack: Any) -> Iterator[Any]:
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        yield client.http


def call(http: Any, method: str, path: str, *, origin: str | None, token: str | None = None,
         body: str = "{}") -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if origin is not None:
        headers["Origin"] = origin
    if token:
        headers["Authorization"] = f"Bearer {token}"
    answer = getattr(http, method.lower())(path, headers=headers, **({} if method == "GET" else {"body": body}))
    return answer.status_code, answer.json_body


def closed_chat(tenant: str, visitor_id: str, agent_id: str = "ann") -> str:
    """A conversation of the visitor that an agent took and closed (so that it can be rated)."""
    deps = bootstrap.container().deps
    conversation_id = chat_with(tenant, visitor_id, agent_id)
    conversations.close_conversation(deps, Principal(tenant, agent_id, PrincipalKind.AGENT), conversation_id)
    return conversation_id


def visitor_routes(tenant: str, conversation_id: str) -> list[tuple[str, str, str, int]]:
    """(method, path, body, status from an allowed origin) of every route the widget calls."""
    conversation = f"/tenants/{tenant}/conversations/{conversation_id}"
    return [
        ("GET", f"/tenants/{tenant}/widget", "{}", 200),
        ("GET", f"/tenants/{tenant}/availability?url={BRAND}/", "{}", 200),
        ("POST", f"/tenants/{tenant}/visitors", "{}", 201),
        ("GET", f"/tenants/{tenant}/visitors/me/history", "{}", 200),
        ("PUT", f"/tenants/{tenant}/visitors/me/preferences", '{"hide_history": false}', 200),
        ("GET", f"/tenants/{tenant}/me", "{}", 200),
        ("GET", f"/tenants/{tenant}/conversations", "{}", 200),
        ("GET", conversation, "{}", 200),
        ("GET", f"{conversation}/messages", "{}", 200),
        ("GET", f"{conversation}/transcript?format=text", "{}", 200),
        ("POST", f"{conversation}/rating", '{"rating": 5}', 201),
    ]


def test_with_site_origins_visitor_routes_answer_only_requests_from_them(http: Any, tenant: str) -> None:
    session = call(http, "POST", f"/tenants/{tenant}/visitors", origin=None)[1]
    conversation_id = closed_chat(tenant, session["visitor_id"])
    settle(tenant, site_origins=[BRAND, "http://localhost:8000"])
    for method, path, body, allowed in visitor_routes(tenant, conversation_id):
        for origin in (None, EVIL, "https://brand.example.evil.example", "null", f"{BRAND}/"):
            status, refused = call(http, method, path, origin=origin, token=session["visitor_token"], body=body)
            assert (status, refused["code"], refused.get("field")) == (403, "forbidden", "origin"), (path, origin)
        status, answer = call(http, method, path, origin=BRAND, token=session["visitor_token"], body=body)
        assert status == allowed, (path, answer)
    assert call(http, "GET", f"/tenants/{tenant}/widget", origin="http://localhost:8000")[0] == 200
    # The rating was refused five times before it landed once.
    assert call(http, "GET", f"/tenants/{tenant}/conversations/{conversation_id}", origin=BRAND,
                token=session["visitor_token"])[1]["rating"] == 5


def test_with_site_origins_agents_are_not_checked(http: Any, tenant: str) -> None:
    token = login(http, make_agent(tenant))
    session = call(http, "POST", f"/tenants/{tenant}/visitors", origin=None)[1]
    conversation_id = closed_chat(tenant, session["visitor_id"], call(http, "GET", f"/tenants/{tenant}/me",
                                                                      origin=None, token=token)[1]["id"])
    settle(tenant, site_origins=[BRAND])
    conversation = f"/tenants/{tenant}/conversations/{conversation_id}"
    for path in (f"/tenants/{tenant}/me", f"/tenants/{tenant}/conversations", f"/tenants/{tenant}/settings",
                 conversation, f"{conversation}/messages", f"{conversation}/transcript?format=text"):
        for origin in (None, "https://desk.example"):
            assert call(http, "GET", path, origin=origin, token=token)[0] == 200, (path, origin)
    assert call(http, "GET", f"/tenants/{tenant}/settings", origin=None, token=token)[1]["site_origins"] == [BRAND]
    assert effect(authorize(tenant, token)) == "Allow"
    assert effect(authorize(tenant, token, {"Origin": EVIL})) == "Allow"


def effect(answer: dict[str, Any]) -> str:
    return str(answer["policyDocument"]["Statement"][0]["Effect"])


def test_with_site_origins_a_visitors_websocket_needs_one_of_them(http: Any, tenant: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    token = call(http, "POST", f"/tenants/{tenant}/visitors", origin=None)[1]["visitor_token"]
    settle(tenant, site_origins=[BRAND])
    reads: list[str] = []
    real_get = dynamodb.TenantItem.get

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(str(args[0]))
        return real_get(*args, **kwargs)

    monkeypatch.setattr(dynamodb.TenantItem, "get", counted)
    assert effect(authorize(tenant, token)) == "Deny"
    assert effect(authorize(tenant, token, {"Origin": EVIL})) == "Deny"
    assert effect(authorize(tenant, token, {"origin": "https://brand.example.evil.example"})) == "Deny"
    allowed = authorize(tenant, token, {"Origin": BRAND})
    assert effect(allowed) == "Allow" and allowed["context"]["kind"] == "visitor"
    assert effect(authorize(tenant, token, {"origin": BRAND})) == "Allow"  # header names have no case
    assert reads == []  # the tenant's settings come from the cache the settings change filled


def test_without_site_origins_nothing_is_checked(http: Any, tenant: str) -> None:
    session = call(http, "POST", f"/tenants/{tenant}/visitors", origin=None)[1]
    conversation_id = closed_chat(tenant, session["visitor_id"])
    settle(tenant, site_url=f"{BRAND}/")  # a site URL alone steers links only
    for method, path, body, allowed in visitor_routes(tenant, conversation_id):
        for origin in (EVIL,) if path.endswith("/rating") else (None, EVIL):  # a chat is rated once
            status, answer = call(http, method, path, origin=origin, token=session["visitor_token"], body=body)
            assert status == allowed, (path, origin, answer)
    assert effect(authorize(tenant, session["visitor_token"])) == "Allow"
    assert effect(authorize(tenant, session["visitor_token"], {"Origin": EVIL})) == "Allow"

