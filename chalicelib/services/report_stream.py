"""The report consumer (issue 15): the table's stream, one item's change at a time, into facts and day aggregates.

`consume` takes a batch of stream records in order: each is decoded (the adapter's boundary: `decode` gives a
change, or None for an item the consumer ignores), turned into its facts by the domain's transitions, and each fact
recorded (`ReportStore.record`: the fact and its aggregates in one transaction, a repeated fact refused). A record
that fails stops the batch there and is reported as a batch item failure: Lambda checkpoints before it and
delivers it again with everything after it (a stream is retried from its first failure, and one item's changes must
stay in order), while the records before it are not redone. A redelivered record records nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.domain.report_conversation_facts import conversation_facts
from chalicelib.domain.report_facts import ConversationChange, Fact, SaleRecorded, sale_fact
from chalicelib.ports import Deps

log = logging.getLogger("guichet.reports")

Decode = Callable[[dict[str, Any]], Any]  # a ConversationChange, a CallbackChange, or None
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class Outcome:
    """What a batch did: facts recorded, facts already there (redelivered), records ignored, and the sequence
    number of the record that failed (then Lambda redelivers from it), if one did."""

    recorded: int = 0
    repeated: int = 0
    ignored: int = 0
    failed: str | None = None

    def response(self) -> dict[str, Any]:
        """The handler's answer under ReportBatchItemFailures."""
        return {"batchItemFailures": [{"itemIdentifier": self.failed}] if self.failed else []}


def consume(deps: Deps, records: Iterable[tuple[str, dict[str, Any]]], decode: Decode) -> Outcome:
    """Each (sequence number, raw record) in order, until one fails."""
    recorded = repeated = ignored = 0
    for sequence_number, record in records:
        try:
            facts = facts_of(deps, decode(record))
            if not facts:
                ignored += 1
            elif record_facts(deps, facts):
                recorded += len(facts)
            else:
                repeated += len(facts)
        except Exception:
            log.exception("a stream record failed; Lambda delivers it again",
                          extra={"sequence_number": sequence_number})
            return Outcome(recorded, repeated, ignored, failed=sequence_number)
    return Outcome(recorded, repeated, ignored)


def facts_of(deps: Deps, change: Any) -> list[Fact]:
    """The facts one item's change brings: a conversation's (domain/report_facts.py) or a callback's
    (domain/report_callback_facts.py); None (an item the consumer ignores) brings none."""
    if change is None:
        return []
    if isinstance(change, ConversationChange):
        if change.new is None:
            return []
        return conversation_facts(change, tenant_zone(deps, change.new.tenant))
    from chalicelib.domain.report_callback_facts import CallbackChange, callback_facts

    if isinstance(change, CallbackChange):
        return callback_facts(change, tenant_zone(deps, change.tenant))
    if isinstance(change, SaleRecorded):
        return [sale_fact(change, tenant_zone(deps, change.tenant))]
    raise TypeError(f"no facts for a {type(change).__name__}")


def record_facts(deps: Deps, facts: list[Fact]) -> bool:
    """True when one change's facts are new, False when they were recorded before (nothing is counted twice)."""
    if deps.reports is None:
        raise RuntimeError("no report store is wired (Deps.reports)")
    return deps.reports.record_all(facts)


def tenant_zone(deps: Deps, tenant_id: str) -> ZoneInfo:
    """The tenant's clock: the time zone of its settings (today the callback slots' `time_zone`, the only one a
    tenant sets), UTC for a tenant that is gone or a zone this runtime does not know."""
    tenant = deps.tenants.get(tenant_id)
    if tenant is None:
        return UTC_ZONE
    try:
        return ZoneInfo(tenant.settings.callback.slots.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE
