"""The one place that wires real adapters to the ports. Built lazily, once per Lambda container."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from chalicelib.ports import AgentTokenVerifier, Deps, IdentityProvider, Mailer, SecretStore, UserAccounts
from chalicelib.settings import settings


@dataclass(frozen=True)
class Container:
    deps: Deps
    secrets: SecretStore
    agent_tokens: AgentTokenVerifier
    identity: IdentityProvider
    mailer: Mailer
    #: The console's side of the users (issue 16): Cognito's admin calls.
    accounts: UserAccounts


_lock = threading.Lock()
_container: Container | None = None


def container() -> Container:
    global _container
    if _container is None:
        with _lock:
            if _container is None:
                _container = _build()
    return _container


def built() -> Container | None:
    """The wiring if something built it already (app.py flushes its metrics), else None."""
    return _container


def reset() -> None:
    """Forget the wiring (tests and the local stack call this after changing the environment)."""
    global _container
    with _lock:
        _container = None


def _build() -> Container:
    from chalicelib.adapters import dynamodb
    from chalicelib.adapters.audio import S3AudioStore
    from chalicelib.adapters.board_gate import DynamoBoardGate
    from chalicelib.adapters.chime import ChimeTelephony
    from chalicelib.adapters.cognito import CognitoIdentity, CognitoTokenVerifier
    from chalicelib.adapters.dynamodb.audit import DynamoAuditLog
    from chalicelib.adapters.dynamodb.facts import DynamoReports
    from chalicelib.adapters.dynamodb.users import DynamoUsers
    from chalicelib.adapters.mail import SesMailer
    from chalicelib.adapters.push import ApiGatewayPush
    from chalicelib.adapters.rate_limits import DynamoRateLimits
    from chalicelib.adapters.secrets import SecretsManagerKeys
    from chalicelib.adapters.system import RandomIds, UtcClock
    from chalicelib.adapters.telemetry import EmfMetrics
    from chalicelib.adapters.timers import QueueAndSchedulerTimers

    config = settings()
    dynamodb.configure(config.table_name, config.region, _endpoint("dynamodb"))
    tenants = dynamodb.DynamoTenants()
    secrets = SecretsManagerKeys(config.visitor_secret_id)
    mailer = SesMailer(config.mail_from)
    deps = Deps(
        tenants=tenants,
        conversations=dynamodb.DynamoConversations(),
        agents=dynamodb.DynamoAgents(tenants),
        assignments=dynamodb.DynamoAssignments(tenants),
        routing=dynamodb.DynamoRoutingIndex(tenants),
        connections=dynamodb.DynamoConnections(),
        contacts=dynamodb.DynamoContacts(),
        push=ApiGatewayPush(config.ws_callback_url),
        timers=QueueAndSchedulerTimers(
            config.timer_queue_url, config.timer_queue_arn, config.schedule_group, config.scheduler_role_arn
        ),
        clock=UtcClock(),
        ids=RandomIds(),
        mailer=mailer,
        secrets=secrets,
        reply_domain=config.reply_domain,
        sales=dynamodb.DynamoSales(),
        callbacks=dynamodb.DynamoCallbacks(),
        rate_limits=DynamoRateLimits(),
        metrics=EmfMetrics(config.stage),
        sma_invocations=dynamodb.DynamoSmaInvocations(),
        # Building it makes no AWS call; None while the stack has no calling number (telephony off).
        telephony=ChimeTelephony(config.sip_media_application_id, config.calling_number, config.chime_media_region,
                                 config.chime_endpoint_url) if config.calling_number else None,
        audio=S3AudioStore(config.audio_bucket, _endpoint("s3")) if config.audio_bucket else None,
        softphone=config.softphone,
        reports=DynamoReports(),
        board=DynamoBoardGate(),
        audit=DynamoAuditLog(),
        users=DynamoUsers(),
    )
    identity = CognitoIdentity(config.user_pool_id, config.user_pool_client_id)
    return Container(
        deps=deps,
        secrets=secrets,
        agent_tokens=CognitoTokenVerifier(config.cognito_issuer, config.user_pool_client_id, config.jwks_url),
        identity=identity,
        mailer=mailer,
        accounts=identity,
    )


def _endpoint(service: str) -> Any:
    import os

    return os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or os.environ.get("AWS_ENDPOINT_URL") or None
