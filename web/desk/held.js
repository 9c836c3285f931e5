// The supervisor's Held view (issue 5, ASYNC-13, ASYNC-14), for supervisors and admins: the conversations agents
// hold (on a desk, reserved, snoozed), each with Release and Transfer (to a queue or an agent), both refused while
// its agent is connected with it on their desk; reads GET /tenants/{tenant}/held every REFRESH_MS while open.
// A Preact component over the store's state.held (the last report, the tenant's groups and agents as the pickers
// offer them, the last action's outcome, the rows with an action under way); visitor text is only ever rendered as
// text.

import { ApiError } from '/widget/connection.js';
import { html, useMemo, useRef, useState } from '/vendor/htm-preact-standalone.module.js';
import {
  Moment, PageLink, SupervisorFrame, agentLabel, apiWhy, createSupervisorView, updatedText, visitorName,
} from '/desk/supervisor-shared.js';

const HELD_COLUMNS = ['Agent', 'Held', 'Group', 'Visitor', 'Page', 'Actions'];
const INTRO = 'Conversations on an agent\'s desk, reserved for an agent, or snoozed. Release puts one back in its '
  + 'group\'s queue; Transfer hands it to a queue or an agent. Neither takes a conversation from the desk of an agent '
  + 'who is connected with it.';

// The Held view (ASYNC-13, ASYNC-14). store, toggleSlot, viewSlot, hide: as for the Waiting view (waiting.js);
// load(): GET /held; groups(): the tenant's groups [{id, name}] (transfer targets); agents: the tenant's agents
// (createAgentDirectory), asked when the view opens and when a picker gets the focus; release(id) and
// transfer(id, {to_queue} | {to_agent}): the REST calls; onAgents([{id, name}]): the agents the report names (the
// desk names them too).
export function createHeldView({ store, toggleSlot, viewSlot, hide, load, groups, agents: directory, release,
  transfer, onAgents = () => {} }) {
  const actions = { refreshAgents, refuse, release: releaseOne, transfer: transferOne };
  const held = createSupervisorView({
    name: 'held',
    store,
    toggleSlot,
    viewSlot,
    hide,
    label: 'Held',
    summarize: ({ conversations }) => ({ count: conversations.length, said: `${conversations.length} held` }),
    View: HeldView,
    viewProps: { actions },
    initial: { groups: [], agents: null, outcome: null, busy: [] },
    load: loadAll,
    answered,
    what: 'the held conversations',
    onOpen: refreshAgents,
  });

  async function loadAll() {
    // The agents are read when the view opens and when a picker gets the focus (refreshAgents), and waited for here
    // only until there is a list; best effort: without one the pickers offer the agents the report names.
    const agents = directory.cached() ? null : directory.list().catch(() => null);
    const [answer, found] = await Promise.all([load(), groups().catch(() => []), agents]);
    return { answer: answer ?? {}, groups: Array.isArray(found) ? found : [] };
  }

  function answered({ answer: { conversations = [] }, groups: tenantGroups }) {
    onAgents(conversations.filter((item) => item.agent?.id && item.agent.name)
      .map((item) => ({ id: item.agent.id, name: item.agent.name })));
    return { report: { conversations }, groups: tenantGroups, agents: directory.cached() };
  }

  // The view opens, or a picker gets the focus (it is about to open): the agents again, unless the copy is fresh;
  // the pickers follow, keeping what is chosen.
  function refreshAgents() {
    directory.list().then((agents) => {
      if (held.isOpen()) held.update({ agents });
    }).catch(() => {});
  }

  // A refused release or transfer; the load error is cleared by the next load, this one by the next action.
  function refuse(text) {
    held.update({ outcome: { refused: true, text } });
  }

  function releaseOne(item, groupName) {
    return act(item, async () => {
      await release(item.id);
      return `Released: the conversation with ${visitorName(item)} is back in the queue ${groupName}.`;
    });
  }

  // target: {to_queue} or {to_agent}; label: how the outcome names it.
  function transferOne(item, target, label) {
    return act(item, async () => {
      await transfer(item.id, target);
      return `Transferred: the conversation with ${visitorName(item)} goes to ${label}.`;
    });
  }

  // Answers whether it was done; either way the report is loaded again.
  async function act(item, call) {
    if (store.state.held.busy.includes(item.id)) return false;
    held.update({ busy: [...store.state.held.busy, item.id] });
    let done = false;
    try {
      held.update({ outcome: { refused: false, text: await call() } });
      done = true;
    } catch (failure) {
      refuse(failure instanceof ApiError ? `Not done: ${apiWhy(failure)}.` : 'Not done: not connected. Try again.');
    } finally {
      held.update({ busy: store.state.held.busy.filter((id) => id !== item.id) });
      held.refresh();
    }
    return done;
  }

  return held;
}

