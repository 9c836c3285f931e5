// Guichet widget: a callback email's link (#guichet_callback=<token>, docs/callbacks.md#emails). The loader takes the
// token out of the address bar and imports this module only when there is one (the first load stays light). It
// loads the widget, opens a session as the visitor who asked for the callback (POST /visitors with callback_link),
// and shows that callback (the callbox's showCallback: cancel, change the time, or book again). A link that is not
// valid or has expired is ignored, with a warning: the widget starts as usual.

import { storage } from './loader.js';

export async function open(w, link, loadRest) {
  const { state, keys } = w;
  try {
    if (await loadRest()) {
      const visitor = await w.api.createVisitor({ callback_link: link });
      state.token = visitor.visitor_token;
      storage.set(keys.tokenKey, state.token);
      if (w.showCallback) w.showCallback(visitor.callback_id);
      else w.openPanel(); // a widget without the callbox
    }
  } catch (error) {
    console.warn(`Guichet widget: the callback link is not valid or has expired; the widget starts as usual. ${error}`);
  }
  w.checkAvailability();
}
