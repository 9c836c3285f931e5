// The desk's notices: the error banner (desk-error), the notice banner (desk-notice) and the screen-reader
// announcer, drawn from state.error, state.notice and state.announcement (each null or {text, id}). The controller
// shows and hides them; what they say is plain text.

import { html } from '/vendor/htm-preact-standalone.module.js';

let sayings = 0;

// A text to show: a new id each time, so that the same text said again is a new text node, said again by screen
// readers as when the text was set anew.
const saying = (text) => ({ text, id: ++sayings });

export function createNotices(store) {
  return {
    showError: (text) => store.set({ error: saying(text) }),
    hideError: () => store.set({ error: null }),
    showNotice: (text) => store.set({ notice: saying(text) }),
    hideNotice: () => store.set({ notice: null }),
    announce: (text) => store.set({ announcement: saying(text) }),
  };
}

const Said = ({ text }) => text;

const shown = (note) => note && html`<${Said} key=${note.id} text=${note.text} />`;

export function Notices({ state }) {
  const { error, notice, announcement } = state;
  return html`
    <p id="desk-error" class="error banner" data-testid="desk-error" aria-live="polite" hidden=${!error}>
      ${shown(error)}</p>
    <p id="desk-notice" class="notice banner" data-testid="desk-notice" role="status" hidden=${!notice}>
      ${shown(notice)}</p>
    <p id="announcer" class="visually-hidden" aria-live="polite">${shown(announcement)}</p>`;
}
