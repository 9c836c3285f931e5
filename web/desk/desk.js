// Guichet agent desk: login, status, conversation list and chat pane.
// Visitor and agent text is only ever set with textContent / Text nodes.

import {
  ApiError, MAX_LENGTH, ServerError, conversationPath, createConnection, createTenantCall, defaultWsUrl, h,
  loadHistory as loadPages, messagesPath, newId, placeInOrder, renderMessage as renderMessageElement,
  storedMessageElement, syncMissed, transmit as transmitEntry,
} from '/widget/connection.js';

const SESSION_KEY = 'guichet:desk:session';

const config = readConfig();
const $ = (id) => document.getElementById(id);
const ui = {
  loginView: $('login-view'),
  loginForm: $('login-form'),
  loginUsername: $('login-username'),
  loginPassword: $('login-password'),
  loginError: $('login-error'),
  deskView: $('desk-view'),
  agentName: $('agent-name'),
  statusSelect: $('status-select'),
  connection: $('connection'),
  logout: $('logout'),
  error: $('desk-error'),
  announcer: $('announcer'),
  conversationList: $('conversation-list'),
  noConversations: $('no-conversations'),
  placeholder: $('chat-placeholder'),
  chatPane: $('chat-pane'),
  chatTitle: $('chat-title'),
  chatPage: $('chat-page'),
  chatStatus: $('chat-status'),
  logSlot: $('chat-log-slot'),
  composer: $('composer'),
  input: $('desk-input'),
};

let desk = null; // the signed-in desk, see startDesk

// ---------------------------------------------------------------- configuration

function readConfig() {
  const script = [...document.querySelectorAll('script[src]')].find((s) => s.src === import.meta.url);
  const data = script?.dataset ?? {};
  const api = new URL(data.api || location.origin, location.href).href.replace(/\/+$/, '');
  return { api, ws: data.ws || defaultWsUrl(api) };
}

// ---------------------------------------------------------------- session

function loadSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY));
    if (!session?.id_token || (session.expires_at && session.expires_at < Date.now())) return null;
    return session;
  } catch {
    return null;
  }
}

function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

