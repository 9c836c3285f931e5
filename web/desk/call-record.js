// The call card's record control (issue 14, CB-9, CB-10): while a call is connected, the agent records it (Record:
// the visitor hears the recording notice first), pauses the recording (Pause recording: silence is recorded
// meanwhile) and resumes it (Resume recording). It shows the recording's state (Recording, Paused, Not recorded) from
// the agent's shape of the callback (`recording_state`), and is disabled, with the reason shown and tied to the
// button by aria-describedby, when the card may not record the call (`may_record` false: the visitor asked not to be
// recorded, or the tenant does not record calls; `no_record_reason`). Pausing a recording under way stays possible.
//
// cards: call-card.js's controls (request(action, fields) answers the ack; update(callback) applies the callback it
// carries). Every desk of the agent also gets callback.updated (docs/websocket.md, "start_recording").

import { html, useRef, useState } from '/vendor/htm-preact-standalone.module.js';

const STATES = {
  off: { text: 'Not recorded', action: 'start_recording', label: 'Record', done: 'Recording started.' },
  on: { text: 'Recording', action: 'pause_recording', label: 'Pause recording', done: 'Recording paused.' },
  paused: { text: 'Paused', action: 'resume_recording', label: 'Resume recording', done: 'Recording resumed.' },
};

// The reason as a sentence: "The visitor asked not to be recorded."
function sentence(text) {
  const said = String(text ?? '').trim();
  return said ? `${said[0].toUpperCase()}${said.slice(1)}${said.endsWith('.') ? '' : '.'}` : '';
}

export function RecordControl({ id, callback, cards }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const sending = useRef(false); // a second click before the re-render sends nothing
  const state = STATES[callback?.recording_state] ? callback.recording_state : 'off';
  const { text, action, label, done } = STATES[state];
  const blocked = callback?.may_record === false && state !== 'on';
  const reason = blocked ? sentence(callback?.no_record_reason) || 'Recording is not available for this call.' : '';
  const reasonId = `call-recording-reason-${id}`;
  const errorId = `call-recording-error-${id}`;
  const described = [reason ? reasonId : '', error ? errorId : ''].filter(Boolean).join(' ') || undefined;

  async function toggle() {
    if (sending.current || blocked) return;
    sending.current = true;
    setBusy(true);
    setError('');
    try {
      const ack = await cards.request(action, { conversation_id: id });
      if (ack?.callback) cards.update({ conversation_id: id, ...ack.callback });
      cards.announce?.(done);
    } catch (failure) {
      setError(`Could not change the recording: ${failure?.message ?? failure}`);
    } finally {
      sending.current = false;
      setBusy(false);
    }
  }

  return html`
    <div class="call-recording call-record-control" data-testid="recording-control" data-state=${state}
         role="group" aria-label="Recording">
      <span class="call-record-state" data-testid="recording-state" data-state=${state} role="status">
        ${text}</span>
      <button type="button" class=${state === 'off' ? 'secondary' : ''} data-testid="recording-toggle"
              data-action=${action} disabled=${busy || blocked} aria-describedby=${described}
              onClick=${toggle}>${label}</button>
      ${reason ? html`<p id=${reasonId} class="muted call-note" data-testid="recording-reason">${reason}</p>` : null}
      ${error ? html`<p id=${errorId} class="call-note" role="alert" data-testid="recording-error">${error}</p>`
        : null}
    </div>`;
}
