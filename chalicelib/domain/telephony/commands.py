"""What the desk and the services ask of a live call (issue 13, CB-7, CB-9, and CB-10 next): a command in domain
words, carried to the SIP media application's handler as the `Arguments` of UpdateSipMediaApplicationCall, which
delivers them in a CALL_UPDATE_REQUESTED event. `to_arguments` and `from_arguments` are each other's inverse;
anything else in the arguments is refused, so a stray update can never act on a call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.errors import InvalidInput

#: The key that names the command; the others are its parameters (at most 20 pairs in all, strings only).
COMMAND_KEY = "guichet_command"


class CallCommandKind(StrEnum):
    HANG_UP = "hang_up"
    PLAY_IN_LOOP = "play_in_loop"  # hold music or a waiting notice, looped until the next command
    START_RECORDING = "start_recording"
    JOIN_ROOM = "join_room"  # the party's leg joins the callback's room (its Chime SDK meeting)
    HOLD = "hold"  # the party leaves the room (its meeting leg hangs up) and hears the hold music (issue 14)
    PAUSE_RECORDING = "pause_recording"  # the leg's recording records silence until resumed (issue 14, CB-10)
    RESUME_RECORDING = "resume_recording"


#: The parameters each command needs, in the order they are documented.
PARAMETERS: dict[CallCommandKind, tuple[str, ...]] = {
    CallCommandKind.HANG_UP: (),
    CallCommandKind.PLAY_IN_LOOP: ("audio_key",),
    CallCommandKind.START_RECORDING: (),
    CallCommandKind.JOIN_ROOM: ("meeting_id", "join_token"),
    CallCommandKind.HOLD: (),
    CallCommandKind.PAUSE_RECORDING: (),
    CallCommandKind.RESUME_RECORDING: (),
}


@dataclass(frozen=True)
class CallCommand:
    kind: CallCommandKind
    parameters: Mapping[str, str]

    def __post_init__(self) -> None:
        expected = set(PARAMETERS[self.kind])
        if set(self.parameters) != expected or not all(
                isinstance(v, str) and v for v in self.parameters.values()):
            raise InvalidInput(f"'{self.kind}' takes {sorted(expected) or 'no parameters'}", field="command")


def hang_up() -> CallCommand:
    return CallCommand(CallCommandKind.HANG_UP, {})


def play_in_loop(audio_key: str) -> CallCommand:
    return CallCommand(CallCommandKind.PLAY_IN_LOOP, {"audio_key": audio_key})


def start_recording() -> CallCommand:
    return CallCommand(CallCommandKind.START_RECORDING, {})


def join_room(meeting_id: str, join_token: str) -> CallCommand:
    return CallCommand(CallCommandKind.JOIN_ROOM, {"meeting_id": meeting_id, "join_token": join_token})


def hold() -> CallCommand:
    return CallCommand(CallCommandKind.HOLD, {})


def pause_recording() -> CallCommand:
    return CallCommand(CallCommandKind.PAUSE_RECORDING, {})


def resume_recording() -> CallCommand:
    return CallCommand(CallCommandKind.RESUME_RECORDING, {})


def to_arguments(command: CallCommand) -> dict[str, str]:
    return {COMMAND_KEY: command.kind.value, **command.parameters}


def from_arguments(arguments: Mapping[str, object]) -> CallCommand:
    """The command an update carries; InvalidInput (field `command`) for anything that is not exactly one."""
    kind = arguments.get(COMMAND_KEY)
    if not isinstance(kind, str) or kind not in CallCommandKind.__members__.values():
        raise InvalidInput("the update names no known command", field="command")
    parameters = {k: v for k, v in arguments.items() if k != COMMAND_KEY}
    if not all(isinstance(v, str) for v in parameters.values()):
        raise InvalidInput("a command's parameters are strings", field="command")
    return CallCommand(CallCommandKind(kind), {k: str(v) for k, v in parameters.items()})
