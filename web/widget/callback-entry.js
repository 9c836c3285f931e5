// Guichet widget: "Call me back" under the conversation (issue 13), and what must be known before the callbox itself
// loads: whether the tenant offers a callback now (GET /callbacks/slots), the visitor's open callback (kept in
// localStorage, guichet:<tenant>:callback) and its `callback.updated` frames. The callbox (callbox.js, with
// callbox-view.js, slot-picker.js and callbox-texts.js) is imported on first use only: the visitor opens it, there is
// an open callback to show (a reload, a frame), or w.showCallback(id) (an email's link).

import { h } from './connection.js';
import { isPlainObject, storage } from './loader.js';

const OPEN_STATES = ['booked', 'calling', 'retrying', 'connected'];
const OFFERS_MAX_AGE_MS = 30000;

export const isOpenCallback = (callback) => Boolean(callback) && OPEN_STATES.includes(callback.state);

export function build() {
  const callbackOpen = h('button', {
    type: 'button', class: 'secondary callback-open', 'data-testid': 'guichet-callback-open', 'aria-controls': 'callbox',
    'aria-expanded': 'false',
  });
  const callbackSummary = h('p', { class: 'hint', 'data-testid': 'guichet-callback-summary', hidden: '' });
  const callbackEntry = h('div', { class: 'callback-entry', hidden: '' }, callbackOpen, callbackSummary);
  return { callbackOpen, callbackSummary, callbackEntry };
}

export function install(w) {
  const { state, ui, api } = w;
  Object.assign(state, {
    callback: null, // the visitor's callback as the server last said (docs/callbacks.md: the visitor callback)
    callbackOffers: null, // {immediate, scheduled, time_zone, slots} from GET /callbacks/slots
    callbackOffersAt: 0,
    callbackOffersLoading: null,
    callboxLoaded: false,
  });
  let loading = null;
  Object.assign(w, {
    refreshCallbackOffers, showCallbox, showCallback, callbackUpdated, resumeCallback, refreshCallback, renderCallbox,
    applyCallboxTexts,
  });
  // A visitor with a callback open keeps the launcher, whatever the agents' chat load.
  const launcherShown = w.launcherShown;
  w.launcherShown = () => launcherShown() || isOpenCallback(state.callback);
  ui.callbackOpen.addEventListener('click', showCallbox);

  // callbox.js, once; a failure is tried again next time.
  function loadCallbox() {
    loading ??= import('./callbox.js').then((callbox) => {
      callbox.attach(w);
      state.callboxLoaded = true;
    }, (error) => {
      loading = null;
      throw error;
    });
    return loading;
  }

  function failed(error) {
    console.warn('Guichet widget: the callbox could not be loaded.', error);
  }

  function showCallbox() {
    return loadCallbox().then(() => w.openCallbox(), failed);
  }

  // The panel opened on that callback, with Cancel and Change time (a callback email's link).
  function showCallback(id) {
    return loadCallbox().then(() => w.openCallback(id), failed);
  }

  function callbackUpdated(callback) {
    if (isPlainObject(callback)) loadCallbox().then(() => w.applyCallbackUpdate(callback), failed);
  }

  // At start (app.js initialize): the stored open callback, if any. Never rejects.
  function resumeCallback() {
    if (!storage.get(w.keys.callbackKey)) return Promise.resolve();
    return loadCallbox().then(() => w.resumeStoredCallback(), failed);
  }

  // After a reconnection: the states missed meanwhile.
  function refreshCallback() {
    if (state.callboxLoaded && isOpenCallback(state.callback)) w.rereadCallback();
  }

  // The tenant offers callbacks at all (GET /widget's public settings).
  function tenantOffers() {
    const settings = state.settings?.callback;
    return isPlainObject(settings) && (settings.immediate !== 'off' || settings.scheduled !== 'off');
  }

  // GET /callbacks/slots, at most every 30 seconds unless `force`d. Never rejects.
  function refreshCallbackOffers(force = false) {
    if (!tenantOffers()) return Promise.resolve();
    if (!force && Date.now() - state.callbackOffersAt < OFFERS_MAX_AGE_MS) return Promise.resolve();
    state.callbackOffersLoading ??= api.callbackOffers().then((answer) => {
      state.callbackOffers = {
        immediate: answer?.immediate === true,
        scheduled: answer?.scheduled === true,
        time_zone: typeof answer?.time_zone === 'string' ? answer.time_zone : null,
        slots: Array.isArray(answer?.slots) ? answer.slots : [],
      };
      state.callbackOffersAt = Date.now();
    }).catch(() => {}).finally(() => {
      state.callbackOffersLoading = null;
      w.render();
    });
    return state.callbackOffersLoading;
  }

  // Called by render(): the entry while the conversation shows, then the callbox if it is loaded.
  function renderCallbox() {
    const open = isOpenCallback(state.callback);
    const offers = state.callbackOffers;
    const offered = Boolean(offers) && (offers.immediate || (offers.scheduled && offers.slots.length > 0));
    ui.callbackEntry.hidden = state.view !== 'chat' || !(open || offered);
    ui.callbackOpen.textContent = open ? w.t('callbackYours') : w.t('callbackOpen');
    ui.callbackOpen.setAttribute('aria-expanded', String(state.view === 'callback'));
    const summary = open && state.callboxLoaded ? w.callbackText(state.callback) : '';
    ui.callbackSummary.textContent = summary;
    ui.callbackSummary.hidden = !summary;
    if (state.callboxLoaded) w.renderCallboxView();
  }

  function applyCallboxTexts() {
    if (state.callboxLoaded) w.applyCallboxViewTexts();
    if (!ui.panel.hidden) refreshCallbackOffers(); // the tenant's settings may have just arrived
  }
}
