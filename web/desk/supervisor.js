// Guichet desk, supervisor page (issue 4, ASYNC-19): the conversations waiting in each distribution group, with
// the rule that sent them there, and for a stuck one why it is not distributed (no eligible agent online, all at
// capacity, or skill level missing). Shown to supervisors and admins only, as a "Waiting" view toggled from the
// top bar; reads GET /tenants/{tenant}/waiting every REFRESH_MS while open.
// Visitor text (name, page URL) is only ever set with textContent / Text nodes.

import { ApiError, h } from '/widget/connection.js';

export const REFRESH_MS = 5000;
const SUPERVISING_ROLES = ['supervisor', 'admin'];
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

export function canSupervise(roles) {
  return Array.isArray(roles) && roles.some((role) => SUPERVISING_ROLES.includes(role));
}

// toggle: the top bar's button; view: the (empty) section the page is built in; hide: what the page replaces
// while it is shown (the conversations and the chat); load(): the GET /waiting answer.
export function createSupervisor({ toggle, view, hide: replaced, load }) {
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

  let allowed = false;
  let open = false;
  let timer = null;
  let generation = 0; // a load started before the view closed (or restarted) must not show its answer
  let loading = null;

  function setRoles(roles) {
    allowed = canSupervise(roles);
    toggle.hidden = !allowed;
    if (!allowed) close();
  }

  function start() {
    view.replaceChildren(
      h('div', { class: 'waiting-header' }, title, updated, refresh),
      error, groupsLine, h('div', { class: 'waiting-table-wrap' }, table), empty, status);
    toggle.append(' ', count);
    toggle.setAttribute('aria-pressed', 'false');
    toggle.addEventListener('click', onToggle);
    refresh.addEventListener('click', onRefresh);
  }

  function stop() {
    close();
    allowed = false;
    toggle.hidden = true;
    toggle.removeEventListener('click', onToggle);
    refresh.removeEventListener('click', onRefresh);
    count.remove();
    toggle.removeAttribute('aria-label');
    view.replaceChildren();
    delete view.dataset.state;
  }

  function onToggle() {
    if (open) close();
    else show();
  }

  function onRefresh() {
    refreshNow();
  }

  function show() {
    if (!allowed || open) return;
    open = true;
    toggle.setAttribute('aria-pressed', 'true');
    view.hidden = false;
    for (const element of replaced) element.hidden = true;
    title.focus();
    refreshNow();
  }

  // Back to the conversations (also when the agent accepts an offer from this view).
  function close() {
    if (!open) return;
    open = false;
    generation += 1;
    clearTimeout(timer);
    timer = null;
    toggle.setAttribute('aria-pressed', 'false');
    view.hidden = true;
    for (const element of replaced) element.hidden = false;
  }

  // One load at a time; the next one is planned REFRESH_MS after this one ends, so a slow answer never piles up.
  async function refreshNow() {
    if (!open) return;
    clearTimeout(timer);
    timer = null;
    if (loading) return;
    const mine = generation;
    refresh.disabled = true;
    view.setAttribute('aria-busy', 'true');
    loading = (async () => {
      try {
        const answer = await load();
        if (mine === generation) render(answer ?? {});
      } catch (failure) {
        if (mine === generation) showError(failure);
      }
    })();
    await loading;
    loading = null;
    refresh.disabled = false;
    view.removeAttribute('aria-busy');
    if (open && mine === generation) timer = setTimeout(refreshNow, REFRESH_MS);
    else if (open) refreshNow(); // closed and opened again while this load ran
  }

  function showError(failure) {
    const text = errorText(failure);
    view.dataset.state = 'error';
    if (error.textContent !== text) error.textContent = text;
    error.hidden = false;
  }

  function render({ waiting = [], groups = [] }) {
    view.dataset.state = 'loaded';
    error.textContent = '';
    error.hidden = true;
    const now = Date.now();
    summary.replaceChildren(...groups.map(groupLine));
    groupsLine.hidden = groups.length === 0;
    rows.replaceChildren(...waiting.map((item) => row(item, now)));
    table.hidden = waiting.length === 0;
    empty.hidden = waiting.length !== 0;
    updated.textContent = `Updated ${new Date(now).toLocaleTimeString()}`;
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

  return { start, stop, setRoles, show, close, isOpen: () => open };
}

function errorText(failure) {
  if (failure instanceof ApiError) {
    if (failure.status === 403) return 'You need the supervisor or admin role to see the waiting conversations.';
    const why = failure.message === `HTTP ${failure.status}` ? failure.message
      : `${failure.message} (HTTP ${failure.status})`;
    return `Could not load the waiting conversations: ${why}. Retrying every ${REFRESH_MS / 1000} s.`;
  }
  return `Could not load the waiting conversations: not connected. Retrying every ${REFRESH_MS / 1000} s.`;
}

// "12 s", "2 min", "1 h 5 min", "3 d 4 h"
export function relative(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

// Only http(s) URLs become links: a visitor-supplied javascript: URL stays inert text.
function pageLink(value) {
  if (!value) return h('span', { class: 'muted' }, '—');
  let url;
  try { url = new URL(value); } catch { return document.createTextNode(value); }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return document.createTextNode(value);
  const link = h('a', { target: '_blank', rel: 'noopener noreferrer' }, value);
  link.href = url.href;
  return link;
}
