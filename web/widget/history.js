// Guichet widget, history (ASYNC-5): "Your previous conversations (N)", a collapsible list of the visitor's 20 newest
// conversations (GET /visitors/me/history); each entry opens its messages, read-only.

import { h, loadHistory as loadPages } from './connection.js';

export function install(w) {
  const { state, ui, api } = w;
  const historyItems = new Map(); // conversation id -> its entry in the list of previous conversations
  Object.assign(w, { refreshHistory, renderHistory, historyItem, toggleHistoryItem, formatDate });

  // GET /visitors/me/history; a call while one is under way asks for one more after it.
  function refreshHistory() {
    if (!state.token) return Promise.resolve();
    if (state.historyLoading) {
      state.historyAgain = true;
      return state.historyLoading;
    }
    state.historyLoading = api.history()
      .then((answer) => {
        state.history = {
          hidden: answer?.hidden === true,
          conversations: Array.isArray(answer?.conversations) ? answer.conversations.filter((c) => c?.id) : [],
        };
        renderHistory();
      })
      .catch(() => {}) // the list stays as it was
      .finally(() => {
        state.historyLoading = null;
        if (state.historyAgain) {
          state.historyAgain = false;
          refreshHistory();
        }
      });
    return state.historyLoading;
  }

  // The list leaves out the conversation on screen; nothing shows when the visitor hid their history.
  function renderHistory() {
    const found = state.history;
    const previous = found && !found.hidden
      ? found.conversations.filter((conversation) => conversation.id !== state.conversation?.id) : [];
    ui.history.hidden = previous.length === 0;
    ui.historySummary.textContent = w.t('history', previous.length);
    ui.historyList.replaceChildren(...previous.map(historyItem));
  }

  // One entry: a button with the date and status that shows or hides the conversation's messages (read-only).
  function historyItem(conversation) {
    let item = historyItems.get(conversation.id);
    if (!item) {
      const logId = `history-${historyItems.size + 1}`;
      const button = h('button', {
        type: 'button', class: 'history-item', 'data-testid': 'guichet-history-item', 'aria-expanded': 'false',
        'aria-controls': logId,
      });
      const log = h('div', {
        id: logId, class: 'history-messages', 'data-testid': 'guichet-history-messages', role: 'log', 'aria-live': 'off',
        hidden: '',
      });
      item = { conversation, button, log, element: h('li', {}, button, log), loaded: false };
      const opened = item;
      button.addEventListener('click', () => toggleHistoryItem(opened));
      historyItems.set(conversation.id, item);
    }
    item.conversation = conversation;
    item.button.dataset.conversationId = conversation.id;
    item.button.dataset.status = conversation.status;
    item.button.textContent = w.t('historyItem', formatDate(conversation.created_at), w.t('historyStatus', conversation.status));
    return item.element;
  }

  async function toggleHistoryItem(item) {
    const open = item.button.getAttribute('aria-expanded') !== 'true';
    item.button.setAttribute('aria-expanded', String(open));
    item.log.hidden = !open;
    if (!open || item.loaded) return;
    item.loaded = true;
    item.log.replaceChildren(h('p', { class: 'hint' }, w.t('historyLoading')));
    const found = [];
    let afterSeq = 0;
    try {
      await loadPages(api, item.conversation.id, () => afterSeq, (message) => {
        afterSeq = Math.max(afterSeq, message.seq);
        found.push(message);
      });
    } catch {
      item.loaded = false; // tried again on the next opening
      item.log.replaceChildren(h('p', { class: 'hint' }, w.t('historyFailed')));
      return;
    }
    const shown = found.map((message) => {
      const element = w.renderMessage(message.sender, message.text, 'stored', 'guichet-history-message');
      if (message.sent_at) element.title = new Date(message.sent_at).toLocaleString();
      return element;
    });
    item.log.replaceChildren(...(shown.length > 0 ? shown : [h('p', { class: 'hint' }, w.t('historyEmpty'))]));
  }

  function formatDate(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return '';
    return date.toLocaleString(state.lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
  }
}

export function build() {
  // The visitor's previous conversations (ASYNC-5): a collapsible list; each opens its messages, read-only.
  const historySummary = h('summary', { 'data-testid': 'guichet-history-summary' });
  const historyList = h('ul', { class: 'history-list', 'data-testid': 'guichet-history-list' });
  const history = h('details', { class: 'history', 'data-testid': 'guichet-history', hidden: '' },
    historySummary, historyList);
  return { historySummary, historyList, history };
}
