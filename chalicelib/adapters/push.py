"""Pushing frames through API Gateway's @connections API (the local gateway serves the same API)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalicelib.adapters.aws import client, error_code
from chalicelib.boundary import scrub
from chalicelib.domain.errors import ConnectionGone


class ApiGatewayPush:
    def __init__(self, callback_url: str) -> None:
        self._callback_url = callback_url

    def send(self, connection_id: str, frame: Mapping[str, Any]) -> None:
        api = client("apigatewaymanagementapi", self._callback_url)
        # Valid UTF-8 whatever was stored: a lone surrogate (refused at the boundary, but maybe stored before) would
        # make the frame undecodable for the client.
        data = scrub(json.dumps(frame, separators=(",", ":"), ensure_ascii=False)).encode("utf-8")
        try:
            api.post_to_connection(ConnectionId=connection_id, Data=data)
        except api.exceptions.GoneException as exc:
            raise ConnectionGone(connection_id) from exc
        except Exception as exc:
            if error_code(exc) in {"GoneException", "410"}:
                raise ConnectionGone(connection_id) from exc
            raise
