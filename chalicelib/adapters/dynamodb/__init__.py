"""DynamoDB repositories (PynamoDB), one module per aggregate, over one table whose every partition key starts
with the tenant (invariant 6). The item layout, and which transaction writes each item: docs/data-model.md.

- `keys`: key builders and sort-key prefixes; `table`: the base item, the GSI and the one shared botocore client;
  `items`: the item models and `configure`; `transactions`: named transactions and their cancellation reasons.
- One module per repository: `tenants`, `conversations`, `agents`, `assignments` (offers and holding),
  `routing_index`, `connections`, `contacts`, `sales`, `callbacks`, `sma_invocations`. `chalicelib/bootstrap.py`
  wires them.

The names below stay importable as `dynamodb.<Name>` for the code that imported the former single module.
"""

from chalicelib.adapters.dynamodb.agents import DynamoAgents, agent_item
from chalicelib.adapters.dynamodb.assignments import DynamoAssignments
from chalicelib.adapters.dynamodb.callbacks import DynamoCallbacks
from chalicelib.adapters.dynamodb.connections import DynamoConnections
from chalicelib.adapters.dynamodb.contacts import DynamoContacts
from chalicelib.adapters.dynamodb.conversations import DynamoConversations
from chalicelib.adapters.dynamodb.items import (
    MODELS,
    AgentItem,
    CaseItem,
    ContactItem,
    ContactPointerItem,
    ConversationItem,
    ConversationPart,
    CounterItem,
    LinkItem,
    MessageItem,
    QueueItem,
    ReadyItem,
    ReplyKeyItem,
    RosterItem,
    SaleItem,
    TenantItem,
    VisitorPrefsItem,
    configure,
)
from chalicelib.adapters.dynamodb.keys import (
    BLOCKED,
    CASE,
    CONN,
    CONNECTION_TTL,
    CONV,
    COUNT,
    MAX_CATCH_UP,
    MSG,
    OPEN,
    PACK_TEXT_ABOVE_BYTES,
    POINTER,
    PREFS,
    PROFILE,
    QUEUE_COUNT,
    RECENT_WITHOUT_CURSOR,
    REPLY,
    RESERVED_LINK,
    SALE,
    SNOOZED_LINK,
    STATE,
    _ready_pk,
    _roster_pk,
)
from chalicelib.adapters.dynamodb.routing_index import DynamoRoutingIndex
from chalicelib.adapters.dynamodb.sales import DynamoSales
from chalicelib.adapters.dynamodb.sma_invocations import DynamoSmaInvocations
from chalicelib.adapters.dynamodb.table import Gsi1, Gsi1Entry, Utf8JSONAttribute, _Item, _Meta, connection
from chalicelib.adapters.dynamodb.tenants import DynamoTenants
from chalicelib.adapters.dynamodb.transactions import MAX_TRANSACTION_ITEMS

__all__ = [
    "BLOCKED",
    "CASE",
    "CONN",
    "CONNECTION_TTL",
    "CONV",
    "COUNT",
    "MAX_CATCH_UP",
    "MAX_TRANSACTION_ITEMS",
    "MODELS",
    "MSG",
    "OPEN",
    "PACK_TEXT_ABOVE_BYTES",
    "POINTER",
    "PREFS",
    "PROFILE",
    "QUEUE_COUNT",
    "RECENT_WITHOUT_CURSOR",
    "REPLY",
    "RESERVED_LINK",
    "SALE",
    "SNOOZED_LINK",
    "STATE",
    "AgentItem",
    "CaseItem",
    "ContactItem",
    "ContactPointerItem",
    "ConversationItem",
    "ConversationPart",
    "CounterItem",
    "DynamoAgents",
    "DynamoAssignments",
    "DynamoCallbacks",
    "DynamoConnections",
    "DynamoContacts",
    "DynamoConversations",
    "DynamoRoutingIndex",
    "DynamoSales",
    "DynamoSmaInvocations",
    "DynamoTenants",
    "Gsi1",
    "Gsi1Entry",
    "LinkItem",
    "MessageItem",
    "QueueItem",
    "ReadyItem",
    "ReplyKeyItem",
    "RosterItem",
    "SaleItem",
    "TenantItem",
    "Utf8JSONAttribute",
    "VisitorPrefsItem",
    "_Item",
    "_Meta",
    "_ready_pk",
    "_roster_pk",
    "agent_item",
    "configure",
    "connection",
]
