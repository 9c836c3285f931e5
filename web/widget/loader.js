// Guichet chat widget, first step: the loader, an ES module imported by widget.js (the brand's one plain tag; see
// docs/widget.md). It is all a brand's page pays for until the visitor wants to talk: the launcher, the availability
// check (GET /tenants/{tenant}/availability, again every 30 s while no conversation is open; the state is on the host
// element, data-availability, and in a `guichet:availability` event on window) and resuming an open conversation.
// The rest of the widget (app.js and its stage modules, widget.css) is imported on the first click on the launcher,
// or at once when a conversation is open (the stored conversation key, or a notification email's
// #guichet_resume=... link). The modules share one object, `w`: the configuration, the state, the elements and the
// functions each stage adds (app.js).

const AVAILABILITY_SECONDS = 30; // re-check interval while no conversation is open (data-availability-interval)
const AVAILABILITY_RETRY_MS = 2000; // first retry after a failed check; doubles up to the interval
const AVAILABILITY_EVENT = 'guichet:availability';
const RESUME_PARAMETER = 'guichet_resume'; // a notification email's link: #guichet_resume=<token>
// The launcher's default title (the tenant's texts come with GET /widget; the rest are in texts.js).
const TITLES = { en: { title: 'Chat with us' }, fr: { title: 'Discutez avec nous' } };

// ---------------------------------------------------------------- configuration

