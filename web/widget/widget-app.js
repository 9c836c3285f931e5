// Guichet chat widget: the widget itself, an ES module imported by the loader widget.js (which a brand embeds with
// one tag: see widget.js and docs/widget.md). mount(options) receives the tag's data-* attributes.
// The page may set, before the visitor's first message:
//   window.guichetContext = { custom: {...}, name: "Zoé Martin", email: "zoe@example.com", identity: {...} }
// (its custom fields win over data-custom's, its identity over data-identity's). The look (accent colour, logo) and
// the texts come from the tenant's settings (GET /tenants/{tenant}/widget); the language, French or English, from
// <html lang>, else the browser's.
// Availability: before offering chat, and every 30 s while no conversation is open, the widget asks
// GET /tenants/{tenant}/availability with the page's URL and custom data; when no agent group can take the visitor
// it shows no launcher (or, with data-unavailable="message", the tenant's "unavailable" text instead of the
// composer). The state is on the host element (data-availability) and in a `guichet:availability` event on window.
// Visitor and agent text is only ever set with textContent / Text nodes.

import {
  ApiError, MAX_LENGTH, ServerError, conversationPath, createConnection, createTenantCall, defaultWsUrl, h,
  loadHistory as loadPages, messagesPath, newId, placeInOrder, renderMessage as renderMessageElement,
  storedMessageElement, syncMissed as syncPages, transmit as transmitEntry,
} from './connection.js';

const TYPING_IDLE_MS = 3000; // the visitor's "typing" ends after this long without a key
const PEER_TYPING_MS = 10000; // an agent's indicator goes away if their "stopped typing" never comes
const TYPING_REFRESH_MS = 4000; // "still typing" is resent this often during a long message
const SEND_TIMEOUT_MS = 5000; // a message not acknowledged by then shows "Not sent" (and is still sent once back online)
const OPTIONAL_REQUEST_FIELDS = ['custom', 'visitor_name', 'visitor_email', 'identity', 'queue', 'skill'];
const AVAILABILITY_SECONDS = 30; // re-check interval while no conversation is open (data-availability-interval)
const AVAILABILITY_RETRY_MS = 2000; // first retry after a failed check; doubles up to the interval
const AVAILABILITY_EVENT = 'guichet:availability';
const RANK = { waiting: 0, offered: 0, assigned: 1, closed: 2, dissuaded: 2 };

// The tenant's texts, as the server's defaults; GET /widget answers the tenant's own.
const BRAND_TEXTS = {
  en: {
    title: 'Chat with us',
    welcome: 'Hello! Ask us anything, an agent will answer.',
    waiting: 'Waiting for an agent…',
    unavailable: 'Our agents are not available right now.',
    dissuasion: 'All our agents are busy. Please come back a little later.',
    ended: 'This conversation has ended. Thank you!',
  },
  fr: {
    title: 'Discutez avec nous',
    welcome: 'Bonjour ! Posez-nous votre question, un conseiller vous répond.',
    waiting: "En attente d'un conseiller…",
    unavailable: 'Nos conseillers ne sont pas disponibles pour le moment.',
    dissuasion: 'Tous nos conseillers sont occupés. Merci de revenir un peu plus tard.',
    ended: 'Cette conversation est terminée. Merci !',
  },
};

// The widget's own words.
const UI_TEXTS = {
  en: {
    close: 'Close chat',
    messages: 'Messages',
    yourMessage: 'Your message',
    placeholder: 'Type your message…',
    send: 'Send',
    counter: (count, max) => `${count} / ${max}`,
    reconnecting: 'Reconnecting…',
    position: 'Your place in the queue:',
    estimate: 'Estimated wait:',
    lessThanMinute: 'less than a minute',
    aboutMinutes: (minutes) => `about ${minutes} min`,
    joined: (name) => `${name} joined the conversation`,
    someoneJoined: 'An agent joined the conversation',
    typing: (name) => `${name} is typing…`,
    agentTyping: 'The agent is typing…',
    agent: 'Agent',
    agentSays: (name, text) => `${name}: ${text}`,
    sending: 'Sending…',
    sent: 'Sent',
    notSent: 'Not sent',
    retry: 'Retry',
    retryLabel: (text) => `Send again: ${text}`, // text: the message's start
    notSentError: 'Your message could not be sent.',
    tooLong: (max) => `Messages are limited to ${max} characters.`,
    transcript: 'Keep a copy of the conversation:',
    transcriptText: 'Download as text',
    transcriptHtml: 'Download as a web page',
    downloadFailed: 'The download failed. Please try again.',
    rateLegend: 'How would you rate this conversation?',
    rateValue: (n) => `${n} out of 5`,
    comment: 'Comment (optional)',
    rateSubmit: 'Send my rating',
    rateChoose: 'Please choose a rating from 1 to 5 first.',
    rateDone: 'Thank you for your feedback!',
    rateFailed: 'Your rating could not be sent. Please try again.',
    newChatHint: 'Write a new message below to start another conversation.',
    restart: 'Start a new conversation',
  },
  fr: {
    close: 'Fermer la discussion',
    messages: 'Messages',
    yourMessage: 'Votre message',
    placeholder: 'Écrivez votre message…',
    send: 'Envoyer',
    counter: (count, max) => `${count} / ${max}`,
    reconnecting: 'Reconnexion…',
    position: "Votre place dans la file d'attente :",
    estimate: 'Attente estimée :',
    lessThanMinute: "moins d'une minute",
    aboutMinutes: (minutes) => `environ ${minutes} min`,
    joined: (name) => `${name} a rejoint la conversation`,
    someoneJoined: 'Un conseiller a rejoint la conversation',
    typing: (name) => `${name} est en train d'écrire…`,
    agentTyping: "Le conseiller est en train d'écrire…",
    agent: 'Conseiller',
    agentSays: (name, text) => `${name} : ${text}`,
    sending: 'Envoi…',
    sent: 'Envoyé',
    notSent: 'Non envoyé',
    retry: 'Réessayer',
    retryLabel: (text) => `Renvoyer : ${text}`,
    notSentError: "Votre message n'a pas pu être envoyé.",
    tooLong: (max) => `Un message compte au plus ${max} caractères.`,
    transcript: 'Gardez une copie de la conversation :',
    transcriptText: 'Télécharger en texte',
    transcriptHtml: 'Télécharger en page web',
    downloadFailed: 'Le téléchargement a échoué. Merci de réessayer.',
    rateLegend: 'Comment évaluez-vous cette conversation ?',
    rateValue: (n) => `${n} sur 5`,
    comment: 'Commentaire (facultatif)',
    rateSubmit: 'Envoyer ma note',
    rateChoose: "Choisissez d'abord une note de 1 à 5.",
    rateDone: 'Merci pour votre avis !',
    rateFailed: "Votre note n'a pas pu être envoyée. Merci de réessayer.",
    newChatHint: 'Écrivez un nouveau message ci-dessous pour démarrer une autre conversation.',
    restart: 'Démarrer une nouvelle conversation',
  },
};

