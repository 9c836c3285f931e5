"""Admins upload the audio of calls (issue 13): hold music, played in a loop to whoever waits (CB-7), the
recording notice, played before recording starts (CB-9), and in ACD mode (CB-5) the welcome and the id prompt. The
desk converts the admin's file to 8 kHz mono 16-bit PCM WAV; the server checks it (domain/callbacks/audio.py),
stores it in the audio bucket under a key made of its digest, and names that key in the tenant's callback settings."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.domain import settings as rules
from chalicelib.domain.callbacks.audio import KINDS, audio_key, wav_from_base64
from chalicelib.domain.errors import InvalidInput, NotFound, Unavailable
from chalicelib.domain.model import Principal, Role
from chalicelib.ports import Deps
from chalicelib.services import audit, tenants
from chalicelib.services.auth import require_role


def upload(deps: Deps, admin: Principal, kind: str, wav_base64: str, ip: str = "") -> dict[str, Any]:
    """Stores the WAV and sets `callback.<kind>` to its key; answers {"key", "seconds"}. Nothing is stored or changed
    when the file is refused."""
    require_role(admin, Role.ADMIN)
    if kind not in KINDS:
        raise InvalidInput(f"must be one of {', '.join(KINDS)}", field="kind")
    tenant = deps.tenants.get(admin.tenant)
    if tenant is None:
        raise NotFound(f"unknown tenant '{admin.tenant}'", field="tenant")
    if deps.audio is None:
        raise Unavailable("this deployment has no audio bucket (AUDIO_BUCKET)", field="kind")
    wav = wav_from_base64(wav_base64)
    key = audio_key(admin.tenant, kind, wav)
    deps.audio.put_wav(key, wav.body)
    change: dict[str, object] = {kind: key}
    if kind == "acd_welcome":  # its length: the silence after it is counted from it (domain/callbacks/acd.py)
        change["acd_welcome_ms"] = round(wav.seconds * 1000)
    tenant = tenants.latest(deps, admin.tenant)  # the revision the change is written on (with its audit entry)
    changed = rules.updated(tenant.settings, {"callback": change})
    entry = audit.new_entry(deps, admin, ip=ip, action="callback.audio", target=f"callback.{kind}",
                            before={"key": tenant.settings.to_json().get("callback", {}).get(kind)}, after={"key": key})
    deps.tenants.update(replace(tenant, settings=changed), entry)
    return {"key": key, "seconds": wav.seconds}
