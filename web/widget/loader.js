// Guichet widget, step one (docs/widget.md): all that a brand's page loads until the visitor wants to talk. The
// launcher, the availability check, and whether a conversation is open to resume. The rest (app.js and the stage
// modules, widget.css) loads on the first click, or at once when there is a conversation to resume. Every module
// shares one object, `w`: configuration, state, elements, and the functions that each module adds.

const CHECK_SECONDS = 30; // availability re-check while no conversation is open (data-availability-interval)
const RETRY_MS = 2000; // first retry after a failed check; doubles up to the interval
// The launcher's texts (the rest: texts.js): its title, or the out-of-hours text while the tenant is closed.
const TITLES = {
  en: { title: 'Chat with us', closed: 'We are closed right now.' },
  fr: { title: 'Discutez avec nous', closed: 'Nous sommes fermés pour le moment.' },
};

export const isPlainObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

export const isScalar = (value) => typeof value === 'string' || typeof value === 'boolean'
  || (typeof value === 'number' && Number.isFinite(value));

export const isOpenStatus = (status) => status === 'waiting' || status === 'offered' || status === 'assigned';

const warn = (text) => console.warn(`Guichet widget: ${text}`);

// A data-* attribute holding a JSON object (data-custom, data-identity); anything else is ignored.
function parseObject(raw, attribute) {
  if (!raw) return {};
  try {
    const value = JSON.parse(raw);
    if (isPlainObject(value)) return value;
  } catch { /* reported below */ }
  warn(`${attribute} must hold a JSON object; it is ignored.`);
  return {};
}

function readConfig(data) {
  const api = new URL(data.api || new URL(import.meta.url).origin, location.href).href.replace(/\/+$/, '');
  const identity = parseObject(data.identity, 'data-identity');
  let unavailable = data.unavailable || 'hide'; // "hide": no launcher while no agent can take the visitor
  if (unavailable !== 'hide' && unavailable !== 'message') {
    warn('data-unavailable must be "hide" or "message"; "hide" is used.');
    unavailable = 'hide';
  }
  let seconds = data.availabilityInterval ? Number(data.availabilityInterval) : CHECK_SECONDS;
  if (!(seconds >= 1 && seconds <= 3600)) {
    warn(`data-availability-interval must be 1 to 3600 seconds; ${CHECK_SECONDS} is used.`);
    seconds = CHECK_SECONDS;
  }
  return {
    tenant: data.tenant,
    api,
    ws: data.ws, // default: ws(s)://<api host>/ws (app.js)
    // data-greeting replaces the opening message, whether answers may wait (welcome_async) or not (welcome).
    overrides: { title: data.title, welcome: data.greeting, welcome_async: data.greeting },
    custom: parseObject(data.custom, 'data-custom'),
    identity: Object.keys(identity).length > 0 ? identity : null,
    routing: { queue: data.queue, skill: data.skill, level: data.level }, // for the check and the chat request
    unavailable,
    availabilityMs: seconds * 1000,
  };
}

// fr, fr-FR, fr-CA... -> fr; anything else -> en.
export function pageLanguage() {
  const tag = document.documentElement.getAttribute('lang') || navigator.language || 'en';
  return tag.trim().toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

// Web storage that may be blocked: then nothing is remembered.
function storageIn(area) {
  const use = (action) => {
    try { return action(window[area]); } catch { return null; }
  };
  return {
    get: (key) => use((store) => store.getItem(key)),
    set: (key, value) => use((store) => store.setItem(key, value)),
    remove: (key) => use((store) => store.removeItem(key)),
  };
}

export const storage = storageIn('localStorage');
export const session = storageIn('sessionStorage');

// A notification email's link ends with #guichet_resume=<token> (a callback email's: #guichet_callback=): the token
// is taken and removed from the address bar at once, so that it is neither bookmarked nor seen by the page's own
// scripts later.
function takeLink(name) {
  const fragment = location.hash.slice(1);
  const found = new RegExp(`(?:^|&)${name}=([^&]*)`).exec(fragment);
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

class HttpError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.field = body?.field; // the input at fault, when the server names one
  }
}

