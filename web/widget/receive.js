// Guichet widget, stage "chat": what the server pushes (messages, conversation changes, queue positions, the agent's
// typing, the callback's state) and what a reconnection catches up on. A stored message is shown once, in order.

import {
  placeInOrder, renderMessage as renderMessageElement, storedMessageElement, syncMissed as syncPages,
} from './connection.js';
import { isPlainObject } from './loader.js';

const PEER_TYPING_MS = 10000; // an agent's indicator goes away if their "stopped typing" never comes

export function install(w) {
  const { state, ui, api, connection } = w;
  Object.assign(w, {
    handleReconnected, syncMissed, handleFrame, peerTyping, agentMessageArrived, showMessage, renderMessage,
    scrollToEnd,
  });

  function handleReconnected() {
    const firstConnection = !state.connectedOnce;
    state.connectedOnce = true;
    if (!firstConnection) w.refreshCallback(); // its states missed meanwhile
    if (!w.hasOpenConversation()) {
      if (state.outbox.size > 0) {
        w.resending();
        w.startConversation();
      }
      return;
    }
    w.resending();
    const conversationId = state.conversation.id;
    syncMissed(conversationId);
    // The status may have changed while we were away (an agent joined, the chat ended or was withdrawn).
    if (!firstConnection) {
      api.conversation(conversationId).then((conversation) => w.updateConversation(conversation, true)).catch(() => {});
    }
    w.flushOutbox();
    w.reportPage();
    w.sendRead();
  }

  function syncMissed(conversationId) {
    syncPages(connection, conversationId, () => state.maxSeq, showMessage);
  }

  function handleFrame(frame) {
    switch (frame.type) {
      case 'message':
        if (w.isCurrent(frame.message?.conversation_id) && showMessage(frame.message)
            && frame.message.sender?.kind === 'agent') {
          agentMessageArrived(frame.message);
        }
        break;
      case 'conversation.updated':
      case 'conversation.closed':
        w.updateConversation(frame.conversation);
        break;
      case 'conversation.dissuaded':
        if (w.isCurrent(frame.conversation?.id)) {
          state.dissuasionTexts = isPlainObject(frame.texts) ? frame.texts : null;
          w.setConversation(frame.conversation);
        }
        break;
      case 'queue.position':
        w.queueMoved(frame);
        break;
      case 'callback.updated':
        w.callbackUpdated(frame.callback);
        break;
      case 'typing':
        if (frame.sender?.kind === 'agent' && w.isCurrent(frame.conversation_id)) peerTyping(frame);
        break;
      case 'error':
        // Answers to our requests are handled where they were sent; this one came unasked.
        if (frame.id === undefined || frame.id === null) w.showError(frame.message || frame.code);
        break;
      default:
        break; // ack and pong are handled by their requests
    }
  }

  function peerTyping(frame) {
    clearTimeout(state.peerTypingTimer);
    state.peerTyping = frame.typing ? (frame.sender.name || '') : null;
    if (frame.typing) {
      state.peerTypingTimer = setTimeout(() => {
        state.peerTyping = null;
        w.render();
      }, PEER_TYPING_MS);
    }
    w.render();
  }

  function agentMessageArrived(message) {
    clearTimeout(state.peerTypingTimer);
    state.peerTyping = null;
    w.render();
    w.announce(w.t('agentSays', message.sender?.name || w.t('agent'), message.text));
  }

  // Shows a stored message of the current conversation once, whether it arrives by ack, push, sync or history.
  // Returns true when the message was not on screen yet.
  function showMessage(message) {
    if (!message || message.seq === undefined || message.conversation_id !== state.conversation?.id) return false;
    const key = `${message.conversation_id}:${message.seq}`;
    state.maxSeq = Math.max(state.maxSeq, message.seq);
    if (state.shown.has(key)) return false;

    w.delivered(message.client_message_id);
    const element = storedMessageElement(message, state.outbox, ({ sender, text }) => renderMessage(sender, text, 'sent'));
    element.dataset.conversationId = message.conversation_id;
    state.shown.set(key, element);
    placeInOrder(ui.messages, element, (other) =>
      other.dataset.conversationId === message.conversation_id && Number(other.dataset.seq) > message.seq);
    if (ui.messages.lastElementChild === element) scrollToEnd();
    if (message.sender?.kind === 'agent') {
      state.lastAgentSeq = Math.max(state.lastAgentSeq, message.seq);
      // Counted on the launcher's badge while minimised, however it arrived (push, sync or a reload's history).
      if (ui.panel.hidden && message.seq > state.readSeq) w.setUnread(state.unread + 1);
    }
    w.render(); // the outbox may have emptied
    w.noteSeen();
    return true;
  }

  // Only agents' names are shown; the visitor's own messages need none.
  function renderMessage(sender, text, messageState, testId = 'guichet-message') {
    return renderMessageElement({
      sender,
      text,
      state: messageState,
      testId,
      label: (author, kind) => (kind === 'agent' ? author.name || w.t('agent') : undefined),
    });
  }

  function scrollToEnd() {
    ui.body.scrollTop = ui.body.scrollHeight;
  }
}
