// The supervisor's Production view (issue 15, M6), for supervisors and admins: the live board of the tenant, pushed
// by the server at most once a second while the view is open. Opening it sends `watch_board` (its ack carries the
// board), each `board` frame replaces it, closing it sends `unwatch_board`; after a reconnection the view watches
// again on the new connection. Per queue: waiting, the oldest wait, in progress, snoozed; the totals (Connect's
// meanings: online, available, on contact, away); the agent grid with status, time in state, load against capacity
// per channel, and Set Away / Set Offline (`set_agent_status`). Agents' names are only ever rendered as text.

import { html, useEffect, useMemo, useState } from '/vendor/htm-preact-standalone.module.js';
import { SupervisorFrame, createSupervisorView, relative } from '/desk/supervisor-shared.js';

const FRESH_MS = 30000; // the pushed board is trusted this long; older (frames lost?), the view watches anew
const TICK_MS = 1000; // waits and times in state count up between frames
const TOTALS = [
  ['waiting', 'Waiting'], ['in_progress', 'In progress'], ['snoozed', 'Snoozed'], ['live_calls', 'Live calls'],
  ['agents_online', 'Agents online'], ['agents_available', 'Available'], ['agents_on_contact', 'On contact'],
  ['agents_away', 'Away'],
];
const CHANNELS = [['chat', 'chat'], ['call', 'call'], ['email', 'email']];
const STATUS_TEXT = { available: 'Available', away: 'Away', offline: 'Offline' };

// store, toggleSlot, viewSlot, hide: as for the Waiting view (waiting.js); request(action, fields): the socket's
// request (an ack, or a rejection with the error); announce(text): the screen-reader announcer.
// The desk calls start(), stop(), setRoles(roles), close(), receive(frame) (a `board` frame) and reconnected().
export function createProductionView({ store, toggleSlot, viewSlot, hide, request, announce }) {
  let watching = false;
  let pushedAt = 0;
  let force = false;

  async function load() {
    const current = store.state.production?.report;
    // Pushed recently: the board shown stays, with the clock offset measured when it came.
    if (watching && current && !force && Date.now() - pushedAt < FRESH_MS) return current;
    force = false;
    const ack = await request('watch_board', {});
    watching = true;
    pushedAt = Date.now();
    return ack;
  }

  async function setStatus(agent, status) {
    try {
      await request('set_agent_status', { agent_id: agent.id, status });
      announce(`${agent.name} is now ${STATUS_TEXT[status] ?? status}.`);
    } catch (failure) {
      view.update({ failure: `Could not set ${agent.name} ${STATUS_TEXT[status] ?? status}: `
        + `${failure?.message || 'not connected'}.` });
    }
  }

  const view = createSupervisorView({
    name: 'production',
    store,
    toggleSlot,
    viewSlot,
    hide,
    label: 'Production',
    summarize: ({ board }) => {
      const waiting = Number(board?.totals?.waiting ?? 0);
      return { count: waiting, said: `${waiting} waiting` };
    },
    View: ProductionView,
    viewProps: { setStatus, refresh: () => { force = true; } },
    load,
    answered,
    what: 'the production board',
    onClose: () => {
      if (watching) request('unwatch_board', {}).catch(() => {});
      watching = false;
    },
  });

  function receive(frame) {
    if (!view.isOpen() || !frame?.board) return;
    pushedAt = Date.now();
    view.update({ ...answered(frame), failure: null, loadedAt: Date.now() });
  }

  // A new connection watches nothing: the open view asks again.
  function reconnected() {
    watching = false;
    if (view.isOpen()) view.refresh();
  }

  return { ...view, receive, reconnected };
}

// The server's clock: durations are counted from the board's `at`, so a desk whose clock is off says them right
// (skew: server minus desk, in ms, measured as the board arrives; a board kept from before keeps its own).
function answered({ board, skew: kept } = {}) {
  const at = Date.parse(board?.at);
  const skew = Number.isFinite(kept) ? kept : Number.isFinite(at) ? at - Date.now() : 0;
  return { report: { board: board ?? null, skew } };
}

function ProductionView({ state, controls, setStatus, refresh }) {
  const view = state.production;
  const open = state.supervisorView === 'production';
  const own = useMemo(() => ({ ...controls, refresh: () => { refresh(); controls.refresh(); } }), [controls]);
  return useMemo(() => html`<${Board} view=${view} open=${open} controls=${own} setStatus=${setStatus}
                                      selfId=${state.me?.id} />`, [view, open, state.me?.id]);
}

function Board({ view, open, controls, setStatus, selfId }) {
  const board = view.report?.board;
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!open || !board) return undefined;
    const timer = setInterval(() => setTick((n) => n + 1), TICK_MS);
    return () => clearInterval(timer);
  }, [open, Boolean(board)]);
  // Seconds since the board was computed, on the server's clock.
  const elapsed = board ? Math.max(0, (Date.now() + view.report.skew - Date.parse(board.at)) / 1000) : 0;
  const updated = board ? `Live, as of ${new Date(Date.parse(board.at)).toLocaleTimeString()}` : '';
  return html`
    <${SupervisorFrame} name="production" className="waiting-view production-view" title="Production"
                        updated=${updated} view=${view} open=${open} controls=${controls}>
      <p class="error banner waiting-error" data-testid="production-error" role="alert" hidden=${!view.failure}>
        ${view.failure ?? ''}</p>
      ${board ? html`
        <${Totals} totals=${board.totals ?? {}} />
        <${Queues} queues=${board.queues ?? []} elapsed=${elapsed} />
        <${Agents} agents=${board.agents ?? []} elapsed=${elapsed} setStatus=${setStatus} selfId=${selfId} />
        ${board.truncated ? html`<p class="muted" data-testid="production-truncated">Only the first agents are
          shown.</p>` : null}` : null}
    <//>`;
}

