"""The phone emulator's REST control (docs/testing.md, "Phone emulator"), for tests and the `/phone` page: what the
emulated phones show and the buttons a person would press. Local only: the gateway mounts it under /__local__/.

- GET  /__local__/phones: {"phones": [...], "calls": [...], "timing": {...}}
- GET  /__local__/phones/{number}: one phone (404 if never dialled nor scripted)
- POST /__local__/phones/{number} {"action": "answer" | "busy" | "ring" | "voicemail" | "hang_up"}: a live
  button (409 when it does nothing now: no call, or a call already answered)
- PUT  /__local__/phones/{number}/script {"script": "ring" | "answer" | "busy" | "voicemail",
  "after_seconds": 0, "once": false, "digits": ["9999", "4217"]}: what the phone does at its next rings, and
  what it types each time a call asks for digits (a string is one entry; local/phone_digits.py)
- POST /__local__/phones/{number}/digits {"digits": "4217#"}: typed now, on an answered call (409 otherwise)
- GET  /__local__/phones/recordings: {"recordings": [...]}, each one StartCallRecording wrote
- PUT  /__local__/phones/timing {"ring_timeout_seconds": 30, "audio_scale": 1.0}
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from local.phone import BUTTONS, SCRIPTS, PhoneExchange, Script
from local.phone_digits import DTMF, type_digits

E164 = re.compile(r"^\+[1-9]\d{1,14}$")


def _refuse(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _json(request: web.Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _number(request: web.Request) -> str | None:
    number = request.match_info["number"].strip()
    return number if E164.match(number) else None


def _seconds(value: object, *, low: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low or value > 3600:
        return None
    return float(value)


def control_routes(exchange: PhoneExchange) -> list[web.RouteDef]:
    async def everything(_request: web.Request) -> web.Response:
        return web.json_response(exchange.snapshot())

    async def recordings(_request: web.Request) -> web.Response:
        with exchange.lock:
            found = [r.as_json() for r in exchange.recordings]
        return web.json_response({"recordings": found})

    async def timing(request: web.Request) -> web.Response:
        body = await _json(request)
        if body is None:
            return _refuse(400, "the body is not a JSON object")
        ring = _seconds(body.get("ring_timeout_seconds", exchange.ring_timeout), low=0.01)
        scale = _seconds(body.get("audio_scale", exchange.audio_scale), low=0.0001)
        if ring is None or scale is None:
            return _refuse(400, "ring_timeout_seconds and audio_scale are positive numbers")
        exchange.ring_timeout, exchange.audio_scale = ring, scale
        return web.json_response({"timing": exchange.timing()})

    async def one(request: web.Request) -> web.Response:
        number = _number(request)
        phone = exchange.phone_json(number) if number else None
        if phone is None:
            return _refuse(404, "no such phone")
        return web.json_response({"phone": phone})

    async def press(request: web.Request) -> web.Response:
        number, body = _number(request), await _json(request)
        if number is None or body is None or body.get("action") not in BUTTONS:
            return _refuse(400, f"an E.164 number and an action among {', '.join(BUTTONS)}")
        if not exchange.press(number, str(body["action"])):
            return _refuse(409, f"{body['action']} does nothing now: no call, or a call already answered")
        return web.json_response({"phone": exchange.phone_json(number)})

    async def script(request: web.Request) -> web.Response:
        number, body = _number(request), await _json(request)
        if number is None or body is None or body.get("script") not in SCRIPTS:
            return _refuse(400, f"an E.164 number and a script among {', '.join(SCRIPTS)}")
        after = _seconds(body.get("after_seconds", 0), low=0)
        if after is None or not isinstance(body.get("once", False), bool):
            return _refuse(400, "after_seconds is a number of seconds (0 to 3600), once a boolean")
        keys = body.get("digits", [])
        keys = [keys] if isinstance(keys, str) else keys
        if not isinstance(keys, list) or len(keys) > 20 or not all(isinstance(k, str) and DTMF.match(k) for k in keys):
            return _refuse(400, "digits is a string or a list of at most 20 strings of 0-9, * and # (32 at most)")
        exchange.set_script(number, Script(str(body["script"]), after, bool(body.get("once", False)), tuple(keys)))
        return web.json_response({"phone": exchange.phone_json(number)})

    async def digits(request: web.Request) -> web.Response:
        number, body = _number(request), await _json(request)
        keys = body.get("digits") if body is not None else None
        if number is None or not isinstance(keys, str) or not keys or not DTMF.match(keys):
            return _refuse(400, "an E.164 number and digits: 1 to 32 of 0-9, * and #")
        if not type_digits(exchange, number, keys):
            return _refuse(409, "typing does nothing now: the phone is on no answered call")
        return web.json_response({"phone": exchange.phone_json(number)})

    return [
        web.get("/__local__/phones", everything),
        web.get("/__local__/phones/recordings", recordings),
        web.put("/__local__/phones/timing", timing),
        web.get("/__local__/phones/{number}", one),
        web.post("/__local__/phones/{number}", press),
        web.put("/__local__/phones/{number}/script", script),
        web.post("/__local__/phones/{number}/digits", digits),
    ]
