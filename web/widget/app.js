// Guichet chat widget, second step: the widget itself, imported by loader.js on the first click on the launcher, or
// at once when a conversation is open (see loader.js and docs/widget.md). start(w) receives the loader's shared
// object (configuration, state, launcher, availability) and adds the panel, the REST client, the WebSocket
// connection and the stages, one module each: consent.js, waiting.js, conversation.js (starting and following a
// conversation), chat.js (sending, typing), receive.js, end.js (transcript, rating; it imports nps.js, the NPS
// question, when a closed conversation asks it), dissuasion.js,
// settings.js (the email for answers and the settings: asynchronous conversations), history.js (previous
// conversations), visitor.js (session, resume, read marks), callback-entry.js ("Call me back"; it imports the
// callbox, callbox.js, on first use). Each module adds its functions to `w`; a module calls another's through `w`.
// The texts are in texts.js, the panel's elements in panel.js.
// Visitor and agent text is only ever set with textContent / Text nodes.

import {
  ApiError, ServerError, conversationPath, createConnection, createTenantCall, defaultWsUrl, h, messagesPath, MAX_LENGTH,
} from './connection.js';
import { session } from './loader.js';
import { BRAND_TEXTS, UI_TEXTS } from './texts.js';
import { buildPanel, install as installPanel } from './panel.js';
import { install as installConsent } from './consent.js';
import { install as installWaiting } from './waiting.js';
import { install as installVisitor } from './visitor.js';
import { install as installConversation } from './conversation.js';
import { install as installChat } from './chat.js';
import { install as installReceive } from './receive.js';
import { install as installSettings } from './settings.js';
import { install as installHistory } from './history.js';
import { install as installEnd } from './end.js';
import { install as installDissuasion } from './dissuasion.js';
import { install as installCallbackEntry } from './callback-entry.js';

// ---------------------------------------------------------------- REST

const callbackPath = (id) => `/callbacks/${encodeURIComponent(id)}`;

function createApi(base, tenant, getToken) {
  const call = createTenantCall({ base, tenant, getToken });
  // A public route: no token, so that a cross-origin call stays a simple request (no preflight).
  const publicCall = createTenantCall({ base, tenant, getToken: () => null });
  return {
    settings: () => call('GET', '/widget'),
    availability: (query) => publicCall('GET', `/availability?${query}`),
    createVisitor: (body) => call('POST', '/visitors', body),
    history: () => call('GET', '/visitors/me/history'),
    preferences: (body) => call('PUT', '/visitors/me/preferences', body),
    openConversations: () => call('GET', '/conversations'),
    conversation: (id) => call('GET', conversationPath(id)),
    messages: (id, afterSeq) => call('GET', messagesPath(id, afterSeq)),
    rate: (id, body) => call('POST', `${conversationPath(id)}/rating`, body),
    answerNps: (id, body) => call('POST', `${conversationPath(id)}/nps`, body),
    // Callbacks (callback-entry.js, callbox.js): what is offered now (public), then the visitor's own callback.
    callbackOffers: () => publicCall('GET', '/callbacks/slots'),
    requestCallback: (body) => call('POST', '/callbacks', body),
    callback: (id) => call('GET', callbackPath(id)),
    cancelCallback: (id) => call('DELETE', callbackPath(id)),
    moveCallback: (id, when) => call('PATCH', callbackPath(id), { when }),
    // The transcript is a file, not JSON: fetched with the visitor's token, handed back as a Blob.
    async transcript(id, format) {
      const url = `${base}/tenants/${encodeURIComponent(tenant)}${conversationPath(id)}/transcript?format=${format}`;
      const response = await fetch(url, { headers: { Authorization: `Bearer ${getToken()}` } });
      if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
      return response.blob();
    },
  };
}

// ---------------------------------------------------------------- the widget

