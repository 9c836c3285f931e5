// The console's live preview of the widget (web/desk/admin-look.js, docs/admin.md): preview.html, in an iframe beside
// the Texts and look form, draws the real widget (loader.js, app.js and their modules) with the draft settings that
// the console posts to it, without saving them. Nothing reaches the API: this page's fetch answers GET /widget with
// the draft and the availability check with "available", and leaves every other call pending, so that no visitor
// session and no WebSocket is ever opened. The texts are set as the widget sets them (textContent only).
//
// The console posts { type: 'guichet:preview', settings, lang: 'en' | 'fr', stage } (same origin only), where stage is
// what the panel shows: 'welcome', 'async' (the welcome when answers may wait), 'consent', 'unavailable', 'busy' (the dissuasion text) or 'closed' (out of hours).

import { start } from './loader.js';

const MESSAGE = 'guichet:preview';
const STAGES = new Set(['welcome', 'async', 'consent', 'unavailable', 'busy', 'closed']);
let draft = null;
let stage = 'welcome';
let w = null;

const answer = (body) => Promise.resolve(new Response(JSON.stringify(body), {
  status: 200, headers: { 'Content-Type': 'application/json' },
}));
window.fetch = (url) => {
  const path = new URL(String(url), location.href).pathname;
  if (path.endsWith('/widget')) return answer(draft);
  if (path.endsWith('/availability')) return answer({ available: true, reason: null, asynchronous: false });
  return new Promise(() => {}); // never answered: the preview starts no session
};

window.addEventListener('message', (event) => {
  if (event.origin !== location.origin || event.source !== window.parent || event.data?.type !== MESSAGE) return;
  const { settings, lang } = event.data;
  if (!settings || typeof settings !== 'object') return;
  draft = settings;
  stage = STAGES.has(event.data.stage) ? event.data.stage : 'welcome';
  if (lang === 'en' || lang === 'fr') document.documentElement.lang = lang; // the widget follows the page's language
  if (w) redraw();
  else open();
});

// The first draft: the widget starts on it, and its panel is shown at once (without focus: the admin is typing).
async function open() {
  w = start({
    tenant: 'preview', api: location.origin, ws: undefined, overrides: {}, custom: {}, identity: null, routing: {},
    unavailable: 'message', availabilityMs: 3_600_000,
  });
  const css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = new URL('widget.css', import.meta.url).href;
  const styled = new Promise((resolve) => { css.onload = resolve; css.onerror = resolve; });
  w.ui.root.insertBefore(css, w.ui.launcher);
  const [app] = await Promise.all([import('./app.js'), styled]);
  // The launcher shows and hides the panel here: the loader's own click would start a session.
  w.ui.root.addEventListener('click', (event) => {
    if (!w.ui.launcher.contains(event.target)) return;
    event.stopImmediatePropagation();
    showPanel(w.ui.panel.hidden);
  }, true);
  app.start(w);
  const brand = w.brand;
  // Out of hours, the panel says the "closed" text where it says "unavailable" (the tenant's, or the latter's).
  w.brand = (key) => (key === 'unavailable' && stage === 'closed' ? draft?.texts?.[w.state.lang]?.closed || brand(key)
    : brand(key));
  showPanel(true);
  redraw();
}

function showPanel(shown) {
  w.ui.panel.hidden = !shown;
  w.ui.launcher.setAttribute('aria-expanded', String(shown));
  w.render();
}

function redraw() {
  const { state, ui } = w;
  state.settings = { ...draft, consent_required: stage === 'consent' };
  state.consented = stage !== 'consent';
  state.availabilityAsync = stage === 'async';
  state.conversation = stage === 'busy' ? { id: 'preview', status: 'dissuaded' } : null;
  state.availability = stage === 'unavailable' || stage === 'closed' ? 'unavailable' : 'available';
  const colour = draft.accent_colour;
  if (typeof colour === 'string' && /^#[0-9a-fA-F]{6}$/.test(colour)) ui.host.style.setProperty('--guichet-tenant-accent', colour);
  const logo = typeof draft.logo_url === 'string' && draft.logo_url.startsWith('https://') ? draft.logo_url : '';
  if (ui.logo) {
    if (logo) ui.logo.src = logo;
    else ui.logo.removeAttribute('src');
    ui.logo.hidden = !logo;
  }
  w.applyTexts(); // renders too
}
