// The chat pane of the selected conversation (`state.selectedId`): its header (title, flags, the actions that apply
// with the panel each opens, the async and blocked banners, visitor, page, custom data, the customer record, status)
// and the visitor's typing line, as Preact components over the store's conversation views. The message log
// (messages.js), the composer (composer.js), the close form (close-form.js) and the panels (dialogs.js) are parts of
// their own; the record is contact.js's ChatRecord.

import { html } from '/vendor/htm-preact-standalone.module.js';
import { visitorIsTyping } from '/desk/conversation-list.js';
import { ChatRecord } from '/desk/contact.js';
import { CustomData, PageLink } from '/desk/details.js';
import { ConversationFlags, customerLabel, ratingText, visitorLabel } from '/desk/labels.js';

function visitorLine(visitor) {
  return [
    visitor.name ? `Name: ${visitor.name}` : '',
    visitor.email ? `Email: ${visitor.email}` : '',
    visitor.ip ? `IP: ${visitor.ip}` : '',
    `Customer: ${customerLabel(visitor)}`,
  ].filter(Boolean).join(' · ');
}

// The header's action buttons; `panel` is the open panel (state.panel), open(name) opens one ('close', 'snooze',
// 'transfer' or 'block'). Each stays rendered, hidden when it does not apply.
function ChatActions({ conversation, panel, open }) {
  const onDesk = conversation?.status === 'assigned';
  const button = (name, label, hidden, controls) => html`
    <button id=${`${name}-chat`} type="button" class="secondary" data-testid=${`${name}-chat`}
            aria-controls=${controls} aria-expanded=${String(panel === name)} hidden=${hidden}
            onClick=${() => open(name)}>${label}</button>`;
  return html`
    <div class="chat-actions" role="group" aria-label="Conversation actions">
      ${button('snooze', 'Snooze…', !onDesk || !conversation.asynchronous, 'snooze-form')}
      ${button('transfer', 'Transfer…', !onDesk, 'transfer-form')}
      ${button('block', 'Block visitor…', !onDesk || Boolean(conversation.visitor_blocked), 'block-form')}
      ${button('close', 'End chat…', !conversation || conversation.status === 'closed', undefined)}
    </div>`;
}

// Below the title and actions: banners, visitor, page, custom data, the customer record, status.
function ChatDetails({ view, records }) {
  const { conversation } = view;
  const closed = conversation.status === 'closed';
  const rated = ratingText(conversation);
  return html`
    <p id="async-banner" class="async-banner" data-testid="async-banner"
       hidden=${closed || !conversation.asynchronous}>
      <strong>Asynchronous conversation.</strong> The visitor may not answer at once. When you are waiting
      for them, snooze it: it leaves your desk and comes back when the visitor writes or when the snooze
      ends.
    </p>
    <p id="blocked-banner" class="blocked-banner" data-testid="blocked-banner" role="status"
       hidden=${!conversation.visitor_blocked}>
      Visitor blocked: their new messages and conversations are refused. End the chat when you are done.
    </p>
    <p id="chat-visitor" class="chat-visitor" data-testid="chat-visitor">${visitorLine(conversation.visitor ?? {})}</p>
    <p class="chat-page"><span class="muted">Page:</span> <span id="chat-page" data-testid="chat-page"
      ><${PageLink} page=${conversation.page} /></span></p>
    <${CustomData} custom=${conversation.custom} testId="chat-custom" />
    <div id="chat-contact" class="chat-contact" data-testid="chat-contact">
      <${ChatRecord} view=${view} records=${records} />
    </div>
    <p id="chat-status" class="muted" data-testid="chat-status">
      ${rated ? `Status: ${conversation.status} · ${rated}` : `Status: ${conversation.status}`}</p>`;
}

// The selected chat's header; with none selected (the pane is hidden) only its empty title and hidden buttons.
// records: contact.js's createRecords (the form's save); open(name) opens a panel.
export function ChatHeader({ store, state, records, open }) {
  const view = store.conversations.get(state.selectedId);
  const conversation = view?.conversation;
  return html`
    <header class="chat-header">
      <div class="chat-header-main">
        <h2 id="chat-title">${conversation ? visitorLabel(conversation) : ''}</h2>
        <span id="chat-flags" class="chat-flags">
          ${conversation ? html`<${ConversationFlags} conversation=${conversation} />` : null}</span>
        <${ChatActions} conversation=${conversation} panel=${state.panel} open=${open} />
      </div>
      ${view ? html`<${ChatDetails} view=${view} records=${records} />` : null}
    </header>`;
}

// "Zoé is typing…" under the log of the selected conversation; empty and hidden when not.
export function TypingLine({ store, state }) {
  const view = store.conversations.get(state.selectedId);
  const typing = Boolean(view) && visitorIsTyping(view);
  return html`
    <p id="typing-indicator" class="typing-indicator" data-testid="typing-indicator" aria-live="polite"
       hidden=${!typing}>${typing ? `${view.conversation.visitor?.name || 'The visitor'} is typing…` : ''}</p>`;
}
