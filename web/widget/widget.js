// Guichet chat widget. A brand embeds it with one tag:
//   <script type="module" src="https://cdn.example/widget/widget.js" data-tenant="demo"></script>
// Optional attributes: data-api (REST base URL, default: this script's origin) and
// data-ws (WebSocket URL, default: ws(s)://<api host>/ws), data-title and data-greeting (panel texts).
// Visitor and agent text is only ever set with textContent / Text nodes.

import {
  ApiError, MAX_LENGTH, conversationPath, createConnection, createTenantCall, defaultWsUrl, h,
  loadHistory as loadPages, messagesPath, newId, placeInOrder, renderMessage as renderMessageElement,
  storedMessageElement, syncMissed as syncPages, transmit as transmitEntry,
} from './connection.js';

// ---------------------------------------------------------------- configuration

function findOwnScript() {
  const ownUrl = import.meta.url;
  const scripts = [...document.querySelectorAll('script[src]')];
  return scripts.find((script) => script.src === ownUrl) ?? document.querySelector('script[data-tenant]');
}

function readConfig(script) {
  const data = script?.dataset ?? {};
  const api = new URL(data.api || new URL(import.meta.url).origin, location.href).href.replace(/\/+$/, '');
  return {
    tenant: data.tenant,
    api,
    ws: data.ws || defaultWsUrl(api),
    title: data.title || 'Chat with us',
    greeting: data.greeting || 'Hi! Ask us anything, we usually answer within minutes.',
  };
}

// ---------------------------------------------------------------- small helpers

const storage = {
  get(key) {
    try { return localStorage.getItem(key); } catch { return null; }
  },
  set(key, value) {
    try { localStorage.setItem(key, value); } catch { /* storage blocked: the visitor stays anonymous */ }
  },
};

// ---------------------------------------------------------------- REST

function createApi(base, tenant, getToken) {
  const call = createTenantCall({ base, tenant, getToken });
  return {
    createVisitor: (body) => call('POST', '/visitors', body),
    openConversations: () => call('GET', '/conversations'),
    conversation: (id) => call('GET', conversationPath(id)),
    messages: (id, afterSeq) => call('GET', messagesPath(id, afterSeq)),
  };
}

// ---------------------------------------------------------------- user interface

function buildUi({ title, greeting }) {
  const host = h('div', { class: 'guichet-widget-host' });
  const root = host.attachShadow({ mode: 'open' });
  const stylesheet = h('link', { rel: 'stylesheet', href: new URL('widget.css', import.meta.url).href });

  const badge = h('span', { class: 'badge', 'aria-hidden': 'true', hidden: '' });
  const launcher = h('button', {
    type: 'button',
    class: 'launcher',
    'data-testid': 'guichet-launcher',
    'aria-expanded': 'false',
    'aria-controls': 'panel',
  }, title, badge);

  const close = h('button', { type: 'button', class: 'close', 'aria-label': 'Close chat' }, '×');
  const intro = h('p', { class: 'intro' }, greeting);
  const status = h('p', { class: 'status', 'data-testid': 'guichet-status', role: 'status' });
  const connection = h('p', { class: 'connection', 'data-testid': 'guichet-connection', hidden: '' });
  const messages = h('div', {
    class: 'messages',
    'data-testid': 'guichet-messages',
    role: 'log',
    'aria-live': 'polite',
    'aria-label': 'Messages',
    tabindex: '0',
  });
  const error = h('p', { class: 'error', 'data-testid': 'guichet-error', 'aria-live': 'polite', hidden: '' });
  const input = h('textarea', {
    id: 'input',
    class: 'input',
    'data-testid': 'guichet-input',
    maxlength: String(MAX_LENGTH),
    rows: '2',
    placeholder: 'Type your message…',
  });
  const send = h('button', { type: 'submit', class: 'send', 'data-testid': 'guichet-send' }, 'Send');
  const form = h('form', { class: 'composer' },
    h('label', { class: 'visually-hidden', for: 'input' }, 'Your message'), input, send);

  const panel = h('section', { id: 'panel', class: 'panel', role: 'dialog', 'aria-labelledby': 'title', hidden: '' },
    h('header', { class: 'header' }, h('h2', { id: 'title', class: 'title' }, title), close),
    intro, status, connection, messages, error, form);

  root.append(stylesheet, panel, launcher);
  document.body.append(host);
  return { launcher, badge, panel, close, status, connection, messages, error, input, form };
}

