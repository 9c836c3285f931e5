// Guichet chat widget. A brand embeds it with one plain tag (a type="module" tag works as well), no build step:
//   <script src="https://cdn.example/widget/widget.js" data-tenant="demo"></script>
// Its data-* attributes and window.guichetContext are described in docs/widget.md.
// A classic script, so that the plain tag works: it reads its own tag while it runs (document.currentScript) and
// imports loader.js from next to itself, the first of the widget's two steps.
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
