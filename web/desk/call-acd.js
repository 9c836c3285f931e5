// The Call settings page's "ACD" section (issue 14, CB-5): a tenant may send its callbacks to its own ACD number
// instead of to Guichet's agents. The ACD's agent hears the welcome, types their keypad id (set per agent in
// "Agents' calls"), and the visitor is called into the call. While the ACD number is set, a notice says plainly that
// agents cannot answer these calls from Guichet's desk. The keys are the flat `callback.acd_*` settings
// (chalicelib/domain/callbacks/acd.py); each server error is shown at its input.

import { html } from '/vendor/htm-preact-standalone.module.js';
import { AudioUpload } from '/desk/call-audio.js';
import { Field, NumberField } from '/desk/call-fields.js';

export function AcdSection({ draft, errorAt, error, actions }) {
  const set = (name) => (value) => actions.edit({ [name]: value });
  const common = { errorAt, error };
  const on = Boolean((draft.acd_number ?? '').trim());
  // The welcome's upload also set its length on the server (acd_welcome_ms): the draft takes it too, so that
  // saving the page does not send back the old one.
  const sendAudio = async (kind, wavBase64) => {
    const answer = await actions.upload(kind, wavBase64);
    if (kind === 'acd_welcome') actions.edit({ acd_welcome_ms: Math.round(answer.seconds * 1000) });
    return answer;
  };
  const upload = { upload: sendAudio, onStored: actions.stored, announce: actions.announce };
  return html`
    <section class="cs-section" aria-labelledby="cs-acd-title" data-testid="cs-acd">
      <h3 id="cs-acd-title">ACD</h3>
      <p class="muted cs-hint">Send callbacks to your own ACD (automatic call distributor) instead of Guichet's
        agents: Guichet calls the ACD, plays the welcome, asks the answering agent for their keypad id, then calls
        the visitor into the call.</p>
      ${on ? html`<p class="banner cs-acd-notice" role="note" data-testid="cs-acd-notice">ACD mode is on: calls go
        to the ACD at ${draft.acd_number}. Agents cannot answer them from Guichet's desk; the call shows on the desk
        of the agent whose keypad id the ACD's agent types.</p>` : null}
      <${Field} path="callback.acd_number" label="ACD number" ...${common}
                hint="With + and the country code, e.g. +33 1 23 45 67 89; empty: ACD mode off, Guichet's agents take the calls."
                input=${{ type: 'tel', autocomplete: 'off', value: draft.acd_number ?? '',
                          onInput: (e) => set('acd_number')(e.currentTarget.value) }} />
      <${AudioUpload} kind="acd_welcome" path="callback.acd_welcome" label="ACD welcome"
                      current=${draft.acd_welcome} ...${upload}
                      hint="Plays to whoever answers at the ACD; needed for ACD mode. A WAV or MP3 of at most 200 KB and 60 s."
                      error=${errorAt === 'callback.acd_welcome' ? error?.message : null} />
      <${NumberField} path="callback.acd_welcome_seconds" label="Seconds before the id is asked (0 to 60)" min="0"
                      max="60" value=${draft.acd_welcome_seconds} onChange=${set('acd_welcome_seconds')}
                      hint="Counted from the answer: the welcome plays in full, then silence until this time."
                      ...${common} />
      <${AudioUpload} kind="acd_prompt" path="callback.acd_prompt" label="Agent id prompt" current=${draft.acd_prompt}
                      ...${upload} hint="Asks for the agent's keypad id at each try; none: the welcome asks."
                      error=${errorAt === 'callback.acd_prompt' ? error?.message : null} />
      <${NumberField} path="callback.acd_id_tries" label="Tries to type a known agent id (1 to 5)" min="1" max="5"
                      value=${draft.acd_id_tries} onChange=${set('acd_id_tries')} ...${common}
                      hint="After the last wrong id the ACD is hung up and the attempt is retried later." />
      <${NumberField} path="callback.acd_id_digits" label="Digits in an agent id (1 to 12)" min="1" max="12"
                      value=${draft.acd_id_digits} onChange=${set('acd_id_digits')} ...${common} />
    </section>`;
}
