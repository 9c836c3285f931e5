"""The call card's controls through the Lambda handlers (issue 14, CB-10): what each costs in AWS requests, apart
from the call itself.

On a fresh bench stack, a callback is connected agent first with Ann (bench/sma_calls.py `connect`); then, each in
its own metered window, with every Lambda run it causes (the WebSocket frame, the SMA invocations of the calls'
updates and of the new calls):

1. `callback.controls.hold_resume.*`: Ann puts the visitor on hold (`hold_call`: the visitor's call leaves the room
   and hears the music) and takes them back (`resume_call`: a new seat, the visitor's call joins the room again).
2. `callback.controls.transfer.*`: Ann transfers the call to the queue (`transfer_call` with `to_queue`): the
   visitor is held, Ann's call is hung up, the call is routed to Bob, whose phone is dialled; Bob answers and is
   put in the room, and the visitor is taken off hold into it.
3. `callback.controls.transfer_to_agent.*`: Bob transfers it back to Ann with consent (`transfer_call` with
   `to_agent`): the visitor is held, Ann's phone is dialled and she answers (the offer accepted: she joins the room),
   Bob's call is hung up and the visitor taken off hold into the room.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from bench.message_bench import ROOT, ConnectionsRecorder, Result, metered, open_socket, seed_tenant
from bench.meter import Call, Meter, aws_figures
from bench.sma_calls import (
    Counted,
    SmaCall,
    SmaPlayer,
    actions,
    breakdown,
    connect,
    rest,
    take_calls,
    telephony_on,
    timer_bodies,
    visitor_token,
)

ANN_LINE, BOB_LINE = "+33700000001", "+33700000002"
VISITOR_PHONE = "+33612345679"
PASSWORD = "Bench-passw0rd!"


def run() -> Result:
    return metered(_controls)


def _controls(meter: Meter, recorder: ConnectionsRecorder) -> Result:
    from chalicelib import bootstrap
    from chalicelib.domain.model import Role
    from chalicelib.services import tenants

    with telephony_on(str(ROOT)) as (exchange, http):
        tenant, ann_token, _session = seed_tenant()
        container = bootstrap.container()
        tenants.create_agent(container.deps, container.identity, tenant=tenant, username="bob", password=PASSWORD,
                             name="Bob", roles=[Role.AGENT])
        bob_token = container.identity.login("bob", PASSWORD).id_token
        ann, bob = open_socket(recorder, tenant, ann_token), open_socket(recorder, tenant, bob_token)
        ann_id, bob_id = (str(desk.conn.authorizer["principalId"]) for desk in (ann, bob))
        take_calls(container.deps, tenant, {ann_id: ANN_LINE, bob_id: BOB_LINE})
        assert (ann.send({"action": "set_status", "id": "s", "status": "available"}) or {}).get("type") == "ack"
        sma = SmaPlayer(exchange, Counted())
        token = visitor_token(http, tenant)
        with meter.window() as asking:
            status, asked = rest(http, "POST", f"/tenants/{tenant}/callbacks", token,
                                 {"phone": VISITOR_PHONE, "name": "Ada", "when": "now"})
        assert status == 201, asked
        [due] = timer_bodies(asking)
        sma.fire(due)  # callback.due: Ann is offered the call and dialled
        agent, visitor = connect(sma, ANN_LINE, VISITOR_PHONE)
        conversation_id = f"{asked['id']}-1"

        holder: dict[str, SmaCall] = {}

        def hold_and_resume() -> None:
            _frame(sma, ann, {"action": "hold_call", "id": "hold", "conversation_id": conversation_id})
            music = actions(sma(visitor, visitor.update(sma.updates(visitor)[-1])))
            _frame(sma, ann, {"action": "resume_call", "id": "resume", "conversation_id": conversation_id})
            back = actions(sma(visitor, visitor.update(sma.updates(visitor)[-1])))
            assert [[a["Type"] for a in given] for given in (music, back)] == [
                ["Hangup", "PlayAudio"], ["JoinChimeMeeting"]], (music, back)
            sma(visitor, visitor.interrupted(music[-1]))  # the SMA says the music stopped (informational)
            sma(visitor, visitor.succeeded(back[-1]))

        def transfer() -> None:
            seen = len(sma.updates(visitor)), len(sma.updates(agent))
            _frame(sma, ann, {"action": "transfer_call", "id": "t", "conversation_id": conversation_id,
                              "to_queue": "default"})
            music = [a for arguments in sma.updates(visitor)[seen[0]:]  # the visitor is held
                     for a in actions(sma(visitor, visitor.update(arguments)))]
            for arguments in sma.updates(agent)[seen[1]:]:  # Ann's call is hung up
                sma(agent, agent.update(arguments))
            sma(agent, agent.hangup())
            bobs = sma.placed(BOB_LINE)
            sma(bobs, bobs.new())
            sma(bobs, bobs.ringing())
            joined = actions(sma(bobs, bobs.answered()))  # Bob joins the room; the visitor is taken off hold
            back = actions(sma(visitor, visitor.update(sma.updates(visitor)[-1])))
            assert [a["Type"] for a in joined + back] == ["JoinChimeMeeting", "JoinChimeMeeting"], (joined, back)
            sma(visitor, visitor.interrupted(music[-1]))
            for call, done in ((bobs, joined), (visitor, back)):
                sma(call, call.succeeded(done[-1]))
            holder["call"] = bobs

        def transfer_to_agent() -> None:
            bobs = holder["call"]
            seen = len(sma.updates(visitor)), len(sma.updates(bobs))
            _frame(sma, bob, {"action": "transfer_call", "id": "ta", "conversation_id": conversation_id,
                              "to_agent": ann_id})
            music = [a for arguments in sma.updates(visitor)[seen[0]:]  # the visitor is held
                     for a in actions(sma(visitor, visitor.update(arguments)))]
            anns = sma.placed(ANN_LINE)  # Ann's phone rings; she answers: the call is hers
            sma(anns, anns.new())
            sma(anns, anns.ringing())
            joined = actions(sma(anns, anns.answered()))
            for arguments in sma.updates(bobs)[seen[1]:]:  # Bob's call is hung up
                sma(bobs, bobs.update(arguments))
            sma(bobs, bobs.hangup())
            back = actions(sma(visitor, visitor.update(sma.updates(visitor)[-1])))
            assert [a["Type"] for a in joined + back] == ["JoinChimeMeeting", "JoinChimeMeeting"], (joined, back)
            sma(visitor, visitor.interrupted(music[-1]))
            for call, done in ((anns, joined), (visitor, back)):
                sma(call, call.succeeded(done[-1]))

        figures: dict[str, float] = {}
        notes: list[str] = []
        for name, control in (("hold_resume", hold_and_resume), ("transfer", transfer),
                              ("transfer_to_agent", transfer_to_agent)):
            if name == "transfer":  # Bob is there to take it (nothing waits, so his status routes nothing)
                assert (bob.send({"action": "set_status", "id": "s", "status": "available"}) or {}).get(
                    "type") == "ack"
            measured, runs = _measure(meter, sma, control)
            figures.update(aws_figures(f"callback.controls.{name}", measured, meter.tables))
            figures[f"callback.controls.{name}.lambda_invocations"] = float(sum(runs.values()))
            said = name.replace("hold_resume", "hold and resume").replace("_", " ")
            notes.append(f"callback {said} requests: {breakdown(measured)}; Lambda runs: "
                         + ", ".join(f"{k} x{n}" for k, n in sorted(runs.items())))
        callback = container.deps.callbacks.get(tenant, asked["id"]) if container.deps.callbacks else None
        assert callback is not None and callback.agent_id == ann_id and callback.state.value == "connected", callback
        return Result(figures, notes)


def _measure(meter: Meter, sma: SmaPlayer, control: Callable[[], None]) -> tuple[list[Call], Counter[str]]:
    before = Counter(sma.counted.invocations)
    with meter.window() as calls:
        control()
        for body in timer_bodies(calls):  # every timer it armed is delivered too (an offer's timeout finds nothing)
            sma.fire(body)
    return list(calls), sma.counted.invocations - before


def _frame(sma: SmaPlayer, desk: Any, frame: dict[str, Any]) -> None:
    sma.counted.invocations["ws_message"] += 1
    answer = desk.send(frame)
    assert answer is not None and answer["type"] == "ack", answer
