"""The softphone on the desk (issue 14, CB-6), in memory: an agent who answers on the desk is offered calls without
any phone ringing, accepts on the desk through the same path as answering a phone (call_flow.agent_took), gets a
seat in the call's room (`join_call`), and chooses how they answer (`answer_calls`). The same flow runs on the phone
emulator in tests/integration/test_softphone.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain.callbacks.model import CallbackState, CallPhase
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, MissingField, NotFound
from chalicelib.domain.model import Agent, AgentStatus, Principal, PrincipalKind
from chalicelib.domain.routing import Channel, RoutingConfig, agent_settings_from_json, routing_view, with_settings
from chalicelib.domain.telephony.commands import CallCommandKind
from chalicelib.ports import Deps
from chalicelib.services import offers, softphone
from tests.unit.fakes_calls import FakeTelephony
from tests.unit.test_call_flow import (
    LINES,
    VISITOR_PHONE,
    T,
    action_types,
    ask,
    callback,
    connected,
    ring_and_answer,
    run_timers,
    setup,
)

ALICE = Principal(tenant=T, id="alice", kind=PrincipalKind.AGENT)
BOB = Principal(tenant=T, id="bob", kind=PrincipalKind.AGENT)


def on_desk(deps: Deps, name: str = "alice", line: str = "") -> None:
    """`name` answers calls on the desk (with or without a line of their own)."""
    deps.agents.put(Agent(T, name, name.title(), status=AgentStatus.AVAILABLE, takes_calls=True, own_line=line,
                          answer_calls="desk", idle_since=deps.clock.now() - timedelta(minutes=10)))


def offer_id(deps: Deps) -> str:
    conversation = deps.conversations.get(T, "cb1-1")
    assert conversation is not None and conversation.offer is not None
    return conversation.offer.id


def accept(deps: Deps, agent: Principal = ALICE, offer: str = "") -> None:
    offers.accept(deps, agent, "cb1-1", offer or offer_id(deps))


def test_a_desk_agent_is_offered_the_call_and_no_phone_rings_even_with_a_line() -> None:
    deps, telephony, _ = setup(agents=())
    on_desk(deps, line=LINES["alice"])
    ask(deps)
    run_timers(deps)
    assert telephony.dials == []
    found = callback(deps)
    assert (found.phase, found.agent_id, found.agent_call) == (CallPhase.RINGING_AGENT, "alice", "")


def test_accepting_on_the_desk_agent_first_dials_the_visitor_once_and_connects_without_a_join_command() -> None:
    deps, telephony, calls_ = setup(agents=())
    on_desk(deps)
    ask(deps)
    run_timers(deps)
    offer = offer_id(deps)
    accept(deps, offer=offer)
    assert callback(deps).phase is CallPhase.CALLING_VISITOR
    [visitor_call] = telephony.dials
    assert visitor_call.to == VISITOR_PHONE
    with pytest.raises(NotFound):  # a double click, or another desk: the offer is taken already
        accept(deps, offer=offer)
    assert len(telephony.dials) == 1
    joined = ring_and_answer(deps, calls_, visitor_call)
    assert action_types(joined) == ["JoinChimeMeeting"]  # the visitor joins the room
    found = callback(deps)
    assert (found.state, found.agent_call) == (CallbackState.CONNECTED, "")
    assert telephony.commands == []  # nobody's phone leg to join: the desk's softphone is in the room


def test_accepting_on_the_desk_visitor_first_connects_and_the_visitor_joins_the_room() -> None:
    deps, telephony, calls_ = setup(call_order="visitor_first", agents=())
    on_desk(deps)
    ask(deps)
    run_timers(deps)
    [visitor_call] = telephony.dials
    assert action_types(ring_and_answer(deps, calls_, visitor_call)) == ["PlayAudio"]  # music while waiting
    assert callback(deps).phase is CallPhase.RINGING_AGENT and len(telephony.dials) == 1
    accept(deps)
    found = callback(deps)
    assert (found.state, found.phase) == (CallbackState.CONNECTED, CallPhase.CONNECTED)
    assert [c.kind for call, c in telephony.commands if call == visitor_call.call_id] == [CallCommandKind.JOIN_ROOM]
    assert len(telephony.dials) == 1


def test_an_offer_that_rang_the_agents_phone_is_not_accepted_on_the_desk() -> None:
    deps, telephony, _ = setup()  # alice answers on her line
    ask(deps)
    run_timers(deps)
    assert telephony.dials[0].to == LINES["alice"]
    with pytest.raises(Conflict) as refused:
        accept(deps)
    assert refused.value.field == "offer_id"
    conversation = deps.conversations.get(T, "cb1-1")
    assert conversation is not None and conversation.offer is not None  # still offered: her phone still rings
    assert callback(deps).phase is CallPhase.RINGING_AGENT and len(telephony.dials) == 1


def test_join_call_gives_the_agent_a_seat_in_the_calls_room() -> None:
    deps, telephony, calls_ = setup(agents=())
    on_desk(deps)
    on_desk(deps, "bob")
    ask(deps)
    run_timers(deps)
    holder = callback(deps).agent_id
    other = BOB if holder == "alice" else ALICE
    me = ALICE if holder == "alice" else BOB
    with pytest.raises(Conflict):  # offered, not taken yet
        softphone.join_call(deps, me, "cb1-1")
    accept(deps, me)
    seat = softphone.join_call(deps, me, "cb1-1")  # the visitor is being dialled: the desk may join already
    assert seat == {"softphone": "chime", "seat": {
        "meeting": {"MeetingId": "meeting-cb1", "MediaRegion": "us-east-1", "MediaPlacement": {}},
        "attendee": {"AttendeeId": f"agent-{holder}@meeting-cb1", "ExternalUserId": f"agent-{holder}",
                     "JoinToken": f"token-agent-{holder}"}}}
    assert softphone.join_call(replace(deps, softphone="local"), me, "cb1-1")["softphone"] == "local"
    with pytest.raises(Forbidden):
        softphone.join_call(deps, other, "cb1-1")
    with pytest.raises(NotFound):
        softphone.join_call(deps, me, "no-such-1")
    ring_and_answer(deps, calls_, telephony.dials[0])
    assert softphone.join_call(deps, me, "cb1-1")["seat"]["attendee"]["ExternalUserId"] == f"agent-{holder}"
    assert isinstance(deps.telephony, FakeTelephony)
    deps.telephony.closed.append("meeting-cb1")  # the room closed under a connected call
    with pytest.raises(Conflict):
        softphone.join_call(deps, me, "cb1-1")


def test_calls_go_to_a_desk_agent_without_a_line_and_never_to_one_who_does_not_take_them() -> None:
    desk = Agent(T, "a", "A", takes_calls=True, answer_calls="desk", call_capacity=2)
    assert routing_view(desk).capacity[Channel.CALL] == 2
    assert routing_view(replace(desk, answer_calls="line")).capacity[Channel.CALL] == 0  # no line to ring
    assert routing_view(replace(desk, answer_calls="line", own_line="+33612345678")).capacity[Channel.CALL] == 2
    assert routing_view(replace(desk, takes_calls=False)).capacity[Channel.CALL] == 0


def test_answer_calls_is_line_by_default_and_only_line_or_desk() -> None:
    ann = Agent(T, "a", "Ann")
    assert ann.answer_calls == "line"
    assert with_settings(ann, agent_settings_from_json({"answer_calls": "desk"}, RoutingConfig())).answer_calls == \
        "desk"
    kept = with_settings(replace(ann, answer_calls="desk"), agent_settings_from_json({}, RoutingConfig()))
    assert kept.answer_calls == "desk"
    for bad in ("phone", "", 1, True):
        with pytest.raises(InvalidInput) as refused:
            agent_settings_from_json({"answer_calls": bad}, RoutingConfig())
        assert refused.value.field == "answer_calls"


def test_an_agent_switches_to_their_line_and_is_then_rung_there() -> None:
    deps, telephony, _ = setup(agents=())
    on_desk(deps, line=LINES["alice"])
    with pytest.raises(MissingField):
        softphone.set_answer_calls(deps, ALICE, None)
    with pytest.raises(InvalidInput):
        softphone.set_answer_calls(deps, ALICE, "phone")
    assert softphone.set_answer_calls(deps, ALICE, "line").answer_calls == "line"
    ask(deps)
    run_timers(deps)
    assert [d.to for d in telephony.dials] == [LINES["alice"]]


def test_a_call_transferred_to_a_queue_is_accepted_on_the_next_desk_and_the_visitor_joins_again() -> None:
    from chalicelib.services import call_controls

    deps, telephony, calls_ = setup(agents=())
    on_desk(deps)
    ask(deps)
    run_timers(deps)
    accept(deps)
    [visitor_call] = telephony.dials
    ring_and_answer(deps, calls_, visitor_call)
    on_desk(deps, "bob")
    view = call_controls.transfer_to_queue(deps, ALICE, "cb1-1", "default")
    assert (view["agent_name"], view["phase"]) == ("Bob", "ringing_agent")
    assert len(telephony.dials) == 1  # nobody's phone rings for Bob
    with pytest.raises(Conflict):
        softphone.join_call(deps, BOB, "cb1-1")  # offered, not his yet
    with pytest.raises(Forbidden):
        softphone.join_call(deps, ALICE, "cb1-1")  # not hers any more: her desk leaves the room
    accept(deps, BOB)
    found = callback(deps)
    assert (found.state, found.agent_id, found.held_since) == (CallbackState.CONNECTED, "bob", None)
    kinds = [c.kind for call, c in telephony.commands if call == visitor_call.call_id]
    assert kinds == [CallCommandKind.HOLD, CallCommandKind.JOIN_ROOM]  # on hold, then back in the room with Bob
    assert softphone.join_call(deps, BOB, "cb1-1")["seat"]["attendee"]["ExternalUserId"] == "agent-bob"


def test_in_acd_mode_desk_answering_is_refused_with_the_reason() -> None:
    """CB-5: an ACD's agents answer the tenant's calls; nobody may choose the desk, by themselves or by an admin,
    and a desk cannot join a call its ACD took. The line stays a valid choice."""
    from chalicelib.domain.callbacks.acd import AcdSettings
    from chalicelib.domain.model import Role
    from chalicelib.services import routing_admin
    from tests.unit.fakes_calls import FakeCallbacks

    deps, telephony, calls_ = setup(agents=("alice",))
    connected(deps, telephony, calls_)  # a call Alice holds, as the ACD's agent would (acd below)
    assert isinstance(deps.callbacks, FakeCallbacks)
    deps.callbacks.items[(T, "cb1")] = replace(callback(deps), acd=True)
    tenant = deps.tenants.get(T)
    assert tenant is not None
    acd = AcdSettings(number="+33800000000", welcome="audio/t/welcome.wav", welcome_ms=2000)
    callback_settings = replace(tenant.settings.callback, acd=acd)
    deps.tenants.put(replace(tenant, settings=replace(tenant.settings, callback=callback_settings)))  # type: ignore
    with pytest.raises(Conflict, match="own ACD") as refused:
        softphone.set_answer_calls(deps, ALICE, "desk")
    assert refused.value.field == "answer_calls"
    admin = Principal(tenant=T, id="boss", kind=PrincipalKind.AGENT, roles=frozenset({Role.ADMIN}))
    with pytest.raises(Conflict) as by_admin:
        routing_admin.change_agent_settings(deps, admin, "alice", {"answer_calls": "desk"})
    assert by_admin.value.field == "answer_calls"
    assert deps.agents.get(T, "alice").answer_calls == "line"  # type: ignore[union-attr]
    assert softphone.set_answer_calls(deps, ALICE, "line").answer_calls == "line"
    with pytest.raises(Conflict, match="own ACD") as joining:
        softphone.join_call(deps, ALICE, "cb1-1")
    assert joining.value.field == "conversation_id"
