// The conversation list: one button per chat on the desk (title, flags, page, typing, rating, unread count),
// which selects it, the count of chats in progress, and the Closed list. Preact components over the store's
// conversation views (`store.conversations`) and `state.selectedId`. A conversation view (createConversationView)
// holds what the desk keeps per chat: its conversation, its messages, its outbox, typing and the customer's record.

import { html } from '/vendor/htm-preact-standalone.module.js';
import { isCall } from '/desk/call-card.js';
import { ConversationFlags, ratingText, visitorLabel } from '/desk/labels.js';

// contact: the customer's record if known (undefined: not yet, null: none).
export function createConversationView(conversation, contact) {
  return {
    conversation,
    maxSeq: 0,
    unread: 0, // the visitor's messages since the agent last looked
    draft: '', // what the agent typed in the reply box for this chat
    typingSent: 0, // when we last told the visitor we are typing (0: we are not)
    typingTimer: null,
    visitorTyping: 0, // when the visitor last said they are typing (0: not typing)
    messages: [], // the log, in order: {key, sender, text, state, seq, sentAt} (see messages.js)
    shown: new Map(), // seq -> its entry of messages
    outbox: new Map(), // client_message_id -> {text, entry}; cleared by acks
    closedRank: undefined, // set once in the Closed list: higher ranks first
    // The customer's record: undefined until known, null when there is none (then a form creates one).
    contact,
    contactLookup: false,
  };
}

// Whether the visitor's "typing…" shows for a view.
export function visitorIsTyping(view) {
  return Boolean(view.visitorTyping) && view.conversation.status !== 'closed';
}

// call: the conversation is a callback's call (call-card.js), flagged Call.
function ConversationItem({ view, selected, call, onSelect }) {
  const { conversation, unread } = view;
  const page = conversation.page?.title || conversation.page?.url || '';
  const rated = ratingText(conversation);
  const typing = visitorIsTyping(view);
  // The button's name holds its visible words in their order (WCAG 2.5.3, label in name), then what only the list's
  // place shows: closed.
  const label = [
    visitorLabel(conversation),
    call ? 'Call' : '',
    conversation.asynchronous ? 'Async' : '',
    conversation.visitor_blocked ? 'Blocked' : '',
    page,
    typing ? 'typing…' : '',
    rated,
    unread ? `${unread} unread` : '',
    conversation.status === 'closed' ? 'closed' : '',
  ].filter(Boolean).join(', ');
  return html`
    <li>
      <button type="button" class="conversation-item" data-testid="conversation-item"
              data-conversation-id=${conversation.id} data-status=${conversation.status}
              data-asynchronous=${String(Boolean(conversation.asynchronous))} data-typing=${String(typing)}
              data-medium=${call ? 'call' : 'chat'}
              aria-current=${selected ? 'true' : undefined} aria-label=${label}
              onClick=${() => onSelect(conversation.id)}>
        <span class="item-title">${visitorLabel(conversation)}</span>${' '}
        <span class="item-flags">${call ? html`<span class="badge badge--call" data-testid="call-badge">Call</span>`
          : null}<${ConversationFlags} conversation=${conversation} /></span>${' '}
        <span class="item-subtitle">${page}</span>${' '}
        <span class="item-typing" hidden=${!typing}>typing…</span>${' '}
        <span class="item-rating" data-testid="conversation-rating" hidden=${rated === ''}
              data-rating=${rated ? String(conversation.rating) : undefined}>${rated}</span>${' '}
        <span class="unread" data-testid="unread-badge" hidden=${unread === 0}>${String(unread)}</span>
      </button>
    </li>`;
}

function Items({ views, state, calls, onSelect }) {
  return views.map((view) => html`
    <${ConversationItem} key=${view.conversation.id} view=${view} selected=${view.conversation.id === state.selectedId}
      call=${isCall(view.conversation, calls)} onSelect=${onSelect} />`);
}

// The chats in progress (in the order they came) with their count; onSelect(id).
export function ActiveConversations({ store, state, onSelect }) {
  const all = [...store.conversations.values()];
  const views = all.filter((view) => view.closedRank === undefined);
  const active = all.filter((view) => view.conversation.status !== 'closed').length; // offers: the top bar's load
  return html`
    <h2 id="conversations-title">Conversations
      <span id="active-count" class="active-count" data-testid="active-count" data-count=${String(active)}
            title=${`${active} chat${active === 1 ? '' : 's'} in progress`}>${String(active)}</span></h2>
    <ul id="conversation-list" class="conversation-list" data-testid="active-list">
      <${Items} views=${views} state=${state} calls=${store.callbacks} onSelect=${onSelect} />
    </ul>
    <p id="no-conversations" class="muted" hidden=${active > 0}>No open conversations.</p>`;
}

// The chats ended during this session, the latest first; hidden while there is none.
export function ClosedConversations({ store, state, onSelect }) {
  const views = [...store.conversations.values()].filter((view) => view.closedRank !== undefined)
    .sort((a, b) => b.closedRank - a.closedRank);
  return html`
    <div id="closed-section" class="closed-section" hidden=${views.length === 0}>
      <h3 id="closed-title">Closed</h3>
      <ul id="closed-list" class="conversation-list" data-testid="closed-list" aria-labelledby="closed-title">
        <${Items} views=${views} state=${state} calls=${store.callbacks} onSelect=${onSelect} />
      </ul>
    </div>`;
}
