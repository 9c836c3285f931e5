// Guichet widget, stage "chat": sending the visitor's messages (delivery state, Retry, the outbox sent again after a
// reconnection), the counter and the visitor's typing indicator (CHAT-9).

import { h, newId, transmit as transmitEntry } from './connection.js';

const TYPING_IDLE_MS = 3000; // the visitor's "typing" ends after this long without a key
const TYPING_REFRESH_MS = 4000; // "still typing" is resent this often during a long message
const SEND_TIMEOUT_MS = 5000; // a message not acknowledged by then shows "Not sent" (and is still sent once back online)

export function install(w) {
  const { state, ui, connection } = w;
  Object.assign(w, {
    submitInput, send, flushOutbox, awaitAck, showNotSent, retry, resending, delivered, transmit, markFailed,
    updateCounter, noteTyping, stopTyping, sendTyping,
  });
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitInput();
  });
  ui.input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitInput();
    }
  });
  ui.input.addEventListener('input', () => {
    updateCounter();
    noteTyping();
  });
  ui.input.addEventListener('blur', stopTyping);

  function submitInput() {
    const text = ui.input.value.trim();
    if (!text || !w.canWrite()) return;
    if (w.consentPending()) { // nothing is sent before the visitor agrees
      w.showError(w.t('consentFirst'));
      ui.consentAgree.focus();
      return;
    }
    if (text.length > w.maxChars()) {
      w.showError(w.t('tooLong', w.maxChars()));
      return;
    }
    if (state.conversation && !w.hasOpenConversation()) w.beginNewConversation();
    stopTyping();
    ui.input.value = '';
    updateCounter();
    w.hideError();
    const clientMessageId = newId();
    const element = w.renderMessage({ kind: 'visitor' }, text, 'sending');
    ui.messages.append(element);
    w.scrollToEnd();
    const entry = { text, element, timer: null, retry: null };
    state.outbox.set(clientMessageId, entry);
    awaitAck(clientMessageId, entry);
    w.render();
    send(clientMessageId);
  }

  function send(clientMessageId) {
    if (!connection.isOpen()) return; // sent by handleReconnected
    if (w.hasOpenConversation()) transmit(clientMessageId);
    else w.startConversation();
  }

  function flushOutbox() {
    if (!w.hasOpenConversation()) return;
    for (const clientMessageId of state.outbox.keys()) transmit(clientMessageId);
  }

  // Delivery state, shown under each of the visitor's messages: "Sending…" until the server's ack ("Sent"), and
  // "Not sent" with a Retry button when no ack came in time or the server refused it. A message that only timed
  // out stays in the outbox and is sent by itself once the connection is back; the server stores it once, by its
  // client_message_id, however often it is sent.
  function awaitAck(clientMessageId, entry) {
    clearTimeout(entry.timer);
    entry.retry?.remove();
    entry.retry = null;
    entry.element.dataset.state = 'sending';
    entry.timer = setTimeout(() => {
      if (state.outbox.get(clientMessageId) === entry) showNotSent(clientMessageId, entry);
    }, SEND_TIMEOUT_MS);
  }

  function showNotSent(clientMessageId, entry) {
    clearTimeout(entry.timer);
    entry.element.dataset.state = 'failed';
    if (entry.retry) return;
    entry.retry = h('button', {
      type: 'button',
      class: 'retry',
      'data-testid': 'guichet-retry',
      'aria-label': w.t('retryLabel', entry.text.length > 60 ? `${entry.text.slice(0, 60)}…` : entry.text),
    }, w.t('retry'));
    entry.retry.addEventListener('click', () => retry(clientMessageId));
    entry.element.after(entry.retry);
  }

  function retry(clientMessageId) {
    const entry = state.refused.get(clientMessageId) ?? state.outbox.get(clientMessageId);
    if (!entry) return;
    const hadFocus = ui.root.activeElement === entry.retry;
    state.refused.delete(clientMessageId);
    if (state.conversation && !w.hasOpenConversation()) { // ended meanwhile: the message opens a new conversation
      w.beginNewConversation();
      ui.messages.append(entry.element);
    }
    state.outbox.set(clientMessageId, entry);
    awaitAck(clientMessageId, entry);
    w.hideError();
    if (hadFocus) ui.input.focus(); // the button is gone
    w.render();
    if (connection.isOpen()) send(clientMessageId);
    else connection.retryNow();
  }

  // After a reconnection, what waits in the outbox is being sent again.
  function resending() {
    for (const [clientMessageId, entry] of state.outbox) awaitAck(clientMessageId, entry);
  }

  // The stored copy of a message of ours arrived: its delivery state ends.
  function delivered(clientMessageId) {
    const entry = clientMessageId === undefined ? undefined : state.outbox.get(clientMessageId);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.retry?.remove();
    entry.retry = null;
  }

  function transmit(clientMessageId) {
    transmitEntry(connection, {
      outbox: state.outbox,
      clientMessageId,
      conversationId: state.conversation.id,
      afterSeq: state.maxSeq,
      showMessage: w.showMessage,
      onFailed: (_entry, error) => {
        markFailed(clientMessageId);
        w.showError(w.refusalText(error) || w.t('notSentError'));
      },
    });
  }

  function markFailed(clientMessageId) {
    const entry = state.outbox.get(clientMessageId);
    if (!entry) return;
    state.outbox.delete(clientMessageId);
    state.refused.set(clientMessageId, entry);
    showNotSent(clientMessageId, entry);
  }

  function updateCounter() {
    const count = ui.input.value.length;
    ui.counter.textContent = w.t('counter', count, w.maxChars());
    ui.counter.classList.toggle('counter--full', count >= w.maxChars());
  }

  // CHAT-9: "typing" on the first key, "stopped" after 3 s without a key, on send and on leaving the field.
  function noteTyping() {
    if (!ui.input.value) {
      stopTyping();
      return;
    }
    if (!w.hasOpenConversation() || !connection.isOpen()) return;
    // Repeated every few seconds while typing goes on, so the agent's indicator (cleared after 10 s of silence)
    // stays up during a long message.
    if (!state.typingSent || Date.now() - state.typingSentAt > TYPING_REFRESH_MS) sendTyping(true);
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(state.typingTimer);
    state.typingTimer = null;
    if (state.typingSent) sendTyping(false);
  }

  function sendTyping(typing) {
    state.typingSent = typing;
    state.typingSentAt = Date.now();
    if (!state.conversation) return;
    connection.request('typing', { conversation_id: state.conversation.id, typing }).catch(() => {});
  }
}
