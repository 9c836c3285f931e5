// The supervisor's Calls view (issue 14), for supervisors and admins: the tenant's live calls (callbacks calling or
// connected), who is on them, in which state (calling the visitor, connected, on hold) and for how long; reads
// GET /tenants/{tenant}/calls/live every REFRESH_MS while open, and at once when a callback.updated frame reaches the
// desk (changed()). A Preact component over the store's state.calls (the last report); visitor text is only ever
// rendered as text.

import { html, useEffect, useMemo, useState } from '/vendor/htm-preact-standalone.module.js';
import { Moment, SupervisorFrame, createSupervisorView, relative, updatedText } from '/desk/supervisor-shared.js';

const COLUMNS = ['Visitor', 'Agent', 'State', 'For'];
const TICK_MS = 1000; // the durations count up between loads
const INTRO = 'Callbacks under way: the visitor being called, or on the phone with an agent. The durations count '
  + 'from the last change of state, and from when the visitor was put on hold.';

// store, toggleSlot, viewSlot, hide: as for the Waiting view (waiting.js); load(): the GET /calls/live answer.
// The desk calls start(), stop(), setRoles(roles), close() and changed() (a callback.updated frame).
export function createLiveCalls({ store, toggleSlot, viewSlot, hide, load }) {
  const view = createSupervisorView({
    name: 'calls',
    store,
    toggleSlot,
    viewSlot,
    hide,
    label: 'Calls',
    summarize: ({ calls }) => ({
      count: calls.length, said: `${calls.length} live call${calls.length === 1 ? '' : 's'}`,
    }),
    View: LiveCallsView,
    load,
    answered,
    what: 'the live calls',
  });
  // A callback changed: the view shown reads the calls again (the poller ignores it while closed or loading).
  return { ...view, changed: () => view.refresh() };
}

// The server's clock: durations are counted from `now` in the answer, so a desk whose clock is off still says them
// right (skew: server minus desk, in ms).
function answered({ calls = [], now } = {}) {
  const server = Date.parse(now);
  const skew = Number.isFinite(server) ? server - Date.now() : 0;
  return { report: { calls: Array.isArray(calls) ? calls : [], skew } };
}

// Drawn again only when the report or whether it is shown changes (the store changes for every part of the desk).
function LiveCallsView({ state, controls }) {
  const view = state.calls;
  const open = state.supervisorView === 'calls';
  return useMemo(() => html`<${LiveCallsReport} view=${view} open=${open} controls=${controls} />`, [view, open]);
}

function LiveCallsReport({ view, open, controls }) {
  const { report, loadedAt } = view;
  const calls = report?.calls ?? [];
  const loaded = Boolean(report);
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!open || calls.length === 0) return undefined;
    const timer = setInterval(() => setTick((n) => n + 1), TICK_MS);
    return () => clearInterval(timer);
  }, [open, calls.length]);
  const now = Date.now() + (report?.skew ?? 0);
  return html`
    <${SupervisorFrame} name="calls" className="waiting-view calls-view" title="Live calls"
                        updated=${loaded ? updatedText(loadedAt) : ''} view=${view} open=${open}
                        controls=${controls}>
      <p class="muted held-intro">${INTRO}</p>
      <p class="error banner waiting-error" data-testid="calls-error" role="alert" hidden=${!view.failure}>
        ${view.failure ?? ''}</p>
      <div class="waiting-table-wrap">
        <table class="waiting-table live-calls-table" data-testid="calls-table" aria-labelledby="calls-title"
               hidden=${loaded && calls.length === 0}>
          <thead><tr>${COLUMNS.map((label) => html`<th scope="col" key=${label}>${label}</th>`)}</tr></thead>
          <tbody data-testid="calls-rows">
            ${calls.map((call) => html`<${LiveCallRow} key=${String(call.id ?? '')} call=${call} now=${now} />`)}
          </tbody>
        </table>
      </div>
      <p class="muted" data-testid="calls-empty" hidden=${!loaded || calls.length !== 0}>No call under way.</p>
    <//>`;
}

function LiveCallRow({ call, now }) {
  const held = call.state === 'connected' && Boolean(call.held_since);
  return html`
    <tr class="waiting-row live-call-row" data-testid="live-call-row" data-callback-id=${String(call.id ?? '')}
        data-state=${String(call.state ?? '')} data-phase=${String(call.phase ?? '')} data-held=${String(held)}>
      <td data-testid="live-call-visitor">
        <span class="live-call-name">${call.name || 'Not given'}</span><br />
        <span class="muted live-call-phone" data-testid="live-call-phone">${String(call.phone ?? '')}</span>
      </td>
      <td data-testid="live-call-agent">${agentText(call)}</td>
      <td data-testid="live-call-state">
        <span class=${held ? 'live-call-hold' : 'live-call-state'}>${stateText(call, held)}</span>
      </td>
      <td data-testid="live-call-duration">
        <${Moment} iso=${call.since} text=${since(call.since, now)} />
        ${held ? html`<br /><span data-testid="live-call-held-for">on hold${' '}
          <${Moment} iso=${call.held_since} text=${since(call.held_since, now)} /></span>` : null}
      </td>
    </tr>`;
}

// Who is on it: nobody yet, the agent whose phone rings, or the agent on the call.
export function agentText(call) {
  if (call.phase === 'calling_acd' || call.phase === 'identifying') return 'At the ACD'; // ACD mode (CB-5)
  if (call.phase === 'waiting_agent' || (!call.agent_name && call.state === 'calling')) return 'Waiting for an agent';
  if (call.phase === 'ringing_agent') return `Ringing ${call.agent_name || 'an agent'}`;
  return call.agent_name || '—';
}

export function stateText(call, held = call.state === 'connected' && Boolean(call.held_since)) {
  const consult = call.consult?.state; // issue 14: consult and conference (call-consult.js)
  if (consult === 'conference') return `Conference with ${call.consult.name || 'a third party'}`;
  if (consult === 'ringing' || consult === 'talking') return `Consulting ${call.consult.name || 'a third party'}`;
  if (call.transfer?.state === 'offered') return `On hold, transferring to ${call.transfer.to_name || 'an agent'}`;
  if (held) return 'On hold';
  if (call.state === 'connected') return 'Connected';
  if (call.phase === 'calling_visitor') return 'Calling the visitor';
  if (call.phase === 'ringing_agent') return 'Ringing the agent';
  if (call.phase === 'waiting_agent') return 'Waiting for an agent';
  if (call.phase === 'calling_acd') return 'Calling the ACD';
  if (call.phase === 'identifying') return 'The ACD agent types their id';
  return call.state === 'calling' ? 'Calling' : String(call.state ?? '');
}

function since(iso, now) {
  const moment = Date.parse(iso);
  return Number.isFinite(moment) ? relative(now - moment) : '—';
}
