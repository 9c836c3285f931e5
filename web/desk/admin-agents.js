// The console's Agents page (issue 16, docs/admin.md "Agents"): the tenant's agents, and for the one picked its
// routing settings (groups, skills and levels, capacity per channel, "route to me first", multi-channel: ROUTE-1 to 7)
// and how they take calls (issue 13: takes calls, own line or asked at login, answered on the line or the desk, keypad
// id; auto-answer and its delay).
//
// GET /agents lists them; GET /agents/{id}/settings reads one; PUT /agents/{id}/settings sends only what the admin
// changed. The server checks the whole change before writing any of it, so a refusal changes nothing; its error names
// the field, shown at that input, which gets the focus. The agent's open desks get the change at once (an
// `agent.status` frame: their queue toggles and capacity follow). Supervisors read: every control disabled, no Save.

import { html, useEffect, useState } from '/vendor/htm-preact-standalone.module.js';
import { CheckField, NumberField, SelectField, TextField, errorOf, focusError } from '/desk/admin-form.js';

const PREFIX = 'aa';
const CHANNELS = [['chat', 'Chats at once'], ['call', 'Calls at once'], ['email', 'Emails at once']];
const LEVELS = [['', 'None'], ...[1, 2, 3, 4, 5].map((n) => [String(n), String(n)])];
const ANSWER_CALLS = [['line', 'On their phone line (Guichet rings it)'], ['desk', 'On the desk (softphone)']];
const FLAGS = ['route_first', 'multi_channel', 'takes_calls', 'ask_line_at_login', 'auto_answer'];
const SAVE_ID = `${PREFIX}-save`;
const STATUS_NAMES = { available: 'Available', away: 'Away', offline: 'Offline' };

// The form's values from the agent as the server shows it (services/frames.py `agent`).
export function toDraft(agent) {
  const capacities = agent.capacities ?? {};
  return {
    groups: [...(agent.queues ?? [])],
    skills: { ...(agent.skills ?? {}) },
    capacity: { chat: capacities.chat ?? agent.capacity, call: capacities.call, email: capacities.email },
    ...Object.fromEntries(FLAGS.map((name) => [name, Boolean(agent[name])])),
    own_line: agent.own_line ?? '',
    answer_calls: agent.answer_calls ?? 'line',
    auto_answer_seconds: agent.auto_answer_seconds,
    keypad_id: agent.keypad_id ?? '',
  };
}

// The PUT body: only what differs from what was read. Groups and skills go whole (each replaces the agent's), kept
// to those the tenant's routing knows (the server refuses others); capacity per channel changed.
export function changesOf(before, draft, routing) {
  const body = {};
  const knownGroups = new Set((routing?.groups ?? []).map((group) => group.id));
  const knownSkills = new Set(routing?.skills ?? []);
  const sameSet = (a, b) => a.length === b.length && a.every((item) => b.includes(item));
  if (!sameSet(before.groups, draft.groups)) body.groups = draft.groups.filter((id) => knownGroups.has(id));
  const skills = Object.entries(draft.skills).filter(([name, level]) => knownSkills.has(name) && level);
  const had = Object.entries(before.skills);
  if (skills.length !== had.length || skills.some(([name, level]) => before.skills[name] !== level)) {
    body.skills = Object.fromEntries(skills);
  }
  const capacity = Object.fromEntries(CHANNELS.map(([channel]) => channel)
    .filter((channel) => draft.capacity[channel] !== before.capacity[channel])
    .map((channel) => [channel, draft.capacity[channel]]));
  if (Object.keys(capacity).length) body.capacity = capacity;
  for (const name of [...FLAGS, 'answer_calls', 'auto_answer_seconds']) {
    if (draft[name] !== before[name]) body[name] = draft[name];
  }
  for (const name of ['own_line', 'keypad_id']) {
    if (draft[name].trim() !== before[name].trim()) body[name] = draft[name].trim();
  }
  return body;
}

// An error's field as the form names its inputs: the server counts the groups it was sent ("groups[1]"); the form
// has one checkbox per group ("groups.level1").
function localField(field, body) {
  const listed = /^groups\[(\d+)\]$/.exec(field ?? '');
  if (listed) return `groups.${body.groups?.[Number(listed[1])] ?? ''}`;
  if (field === 'groups') return body.groups?.length ? `groups.${body.groups[0]}` : 'groups';
  return field;
}

