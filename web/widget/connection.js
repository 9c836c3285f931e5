// Guichet front-end code shared by the chat widget and the agent desk: DOM and id helpers,
// REST calls, the WebSocket connection with backoff and request/ack, and message bookkeeping.
// It lives next to widget.js because the widget is deployed standalone; the desk imports it
// from /widget/connection.js. No user text is ever parsed as markup here.

export const MAX_LENGTH = 1940;
const PING_INTERVAL_MS = 5 * 60 * 1000; // API Gateway drops connections idle for 10 minutes
const MAX_BACKOFF_MS = 30 * 1000;
const PAGE_SIZE = 100;

// ---------------------------------------------------------------- small helpers

export function defaultWsUrl(api) {
  const url = new URL(api);
  return `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}/ws`;
}

export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children); // strings become Text nodes, never markup
  return node;
}

export function newId() {
  return crypto.randomUUID();
}

function backoffDelay(attempt) {
  const ceiling = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.field = body?.field; // the input at fault, when the server names one
  }
}

export class ConnectionLost extends Error {}

export class ServerError extends Error {
  constructor(frame) {
    super(frame.message || frame.code);
    this.code = frame.code;
    this.field = frame.field; // the input at fault, when the server names one
  }
}

// ---------------------------------------------------------------- REST

// Returns call(method, path, body) for the tenant's REST API. The bearer token is read on each
// call and sent only when there is one; onUnauthorized (optional) hears of every 401.
export function createTenantCall({ base, tenant, getToken, onUnauthorized }) {
  return async function call(method, path, body) {
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
    if (response.status === 401) onUnauthorized?.();
    if (!response.ok) throw new ApiError(response.status, payload);
    return payload;
  };
}

export const conversationPath = (id) => `/conversations/${encodeURIComponent(id)}`;

export const messagesPath = (id, afterSeq) =>
  `${conversationPath(id)}/messages?after_seq=${afterSeq}&limit=${PAGE_SIZE}`;

// Reads a conversation's history page by page; afterSeq() is asked again before each page.
export async function loadHistory(api, conversationId, afterSeq, showMessage) {
  for (;;) {
    const { messages = [] } = await api.messages(conversationId, afterSeq());
    messages.forEach((message) => showMessage(message));
    if (messages.length < PAGE_SIZE) return;
  }
}

// ---------------------------------------------------------------- WebSocket with backoff and request/ack

// url() is asked again before each attempt, so it may carry a token that changed meanwhile.
// beforeRetry (optional) runs before retrying a socket that was refused before it opened:
// that usually means an expired token, which it may renew or report.
export function createConnection({ url, onOpen, onFrame, onStateChange, beforeRetry }) {
  let socket = null;
  let attempt = 0;
  let retryTimer = null;
  let pingTimer = null;
  let stopped = false;
  const pending = new Map(); // request id -> {resolve, reject}

  function open() {
    if (stopped) return;
    if (navigator.onLine === false) { // no attempt can succeed: wait (the page calls retryNow when back online)
      onStateChange(false);
      retryLater(true);
      return;
    }
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
      if (!stopped) retryLater(opened);
    });
  }

  function retryLater(wasOpen) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(async () => {
      retryTimer = null;
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

  // The browser went offline. A socket may then look open for minutes while nothing gets through: it is given up
  // at once (pending requests fail with ConnectionLost) and a new one is opened when the network is back.
  function drop() {
    const current = socket;
    if (current === null) return;
    socket = null;
    clearInterval(pingTimer);
    failPending();
    onStateChange(false);
    current.close();
    retryLater(true);
  }

  function close() {
    stopped = true;
    clearTimeout(retryTimer);
    clearInterval(pingTimer);
    const current = socket;
    socket = null;
    failPending();
    current?.close();
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

  return { open, close, drop, isOpen, request, retryNow };
}

// Fetches what was missed while away, one page per ack, until the server says there is no more.
// afterSeq() is asked again for each page.
export function syncMissed(connection, conversationId, afterSeq, showMessage) {
  connection
    .request('sync', { conversation_id: conversationId, after_seq: afterSeq() })
    .then((ack) => {
      (ack.messages ?? []).forEach((message) => showMessage(message));
      if (ack.more) syncMissed(connection, conversationId, afterSeq, showMessage);
    })
    .catch(() => {});
}

// Sends the outbox entry clientMessageId ({text, element}). The ack's message and any messages
// it reports missed go to showMessage. A refusal by the server calls onFailed(entry, error); on
// ConnectionLost the entry stays in the outbox, to be resent with the same id after reconnect.
export function transmit(connection, { outbox, clientMessageId, conversationId, afterSeq, showMessage, onFailed }) {
  const entry = outbox.get(clientMessageId);
  connection
    .request('send_message', {
      conversation_id: conversationId,
      client_message_id: clientMessageId,
      text: entry.text,
      after_seq: afterSeq,
    })
    .then((ack) => {
      showMessage(ack.message);
      (ack.messages ?? []).forEach((message) => showMessage(message));
    })
    .catch((error) => {
      if (error instanceof ServerError) onFailed(entry, error);
    });
}

// ---------------------------------------------------------------- message elements

// The element's text content is exactly the message text; the sender's name (when label
// gives one) is a data attribute that the stylesheet displays.
export function renderMessage({ sender, text, state, testId, label }) {
  const kind = sender?.kind === 'agent' ? 'agent' : 'visitor';
  const element = h('div', {
    class: `message message--${kind}`,
    'data-testid': testId,
    'data-kind': kind,
    'data-state': state,
  });
  const name = label(sender, kind);
  if (name) element.dataset.sender = name;
  element.textContent = text;
  return element;
}

// The element for a stored message: the one shown while it was sending (taken out of the
// outbox and marked sent) or else a new one from render(message).
export function storedMessageElement(message, outbox, render) {
  const entry = outbox.get(message.client_message_id);
  let element;
  if (entry) {
    outbox.delete(message.client_message_id);
    element = entry.element;
    element.dataset.state = 'sent';
  } else {
    element = render(message);
  }
  element.dataset.seq = String(message.seq);
  if (message.sent_at) element.title = new Date(message.sent_at).toLocaleString();
  return element;
}

// Stored messages sort by seq (goesBefore(other) says whether element belongs before the stored
// message other); messages still sending stay last. An element is moved only when it is out of
// place, so the live region does not announce it twice.
export function placeInOrder(log, element, goesBefore) {
  const next = [...log.children].find((other) => other !== element &&
    (other.dataset.state === 'sending' || goesBefore(other)));
  if (next) {
    if (element.nextElementSibling !== next) log.insertBefore(element, next);
  } else if (log.lastElementChild !== element) {
    log.append(element);
  }
  if (log.lastElementChild === element) log.scrollTop = log.scrollHeight;
}
