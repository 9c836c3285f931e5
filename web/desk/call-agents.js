// The Call settings page's agents part (issue 13, CB-4, CB-6): an admin picks an agent and sets whether they take
// calls, the phone Guichet rings for them (their own line, or asked at each login), whether they answer on that line
// or on the desk (the softphone, issue 14), auto-answer with its delay, and the keypad id they type on an ACD (issue
// 14, CB-5).
// GET and PUT /tenants/{tenant}/agents/{id}/settings; the server's error names the field, shown at its input.

import { ApiError } from '/widget/connection.js';
import { html, useEffect, useState } from '/vendor/htm-preact-standalone.module.js';
import { Check, Choice, Field, NumberField, inputId } from '/desk/call-fields.js';

const FIELDS = ['takes_calls', 'answer_calls', 'own_line', 'ask_line_at_login', 'auto_answer', 'auto_answer_seconds',
  'keypad_id'];
const ANSWER_CALLS = [
  ['line', 'On their phone line (Guichet rings it)'], ['desk', 'On the desk (softphone, microphone)'],
];

// api: agents() (GET /agents), agentSettings(id), putAgentSettings(id, body).
export function AgentCalls({ api }) {
  const [agents, setAgents] = useState(null);
  const [chosen, setChosen] = useState('');
  const [draft, setDraft] = useState(null);
  const [outcome, setOutcome] = useState({ error: null, text: '', busy: false });

  useEffect(() => {
    api.agents().then((answer) => setAgents(answer?.agents ?? []))
      .catch((failure) => setOutcome({ error: { message: `Could not list the agents: ${failure.message}` } }));
  }, []);

  async function pick(id) {
    setChosen(id);
    setDraft(null);
    setOutcome({ error: null, text: '', busy: false });
    if (!id) return;
    try {
      const agent = await api.agentSettings(id);
      setDraft(Object.fromEntries(FIELDS.map((name) => [name, agent[name]])));
    } catch (failure) {
      setOutcome({ error: { message: `Could not read this agent's settings: ${failure.message}` } });
    }
  }

  async function save(event) {
    event.preventDefault();
    setOutcome({ error: null, text: 'Saving…', busy: true });
    try {
      const agent = await api.putAgentSettings(chosen, { ...draft, own_line: draft.own_line ?? '',
        keypad_id: draft.keypad_id ?? '' });
      setDraft(Object.fromEntries(FIELDS.map((name) => [name, agent[name]])));
      const text = `Call settings of ${agent.name || 'the agent'} saved.`;
      setOutcome({ error: null, text, busy: false }); // said by the outcome's role=status
    } catch (failure) {
      const field = failure instanceof ApiError && failure.field ? failure.field : null;
      setOutcome({ error: { field, message: failure.message, said: `Not saved: ${failure.message}` }, text: '',
        busy: false });
      if (field) document.getElementById(inputId(`agent.${field}`))?.focus();
    }
  }

  const set = (name) => (value) => setDraft({ ...draft, [name]: value });
  const errorAt = outcome.error?.field ? `agent.${outcome.error.field}` : null;
  const common = { errorAt, error: outcome.error };
  return html`
    <section class="cs-section" aria-labelledby="cs-agents-title" data-testid="cs-agents">
      <h3 id="cs-agents-title">Agents' calls</h3>
      <div class="cs-field">
        <label for="cs-agent-pick">Agent</label>
        <select id="cs-agent-pick" data-testid="cs-agent-pick" value=${chosen} disabled=${!agents}
                onChange=${(e) => pick(e.currentTarget.value)}>
          <option value="">${agents ? 'Choose an agent' : 'Loading the agents…'}</option>
          ${(agents ?? []).map((agent) => html`<option value=${agent.id}>${agent.name || agent.id}</option>`)}
        </select>
      </div>
      ${draft ? html`
        <form class="cs-agent-form" data-testid="cs-agent-form" onSubmit=${save}>
          <${Check} path="agent.takes_calls" label="Takes calls" checked=${draft.takes_calls} ...${common}
                    onChange=${set('takes_calls')} />
          <${Choice} path="agent.answer_calls" label="Answers calls" value=${draft.answer_calls ?? 'line'}
                     options=${ANSWER_CALLS} onChange=${set('answer_calls')} ...${common}
                     hint="On the desk: no phone rings; the agent accepts on the desk and talks in the browser." />
          <${Field} path="agent.own_line" label="Own line" ...${common}
                    hint="The phone Guichet rings, with + and the country code, e.g. +33 6 12 34 56 78; empty: none."
                    input=${{ type: 'tel', autocomplete: 'off', value: draft.own_line ?? '',
                              onInput: (e) => set('own_line')(e.currentTarget.value) }} />
          <${Check} path="agent.ask_line_at_login" label="Ask for the number at each login"
                    checked=${draft.ask_line_at_login} onChange=${set('ask_line_at_login')} ...${common} />
          <${Check} path="agent.auto_answer" label="Auto-answer: Available for calls again after the wrap-up"
                    checked=${draft.auto_answer} onChange=${set('auto_answer')} ...${common} />
          <${NumberField} path="agent.auto_answer_seconds" label="Auto-answer delay (seconds, 0 to 300)" min="0"
                          max="300" value=${draft.auto_answer_seconds} onChange=${set('auto_answer_seconds')}
                          ...${common} />
          <${Field} path="agent.keypad_id" label="Keypad id (ACD mode)" ...${common}
                    hint="Digits the agent types on the ACD's keypad to take a callback there; unique in the tenant; empty: none."
                    input=${{ inputmode: 'numeric', autocomplete: 'off', maxlength: 12, value: draft.keypad_id ?? '',
                              onInput: (e) => set('keypad_id')(e.currentTarget.value.trim()) }} />
          <div class="cs-actions">
            <button type="submit" data-testid="cs-agent-save" disabled=${outcome.busy}>Save the agent's calls</button>
          </div>
        </form>` : null}
      <p class="cs-outcome ${outcome.error ? 'error' : 'muted'}" role="status" data-testid="cs-agent-outcome">${
        outcome.error ? outcome.error.said ?? outcome.error.message : outcome.text}</p>
    </section>`;
}
