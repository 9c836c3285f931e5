"""ACD mode (issue 14, CB-5): a tenant sends its callbacks to its own ACD number instead of to Guichet's agents.
The settings, as flat keys of the tenant's callback settings (domain/callbacks/settings.py reads and writes them
through this module), each checked with the field at fault:

    {"acd_number": "", "acd_welcome": "", "acd_welcome_ms": 0, "acd_prompt": "", "acd_welcome_seconds": 10,
     "acd_id_tries": 3, "acd_id_digits": 4}

- `acd_number`: "" = off (Guichet's agents take the calls); otherwise the ACD's number in E.164 (numbers.acd_line).
- `acd_welcome`: the WAV played to whoever answers at the ACD (a key of the audio bucket, uploaded like hold music);
  required in ACD mode. `acd_welcome_ms`: its length, set by the upload (services/call_audio.py).
- `acd_prompt`: the WAV that asks for the agent id and is played again at each try; "" = the welcome asks.
- `acd_welcome_seconds` (0 to 60): the time from the answer to the id prompt. The welcome plays in full (the SMA
  cannot cut a PlayAudio short), then silence (a Pause) fills what is left of that time: a welcome longer than the
  setting just delays the prompt to its own end.
- `acd_id_tries` (1 to 5): how many times the ACD's agent may type an id before the attempt ends.
- `acd_id_digits` (1 to 12): the length of the agents' keypad ids (an agent setting, `keypad_id`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.domain.callbacks.numbers import acd_line
from chalicelib.domain.errors import InvalidInput

KEYS = ("acd_number", "acd_welcome", "acd_welcome_ms", "acd_prompt", "acd_welcome_seconds", "acd_id_tries",
        "acd_id_digits")
WELCOME_SECONDS = (0, 60)
ID_TRIES = (1, 5)
ID_DIGITS = (1, 12)
_AUDIO_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._/-]{0,199}\.wav$")


@dataclass(frozen=True)
class AcdSettings:
    number: str = ""
    welcome: str = ""
    welcome_ms: int = 0
    prompt: str = ""
    welcome_seconds: int = 10
    id_tries: int = 3
    id_digits: int = 4

    @property
    def on(self) -> bool:
        """Callbacks go to the ACD, not to Guichet's agents (desk answering is refused)."""
        return bool(self.number)

    @property
    def silence_ms(self) -> int:
        """The Pause after the welcome, so that the prompt starts `welcome_seconds` after the answer."""
        return max(0, self.welcome_seconds * 1000 - self.welcome_ms)

    @property
    def asking(self) -> str:
        """The audio that asks for the agent id."""
        return self.prompt or self.welcome


def updated_acd(current: AcdSettings, data: dict[str, Any], where: str) -> AcdSettings:
    """`current` with each ACD key of `data` replaced; InvalidInput naming `where.<key>` for a bad value."""
    values: dict[str, Any] = {}
    for key in KEYS:
        if key not in data:
            continue
        value, path = data[key], f"{where}.{key}"
        if key == "acd_number":
            values["number"] = "" if isinstance(value, str) and not value.strip() else acd_line(value, field=path)
        elif key in ("acd_welcome", "acd_prompt"):
            values[key.removeprefix("acd_")] = _audio_key(value, path)
        elif key == "acd_welcome_ms":
            values["welcome_ms"] = _int(value, path, 0, WELCOME_SECONDS[1] * 1000)
        else:
            bounds = {"acd_welcome_seconds": WELCOME_SECONDS, "acd_id_tries": ID_TRIES, "acd_id_digits": ID_DIGITS}
            values[key.removeprefix("acd_")] = _int(value, path, *bounds[key])
    return replace(current, **values)


def check_acd(acd: AcdSettings, where: str) -> None:
    """ACD mode needs a welcome: it is what the ACD's agent hears, and what asks for the id when no prompt is set."""
    if acd.on and not acd.welcome:
        raise InvalidInput("upload the ACD welcome first: it plays to whoever answers at the ACD",
                           field=f"{where}.acd_welcome")


def acd_to_json(acd: AcdSettings) -> dict[str, Any]:
    return {"acd_number": acd.number, "acd_welcome": acd.welcome, "acd_welcome_ms": acd.welcome_ms,
            "acd_prompt": acd.prompt, "acd_welcome_seconds": acd.welcome_seconds, "acd_id_tries": acd.id_tries,
            "acd_id_digits": acd.id_digits}


def _int(value: object, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"must be a whole number from {low} to {high}", field=where)
    return value


def _audio_key(value: object, where: str) -> str:
    if not isinstance(value, str) or (value and (not _AUDIO_KEY.match(value) or ".." in value)):
        raise InvalidInput("must be empty (none) or the key of a .wav object of the audio bucket", field=where)
    return value
