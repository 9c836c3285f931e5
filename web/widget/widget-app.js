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
// Asynchronous conversations (the rule lets them wait; docs/widget.md): the asynchronous welcome, consent before the
// first message when the tenant asks for it, an email for the answers and a settings panel (the gear), minimise
// instead of close with a badge of unread agent messages and a read mark, the previous conversations, a session
// opened with the page's signed identity, a notification email's link (#guichet_resume=...) that reopens its
// conversation, and the page the visitor is on told to the agent.
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
const RESUME_PARAMETER = 'guichet_resume'; // a notification email's link: #guichet_resume=<token>
const EMAIL_PATTERN = /^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$/; // as the server checks it
const EMAIL_MAX = 320;

// The tenant's texts, as the server's defaults; GET /widget answers the tenant's own.
const BRAND_TEXTS = {
  en: {
    title: 'Chat with us',
    welcome: 'Hello! Ask us anything, an agent will answer.',
    waiting: 'Waiting for an agent…',
    unavailable: 'Our agents are not available right now.',
    dissuasion: 'All our agents are busy. Please come back a little later.',
    ended: 'This conversation has ended. Thank you!',
    welcome_async: 'Hello! Leave us a message and we will answer as soon as we can. If nobody answers at once,'
      + ' come back later: our agents usually reply within a few hours.',
    consent: 'To answer you, we store what you write in this conversation. Do you agree?',
  },
  fr: {
    title: 'Discutez avec nous',
    welcome: 'Bonjour ! Posez-nous votre question, un conseiller vous répond.',
    waiting: "En attente d'un conseiller…",
    unavailable: 'Nos conseillers ne sont pas disponibles pour le moment.',
    dissuasion: 'Tous nos conseillers sont occupés. Merci de revenir un peu plus tard.',
    ended: 'Cette conversation est terminée. Merci !',
    welcome_async: "Bonjour ! Laissez-nous un message et nous vous répondrons dès que possible. Si vous n'avez"
      + ' pas de réponse immédiate, revenez plus tard : nos conseillers répondent en quelques heures.',
    consent: "Pour vous répondre, nous conservons ce que vous écrivez dans cette conversation. D'accord ?",
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
    minimise: 'Minimise chat',
    unread: (count) => (count === 1 ? '1 new message' : `${count} new messages`),
    settings: 'Settings',
    back: 'Back to the conversation',
    consentAgree: 'I agree',
    consentFirst: 'Please agree first: nothing you write is stored before.',
    blocked: 'You can no longer send messages here.',
    rateLimited: 'You are writing faster than we can read. Please wait a moment, then try again.',
    inviteText: 'Leave your email address and we will write to you when an agent answers.',
    emailLabel: 'Email address',
    inviteSave: 'Notify me',
    inviteSkip: 'No thanks',
    inviteDone: (email) => `We will write to ${email} when an agent answers. You can change this in the settings.`,
    invalidEmail: 'Please enter an email address such as name@example.com.',
    notifyLegend: 'Emails when an agent answers',
    notifyUnavailable: 'You can choose this during a conversation that may wait for an answer.',
    notifyOn: 'Email me when an agent answers',
    saveEmail: 'Save',
    deleteEmail: 'Delete my email address',
    emailSaved: (email) => `Saved: we will write to ${email}.`,
    emailDeleted: 'Your email address was deleted.',
    notifyEnabled: 'Emails are on.',
    notifyDisabled: 'Emails are off.',
    hideHistory: 'Hide my history',
    historyHidden: 'Your previous conversations are hidden.',
    historyShown: 'Your previous conversations are shown.',
    settingsFailed: 'This could not be saved. Please try again.',
    settingsEnded: 'This conversation has ended: its emails can no longer change.',
    history: (count) => `Your previous conversations (${count})`,
    historyItem: (date, status) => `${date} · ${status}`,
    historyStatus: (status) => ({ closed: 'Closed', dissuaded: 'Not answered', assigned: 'In progress' }[status] || 'Waiting'),
    historyLoading: 'Loading…',
    historyFailed: 'These messages could not be loaded.',
    historyEmpty: 'No messages.',
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
    minimise: 'Réduire la discussion',
    unread: (count) => (count === 1 ? '1 nouveau message' : `${count} nouveaux messages`),
    settings: 'Paramètres',
    back: 'Retour à la conversation',
    consentAgree: "J'accepte",
    consentFirst: "Merci d'accepter d'abord : rien de ce que vous écrivez n'est conservé avant.",
    blocked: 'Vous ne pouvez plus envoyer de messages ici.',
    rateLimited: 'Vous écrivez plus vite que nous ne lisons. Patientez un instant, puis réessayez.',
    inviteText: "Laissez votre adresse e-mail et nous vous écrirons dès qu'un conseiller vous aura répondu.",
    emailLabel: 'Adresse e-mail',
    inviteSave: 'Me prévenir',
    inviteSkip: 'Non merci',
    inviteDone: (email) => `Nous écrirons à ${email} dès qu'un conseiller vous aura répondu. Vous pouvez le changer dans les paramètres.`,
    invalidEmail: 'Saisissez une adresse e-mail comme nom@exemple.fr.',
    notifyLegend: 'E-mails quand un conseiller répond',
    notifyUnavailable: 'Vous pourrez le choisir pendant une conversation qui peut attendre une réponse.',
    notifyOn: "M'écrire quand un conseiller répond",
    saveEmail: 'Enregistrer',
    deleteEmail: 'Supprimer mon adresse e-mail',
    emailSaved: (email) => `Enregistré : nous écrirons à ${email}.`,
    emailDeleted: 'Votre adresse e-mail a été supprimée.',
    notifyEnabled: 'Les e-mails sont activés.',
    notifyDisabled: 'Les e-mails sont désactivés.',
    hideHistory: 'Masquer mon historique',
    historyHidden: 'Vos conversations précédentes sont masquées.',
    historyShown: 'Vos conversations précédentes sont affichées.',
    settingsFailed: "Cela n'a pas pu être enregistré. Merci de réessayer.",
    settingsEnded: 'Cette conversation est terminée : ses e-mails ne peuvent plus changer.',
    history: (count) => `Vos conversations précédentes (${count})`,
    historyItem: (date, status) => `${date} · ${status}`,
    historyStatus: (status) => ({ closed: 'Terminée', dissuaded: 'Sans réponse', assigned: 'En cours' }[status] || 'En attente'),
    historyLoading: 'Chargement…',
    historyFailed: "Ces messages n'ont pas pu être chargés.",
    historyEmpty: 'Aucun message.',
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
    // data-greeting replaces the opening message, whether answers may wait (welcome_async) or not (welcome).
    overrides: { title: data.title, welcome: data.greeting, welcome_async: data.greeting },
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

function isEmail(text) {
  return text.length <= EMAIL_MAX && EMAIL_PATTERN.test(text);
}

// A notification email's link ends with #guichet_resume=<token>: the token is taken, and removed from the address
// bar at once (history.replaceState), so that it is neither bookmarked nor shared with the page's own scripts later.
function takeResumeLink() {
  const fragment = location.hash.slice(1);
  const found = new RegExp(`(?:^|&)${RESUME_PARAMETER}=([^&]*)`).exec(fragment);
  if (!found) return null;
  const rest = (fragment.slice(0, found.index) + fragment.slice(found.index + found[0].length)).replace(/^&/, '');
  try {
    history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  } catch { /* a sandboxed page: the fragment stays */ }
  try {
    return decodeURIComponent(found[1]) || null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- REST

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
  // The count of unread agent messages while minimised (ASYNC-4); screen readers get it from unreadLabel.
  const badge = h('span', { class: 'badge', 'data-testid': 'guichet-badge', 'aria-hidden': 'true', hidden: '' });
  const unreadLabel = h('span', { class: 'visually-hidden' });
  const launcher = h('button', {
    type: 'button',
    class: 'launcher',
    'data-testid': 'guichet-launcher',
    'aria-expanded': 'false',
    'aria-controls': 'panel',
  }, launcherLabel, badge, unreadLabel);

  const logo = h('img', { class: 'logo', 'data-testid': 'guichet-logo', alt: '', hidden: '' });
  const title = h('h2', { id: 'title', class: 'title', 'data-testid': 'guichet-title' });
  const settingsButton = h('button', {
    type: 'button', class: 'header-button', 'data-testid': 'guichet-settings-button', 'aria-expanded': 'false',
    'aria-controls': 'settings',
  }, '⚙');
  // In asynchronous mode the messenger is only minimised (ASYNC-7): the close control gives way to this one.
  const minimise = h('button', { type: 'button', class: 'header-button', 'data-testid': 'guichet-minimise', hidden: '' }, '−');
  const close = h('button', { type: 'button', class: 'close', 'data-testid': 'guichet-close' }, '×');
  const connection = h('p', { class: 'connection', 'data-testid': 'guichet-connection', hidden: '' });
  // Announces stage changes and new agent messages to screen readers (the log itself stays quiet).
  const announcer = h('div', {
    class: 'visually-hidden', role: 'status', 'aria-live': 'polite', 'data-testid': 'guichet-announcer',
  });

  const intro = h('p', { class: 'intro', 'data-testid': 'guichet-welcome' });

  // GDPR (ASYNC-6): the tenant's text and an "I agree" button, before the first message of a conversation.
  const consentText = h('p', { id: 'consent-text', class: 'stage-text', 'data-testid': 'guichet-consent-text' });
  const consentAgree = h('button', { type: 'button', class: 'primary', 'data-testid': 'guichet-consent-agree' });
  const consent = h('section', {
    class: 'stage consent', 'data-testid': 'guichet-consent', 'aria-labelledby': 'consent-text', hidden: '',
  }, consentText, h('div', { class: 'actions' }, consentAgree));

  // The visitor's previous conversations (ASYNC-5): a collapsible list; each opens its messages, read-only.
  const historySummary = h('summary', { 'data-testid': 'guichet-history-summary' });
  const historyList = h('ul', { class: 'history-list', 'data-testid': 'guichet-history-list' });
  const history = h('details', { class: 'history', 'data-testid': 'guichet-history', hidden: '' },
    historySummary, historyList);

  // After the first message of an asynchronous conversation: leave an email to hear of answers (ASYNC-2).
  const inviteText = h('p', { id: 'invite-text' });
  const inviteLabel = h('label', { class: 'visually-hidden', for: 'invite-email' });
  const inviteEmail = h('input', {
    id: 'invite-email', class: 'field', type: 'email', autocomplete: 'email', maxlength: String(EMAIL_MAX),
    'data-testid': 'guichet-invite-email', 'aria-describedby': 'invite-text invite-error',
  });
  const inviteError = h('p', {
    id: 'invite-error', class: 'field-error', 'data-testid': 'guichet-invite-error', 'aria-live': 'polite', hidden: '',
  });
  const inviteSave = h('button', { type: 'submit', class: 'primary', 'data-testid': 'guichet-invite-save' });
  const inviteSkip = h('button', { type: 'button', class: 'secondary', 'data-testid': 'guichet-invite-skip' });
  const invite = h('form', {
    class: 'stage invite', 'data-testid': 'guichet-invite', 'aria-labelledby': 'invite-text', novalidate: '', hidden: '',
  }, inviteText, inviteLabel, inviteEmail, inviteError, h('div', { class: 'actions' }, inviteSave, inviteSkip));
  const inviteDone = h('p', { class: 'hint', 'data-testid': 'guichet-invite-done', hidden: '' });

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

  const body = h('div', { class: 'body' }, history, intro, waiting, status, messages, invite, inviteDone, typing, end,
    dissuasion);

  // Settings (a gear in the header): the email for answers and whether to send them (ASYNC-3), "hide my history"
  // (ASYNC-5). Shown in place of the conversation.
  const settingsTitle = h('h3', { id: 'settings-title', class: 'settings-title', tabindex: '-1' });
  const notifyLegend = h('legend');
  const notifyHint = h('p', { class: 'hint', 'data-testid': 'guichet-settings-notify-hint' });
  const settingsEmailLabel = h('label', { for: 'settings-email' });
  const settingsEmail = h('input', {
    id: 'settings-email', class: 'field', type: 'email', autocomplete: 'email', maxlength: String(EMAIL_MAX),
    'data-testid': 'guichet-settings-email',
  });
  const settingsSave = h('button', { type: 'submit', class: 'primary', 'data-testid': 'guichet-settings-email-save' });
  const settingsDelete = h('button', { type: 'button', class: 'secondary', 'data-testid': 'guichet-settings-email-delete' });
  const notifyOn = h('input', { id: 'settings-notify', type: 'checkbox', 'data-testid': 'guichet-settings-notify' });
  const notifyOnLabel = h('label', { for: 'settings-notify' });
  const notifyFieldset = h('fieldset', {}, notifyLegend, notifyHint, settingsEmailLabel, settingsEmail,
    h('div', { class: 'actions' }, settingsSave, settingsDelete), h('div', { class: 'check' }, notifyOn, notifyOnLabel));
  const notifyForm = h('form', { class: 'notify-form', novalidate: '' }, notifyFieldset);
  const hideHistory = h('input', { id: 'settings-hide-history', type: 'checkbox', 'data-testid': 'guichet-settings-hide-history' });
  const hideHistoryLabel = h('label', { for: 'settings-hide-history' });
  const settingsStatus = h('p', {
    class: 'settings-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'guichet-settings-status',
  });
  const settingsBack = h('button', { type: 'button', class: 'secondary', 'data-testid': 'guichet-settings-back' });
  const settings = h('section', {
    id: 'settings', class: 'settings', 'data-testid': 'guichet-settings', 'aria-labelledby': 'settings-title', hidden: '',
  }, settingsTitle, notifyForm, h('div', { class: 'check' }, hideHistory, hideHistoryLabel), settingsStatus,
  h('div', { class: 'actions' }, settingsBack));
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
    h('header', { class: 'header' }, logo, title, settingsButton, minimise, close),
    connection, announcer, settings, body, notice, error, consent, form);

  root.append(stylesheet, panel, launcher);
  document.body.append(host);
  return {
    host, root, launcher, launcherLabel, badge, unreadLabel, panel, logo, title, settingsButton, minimise, close,
    connection, announcer, body, intro, consent, consentText, consentAgree, history, historySummary, historyList,
    invite, inviteText, inviteLabel, inviteEmail, inviteError, inviteSave, inviteSkip, inviteDone,
    settings, settingsTitle, notifyForm, notifyFieldset, notifyLegend, notifyHint, settingsEmailLabel, settingsEmail,
    settingsSave, settingsDelete, notifyOn, notifyOnLabel, hideHistory, hideHistoryLabel, settingsStatus, settingsBack,
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
  const readKey = `guichet:${tenant}:read`; // {conversation_id, seq}: the messages the visitor has seen (badge)
  const inviteKey = `guichet:${tenant}:invite`; // the conversation whose email invitation was answered or skipped
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
    identityWarned: false,
    readTimer: null,
    availabilityAsync: false, // the availability answer: conversations of this page's rule may wait (ASYNC-1)
    consentRequired: false, // the server asked for consent though the settings were not loaded yet
    consented: false, // the visitor agreed to the tenant's consent text for the conversation to come (ASYNC-6)
    resumeLink: takeResumeLink(), // a notification email's link token, used once to open the session
    linkConversationId: null, // the conversation the link names
    view: 'chat', // or 'settings'
    history: null, // GET /visitors/me/history: {hidden, conversations}
    historyLoading: null,
    historyAgain: false,
    readSeq: 0, // the highest seq shown to the visitor with the panel open, in the current conversation
    readAcked: 0, // the read mark the server acknowledged, in the current conversation
    lastAgentSeq: 0, // the highest seq of an agent message shown, in the current conversation
    pageReported: false, // the `page` action was sent for this page load
    inviteDoneFor: null, // the conversation whose email the visitor just left (the confirmation shows)
  };
  const historyItems = new Map(); // conversation id -> its entry in the list of previous conversations
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
  ui.minimise.addEventListener('click', closePanel);
  // Escape leaves the settings, else closes (minimises) the panel from anywhere in the widget (the launcher
  // included); focus goes back to the launcher.
  ui.root.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || ui.panel.hidden) return;
    if (state.view === 'settings' && ui.settings.contains(ui.root.activeElement)) showChat();
    else closePanel();
  });
  ui.settingsButton.addEventListener('click', () => (state.view === 'settings' ? showChat() : showSettings()));
  ui.settingsBack.addEventListener('click', showChat);
  ui.consentAgree.addEventListener('click', agree);
  ui.invite.addEventListener('submit', (event) => {
    event.preventDefault();
    leaveEmail();
  });
  ui.inviteSkip.addEventListener('click', skipInvite);
  ui.notifyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    saveSettingsEmail();
  });
  ui.settingsDelete.addEventListener('click', deleteSettingsEmail);
  ui.notifyOn.addEventListener('change', () => switchNotifications(ui.notifyOn.checked));
  ui.hideHistory.addEventListener('change', () => chooseHistoryHidden(ui.hideHistory.checked));
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
    if (document.visibilityState !== 'visible') return;
    checkAvailability();
    noteSeen(); // what the open panel shows is seen now
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
  // launcher shown as before; the others are offered chat only if an agent group can take them. A notification
  // email's link opens the panel on its conversation.
  if (state.resumeLink || (state.token && storage.get(conversationKey))) {
    state.resuming = true;
    render();
    if (state.resumeLink || session.get(panelKey) === 'open') openPanel();
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
    ui.minimise.setAttribute('aria-label', t('minimise'));
    ui.settingsButton.setAttribute('aria-label', t('settings'));
    ui.messages.setAttribute('aria-label', t('messages'));
    ui.consentAgree.textContent = t('consentAgree');
    ui.inviteText.textContent = t('inviteText');
    ui.inviteLabel.textContent = t('emailLabel');
    ui.inviteSave.textContent = t('inviteSave');
    ui.inviteSkip.textContent = t('inviteSkip');
    ui.settingsTitle.textContent = t('settings');
    ui.notifyLegend.textContent = t('notifyLegend');
    ui.notifyHint.textContent = t('notifyUnavailable');
    ui.settingsEmailLabel.textContent = t('emailLabel');
    ui.settingsSave.textContent = t('saveEmail');
    ui.settingsDelete.textContent = t('deleteEmail');
    ui.notifyOnLabel.textContent = t('notifyOn');
    ui.hideHistoryLabel.textContent = t('hideHistory');
    ui.settingsBack.textContent = t('back');
    setUnread(state.unread);
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
    renderHistory();
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
    const waits = isAsynchronous();
    ui.panel.dataset.stage = current;
    ui.panel.dataset.mode = waits ? 'asynchronous' : 'live';
    renderAvailability();
    // ASYNC-1: answers may not be immediate. The asynchronous welcome stays at the top of an open asynchronous
    // conversation, as the conversation's first words.
    ui.intro.textContent = brand(waits ? 'welcome_async' : 'welcome');
    ui.intro.hidden = !((current === 'welcome' && canWrite()) || (waits && hasOpenConversation()));
    // ASYNC-7: an asynchronous conversation is only minimised, never closed by the visitor.
    ui.close.hidden = waits;
    ui.minimise.hidden = !waits;
    const asking = consentPending();
    ui.consent.hidden = !asking || state.view === 'settings';
    ui.consentText.textContent = brand('consent');
    ui.input.disabled = asking;
    ui.send.disabled = asking;
    ui.invite.hidden = !invitePending();
    const email = conversation?.notification?.email;
    const confirmed = Boolean(email) && state.inviteDoneFor === conversation.id && hasOpenConversation();
    ui.inviteDone.textContent = confirmed ? t('inviteDone', email) : '';
    ui.inviteDone.hidden = !confirmed;
    const inSettings = state.view === 'settings';
    ui.settings.hidden = !inSettings;
    ui.body.hidden = inSettings;
    ui.settingsButton.setAttribute('aria-expanded', String(inSettings));
    if (inSettings) renderSettings();
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
    ui.form.hidden = !writable || state.view === 'settings';
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
      (consentPending() ? ui.consentAgree : ui.input).focus();
      ensureInitialized();
    } else {
      ui.notice.focus(); // read out at once: no chat can be started now
    }
    noteSeen();
  }

  // Hides the panel (minimises it): nothing ends, and the badge counts the agent's messages meanwhile.
  function closePanel() {
    ui.panel.hidden = true;
    ui.launcher.setAttribute('aria-expanded', 'false');
    session.set(panelKey, 'closed');
    stopTyping();
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
      showError(brand('unavailable'));
    });
  }

  function setUnread(count) {
    state.unread = count;
    ui.badge.textContent = String(count);
    ui.badge.hidden = count === 0;
    ui.unreadLabel.textContent = count === 0 ? '' : ` (${t('unread', count)})`;
  }

  async function initialize() {
    await obtainToken();
    const previous = refreshHistory();
    await resume();
    hideError();
    connection.open();
    await previous;
  }

  // ------------------------------------------------ consent (ASYNC-6)

  function consentNeeded() {
    return state.settings?.consent_required === true || state.consentRequired;
  }

  // Before the first message of a conversation, while the tenant asks for consent and the visitor has not agreed:
  // the message box is disabled and nothing is sent.
  function consentPending() {
    return consentNeeded() && !state.consented && !engaged() && canWrite();
  }

  function agree() {
    state.consented = true;
    hideError();
    render();
    ui.input.focus();
  }

  // ------------------------------------------------ read marks and the badge (ASYNC-4)

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

  // ------------------------------------------------ the page the visitor is on (ASYNC-16)

  // Once per page load, for a conversation this page did not start (start_conversation carries its page).
  function reportPage() {
    const conversation = state.conversation;
    if (state.pageReported || !hasOpenConversation()) return;
    state.pageReported = true;
    const page = { url: pageUrl(), title: document.title.slice(0, 512) };
    if (conversation.page?.url === page.url && (conversation.page?.title ?? '') === page.title) return;
    connection.request('page', { conversation_id: conversation.id, page }).catch((error) => {
      if (!(error instanceof ServerError)) state.pageReported = false; // not sent: again after reconnecting
    });
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
      const { available, reason, asynchronous } = await fetchAvailability();
      state.checkFailures = 0;
      if (asynchronous !== state.availabilityAsync) {
        state.availabilityAsync = asynchronous; // the opening message and the minimise control follow it
        render();
      }
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
        return {
          available,
          reason: available || typeof answer?.reason !== 'string' ? null : answer.reason,
          asynchronous: answer?.asynchronous === true, // the rule lets conversations wait (ASYNC-1)
        };
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
          return { available: true, reason: null, asynchronous: false };
        }
        throw error;
      }
    }
  }

  function availabilityParameters() {
    const context = pageContext();
    const parameters = [['url', pageUrl().slice(0, 2048)]]; // as the chat's page.url: at most 2,048 characters
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
    takeBackOutbox();
    hideError();
    setAvailability(false, 'full');
  }

  // The server refused to start the conversation without the visitor's consent (the settings had not loaded when
  // they wrote): nothing was stored; what they wrote goes back into the message box until they agree.
  function refusedForConsent() {
    state.consentRequired = true;
    state.consented = false;
    takeBackOutbox();
    hideError();
    render();
    if (!ui.panel.hidden) ui.consentAgree.focus();
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
    updateCounter();
  }

  // ------------------------------------------------ visitor token and resume

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
    if (error?.code === 'blocked') return t('blocked');
    if (error?.code === 'rate_limited') return t('rateLimited');
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
        if (state.conversation?.id !== conversation.id) clearLog();
        setConversation(conversation);
        await loadHistory(conversation.id);
        return;
      }
    }
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

  // fromRead: the conversation comes from a REST read, which may race a push; pushes come in order, and an
  // asynchronous conversation may really go back to waiting (transferred to a queue, released).
  function setConversation(conversation, fromRead = false) {
    const changed = state.conversation?.id !== conversation.id;
    const wasOpen = hasOpenConversation();
    if (changed) {
      state.maxSeq = 0;
      if (state.queue?.conversationId !== conversation.id) state.queue = null;
      state.dissuasionTexts = null;
      state.rating = 0;
      state.rated = false;
      state.peerTyping = null;
      state.readSeq = storedReadMark(conversation.id);
      state.readAcked = 0;
      state.lastAgentSeq = 0;
    } else if (fromRead && RANK[conversation.status] < RANK[state.conversation.status]) {
      return; // an older copy (a REST read racing a push): keep the newer state
    }
    state.conversation = conversation;
    if (!isOpenStatus(conversation.status)) state.consented = false; // the next conversation asks again
    if (changed) renderHistory(); // the list leaves out the conversation on screen
    if (wasOpen && !isOpenStatus(conversation.status)) refreshHistory(); // it ended: it joins the list later
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

  function updateConversation(conversation, fromRead = false) {
    if (!conversation?.id || !isCurrent(conversation.id)) return;
    setConversation(conversation, fromRead);
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
        setConversation(conversation, true);
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
    state.consented = false;
    clearLog();
    storage.remove(conversationKey);
    hideError();
    render();
    renderHistory(); // the conversation that ended joins the list
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
    const identity = pageIdentity();
    if (identity) fields.identity = identity;
    if (state.consented) fields.consent = true; // ASYNC-6: the visitor agreed to the tenant's text
    return fields;
  }

  // window.guichetContext.identity wins over data-identity.
  function pageIdentity() {
    const context = pageContext();
    return isPlainObject(context.identity) ? context.identity : config.identity;
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
        flushOutbox();
      })
      .catch((error) => {
        if (error instanceof ServerError && error.code === 'unavailable') {
          refusedAsUnavailable();
        } else if (error instanceof ServerError && error.field === 'consent') {
          refusedForConsent();
        } else if (error instanceof ServerError) { // refused for good: the messages waiting for it are not sent
          for (const clientMessageId of [...state.outbox.keys()]) markFailed(clientMessageId);
          showError(refusalText(error) || error.message || t('notSentError'));
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
    if (consentPending()) { // nothing is sent before the visitor agrees
      showError(t('consentFirst'));
      ui.consentAgree.focus();
      return;
    }
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
      onFailed: (_entry, error) => {
        markFailed(clientMessageId);
        showError(refusalText(error) || t('notSentError'));
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

  // ------------------------------------------------ email for answers (ASYNC-2, ASYNC-3)

  // After the first message of an asynchronous conversation, until the visitor leaves an email or says no.
  function invitePending() {
    const conversation = state.conversation;
    return Boolean(conversation && isOpenStatus(conversation.status) && conversation.asynchronous === true
      && !conversation.notification?.email && state.inviteDoneFor !== conversation.id
      && storage.get(inviteKey) !== conversation.id);
  }

  // set_notification on the open conversation; a field left out stays as it is. Resolves to the new settings.
  async function saveNotification(fields) {
    const conversation = state.conversation;
    if (!conversation || !hasOpenConversation()) throw new ServerError({ code: 'conflict' });
    const ack = await connection.request('set_notification', { conversation_id: conversation.id, ...fields });
    const notification = isPlainObject(ack.notification) ? ack.notification : { ...conversation.notification, ...fields };
    if (state.conversation?.id === conversation.id) state.conversation = { ...state.conversation, notification };
    render();
    return notification;
  }

  function notSaved(error) {
    if (error instanceof ServerError && error.field === 'email') return t('invalidEmail');
    if (error instanceof ServerError && error.code === 'conflict') return t('settingsEnded');
    return t('settingsFailed');
  }

  function showInviteError(text) {
    ui.inviteError.textContent = text;
    ui.inviteError.hidden = !text;
    if (text) ui.inviteEmail.setAttribute('aria-invalid', 'true');
    else ui.inviteEmail.removeAttribute('aria-invalid');
  }

  async function leaveEmail() {
    const email = ui.inviteEmail.value.trim();
    if (!isEmail(email)) {
      showInviteError(t('invalidEmail'));
      ui.inviteEmail.focus();
      return;
    }
    const conversationId = state.conversation?.id;
    ui.inviteSave.disabled = true;
    try {
      const saved = await saveNotification({ email, enabled: true });
      showInviteError('');
      ui.inviteEmail.value = '';
      storage.set(inviteKey, conversationId);
      state.inviteDoneFor = conversationId;
      render();
      announce(t('inviteDone', saved.email || email));
      if (!ui.input.disabled) ui.input.focus(); // the form is gone
    } catch (error) {
      showInviteError(notSaved(error));
    } finally {
      ui.inviteSave.disabled = false;
    }
  }

  function skipInvite() {
    if (state.conversation) storage.set(inviteKey, state.conversation.id);
    showInviteError('');
    render();
    if (!ui.input.disabled) ui.input.focus();
  }

  // ------------------------------------------------ settings (ASYNC-3, ASYNC-5)

  function showSettings() {
    state.view = 'settings';
    ui.settingsStatus.textContent = '';
    fillSettings();
    render();
    ui.settingsTitle.focus();
    if (state.token) refreshHistory().then(() => { ui.hideHistory.checked = state.history?.hidden === true; });
  }

  function showChat() {
    state.view = 'chat';
    render();
    ui.settingsButton.focus();
  }

  // Emails can be chosen while an asynchronous conversation is open.
  function notificationsOffered() {
    return hasOpenConversation() && state.conversation.asynchronous === true;
  }

  function fillSettings() {
    const offered = notificationsOffered();
    const notification = state.conversation?.notification;
    ui.settingsEmail.value = offered ? notification?.email ?? '' : '';
    ui.settingsEmail.removeAttribute('aria-invalid');
    ui.notifyOn.checked = offered && notification?.enabled !== false;
    ui.hideHistory.checked = state.history?.hidden === true;
  }

  function renderSettings() {
    const offered = notificationsOffered();
    ui.notifyFieldset.disabled = !offered;
    ui.notifyHint.hidden = offered;
    ui.settingsDelete.disabled = !offered || !state.conversation.notification?.email;
  }

  function settingsSaid(text) {
    ui.settingsStatus.textContent = text;
  }

  async function saveSettingsEmail() {
    const email = ui.settingsEmail.value.trim();
    if (email && !isEmail(email)) {
      ui.settingsEmail.setAttribute('aria-invalid', 'true');
      settingsSaid(t('invalidEmail'));
      ui.settingsEmail.focus();
      return;
    }
    ui.settingsEmail.removeAttribute('aria-invalid');
    try {
      const saved = await saveNotification({ email: email || null }); // an empty box deletes the address
      settingsSaid(saved.email ? t('emailSaved', saved.email) : t('emailDeleted'));
      if (saved.email && state.conversation) storage.set(inviteKey, state.conversation.id);
    } catch (error) {
      settingsSaid(notSaved(error));
    }
  }

  async function deleteSettingsEmail() {
    try {
      await saveNotification({ email: null });
      ui.settingsEmail.value = '';
      settingsSaid(t('emailDeleted'));
      ui.settingsEmail.focus(); // the button is disabled now
    } catch (error) {
      settingsSaid(notSaved(error));
    }
  }

  async function switchNotifications(enabled) {
    try {
      const saved = await saveNotification({ enabled }); // the address stays as it is
      ui.notifyOn.checked = saved.enabled !== false;
      settingsSaid(saved.enabled === false ? t('notifyDisabled') : t('notifyEnabled'));
    } catch (error) {
      ui.notifyOn.checked = !enabled;
      settingsSaid(notSaved(error));
    }
  }

  async function chooseHistoryHidden(hidden) {
    try {
      await ensureToken();
      await api.preferences({ hide_history: hidden });
      state.history = { ...(state.history ?? { conversations: [] }), hidden };
      renderHistory();
      settingsSaid(hidden ? t('historyHidden') : t('historyShown'));
      await refreshHistory();
    } catch {
      ui.hideHistory.checked = !hidden;
      settingsSaid(t('settingsFailed'));
    }
  }

  // ------------------------------------------------ previous conversations (ASYNC-5)

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
    ui.historySummary.textContent = t('history', previous.length);
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
    item.button.textContent = t('historyItem', formatDate(conversation.created_at), t('historyStatus', conversation.status));
    return item.element;
  }

  async function toggleHistoryItem(item) {
    const open = item.button.getAttribute('aria-expanded') !== 'true';
    item.button.setAttribute('aria-expanded', String(open));
    item.log.hidden = !open;
    if (!open || item.loaded) return;
    item.loaded = true;
    item.log.replaceChildren(h('p', { class: 'hint' }, t('historyLoading')));
    const found = [];
    let afterSeq = 0;
    try {
      await loadPages(api, item.conversation.id, () => afterSeq, (message) => {
        afterSeq = Math.max(afterSeq, message.seq);
        found.push(message);
      });
    } catch {
      item.loaded = false; // tried again on the next opening
      item.log.replaceChildren(h('p', { class: 'hint' }, t('historyFailed')));
      return;
    }
    const shown = found.map((message) => {
      const element = renderMessage(message.sender, message.text, 'stored', 'guichet-history-message');
      if (message.sent_at) element.title = new Date(message.sent_at).toLocaleString();
      return element;
    });
    item.log.replaceChildren(...(shown.length > 0 ? shown : [h('p', { class: 'hint' }, t('historyEmpty'))]));
  }

  function formatDate(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return '';
    return date.toLocaleString(state.lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
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
    if (!firstConnection) {
      api.conversation(conversationId).then((conversation) => updateConversation(conversation, true)).catch(() => {});
    }
    flushOutbox();
    reportPage();
    sendRead();
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
    if (message.sender?.kind === 'agent') {
      state.lastAgentSeq = Math.max(state.lastAgentSeq, message.seq);
      // Counted on the launcher's badge while minimised, however it arrived (push, sync or a reload's history).
      if (ui.panel.hidden && message.seq > state.readSeq) setUnread(state.unread + 1);
    }
    render(); // the outbox may have emptied
    noteSeen();
    return true;
  }

  // Only agents' names are shown; the visitor's own messages need none.
  function renderMessage(sender, text, messageState, testId = 'guichet-message') {
    return renderMessageElement({
      sender,
      text,
      state: messageState,
      testId,
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