// A GET on the tenant's API, with the visitor token when given.
async function read(config, path, token) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${config.api}/tenants/${encodeURIComponent(config.tenant)}${path}`, { headers });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new HttpError(response.status, body);
  return body;
}

function element(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

// Also the console's preview (preview.js).
export function start(config) {
  const { tenant } = config;
  // localStorage keys (app.js adds the others): the visitor token, the conversation to resume after a reload.
  const keys = { tokenKey: `guichet:${tenant}:visitor`, conversationKey: `guichet:${tenant}:conversation`,
    callbackKey: `guichet:${tenant}:callback` }; // an open callback (callbox.js)
  // The host, its shadow root and the launcher; the panel comes with step two (panel.js).
  const host = element('div', { class: 'guichet-widget-host' });
  const root = host.attachShadow({ mode: 'open' });
  const launcherLabel = element('span', { class: 'launcher-label' });
  // Unread agent messages while minimised (ASYNC-4), said to screen readers by unreadLabel.
  const badge = element('span', { class: 'badge', 'data-testid': 'guichet-badge', 'aria-hidden': 'true', hidden: '' });
  const unreadLabel = element('span', { class: 'visually-hidden' });
  const launcher = element('button', {
    type: 'button', class: 'launcher', 'data-testid': 'guichet-launcher', 'aria-expanded': 'false', 'aria-controls': 'panel',
    hidden: '', // until the availability check answers, or the conversation to resume is on screen
  }, launcherLabel, badge, unreadLabel);
  root.append(element('link', { rel: 'stylesheet', href: new URL('launcher.css', import.meta.url).href }), launcher);
  document.body.append(host);
  const ui = { host, root, launcher, launcherLabel, badge, unreadLabel };
  // Step one's state; app.js adds the rest.
  const state = {
    token: storage.get(keys.tokenKey),
    lang: pageLanguage(),
    settings: null, conversation: null, // GET /widget; the current conversation
    outbox: new Map(), // client_message_id -> {text, element, timer, retry}: messages not acknowledged yet
    starting: null, unread: 0, // an in-flight start_conversation; unread agent messages (ASYNC-4)
    resuming: false, // a stored conversation is being looked up: no availability check meanwhile
    availability: null, // 'available' | 'unavailable'; null until the first check answers (or fails)
    availabilityReason: null, // 'full', 'no_rule', or 'unreachable'
    availabilityTimer: null, checking: false, checkFailures: 0, // failures in a row
    refusedContext: new Set(), // 'name=value' of the parameters the server refused
    wasEngaged: false, missingEndpointWarned: false,
    availabilityAsync: false, // this page's rule lets conversations wait (ASYNC-1)
    // Outside the tenant's opening hours (issue 16): {nextOpening: ISO instant or null}; null while open.
    closed: null,
    resumeLink: takeLink('guichet_resume'),
  };
  const callbackLink = takeLink('guichet_callback');
  // render and applyTexts are the launcher's until app.js brings the whole widget's.
  const w = {
    config, keys, state, ui, defaults: TITLES, brand, engaged, canWrite, launcherShown, followEngagement, closedNow,
    launcherText,
    checkAvailability, setAvailability, hasOpenConversation, pageContext, pageUrl, customData, routingNeeds, panelOpen,
    render: () => {
      launcher.hidden = !launcherShown();
      followEngagement();
    },
    applyTexts: () => {
      launcher.lang = state.lang;
      launcherLabel.textContent = launcherText();
    },
  };
  let loading = null;

  launcher.addEventListener('click', async () => {
    if (await loadRest()) (panelOpen() ? w.closePanel : w.openPanel)();
  });
  window.addEventListener('online', () => {
    if (state.checkFailures > 0) checkAvailability();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') checkAvailability();
  });
  new MutationObserver(() => {
    if (pageLanguage() === state.lang) return;
    state.lang = pageLanguage();
    w.applyTexts();
  }).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });

  w.applyTexts();
  loadSettings();
  // A visitor who was chatting before a reload is reconnected at once; a notification email's link opens the panel
  // on its conversation. The launcher shows with the panel as it was (app.js), in the same task. The others are
  // offered chat if an agent group can take them. A callback email's link opens the widget on its callback.
  if (callbackLink) import('./callback-link.js').then((link) => link.open(w, callbackLink, loadRest), checkAvailability);
  else if (state.resumeLink || (state.token && (storage.get(keys.conversationKey) || storage.get(keys.callbackKey)))) {
    state.resuming = true;
    loadRest().then((loaded) => {
      if (loaded) return w.resumeConversation();
      state.resuming = false;
      w.render();
      return checkAvailability();
    });
  } else {
    checkAvailability();
  }
  return w;

  function panelOpen() {
    return Boolean(ui.panel) && !ui.panel.hidden;
  }

  // Step two, once: app.js and the panel's stylesheet (loaded first: the panel never shows unstyled). Resolves to
  // whether it loaded; a failure is tried again on the next click.
  function loadRest() {
    loading ??= Promise.all([import('./app.js'), new Promise((resolve) => {
      const link = element('link', { rel: 'stylesheet', href: new URL('widget.css', import.meta.url).href });
      link.onload = resolve;
      link.onerror = resolve;
      root.insertBefore(link, launcher);
    })]).then(([app]) => {
      app.start(w);
      return true;
    }, (error) => {
      loading = null;
      warn(`it could not be loaded. ${error}`);
      return false;
    });
    return loading;
  }

  function brand(key) {
    return config.overrides[key] || state.settings?.texts?.[state.lang]?.[key] || w.defaults[state.lang][key];
  }

  async function loadSettings() {
    try {
      state.settings = await read(config, '/widget', state.token);
    } catch {
      return; // the defaults stay
    }
    const colour = state.settings?.accent_colour;
    // The page's --guichet-accent wins over this one.
    if (typeof colour === 'string' && /^#[0-9a-fA-F]{6}$/.test(colour)) host.style.setProperty('--guichet-tenant-accent', colour);
    w.applyTexts();
  }

  // A chat under way (or being looked up after a reload) is served whatever the agents' load.
  function engaged() {
    return state.resuming || hasOpenConversation() || state.starting !== null || state.outbox.size > 0;
  }

  function canWrite() {
    return engaged() || state.availability === 'available';
  }

  // An open panel keeps its launcher (the toggle), and so does a conversation on screen (its end screen). Outside
  // opening hours the launcher says so (its label is the closed text), whatever data-unavailable asks.
  function launcherShown() {
    if (engaged() || state.conversation !== null || panelOpen() || state.availability === 'available') return true;
    if (closedNow()) return true;
    return state.availability !== null && config.unavailable === 'message';
  }

  // The tenant is closed (its opening hours) and no chat is under way: the closed text replaces the chat button's.
  function closedNow() {
    return state.closed !== null && !engaged();
  }

  function launcherText() {
    return brand(closedNow() ? 'closed' : 'title');
  }

  // Checks pause while a chat is under way, and start again at once when it ends (or its start is refused).
  function followEngagement() {
    const label = launcherText();
    if (launcherLabel.textContent !== label) launcherLabel.textContent = label;
    const now = engaged();
    if (now) {
      clearTimeout(state.availabilityTimer);
      state.availabilityTimer = null;
    } else if (state.wasEngaged) {
      queueMicrotask(checkAvailability);
    }
    state.wasEngaged = now;
  }

  // A hidden page is not polled: it checks again when it becomes visible.
  function scheduleCheck(ms) {
    clearTimeout(state.availabilityTimer);
    state.availabilityTimer = engaged() ? null : setTimeout(() => {
      state.availabilityTimer = null;
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
      const { available, reason, asynchronous, closed, nextOpening } = await fetchAvailability();
      state.checkFailures = 0;
      const wasClosed = state.closed;
      state.closed = closed ? { nextOpening } : null;
      if ((wasClosed === null) !== (state.closed === null) || wasClosed?.nextOpening !== state.closed?.nextOpening) {
        host.dataset.closed = String(closed); // the page may style or script the out-of-hours state
        w.render();
      }
      if (asynchronous !== state.availabilityAsync) {
        state.availabilityAsync = asynchronous; // the opening message and the minimise control follow it
        w.render();
      }
      setAvailability(available, reason);
    } catch (error) {
      // The previous state stays; on the first check, no chat is offered yet.
      if (state.checkFailures === 0) warn(`the availability check failed. ${error}`);
      state.checkFailures += 1;
      if (state.availability === null) setAvailability(false, 'unreachable');
      next = Math.min(config.availabilityMs, RETRY_MS * 2 ** (state.checkFailures - 1));
    } finally {
      state.checking = false;
    }
    scheduleCheck(next);
  }

  // GET /availability with what routing looks at. A parameter the server refuses (400 naming it) is left out.
  async function fetchAvailability() {
    for (;;) {
      const parameters = availabilityParameters();
      try {
        // %20 for a space, not URLSearchParams' "+": API Gateway does not decode "+" in query strings.
        const query = parameters.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
        const answer = await read(config, `/availability?${query.join('&')}`);
        const available = answer?.available === true;
        return {
          available,
          reason: available || typeof answer?.reason !== 'string' ? null : answer.reason,
          asynchronous: answer?.asynchronous === true,
          closed: answer?.closed === true,
          nextOpening: typeof answer?.next_opening === 'string' ? answer.next_opening : null,
        };
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        if (error.status === 400) {
          const field = String(error.field ?? '');
          const refused = parameters.filter(([name]) => field === name
            || (field === 'custom' && name.startsWith('custom.'))
            || ((field === 'skill' || field.startsWith('skill.')) && (name === 'skill' || name === 'level')));
          if (refused.length === 0) throw error;
          warn(`the server refused ${error.field} (${error.message}); availability is checked without it.`);
          refused.forEach(([name, value]) => state.refusedContext.add(`${name}=${value}`));
          continue;
        }
        if ((error.status === 403 || error.status === 404) && !error.code) {
          // An API deployed before this route: chat is offered, as it was then.
          if (!state.missingEndpointWarned) warn('the API has no availability route.');
          state.missingEndpointWarned = true;
          return { available: true, reason: null, asynchronous: false, closed: false, nextOpening: null };
        }
        throw error;
      }
    }
  }

  function availabilityParameters() {
    const context = pageContext();
    const parameters = [['url', pageUrl()]];
    for (const [name, value] of Object.entries(routingNeeds(context))) {
      if (value !== undefined) parameters.push([name, value]);
    }
    for (const [name, value] of Object.entries(customData(context))) {
      if (isScalar(value)) parameters.push([`custom.${name}`, String(value)]);
    }
    return parameters.filter(([name, value]) => !state.refusedContext.has(`${name}=${value}`));
  }

  // What the page asks of the agents, as text (undefined when not asked); window.guichetContext wins over the tag.
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
    host.dataset.availability = value;
    if (why) host.dataset.availabilityReason = why;
    else delete host.dataset.availabilityReason;
    w.render();
    if (available && panelOpen()) w.ensureInitialized(); // the panel was open on the "unavailable" text
    window.dispatchEvent(new CustomEvent('guichet:availability', { detail: { available, reason: why } }));
  }

  function hasOpenConversation() {
    return state.conversation !== null && isOpenStatus(state.conversation.status);
  }

  function pageContext() {
    return isPlainObject(window.guichetContext) ? window.guichetContext : {};
  }

  function pageUrl() {
    return location.href.slice(0, 2048); // at most 2,048 characters, in the check and the chat request
  }

  // data-custom, with window.guichetContext.custom's fields winning.
  function customData(context) {
    return { ...config.custom, ...(isPlainObject(context.custom) ? context.custom : {}) };
  }
}

// options: the script tag's data-* attributes.
export function mount(options) {
  const config = readConfig(options);
  if (!config.tenant) {
    warn('the script tag needs a data-tenant attribute.');
    return;
  }
  // A plain tag in <head> runs before <body> exists.
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => start(config), { once: true });
  else start(config);
}