function Totals({ totals }) {
  return html`
    <dl class="production-totals" data-testid="production-totals">
      ${TOTALS.map(([key, label]) => html`
        <div class="production-total" key=${key} data-testid=${`total-${key}`} data-value=${String(totals[key] ?? 0)}>
          <dt>${label}</dt><dd>${String(totals[key] ?? 0)}</dd>
        </div>`)}
    </dl>`;
}

// Why the queue's oldest conversation is not distributed, and how many held ones are past their end: the stuck
// list (the Waiting and Held views give the details and the Release button).
function stuckText(queue) {
  const parts = [];
  if (queue.stuck?.text) parts.push(String(queue.stuck.text));
  if (queue.overdue) parts.push(`${queue.overdue} overdue (snoozed or reserved past their end)`);
  return parts.length ? html`<span class="stuck-flag">${parts.join('; ')}</span>` : '—';
}

function Queues({ queues, elapsed }) {
  return html`
    <h3 id="production-queues-title">Queues</h3>
    <div class="waiting-table-wrap">
      <table class="waiting-table" data-testid="production-queues" aria-labelledby="production-queues-title">
        <thead><tr>${['Queue', 'Waiting', 'Oldest wait', 'In progress', 'Snoozed', 'Stuck'].map((label) => html`
          <th scope="col" key=${label}>${label}</th>`)}</tr></thead>
        <tbody>
          ${queues.map((queue) => html`
            <tr key=${String(queue.id)} data-testid="production-queue" data-queue=${String(queue.id)}>
              <th scope="row">${String(queue.name ?? queue.id)}</th>
              <td data-testid="queue-waiting">${String(queue.waiting ?? 0)}</td>
              <td data-testid="queue-oldest">${queue.oldest_wait_seconds === null || queue.oldest_wait_seconds
                === undefined ? '—' : relative((queue.oldest_wait_seconds + elapsed) * 1000)}</td>
              <td data-testid="queue-in-progress">${String(queue.in_progress ?? 0)}</td>
              <td data-testid="queue-snoozed">${String(queue.snoozed ?? 0)}</td>
              <td data-testid="queue-stuck">${stuckText(queue)}</td>
            </tr>`)}
        </tbody>
      </table>
    </div>`;
}

function Agents({ agents, elapsed, setStatus, selfId }) {
  return html`
    <h3 id="production-agents-title">Agents</h3>
    <div class="waiting-table-wrap">
      <table class="waiting-table" data-testid="production-agents" aria-labelledby="production-agents-title">
        <thead><tr>${['Agent', 'Status', 'In state', 'Load', 'Actions'].map((label) => html`
          <th scope="col" key=${label}>${label}</th>`)}</tr></thead>
        <tbody>
          ${agents.map((agent) => html`<${AgentRow} key=${String(agent.id)} agent=${agent} elapsed=${elapsed}
                                                   setStatus=${setStatus} self=${agent.id === selfId} />`)}
        </tbody>
      </table>
    </div>`;
}

function AgentRow({ agent, elapsed, setStatus, self }) {
  const name = String(agent.name || agent.id);
  const load = CHANNELS.filter(([key]) => (agent.load?.[key]?.capacity ?? 0) > 0 || (agent.load?.[key]?.active ?? 0) > 0)
    .map(([key, label]) => `${label} ${agent.load[key].active}/${agent.load[key].capacity}`).join(' · ') || '—';
  const inState = agent.seconds_in_state === null || agent.seconds_in_state === undefined ? '—'
    : relative((agent.seconds_in_state + elapsed) * 1000);
  const flags = [agent.on_contact ? 'on contact' : '', agent.available ? 'can take work' : ''].filter(Boolean);
  return html`
    <tr data-testid="production-agent" data-agent-id=${String(agent.id)} data-status=${String(agent.status)}
        data-on-contact=${String(Boolean(agent.on_contact))}>
      <th scope="row">${name}${self ? ' (you)' : ''}</th>
      <td data-testid="agent-status">${STATUS_TEXT[agent.status] ?? String(agent.status)}${flags.length
        ? html`<br /><span class="muted">${flags.join(', ')}</span>` : null}</td>
      <td data-testid="agent-in-state">${inState}</td>
      <td data-testid="agent-load">${load}</td>
      <td class="production-actions">
        <button type="button" class="secondary" data-testid="set-away" disabled=${agent.status === 'away'}
                onClick=${() => setStatus(agent, 'away')}>Set Away<span class="visually-hidden"> (${name})</span>
        </button>
        <button type="button" class="secondary" data-testid="set-offline" disabled=${agent.status === 'offline'}
                onClick=${() => setStatus(agent, 'offline')}>Set Offline<span class="visually-hidden"> (${name})</span>
        </button>
      </td>
    </tr>`;
}
