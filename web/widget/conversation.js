// Guichet widget, stage "chat": the current conversation (set, followed across tabs, begun anew) and its start
// (start_conversation with the page's context: CHAT-1; a refused field is dropped, a refused start taken back).

import { ServerError } from './connection.js';
import { storage, isOpenStatus, isScalar } from './loader.js';
import { surveyPending } from './end.js';

const OPTIONAL_REQUEST_FIELDS = ['custom', 'visitor_name', 'visitor_email', 'identity', 'queue', 'skill'];
const RANK = { waiting: 0, offered: 0, assigned: 1, closed: 2, dissuaded: 2 };
const delay = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

export function install(w) {
  const { state, ui, api, connection } = w;
  const { conversationKey } = w.keys;
  Object.assign(w, {
    setConversation, updateConversation, isCurrent, adopt, beginNewConversation, clearLog, chatRequest, requestStart,
    startConversation, refusedAsUnavailable, takeBackOutbox,
  });

  // fromRead: the conversation comes from a REST read, which may race a push; pushes come in order, and an
  // asynchronous conversation may really go back to waiting (transferred to a queue, released).
  function setConversation(conversation, fromRead = false) {
    const changed = state.conversation?.id !== conversation.id;
    const wasOpen = w.hasOpenConversation();
    if (changed) {
      state.maxSeq = 0;
      if (state.queue?.conversationId !== conversation.id) state.queue = null;
      state.dissuasionTexts = null;
      state.rating = 0;
      state.rated = false;
    state.npsAnswered = false;
    state.npsBroken = false;
      state.peerTyping = null;
      state.readSeq = w.storedReadMark(conversation.id);
      state.readAcked = 0;
      state.lastAgentSeq = 0;
    } else if (fromRead && RANK[conversation.status] < RANK[state.conversation.status]) {
      return; // an older copy (a REST read racing a push): keep the newer state
    }
    state.conversation = conversation;
    if (!isOpenStatus(conversation.status)) state.consented = false; // the next conversation asks again
    if (changed) w.renderHistory(); // the list leaves out the conversation on screen
    if (wasOpen && !isOpenStatus(conversation.status)) w.refreshHistory(); // it ended: it joins the list later
    if (isOpenStatus(conversation.status)) {
      storage.set(conversationKey, conversation.id);
    } else {
      w.stopTyping();
      state.peerTyping = null;
      if (!surveyPending(conversation)) storage.remove(conversationKey);
    }
    if (conversation.status !== 'waiting' && conversation.status !== 'offered' && conversation.status !== undefined) {
      state.queue = null;
    }
    w.render();
  }

  function updateConversation(conversation, fromRead = false) {
    if (!conversation?.id || !isCurrent(conversation.id)) return;
    setConversation(conversation, fromRead);
  }

  // Whether a frame is about the current conversation. A frame about another one, while this tab has none open,
  // means another tab of the same visitor started it: take it up.
  function isCurrent(conversationId) {
    if (!conversationId) return false;
    if (state.conversation?.id === conversationId) return true;
    if (!w.hasOpenConversation() && !state.starting && state.outbox.size === 0) adopt(conversationId);
    return false;
  }

  function adopt(conversationId) {
    if (state.adopting === conversationId) return;
    state.adopting = conversationId;
    api.conversation(conversationId)
      .then(async (conversation) => {
        if (w.hasOpenConversation() || state.starting || !isOpenStatus(conversation.status)) return;
        clearLog();
        setConversation(conversation, true);
        await w.loadHistory(conversation.id);
      })
      .catch(() => {})
      .finally(() => { state.adopting = null; });
  }

  // After an end or a dissuasion: the next message opens a new conversation, on a clean log.
  function beginNewConversation() {
    state.conversation = null;
    state.queue = null;
    state.dissuasionTexts = null;
    state.rating = 0;
    state.rated = false;
    state.npsAnswered = false;
    state.npsBroken = false;
    state.peerTyping = null;
    state.consented = false;
    clearLog();
    storage.remove(conversationKey);
    w.hideError();
    w.render();
    w.renderHistory(); // the conversation that ended joins the list
  }

  function clearLog() {
    state.maxSeq = 0;
    state.shown.clear();
    state.refused.clear();
    ui.messages.replaceChildren();
  }

  // CHAT-1: the page, the brand's custom data and the visitor's identity when the page knows it.
  function chatRequest() {
    const context = w.pageContext();
    const fields = { page: { url: w.pageUrl(), title: document.title.slice(0, 512) } };
    // Values written as text here, as for the availability check, so that a rule on custom data sees the same value
    // in both (true, not the server's "True"); anything else is sent as it is, for the server to refuse.
    const custom = Object.fromEntries(Object.entries(w.customData(context))
      .map(([name, value]) => [name, isScalar(value) ? String(value) : value]));
    if (Object.keys(custom).length > 0) fields.custom = custom;
    // Routed as the availability check was asked: the same queue and skill.
    const { queue, skill, level } = w.routingNeeds(context);
    if (queue !== undefined) fields.queue = queue;
    if (skill !== undefined) {
      fields.skill = { skill };
      if (level !== undefined) fields.skill.min_level = /^\d+$/.test(level) ? Number(level) : level;
    }
    if (typeof context.name === 'string' && context.name.trim()) fields.visitor_name = context.name.trim().slice(0, 120);
    if (typeof context.email === 'string' && context.email.trim()) fields.visitor_email = context.email.trim();
    // Signed by the brand's server; the server checks the signature and shows the visitor as verified.
    const identity = w.pageIdentity();
    if (identity) fields.identity = identity;
    if (state.consented) fields.consent = true; // ASYNC-6: the visitor agreed to the tenant's text
    return fields;
  }

  // A brand page's bad custom data or identity must not keep the visitor from chatting: it is dropped.
  async function requestStart(fields, retried = false) {
    try {
      return await connection.request('start_conversation', fields);
    } catch (error) {
      if (!(error instanceof ServerError) || error.code === 'unavailable' || error.field === 'consent') throw error;
      if (error.code === 'conflict' && !retried) {
        await delay(300); // another tab opened it at the same moment: this answers with that conversation
        return requestStart(fields, true);
      }
      const dropped = OPTIONAL_REQUEST_FIELDS.find((name) => error.field === name || error.field?.startsWith(`${name}.`));
      if (!dropped || !(dropped in fields)) throw error;
      console.warn(`Guichet widget: the server refused ${dropped} (${error.message}); the chat starts without it.`);
      const { [dropped]: _ignored, ...rest } = fields;
      return requestStart(rest, retried);
    }
  }

  function startConversation() {
    if (state.starting) return state.starting;
    // The first waiting message travels with the request, so the agent reads it with the offer; it is sent again
    // by flushOutbox afterwards, which the server recognises by its client_message_id and does not store twice.
    const request = chatRequest();
    const [first] = state.outbox.entries();
    if (first) request.message = { client_message_id: first[0], text: first[1].text };
    const starting = requestStart(request)
      .then((ack) => {
        const { conversation } = ack;
        if (typeof ack.position === 'number' && state.queue?.conversationId !== conversation.id) {
          state.queue = { conversationId: conversation.id, position: ack.position, estimate: null };
        }
        state.starting = null;
        state.pageReported = true; // the request carried this page
        setConversation(conversation);
        w.flushOutbox();
      })
      .catch((error) => {
        if (error instanceof ServerError && error.code === 'unavailable') {
          refusedAsUnavailable(error.field === 'hours');
        } else if (error instanceof ServerError && error.field === 'consent') {
          w.refusedForConsent();
        } else if (error instanceof ServerError) { // refused for good: the messages waiting for it are not sent
          for (const clientMessageId of [...state.outbox.keys()]) w.markFailed(clientMessageId);
          w.showError(w.refusalText(error) || error.message || w.t('notSentError'));
        } // a lost connection: the outbox starts it again after reconnecting
      })
      .finally(() => {
        if (state.starting === starting) state.starting = null;
        w.render();
      });
    state.starting = starting;
    w.render();
    return starting;
  }

  // start_conversation answered `unavailable` (every group filled up since the last check, or the tenant closed:
  // `closed`): nothing was created. What the visitor wrote goes back into the message box, and the tenant's text
  // replaces the composer; the next availability check brings the next opening.
  function refusedAsUnavailable(closed) {
    takeBackOutbox();
    w.hideError();
    if (closed) state.closed ??= { nextOpening: null };
    w.setAvailability(false, closed ? 'closed' : 'full');
  }

  // What waited for a refused start goes back into the message box, not shown as sent.
  function takeBackOutbox() {
    const texts = [];
    for (const entry of state.outbox.values()) {
      clearTimeout(entry.timer);
      entry.retry?.remove();
      entry.element.remove();
      texts.push(entry.text);
    }
    state.outbox.clear();
    ui.input.value = [...texts, ui.input.value].filter((text) => text.trim()).join('\n');
    w.updateCounter();
  }
}
