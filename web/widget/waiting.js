// Guichet widget, stage "waiting": the visitor's place in the queue and the estimated wait, from queue.position pushes.

import { h } from './connection.js';

export function install(w) {
  const { state } = w;
  Object.assign(w, { formatWait, queueMoved });

  function formatWait(seconds) {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return '…';
    if (seconds < 60) return w.t('lessThanMinute');
    return w.t('aboutMinutes', Math.round(seconds / 60));
  }

  function queueMoved(frame) {
    // Before start_conversation's ack the push may be the first news of the conversation.
    const early = !state.conversation && state.starting;
    if (!early && !w.isCurrent(frame.conversation_id)) return;
    state.queue = {
      conversationId: frame.conversation_id,
      position: frame.position,
      estimate: frame.estimated_wait_seconds,
    };
    w.render();
  }
}

export function build() {
  const waitingText = h('p', { class: 'waiting-text' });
  const positionLabel = h('span');
  const position = h('strong', { 'data-testid': 'guichet-position' }, '…');
  const estimateLabel = h('span');
  const estimate = h('strong', { 'data-testid': 'guichet-estimate' }, '…');
  const waiting = h('div', { class: 'stage waiting', 'data-testid': 'guichet-waiting', hidden: '' },
    waitingText,
    h('p', { class: 'queue-line' }, positionLabel, ' ', position),
    h('p', { class: 'queue-line' }, estimateLabel, ' ', estimate));
  return { waitingText, positionLabel, position, estimateLabel, estimate, waiting };
}
