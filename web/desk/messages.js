// A conversation's messages on the desk: each stored message shown once in its log, in order, whether it comes by
// ack, push, sync or history; our replies shown at once as "sending" and kept in the conversation's outbox until
// acked (resent with the same id after a reconnect).

import {
  ServerError, newId, placeInOrder, storedMessageElement, transmit as transmitEntry,
} from '/widget/connection.js';
import { messageElement } from '/desk/chat-pane.js';

// deps: conversations (the store's views); selectedId(); me(); socket (request); learnAgent(id, name);
// onVisitorWrote(view) the visitor's typing ends; onUnread(view) the list shows the count; showError(text),
// hideError().
export function createMessages(deps) {
  // quiet: history, not news (no unread count).
  function show(message, { quiet = false } = {}) {
    if (message?.sender?.kind === 'agent') deps.learnAgent(message.sender.id, message.sender.name);
    const view = deps.conversations.get(message?.conversation_id);
    if (!view || message.seq === undefined) return;
    view.maxSeq = Math.max(view.maxSeq, message.seq);
    if (view.shown.has(message.seq)) return;

    const element = storedMessageElement(message, view.outbox, ({ sender, text }) => render(sender, text, 'sent'));
    view.shown.set(message.seq, element);
    placeInOrder(view.log, element, (other) => Number(other.dataset.seq) > message.seq);

    if (message.sender?.kind === 'visitor' && view.visitorTyping) {
      view.visitorTyping = 0; // the widget stops typing when it sends
      deps.onVisitorWrote(view);
    }
    if (!quiet && message.sender?.kind === 'visitor' && view.conversation.id !== deps.selectedId()) {
      view.unread += 1;
      deps.onUnread(view);
    }
  }

  function render(sender, text, state) {
    return messageElement(sender, text, state, deps.me()?.id);
  }

  // The composer's reply: shown at once as "sending", kept in the outbox until its ack.
  function send(view, text) {
    deps.hideError();
    const clientMessageId = newId();
    const element = render({ kind: 'agent', id: deps.me()?.id }, text, 'sending');
    view.log.append(element);
    view.log.scrollTop = view.log.scrollHeight;
    view.outbox.set(clientMessageId, { text, element });
    transmit(view, clientMessageId); // if offline, resent by flushOutbox once connected
  }

  function flushOutbox(view) {
    for (const clientMessageId of view.outbox.keys()) transmit(view, clientMessageId);
  }

  // The server's reason for refusing a message goes to the banner; the shared transmit only marks it failed.
  const reportingSocket = {
    request: (action, fields) => deps.socket.request(action, fields).catch((error) => {
      if (error instanceof ServerError) deps.showError(`Message not sent: ${error.message}`);
      throw error;
    }),
  };

  function transmit(view, clientMessageId) {
    transmitEntry(reportingSocket, {
      outbox: view.outbox,
      clientMessageId,
      conversationId: view.conversation.id,
      afterSeq: view.maxSeq,
      showMessage: show,
      onFailed: (entry) => {
        view.outbox.delete(clientMessageId);
        entry.element.dataset.state = 'failed';
      },
    });
  }

  return { show, send, flushOutbox };
}
