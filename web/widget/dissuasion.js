// Guichet widget, stage "dissuasion": all agents are busy (the tenant's text, or the one the server sent); the visitor
// may start a new conversation.

import { h } from './connection.js';

export function install(w) {
  const { ui } = w;
  ui.restart.addEventListener('click', async () => {
    w.beginNewConversation();
    await w.checkAvailability(); // a while has passed: whether an agent can answer now decides what the visitor sees
    (w.canWrite() ? ui.input : ui.notice).focus();
  });
}

export function build() {
  const dissuasionText = h('p', { id: 'dissuasion-text', class: 'stage-text', 'data-testid': 'guichet-dissuasion-text' });
  const dissuasionHint = h('p', { class: 'hint' });
  const restart = h('button', { type: 'button', class: 'primary', 'data-testid': 'guichet-restart' });
  const dissuasion = h('section', {
    class: 'stage dissuasion', 'data-testid': 'guichet-dissuasion', 'aria-labelledby': 'dissuasion-text', hidden: '',
  }, dissuasionText, dissuasionHint, restart);
  return { dissuasionText, dissuasionHint, restart, dissuasion };
}