export function start(w) {
  const { config, state, keys } = w;
  Object.assign(keys, {
    panelKey: `guichet:${config.tenant}:panel`, // per tab: was the panel open
    readKey: `guichet:${config.tenant}:read`, // {conversation_id, seq}: the messages the visitor has seen (badge)
    inviteKey: `guichet:${config.tenant}:invite`, // the conversation whose email invitation was answered or skipped
  });
  const { panelKey } = keys;
  Object.assign(state, {
    maxSeq: 0, // highest seq seen in the current conversation
    shown: new Map(), // `${conversation_id}:${seq}` -> element
    refused: new Map(), // client_message_id -> the same, for messages the server refused (sent again by Retry)
    queue: null, // {conversationId, position, estimate}: the waiting screen
    dissuasionTexts: null, // {en, fr} from conversation.dissuaded
    rating: 0, // the visitor's choice on the end screen
    rated: false,
    npsAnswered: false, // the visitor answered the NPS question of the conversation on screen (nps.js)
    typingSent: false, // the visitor's own indicator, as last sent
    typingSentAt: 0,
    typingTimer: null,
    peerTyping: null, // the typing agent's name, or null
    peerTypingTimer: null,
    renderedStage: null,
    connected: true,
    initialized: null,
    connectedOnce: false,
    adopting: null,
    identityWarned: false,
    readTimer: null,
    consentRequired: false, // the server asked for consent though the settings were not loaded yet
    consented: false, // the visitor agreed to the tenant's consent text for the conversation to come (ASYNC-6)
    linkConversationId: null, // the conversation a notification email's link names
    view: 'chat', // or 'settings'
    history: null, // GET /visitors/me/history: {hidden, conversations}
    historyLoading: null,
    historyAgain: false,
    readSeq: 0, // the highest seq shown to the visitor with the panel open, in the current conversation
    readAcked: 0, // the read mark the server acknowledged, in the current conversation
    lastAgentSeq: 0, // the highest seq of an agent message shown, in the current conversation
    pageReported: false, // the `page` action was sent for this page load
    inviteDoneFor: null, // the conversation whose email the visitor just left (the confirmation shows)
  });
  const ui = buildPanel(w);
  const api = createApi(config.api, config.tenant, () => state.token);
  const connection = createConnection({
    url: () => `${config.ws || defaultWsUrl(config.api)}?tenant=${encodeURIComponent(config.tenant)}`
      + `&token=${encodeURIComponent(state.token)}`,
    onOpen: () => w.handleReconnected(),
    onFrame: (frame) => w.handleFrame(frame),
    onStateChange: (connected) => showConnection(connected),
    beforeRetry: () => w.obtainToken(),
  });
  Object.assign(w, {
    api, connection, defaults: BRAND_TEXTS, t, maxChars, stage, render, renderAvailability, announce, openPanel,
    closePanel, isAsynchronous, ensureInitialized, setUnread, showConnection, showError, hideError, resumeConversation,
  });
  [installPanel, installCallbackEntry, installConsent, installWaiting, installVisitor, installConversation, installChat,
    installReceive, installSettings, installHistory, installEnd, installDissuasion].forEach((install) => install(w));

  ui.close.addEventListener('click', closePanel);
  ui.minimise.addEventListener('click', closePanel);
  // Escape leaves the settings, else closes (minimises) the panel from anywhere in the widget (the launcher
  // included); focus goes back to the launcher.
  ui.root.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || ui.panel.hidden) return;
    if (state.view === 'settings' && ui.settings.contains(ui.root.activeElement)) w.showChat();
    else if (state.view === 'callback' && ui.callbox?.contains(ui.root.activeElement)) w.hideCallbox();
    else closePanel();
  });
  window.addEventListener('online', () => connection.retryNow());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') w.noteSeen(); // what the open panel shows is seen now
  });
  window.addEventListener('offline', () => connection.drop());
  w.applyTexts();

  // The loader found a conversation to resume (a reload, another tab, a notification email's link): it is
  // reconnected at once, with the panel open if it was.
  function resumeConversation() {
    if (state.resumeLink || session.get(panelKey) === 'open') openPanel();
    else ensureInitialized();
    state.initialized.finally(() => {
      state.resuming = false;
      render();
      w.checkAvailability(); // unless the conversation is still open
    });
  }

  // ------------------------------------------------ texts

  function t(key, ...args) {
    const text = UI_TEXTS[state.lang][key];
    return typeof text === 'function' ? text(...args) : text;
  }

  function maxChars() {
    const limit = state.settings?.max_message_chars;
    return Number.isInteger(limit) && limit > 0 && limit <= MAX_LENGTH ? limit : MAX_LENGTH;
  }

  function stage() {
    const conversation = state.conversation;
    if (!conversation) return state.starting || state.outbox.size > 0 ? 'waiting' : 'welcome';
    switch (conversation.status) {
      case 'waiting':
      case 'offered': // still waiting, as far as the visitor can tell
        return 'waiting';
      case 'closed':
        return 'end';
      case 'dissuaded':
        return 'dissuaded';
      default:
        return 'chat';
    }
  }

  function render() {
    const current = stage();
    const conversation = state.conversation;
    const waits = isAsynchronous();
    ui.panel.dataset.stage = current;
    ui.panel.dataset.mode = waits ? 'asynchronous' : 'live';
    renderAvailability();
    // ASYNC-1: answers may not be immediate. The asynchronous welcome stays at the top of an open asynchronous
    // conversation, as the conversation's first words.
    ui.intro.textContent = w.brand(waits ? 'welcome_async' : 'welcome');
    ui.intro.hidden = !((current === 'welcome' && w.canWrite()) || (waits && w.hasOpenConversation()));
    // ASYNC-7: an asynchronous conversation is only minimised, never closed by the visitor.
    ui.close.hidden = waits;
    ui.minimise.hidden = !waits;
    const asking = w.consentPending();
    ui.consent.hidden = !asking || state.view !== 'chat';
    ui.consentText.textContent = w.brand('consent');
    ui.input.disabled = asking;
    ui.send.disabled = asking;
    ui.invite.hidden = !w.invitePending();
    const email = conversation?.notification?.email;
    const confirmed = Boolean(email) && state.inviteDoneFor === conversation.id && w.hasOpenConversation();
    ui.inviteDone.textContent = confirmed ? t('inviteDone', email) : '';
    ui.inviteDone.hidden = !confirmed;
    const inSettings = state.view === 'settings';
    ui.settings.hidden = !inSettings;
    ui.body.hidden = state.view !== 'chat';
    w.renderCallbox();
    ui.settingsButton.setAttribute('aria-expanded', String(inSettings));
    if (inSettings) w.renderSettings();
    ui.waiting.hidden = current !== 'waiting';
    ui.end.hidden = current !== 'end';
    ui.dissuasion.hidden = current !== 'dissuaded';

    const queue = state.queue && (!conversation || state.queue.conversationId === conversation.id) ? state.queue : null;
    ui.position.textContent = queue?.position ? String(queue.position) : '…';
    ui.estimate.textContent = w.formatWait(queue?.estimate);

    const agentName = conversation?.agent?.name;
    ui.status.textContent = current === 'chat' ? (agentName ? t('joined', agentName) : t('someoneJoined')) : '';
    ui.status.hidden = !ui.status.textContent;

    const typing = current === 'chat' && state.peerTyping !== null;
    ui.typing.textContent = typing ? (state.peerTyping ? t('typing', state.peerTyping) : t('agentTyping')) : '';
    ui.typing.hidden = !typing;

    w.renderEnd();

    ui.dissuasionText.textContent = state.dissuasionTexts?.[state.lang] || w.brand('dissuasion');

    if (current !== state.renderedStage) {
      const previous = state.renderedStage;
      state.renderedStage = current;
      if (previous !== null) announceStage(current);
      if (current === 'end' || current === 'dissuaded') w.scrollToEnd();
    }
  }

  // The composer, or the tenant's "unavailable" text when no chat can be started; the launcher, or none. Outside
  // opening hours, the closed text and the next opening instead (above the composer when a message may be left).
  function renderAvailability() {
    const writable = w.canWrite();
    const focusInForm = !ui.panel.hidden && ui.form.contains(ui.root.activeElement);
    const notice = w.closedNow() ? closedText() : (writable ? '' : w.brand('unavailable'));
    if (ui.notice.textContent !== notice) ui.notice.textContent = notice;
    ui.form.hidden = !writable || state.view !== 'chat';
    ui.notice.hidden = state.view === 'callback'; // the callbox is what the visitor can do now
    if (focusInForm && !writable) ui.notice.focus(); // the message box is gone: focus goes to the reason why
    else if (writable && !ui.panel.hidden && ui.root.activeElement === ui.notice) ui.input.focus();
    ui.launcher.hidden = !w.launcherShown();
    w.followEngagement();
  }

  function announceStage(current) {
    if (current === 'waiting') announce(w.brand('waiting'));
    else if (current === 'chat') announce(ui.status.textContent);
    else if (current === 'end') announce(w.brand('ended'));
    else if (current === 'dissuaded') announce(ui.dissuasionText.textContent);
  }

  // "We are closed right now. We open again Monday, December 14 at 09:00 AM." in the visitor's language and time zone.
  function closedText() {
    const next = state.closed?.nextOpening ? new Date(state.closed.nextOpening) : null;
    if (!next || Number.isNaN(next.getTime())) return w.brand('closed');
    const when = new Intl.DateTimeFormat(state.lang, {
      weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit',
    }).format(next);
    return `${w.brand('closed')} ${t('opensAgain', when)}`;
  }

  function announce(text) {
    if (!text) return;
    ui.announcer.append(h('p', {}, text));
    while (ui.announcer.childElementCount > 5) ui.announcer.firstElementChild.remove();
  }

  function openPanel() {
    ui.panel.hidden = false;
    ui.launcher.setAttribute('aria-expanded', 'true');
    session.set(panelKey, 'open');
    setUnread(0);
    render();
    if (w.canWrite()) {
      (w.consentPending() ? ui.consentAgree : ui.input).focus();
      ensureInitialized();
    } else {
      ui.notice.focus(); // read out at once: no chat can be started now
    }
    w.noteSeen();
    w.refreshCallbackOffers();
  }

  // Hides the panel (minimises it): nothing ends, and the badge counts the agent's messages meanwhile.
  function closePanel() {
    ui.panel.hidden = true;
    ui.launcher.setAttribute('aria-expanded', 'false');
    session.set(panelKey, 'closed');
    w.stopTyping();
    ui.launcher.focus();
    render(); // with no agent to answer, the launcher may go now
  }

  // Whether answers may wait (ASYNC-1, ASYNC-7): the conversation says so once there is one, else the availability
  // check (the rule of this page lets conversations wait in a group).
  function isAsynchronous() {
    return state.conversation ? state.conversation.asynchronous === true : state.availabilityAsync;
  }

  function ensureInitialized() {
    state.initialized ??= initialize().catch((error) => {
      state.initialized = null; // let the next open try again
      console.warn('Guichet widget:', error);
      showError(w.brand('unavailable'));
    });
  }

  function setUnread(count) {
    state.unread = count;
    ui.badge.textContent = String(count);
    ui.badge.hidden = count === 0;
    ui.unreadLabel.textContent = count === 0 ? '' : ` (${t('unread', count)})`;
  }

  async function initialize() {
    await w.obtainToken();
    const previous = w.refreshHistory();
    await w.resume();
    await w.resumeCallback();
    hideError(w.brand('unavailable')); // only a failed start's error: not one the visitor got meanwhile
    connection.open();
    await previous;
  }

  function showConnection(connected) {
    state.connected = connected;
    ui.connection.hidden = connected;
    ui.connection.textContent = connected ? '' : t('reconnecting');
  }

  function showError(text) {
    ui.error.textContent = text;
    ui.error.hidden = false;
  }

  // Hides the error shown; with `only`, only if it is that text.
  function hideError(only) {
    if (only !== undefined && ui.error.textContent !== only) return;
    ui.error.textContent = '';
    ui.error.hidden = true;
  }
}