function Page({ api, canEdit, announce }) {
  const [agents, setAgents] = useState(null);
  const [routing, setRouting] = useState(null);
  const [failure, setFailure] = useState(null);
  const [chosen, setChosen] = useState(null);

  useEffect(() => {
    Promise.all([api.request('GET', '/agents'), api.request('GET', '/routing')]).then(([listed, config]) => {
      setAgents(listed?.agents ?? []);
      setRouting(config);
    }, (error) => setFailure(`Could not read the agents: ${errorOf(error).message}`));
  }, []);

  const saved = (agent) => setAgents((all) => all.map((entry) => (entry.id === agent.id
    ? { ...entry, name: agent.name, queues: agent.queues } : entry)));
  const groupName = (id) => routing?.groups?.find((group) => group.id === id)?.name ?? id;
  if (failure) return html`<p class="banner waiting-error" role="alert" data-testid="aa-failure">${failure}</p>`;
  if (!agents || !routing) return html`<p role="status">Loading the agents…</p>`;
  return html`
    <div class="admin-agents" data-testid="admin-agents">
      <table class="admin-table" data-testid="aa-list">
        <caption class="muted">The tenant's agents; pick one to see ${canEdit ? 'and change ' : ''}their settings.</caption>
        <thead><tr><th scope="col">Agent</th><th scope="col">Groups</th><th scope="col">Status</th></tr></thead>
        <tbody>
          ${agents.map((agent) => html`
            <tr key=${agent.id} data-testid="aa-row" data-agent-id=${agent.id}>
              <td><button type="button" class="admin-page-link" data-testid="aa-pick"
                          aria-pressed=${String(agent.id === chosen)}
                          onClick=${() => setChosen(agent.id)}>${agent.name || agent.id}</button></td>
              <td data-testid="aa-row-groups">${(agent.queues ?? []).map(groupName).join(', ') || '—'}</td>
              <td>${STATUS_NAMES[agent.status] ?? agent.status}</td>
            </tr>`)}
        </tbody>
      </table>
      ${chosen ? html`<${AgentForm} key=${chosen} api=${api} agentId=${chosen} routing=${routing} canEdit=${canEdit}
                                   announce=${announce} onSaved=${saved} />` : null}
    </div>`;
}

