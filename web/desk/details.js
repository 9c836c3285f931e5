// What the visitor's page told us, shown on offer cards and in the chat header: the page as a link, and the
// brand's custom data. Visitor text only ever goes into Text nodes.

import { h } from '/widget/connection.js';

// Only http(s) URLs become links: a visitor-supplied javascript: URL must stay inert text.
export function pageLink(page) {
  if (!page?.url) return document.createTextNode(page?.title || 'unknown');
  const label = page.title ? `${page.title} — ${page.url}` : page.url;
  let url;
  try { url = new URL(page.url); } catch { return document.createTextNode(label); }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return document.createTextNode(label);
  const link = h('a', { target: '_blank', rel: 'noopener noreferrer' }, label);
  link.href = url.href;
  return link;
}

export function customEntries(custom) {
  return custom && typeof custom === 'object' ? Object.entries(custom) : [];
}

export function customList(custom, testId) {
  const entries = customEntries(custom);
  if (entries.length === 0) return null;
  return h('ul', { class: 'custom-data', 'data-testid': testId, 'aria-label': 'Custom data' },
    ...entries.map(([key, value]) => h('li', {}, `${key}: ${value}`)));
}
