// Guichet widget: the visitor's session (POST /visitors: a notification email's link, the page's signed identity, the
// stored token), resuming the open conversation, the read mark (ASYNC-4) and the page the visitor is on (ASYNC-16).

import { ApiError, ServerError, loadHistory as loadPages } from './connection.js';
import { isPlainObject, storage, isOpenStatus } from './loader.js';
import { surveyPending } from './end.js';

export function install(w) {
  const { config, state, ui, api, connection } = w;
  const { tokenKey, conversationKey, readKey } = w.keys;
  Object.assign(w, {
    obtainToken, refusalText, ensureToken, resume, loadHistory, pageIdentity, storedReadMark, noteSeen, sendRead,
    reportPage,
  });

  // POST /visitors: a fresh token for the visitor a notification email's link names (once), else for the identity
  // the brand signed on the page (the same visitor, and history, on any device: ASYNC-5), else for the visitor of
  // the stored token, else for a new visitor. A refused link or token falls back to the next way.
  async function obtainToken() {
    const link = state.resumeLink;
    state.resumeLink = null; // a link is used once
    const identity = pageIdentity();
    const known = identity ? { identity } : {};
    const attempts = [];
    if (link) attempts.push({ ...known, resume: link });
    if (state.token) attempts.push({ ...known, visitor_token: state.token });
    attempts.push(known);
    if (identity) attempts.push({});
    let visitor = null;
    for (const [index, body] of attempts.entries()) {
      try {
        visitor = await api.createVisitor(body);
        break;
      } catch (error) {
        // A server failure or a limit (429: too many sessions) is not a refused token: keep the stored session.
        if (!(error instanceof ApiError) || error.status >= 500 || error.status === 429 || index === attempts.length - 1) {
          throw error;
        }
        if (body.resume) console.warn('Guichet widget: the link is not valid or has expired; the chat opens as usual.');
      }
    }
    if (identity && visitor.identified === false && !state.identityWarned) {
      state.identityWarned = true;
      console.warn('Guichet widget: the identity was not accepted (its signature does not match); the visitor stays anonymous.');
    }
    state.token = visitor.visitor_token;
    storage.set(tokenKey, state.token);
    if (link && visitor.conversation_id) state.linkConversationId = visitor.conversation_id;
  }

  // What the visitor reads when the server refused what they sent for good (else the server's message).
  function refusalText(error) {
    if (error?.code === 'blocked') return w.t('blocked');
    if (error?.code === 'rate_limited') return w.t('rateLimited');
    return null;
  }

  async function ensureToken() {
    if (!state.token) await obtainToken();
  }

  // The open conversation (waiting, offered or in progress); else the last one if it ended unrated, so that a
  // reload keeps the end screen. A waiting visitor sees "…" until the next queue.position push.
  async function resume() {
    // A notification email's link: its conversation, open or closed (then the rating form: the end screen).
    const linked = state.linkConversationId;
    state.linkConversationId = null;
    if (linked) {
      const conversation = await api.conversation(linked).catch(() => null);
      if (conversation?.id) {
        if (state.conversation?.id !== conversation.id) w.clearLog();
        w.setConversation(conversation);
        await loadHistory(conversation.id);
        return;
      }
    }
    const { conversations = [] } = await api.openConversations();
    const open = conversations.find((conversation) => isOpenStatus(conversation.status));
    if (open) {
      w.setConversation(open);
      await loadHistory(open.id);
      return;
    }
    const lastId = storage.get(conversationKey);
    if (!lastId || state.conversation || state.outbox.size > 0) return;
    const last = await api.conversation(lastId).catch(() => null);
    if (surveyPending(last)) { // its end screen still asks the rating or the NPS question
      w.setConversation(last);
      await loadHistory(last.id);
    } else {
      storage.remove(conversationKey);
    }
  }

  async function loadHistory(conversationId) {
    await loadPages(api, conversationId, () => state.maxSeq, w.showMessage);
  }

  // window.guichetContext.identity wins over data-identity.
  function pageIdentity() {
    const context = w.pageContext();
    return isPlainObject(context.identity) ? context.identity : config.identity;
  }

  function storedReadMark(conversationId) {
    try {
      const mark = JSON.parse(storage.get(readKey) || 'null');
      return mark?.conversation_id === conversationId && Number.isInteger(mark.seq) ? mark.seq : 0;
    } catch {
      return 0;
    }
  }

  // What the panel shows is seen when it is open on a visible page: the read mark rises, and the server hears of
  // it (no email is sent for answers already read).
  function noteSeen() {
    const conversation = state.conversation;
    if (!conversation || ui.panel.hidden || document.visibilityState === 'hidden') return;
    if (state.lastAgentSeq > state.readSeq) {
      state.readSeq = state.maxSeq;
      storage.set(readKey, JSON.stringify({ conversation_id: conversation.id, seq: state.readSeq }));
    }
    clearTimeout(state.readTimer);
    state.readTimer = setTimeout(sendRead, 100); // one frame for a page of history, not one per message
  }

  function sendRead() {
    const conversation = state.conversation;
    const seq = state.readSeq;
    if (!conversation || seq <= state.readAcked || !connection.isOpen()) return; // sent after (re)connecting
    connection.request('read', { conversation_id: conversation.id, seq })
      .then((ack) => {
        if (state.conversation?.id === conversation.id) state.readAcked = Math.max(state.readAcked, Number(ack.seq) || seq);
      })
      .catch(() => {});
  }

  // Once per page load, for a conversation this page did not start (start_conversation carries its page).
  function reportPage() {
    const conversation = state.conversation;
    if (state.pageReported || !w.hasOpenConversation()) return;
    state.pageReported = true;
    const page = { url: w.pageUrl(), title: document.title.slice(0, 512) };
    if (conversation.page?.url === page.url && (conversation.page?.title ?? '') === page.title) return;
    connection.request('page', { conversation_id: conversation.id, page }).catch((error) => {
      if (!(error instanceof ServerError)) state.pageReported = false; // not sent: again after reconnecting
    });
  }
}