export function isPlainObject(value) {
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
    ws: data.ws, // default: ws(s)://<api host>/ws (app.js)
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
export function pageLanguage() {
  const tag = document.documentElement.getAttribute('lang') || navigator.language || 'en';
  return tag.trim().toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

// ---------------------------------------------------------------- small helpers

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

export const storage = storageIn('localStorage');
export const session = storageIn('sessionStorage');

export function isOpenStatus(status) {
  return status === 'waiting' || status === 'offered' || status === 'assigned';
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

// ---------------------------------------------------------------- REST (the two reads of the first step)

export class HttpError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.field = body?.field; // the input at fault, when the server names one
  }
}

// GET on the tenant's API; the visitor token only when given.
async function read(config, path, token) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${config.api}/tenants/${encodeURIComponent(config.tenant)}${path}`, { headers });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new HttpError(response.status, body);
  return body;
}

export function isScalar(value) {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

// ---------------------------------------------------------------- the first step

// The host element, its shadow root and the launcher; the panel comes with the second step.
function buildLauncher() {
  const element = (tag, attributes, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    node.append(...children);
    return node;
  };
  const host = element('div', { class: 'guichet-widget-host' });
  const root = host.attachShadow({ mode: 'open' });
  const launcherLabel = element('span', { class: 'launcher-label' });
  // The count of unread agent messages while minimised (ASYNC-4); screen readers get it from unreadLabel.
  const badge = element('span', { class: 'badge', 'data-testid': 'guichet-badge', 'aria-hidden': 'true', hidden: '' });
  const unreadLabel = element('span', { class: 'visually-hidden' });
  const launcher = element('button', {
    type: 'button', class: 'launcher', 'data-testid': 'guichet-launcher', 'aria-expanded': 'false', 'aria-controls': 'panel',
  }, launcherLabel, badge, unreadLabel);
  root.append(element('link', { rel: 'stylesheet', href: new URL('launcher.css', import.meta.url).href }), launcher);
  document.body.append(host);
  return { host, root, launcher, launcherLabel, badge, unreadLabel, element };
}

function start(config) {
  const { tenant } = config;
  const keys = {
    tokenKey: `guichet:${tenant}:visitor`,
    conversationKey: `guichet:${tenant}:conversation`, // the conversation to resume after a reload
    panelKey: `guichet:${tenant}:panel`, // per tab: was the panel open
    readKey: `guichet:${tenant}:read`, // {conversation_id, seq}: the messages the visitor has seen (badge)
    inviteKey: `guichet:${tenant}:invite`, // the conversation whose email invitation was answered or skipped
  };
  const ui = buildLauncher();
  // What the first step needs; app.js adds the rest of the widget's state.
  const state = {
    token: storage.get(keys.tokenKey),
    lang: pageLanguage(),
    settings: null, // GET /widget, once loaded
    conversation: null, // the current conversation; null until the visitor's first message
    outbox: new Map(), // client_message_id -> {text, element, timer, retry}; cleared by acks
    starting: null, // in-flight start_conversation
    unread: 0,
    resuming: false, // a stored conversation is being looked up after a reload: no availability check meanwhile
    availability: null, // 'available' | 'unavailable'; null until the first check's answer (or failure)
    availabilityReason: null, // the server's reason ('full', 'no_rule'), or 'unreachable' when the check failed
    availabilityTimer: null,
    checking: false, // an availability check in flight
    checkFailures: 0, // failed checks in a row (network, server error)
    refusedContext: new Set(), // 'name=value' of check parameters the server refused: left out afterwards
    wasEngaged: false,
    missingEndpointWarned: false,
    availabilityAsync: false, // the availability answer: conversations of this page's rule may wait (ASYNC-1)
    resumeLink: takeResumeLink(), // a notification email's link token, used once to open the session
  };
  // render and applyTexts are the launcher's until app.js replaces them with the whole widget's.
  const w = {
    config, keys, state, ui, defaults: TITLES, brand, engaged, canWrite, launcherShown, followEngagement,
    checkAvailability, setAvailability, hasOpenConversation, pageContext, pageUrl, customData, routingNeeds, panelOpen,
    render: () => {
      ui.launcher.hidden = !launcherShown();
      followEngagement();
    },
    applyTexts: () => {
      ui.launcher.lang = state.lang;
      ui.launcherLabel.textContent = brand('title');
    },
  };
  let loading = null;

  ui.launcher.addEventListener('click', async () => {
    if (await loadRest()) (panelOpen() ? w.closePanel : w.openPanel)();
  });
  window.addEventListener('online', () => {
    if (state.checkFailures > 0) checkAvailability();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') checkAvailability();
  });
  new MutationObserver(() => {
    const lang = pageLanguage();
    if (lang !== state.lang) {
      state.lang = lang;
      w.applyTexts();
    }
  }).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });

  w.applyTexts();
  loadSettings();
  // A visitor who was chatting before a reload is reconnected at once (the badge counts what arrives), with the
  // launcher shown as before: the rest of the widget loads now. The others are offered chat only if an agent group
  // can take them. A notification email's link opens the panel on its conversation.
  if (state.resumeLink || (state.token && storage.get(keys.conversationKey))) {
    state.resuming = true;
    w.render();
    loadRest().then((loaded) => {
      if (loaded) {
        w.resumeConversation();
      } else {
        state.resuming = false;
        w.render();
        checkAvailability();
      }
    });
  } else {
    checkAvailability();
  }

  function panelOpen() {
    return Boolean(ui.panel) && !ui.panel.hidden;
  }

  // The second step, once: the panel's stylesheet and app.js (which imports the stage modules). Resolves to whether
  // it loaded; a failure is tried again on the next click.
  function loadRest() {
    loading ??= Promise.all([import('./app.js'), panelStylesheet()])
      .then(([app]) => {
        app.start(w);
        return true;
      })
      .catch((error) => {
        loading = null;
        console.warn('Guichet widget: it could not be loaded.', error);
        return false;
      });
    return loading;
  }

  // Loaded before the panel is shown, so that it never appears unstyled.
  function panelStylesheet() {
    const link = ui.element('link', { rel: 'stylesheet', href: new URL('widget.css', import.meta.url).href });
    const loaded = new Promise((resolve) => {
      link.addEventListener('load', resolve, { once: true });
      link.addEventListener('error', resolve, { once: true });
    });
    ui.root.insertBefore(link, ui.launcher);
    return loaded;
  }

  function brand(key) {
    const override = config.overrides[key];
    if (override) return override;
    return state.settings?.texts?.[state.lang]?.[key] || w.defaults[state.lang][key];
  }

  async function loadSettings() {
    try {
      state.settings = await read(config, '/widget', state.token);
    } catch {
      return; // the defaults stay
    }
    const colour = state.settings?.accent_colour;
    if (typeof colour === 'string' && /^#[0-9a-fA-F]{6}$/.test(colour)) {
      ui.host.style.setProperty('--guichet-tenant-accent', colour); // the page's --guichet-accent wins
    }
    w.applyTexts();
  }

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
    if (engaged() || state.conversation !== null || panelOpen()) return true;
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
        w.render();
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
        const answer = await read(config, `/availability?${query.join('&')}`);
        const available = answer?.available === true;
        return {
          available,
          reason: available || typeof answer?.reason !== 'string' ? null : answer.reason,
          asynchronous: answer?.asynchronous === true, // the rule lets conversations wait (ASYNC-1)
        };
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
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
    w.render();
    if (available && panelOpen()) w.ensureInitialized(); // the panel was open on the "unavailable" text
    window.dispatchEvent(new CustomEvent(AVAILABILITY_EVENT, { detail: { available, reason: why } }));
  }

  function hasOpenConversation() {
    return state.conversation !== null && isOpenStatus(state.conversation.status);
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
