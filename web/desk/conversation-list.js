// The conversation list: one button per chat on the desk (title, flags, page, typing, rating, unread count),
// which selects it, and the count of chats in progress. A conversation view (createConversationView) holds what
// the desk keeps per chat: its list item, its message log, its outbox, typing and the customer's record.

import { h } from '/widget/connection.js';
import { asyncBadge, ratingText, visitorLabel } from '/desk/labels.js';

function createListItem(conversation, onSelect) {
  const title = h('span', { class: 'item-title' });
  const subtitle = h('span', { class: 'item-subtitle' });
  const typing = h('span', { class: 'item-typing', hidden: '' }, 'typing…');
  const badge = h('span', { class: 'unread', 'data-testid': 'unread-badge', hidden: '' });
  const rating = h('span', { class: 'item-rating', 'data-testid': 'conversation-rating', hidden: '' });
  const flags = h('span', { class: 'item-flags' });
  const button = h('button', {
    type: 'button',
    class: 'conversation-item',
    'data-testid': 'conversation-item',
    'data-conversation-id': conversation.id,
  }, title, flags, subtitle, typing, rating, badge);
  button.addEventListener('click', () => onSelect(conversation.id));
  return { listItem: h('li', {}, button), button, title, subtitle, typing, badge, rating, flags, flagsShown: null };
}

// `item` is what createListItem answered (kept on the conversation view); unread counts the visitor's messages
// since the agent last looked.
export function renderListItem(item, conversation, unread) {
  item.title.textContent = visitorLabel(conversation);
  item.subtitle.textContent = conversation.page?.title || conversation.page?.url || '';
  item.button.dataset.status = conversation.status;
  item.button.dataset.asynchronous = String(Boolean(conversation.asynchronous));
  const flagsKey = `${Boolean(conversation.asynchronous)}:${Boolean(conversation.visitor_blocked)}`;
  if (item.flagsShown !== flagsKey) {
    item.flagsShown = flagsKey;
    item.flags.replaceChildren(...conversationFlags(conversation));
  }
  item.badge.textContent = String(unread);
  item.badge.hidden = unread === 0;
  const rated = ratingText(conversation);
  item.rating.textContent = rated;
  item.rating.hidden = rated === '';
  if (rated) item.rating.dataset.rating = String(conversation.rating);
  item.button.setAttribute('aria-label', [
    visitorLabel(conversation),
    conversation.asynchronous ? 'asynchronous' : '',
    conversation.visitor_blocked ? 'visitor blocked' : '',
    item.subtitle.textContent,
    conversation.status === 'closed' ? 'closed' : '',
    rated,
    unread ? `${unread} unread` : '',
  ].filter(Boolean).join(', '));
}

// The Async and Blocked badges, in the list and in the chat pane's header.
export function conversationFlags(conversation) {
  const flags = [];
  if (conversation.asynchronous) flags.push(asyncBadge());
  if (conversation.visitor_blocked) {
    flags.push(h('span', { class: 'badge badge--blocked', 'data-testid': 'blocked-badge' }, 'Blocked'));
  }
  return flags;
}

// contact: the customer's record if known (undefined: not yet, null: none); onSelect(id).
export function createConversationView(conversation, contact, onSelect) {
  const log = h('div', {
    class: 'messages',
    'data-testid': 'desk-messages',
    role: 'log',
    'aria-live': 'polite',
    'aria-label': 'Messages',
    tabindex: '0',
  });
  return {
    conversation,
    maxSeq: 0,
    unread: 0,
    draft: '',
    typingSent: 0, // when we last told the visitor we are typing (0: we are not)
    typingTimer: null,
    visitorTyping: 0, // when the visitor last said they are typing (0: not typing)
    shown: new Map(), // seq -> element
    outbox: new Map(), // client_message_id -> {text, element}; cleared by acks
    ...createListItem(conversation, onSelect), // listItem, button, title, subtitle, typing, badge, rating, flags
    log,
    // The customer's record: undefined until known, null when there is none (then a form creates one).
    contact,
    contactLookup: false,
    contactBox: h('div', { class: 'contact-box' }),
    contactShown: null, // what contactBox shows now, so that a re-render keeps what the agent typed
  };
}

// views: every conversation view of the desk.
export function renderCounts(ui, views) {
  const active = views.filter((view) => view.conversation.status !== 'closed').length;
  ui.activeCount.textContent = String(active); // the load, offers included, is in the top bar
  ui.activeCount.dataset.count = String(active);
  ui.activeCount.title = `${active} chat${active === 1 ? '' : 's'} in progress`;
  ui.noConversations.hidden = active > 0;
}
