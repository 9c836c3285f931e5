// The call card's consult controls (issue 14, CB-10; docs/callbacks.md, "Consult, conference and transfer to a
// number"): while the agent is on a connected call, Consult an agent or a number (the visitor goes on hold and never
// hears the consult), then Return to the visitor or Conference; and Transfer to a number (cold: the call ends for the
// agent, the visitor is put through). The consult's state comes from the callback's `consult` (callback.updated and
// the actions' acks: docs/websocket.md); a number is shown masked. Every control is a labelled form control, reachable
// with the keyboard; an error naming a field is shown under that field.

import { html, useEffect, useState } from '/vendor/htm-preact-standalone.module.js';

const CONSULTING = new Set(['ringing', 'talking']);
const OUTCOME_TEXT = {
  no_answer: 'did not answer', busy: 'was busy', declined: 'declined the call', hung_up: 'hung up',
  ended: 'was hung up: you are back with the visitor', transfer_failed: 'did not answer: the visitor was hung up',
};

// What the card says of the consult: "Consulting Bob. The visitor is on hold and cannot hear you."...
export function consultText(consult) {
  if (!consult) return '';
  const who = consult.name || (consult.kind === 'number' ? 'the number' : 'the agent');
  switch (consult.state) {
    case 'ringing': return `Calling ${who}. The visitor is on hold.`;
    case 'talking': return `Consulting ${who}. The visitor is on hold and cannot hear you.`;
    case 'conference': return `Conference: you, the visitor and ${who}.`;
    case 'transferring': return `Transferring the visitor to ${who}: they hear the music until it answers.`;
    case 'transferred': return `The visitor is put through to ${who}.`;
    default: return OUTCOME_TEXT[consult.outcome] ? `${who} ${OUTCOME_TEXT[consult.outcome]}.` : '';
  }
}

// Whether the visitor must stay out of the room (call-card.js hides Resume then).
export function consulting(callback) {
  return CONSULTING.has(callback?.consult?.state);
}

// The actions. deps: request(action, fields) (the desk's socket), announce(text), showError(text), directory (the
// tenant's agents: list(), cached()), me(). card: update(callback) and patch(id, changes) of call-card.js.
export function createConsult(deps, card) {
  async function send(id, action, fields, said, failed) {
    card.patch(id, { busy: true });
    try {
      const ack = await deps.request(action, { conversation_id: id, ...fields });
      if (ack?.callback) card.update({ conversation_id: id, ...ack.callback });
      deps.announce(said);
      return null;
    } catch (error) {
      deps.showError(`${failed}: ${error.message}`);
      return error;
    } finally {
      card.patch(id, { busy: false });
    }
  }
  return {
    agents: () => (deps.directory?.cached() ?? []).filter((agent) => agent.id !== deps.me?.()?.id),
    loadAgents: () => deps.directory?.list?.().catch(() => []) ?? Promise.resolve([]),
    consult: (id, target) => send(id, 'consult_call', target, 'The visitor is on hold while you consult.',
      'Could not consult'),
    end: (id) => send(id, 'end_consult', {}, 'Back with the visitor.', 'Could not return to the visitor'),
    conference: (id) => send(id, 'conference_call', {}, 'The visitor joins: the three of you are in conference.',
      'Could not start the conference'),
    transferOut: (id, number) => send(id, 'transfer_out', { to_number: number },
      'The visitor is being transferred. Wrap up the call.', 'Could not transfer the call'),
  };
}

