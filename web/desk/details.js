// What the visitor's page told us, shown on offer cards and in the chat header: the page as a link, and the
// brand's custom data, as Preact components. Visitor text is only ever rendered as text.

import { html } from '/vendor/htm-preact-standalone.module.js';

// Only http(s) URLs become links: a visitor-supplied javascript: URL must stay inert text. Answers the href, or null.
function safeHref(rawUrl) {
  let url;
  try { url = new URL(rawUrl); } catch { return null; }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
}

export function PageLink({ page }) {
  if (!page?.url) return page?.title || 'unknown';
  const label = page.title ? `${page.title} — ${page.url}` : page.url;
  const href = safeHref(page.url);
  return href ? html`<a href=${href} target="_blank" rel="noopener noreferrer">${label}</a>` : label;
}

export function customEntries(custom) {
  return custom && typeof custom === 'object' ? Object.entries(custom) : [];
}

// The brand's custom data as a list, or nothing when there is none.
export function CustomData({ custom, testId }) {
  const entries = customEntries(custom);
  if (entries.length === 0) return null;
  return html`
    <ul class="custom-data" data-testid=${testId} aria-label="Custom data">
      ${entries.map(([key, value]) => html`<li key=${key}>${`${key}: ${value}`}</li>`)}
    </ul>`;
}
