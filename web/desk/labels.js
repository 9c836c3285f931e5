// How the desk names a visitor, a customer and a rating, and the Async and Blocked badges: shared by offer cards,
// the conversation list and the chat pane. Plain text only.

import { html } from '/vendor/htm-preact-standalone.module.js';

export function customerLabel(visitor) {
  if (visitor?.verified && visitor.external_id) return `${visitor.external_id} (verified)`;
  return 'New visitor';
}

export function ratingText(conversation) {
  return Number.isInteger(conversation?.rating) ? `rated ${conversation.rating} / 5` : '';
}

export function visitorLabel(conversation) {
  const visitor = conversation?.visitor ?? {};
  return visitor.name || visitor.email || `Visitor ${String(conversation?.visitor_id ?? '').slice(0, 8)}`.trim();
}

export function AsyncBadge() {
  return html`<span class="badge badge--async" data-testid="async-badge"
    title="Asynchronous: the visitor may answer later; you can snooze it">Async</span>`;
}

// The Async and Blocked badges of a conversation, in the list and in the chat pane's header.
export function ConversationFlags({ conversation }) {
  return html`
    ${conversation.asynchronous ? html`<${AsyncBadge} />` : null}
    ${conversation.visitor_blocked
      ? html`<span class="badge badge--blocked" data-testid="blocked-badge">Blocked</span>` : null}`;
}
