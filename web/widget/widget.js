// Guichet chat widget. A brand embeds it with one tag:
//   <script type="module" src="https://cdn.example/widget/widget.js" data-tenant="demo"></script>
// Optional attributes: data-api (REST base URL, default: this script's origin) and
// data-ws (WebSocket URL, default: ws(s)://<api host>/ws), data-title and data-greeting (panel texts).
// Visitor and agent text is only ever set with textContent / Text nodes.

const MAX_LENGTH = 1940;
const PING_INTERVAL_MS = 5 * 60 * 1000; // API Gateway drops connections idle for 10 minutes
const MAX_BACKOFF_MS = 30 * 1000;

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

function defaultWsUrl(api) {
  const url = new URL(api);
  return `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}/ws`;
}

// ---------------------------------------------------------------- small helpers

function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children); // strings become Text nodes, never markup
  return node;
}

function newId() {
  return crypto.randomUUID();
}

function backoffDelay(attempt) {
  const ceiling = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

const storage = {
  get(key) {
    try { return localStorage.getItem(key); } catch { return null; }
  },
  set(key, value) {
    try { localStorage.setItem(key, value); } catch { /* storage blocked: the visitor stays anonymous */ }
  },
};

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
  }
}

class ConnectionLost extends Error {}

class ServerError extends Error {
  constructor(frame) {
    super(frame.message || frame.code);
    this.code = frame.code;
  }
}

// ---------------------------------------------------------------- REST

function createApi(base, tenant, getToken) {
  async function call(method, path, body) {
    const headers = { Accept: 'application/json' };
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${base}/tenants/${encodeURIComponent(tenant)}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, payload);
    return payload;
  }
  return {
    createVisitor: (body) => call('POST', '/visitors', body),
    openConversations: () => call('GET', '/conversations'),
    conversation: (id) => call('GET', `/conversations/${encodeURIComponent(id)}`),
    messages: (id, afterSeq) =>
      call('GET', `/conversations/${encodeURIComponent(id)}/messages?after_seq=${afterSeq}&limit=100`),
  };
}

// ---------------------------------------------------------------- WebSocket with backoff and request/ack

function createConnection({ url, onOpen, onFrame, onStateChange, beforeRetry }) {
  let socket = null;
  let attempt = 0;
  let retryTimer = null;
  let pingTimer = null;
  const pending = new Map(); // request id -> {resolve, reject}

  function open() {
    const current = new WebSocket(url());
    let opened = false;
    socket = current;
    current.addEventListener('open', () => {
      opened = true;
      attempt = 0;
      pingTimer = setInterval(() => send({ action: 'ping' }), PING_INTERVAL_MS);
      onStateChange(true);
      onOpen();
    });
    current.addEventListener('message', (event) => receive(event.data));
    current.addEventListener('close', () => {
      if (socket !== current) return;
      socket = null;
      clearInterval(pingTimer);
      failPending();
      onStateChange(false);
      retryLater(opened);
    });
  }

  function retryLater(wasOpen) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(async () => {
      retryTimer = null;
      // A socket refused before opening usually means an expired token.
      if (!wasOpen && beforeRetry) await beforeRetry().catch(() => {});
      open();
    }, backoffDelay(attempt++));
  }

  function retryNow() {
    if (retryTimer === null) return;
    clearTimeout(retryTimer);
    retryTimer = null;
    open();
  }

  function receive(data) {
    let frame;
    try { frame = JSON.parse(data); } catch { return; }
    const request = frame.id !== undefined ? pending.get(frame.id) : undefined;
    if (request && (frame.type === 'ack' || frame.type === 'error')) {
      pending.delete(frame.id);
      if (frame.type === 'ack') request.resolve(frame);
      else request.reject(new ServerError(frame));
    }
    onFrame(frame);
  }

  function failPending() {
    for (const request of pending.values()) request.reject(new ConnectionLost('connection lost'));
    pending.clear();
  }

  function isOpen() {
    return socket?.readyState === WebSocket.OPEN;
  }

  function send(frame) {
    if (!isOpen()) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function request(action, fields = {}) {
    const id = newId();
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      if (!send({ action, id, ...fields })) {
        pending.delete(id);
        reject(new ConnectionLost('not connected'));
      }
    });
  }

  return { open, isOpen, request, retryNow };
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
    for (;;) {
      const { messages = [] } = await api.messages(conversationId, state.maxSeq);
      messages.forEach(showMessage);
      if (messages.length < 100) return;
    }
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
    const entry = state.outbox.get(clientMessageId);
    connection
      .request('send_message', {
        conversation_id: state.conversation.id,
        client_message_id: clientMessageId,
        text: entry.text,
        after_seq: state.maxSeq,
      })
      .then((ack) => {
        showMessage(ack.message);
        (ack.messages ?? []).forEach(showMessage);
      })
      .catch((error) => {
        if (error instanceof ServerError) markFailed(clientMessageId);
        // ConnectionLost: stays in the outbox and is resent, same client_message_id, after reconnect
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

  // Fetches what was missed while away, one page per ack, until the server says there is no more.
  function syncMissed(conversationId) {
    connection
      .request('sync', { conversation_id: conversationId, after_seq: state.maxSeq })
      .then((ack) => {
        (ack.messages ?? []).forEach(showMessage);
        if (ack.more) syncMissed(conversationId);
      })
      .catch(() => {});
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

    const entry = state.outbox.get(message.client_message_id);
    let element;
    if (entry) {
      state.outbox.delete(message.client_message_id);
      element = entry.element;
      element.dataset.state = 'sent';
    } else {
      element = renderMessage(message.sender, message.text, 'sent');
    }
    element.dataset.conversationId = message.conversation_id;
    element.dataset.seq = String(message.seq);
    if (message.sent_at) element.title = new Date(message.sent_at).toLocaleString();
    state.shown.set(key, element);
    placeInOrder(element, message);
    return true;
  }

  // Stored messages sort by seq within their conversation; messages still sending stay last.
  // An element is moved only when it is out of place, so the live region does not repeat it.
  function placeInOrder(element, message) {
    const next = [...ui.messages.children].find((other) => other !== element && (
      other.dataset.state === 'sending' ||
      (other.dataset.conversationId === message.conversation_id && Number(other.dataset.seq) > message.seq)
    ));
    if (next) {
      if (element.nextElementSibling !== next) ui.messages.insertBefore(element, next);
    } else if (ui.messages.lastElementChild !== element) {
      ui.messages.append(element);
    }
    if (ui.messages.lastElementChild === element) scrollToEnd();
  }

  // The element's text content is exactly the message text; the sender's name is a data
  // attribute that the stylesheet displays.
  function renderMessage(sender, text, messageState) {
    const kind = sender?.kind === 'agent' ? 'agent' : 'visitor';
    const element = h('div', {
      class: `message message--${kind}`,
      'data-testid': 'guichet-message',
      'data-kind': kind,
      'data-state': messageState,
    });
    if (kind === 'agent' && sender.name) element.dataset.sender = sender.name;
    element.textContent = text;
    return element;
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
