// Guichet desk, supervisor pages, shown to supervisors and admins only as views toggled from the top bar:
// - Waiting (issue 4, ASYNC-19): the conversations waiting in each distribution group, with the rule that sent them
//   there, and for a stuck one why it is not distributed (no eligible agent online, all at capacity, or skill level
//   missing); reads GET /tenants/{tenant}/waiting every REFRESH_MS while open.
// - Held (issue 5, ASYNC-13, ASYNC-14): the conversations agents hold (on a desk, reserved, snoozed), each with
//   Release and Transfer (to a queue or an agent), both refused while its agent is connected with it on their desk;
//   reads GET /tenants/{tenant}/held every REFRESH_MS while open.
// - The transfer pickers (here and on the desk) list the tenant's agents from GET /tenants/{tenant}/agents with their
//   status, asked when a picker opens and kept AGENTS_CACHE_MS (createAgentDirectory).
// Visitor text (name, page URL) is only ever rendered as text.

// This module: what both views share (roles, the agents directory, the poller, the frame of a view and its toggle
// as Preact components over the desk's store, moments, error texts, page links); the views are waiting.js and
// held.js, and supervisor.js exports them all.

import { ApiError } from '/widget/connection.js';
import { html, useLayoutEffect, useRef } from '/vendor/htm-preact-standalone.module.js';
import { mount } from '/desk/store.js';

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
              status: typeof agent.status === 'string' ? agent.status : '', takes_calls: agent.takes_calls === true }));
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
// load started before the view closed (or restarted) does not show its answer. onLoading(true | false) brackets
// each load.
export function createPoller({ load, onLoading, onAnswer, onFailure }) {
  let open = false;
  let timer = null;
  let generation = 0;
  let loading = false;

  async function now() {
    if (!open) return;
    clearTimeout(timer);
    timer = null;
    if (loading) return;
    const mine = generation;
    loading = true;
    onLoading(true);
    try {
      const answer = await load();
      if (mine === generation) onAnswer(answer ?? {});
    } catch (failure) {
      if (mine === generation) onFailure(failure);
    }
    loading = false;
    if (open && mine === generation) timer = setTimeout(now, REFRESH_MS);
    if (open && mine !== generation) now(); // closed and opened again while this load ran
    else onLoading(false);
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

// What both supervisor views do around their report. The store holds it in state[name] ({report, loading, failure,
// loadedAt} and the view's own `initial` keys) and which view is shown in state.supervisorView ('waiting', 'held' or
// null: one at a time). Shown to supervisors and admins only (the store's me), toggled from the top bar in place of
// what `hide` lists, polled while shown: the toggle is drawn into toggleSlot, the view by View (with viewProps) into
// viewSlot. answered(answer) is the state the view keeps from a load; `what` names the report in error texts;
// onOpen() runs once the view is shown, onClose() once it is not any more. The desk calls start(), setRoles(roles), close() and stop().
export function createSupervisorView({ name, store, toggleSlot, viewSlot, hide: replaced, label, summarize, View,
  viewProps = {}, initial = {}, load, answered, what, onOpen = () => {}, onClose = () => {} }) {
  const update = (patch) => store.set({ [name]: { ...store.state[name], ...patch } });
  const isOpen = () => store.state.supervisorView === name;
  const poller = createPoller({
    load,
    onLoading: (loading) => update({ loading }),
    onAnswer: (answer) => update({ ...answered(answer), failure: null, loadedAt: Date.now() }),
    onFailure: (failure) => update({ failure: errorText(failure, what) }),
  });
  const controls = { toggle, refresh: () => poller.now() };
  let undo = [];

  function start() {
    update({ report: null, loading: false, failure: null, loadedAt: null, ...initial });
    undo = [
      store.subscribe(() => { // the other view was shown
        if (poller.isOpen() && !isOpen()) { poller.end(); onClose(); }
      }),
      mount(toggleSlot, SupervisorToggle, store, { name, label, summarize, controls }),
      mount(viewSlot, View, store, { ...viewProps, controls }),
    ];
  }

  function stop() {
    close();
    for (const step of undo) step();
    undo = [];
  }

  // The roles changed: a view they no longer allow closes (its toggle follows the store's me).
  function setRoles(roles) {
    if (!canSupervise(roles)) close();
  }

  function toggle() {
    if (isOpen()) close();
    else show();
  }

  function show() {
    if (!canSupervise(store.state.me?.roles) || isOpen()) return;
    store.set({ supervisorView: name });
    for (const element of replaced) element.hidden = true;
    poller.begin();
    onOpen();
  }

  // Back to the conversations (also when the agent accepts an offer from this view).
  function close() {
    if (!isOpen()) return;
    poller.end();
    onClose();
    store.set({ supervisorView: null });
    for (const element of replaced) element.hidden = false;
  }

  return { start, stop, setRoles, show, close, isOpen, update, refresh: controls.refresh };
}

// The top bar's button of a view: aria-pressed while it is shown; once loaded, the count summarize(report) gives
// ({count, said}), and what it counts for screen readers (visually hidden, after the visible text: the accessible
// name keeps the visible text, WCAG 2.5.3).
function SupervisorToggle({ state, name, label, summarize, controls }) {
  const report = state[name]?.report;
  const summary = report ? summarize(report) : null;
  const count = summary ? String(summary.count) : undefined;
  return html`
    <button id=${`${name}-toggle`} type="button" class="secondary waiting-toggle" data-testid=${`${name}-tab`}
            aria-pressed=${String(state.supervisorView === name)} aria-controls=${`${name}-view`}
            hidden=${!canSupervise(state.me?.roles)} onClick=${controls.toggle}>
      ${label}${' '}<span class="waiting-count" data-testid=${`${name}-count`} data-count=${count}
                          hidden=${!summary}>${count ?? ''}</span>
      ${summary ? html`<span class="visually-hidden"> (${summary.said})</span>` : null}
    </button>`;
}

// A view's frame: its heading (which gets the focus as the view opens), when it was updated, Refresh, then the
// view's own content (children). `view` is its state[name].
export function SupervisorFrame({ name, className, title, updated, view, open, controls, children }) {
  const heading = useRef(null);
  useLayoutEffect(() => {
    if (open) heading.current.focus();
  }, [open]);
  const loadState = view.failure ? 'error' : view.report ? 'loaded' : undefined;
  return html`
    <section id=${`${name}-view`} class=${className} data-testid=${`${name}-view`} aria-labelledby=${`${name}-title`}
             hidden=${!open} data-state=${loadState} aria-busy=${view.loading ? 'true' : undefined}>
      <div class="waiting-header">
        <h2 id=${`${name}-title`} tabindex="-1" ref=${heading}>${title}</h2>
        <span class="muted waiting-updated" data-testid=${`${name}-updated`}>${updated}</span>
        <button type="button" class="secondary" data-testid=${`${name}-refresh`} disabled=${view.loading}
                onClick=${controls.refresh}>Refresh</button>
      </div>
      ${children}
    </section>`;
}

// "Updated 14:32:05" for a load at `at` (ms), or nothing before the first.
export function updatedText(at) {
  return at ? `Updated ${new Date(at).toLocaleTimeString()}` : '';
}

export function visitorName(item) {
  return item.visitor?.name || item.visitor?.email || 'Not given';
}

// A <time> for an ISO moment with the exact time in its title; `text` says it (formatMoment by default).
export function Moment({ iso, text = formatMoment(iso) }) {
  const moment = Date.parse(iso);
  const exact = Number.isFinite(moment)
    ? { datetime: new Date(moment).toISOString(), title: new Date(moment).toLocaleString() } : {};
  return html`<time ...${exact}>${text}</time>`;
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
export function PageLink({ url: value }) {
  if (!value) return html`<span class="muted">—</span>`;
  let url;
  try { url = new URL(value); } catch { return value; }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return value;
  return html`<a href=${url.href} target="_blank" rel="noopener noreferrer">${value}</a>`;
}
