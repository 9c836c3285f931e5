// CHAT-4: the status bar's queue toggles, one switch per queue the agent belongs to; offers come only from the
// queues switched on. A refused switch draws the toggles again from the agent the server holds, which puts the box
// back.

import { html } from '/vendor/htm-preact-standalone.module.js';

export function QueueToggles({ agent, onSwitch }) {
  const off = new Set(agent?.queues_off ?? []);
  return (agent?.queues ?? []).map((queue) => html`
    <label class="queue-toggle" key=${queue}>
      <input type="checkbox" data-testid="queue-toggle" data-queue=${queue} checked=${!off.has(queue)}
             onChange=${(event) => onSwitch(queue, event.currentTarget.checked)} />${` ${queue}`}
    </label>`);
}
