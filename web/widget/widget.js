// Guichet chat widget: the loader. A brand embeds the widget with one plain tag, no build step:
//   <script src="https://cdn.example/widget/widget.js" data-tenant="demo"></script>
// (a type="module" tag works as well). Optional attributes:
//   data-api       REST base URL (default: this script's origin)
//   data-ws        WebSocket URL (default: ws(s)://<api host>/ws)
//   data-custom    JSON object of custom data sent with the chat request (at most 20 short fields), e.g.
//                  data-custom='{"customer_id": "C-1234", "cart_value": 89.9}'
//   data-identity  JSON of a logged-in customer's identity signed by the brand's server:
//                  {"external_id", "name", "email", "signature"} (see docs/widget.md)
//   data-title, data-greeting   override the tenant's title and welcome texts
//   data-unavailable   "hide" (default: no launcher while no agent can take a visitor) or "message" (the launcher
//                  opens on the tenant's "unavailable" text)
//   data-availability-interval   seconds between availability checks while no chat is open (default 30)
//   data-queue, data-skill, data-level   the queue, and the skill with its minimum level, this page asks for
// The page may also set window.guichetContext = { custom, name, email, identity, queue, skill, level } before the
// visitor's first message. Everything is described in docs/widget.md.
//
// This file is a classic script so that the plain tag works: it reads its own tag while it runs
// (document.currentScript) and imports the loader, loader.js, from next to itself: the launcher and the
// availability check. The rest of the widget loads on the first click (loader.js).
(function loadGuichetWidget() {
  'use strict';

  // A module script has no currentScript: its tag is then found by its src.
  const script = document.currentScript
    ?? [...document.querySelectorAll('script[src][data-tenant]')].find((tag) => /\/widget\.js(?:[?#]|$)/.test(tag.src));
  if (!script) {
    console.warn('Guichet widget: the script tag was not found; it needs a data-tenant attribute.');
    return;
  }
  // One widget per page: a second tag (or a second load of this file) would share the visitor's storage.
  const loaded = Symbol.for('guichet.widget');
  if (window[loaded]) return;
  window[loaded] = true;

  const options = { ...script.dataset };
  import(new URL('loader.js', script.src).href)
    .then((loader) => loader.mount(options))
    .catch((error) => console.warn('Guichet widget: it could not be loaded.', error));
}());
