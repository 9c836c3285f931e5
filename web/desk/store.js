// The desk's state, one store per signed-in desk: server frames and REST answers update it, views read it.
// The collections are plain Maps and Sets owned here; `state` holds the values views render from, changed only
// through set(), which tells every subscriber.

export function createDeskStore(initial = {}) {
  let state = { me: null, ...initial };
  const listeners = new Set();
  return {
    conversations: new Map(), // conversation id -> ConversationView (see createConversationView in desk.js)
    offers: new Map(), // conversation id -> OfferView (see showOffer in desk.js)
    finishedOffers: new Set(), // offer ids accepted, rejected, withdrawn or expired: never shown again
    knownContacts: new Map(), // conversation id -> the customer's record from its offer, or null: none
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
      for (const listener of listeners) listener(state);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
