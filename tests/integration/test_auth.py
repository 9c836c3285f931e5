"""Tokens at the edges: REST routes and the WebSocket $connect authorizer refuse missing, expired, forged and
other-tenant tokens (401 / 403), against the real (embedded) Cognito pool and Secrets Manager key."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import jwt
import moto
import pytest
from chalice.test import Client
from cryptography.hazmat.primitives.asymmetric import rsa

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.domain import visitor_tokens
from tests.integration.conftest import ROOT
from tests.integration.handlers import authorize
from tests.integration.test_slice_handlers import login, make_agent, visitor_token


@pytest.fixture
def http(stack: Any) -> Iterator[Any]:
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        yield client.http


def moto_signing_key() -> Any:
    """The key moto's Cognito signs with: lets a test mint a token that verifies but has expired."""
    path = f"{moto.__path__[0]}/cognitoidp/resources/jwks-private.json.gz"
    return jwt.PyJWK.from_dict(json.load(gzip.open(path))).key


def resign(token: str, key: Any, **changes: Any) -> str:
    claims = {**jwt.decode(token, options={"verify_signature": False}), **changes}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": jwt.get_unverified_header(token)["kid"]})


def status_of(http: Any, path: str, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return int(http.get(path, headers=headers).status_code)


@pytest.fixture
def agent_token(http: Any, tenant: str) -> str:
    return login(http, make_agent(tenant))


def test_a_valid_agent_token_is_accepted(http: Any, tenant: str, agent_token: str) -> None:
    answer = http.get(f"/tenants/{tenant}/me", headers={"Authorization": f"Bearer {agent_token}"})
    assert answer.status_code == 200 and answer.json_body["kind"] == "agent" and answer.json_body["name"] == "Ann"
    assert answer.json_body["roles"] == ["agent"]


def test_a_missing_token_is_401(http: Any, tenant: str) -> None:
    answer = http.get(f"/tenants/{tenant}/conversations")
    assert answer.status_code == 401 and answer.json_body["code"] == "unauthorized"
    with pytest.raises(Exception, match="Unauthorized"):
        authorize(tenant, None)


def test_an_expired_agent_token_is_401(http: Any, tenant: str, agent_token: str) -> None:
    expired = resign(agent_token, moto_signing_key(), exp=int(time.time()) - 60)
    assert status_of(http, f"/tenants/{tenant}/me", expired) == 401
    with pytest.raises(Exception, match="Unauthorized"):
        authorize(tenant, expired)


def test_a_forged_agent_token_is_401(http: Any, tenant: str, agent_token: str) -> None:
    forged = resign(agent_token, rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert status_of(http, f"/tenants/{tenant}/me", forged) == 401
    with pytest.raises(Exception, match="Unauthorized"):
        authorize(tenant, forged)


def test_a_token_for_another_app_client_or_pool_is_401(http: Any, tenant: str, agent_token: str) -> None:
    key = moto_signing_key()
    assert status_of(http, f"/tenants/{tenant}/me", resign(agent_token, key, aud="another-client")) == 401
    assert status_of(http, f"/tenants/{tenant}/me", resign(agent_token, key, iss="https://evil.example")) == 401


def test_an_agent_token_of_another_tenant_is_403(http: Any, tenant: str, agent_token: str) -> None:
    assert status_of(http, "/tenants/someone-else/me", agent_token) == 403
    assert status_of(http, "/tenants/someone-else/conversations", agent_token) == 403
    denied = authorize("someone-else", agent_token)
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"


def test_visitor_tokens_expired_forged_or_foreign_are_refused(http: Any, tenant: str) -> None:
    good = visitor_token(http, tenant)
    assert status_of(http, f"/tenants/{tenant}/conversations", good) == 200
    key = bootstrap.container().secrets.visitor_token_key()
    clock = bootstrap.container().deps.clock
    expired, _ = visitor_tokens.sign(key, tenant, "v1", clock.now() - visitor_tokens.LIFETIME - timedelta(minutes=1))
    forged, _ = visitor_tokens.sign(b"not the key", tenant, "v1", clock.now())
    for token in (expired, forged):
        assert status_of(http, f"/tenants/{tenant}/conversations", token) == 401
        with pytest.raises(Exception, match="Unauthorized"):
            authorize(tenant, token)
    assert status_of(http, "/tenants/other/conversations", good) == 403
    assert authorize("other", good)["policyDocument"]["Statement"][0]["Effect"] == "Deny"


def test_a_visitor_cannot_read_another_visitors_conversation(http: Any, tenant: str) -> None:
    from tests.integration.handlers import Socket

    owner = visitor_token(http, tenant)
    socket = Socket(f"own-{tenant}", tenant, owner)
    socket.send({"action": "start_conversation", "consent": True, "id": "c"})
    conversation_id = bootstrap.container().deps.conversations.open_for_visitor(
        tenant, jwt_free_visitor_id(owner))[0].id
    intruder = visitor_token(http, tenant)
    assert status_of(http, f"/tenants/{tenant}/conversations/{conversation_id}", owner) == 200
    assert status_of(http, f"/tenants/{tenant}/conversations/{conversation_id}", intruder) == 404
    assert status_of(http, f"/tenants/{tenant}/conversations/{conversation_id}/messages", intruder) == 404


def jwt_free_visitor_id(token: str) -> str:
    key = bootstrap.container().secrets.visitor_token_key()
    return visitor_tokens.verify(key, token, bootstrap.container().deps.clock.now()).id


def test_a_renewed_visitor_session_keeps_the_visitor(http: Any, tenant: str) -> None:
    first = http.post(f"/tenants/{tenant}/visitors", headers={"Content-Type": "application/json"}, body="{}")
    again = http.post(f"/tenants/{tenant}/visitors", headers={"Content-Type": "application/json"},
                      body=json.dumps({"visitor_token": first.json_body["visitor_token"]}))
    assert again.json_body["visitor_id"] == first.json_body["visitor_id"]
    unknown = http.post("/tenants/no-such-brand/visitors", headers={"Content-Type": "application/json"}, body="{}")
    assert unknown.status_code == 404 and unknown.json_body["field"] == "tenant"


def test_a_wrong_password_is_401_and_a_missing_field_is_400(http: Any, tenant: str) -> None:
    username = make_agent(tenant)
    headers = {"Content-Type": "application/json"}
    wrong = http.post("/auth/login", headers=headers, body=json.dumps({"username": username, "password": "nope"}))
    assert wrong.status_code == 401
    missing = http.post("/auth/login", headers=headers, body=json.dumps({"username": username}))
    assert missing.status_code == 400 and missing.json_body["field"] == "password"
    garbage = http.post("/auth/login", headers=headers, body="{nope")
    assert garbage.status_code == 400 and garbage.json_body["field"] == "body"
