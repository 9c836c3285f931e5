// A conversation's messages on the desk: each stored message shown once in its log, in order, whether it comes by
// ack, push, sync or history; our replies shown at once as "sending" and kept in the conversation's outbox until
// acked (resent with the same id after a reconnect). The messages are data on the conversation view
// (view.messages); MessageLog draws the selected conversation's log from them.

import { ServerError, newId, transmit as transmitEntry } from '/widget/connection.js';
import { html, useLayoutEffect, useRef } from '/vendor/htm-preact-standalone.module.js';
import { mount } from '/desk/store.js';

// Where a stored message goes: before the first message still sending or with a later seq; an entry already in the
// log is moved only when it is out of place, so the live region does not announce it twice.
function placeInOrder(messages, entry) {
  const at = messages.indexOf(entry);
  if (at !== -1) messages.splice(at, 1);
  const next = messages.findIndex((other) => other.state === 'sending' || other.seq > entry.seq);
  messages.splice(next === -1 ? messages.length : next, 0, entry);
}

// A message of the log; selfId is the signed-in agent, shown as "You". Its text content is exactly the message
// text; the sender's name is a data attribute that the stylesheet displays.
function Message({ entry, selfId }) {
  const { sender, text, state, seq, sentAt } = entry;
  const kind = sender?.kind === 'agent' ? 'agent' : 'visitor';
  let name;
  if (kind === 'visitor') name = sender?.name || 'Visitor';
  else name = !sender || sender.id === selfId ? 'You' : sender.name || 'Agent';
  return html`
    <div class=${`message message--${kind}`} data-testid="desk-message" data-kind=${kind} data-state=${state}
         data-sender=${name} data-seq=${seq === undefined ? undefined : String(seq)}
         title=${sentAt ? new Date(sentAt).toLocaleString() : undefined}>${text}</div>`;
}

// The selected conversation's log (one element per conversation), scrolled to the newest message when one comes
// last and when the conversation is selected.
function MessageLog({ store, state }) {
  const view = store.conversations.get(state.selectedId);
  const log = useRef(null);
  const last = view?.messages.at(-1)?.key;
  useLayoutEffect(() => {
    if (log.current) log.current.scrollTop = log.current.scrollHeight;
  }, [view, last]);
  if (!view) return null;
  const selfId = state.me?.id;
  return html`
    <div key=${view.conversation.id} ref=${log} class="messages" data-testid="desk-messages" role="log"
         aria-live="polite" aria-label="Messages" tabindex="0">
      ${view.messages.map((entry) => html`<${Message} key=${entry.key} entry=${entry} selfId=${selfId} />`)}
    </div>`;
}

// deps: store (conversations, state.selectedId, state.me); socket (request); learnAgent(id, name); showError(text),
// hideError().
export function createMessages(deps) {
  const { store } = deps;
  const { conversations } = store;

  // quiet: history, not news (no unread count).
  function show(message, { quiet = false } = {}) {
    if (message?.sender?.kind === 'agent') deps.learnAgent(message.sender.id, message.sender.name);
    const view = conversations.get(message?.conversation_id);
    if (!view || message.seq === undefined) return;
    view.maxSeq = Math.max(view.maxSeq, message.seq);
    if (view.shown.has(message.seq)) return;

    // The entry shown while it was sending (taken out of the outbox, now sent), or a new one.
    const pending = view.outbox.get(message.client_message_id);
    if (pending) view.outbox.delete(message.client_message_id);
    const entry = pending?.entry ?? { key: `seq-${message.seq}`, sender: message.sender, text: message.text };
    Object.assign(entry, { state: 'sent', seq: message.seq, sentAt: message.sent_at });
    view.shown.set(message.seq, entry);
    placeInOrder(view.messages, entry);

    if (message.sender?.kind === 'visitor') view.visitorTyping = 0; // the widget stops typing when it sends
    if (!quiet && message.sender?.kind === 'visitor' && view.conversation.id !== store.state.selectedId) {
      view.unread += 1;
    }
    store.changed();
  }

  // The composer's reply: shown at once as "sending", kept in the outbox until its ack.
  function send(view, text) {
    deps.hideError();
    const clientMessageId = newId();
    const entry = { key: clientMessageId, sender: { kind: 'agent', id: store.state.me?.id }, text, state: 'sending' };
    view.messages.push(entry);
    view.outbox.set(clientMessageId, { text, entry });
    store.changed();
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
      onFailed: ({ entry }) => {
        view.outbox.delete(clientMessageId);
        entry.state = 'failed';
        store.changed();
      },
    });
  }

  // Draws the selected conversation's log into container from now on; answers the function that stops.
  const showLog = (container) => mount(container, MessageLog, store);

  return { show, send, flushOutbox, showLog };
}
