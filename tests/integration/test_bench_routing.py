"""bench/routing_bench.py against the session's moto, at small sizes: a routing decision makes as many DynamoDB
requests with 200 agents as with 10, the naive reference (read every agent) makes more, and the bench's seeding
writes exactly the items DynamoAgents.put writes."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

import boto3

from bench import routing_bench
from bench.meter import Meter
from chalicelib import bootstrap
from chalicelib.services import tenants
from tests.integration.conftest import Stack, rewire


def _items_of(stack: Stack, tenant: str) -> list[str]:
    """Every item of the tenant but its configuration, with the tenant's id replaced, in a comparable form."""
    client = boto3.client("dynamodb", endpoint_url=stack.env["AWS_ENDPOINT_URL"])
    prefix = f"T#{tenant}#"
    found: list[str] = []
    for page in client.get_paginator("scan").paginate(
            TableName=stack.env["TABLE_NAME"], ConsistentRead=True, FilterExpression="begins_with(pk, :p)",
            ExpressionAttributeValues={":p": {"S": prefix}}):
        for item in page["Items"]:
            if item["pk"]["S"] == f"{prefix}TENANT":
                continue

            def plain(value: dict[str, Any]) -> dict[str, Any]:
                ((kind, inner),) = value.items()
                if kind == "S":
                    return {kind: inner.replace(prefix, "T#<t>#")}
                if kind == "SS":
                    return {kind: sorted(inner)}
                return value

            found.append(json.dumps({name: plain(value) for name, value in item.items()}, sort_keys=True))
    return sorted(found)


def test_a_seeded_agent_is_what_put_writes(stack: Stack, tenant: str) -> None:
    deps = bootstrap.container().deps
    by_put = f"t{uuid.uuid4().hex[:10]}"
    tenants.create_tenant(deps, by_put, "Written by DynamoAgents.put")

    seeded = routing_bench.seed_agents(tenant, 3, tenants.routing_of(deps, tenant))
    for index in range(3):
        deps.agents.put(routing_bench.seeded_agent(by_put, index))

    items = _items_of(stack, tenant)
    # A profile, a ready line for chat and a roster line, per agent (the seeded agents take no calls: CB-6).
    assert len(items) == seeded.items == 3 * 3
    assert items == _items_of(stack, by_put)
    for agent_id in seeded.ids:
        written = deps.agents.get(by_put, agent_id)
        assert written is not None and written.index_keys
        assert deps.agents.get(tenant, agent_id) == replace(written, tenant=tenant)


def test_a_decision_costs_the_same_with_10_or_200_agents_and_the_naive_one_grows(stack: Stack) -> None:
    meter = Meter()
    meter.install()
    try:
        rewire()  # the app's clients are made again, now with the meter's hooks
        meter.describe_tables(stack.env["AWS_ENDPOINT_URL"], "us-east-1", stack.env["TABLE_NAME"])
        result = routing_bench.measure(meter, (10, 200), decisions=2, naive_decisions=1,
                                       tenant_prefix=f"t{uuid.uuid4().hex[:8]}-")
    finally:
        meter.uninstall()
        rewire()
    figures = result.figures

    engine = figures["routing.requests_per_decision.agents_10"]
    assert figures["routing.requests_per_decision.agents_200"] == engine
    assert figures["routing.requests_per_decision.spread"] == 0
    # Counters, the ready list's head, the agent, the offer, the live board's gate (is it watched?); the offer frame's
    # conversation and the desk's connections.
    assert engine == 7
    assert figures["routing.pull.requests_per_decision.agents_200"] == \
        figures["routing.pull.requests_per_decision.agents_10"]
    # The roster (one page), the agents 100 per BatchGetItem, the offer.
    assert figures["routing.naive.requests_per_decision.agents_10"] == 1 + 1 + 1
    assert figures["routing.naive.requests_per_decision.agents_200"] == 1 + 2 + 1
