// Where the desk finds its API: the data-api / data-ws attributes of the page's desk.js script tag, else this origin.

import { defaultWsUrl } from '/widget/connection.js';

export function readConfig(scriptUrl) {
  const script = [...document.querySelectorAll('script[src]')].find((s) => s.src === scriptUrl);
  const data = script?.dataset ?? {};
  const api = new URL(data.api || location.origin, location.href).href.replace(/\/+$/, '');
  return { api, ws: data.ws || defaultWsUrl(api) };
}
