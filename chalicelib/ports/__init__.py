"""The interfaces the services depend on. Adapters implement them on AWS; tests implement them in memory.

One module per concern (conversations, directory, edges, telephony, callbacks, reports); this package re-exports every
name, and holds `Deps`, the bundle services receive."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.ports.admin import AuditLog, User, UserAccounts, UserDirectory
from chalicelib.ports.board import BoardGate
from chalicelib.ports.callbacks import CallbackRepository
from chalicelib.ports.conversations import (
    AssignmentLost,
    Assignments,
    ConversationRepository,
    ConversationView,
    GroupCount,
    RoutingIndex,
    SeqTaken,
)
from chalicelib.ports.directory import (
    AgentRepository,
    ConnectionRepository,
    ContactRepository,
    RateLimits,
    SaleRepository,
    Tenant,
    TenantRepository,
)
from chalicelib.ports.edges import (
    AgentTokenVerifier,
    Clock,
    Email,
    IdentityProvider,
    Ids,
    LoginResult,
    Mailer,
    Metrics,
    NoMetrics,
    Push,
    SecretStore,
    Timer,
    Timers,
)
from chalicelib.ports.reports import AggregateKey, ReportStore
from chalicelib.ports.telephony import AudioStore, InvocationKey, Room, Seat, SmaInvocations, Telephony

__all__ = [
    "AgentRepository",
    "AgentTokenVerifier",
    "AggregateKey",
    "AssignmentLost",
    "Assignments",
    "AudioStore",
    "AuditLog",
    "BoardGate",
    "CallbackRepository",
    "Clock",
    "ConnectionRepository",
    "ContactRepository",
    "ConversationRepository",
    "ConversationView",
    "Deps",
    "Email",
    "GroupCount",
    "IdentityProvider",
    "Ids",
    "InvocationKey",
    "LoginResult",
    "Mailer",
    "Metrics",
    "NoMetrics",
    "Push",
    "RateLimits",
    "ReportStore",
    "Room",
    "RoutingIndex",
    "SaleRepository",
    "Seat",
    "SecretStore",
    "SeqTaken",
    "SmaInvocations",
    "Telephony",
    "Tenant",
    "TenantRepository",
    "Timer",
    "Timers",
    "User",
    "UserAccounts",
    "UserDirectory",
]


@dataclass(frozen=True)
class Deps:
    """The ports one user intent may need, handed to services as a bundle (built once in bootstrap)."""

    tenants: TenantRepository
    conversations: ConversationRepository
    agents: AgentRepository
    assignments: Assignments
    routing: RoutingIndex
    connections: ConnectionRepository
    contacts: ContactRepository
    push: Push
    timers: Timers
    clock: Clock
    ids: Ids
    mailer: Mailer | None = None
    #: Signs and checks the links of notification emails and their reply-to addresses.
    secrets: SecretStore | None = None
    #: The domain whose mail SES receives for the app: replies to notification emails (empty: no reply-to).
    reply_domain: str = ""
    sales: SaleRepository | None = None
    #: Per-visitor limits on new sessions and conversations (None: not counted).
    rate_limits: RateLimits | None = None
    metrics: Metrics = field(default_factory=NoMetrics)
    #: Callbacks (issue 13): bookings and numbers' locks (None: callbacks are not set up).
    callbacks: CallbackRepository | None = None
    #: The SIP media application's answers by invocation (services/calls.py); None where no call is handled.
    sma_invocations: SmaInvocations | None = None
    #: Rooms, dialling and call commands (Chime SDK PSTN Audio); None while telephony is off.
    telephony: Telephony | None = None
    #: The audio bucket: hold music, notices, recordings (None: not set up).
    audio: AudioStore | None = None
    #: The desk's softphone (CB-6): "chime" (amazon-chime-sdk-js in the browser) or "local" (the phone emulator).
    softphone: str = "chime"
    #: Report facts and their day aggregates (issue 15), written by the stream consumer (None: not set up).
    reports: ReportStore | None = None
    #: Watchers of the live Production board and its push gate (services/board.py); None: no live board.
    board: BoardGate | None = None
    #: The administration's audit log and user directory (issue 16); None: not set up.
    audit: AuditLog | None = None
    users: UserDirectory | None = None