// ---------------------------------------------------------------- configuration

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// A data-* attribute holding a JSON object (data-custom, data-identity); anything else is ignored.
function parseObject(raw, attribute) {
  if (!raw) return {};
  try {
    const value = JSON.parse(raw);
    if (isPlainObject(value)) return value;
  } catch { /* reported below */ }
  console.warn(`Guichet widget: ${attribute} must hold a JSON object; it is ignored.`);
  return {};
}

// data-unavailable: "hide" (the default: no launcher while no agent can take the visitor) or "message".
function parseUnavailableMode(raw) {
  if (raw === undefined || raw === '' || raw === 'hide') return 'hide';
  if (raw === 'message') return 'message';
  console.warn('Guichet widget: data-unavailable must be "hide" or "message"; "hide" is used.');
  return 'hide';
}

// data-availability-interval: seconds between availability checks, 1 to 3600.
function parseInterval(raw) {
  if (raw === undefined || raw === '') return AVAILABILITY_SECONDS * 1000;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 1 && seconds <= 3600) return seconds * 1000;
  console.warn(`Guichet widget: data-availability-interval must be 1 to 3600 seconds; ${AVAILABILITY_SECONDS} is used.`);
  return AVAILABILITY_SECONDS * 1000;
}

function readConfig(data) {
  const api = new URL(data.api || new URL(import.meta.url).origin, location.href).href.replace(/\/+$/, '');
  const identity = parseObject(data.identity, 'data-identity');
  return {
    tenant: data.tenant,
    api,
    ws: data.ws || defaultWsUrl(api),
    overrides: { title: data.title, welcome: data.greeting },
    custom: parseObject(data.custom, 'data-custom'),
    identity: Object.keys(identity).length > 0 ? identity : null,
    // What the page asks of the agents, for routing: the availability check and the chat request.
    routing: { queue: data.queue, skill: data.skill, level: data.level },
    unavailable: parseUnavailableMode(data.unavailable),
    availabilityMs: parseInterval(data.availabilityInterval),
  };
}

