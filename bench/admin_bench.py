"""What the Administration console costs (issue 16): requests and write units of an admin's change with its audit
entry, of an invitation, of an audit page read, and of a routing preview over waiting conversations.

Through the services, as the REST routes call them, on the bench's fresh stack: Acme's admin Ann changes one setting
(the tenant item read fresh, then one transaction: the tenant item on its version, and the audit entry), invites a
user (Cognito, the directory item and the admin count in one transaction with the entry, the agent item, SES), reads
the first page of the audit log, and previews a routing change while 20 conversations wait in one group. An agent's
status change is counted too: it reads the agent's directory item (a deactivated user may only go Offline).
"""

from __future__ import annotations

from typing import Any

from bench import capacity
from bench.message_bench import PASSWORD, ConnectionsRecorder, Result, metered, seed_tenant
from bench.meter import Meter

WAITING = 20


def run() -> Result:
    return metered(_console)


def _console(meter: Meter, recorder: ConnectionsRecorder) -> Result:
    from chalicelib import bootstrap
    from chalicelib.domain.model import Principal, PrincipalKind, Role
    from chalicelib.domain.routing import config_to_json
    from chalicelib.services import agents, audit, routing_preview, tenants, users
    from chalicelib.services.conversations import ChatRequest, start_conversation

    tenant, _token, _session = seed_tenant()
    container = bootstrap.container()
    deps = container.deps
    made = tenants.create_agent(deps, container.identity, tenant=tenant, username="ada", password=PASSWORD,
                                name="Ada", roles=[Role.AGENT, Role.ADMIN])
    ada = Principal(tenant, made.id, PrincipalKind.AGENT, name="Ada", roles=frozenset({Role.AGENT, Role.ADMIN}))
    figures: dict[str, float] = {}

    def cost(name: str, calls: list[Any]) -> None:
        dynamodb = [call for call in calls if call.service == "dynamodb"]
        figures[f"admin.{name}.aws_requests"] = float(len(calls))
        figures[f"admin.{name}.dynamodb_requests"] = float(len(dynamodb))
        figures[f"admin.{name}.dynamodb_wcu"] = capacity.total(call.units(meter.tables) for call in dynamodb).wcu

    with meter.window() as calls:
        tenants.change_settings(deps, ada, {"acceptance_seconds": 45}, ip="203.0.113.7")
    cost("settings_change", calls)

    with meter.window() as calls:
        users.invite(deps, container.accounts, ada, {"email": "nina@example.com", "name": "Nina", "roles": ["agent"]},
                     ip="203.0.113.7", desk_url="https://desk.example/desk/index.html")
    cost("invite", calls)

    with meter.window() as calls:
        page = audit.entries(deps, ada, {})
    assert [e["action"] for e in page["entries"]] == ["user.invite", "settings.update"], page
    cost("audit_page", calls)

    for n in range(WAITING):  # nobody is Available: they wait in the default group
        start_conversation(deps, Principal(tenant, f"v{n}", PrincipalKind.VISITOR), None, ChatRequest(consent=True))
    with meter.window() as calls:
        preview = routing_preview.preview_routing(deps, ada, config_to_json(tenants.routing_of(deps, tenant)))
    assert len(preview["waiting"]) == WAITING and preview["moving"] == 0, preview
    cost("routing_preview", calls)

    with meter.window() as calls:
        agents.set_status(deps, ada, "away")
    cost("status_change", calls)

    notes = ["admin (DynamoDB requests): " + ", ".join(
        f"{key.split('.')[1]} {value:g}" for key, value in figures.items() if key.endswith("dynamodb_requests"))]
    return Result(figures, notes)
