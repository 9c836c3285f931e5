// The Call settings page (issue 13), for admins only, toggled from the top bar in place of the conversations like the
// supervisor views (one view at a time: store.state.supervisorView): every callback setting of the tenant
// (chalicelib/domain/callbacks/settings.py, docs/callbacks.md "For admins"): when immediate and scheduled callbacks
// are offered and their hours, the weekly slots with their capacity, holidays, horizon and time zone, the numbers
// that may be called and the daily limits, attempts, spacing, maximum delay and call order, recording; the uploads
// of hold music and of the recording notice (call-audio.js); and each agent's call settings (call-agents.js).
// Saved with PUT /tenants/{tenant}/settings {"callback": {...}}; a refusal names its setting ("callback.slots.3.
// capacity"), and the page shows the message at that input (call-fields.js) and moves the focus there.
// This module is the controller and the top bar's button; the page itself (call-settings-page.js, with the inputs,
// the uploads and the agents' section) is fetched the first time it is opened: agents never load it.

import { ApiError } from '/widget/connection.js';
import { html } from '/vendor/htm-preact-standalone.module.js';
import { mount } from '/desk/store.js';

const NAME = 'call-settings';
let page = null; // the page's component, once fetched

// Nothing until the page's module is here (or why it could not come); then the page.
function LazyView({ state, actions }) {
  if (page) return html`<${page} state=${state} actions=${actions} />`;
  const failure = state.supervisorView === NAME ? state.callSettings?.failure : null;
  return failure ? html`<p class="banner waiting-error" role="alert">${failure}</p>` : null;
}

export const isAdmin = (me) => Array.isArray(me?.roles) && me.roles.includes('admin');

// store: the desk's store; api: the desk's REST client; toggleSlot, viewSlot: where the top bar's button and the page
// are drawn; hide: what the page replaces while shown; announce(text): the screen-reader announcer.
export function createCallSettings({ store, api, toggleSlot, viewSlot, hide, announce }) {
  const isOpen = () => store.state.supervisorView === NAME;
  const update = (patch) => store.set({ callSettings: { ...store.state.callSettings, ...patch } });
  const actions = {
    toggle: () => (isOpen() ? close() : show()),
    load,
    edit: (patch) => update({ draft: { ...store.state.callSettings.draft, ...patch }, saved: '' }),
    save,
    upload: (kind, wavBase64) => api.putCallAudio(kind, wavBase64),
    stored: (kind, key) => {
      const { draft, error } = store.state.callSettings;
      update({ draft: { ...draft, [kind]: key }, error: error?.field === `callback.${kind}` ? null : error });
    },
    announce,
    api,
  };
  let undo = [];

  function start() {
    update({ draft: null, loading: false, failure: null, error: null, saving: false, saved: '' });
    undo = [
      store.subscribe((state) => { if (isOpen() && !isAdmin(state.me)) close(); }),
      mount(toggleSlot, CallSettingsToggle, store, { actions }),
      mount(viewSlot, LazyView, store, { actions }),
    ];
  }

  function stop() {
    close();
    for (const step of undo) step();
    undo = [];
  }

  function show() {
    if (!isAdmin(store.state.me) || isOpen()) return;
    store.set({ supervisorView: NAME });
    for (const element of hide) element.hidden = true;
    if (!page) {
      import('/desk/call-settings-page.js').then((module) => { page = module.CallSettingsView; store.changed(); },
        (failure) => update({ failure: `Could not load the call settings page: ${failure.message}` }));
    }
    load();
  }

  function close() {
    if (!isOpen()) return;
    store.set({ supervisorView: null });
    for (const element of hide) element.hidden = false;
  }

  async function load() {
    update({ loading: true, failure: null, error: null, saved: '' });
    try {
      const settings = await api.settings();
      update({ draft: settings.callback, loading: false });
    } catch (failure) {
      update({ loading: false, failure: `Could not load the call settings: ${failure.message}` });
    }
  }

  async function save() {
    update({ saving: true, error: null, saved: '' });
    try {
      const settings = await api.putSettings({ callback: store.state.callSettings.draft });
      update({ draft: settings.callback, saving: false, saved: 'Call settings saved.' }); // said by its role=status
    } catch (failure) {
      const field = failure instanceof ApiError ? failure.field : undefined;
      update({ saving: false, error: { field, message: failure.message, at: Date.now() } });
    }
  }

  return { start, stop, show, close, isOpen };
}

function CallSettingsToggle({ state, actions }) {
  return html`
    <button id="call-settings-toggle" type="button" class="secondary waiting-toggle" data-testid="call-settings-tab"
            aria-pressed=${String(state.supervisorView === NAME)} aria-controls="call-settings-view"
            hidden=${!isAdmin(state.me)} onClick=${actions.toggle}>Call settings</button>`;
}