// fr, fr-FR, fr-CA... -> fr; anything else -> en.
function pageLanguage() {
  const tag = document.documentElement.getAttribute('lang') || navigator.language || 'en';
  return tag.trim().toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

// ---------------------------------------------------------------- small helpers

function storageIn(area) {
  return {
    get(key) {
      try { return window[area].getItem(key); } catch { return null; }
    },
    set(key, value) {
      try { window[area].setItem(key, value); } catch { /* storage blocked: nothing is remembered */ }
    },
    remove(key) {
      try { window[area].removeItem(key); } catch { /* storage blocked */ }
    },
  };
}

const storage = storageIn('localStorage');
const session = storageIn('sessionStorage');

// A CSS string for a custom property read by `content:` (our own texts only).
function cssString(text) {
  return `"${text.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\a ')}"`;
}

function isOpenStatus(status) {
  return status === 'waiting' || status === 'offered' || status === 'assigned';
}

const delay = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// ---------------------------------------------------------------- REST

function createApi(base, tenant, getToken) {
  const call = createTenantCall({ base, tenant, getToken });
  // A public route: no token, so that a cross-origin call stays a simple request (no preflight).
  const publicCall = createTenantCall({ base, tenant, getToken: () => null });
  return {
    settings: () => call('GET', '/widget'),
    availability: (query) => publicCall('GET', `/availability?${query}`),
    createVisitor: (body) => call('POST', '/visitors', body),
    openConversations: () => call('GET', '/conversations'),
    conversation: (id) => call('GET', conversationPath(id)),
    messages: (id, afterSeq) => call('GET', messagesPath(id, afterSeq)),
    rate: (id, body) => call('POST', `${conversationPath(id)}/rating`, body),
    // The transcript is a file, not JSON: fetched with the visitor's token, handed back as a Blob.
    async transcript(id, format) {
      const url = `${base}/tenants/${encodeURIComponent(tenant)}${conversationPath(id)}/transcript?format=${format}`;
      const response = await fetch(url, { headers: { Authorization: `Bearer ${getToken()}` } });
      if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
      return response.blob();
    },
  };
}

// ---------------------------------------------------------------- user interface

// The elements only; every text is set by applyTexts() in the page's language.
function buildUi() {
  const host = h('div', { class: 'guichet-widget-host' });
  const root = host.attachShadow({ mode: 'open' });
  const stylesheet = h('link', { rel: 'stylesheet', href: new URL('widget.css', import.meta.url).href });

  const launcherLabel = h('span', { class: 'launcher-label' });
  const badge = h('span', { class: 'badge', 'aria-hidden': 'true', hidden: '' });
  const launcher = h('button', {
    type: 'button',
    class: 'launcher',
    'data-testid': 'guichet-launcher',
    'aria-expanded': 'false',
    'aria-controls': 'panel',
  }, launcherLabel, badge);

  const logo = h('img', { class: 'logo', 'data-testid': 'guichet-logo', alt: '', hidden: '' });
  const title = h('h2', { id: 'title', class: 'title', 'data-testid': 'guichet-title' });
  const close = h('button', { type: 'button', class: 'close', 'data-testid': 'guichet-close' }, '×');
  const connection = h('p', { class: 'connection', 'data-testid': 'guichet-connection', hidden: '' });
  // Announces stage changes and new agent messages to screen readers (the log itself stays quiet).
  const announcer = h('div', {
    class: 'visually-hidden', role: 'status', 'aria-live': 'polite', 'data-testid': 'guichet-announcer',
  });

  const intro = h('p', { class: 'intro', 'data-testid': 'guichet-welcome' });

  const waitingText = h('p', { class: 'waiting-text' });
  const positionLabel = h('span');
  const position = h('strong', { 'data-testid': 'guichet-position' }, '…');
  const estimateLabel = h('span');
  const estimate = h('strong', { 'data-testid': 'guichet-estimate' }, '…');
  const waiting = h('div', { class: 'stage waiting', 'data-testid': 'guichet-waiting', hidden: '' },
    waitingText,
    h('p', { class: 'queue-line' }, positionLabel, ' ', position),
    h('p', { class: 'queue-line' }, estimateLabel, ' ', estimate));

  const status = h('p', { class: 'status', 'data-testid': 'guichet-status', hidden: '' });
  const messages = h('div', {
    class: 'messages',
    'data-testid': 'guichet-messages',
    role: 'log',
    'aria-live': 'off',
    tabindex: '0',
  });
  const typing = h('p', { class: 'typing', 'data-testid': 'guichet-typing', hidden: '' });

  const endText = h('p', { id: 'end-text', class: 'stage-text' });
  const transcriptLabel = h('p', { class: 'end-label' });
  const transcriptText = h('button', { type: 'button', class: 'secondary', 'data-testid': 'guichet-transcript-text' });
  const transcriptHtml = h('button', { type: 'button', class: 'secondary', 'data-testid': 'guichet-transcript-html' });
  const rateButtons = [1, 2, 3, 4, 5].map((n) => h('button', {
    type: 'button',
    class: 'rate',
    'data-testid': `guichet-rate-${n}`,
    'data-rating': String(n),
    'aria-pressed': 'false',
  }, String(n)));
  const rateLegend = h('legend');
  const commentLabel = h('label', { for: 'comment' });
  const comment = h('textarea', {
    id: 'comment', class: 'comment', 'data-testid': 'guichet-rating-comment', maxlength: '1000', rows: '2',
  });
  const rateSubmit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'guichet-rating-submit' });
  const ratingForm = h('form', { class: 'rating', 'data-testid': 'guichet-rating' },
    h('fieldset', {}, rateLegend, h('div', { class: 'stars' }, ...rateButtons)),
    commentLabel, comment, rateSubmit);
  const ratingDone = h('p', { class: 'done', 'data-testid': 'guichet-rating-done', tabindex: '-1', hidden: '' });
  const endHint = h('p', { class: 'hint' });
  const end = h('section', { class: 'stage end', 'data-testid': 'guichet-end', 'aria-labelledby': 'end-text', hidden: '' },
    endText, transcriptLabel, h('div', { class: 'actions' }, transcriptText, transcriptHtml),
    ratingForm, ratingDone, endHint);

  const dissuasionText = h('p', { id: 'dissuasion-text', class: 'stage-text', 'data-testid': 'guichet-dissuasion-text' });
  const dissuasionHint = h('p', { class: 'hint' });
  const restart = h('button', { type: 'button', class: 'primary', 'data-testid': 'guichet-restart' });
  const dissuasion = h('section', {
    class: 'stage dissuasion', 'data-testid': 'guichet-dissuasion', 'aria-labelledby': 'dissuasion-text', hidden: '',
  }, dissuasionText, dissuasionHint, restart);

  const body = h('div', { class: 'body' }, intro, waiting, status, messages, typing, end, dissuasion);
  // The tenant's "unavailable" text, in place of the composer while no chat can be started. A status region that
  // stays in the page (empty when not needed), so that screen readers announce the text when it appears; focused
  // when the panel opens on it.
  const notice = h('p', {
    class: 'notice', role: 'status', 'aria-live': 'polite', 'data-testid': 'guichet-unavailable', tabindex: '-1',
  });
  const error = h('p', { class: 'error', 'data-testid': 'guichet-error', 'aria-live': 'polite', hidden: '' });

  const inputLabel = h('label', { class: 'visually-hidden', for: 'input' });
  const input = h('textarea', {
    id: 'input',
    class: 'input',
    'data-testid': 'guichet-input',
    maxlength: String(MAX_LENGTH),
    rows: '2',
    'aria-describedby': 'counter',
  });
  const counter = h('span', { id: 'counter', class: 'counter', 'data-testid': 'guichet-counter' });
  const send = h('button', { type: 'submit', class: 'send', 'data-testid': 'guichet-send' });
  const form = h('form', { class: 'composer' }, inputLabel, input, h('div', { class: 'composer-side' }, send, counter));

  const panel = h('section', { id: 'panel', class: 'panel', role: 'dialog', 'aria-labelledby': 'title', hidden: '' },
    h('header', { class: 'header' }, logo, title, close),
    connection, announcer, body, notice, error, form);

  root.append(stylesheet, panel, launcher);
  document.body.append(host);
  return {
    host, root, launcher, launcherLabel, badge, panel, logo, title, close, connection, announcer, body, intro,
    waiting, waitingText, positionLabel, position, estimateLabel, estimate, status, messages, typing,
    end, endText, transcriptLabel, transcriptText, transcriptHtml, rateButtons, rateLegend, commentLabel, comment,
    rateSubmit, ratingForm, ratingDone, endHint, dissuasion, dissuasionText, dissuasionHint, restart, notice, error,
    inputLabel, input, counter, send, form,
  };
}

// ---------------------------------------------------------------- the widget

