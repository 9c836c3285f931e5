"""The phone emulator's AWS edge (local/phone.py) answers the Chime SDK Voice and Meetings requests of the real
adapter (chalicelib/adapters/chime.py) over HTTP, as the services do: boto3 parses its answers and its errors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.adapters.chime import ChimeTelephony
from chalicelib.domain.telephony import commands
from chalicelib.ports import Room
from local.phone import PhoneExchange, serving

SMA = "local-sma"
NUMBER = "+12065550100"


@pytest.fixture
def exchange(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[PhoneExchange, str]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    found = PhoneExchange()
    with serving(found) as url:
        yield found, url


def test_a_dialled_call_is_held_with_its_numbers_and_arguments(exchange: tuple[PhoneExchange, str]) -> None:
    phones, url = exchange
    telephony = ChimeTelephony(SMA, NUMBER, "us-east-1", endpoint_url=url)
    call_id = telephony.dial("+33612345678", {"tenant": "demo", "callback": "cb-1"})
    call = phones.calls[call_id]
    assert (call.sip_media_application_id, call.from_number, call.to_number) == (SMA, NUMBER, "+33612345678")
    assert call.arguments == {"tenant": "demo", "callback": "cb-1"}


def test_a_command_reaches_a_live_call_and_a_call_gone_answers_false(exchange: tuple[PhoneExchange, str]) -> None:
    phones, url = exchange
    telephony = ChimeTelephony(SMA, NUMBER, "us-east-1", endpoint_url=url)
    call_id = telephony.dial("+33612345678", {})
    assert telephony.command(call_id, commands.play_in_loop("hold.wav")) is True
    assert phones.calls[call_id].updates == [{"guichet_command": "play_in_loop", "audio_key": "hold.wav"}]
    phones.calls[call_id].state = "ended"
    assert telephony.command(call_id, commands.hang_up()) is False
    assert telephony.command("no-such-call", commands.hang_up()) is False


def test_rooms_are_one_per_callback_with_a_seat_per_member(exchange: tuple[PhoneExchange, str]) -> None:
    phones, url = exchange
    telephony = ChimeTelephony(SMA, NUMBER, "us-east-1", endpoint_url=url)
    room = telephony.open_room("cb-1")
    assert telephony.open_room("cb-1") == room  # the same ClientRequestToken: the same meeting
    assert telephony.open_room("cb-2") != room
    visitor, agent = telephony.add_member(room, "visitor"), telephony.add_member(room, "agent")
    assert visitor.join_token != agent.join_token
    assert set(phones.rooms[room.meeting_id].attendees) == {visitor.attendee_id, agent.attendee_id}
    telephony.close_room(room)
    assert room.meeting_id not in phones.rooms
    telephony.close_room(room)  # already gone: not an error
    with pytest.raises(Exception, match="NotFound"):
        telephony.add_member(Room("no-such-meeting"), "agent")


def test_a_calling_number_turns_telephony_on_through_the_local_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `python -m local` provisions: the CallingNumber parameter makes TelephonyOn hold, and the app is told
    to dial through the gateway (which serves the Chime SDK APIs) from the local SIP media application."""
    from local.moto_server import EmbeddedMoto
    from local.provision import LOCAL_SIP_MEDIA_APPLICATION_ID, provision_stack

    for name, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    server = EmbeddedMoto().start()
    try:
        template = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"
        # A stage of its own: moto's server in this process shares its tables with the session's stack.
        result = provision_stack(template, server.url, stage=f"phone{uuid.uuid4().hex[:6]}",
                                 ws_callback_url="http://127.0.0.1:8123", calling_number="+15550100000")
    finally:
        server.stop()
    assert result.parameters["CallingNumber"] == "+15550100000"
    assert result.skipped["SipMediaApplication"].startswith("the local phone emulator")
    env = result.env
    assert (env["CALLING_NUMBER"], env["SIP_MEDIA_APPLICATION_ID"], env["CHIME_ENDPOINT_URL"]) == (
        "+15550100000", LOCAL_SIP_MEDIA_APPLICATION_ID, "http://127.0.0.1:8123")
    assert env["AUDIO_BUCKET"] == result.resources["AudioBucket"].ref