// Drawn again only when the report, whether it is shown, or the signed-in agent changes (the store changes for every
// part of the desk). actions: the controller's refreshAgents, refuse, release and transfer.
function HeldView({ state, controls, actions }) {
  const view = state.held;
  const open = state.supervisorView === 'held';
  const { me } = state;
  return useMemo(() => html`
    <${HeldReport} view=${view} open=${open} me=${me} controls=${controls} actions=${actions} />`, [view, open, me]);
}

function HeldReport({ view, open, me, controls, actions }) {
  const { report, outcome } = view;
  const conversations = report?.conversations ?? [];
  const loaded = Boolean(report);
  const agents = agentChoices(conversations, view.agents, me);
  const groupName = (id) => view.groups.find((group) => group.id === id)?.name || id || '';
  return html`
    <${SupervisorFrame} name="held" className="waiting-view held-view" title="Held conversations"
                        updated=${loaded ? updatedText(view.loadedAt) : ''} view=${view} open=${open}
                        controls=${controls}>
      <p class="muted held-intro">${INTRO}</p>
      <p class="error banner waiting-error" data-testid="held-error" role="alert" hidden=${!view.failure}>
        ${view.failure ?? ''}</p>
      <p class="notice banner held-notice" data-testid="held-notice" role="status"
         hidden=${!outcome || outcome.refused}>${outcome && !outcome.refused ? outcome.text : ''}</p>
      <p class="error banner waiting-error" data-testid="held-action-error" role="alert"
         hidden=${!outcome?.refused}>${outcome?.refused ? outcome.text : ''}</p>
      <div class="waiting-table-wrap">
        <table class="waiting-table held-table" data-testid="held-table" aria-labelledby="held-title"
               hidden=${loaded && conversations.length === 0}>
          <thead><tr>${HELD_COLUMNS.map((label) => html`<th scope="col" key=${label}>${label}</th>`)}</tr></thead>
          <tbody data-testid="held-rows">
            ${conversations.map((item) => html`
              <${HeldRow} key=${item.id} item=${item} targets=${transferTargets(item, agents, view.groups, me)}
                          busy=${view.busy.includes(item.id)} groupName=${groupName(item.queue)}
                          actions=${actions} />`)}
          </tbody>
        </table>
      </div>
      <p class="muted" data-testid="held-empty" hidden=${!loaded || conversations.length !== 0}>
        No conversation is held by an agent.</p>
      <p class="visually-hidden" role="status" aria-live="polite">${outcome && !outcome.refused ? outcome.text : ''}</p>
    <//>`;
}

// A held conversation; busy: a release or transfer of it is under way. The target chosen lives here, so a reload
// keeps it (while the report still offers it).
function HeldRow({ item, targets, busy, groupName, actions }) {
  const [chosen, choose] = useState('');
  const picker = useRef(null);
  const targetsKey = JSON.stringify(targets);
  // The options are drawn again only when they change: an open picker stays open through a reload.
  const options = useMemo(() => targetOptions(targets), [targetsKey]);
  const value = targets.some(([target]) => target === chosen) ? chosen : '';
  const agentName = item.agent?.name || 'No agent';
  const whyId = `held-why-${item.id}`;
  const selectId = `held-target-${item.id}`;
  // ASYNC-14: the server refuses both while the agent is connected with it on their desk.
  const locked = { disabled: busy || !item.releasable, 'aria-describedby': item.releasable ? undefined : whyId };

  function onTransfer() {
    if (!value) {
      picker.current.focus();
      actions.refuse('Choose a queue or an agent to transfer to.');
      return;
    }
    const [kind, ...rest] = value.split(':');
    const target = rest.join(':');
    const label = targets.find(([candidate]) => candidate === value)?.[3] || target;
    actions.transfer(item, kind === 'agent' ? { to_agent: target } : { to_queue: target }, label)
      .then((done) => { if (done) choose(''); });
  }

  return html`
    <tr class="waiting-row held-row" data-testid="held-row" data-conversation-id=${String(item.id ?? '')}
        data-status=${String(item.status ?? '')} data-agent-id=${String(item.agent?.id ?? '')}
        data-releasable=${String(Boolean(item.releasable))}>
      <td data-testid="held-agent">
        <span class="held-agent-name">${agentName}</span>${' '}<${Presence} connected=${item.agent_connected} />
      </td>
      <td data-testid="held-status"><${HeldStatus} item=${item} /></td>
      <td data-testid="held-group">${groupName}</td>
      <td data-testid="held-visitor">${visitorName(item)}</td>
      <td data-testid="held-page"><${PageLink} url=${item.page?.url} /></td>
      <td data-testid="held-actions">
        <button type="button" class="secondary" data-testid="held-release" ...${locked}
                onClick=${() => actions.release(item, groupName)}>Release</button>
        ${item.releasable ? null : html`
          <p id=${whyId} class="muted held-why" data-testid="held-release-why">${lockedText(agentName)}</p>`}
        <div class="held-transfer">
          <label for=${selectId} class="visually-hidden">
            ${`Transfer the conversation with ${visitorName(item)} to`}</label>
          <select id=${selectId} data-testid="held-transfer-target" ref=${picker} value=${value} ...${locked}
                  onFocus=${actions.refreshAgents} onChange=${(event) => choose(event.currentTarget.value)}>
            ${options}
          </select>
          <button type="button" data-testid="held-transfer" ...${locked} onClick=${onTransfer}>Transfer</button>
        </div>
      </td>
    </tr>`;
}

