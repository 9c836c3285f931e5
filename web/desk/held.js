// The supervisor's Held view (issue 5, ASYNC-13, ASYNC-14), for supervisors and admins: the conversations agents
// hold (on a desk, reserved, snoozed), each with Release and Transfer (to a queue or an agent), both refused while
// its agent is connected with it on their desk; reads GET /tenants/{tenant}/held every REFRESH_MS while open.
// Visitor text is only ever set with textContent / Text nodes.

import { ApiError, h } from '/widget/connection.js';
import {
  agentLabel, apiWhy, createPoller, createToggledView, errorText, momentElement, pageLink, visitorName,
} from '/desk/supervisor-shared.js';

const HELD_COLUMNS = [
  ['agent', 'Agent'],
  ['status', 'Held'],
  ['group', 'Group'],
  ['visitor', 'Visitor'],
  ['page', 'Page'],
  ['actions', 'Actions'],
];

// The Held view (ASYNC-13, ASYNC-14). load(): GET /held; groups(): the tenant's groups [{id, name}] (transfer
// targets); agents: the tenant's agents (createAgentDirectory), asked when the view opens and when a picker gets
// the focus; me(): the signed-in supervisor; release(id) and transfer(id, {to_queue} | {to_agent}): the REST calls;
// onAgents([{id, name}]): the agents the report names (the desk names them too).
export function createHeldView({ toggle, view, hide: replaced, load, groups, agents: directory, me, release, transfer,
  onShow = () => {}, onAgents = () => {} }) {
  const title = h('h2', { id: 'held-title', tabindex: '-1' }, 'Held conversations');
  const refresh = h('button', { type: 'button', class: 'secondary', 'data-testid': 'held-refresh' }, 'Refresh');
  const updated = h('span', { class: 'muted waiting-updated', 'data-testid': 'held-updated' });
  const intro = h('p', { class: 'muted held-intro' },
    'Conversations on an agent\'s desk, reserved for an agent, or snoozed. Release puts one back in its group\'s '
    + 'queue; Transfer hands it to a queue or an agent. Neither takes a conversation from the desk of an agent who '
    + 'is connected with it.');
  const error = h('p', { class: 'error banner waiting-error', 'data-testid': 'held-error', role: 'alert', hidden: '' });
  const notice = h('p', { class: 'notice banner held-notice', 'data-testid': 'held-notice', role: 'status',
    hidden: '' });
  // A refused release or transfer; the load error above is cleared by the next load, this one by the next action.
  const refused = h('p', { class: 'error banner waiting-error', 'data-testid': 'held-action-error', role: 'alert',
    hidden: '' });
  const rows = h('tbody', { 'data-testid': 'held-rows' });
  const table = h('table', { class: 'waiting-table held-table', 'data-testid': 'held-table',
    'aria-labelledby': 'held-title' },
  h('thead', {}, h('tr', {}, ...HELD_COLUMNS.map(([, label]) => h('th', { scope: 'col' }, label)))), rows);
  const empty = h('p', { class: 'muted', 'data-testid': 'held-empty', hidden: '' }, 'No conversation is held by an agent.');
  const status = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const count = h('span', { class: 'waiting-count', 'data-testid': 'held-count', hidden: '' });

  let tenantGroups = [];
  let report = []; // the last answer's conversations
  const shown = new Map(); // conversation id -> {row, key, item}: an unchanged row is kept, with the target chosen
  const busy = new Set(); // conversation ids with a release or transfer under way
  const poller = createPoller({ view, button: refresh, load: loadAll, onAnswer: render, onFailure: showError });
  const frame = createToggledView({
    toggle, view, hide: replaced, title, refresh, count, poller, onShow, onOpen: refreshAgents,
    onStop: () => shown.clear(),
    header: h('div', { class: 'waiting-header' }, title, updated, refresh),
    body: [intro, error, notice, refused, h('div', { class: 'waiting-table-wrap' }, table), empty, status],
  });

  async function loadAll() {
    // The agents are read when the view opens and when a picker gets the focus (refreshAgents), and waited for here
    // only until there is a list; best effort: without one the pickers offer the agents the report names.
    const agents = directory.cached() ? null : directory.list().catch(() => null);
    const [answer, found] = await Promise.all([load(), groups().catch(() => []), agents]);
    tenantGroups = Array.isArray(found) ? found : [];
    return answer;
  }

  // The view opens, or a picker gets the focus (it is about to open): the agents again, unless the copy is fresh;
  // the pickers are refilled in place, keeping what is chosen.
  function refreshAgents() {
    directory.list().then(() => {
      if (frame.isOpen()) refillPickers();
    }).catch(() => {});
  }

  function refillPickers() {
    const agents = agentChoices(report);
    for (const { row, item } of shown.values()) {
      const select = row.querySelector('select');
      if (select) fillTargets(select, transferTargets(item, agents));
    }
  }

  function showError(failure) {
    const text = errorText(failure, 'the held conversations');
    view.dataset.state = 'error';
    if (error.textContent !== text) error.textContent = text;
    error.hidden = false;
  }

  function showOutcome(text) {
    refused.textContent = '';
    refused.hidden = true;
    notice.textContent = text;
    notice.hidden = false;
    status.textContent = text;
  }

  function showRefusal(text) {
    notice.textContent = '';
    notice.hidden = true;
    refused.textContent = text;
    refused.hidden = false;
  }

  function render({ conversations = [] }) {
    view.dataset.state = 'loaded';
    error.textContent = '';
    error.hidden = true;
    report = conversations;
    onAgents(conversations.filter((item) => item.agent?.id && item.agent.name)
      .map((item) => ({ id: item.agent.id, name: item.agent.name })));
    const agents = agentChoices(conversations);
    const focused = rows.contains(document.activeElement) ? document.activeElement : null;
    const next = new Map();
    const built = conversations.map((item) => {
      const targets = transferTargets(item, agents);
      const key = JSON.stringify([item.status, item.agent, item.agent_connected, item.releasable, item.snooze,
        item.reservation, item.queue, item.visitor?.name, item.visitor?.email, item.page]);
      const before = shown.get(item.id);
      if (before && (before.key === key || busy.has(item.id))) {
        fillTargets(before.row.querySelector('select'), targets); // in place: an open picker stays open
        next.set(item.id, { ...before, item });
        return before.row;
      }
      const row = heldRow(item, targets);
      if (before) { // keep what the supervisor chose, and where the keyboard was
        const select = row.querySelector('select');
        const chosen = before.row.querySelector('select')?.value;
        if (chosen && [...select.options].some((option) => option.value === chosen)) select.value = chosen;
        if (focused && before.row.contains(focused)) {
          row.querySelector(`[data-testid="${focused.dataset.testid}"]`)?.focus();
        }
      }
      next.set(item.id, { row, key, item });
      return row;
    });
    shown.clear();
    for (const [id, entry] of next) shown.set(id, entry);
    rows.replaceChildren(...built);
    table.hidden = conversations.length === 0;
    empty.hidden = conversations.length !== 0;
    updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    count.textContent = String(conversations.length);
    count.dataset.count = String(conversations.length);
    count.hidden = false;
    const said = `${conversations.length} held`;
    toggle.setAttribute('aria-label', `Held (${said})`);
  }

  // [{id, name, status}]: the tenant's agents (GET /agents, by name), and the supervisor (an agent too) if no group
  // has them; until the agents could be read once, those the report names.
  function agentChoices(conversations) {
    const self = me();
    const known = directory.cached();
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
    if (self?.id && !agents.some((agent) => agent.id === self.id)) {
      agents.push({ id: self.id, name: self.name || 'Me', status: '' });
    }
    return agents;
  }

  // [[value, label, kind, name]]: the tenant's groups, then the agents but the one holding it.
  function transferTargets(item, agents) {
    const selfId = me()?.id;
    const queues = tenantGroups.map((group) => [`queue:${group.id}`, group.name || group.id, 'queue',
      group.name || group.id]);
    const people = agents.filter((agent) => agent.id !== item.agent?.id)
      .map((agent) => [`agent:${agent.id}`, agentLabel(agent, selfId), 'agent', agent.name]);
    return [...queues, ...people];
  }

  // The picker's options from targets, keeping the one chosen if it is still there; untouched when nothing changed.
  function fillTargets(select, targets) {
    const key = JSON.stringify(targets);
    if (!select || select.dataset.targets === key) return;
    const chosen = select.value;
    const placeholder = new Option('Transfer to…', '');
    placeholder.disabled = true;
    const queues = h('optgroup', { label: 'Queues' });
    const people = h('optgroup', { label: 'Agents' });
    for (const [value, label, kind, name] of targets) {
      const option = new Option(label, value);
      option.dataset.name = name;
      (kind === 'queue' ? queues : people).append(option);
    }
    select.replaceChildren(placeholder, ...(queues.children.length ? [queues] : []),
      ...(people.children.length ? [people] : []));
    select.dataset.targets = key;
    if (chosen && targets.some(([value]) => value === chosen)) select.value = chosen;
    else placeholder.selected = true;
  }

  function heldRow(item, targets) {
    const cell = (name, ...content) => h('td', { 'data-testid': `held-${name}` }, ...content);
    const agentName = item.agent?.name || 'No agent';
    const connected = h('span', {
      class: `presence presence--${item.agent_connected ? 'on' : 'off'}`,
      'data-testid': 'held-agent-connected',
      'data-connected': String(Boolean(item.agent_connected)),
    }, item.agent_connected ? 'connected' : 'not connected');
    const releaseButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'held-release' }, 'Release');
    const actions = [releaseButton];
    const whyId = `held-why-${item.id}`;
    const selectId = `held-target-${item.id}`;
    const select = h('select', { id: selectId, 'data-testid': 'held-transfer-target' });
    const transferButton = h('button', { type: 'button', 'data-testid': 'held-transfer' }, 'Transfer');
    if (!item.releasable) { // ASYNC-14: the server refuses both while the agent is connected with it on their desk
      for (const control of [releaseButton, select, transferButton]) {
        control.disabled = true;
        control.setAttribute('aria-describedby', whyId);
      }
      actions.push(h('p', { id: whyId, class: 'muted held-why', 'data-testid': 'held-release-why' },
        `${agentName} is connected with this conversation on their desk: it can be released or transferred once `
        + 'they disconnect. Until then they can snooze, transfer or end it themselves.'));
    }
    fillTargets(select, targets);
    select.addEventListener('focus', refreshAgents);
    actions.push(h('div', { class: 'held-transfer' },
      h('label', { for: selectId, class: 'visually-hidden' }, `Transfer the conversation with ${visitorName(item)} to`),
      select, transferButton));
    const row = h('tr', {
      class: 'waiting-row held-row',
      'data-testid': 'held-row',
      'data-conversation-id': String(item.id ?? ''),
      'data-status': String(item.status ?? ''),
      'data-agent-id': String(item.agent?.id ?? ''),
      'data-releasable': String(Boolean(item.releasable)),
    },
    cell('agent', h('span', { class: 'held-agent-name' }, agentName), ' ', connected),
    cell('status', ...heldStatus(item)),
    cell('group', groupLabel(item.queue)),
    cell('visitor', visitorName(item)),
    cell('page', pageLink(item.page?.url)),
    cell('actions', ...actions));
    releaseButton.addEventListener('click', () => act(item, row, async () => {
      await release(item.id);
      return `Released: the conversation with ${visitorName(item)} is back in the queue ${groupLabel(item.queue)}.`;
    }));
    transferButton.addEventListener('click', () => {
      const [kind, ...rest] = select.value.split(':');
      const target = rest.join(':');
      if (!target) {
        select.focus();
        showRefusal('Choose a queue or an agent to transfer to.');
        return;
      }
      const label = select.selectedOptions[0]?.dataset.name || target;
      act(item, row, async () => {
        await transfer(item.id, kind === 'agent' ? { to_agent: target } : { to_queue: target });
        return `Transferred: the conversation with ${visitorName(item)} goes to ${label}.`;
      });
    });
    return row;
  }

  async function act(item, row, call) {
    if (busy.has(item.id)) return;
    busy.add(item.id);
    const buttons = [...row.querySelectorAll('button, select')];
    const wasDisabled = buttons.map((button) => button.disabled);
    buttons.forEach((button) => { button.disabled = true; });
    try {
      showOutcome(await call());
    } catch (failure) {
      showRefusal(failure instanceof ApiError ? `Not done: ${apiWhy(failure)}.` : 'Not done: not connected. Try again.');
      buttons.forEach((button, index) => { button.disabled = wasDisabled[index]; });
    } finally {
      busy.delete(item.id);
      shown.delete(item.id); // redrawn from the next answer
      poller.now();
    }
  }

  function groupLabel(id) {
    const group = tenantGroups.find((candidate) => candidate.id === id);
    return group?.name || id || '';
  }

  return frame;
}

function heldStatus(item) {
  if (item.status === 'assigned') return ['On desk'];
  if (item.status === 'reserved') {
    const from = item.reservation?.transfer_from ? 'transferred' : 'back from snooze';
    return ['Reserved until ', momentElement(item.reservation?.until), ` (${from})`];
  }
  if (item.status === 'snoozed') {
    return ['Snoozed until ', momentElement(item.snooze?.until),
      item.snooze?.kept ? ' (kept by the agent)' : ' (then to its queue)'];
  }
  return [String(item.status ?? '')];
}