function AgentForm({ api, agentId, routing, canEdit, announce, onSaved }) {
  const [agent, setAgent] = useState(null);
  const [draft, setDraft] = useState(null);
  const [outcome, setOutcome] = useState({ error: null, text: '', busy: false, at: 0 });
  const form = { prefix: PREFIX, error: outcome.error, readOnly: !canEdit };
  const paths = [...routing.groups.map((group) => `groups.${group.id}`), ...routing.skills.map((s) => `skills.${s}`),
    ...CHANNELS.map(([channel]) => `capacity.${channel}`), ...FLAGS, 'own_line', 'answer_calls', 'keypad_id',
    'auto_answer_seconds'];

  useEffect(() => {
    api.request('GET', `/agents/${encodeURIComponent(agentId)}/settings`).then((read) => {
      setAgent(read);
      setDraft(toDraft(read));
    }, (error) => setOutcome({ error: { field: null, message: `Could not read this agent: ${errorOf(error).message}` },
      text: '', busy: false, at: 0 }));
  }, [agentId]);
  useEffect(() => { if (outcome.at) focusError(form, paths, SAVE_ID); }, [outcome.at]);

  if (!draft) {
    return outcome.error ? html`<p class="banner waiting-error" role="alert">${outcome.error.message}</p>`
      : html`<p role="status">Loading the agent's settings…</p>`;
  }

  async function save(event) {
    event.preventDefault();
    const body = changesOf(toDraft(agent), draft, routing);
    if (!Object.keys(body).length) {
      setOutcome({ error: null, text: 'Nothing changed: nothing to save.', busy: false, at: 0 });
      return;
    }
    setOutcome({ error: null, text: 'Saving…', busy: true, at: 0 });
    try {
      const changed = await api.request('PUT', `/agents/${encodeURIComponent(agentId)}/settings`, body);
      setAgent(changed);
      setDraft(toDraft(changed));
      const text = `Settings of ${changed.name || 'the agent'} saved.`;
      setOutcome({ error: null, text, busy: false, at: 0 });
      announce?.(text);
      onSaved(changed);
    } catch (failure) {
      const error = errorOf(failure);
      const local = { ...error, field: localField(error.field, body) };
      setOutcome({ error: local, text: `Not saved: ${error.message}`, busy: false, at: Date.now() });
      announce?.(`Not saved: ${error.message}`);
    }
  }

  const set = (name) => (value) => setDraft({ ...draft, [name]: value });
  const toggleGroup = (id) => (on) => setDraft({ ...draft,
    groups: on ? [...draft.groups.filter((g) => g !== id), id] : draft.groups.filter((g) => g !== id) });
  const setLevel = (skill) => (value) => {
    const skills = { ...draft.skills };
    if (value) skills[skill] = Number(value); else delete skills[skill];
    setDraft({ ...draft, skills });
  };
  const setCapacity = (channel) => (value) => setDraft({ ...draft, capacity: { ...draft.capacity, [channel]: value } });
  const common = { form, paths };
  return html`
    <form class="admin-agent-form" data-testid="aa-form" data-agent-id=${agentId} onSubmit=${save} novalidate
          aria-labelledby="aa-form-title">
      <h4 id="aa-form-title">${agent.name || agentId}</h4>
      <fieldset class="admin-fieldset" data-testid="aa-groups">
        <legend>Groups</legend>
        ${routing.groups.length ? routing.groups.map((group) => html`
          <${CheckField} key=${group.id} path=${`groups.${group.id}`} label=${group.name || group.id}
                         checked=${draft.groups.includes(group.id)} onChange=${toggleGroup(group.id)} ...${common} />`)
          : html`<p class="muted">The tenant has no groups yet (Routing page).</p>`}
      </fieldset>
      <fieldset class="admin-fieldset" data-testid="aa-skills">
        <legend>Skills (level 1 to 5; None: not this skill)</legend>
        ${routing.skills.length ? routing.skills.map((skill) => html`
          <${SelectField} key=${skill} path=${`skills.${skill}`} label=${skill} options=${LEVELS}
                          value=${draft.skills[skill] ? String(draft.skills[skill]) : ''} onChange=${setLevel(skill)}
                          ...${common} />`)
          : html`<p class="muted">The tenant has no skills yet (Routing page).</p>`}
      </fieldset>
      <fieldset class="admin-fieldset" data-testid="aa-capacity">
        <legend>Capacity per channel (0 to 50 conversations at once)</legend>
        ${CHANNELS.map(([channel, label]) => html`
          <${NumberField} key=${channel} path=${`capacity.${channel}`} label=${label} min="0" max="50"
                          value=${draft.capacity[channel]} onChange=${setCapacity(channel)} ...${common} />`)}
      </fieldset>
      <fieldset class="admin-fieldset">
        <legend>Routing</legend>
        <${CheckField} path="route_first" label="Route to me first: offered before the other eligible agents"
                       checked=${draft.route_first} onChange=${set('route_first')} ...${common} />
        <${CheckField} path="multi_channel" label="Multi-channel: may hold a call and chats at once"
                       checked=${draft.multi_channel} onChange=${set('multi_channel')} ...${common} />
      </fieldset>
      <fieldset class="admin-fieldset">
        <legend>Calls</legend>
        <${CheckField} path="takes_calls" label="Takes calls" checked=${draft.takes_calls}
                       onChange=${set('takes_calls')} ...${common} />
        <${TextField} path="own_line" label="Own line" value=${draft.own_line} onChange=${set('own_line')} ...${common}
                      hint="The phone Guichet rings, with + and the country code; empty: none."
                      input=${{ type: 'tel', autocomplete: 'off' }} />
        <${CheckField} path="ask_line_at_login" label="Ask for the number at each login"
                       checked=${draft.ask_line_at_login} onChange=${set('ask_line_at_login')} ...${common} />
        <${SelectField} path="answer_calls" label="Answers calls" value=${draft.answer_calls} options=${ANSWER_CALLS}
                        onChange=${set('answer_calls')} ...${common} />
        <${TextField} path="keypad_id" label="Keypad id (ACD mode)" value=${draft.keypad_id}
                      onChange=${set('keypad_id')} ...${common}
                      hint="1 to 12 digits typed on the ACD's keypad to take a callback there; empty: none."
                      input=${{ inputmode: 'numeric', autocomplete: 'off', maxlength: 12 }} />
        <${CheckField} path="auto_answer" label="Auto-answer: Available for calls again after the wrap-up"
                       checked=${draft.auto_answer} onChange=${set('auto_answer')} ...${common} />
        <${NumberField} path="auto_answer_seconds" label="Auto-answer delay (seconds, 0 to 300)" min="0" max="300"
                        value=${draft.auto_answer_seconds} onChange=${set('auto_answer_seconds')} ...${common} />
      </fieldset>
      ${canEdit ? html`
        <div class="admin-actions">
          <button id=${SAVE_ID} type="submit" data-testid=${SAVE_ID} disabled=${outcome.busy}
                  aria-describedby="aa-outcome">Save ${agent.name || 'the agent'}'s settings</button>
        </div>` : null}
      <p id="aa-outcome" class=${outcome.error ? 'admin-field-error' : 'muted'} role="status"
         data-testid="aa-outcome">${outcome.text}</p>
    </form>`;
}

export default { id: 'agents', label: 'Agents', Page };