function Presence({ connected: on }) {
  const connected = Boolean(on);
  return html`
    <span class=${`presence presence--${connected ? 'on' : 'off'}`} data-testid="held-agent-connected"
          data-connected=${String(connected)}>${connected ? 'connected' : 'not connected'}</span>`;
}

function lockedText(agentName) {
  return `${agentName} is connected with this conversation on their desk: it can be released or transferred once `
    + 'they disconnect. Until then they can snooze, transfer or end it themselves.';
}

// targets: [[value, label, kind, name]]; the queues and the agents in their groups, after a placeholder.
function targetOptions(targets) {
  const option = ([value, label, , name]) => html`
    <option key=${value} value=${value} data-name=${name}>${label}</option>`;
  const queues = targets.filter(([, , kind]) => kind === 'queue');
  const people = targets.filter(([, , kind]) => kind === 'agent');
  return [
    html`<option key="" value="" disabled>Transfer to…</option>`,
    queues.length ? html`<optgroup key="queues" label="Queues">${queues.map(option)}</optgroup>` : null,
    people.length ? html`<optgroup key="agents" label="Agents">${people.map(option)}</optgroup>` : null,
  ];
}

function HeldStatus({ item }) {
  if (item.status === 'assigned') return 'On desk';
  return html`<${HeldTime} item=${item} />${item.overdue
    ? html` <span class="stuck-flag" data-testid="held-overdue">Overdue: release it</span>` : null}`;
}

function HeldTime({ item }) {
  if (item.status === 'reserved') {
    const from = item.reservation?.transfer_from ? 'transferred' : 'back from snooze';
    return html`Reserved until <${Moment} iso=${item.reservation?.until} />${` (${from})`}`;
  }
  if (item.status === 'snoozed') {
    return html`Snoozed until <${Moment} iso=${item.snooze?.until} />${
      item.snooze?.kept ? ' (kept by the agent)' : ' (then to its queue)'}`;
  }
  return String(item.status ?? '');
}

// [{id, name, status}]: the tenant's agents (GET /agents, by name), and the supervisor (an agent too) if no group
// has them; until the agents could be read once, those the report names.
function agentChoices(conversations, known, me) {
  let agents;
  if (known) {
    agents = [...known];
  } else {
    const named = new Map();
    for (const item of conversations) {
      if (item.agent?.id && !named.has(item.agent.id)) {
        named.set(item.agent.id, { id: item.agent.id, name: item.agent.name || item.agent.id, status: '' });
      }
    }
    agents = [...named.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
  if (me?.id && !agents.some((agent) => agent.id === me.id)) {
    agents.push({ id: me.id, name: me.name || 'Me', status: '' });
  }
  return agents;
}

// [[value, label, kind, name]]: the tenant's groups, then the agents but the one holding it.
function transferTargets(item, agents, groups, me) {
  const queues = groups.map((group) => [`queue:${group.id}`, group.name || group.id, 'queue', group.name || group.id]);
  const people = agents.filter((agent) => agent.id !== item.agent?.id)
    .map((agent) => [`agent:${agent.id}`, agentLabel(agent, me?.id), 'agent', agent.name]);
  return [...queues, ...people];
}