// The controls of the call card. id: the call's conversation; callback: its agent view; busy: an action is under
// way; connected: the agent holds the connected call; actions: createConsult's.
export function CallConsult({ id, callback, busy, connected, actions }) {
  const consult = callback?.consult ?? null;
  const state = consult?.state ?? '';
  const said = consultText(consult);
  return html`
    <section class="call-consult" data-testid="call-consult" data-consult-state=${state}
             aria-label="Consult and transfer">
      ${said ? html`<p class="call-consult-state" data-testid="call-consult-state" role="status">${said}</p>` : null}
      ${connected && (CONSULTING.has(state) || state === 'conference') ? html`
        <div class="call-consult-actions" role="group" aria-label="Consult">
          <button type="button" data-testid="call-consult-return" disabled=${busy}
                  onClick=${() => actions.end(id)}>Return to the visitor</button>
          <button type="button" class="secondary" data-testid="call-consult-conference" hidden=${state !== 'talking'}
                  disabled=${busy} onClick=${() => actions.conference(id)}>Conference</button>
        </div>` : null}
      ${connected && !state ? html`<${ConsultForms} id=${id} busy=${busy} actions=${actions} />` : null}
    </section>`;
}

function ConsultForms({ id, busy, actions }) {
  const [agents, setAgents] = useState(actions.agents());
  const [error, setError] = useState(null); // {field, text}
  const fieldError = (field) => (error?.field === field ? error.text : '');
  const run = async (promise) => {
    const failed = await promise;
    setError(failed ? { field: failed.field || '', text: failed.message } : null);
  };
  const value = (event, name) => event.currentTarget.form?.elements.namedItem(name)?.value?.trim() ?? '';
  const load = () => actions.loadAgents().then(() => setAgents(actions.agents()));
  useEffect(() => { load(); }, []);
  const numberId = `call-consult-number-${id}`;
  const agentId = `call-consult-agent-${id}`;
  return html`
    <form class="call-consult-form" data-testid="call-consult-form" onSubmit=${(event) => event.preventDefault()}>
      <div class="call-consult-field">
        <label for=${agentId}>Consult an agent</label>
        <select id=${agentId} name="to_agent" data-testid="call-consult-agent" onFocus=${load}
                aria-describedby=${fieldError('to_agent') ? `${agentId}-error` : undefined}>
          <option value="">Choose an agent</option>
          ${agents.map((agent) => html`<option key=${agent.id} value=${agent.id}>
            ${agent.status ? `${agent.name} (${agent.status})` : agent.name}</option>`)}
        </select>
        <button type="button" class="secondary" data-testid="call-consult-agent-submit" disabled=${busy}
                onClick=${(event) => {
                  const chosen = value(event, 'to_agent');
                  if (!chosen) setError({ field: 'to_agent', text: 'Choose an agent.' });
                  else run(actions.consult(id, { to_agent: chosen }));
                }}>Consult agent</button>
        ${fieldError('to_agent') ? html`<p id=${`${agentId}-error`} class="error" data-testid="call-consult-error"
                                          role="alert">${fieldError('to_agent')}</p>` : null}
      </div>
      <div class="call-consult-field">
        <label for=${numberId}>Phone number</label>
        <input id=${numberId} name="to_number" type="tel" autocomplete="off" maxlength="40"
               data-testid="call-consult-number" placeholder="+33 1 23 45 67 89"
               aria-invalid=${fieldError('to_number') ? 'true' : 'false'}
               aria-describedby=${fieldError('to_number') ? `${numberId}-error` : undefined} />
        <button type="button" class="secondary" data-testid="call-consult-number-submit" disabled=${busy}
                onClick=${(event) => {
                  const number = value(event, 'to_number');
                  if (!number) setError({ field: 'to_number', text: 'Type a phone number.' });
                  else run(actions.consult(id, { to_number: number }));
                }}>Consult number</button>
        <button type="button" class="secondary" data-testid="call-transfer-out" disabled=${busy}
                onClick=${(event) => {
                  const number = value(event, 'to_number');
                  if (!number) setError({ field: 'to_number', text: 'Type a phone number.' });
                  else run(actions.transferOut(id, number));
                }}>Transfer to a number</button>
        ${fieldError('to_number') ? html`<p id=${`${numberId}-error`} class="error" data-testid="call-consult-error"
                                           role="alert">${fieldError('to_number')}</p>` : null}
      </div>
      ${error && !['to_agent', 'to_number'].includes(error.field) ? html`
        <p class="error" data-testid="call-consult-error" role="alert">${error.text}</p>` : null}
    </form>`;
}
