"""API Gateway's GoneException, which moto cannot produce, through botocore's Stubber."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.adapters import aws as aws_clients
from chalicelib.adapters.push import ApiGatewayPush
from chalicelib.domain.errors import ConnectionGone

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/api"


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> Any:
    client = boto3.session.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x").client(
        "apigatewaymanagementapi", endpoint_url=URL)
    monkeypatch.setitem(aws_clients._clients, ("apigatewaymanagementapi", URL), client)
    with Stubber(client) as stubber:
        yield stubber


def test_a_gone_connection_raises_connection_gone(stubbed: Stubber) -> None:
    stubbed.add_client_error("post_to_connection", service_error_code="GoneException", http_status_code=410,
                             expected_params={"ConnectionId": "abc=", "Data": b'{"type":"pong"}'})
    with pytest.raises(ConnectionGone) as gone:
        ApiGatewayPush(URL).send("abc=", {"type": "pong"})
    assert gone.value.connection_id == "abc="


def test_other_errors_are_not_mistaken_for_gone(stubbed: Stubber) -> None:
    stubbed.add_client_error("post_to_connection", service_error_code="LimitExceededException", http_status_code=429)
    with pytest.raises(Exception, match="LimitExceeded"):
        ApiGatewayPush(URL).send("abc=", {"type": "pong"})


def test_a_frame_is_posted_as_compact_json(stubbed: Stubber) -> None:
    stubbed.add_response("post_to_connection", {}, {"ConnectionId": "abc=", "Data": b'{"type":"message","n":1}'})
    ApiGatewayPush(URL).send("abc=", {"type": "message", "n": 1})
    stubbed.assert_no_pending_responses()