// ---------------------------------------------------------------- the widget

function start({ tenant, api: apiBase, ws: wsBase, ...texts }) {
  const tokenKey = `guichet:${tenant}:visitor`;
  const ui = buildUi(texts);
  const state = {
    token: storage.get(tokenKey),
    conversation: null, // the open conversation; null until the visitor's first message
    maxSeq: 0, // highest seq seen in the open conversation
    shown: new Map(), // `${conversation_id}:${seq}` -> element
    outbox: new Map(), // client_message_id -> {text, element}; cleared by acks
    starting: null, // in-flight start_conversation
    unread: 0,
    initialized: null,
    connectedOnce: false,
  };
  const api = createApi(apiBase, tenant, () => state.token);
  const connection = createConnection({
    url: () => `${wsBase}?tenant=${encodeURIComponent(tenant)}&token=${encodeURIComponent(state.token)}`,
    onOpen: handleReconnected,
    onFrame: handleFrame,
    onStateChange: showConnection,
    beforeRetry: obtainToken,
  });

  ui.launcher.addEventListener('click', () => (ui.panel.hidden ? openPanel() : closePanel()));
  ui.close.addEventListener('click', closePanel);
  ui.panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') closePanel();
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
  window.addEventListener('online', () => connection.retryNow());

  // ------------------------------------------------ panel

  function openPanel() {
    ui.panel.hidden = false;
    ui.launcher.setAttribute('aria-expanded', 'true');
    setUnread(0);
    ui.input.focus();
    state.initialized ??= initialize().catch((error) => {
      state.initialized = null; // let the next open try again
      showError(`Chat unavailable: ${error.message}`);
    });
  }

  function closePanel() {
    ui.panel.hidden = true;
    ui.launcher.setAttribute('aria-expanded', 'false');
    ui.launcher.focus();
  }

  function setUnread(count) {
    state.unread = count;
    ui.badge.textContent = String(count);
    ui.badge.hidden = count === 0;
  }

  async function initialize() {
    await obtainToken();
    await resumeOpenConversation();
    connection.open();
  }

  // ------------------------------------------------ visitor token and resume

  async function obtainToken() {
    let visitor;
    try {
      visitor = await api.createVisitor(state.token ? { visitor_token: state.token } : {});
    } catch (error) {
      if (!(error instanceof ApiError) || error.status >= 500 || !state.token) throw error;
      visitor = await api.createVisitor({}); // the stored token was refused: start as a new visitor
    }
    state.token = visitor.visitor_token;
    storage.set(tokenKey, state.token);
  }

  async function resumeOpenConversation() {
    const { conversations = [] } = await api.openConversations();
    const open = conversations.find((conversation) => conversation.status !== 'closed');
    if (!open) return;
    setConversation(open);
    await loadHistory(open.id);
  }

  async function loadHistory(conversationId) {
    await loadPages(api, conversationId, () => state.maxSeq, showMessage);
  }

  // ------------------------------------------------ conversation

  function setConversation(conversation) {
    if (state.conversation?.id !== conversation.id) state.maxSeq = 0;
    state.conversation = conversation;
    showConversationStatus(conversation);
  }

  function showConversationStatus(conversation) {
    if (conversation.status === 'waiting') ui.status.textContent = 'Waiting for an agent…';
    else if (conversation.status === 'assigned' && conversation.agent) {
      ui.status.textContent = `${conversation.agent.name} joined`;
    } else if (conversation.status === 'closed') ui.status.textContent = 'This conversation has ended.';
  }

  function hasOpenConversation() {
    return state.conversation !== null && state.conversation.status !== 'closed';
  }

  function startConversation() {
    state.starting ??= connection
      .request('start_conversation', { page: { url: location.href, title: document.title } })
      .then((ack) => {
        setConversation(ack.conversation);
        flushOutbox();
      })
      .catch(() => { /* error frames are shown by handleFrame; the outbox retries after reconnect */ })
      .finally(() => { state.starting = null; });
    return state.starting;
  }

  // ------------------------------------------------ sending

  function submitInput() {
    const text = ui.input.value.trim();
    if (!text) return;
    if (text.length > MAX_LENGTH) {
      showError(`Messages are limited to ${MAX_LENGTH} characters.`);
      return;
    }
    ui.input.value = '';
    hideError();
    const clientMessageId = newId();
    const element = renderMessage({ kind: 'visitor' }, text, 'sending');
    ui.messages.append(element);
    scrollToEnd();
    state.outbox.set(clientMessageId, { text, element });
    if (!connection.isOpen()) return; // sent by handleReconnected
    if (hasOpenConversation()) transmit(clientMessageId);
    else startConversation();
  }

  function flushOutbox() {
    for (const clientMessageId of state.outbox.keys()) transmit(clientMessageId);
  }

  function transmit(clientMessageId) {
    transmitEntry(connection, {
      outbox: state.outbox,
      clientMessageId,
      conversationId: state.conversation.id,
      afterSeq: state.maxSeq,
      showMessage,
      onFailed: () => markFailed(clientMessageId),
    });
  }

  function markFailed(clientMessageId) {
    const entry = state.outbox.get(clientMessageId);
    if (!entry) return;
    state.outbox.delete(clientMessageId);
    entry.element.dataset.state = 'failed';
  }

  // ------------------------------------------------ receiving

  function handleReconnected() {
    const firstConnection = !state.connectedOnce;
    state.connectedOnce = true;
    if (!hasOpenConversation()) {
      if (state.outbox.size > 0) startConversation();
      return;
    }
    const conversationId = state.conversation.id;
    syncMissed(conversationId);
    // The status may have changed while we were away (an agent joined, the chat ended).
    if (!firstConnection) api.conversation(conversationId).then(updateConversation).catch(() => {});
    flushOutbox();
  }

  function syncMissed(conversationId) {
    syncPages(connection, conversationId, () => state.maxSeq, showMessage);
  }

  function handleFrame(frame) {
    switch (frame.type) {
      case 'message':
        if (showMessage(frame.message) && ui.panel.hidden && frame.message.sender?.kind === 'agent') {
          setUnread(state.unread + 1);
        }
        break;
      case 'conversation.updated':
        updateConversation(frame.conversation);
        break;
      case 'error':
        showError(frame.message || frame.code || 'Something went wrong.');
        break;
      default:
        break; // ack and pong are handled by their requests
    }
  }

  function updateConversation(conversation) {
    if (state.conversation && conversation.id !== state.conversation.id) return;
    setConversation(conversation);
  }

  // Shows a stored message once, whether it arrives by ack, push, sync or history.
  // Returns true when the message was not on screen yet.
  function showMessage(message) {
    if (!message || message.seq === undefined) return false;
    const key = `${message.conversation_id}:${message.seq}`;
    if (state.conversation?.id === message.conversation_id) state.maxSeq = Math.max(state.maxSeq, message.seq);
    if (state.shown.has(key)) return false;

    const element = storedMessageElement(message, state.outbox, ({ sender, text }) => renderMessage(sender, text, 'sent'));
    element.dataset.conversationId = message.conversation_id;
    state.shown.set(key, element);
    placeInOrder(ui.messages, element, (other) =>
      other.dataset.conversationId === message.conversation_id && Number(other.dataset.seq) > message.seq);
    return true;
  }

  // Only agents' names are shown; the visitor's own messages need none.
  function renderMessage(sender, text, messageState) {
    return renderMessageElement({
      sender,
      text,
      state: messageState,
      testId: 'guichet-message',
      label: (author, kind) => (kind === 'agent' ? author.name : undefined),
    });
  }

  function scrollToEnd() {
    ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  // ------------------------------------------------ status lines

  function showConnection(connected) {
    ui.connection.hidden = connected;
    ui.connection.textContent = connected ? '' : 'Reconnecting…';
  }

  function showError(text) {
    ui.error.textContent = text;
    ui.error.hidden = false;
  }

  function hideError() {
    ui.error.textContent = '';
    ui.error.hidden = true;
  }
}

// ---------------------------------------------------------------- bootstrap

const config = readConfig(findOwnScript());
if (!config.tenant) {
  console.warn('Guichet widget: the script tag needs a data-tenant attribute.');
} else {
  start(config);
}
