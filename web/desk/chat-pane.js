// The chat pane of the selected conversation: its header (visitor, page, custom data, status, flags, banners and
// which actions apply), the visitor's typing line, and the message elements of its log. The pane's markup is in
// index.html; `ui` holds its elements. The customer record (contact.js), the composer (composer.js), the close form
// (close-form.js) and the panels (dialogs.js) are parts of their own.

import { h, renderMessage } from '/widget/connection.js';
import { conversationFlags } from '/desk/conversation-list.js';
import { customEntries, pageLink } from '/desk/details.js';
import { customerLabel, ratingText, visitorLabel } from '/desk/labels.js';

export function renderChatHeader(ui, conversation) {
  const visitor = conversation.visitor ?? {};
  ui.chatTitle.textContent = visitorLabel(conversation);
  ui.chatVisitor.textContent = [
    visitor.name ? `Name: ${visitor.name}` : '',
    visitor.email ? `Email: ${visitor.email}` : '',
    visitor.ip ? `IP: ${visitor.ip}` : '',
    `Customer: ${customerLabel(visitor)}`,
  ].filter(Boolean).join(' · ');
  ui.chatVisitor.hidden = ui.chatVisitor.textContent === '';
  ui.chatPage.replaceChildren(pageLink(conversation.page));
  const custom = customEntries(conversation.custom);
  ui.chatCustom.replaceChildren(...custom.map(([key, value]) => h('li', {}, `${key}: ${value}`)));
  ui.chatCustom.hidden = custom.length === 0;
}

// The status line, the flags and banners, and which of the composer and the actions apply.
export function renderChatState(ui, conversation) {
  const rated = ratingText(conversation);
  ui.chatStatus.textContent = rated ? `Status: ${conversation.status} · ${rated}` : `Status: ${conversation.status}`;
  const closed = conversation.status === 'closed';
  ui.input.disabled = closed;
  ui.send.disabled = closed;
  ui.canned.disabled = closed;
  ui.closeChat.hidden = closed;
  ui.chatFlags.replaceChildren(...conversationFlags(conversation));
  ui.asyncBanner.hidden = closed || !conversation.asynchronous;
  ui.blockedBanner.hidden = !conversation.visitor_blocked;
  const onDesk = conversation.status === 'assigned';
  ui.snoozeChat.hidden = !onDesk || !conversation.asynchronous;
  ui.transferChat.hidden = !onDesk;
  ui.blockChat.hidden = !onDesk || Boolean(conversation.visitor_blocked);
}

// "Zoé is typing…" under the log of the selected conversation; empty and hidden when not.
export function renderTypingLine(ui, conversation, typing) {
  ui.typing.textContent = typing ? `${conversation.visitor?.name || 'The visitor'} is typing…` : '';
  ui.typing.hidden = !typing;
}

// A message of the log; selfId is the signed-in agent, shown as "You".
export function messageElement(sender, text, state, selfId) {
  const label = (who, kind) => {
    if (kind === 'visitor') return who?.name || 'Visitor';
    if (!who || who.id === selfId) return 'You';
    return who.name || 'Agent';
  };
  return renderMessage({ sender, text, state, testId: 'desk-message', label });
}