async function login(username, password) {
  hide(ui.loginError);
  try {
    const response = await fetch(`${config.api}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, body);
    const session = {
      id_token: body.id_token,
      tenant: body.tenant,
      agent: body.agent,
      expires_at: body.expires_in ? Date.now() + body.expires_in * 1000 : null,
    };
    saveSession(session);
    ui.loginPassword.value = '';
    startDesk(session);
  } catch (error) {
    const unauthorized = error instanceof ApiError && (error.status === 401 || error.status === 403);
    showText(ui.loginError, unauthorized ? 'Wrong username or password.' : `Sign-in failed: ${error.message}`);
  }
}

function showLogin(message) {
  ui.deskView.hidden = true;
  ui.loginView.hidden = false;
  if (message) showText(ui.loginError, message);
  ui.loginUsername.focus();
}

// ---------------------------------------------------------------- REST

function createApi(base, tenant, token, onUnauthorized) {
  const call = createTenantCall({ base, tenant, getToken: () => token, onUnauthorized });
  return {
    me: () => call('GET', '/me'),
    setStatus: (status) => call('PUT', '/agents/me/status', { status }),
    openConversations: () => call('GET', '/conversations'),
    conversation: (id) => call('GET', conversationPath(id)),
    messages: (id, afterSeq) => call('GET', messagesPath(id, afterSeq)),
  };
}

// ---------------------------------------------------------------- the desk

function startDesk(session) {
  desk?.stop();
  desk = createDesk(session);
  desk.start().catch((error) => {
    if (!(error instanceof ApiError && error.status === 401)) showError(`Could not load the desk: ${error.message}`);
  });
}

function createDesk(session) {
  const { tenant, id_token: token } = session;
  const api = createApi(config.api, tenant, token, () => endSession('Your session has expired. Please sign in again.'));
  const conversations = new Map(); // conversation id -> ConversationView (see addConversation)
  let me = session.agent ?? null;
  let selectedId = null;
  let connectedOnce = false;
  let stopped = false;

  const connection = createConnection({
    url: () => `${config.ws}?tenant=${encodeURIComponent(tenant)}&token=${encodeURIComponent(token)}`,
    onOpen: handleConnected,
    onFrame: handleFrame,
    onStateChange: showConnection,
    beforeRetry: () => api.me(), // answers 401 (and so signs out) when the token has expired
  });

  const listeners = [
    [ui.statusSelect, 'change', () => changeStatus(ui.statusSelect.value)],
    [ui.logout, 'click', logout],
    [ui.composer, 'submit', (event) => { event.preventDefault(); submitReply(); }],
    [ui.input, 'keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submitReply();
      }
    }],
    [window, 'online', () => connection.retryNow()],
  ];

  async function start() {
    for (const [target, type, listener] of listeners) target.addEventListener(type, listener);
    resetView();
    ui.loginView.hidden = true;
    ui.deskView.hidden = false;
    showMe(await api.me());
    await loadConversations();
    if (!stopped) connection.open();
  }

  function stop() {
    stopped = true;
    connection.close();
    for (const [target, type, listener] of listeners) target.removeEventListener(type, listener);
  }

  function endSession(message) {
    if (stopped) return;
    stop();
    clearSession();
    desk = null;
    showLogin(message);
  }

  async function logout() {
    // Best effort: an agent who signed out should not be offered new conversations.
    await api.setStatus('offline').catch(() => {});
    endSession();
  }

  function resetView() {
    ui.conversationList.replaceChildren();
    ui.logSlot.replaceChildren();
    ui.chatPane.hidden = true;
    ui.placeholder.hidden = false;
    ui.noConversations.hidden = false;
    hide(ui.error);
    showConnection(false);
  }

  // ------------------------------------------------ agent and status

  function showMe(agent) {
    me = { ...me, ...agent };
    ui.agentName.textContent = me.name ?? '';
    if (agent.status) ui.statusSelect.value = agent.status;
  }

  async function changeStatus(status) {
    const previous = me?.status;
    try {
      const agent = connection.isOpen()
        ? (await connection.request('set_status', { status })).agent
        : await api.setStatus(status);
      showMe(agent);
    } catch (error) {
      if (previous) ui.statusSelect.value = previous;
      if (!(error instanceof ServerError)) showError(`Could not change status: ${error.message}`);
    }
  }

  // ------------------------------------------------ connection

  function showConnection(connected) {
    const text = connected ? 'connected' : 'disconnected';
    ui.connection.textContent = text;
    ui.connection.dataset.state = text;
  }

  function handleConnected() {
    const reconnect = connectedOnce;
    connectedOnce = true;
    if (reconnect) {
      // Assignments and status changes pushed while we were away are lost: read them again.
      api.me().then(showMe).catch(() => {});
      loadConversations().catch(() => {});
    }
    for (const view of conversations.values()) {
      syncConversation(view);
      flushOutbox(view);
    }
  }

  function syncConversation(view) {
    syncMissed(connection, view.conversation.id, () => view.maxSeq, showMessage);
  }

  function handleFrame(frame) {
    switch (frame.type) {
      case 'message':
        receiveMessage(frame.message);
        break;
      case 'conversation.assigned':
        receiveAssignment(frame.conversation, frame.messages ?? []);
        break;
      case 'conversation.updated':
        if (conversations.has(frame.conversation.id)) updateConversation(frame.conversation);
        break;
      case 'agent.status':
        showMe(frame.agent);
        break;
      case 'error':
        showError(frame.message || frame.code || 'Something went wrong.');
        break;
      default:
        break; // ack and pong are handled by their requests
    }
  }

  // ------------------------------------------------ conversations

  async function loadConversations() {
    const { conversations: open = [] } = await api.openConversations();
    const openIds = new Set(open.map((conversation) => conversation.id));
    for (const view of conversations.values()) {
      if (!openIds.has(view.conversation.id)) updateConversation({ ...view.conversation, status: 'closed' });
    }
    await Promise.all(open.map(async (conversation) => {
      const isNew = !conversations.has(conversation.id);
      const view = upsertConversation(conversation);
      if (isNew) await loadHistory(view);
    }));
    if (selectedId === null && conversations.size > 0) select(conversations.keys().next().value);
  }

  async function loadHistory(view) {
    await loadPages(api, view.conversation.id, () => view.maxSeq, (message) => showMessage(message, { quiet: true }));
  }

  function receiveAssignment(conversation, messages) {
    upsertConversation(conversation);
    messages.forEach((message) => showMessage(message, { quiet: true }));
    select(conversation.id);
    announce(`New conversation: ${visitorLabel(conversation)}`);
  }

  async function receiveMessage(message) {
    if (!conversations.has(message.conversation_id)) {
      // A message for a conversation we have not heard of yet (e.g. the assignment frame was missed).
      try {
        const view = upsertConversation(await api.conversation(message.conversation_id));
        await loadHistory(view);
      } catch {
        return;
      }
    }
    showMessage(message);
  }

  function upsertConversation(conversation) {
    const existing = conversations.get(conversation.id);
    if (existing) {
      updateConversation(conversation);
      return existing;
    }
    const view = createConversationView(conversation);
    conversations.set(conversation.id, view);
    ui.conversationList.append(view.listItem);
    ui.noConversations.hidden = true;
    renderConversation(view);
    return view;
  }

  function updateConversation(conversation) {
    const view = conversations.get(conversation.id);
    if (!view) return;
    view.conversation = { ...view.conversation, ...conversation };
    renderConversation(view);
  }

  function createConversationView(conversation) {
    const title = h('span', { class: 'item-title' });
    const subtitle = h('span', { class: 'item-subtitle' });
    const badge = h('span', { class: 'unread', 'data-testid': 'unread-badge', hidden: '' });
    const button = h('button', {
      type: 'button',
      class: 'conversation-item',
      'data-testid': 'conversation-item',
      'data-conversation-id': conversation.id,
    }, title, subtitle, badge);
    const log = h('div', {
      class: 'messages',
      'data-testid': 'desk-messages',
      role: 'log',
      'aria-live': 'polite',
      'aria-label': 'Messages',
      tabindex: '0',
    });
    const view = {
      conversation,
      maxSeq: 0,
      unread: 0,
      shown: new Map(), // seq -> element
      outbox: new Map(), // client_message_id -> {text, element}; cleared by acks
      listItem: h('li', {}, button),
      button,
      title,
      subtitle,
      badge,
      log,
    };
    button.addEventListener('click', () => select(conversation.id));
    return view;
  }

  function renderConversation(view) {
    const { conversation } = view;
    view.title.textContent = visitorLabel(conversation);
    view.subtitle.textContent = conversation.page?.title || conversation.page?.url || '';
    view.button.dataset.status = conversation.status;
    view.badge.textContent = String(view.unread);
    view.badge.hidden = view.unread === 0;
    view.button.setAttribute('aria-label', [
      visitorLabel(conversation),
      view.subtitle.textContent,
      view.unread ? `${view.unread} unread` : '',
    ].filter(Boolean).join(', '));
    if (conversation.id === selectedId) renderChatHeader(view);
  }

  function visitorLabel(conversation) {
    return `Visitor ${String(conversation.visitor_id ?? '').slice(0, 8)}`.trim();
  }

  // ------------------------------------------------ chat pane

  function select(id) {
    const view = conversations.get(id);
    if (!view) return;
    const previous = conversations.get(selectedId);
    previous?.button.removeAttribute('aria-current');
    selectedId = id;
    view.unread = 0;
    view.button.setAttribute('aria-current', 'true');
    renderConversation(view);
    ui.placeholder.hidden = true;
    ui.chatPane.hidden = false;
    ui.logSlot.replaceChildren(view.log); // each conversation keeps its own log element
    view.log.scrollTop = view.log.scrollHeight;
  }

  function renderChatHeader(view) {
    const { conversation } = view;
    ui.chatTitle.textContent = visitorLabel(conversation);
    ui.chatPage.replaceChildren(pageLink(conversation.page));
    ui.chatStatus.textContent = `Status: ${conversation.status}`;
    const closed = conversation.status === 'closed';
    ui.input.disabled = closed;
    ui.composer.querySelector('button').disabled = closed;
  }

  // Only http(s) URLs become links: a visitor-supplied javascript: URL must stay inert text.
  function pageLink(page) {
    if (!page?.url) return document.createTextNode(page?.title || 'unknown');
    const label = page.title ? `${page.title} — ${page.url}` : page.url;
    let url;
    try { url = new URL(page.url); } catch { return document.createTextNode(label); }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return document.createTextNode(label);
    const link = h('a', { target: '_blank', rel: 'noopener noreferrer' }, label);
    link.href = url.href;
    return link;
  }

  // ------------------------------------------------ messages

  // Shows a stored message once, whether it arrives by ack, push, sync or history.
  function showMessage(message, { quiet = false } = {}) {
    const view = conversations.get(message?.conversation_id);
    if (!view || message.seq === undefined) return;
    view.maxSeq = Math.max(view.maxSeq, message.seq);
    if (view.shown.has(message.seq)) return;

    const element = storedMessageElement(message, view.outbox, ({ sender, text }) => renderMessage(sender, text, 'sent'));
    view.shown.set(message.seq, element);
    placeInOrder(view.log, element, (other) => Number(other.dataset.seq) > message.seq);

    if (!quiet && message.sender?.kind === 'visitor' && view.conversation.id !== selectedId) {
      view.unread += 1;
      renderConversation(view);
    }
  }

  function renderMessage(sender, text, state) {
    return renderMessageElement({ sender, text, state, testId: 'desk-message', label: senderLabel });
  }

  function senderLabel(sender, kind) {
    if (kind === 'visitor') return sender?.name || 'Visitor';
    if (!sender || sender.id === me?.id) return 'You';
    return sender.name || 'Agent';
  }

  function submitReply() {
    const view = conversations.get(selectedId);
    const text = ui.input.value.trim();
    if (!view || !text || view.conversation.status === 'closed') return;
    if (text.length > MAX_LENGTH) {
      showError(`Messages are limited to ${MAX_LENGTH} characters.`);
      return;
    }
    ui.input.value = '';
    hide(ui.error);
    const clientMessageId = newId();
    const element = renderMessage({ kind: 'agent', id: me?.id }, text, 'sending');
    view.log.append(element);
    view.log.scrollTop = view.log.scrollHeight;
    view.outbox.set(clientMessageId, { text, element });
    transmit(view, clientMessageId); // if offline, resent by handleConnected
  }

  function flushOutbox(view) {
    for (const clientMessageId of view.outbox.keys()) transmit(view, clientMessageId);
  }

  function transmit(view, clientMessageId) {
    transmitEntry(connection, {
      outbox: view.outbox,
      clientMessageId,
      conversationId: view.conversation.id,
      afterSeq: view.maxSeq,
      showMessage,
      onFailed: (entry) => {
        view.outbox.delete(clientMessageId);
        entry.element.dataset.state = 'failed';
      },
    });
  }

  // ------------------------------------------------ notices

  function announce(text) {
    ui.announcer.textContent = text;
  }

  return { start, stop };
}

// ---------------------------------------------------------------- notices shared by login and desk

function showText(element, text) {
  element.textContent = text;
  element.hidden = false;
}

function hide(element) {
  element.textContent = '';
  element.hidden = true;
}

function showError(text) {
  showText(ui.error, text);
}

// ---------------------------------------------------------------- bootstrap

ui.loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  login(ui.loginUsername.value.trim(), ui.loginPassword.value);
});

const saved = loadSession();
if (saved) startDesk(saved);
else showLogin();
