// The desk's state, one store per signed-in desk: server frames and REST answers update it, views read it.
// `state` holds plain values (me, settings, connected, ...), changed only through set(); the collections below are
// Maps and Sets owned here, which their controllers change in place and then call changed(). Either way every
// subscriber hears of it, and mount() draws a Preact view again from the store.

import { html, render } from '/vendor/htm-preact-standalone.module.js';

export function createDeskStore(initial = {}) {
  let state = { me: null, ...initial };
  const listeners = new Set();
  const notify = () => {
    for (const listener of listeners) listener(state);
  };
  return {
    conversations: new Map(), // conversation id -> ConversationView (see createConversationView)
    offers: new Map(), // conversation id -> OfferView (see offers.js)
    finishedOffers: new Set(), // offer ids accepted, rejected, withdrawn or expired: never shown again
    knownContacts: new Map(), // conversation id -> the customer's record from its offer, or null: none
    // Calls (call-card.js): a call's conversation id -> {callback, origin, ...}, from offer and callback.updated frames.
    callbacks: new Map(),
    // Off the desk but still ours (ASYNC-10, ASYNC-13): conversation id -> conversation (full shape).
    snoozed: new Map(),
    reserved: new Map(),
    // Agents the API has named to us (the tenant's agents, message senders, holders in the held report): id -> name,
    // to say who transferred a chat. The transfer pickers list the tenant's agents (GET /agents, asked when a picker
    // opens, kept a few seconds); these names are their fallback when that list cannot be read.
    knownAgents: new Map(),
    get state() {
      return state;
    },
    set(patch) {
      state = { ...state, ...patch };
      notify();
    },
    // A collection above changed in place.
    changed: notify,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

// Draws the Preact component `View` into `container` with props {store, state, ...props}, and again whenever the
// store changes. Answers a function that stops drawing and empties the container.
export function mount(container, View, store, props = {}) {
  const draw = () => render(html`<${View} store=${store} state=${store.state} ...${props} />`, container);
  const unsubscribe = store.subscribe(draw);
  draw();
  return () => {
    unsubscribe();
    render(null, container);
  };
}
