// The supervisor's Waiting view (issue 4, ASYNC-19), for supervisors and admins: the conversations waiting in each
// distribution group, with the rule that sent them there, and for a stuck one why it is not distributed (no
// eligible agent online, all at capacity, or skill level missing); reads GET /tenants/{tenant}/waiting every
// REFRESH_MS while open. Visitor text is only ever set with textContent / Text nodes.

import { h } from '/widget/connection.js';
import { createPoller, createToggledView, errorText, pageLink, relative } from '/desk/supervisor-shared.js';

const MEDIA = {
  chat: 'Chat',
  inbound_call: 'Inbound call',
  outbound_call: 'Outbound call',
  email: 'Email',
};
// The server sends the text; these cover an answer without it.
const STUCK_TEXT = {
  no_eligible_agent_online: 'No eligible agent online',
  all_at_capacity: 'All eligible agents are at capacity',
  skill_level_missing: 'No agent has the required skill level',
};
const COLUMNS = [
  ['group', 'Group'],
  ['rule', 'Rule'],
  ['medium', 'Medium'],
  ['position', 'Position'],
  ['since', 'Waiting since'],
  ['visitor', 'Visitor'],
  ['page', 'Page'],
  ['skill', 'Skill needed'],
  ['stuck', 'Stuck'],
];

// toggle: the top bar's button; view: the (empty) section the page is built in; hide: what the page replaces
// while it is shown (the conversations and the chat); load(): the GET /waiting answer; onShow(): the view opens
// (the desk closes the other supervisor view).
export function createSupervisor({ toggle, view, hide: replaced, load, onShow = () => {} }) {
  const title = h('h2', { id: 'waiting-title', tabindex: '-1' }, 'Waiting conversations');
  const refresh = h('button', { type: 'button', class: 'secondary', 'data-testid': 'waiting-refresh' }, 'Refresh');
  const updated = h('span', { class: 'muted waiting-updated', 'data-testid': 'waiting-updated' });
  const error = h('p', { class: 'error banner waiting-error', 'data-testid': 'waiting-error', role: 'alert', hidden: '' });
  const summary = h('ul', { class: 'waiting-groups', 'data-testid': 'waiting-groups',
    'aria-labelledby': 'waiting-groups-label' });
  const groupsLine = h('div', { class: 'waiting-groups-line' },
    h('span', { id: 'waiting-groups-label', class: 'muted' }, 'Waiting / threshold by group:'), summary);
  const rows = h('tbody', { 'data-testid': 'waiting-rows' });
  const table = h('table', { class: 'waiting-table', 'data-testid': 'waiting-table', 'aria-labelledby': 'waiting-title' },
    h('thead', {}, h('tr', {}, ...COLUMNS.map(([, label]) => h('th', { scope: 'col' }, label)))), rows);
  const empty = h('p', { class: 'muted', 'data-testid': 'waiting-empty', hidden: '' }, 'No conversation is waiting.');
  const status = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const count = h('span', { class: 'waiting-count', 'data-testid': 'waiting-count', hidden: '' });

  const poller = createPoller({ view, button: refresh, load, onAnswer: render, onFailure: showError });
  const frame = createToggledView({
    toggle, view, hide: replaced, title, refresh, count, poller, onShow,
    header: h('div', { class: 'waiting-header' }, title, updated, refresh),
    body: [error, groupsLine, h('div', { class: 'waiting-table-wrap' }, table), empty, status],
  });

  function showError(failure) {
    const text = errorText(failure, 'the waiting conversations');
    view.dataset.state = 'error';
    if (error.textContent !== text) error.textContent = text;
    error.hidden = false;
  }

  function render({ waiting = [], groups = [], truncated = false }) {
    view.dataset.state = 'loaded';
    error.textContent = '';
    error.hidden = true;
    const now = Date.now();
    summary.replaceChildren(...groups.map(groupLine));
    groupsLine.hidden = groups.length === 0;
    rows.replaceChildren(...waiting.map((item) => row(item, now)));
    table.hidden = waiting.length === 0;
    empty.hidden = waiting.length !== 0;
    // A report too large for one answer lists the oldest conversations only; the groups' counts stay whole.
    updated.textContent = `Updated ${new Date(now).toLocaleTimeString()}${truncated ? ' · the oldest only' : ''}`;
    const stuck = waiting.filter((item) => item.stuck).length;
    count.textContent = String(waiting.length);
    count.dataset.count = String(waiting.length);
    count.hidden = false;
    const said = `${waiting.length} waiting${stuck ? `, ${stuck} stuck` : ''}`;
    toggle.setAttribute('aria-label', `Waiting (${said})`);
    if (status.textContent !== said) status.textContent = said; // announced only when it changes
  }

  function groupLine(group) {
    const waiting = Number(group.waiting) || 0;
    const threshold = Number(group.threshold) || 0;
    const full = threshold > 0 && waiting >= threshold; // a synchronous group (0) has no queue to fill
    const line = h('li', {
      class: `waiting-group${full ? ' waiting-group--full' : ''}`,
      'data-testid': 'waiting-group-summary',
      'data-group': String(group.id ?? ''),
      'data-waiting': String(waiting),
      'data-threshold': String(threshold),
    },
    h('span', { class: 'waiting-group-name' }, group.name || String(group.id ?? '')),
    ' ',
    h('span', { 'data-testid': 'waiting-group-count', title: 'waiting / threshold' }, `${waiting} / ${threshold}`),
    threshold === 0 ? h('span', { class: 'muted' }, ' (synchronous)') : '',
    full ? h('span', { class: 'waiting-full' }, ' full') : '');
    return line;
  }

  function row(item, now) {
    const reason = item.stuck?.reason ?? '';
    const stuckText = item.stuck ? (item.stuck.text || STUCK_TEXT[reason] || reason) : '';
    const cell = (name, ...content) => h('td', { 'data-testid': `waiting-${name}` }, ...content);
    const since = Date.parse(item.waiting_since);
    const time = h('time', {}, Number.isFinite(since) ? relative(now - since) : '');
    if (Number.isFinite(since)) {
      time.setAttribute('datetime', new Date(since).toISOString());
      time.title = new Date(since).toLocaleString();
    }
    const priority = Number(item.priority) || 0;
    const ruleCell = cell('rule', item.rule_name || item.rule || '');
    if (priority) ruleCell.title = `priority ${priority}`;
    const stuckCell = cell('stuck', ...(item.stuck ? [h('span', { class: 'stuck-flag' }, stuckText)] : []));
    return h('tr', {
      class: item.stuck ? 'waiting-row waiting-row--stuck' : 'waiting-row',
      'data-testid': 'waiting-row',
      'data-conversation-id': String(item.conversation_id ?? ''),
      'data-group': String(item.group ?? ''),
      'data-rule': String(item.rule ?? ''),
      'data-stuck': reason,
    },
    cell('group', item.group_name || item.group || ''),
    ruleCell,
    cell('medium', MEDIA[item.medium] ?? String(item.medium ?? '')),
    cell('position', Number.isInteger(item.position) ? String(item.position) : ''),
    cell('since', time),
    cell('visitor', item.visitor_name || 'Not given'),
    cell('page', pageLink(item.page_url)),
    cell('skill', item.skill?.skill ? `${item.skill.skill} ≥ ${item.skill.min_level ?? 1}` : '—'),
    stuckCell);
  }

  return frame;
}
