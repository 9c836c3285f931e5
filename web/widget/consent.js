// Guichet widget, stage "consent" (ASYNC-6): when the tenant asks for it, its consent text and an "I agree" button
// stand above the message box, which stays disabled until the visitor agrees; nothing is sent before.

import { h } from './connection.js';

export function install(w) {
  const { state, ui } = w;
  Object.assign(w, { consentNeeded, consentPending, agree, refusedForConsent });
  ui.consentAgree.addEventListener('click', agree);

  function consentNeeded() {
    return state.settings?.consent_required === true || state.consentRequired;
  }

  // Before the first message of a conversation, while the tenant asks for consent and the visitor has not agreed:
  // the message box is disabled and nothing is sent.
  function consentPending() {
    return consentNeeded() && !state.consented && !w.engaged() && w.canWrite();
  }

  function agree() {
    state.consented = true;
    w.hideError();
    w.render();
    ui.input.focus();
  }

  // The server refused to start the conversation without the visitor's consent (the settings had not loaded when
  // they wrote): nothing was stored; what they wrote goes back into the message box until they agree.
  function refusedForConsent() {
    state.consentRequired = true;
    state.consented = false;
    w.takeBackOutbox();
    w.hideError();
    w.render();
    if (!ui.panel.hidden) ui.consentAgree.focus();
  }
}

export function build() {
  // GDPR (ASYNC-6): the tenant's text and an "I agree" button, before the first message of a conversation.
  const consentText = h('p', { id: 'consent-text', class: 'stage-text', 'data-testid': 'guichet-consent-text' });
  const consentAgree = h('button', { type: 'button', class: 'primary', 'data-testid': 'guichet-consent-agree' });
  const consent = h('section', {
    class: 'stage consent', 'data-testid': 'guichet-consent', 'aria-labelledby': 'consent-text', hidden: '',
  }, consentText, h('div', { class: 'actions' }, consentAgree));
  return { consentText, consentAgree, consent };
}
