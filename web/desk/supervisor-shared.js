// Guichet desk, supervisor pages, shown to supervisors and admins only as views toggled from the top bar:
// - Waiting (issue 4, ASYNC-19): the conversations waiting in each distribution group, with the rule that sent them
//   there, and for a stuck one why it is not distributed (no eligible agent online, all at capacity, or skill level
//   missing); reads GET /tenants/{tenant}/waiting every REFRESH_MS while open.
// - Held (issue 5, ASYNC-13, ASYNC-14): the conversations agents hold (on a desk, reserved, snoozed), each with
//   Release and Transfer (to a queue or an agent), both refused while its agent is connected with it on their desk;
//   reads GET /tenants/{tenant}/held every REFRESH_MS while open.
// - The transfer pickers (here and on the desk) list the tenant's agents from GET /tenants/{tenant}/agents with their
//   status, asked when a picker opens and kept AGENTS_CACHE_MS (createAgentDirectory).
// Visitor text (name, page URL) is only ever set with textContent / Text nodes.

// This module: what both views share (roles, the agents directory, the poller, moments, error texts, page links);
// the views are waiting.js and held.js, and supervisor.js exports them all.

import { ApiError, h } from '/widget/connection.js';

export const REFRESH_MS = 5000;
export const AGENTS_CACHE_MS = 4000; // a transfer picker opened within this long reuses the last list of agents
const SUPERVISING_ROLES = ['supervisor', 'admin'];

export function canSupervise(roles) {
  return Array.isArray(roles) && roles.some((role) => SUPERVISING_ROLES.includes(role));
}

// The tenant's agents for the transfer pickers. fetch(): GET /agents. list() answers the copy younger than maxAge,
// else asks the server (one request at a time, shared by every picker); a failure rejects and keeps the old copy,
// which cached() still answers. Each agent is {id, name, status}, by name as the server sorts them.
export function createAgentDirectory(fetch, maxAge = AGENTS_CACHE_MS) {
  let copy = null;
  let fetchedAt = 0;
  let pending = null;

  function list() {
    if (copy && Date.now() - fetchedAt < maxAge) return Promise.resolve(copy);
    if (!pending) {
      pending = (async () => {
        try {
          const answer = await fetch();
          copy = (Array.isArray(answer?.agents) ? answer.agents : [])
            .filter((agent) => agent && typeof agent.id === 'string' && agent.id)
            .map((agent) => ({ id: agent.id, name: typeof agent.name === 'string' && agent.name ? agent.name : agent.id,
              status: typeof agent.status === 'string' ? agent.status : '' }));
          fetchedAt = Date.now();
          return copy;
        } finally {
          pending = null;
        }
      })();
    }
    return pending;
  }

  return { list, cached: () => copy };
}

// "Bob Leroy (away)"; "Sam Durand (you, available)" for the signed-in agent.
export function agentLabel(agent, selfId) {
  const notes = [...(agent.id === selfId ? ['you'] : []), ...(agent.status ? [agent.status] : [])];
  return notes.length ? `${agent.name} (${notes.join(', ')})` : agent.name;
}

// One load at a time; the next one is planned REFRESH_MS after this one ends, so a slow answer never piles up. A
// load started before the view closed (or restarted) does not show its answer.
export function createPoller({ view, button, load, onAnswer, onFailure }) {
  let open = false;
  let timer = null;
  let generation = 0;
  let loading = null;

  async function now() {
    if (!open) return;
    clearTimeout(timer);
    timer = null;
    if (loading) return;
    const mine = generation;
    button.disabled = true;
    view.setAttribute('aria-busy', 'true');
    loading = (async () => {
      try {
        const answer = await load();
        if (mine === generation) onAnswer(answer ?? {});
      } catch (failure) {
        if (mine === generation) onFailure(failure);
      }
    })();
    await loading;
    loading = null;
    button.disabled = false;
    view.removeAttribute('aria-busy');
    if (open && mine === generation) timer = setTimeout(now, REFRESH_MS);
    else if (open) now(); // closed and opened again while this load ran
  }

  function begin() {
    open = true;
    now();
  }

  function end() {
    open = false;
    generation += 1;
    clearTimeout(timer);
    timer = null;
  }

  return { begin, end, now, isOpen: () => open };
}
// What both supervisor views do around their report: shown to supervisors and admins only (setRoles), toggled from
// the top bar in place of what `hide` lists, polled while open (`poller`), emptied when the desk stops. `header` and
// `body` are the view's elements; onShow() runs as it opens (the desk closes the other view), onOpen() once open,
// onStop() when the desk stops.
export function createToggledView({ toggle, view, hide: replaced, title, refresh, count, header, body, poller,
  onShow = () => {}, onOpen = () => {}, onStop = () => {} }) {
  let allowed = false;
  let open = false;

  function setRoles(roles) {
    allowed = canSupervise(roles);
    toggle.hidden = !allowed;
    if (!allowed) close();
  }

  function start() {
    view.replaceChildren(header, ...body);
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
    onStop();
    view.replaceChildren();
    delete view.dataset.state;
  }

  function onToggle() {
    if (open) close();
    else show();
  }

  function onRefresh() {
    poller.now();
  }

  function show() {
    if (!allowed || open) return;
    onShow();
    open = true;
    toggle.setAttribute('aria-pressed', 'true');
    view.hidden = false;
    for (const element of replaced) element.hidden = true;
    title.focus();
    poller.begin();
    onOpen();
  }

  // Back to the conversations (also when the agent accepts an offer from this view).
  function close() {
    if (!open) return;
    open = false;
    poller.end();
    toggle.setAttribute('aria-pressed', 'false');
    view.hidden = true;
    for (const element of replaced) element.hidden = false;
  }

  return { start, stop, setRoles, show, close, isOpen: () => open };
}

export function visitorName(item) {
  return item.visitor?.name || item.visitor?.email || 'Not given';
}

export function momentElement(iso) {
  const time = h('time', {}, formatMoment(iso));
  const moment = Date.parse(iso);
  if (Number.isFinite(moment)) {
    time.setAttribute('datetime', new Date(moment).toISOString());
    time.title = new Date(moment).toLocaleString();
  }
  return time;
}

// "Tue 14:32" within the week, else the date too (the element's title has the full time).
export function formatMoment(iso) {
  const moment = Date.parse(iso);
  if (!Number.isFinite(moment)) return 'unknown';
  const days = (moment - Date.now()) / (24 * 3600 * 1000);
  const options = days < 6 ? { weekday: 'short', hour: '2-digit', minute: '2-digit' }
    : { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };
  return new Date(moment).toLocaleString(undefined, options);
}

export function errorText(failure, what) {
  if (failure instanceof ApiError) {
    if (failure.status === 403) return `You need the supervisor or admin role to see ${what}.`;
    return `Could not load ${what}: ${apiWhy(failure)}. Retrying every ${REFRESH_MS / 1000} s.`;
  }
  return `Could not load ${what}: not connected. Retrying every ${REFRESH_MS / 1000} s.`;
}

export function apiWhy(failure) {
  return failure.message === `HTTP ${failure.status}` ? failure.message : `${failure.message} (HTTP ${failure.status})`;
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
export function pageLink(value) {
  if (!value) return h('span', { class: 'muted' }, '—');
  let url;
  try { url = new URL(value); } catch { return document.createTextNode(value); }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return document.createTextNode(value);
  const link = h('a', { target: '_blank', rel: 'noopener noreferrer' }, value);
  link.href = url.href;
  return link;
}
