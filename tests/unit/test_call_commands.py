"""Commands to a live call travel as UpdateSipMediaApplicationCall arguments and come back, unchanged, to the SIP
media application's handler; nothing else passes for a command."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.telephony import commands
from chalicelib.domain.telephony.commands import COMMAND_KEY, CallCommand, CallCommandKind

EVERY_COMMAND = [
    commands.hang_up(),
    commands.play_in_loop("tenants/demo/audio/hold.wav"),
    commands.start_recording(),
    commands.join_room("7e5b-meeting", "token-of-the-visitor"),
    commands.pause_recording(),
    commands.resume_recording(),
]


@pytest.mark.parametrize("command", EVERY_COMMAND, ids=lambda c: c.kind.value)
def test_a_command_comes_back_as_it_was_sent(command: CallCommand) -> None:
    arguments = commands.to_arguments(command)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in arguments.items())
    assert len(arguments) <= 20  # UpdateSipMediaApplicationCall takes at most 20 pairs
    assert commands.from_arguments(arguments) == command


def test_the_arguments_of_a_command_are_exactly_its_name_and_parameters() -> None:
    assert commands.to_arguments(commands.join_room("m-1", "t-1")) == {
        COMMAND_KEY: "join_room", "meeting_id": "m-1", "join_token": "t-1"}
    assert commands.to_arguments(commands.hang_up()) == {COMMAND_KEY: "hang_up"}


@pytest.mark.parametrize("arguments", [
    {},
    {COMMAND_KEY: "dial_premium_number"},
    {COMMAND_KEY: "hang_up", "audio_key": "x.wav"},  # a parameter hang_up does not take
    {COMMAND_KEY: "play_in_loop"},  # a parameter missing
    {COMMAND_KEY: "play_in_loop", "audio_key": ""},
    {COMMAND_KEY: "join_room", "meeting_id": "m-1", "join_token": 7},
    {COMMAND_KEY: ["hang_up"]},
], ids=["empty", "unknown", "extra", "missing", "empty-value", "not-a-string", "list"])
def test_anything_but_exactly_one_known_command_is_refused_naming_the_field(arguments: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as refused:
        commands.from_arguments(arguments)
    assert refused.value.field == "command"


def test_every_kind_has_its_parameters_listed() -> None:
    assert set(commands.PARAMETERS) == set(CallCommandKind)
