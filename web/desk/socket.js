// The desk's one WebSocket client: the shared connection (reconnect with backoff, pings, request ids matched to
// their ack or error) opened with the agent's token, and `sync` for what a conversation missed while away.

import { createConnection, syncMissed } from '/widget/connection.js';

export function createDeskSocket({ ws, tenant, token, onOpen, onFrame, onStateChange, beforeRetry }) {
  const connection = createConnection({
    url: () => `${ws}?tenant=${encodeURIComponent(tenant)}&token=${encodeURIComponent(token)}`,
    onOpen,
    onFrame,
    onStateChange,
    beforeRetry,
  });
  return {
    ...connection,
    // Pages of messages after afterSeq() (asked again for each page) go to showMessage.
    sync: (conversationId, afterSeq, showMessage) => syncMissed(connection, conversationId, afterSeq, showMessage),
  };
}