function start(config) {
  const { tenant, api: apiBase, ws: wsBase } = config;
  const tokenKey = `guichet:${tenant}:visitor`;
  const conversationKey = `guichet:${tenant}:conversation`; // the conversation to resume after a reload
  const panelKey = `guichet:${tenant}:panel`; // per tab: was the panel open
  const ui = buildUi();
  const state = {
    token: storage.get(tokenKey),
    lang: pageLanguage(),
    settings: null, // GET /widget, once loaded
    conversation: null, // the current conversation; null until the visitor's first message
    maxSeq: 0, // highest seq seen in the current conversation
    shown: new Map(), // `${conversation_id}:${seq}` -> element
    outbox: new Map(), // client_message_id -> {text, element, timer, retry}; cleared by acks
    refused: new Map(), // client_message_id -> the same, for messages the server refused (sent again by Retry)
    starting: null, // in-flight start_conversation
    queue: null, // {conversationId, position, estimate}: the waiting screen
    dissuasionTexts: null, // {en, fr} from conversation.dissuaded
    rating: 0, // the visitor's choice on the end screen
    rated: false,
    typingSent: false, // the visitor's own indicator, as last sent
    typingSentAt: 0,
    typingTimer: null,
    peerTyping: null, // the typing agent's name, or null
    peerTypingTimer: null,
    renderedStage: null,
    connected: true,
    unread: 0,
    initialized: null,
    connectedOnce: false,
    adopting: null,
    resuming: false, // a stored conversation is being looked up after a reload: no availability check meanwhile
    availability: null, // 'available' | 'unavailable'; null until the first check's answer (or failure)
    availabilityReason: null, // the server's reason ('full', 'no_rule'), or 'unreachable' when the check failed
    availabilityTimer: null,
    checking: false, // an availability check in flight
    checkFailures: 0, // failed checks in a row (network, server error)
    refusedContext: new Set(), // 'name=value' of check parameters the server refused: left out afterwards
    wasEngaged: false,
    missingEndpointWarned: false,
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
  // Escape closes the panel from anywhere in the widget (the launcher included); focus goes back to the launcher.
  ui.root.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !ui.panel.hidden) closePanel();
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
  ui.transcriptText.addEventListener('click', () => downloadTranscript('text'));
  ui.transcriptHtml.addEventListener('click', () => downloadTranscript('html'));
  ui.rateButtons.forEach((button) => button.addEventListener('click', () => chooseRating(Number(button.dataset.rating))));
  ui.ratingForm.addEventListener('submit', submitRating);
  ui.restart.addEventListener('click', async () => {
    beginNewConversation();
    await checkAvailability(); // a while has passed: whether an agent can answer now decides what the visitor sees
    (canWrite() ? ui.input : ui.notice).focus();
  });
  ui.logo.addEventListener('error', () => { ui.logo.hidden = true; });
  window.addEventListener('online', () => {
    connection.retryNow();
    if (state.checkFailures > 0) checkAvailability();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') checkAvailability();
  });
  window.addEventListener('offline', () => connection.drop());
  new MutationObserver(() => {
    const lang = pageLanguage();
    if (lang !== state.lang) {
      state.lang = lang;
      applyTexts();
    }
  }).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });

  applyTexts();
  loadSettings();
  // A visitor who was chatting before a reload is reconnected at once (the badge counts what arrives), with the
  // launcher shown as before; the others are offered chat only if an agent group can take them.
  if (state.token && storage.get(conversationKey)) {
    state.resuming = true;
    render();
    if (session.get(panelKey) === 'open') openPanel();
    else ensureInitialized();
    state.initialized.finally(() => {
      state.resuming = false;
      render();
      checkAvailability(); // unless the conversation is still open
    });
  } else {
    checkAvailability();
  }

  // ------------------------------------------------ texts and look

  function brand(key) {
    const override = config.overrides[key];
    if (override) return override;
    return state.settings?.texts?.[state.lang]?.[key] || BRAND_TEXTS[state.lang][key];
  }

  function t(key, ...args) {
    const text = UI_TEXTS[state.lang][key];
    return typeof text === 'function' ? text(...args) : text;
  }

  function maxChars() {
    const limit = state.settings?.max_message_chars;
    return Number.isInteger(limit) && limit > 0 && limit <= MAX_LENGTH ? limit : MAX_LENGTH;
  }

  async function loadSettings() {
    try {
      state.settings = await api.settings();
    } catch {
      return; // the defaults stay
    }
    const colour = state.settings?.accent_colour;
    if (typeof colour === 'string' && /^#[0-9a-fA-F]{6}$/.test(colour)) {
      ui.host.style.setProperty('--guichet-tenant-accent', colour); // the page's --guichet-accent wins
    }
    const logo = state.settings?.logo_url;
    if (typeof logo === 'string' && logo.startsWith('https://')) {
      ui.logo.src = logo;
      ui.logo.hidden = false;
    }
    applyTexts();
  }

  function applyTexts() {
    ui.panel.lang = state.lang;
    ui.launcher.lang = state.lang;
    ui.launcherLabel.textContent = brand('title');
    ui.title.textContent = brand('title');
    ui.close.setAttribute('aria-label', t('close'));
    ui.messages.setAttribute('aria-label', t('messages'));
    ui.intro.textContent = brand('welcome');
    ui.waitingText.textContent = brand('waiting');
    ui.positionLabel.textContent = t('position');
    ui.estimateLabel.textContent = t('estimate');
    ui.endText.textContent = brand('ended');
    ui.transcriptLabel.textContent = t('transcript');
    ui.transcriptText.textContent = t('transcriptText');
    ui.transcriptHtml.textContent = t('transcriptHtml');
    ui.rateLegend.textContent = t('rateLegend');
    ui.rateButtons.forEach((button) => button.setAttribute('aria-label', t('rateValue', button.dataset.rating)));
    ui.commentLabel.textContent = t('comment');
    ui.rateSubmit.textContent = t('rateSubmit');
    ui.ratingDone.textContent = t('rateDone');
    ui.endHint.textContent = t('newChatHint');
    ui.dissuasionHint.textContent = t('newChatHint');
    ui.restart.textContent = t('restart');
    ui.inputLabel.textContent = t('yourMessage');
    ui.input.placeholder = t('placeholder');
    ui.input.maxLength = maxChars();
    ui.send.textContent = t('send');
    ui.panel.style.setProperty('--guichet-sending-label', cssString(t('sending')));
    ui.panel.style.setProperty('--guichet-sent-label', cssString(t('sent')));
    ui.panel.style.setProperty('--guichet-failed-label', cssString(t('notSent')));
    showConnection(state.connected);
    updateCounter();
    render();
  }

  // ------------------------------------------------ stages

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
    ui.panel.dataset.stage = current;
    renderAvailability();
    ui.intro.hidden = current !== 'welcome' || !canWrite();
    ui.waiting.hidden = current !== 'waiting';
    ui.end.hidden = current !== 'end';
    ui.dissuasion.hidden = current !== 'dissuaded';

    const queue = state.queue && (!conversation || state.queue.conversationId === conversation.id) ? state.queue : null;
    ui.position.textContent = queue?.position ? String(queue.position) : '…';
    ui.estimate.textContent = formatWait(queue?.estimate);

    const agentName = conversation?.agent?.name;
    ui.status.textContent = current === 'chat' ? (agentName ? t('joined', agentName) : t('someoneJoined')) : '';
    ui.status.hidden = !ui.status.textContent;

    const typing = current === 'chat' && state.peerTyping !== null;
    ui.typing.textContent = typing ? (state.peerTyping ? t('typing', state.peerTyping) : t('agentTyping')) : '';
    ui.typing.hidden = !typing;

    const rated = state.rated || (conversation?.rating !== null && conversation?.rating !== undefined);
    ui.ratingForm.hidden = rated;
    ui.ratingDone.hidden = !rated;
    ui.rateButtons.forEach((button) => {
      button.setAttribute('aria-pressed', String(Number(button.dataset.rating) === state.rating));
    });

    ui.dissuasionText.textContent = state.dissuasionTexts?.[state.lang] || brand('dissuasion');

    if (current !== state.renderedStage) {
      const previous = state.renderedStage;
      state.renderedStage = current;
      if (previous !== null) announceStage(current);
      if (current === 'end' || current === 'dissuaded') scrollToEnd();
    }
  }

  // The composer, or the tenant's "unavailable" text when no chat can be started; the launcher, or none.
  function renderAvailability() {
    const writable = canWrite();
    const focusInForm = !ui.panel.hidden && ui.form.contains(ui.root.activeElement);
    const notice = writable ? '' : brand('unavailable');
    if (ui.notice.textContent !== notice) ui.notice.textContent = notice;
    ui.form.hidden = !writable;
    if (focusInForm && !writable) ui.notice.focus(); // the message box is gone: focus goes to the reason why
    else if (writable && !ui.panel.hidden && ui.root.activeElement === ui.notice) ui.input.focus();
    ui.launcher.hidden = !launcherShown();
    followEngagement();
  }

  function announceStage(current) {
    if (current === 'waiting') announce(brand('waiting'));
    else if (current === 'chat') announce(ui.status.textContent);
    else if (current === 'end') announce(brand('ended'));
    else if (current === 'dissuaded') announce(ui.dissuasionText.textContent);
  }

  function announce(text) {
    if (!text) return;
    ui.announcer.append(h('p', {}, text));
    while (ui.announcer.childElementCount > 5) ui.announcer.firstElementChild.remove();
  }

  function formatWait(seconds) {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return '…';
    if (seconds < 60) return t('lessThanMinute');
    return t('aboutMinutes', Math.round(seconds / 60));
  }

  // ------------------------------------------------ panel

  function openPanel() {
    ui.panel.hidden = false;
    ui.launcher.setAttribute('aria-expanded', 'true');
    session.set(panelKey, 'open');
    setUnread(0);
    render();
    if (canWrite()) {
      ui.input.focus();
      ensureInitialized();
    } else {
      ui.notice.focus(); // read out at once: no chat can be started now
    }
  }

  function closePanel() {
    ui.panel.hidden = true;
    ui.launcher.setAttribute('aria-expanded', 'false');
    session.set(panelKey, 'closed');
    stopTyping();
    ui.launcher.focus();
    render(); // with no agent to answer, the launcher may go now
  }

  function ensureInitialized() {
    state.initialized ??= initialize().catch((error) => {
      state.initialized = null; // let the next open try again
      console.warn('Guichet widget:', error);
      showError(brand('unavailable'));
    });
  }

  function setUnread(count) {
    state.unread = count;
    ui.badge.textContent = String(count);
    ui.badge.hidden = count === 0;
  }

  async function initialize() {
    await obtainToken();
    await resume();
    hideError();
    connection.open();
  }

  // ------------------------------------------------ availability

  // A chat is under way (or being looked up after a reload): the visitor is served whatever the agents' load.
  function engaged() {
    return state.resuming || hasOpenConversation() || state.starting !== null || state.outbox.size > 0;
  }

  // Whether the visitor may write: always in a chat under way, else only when an agent group can take them.
  function canWrite() {
    return engaged() || state.availability === 'available';
  }

  function launcherShown() {
    // An open panel keeps its launcher (the toggle), and so does a conversation on screen (its end screen).
    if (engaged() || state.conversation !== null || !ui.panel.hidden) return true;
    if (state.availability === 'available') return true;
    return state.availability !== null && config.unavailable === 'message';
  }

  // Checks pause while a chat is under way, and resume at once when it ends (or when its start is refused).
  function followEngagement() {
    const now = engaged();
    if (now) {
      clearTimeout(state.availabilityTimer);
      state.availabilityTimer = null;
    } else if (state.wasEngaged) {
      queueMicrotask(checkAvailability);
    }
    state.wasEngaged = now;
  }

  function scheduleCheck(ms) {
    clearTimeout(state.availabilityTimer);
    state.availabilityTimer = engaged() ? null : setTimeout(() => {
      state.availabilityTimer = null;
      // A hidden page is not polled: it checks again when it becomes visible.
      if (document.visibilityState !== 'hidden') checkAvailability();
    }, ms);
  }

  async function checkAvailability() {
    if (state.checking || engaged()) return;
    clearTimeout(state.availabilityTimer);
    state.availabilityTimer = null;
    state.checking = true;
    let next = config.availabilityMs;
    try {
      const { available, reason } = await fetchAvailability();
      state.checkFailures = 0;
      setAvailability(available, reason);
    } catch (error) {
      // The network or the server failed: the previous state stays; on the first check, no chat is offered yet.
      if (state.checkFailures === 0) console.warn('Guichet widget: the availability check failed.', error);
      state.checkFailures += 1;
      if (state.availability === null) setAvailability(false, 'unreachable');
      next = Math.min(config.availabilityMs, AVAILABILITY_RETRY_MS * 2 ** (state.checkFailures - 1));
    } finally {
      state.checking = false;
    }
    scheduleCheck(next);
  }

  // GET /availability with what routing looks at: the page's URL, the requested queue and skill, the custom data.
  // A parameter the server refuses (400 naming it) is left out, as the chat request drops a refused field.
  async function fetchAvailability() {
    for (;;) {
      const parameters = availabilityParameters();
      try {
        // %20 for a space, not URLSearchParams' "+": API Gateway does not decode "+" in query strings.
        const query = parameters.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
        const answer = await api.availability(query.join('&'));
        const available = answer?.available === true;
        return { available, reason: available || typeof answer?.reason !== 'string' ? null : answer.reason };
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.status === 400) {
          const field = String(error.field ?? '');
          const refused = parameters.filter(([name]) => field === name
            || (field === 'custom' && name.startsWith('custom.'))
            || ((field === 'skill' || field.startsWith('skill.')) && (name === 'skill' || name === 'level')));
          if (refused.length === 0) throw error;
          console.warn(`Guichet widget: the server refused ${error.field} (${error.message}); availability is checked without it.`);
          refused.forEach(([name, value]) => state.refusedContext.add(`${name}=${value}`));
          continue;
        }
        if ((error.status === 403 || error.status === 404) && !error.code) {
          // An API without the availability route (deployed before it): chat is offered, as it was then.
          if (!state.missingEndpointWarned) console.warn('Guichet widget: the API has no availability route.');
          state.missingEndpointWarned = true;
          return { available: true, reason: null };
        }
        throw error;
      }
    }
  }

  function availabilityParameters() {
    const context = pageContext();
    const parameters = [['url', pageUrl().slice(0, 2000)]]; // the check takes 2,000 characters, the chat 2,048
    for (const [name, value] of Object.entries(routingNeeds(context))) {
      if (value !== undefined) parameters.push([name, value]);
    }
    for (const [name, value] of Object.entries(customData(context))) {
      if (isScalar(value)) parameters.push([`custom.${name}`, String(value)]);
    }
    return parameters.filter(([name, value]) => !state.refusedContext.has(`${name}=${value}`));
  }

  function isScalar(value) {
    return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
  }

  // What the page asks of the agents, as text (undefined when not asked): window.guichetContext wins over the tag.
  // A level only counts with a skill.
  function routingNeeds(context) {
    const text = (value) => (isScalar(value) && String(value).trim() !== '' ? String(value).trim() : undefined);
    const skill = text(context.skill ?? config.routing.skill);
    return {
      queue: text(context.queue ?? config.routing.queue),
      skill,
      level: skill === undefined ? undefined : text(context.level ?? config.routing.level),
    };
  }

  // The state, on the host element (data-availability) and as a `guichet:availability` event on window.
  function setAvailability(available, reason) {
    const value = available ? 'available' : 'unavailable';
    const why = available ? null : reason;
    if (value === state.availability && why === state.availabilityReason) return;
    state.availability = value;
    state.availabilityReason = why;
    ui.host.dataset.availability = value;
    if (why) ui.host.dataset.availabilityReason = why;
    else delete ui.host.dataset.availabilityReason;
    render();
    if (available && !ui.panel.hidden) ensureInitialized(); // the panel was open on the "unavailable" text
    window.dispatchEvent(new CustomEvent(AVAILABILITY_EVENT, { detail: { available, reason: why } }));
  }

  // start_conversation answered `unavailable` (every group filled up since the last check): nothing was created.
  // What the visitor wrote goes back into the message box, and the tenant's text replaces the composer.
  function refusedAsUnavailable() {
    const texts = [];
    for (const entry of state.outbox.values()) {
      clearTimeout(entry.timer);
      entry.retry?.remove();
      entry.element.remove();
      texts.push(entry.text);
    }
    state.outbox.clear();
    ui.input.value = [...texts, ui.input.value].filter((text) => text.trim()).join('\n');
    updateCounter();
    hideError();
    setAvailability(false, 'full');
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

  // The open conversation (waiting, offered or in progress); else the last one if it ended unrated, so that a
  // reload keeps the end screen. A waiting visitor sees "…" until the next queue.position push.
  async function resume() {
    const { conversations = [] } = await api.openConversations();
    const open = conversations.find((conversation) => isOpenStatus(conversation.status));
    if (open) {
      setConversation(open);
      await loadHistory(open.id);
      return;
    }
    const lastId = storage.get(conversationKey);
    if (!lastId || state.conversation || state.outbox.size > 0) return;
    const last = await api.conversation(lastId).catch(() => null);
    if (last?.status === 'closed' && (last.rating === null || last.rating === undefined)) {
      setConversation(last);
      await loadHistory(last.id);
    } else {
      storage.remove(conversationKey);
    }
  }

  async function loadHistory(conversationId) {
    await loadPages(api, conversationId, () => state.maxSeq, showMessage);
  }

  // ------------------------------------------------ conversation

  function setConversation(conversation) {
    if (state.conversation?.id !== conversation.id) {
      state.maxSeq = 0;
      if (state.queue?.conversationId !== conversation.id) state.queue = null;
      state.dissuasionTexts = null;
      state.rating = 0;
      state.rated = false;
      state.peerTyping = null;
    } else if (RANK[conversation.status] < RANK[state.conversation.status]) {
      return; // an older copy (a REST read racing a push): keep the newer state
    }
    state.conversation = conversation;
    if (isOpenStatus(conversation.status)) {
      storage.set(conversationKey, conversation.id);
    } else {
      stopTyping();
      state.peerTyping = null;
      if (conversation.status !== 'closed' || (conversation.rating !== null && conversation.rating !== undefined)) {
        storage.remove(conversationKey);
      }
    }
    if (conversation.status !== 'waiting' && conversation.status !== 'offered' && conversation.status !== undefined) {
      state.queue = null;
    }
    render();
  }

  function updateConversation(conversation) {
    if (!conversation?.id || !isCurrent(conversation.id)) return;
    setConversation(conversation);
  }

  function hasOpenConversation() {
    return state.conversation !== null && isOpenStatus(state.conversation.status);
  }

  // Whether a frame is about the current conversation. A frame about another one, while this tab has none open,
  // means another tab of the same visitor started it: take it up.
  function isCurrent(conversationId) {
    if (!conversationId) return false;
    if (state.conversation?.id === conversationId) return true;
    if (!hasOpenConversation() && !state.starting && state.outbox.size === 0) adopt(conversationId);
    return false;
  }

  function adopt(conversationId) {
    if (state.adopting === conversationId) return;
    state.adopting = conversationId;
    api.conversation(conversationId)
      .then(async (conversation) => {
        if (hasOpenConversation() || state.starting || !isOpenStatus(conversation.status)) return;
        clearLog();
        setConversation(conversation);
        await loadHistory(conversation.id);
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
    state.peerTyping = null;
    clearLog();
    storage.remove(conversationKey);
    hideError();
    render();
  }

  function clearLog() {
    state.maxSeq = 0;
    state.shown.clear();
    state.refused.clear();
    ui.messages.replaceChildren();
  }

  function pageContext() {
    return isPlainObject(window.guichetContext) ? window.guichetContext : {};
  }

  function pageUrl() {
    return location.href.slice(0, 2048);
  }

  // data-custom, with window.guichetContext.custom's fields winning.
  function customData(context) {
    return { ...config.custom, ...(isPlainObject(context.custom) ? context.custom : {}) };
  }

  // CHAT-1: the page, the brand's custom data and the visitor's identity when the page knows it.
  function chatRequest() {
    const context = pageContext();
    const fields = { page: { url: pageUrl(), title: document.title.slice(0, 512) } };
    // Values written as text here, as for the availability check, so that a rule on custom data sees the same value
    // in both (true, not the server's "True"); anything else is sent as it is, for the server to refuse.
    const custom = Object.fromEntries(Object.entries(customData(context))
      .map(([name, value]) => [name, isScalar(value) ? String(value) : value]));
    if (Object.keys(custom).length > 0) fields.custom = custom;
    // Routed as the availability check was asked: the same queue and skill.
    const { queue, skill, level } = routingNeeds(context);
    if (queue !== undefined) fields.queue = queue;
    if (skill !== undefined) {
      fields.skill = { skill };
      if (level !== undefined) fields.skill.min_level = /^\d+$/.test(level) ? Number(level) : level;
    }
    if (typeof context.name === 'string' && context.name.trim()) fields.visitor_name = context.name.trim().slice(0, 120);
    if (typeof context.email === 'string' && context.email.trim()) fields.visitor_email = context.email.trim();
    // Signed by the brand's server; the server checks the signature and shows the visitor as verified.
    const identity = isPlainObject(context.identity) ? context.identity : config.identity;
    if (identity) fields.identity = identity;
    return fields;
  }

  // A brand page's bad custom data or identity must not keep the visitor from chatting: it is dropped.
  async function requestStart(fields, retried = false) {
    try {
      return await connection.request('start_conversation', fields);
    } catch (error) {
      if (!(error instanceof ServerError) || error.code === 'unavailable') throw error;
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
        setConversation(conversation);
        flushOutbox();
      })
      .catch((error) => {
        if (error instanceof ServerError && error.code === 'unavailable') {
          refusedAsUnavailable();
        } else if (error instanceof ServerError) { // refused for good: the messages waiting for it are not sent
          for (const clientMessageId of [...state.outbox.keys()]) markFailed(clientMessageId);
          showError(error.message || t('notSentError'));
        } // a lost connection: the outbox starts it again after reconnecting
      })
      .finally(() => {
        if (state.starting === starting) state.starting = null;
        render();
      });
    state.starting = starting;
    render();
    return starting;
  }

  // ------------------------------------------------ sending

  function submitInput() {
    const text = ui.input.value.trim();
    if (!text || !canWrite()) return;
    if (text.length > maxChars()) {
      showError(t('tooLong', maxChars()));
      return;
    }
    if (state.conversation && !hasOpenConversation()) beginNewConversation();
    stopTyping();
    ui.input.value = '';
    updateCounter();
    hideError();
    const clientMessageId = newId();
    const element = renderMessage({ kind: 'visitor' }, text, 'sending');
    ui.messages.append(element);
    scrollToEnd();
    const entry = { text, element, timer: null, retry: null };
    state.outbox.set(clientMessageId, entry);
    awaitAck(clientMessageId, entry);
    render();
    send(clientMessageId);
  }

  function send(clientMessageId) {
    if (!connection.isOpen()) return; // sent by handleReconnected
    if (hasOpenConversation()) transmit(clientMessageId);
    else startConversation();
  }

  function flushOutbox() {
    if (!hasOpenConversation()) return;
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
      'aria-label': t('retryLabel', entry.text.length > 60 ? `${entry.text.slice(0, 60)}…` : entry.text),
    }, t('retry'));
    entry.retry.addEventListener('click', () => retry(clientMessageId));
    entry.element.after(entry.retry);
  }

  function retry(clientMessageId) {
    const entry = state.refused.get(clientMessageId) ?? state.outbox.get(clientMessageId);
    if (!entry) return;
    const hadFocus = ui.root.activeElement === entry.retry;
    state.refused.delete(clientMessageId);
    if (state.conversation && !hasOpenConversation()) { // ended meanwhile: the message opens a new conversation
      beginNewConversation();
      ui.messages.append(entry.element);
    }
    state.outbox.set(clientMessageId, entry);
    awaitAck(clientMessageId, entry);
    hideError();
    if (hadFocus) ui.input.focus(); // the button is gone
    render();
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
      showMessage,
      onFailed: () => {
        markFailed(clientMessageId);
        showError(t('notSentError'));
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
    ui.counter.textContent = t('counter', count, maxChars());
    ui.counter.classList.toggle('counter--full', count >= maxChars());
  }

  // CHAT-9: "typing" on the first key, "stopped" after 3 s without a key, on send and on leaving the field.
  function noteTyping() {
    if (!ui.input.value) {
      stopTyping();
      return;
    }
    if (!hasOpenConversation() || !connection.isOpen()) return;
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

  // ------------------------------------------------ end screen

  async function downloadTranscript(format) {
    const id = state.conversation?.id;
    if (!id) return;
    hideError();
    try {
      const blob = await api.transcript(id, format);
      const url = URL.createObjectURL(blob);
      const name = `conversation-${id.replace(/[^\w.-]/g, '')}.${format === 'html' ? 'html' : 'txt'}`;
      const link = h('a', { href: url, download: name, hidden: '' });
      ui.root.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch {
      showError(t('downloadFailed'));
    }
  }

  function chooseRating(rating) {
    state.rating = rating;
    hideError();
    render();
  }

  async function submitRating(event) {
    event.preventDefault();
    const id = state.conversation?.id;
    if (!id) return;
    if (!state.rating) {
      showError(t('rateChoose'));
      ui.rateButtons[0].focus();
      return;
    }
    ui.rateSubmit.disabled = true;
    try {
      await api.rate(id, { rating: state.rating, comment: ui.comment.value.trim() || undefined });
      ratingStored();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) ratingStored(); // stored already (another tab)
      else showError(t('rateFailed'));
    } finally {
      ui.rateSubmit.disabled = false;
    }
  }

  function ratingStored() {
    state.rated = true;
    storage.remove(conversationKey);
    hideError();
    render();
    ui.ratingDone.focus();
    announce(t('rateDone'));
  }

  // ------------------------------------------------ receiving

  function handleReconnected() {
    const firstConnection = !state.connectedOnce;
    state.connectedOnce = true;
    if (!hasOpenConversation()) {
      if (state.outbox.size > 0) {
        resending();
        startConversation();
      }
      return;
    }
    resending();
    const conversationId = state.conversation.id;
    syncMissed(conversationId);
    // The status may have changed while we were away (an agent joined, the chat ended or was withdrawn).
    if (!firstConnection) api.conversation(conversationId).then(updateConversation).catch(() => {});
    flushOutbox();
  }

  function syncMissed(conversationId) {
    syncPages(connection, conversationId, () => state.maxSeq, showMessage);
  }

  function handleFrame(frame) {
    switch (frame.type) {
      case 'message':
        if (isCurrent(frame.message?.conversation_id) && showMessage(frame.message)
            && frame.message.sender?.kind === 'agent') {
          agentMessageArrived(frame.message);
        }
        break;
      case 'conversation.updated':
      case 'conversation.closed':
        updateConversation(frame.conversation);
        break;
      case 'conversation.dissuaded':
        if (isCurrent(frame.conversation?.id)) {
          state.dissuasionTexts = isPlainObject(frame.texts) ? frame.texts : null;
          setConversation(frame.conversation);
        }
        break;
      case 'queue.position':
        queueMoved(frame);
        break;
      case 'typing':
        if (frame.sender?.kind === 'agent' && isCurrent(frame.conversation_id)) peerTyping(frame);
        break;
      case 'error':
        // Answers to our requests are handled where they were sent; this one came unasked.
        if (frame.id === undefined || frame.id === null) showError(frame.message || frame.code);
        break;
      default:
        break; // ack and pong are handled by their requests
    }
  }

  function queueMoved(frame) {
    // Before start_conversation's ack the push may be the first news of the conversation.
    const early = !state.conversation && state.starting;
    if (!early && !isCurrent(frame.conversation_id)) return;
    state.queue = {
      conversationId: frame.conversation_id,
      position: frame.position,
      estimate: frame.estimated_wait_seconds,
    };
    render();
  }

  function peerTyping(frame) {
    clearTimeout(state.peerTypingTimer);
    state.peerTyping = frame.typing ? (frame.sender.name || '') : null;
    if (frame.typing) {
      state.peerTypingTimer = setTimeout(() => {
        state.peerTyping = null;
        render();
      }, PEER_TYPING_MS);
    }
    render();
  }

  function agentMessageArrived(message) {
    clearTimeout(state.peerTypingTimer);
    state.peerTyping = null;
    render();
    announce(t('agentSays', message.sender?.name || t('agent'), message.text));
    if (ui.panel.hidden) setUnread(state.unread + 1);
  }

  // Shows a stored message of the current conversation once, whether it arrives by ack, push, sync or history.
  // Returns true when the message was not on screen yet.
  function showMessage(message) {
    if (!message || message.seq === undefined || message.conversation_id !== state.conversation?.id) return false;
    const key = `${message.conversation_id}:${message.seq}`;
    state.maxSeq = Math.max(state.maxSeq, message.seq);
    if (state.shown.has(key)) return false;

    delivered(message.client_message_id);
    const element = storedMessageElement(message, state.outbox, ({ sender, text }) => renderMessage(sender, text, 'sent'));
    element.dataset.conversationId = message.conversation_id;
    state.shown.set(key, element);
    placeInOrder(ui.messages, element, (other) =>
      other.dataset.conversationId === message.conversation_id && Number(other.dataset.seq) > message.seq);
    if (ui.messages.lastElementChild === element) scrollToEnd();
    render(); // the outbox may have emptied
    return true;
  }

  // Only agents' names are shown; the visitor's own messages need none.
  function renderMessage(sender, text, messageState) {
    return renderMessageElement({
      sender,
      text,
      state: messageState,
      testId: 'guichet-message',
      label: (author, kind) => (kind === 'agent' ? author.name || t('agent') : undefined),
    });
  }

  function scrollToEnd() {
    ui.body.scrollTop = ui.body.scrollHeight;
  }

  // ------------------------------------------------ status lines

  function showConnection(connected) {
    state.connected = connected;
    ui.connection.hidden = connected;
    ui.connection.textContent = connected ? '' : t('reconnecting');
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

// options: the script tag's data-* attributes (tenant, api, ws, custom, identity, title, greeting).
export function mount(options) {
  const config = readConfig(options);
  if (!config.tenant) {
    console.warn('Guichet widget: the script tag needs a data-tenant attribute.');
    return;
  }
  // A plain tag in <head> runs before <body> exists.
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', () => start(config), { once: true });
  } else {
    start(config);
  }
}
