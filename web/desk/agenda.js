// The agenda (issue 13, CB-11): the scheduled callbacks of the agent's groups, one day at a time, each with its time
// in the tenant's time zone, the visitor's name and number, its state (booked, calling, not reached, connected,
// cancelled, expired, ended), its attempt and the agent who took it. Every agent has it: a view toggled from the top
// bar, shown in place of the workspace like the supervisor views (state.supervisorView is 'agenda' while it is
// shown: one such view at a time). Reads GET /tenants/{tenant}/callbacks/agenda?day=YYYY-MM-DD when opened, on
// Previous day / Today / Next day, on every callback.updated frame, and every minute while shown. A Preact
// component over state.agenda ({day, report, loading, failure, loadedAt}); visitor text is only ever rendered as
// text. The callbacks start by themselves at their time: the agenda only shows them.

import { ApiError } from '/widget/connection.js';
import { html, useMemo } from '/vendor/htm-preact-standalone.module.js';
import { SupervisorFrame, apiWhy, updatedText } from '/desk/supervisor-shared.js';
import { mount } from '/desk/store.js';

export const AGENDA_REFRESH_MS = 60 * 1000;
const NAME = 'agenda';
const STATE_TEXT = {
  booked: 'Booked', calling: 'Calling', retrying: 'Not reached, retrying', connected: 'Connected',
  not_reached: 'Not reached', cancelled: 'Cancelled', expired: 'Expired', ended: 'Ended',
};
const COLUMNS = ['Time', 'Name', 'Number', 'State', 'Attempt', 'Agent'];

// "2026-12-07" moved by `days` (calendar days: no time zone involved).
export function shiftDay(day, days) {
  const [year, month, date] = day.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, date + days)).toISOString().slice(0, 10);
}

// "Monday 7 December 2026" in the agent's language.
function dayText(day) {
  const [year, month, date] = day.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, date, 12)).toLocaleDateString(undefined,
    { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

// A call time in the tenant's zone ("09:10"); the agent's own zone if the answer named none the browser knows.
function timeText(iso, timeZone) {
  const moment = Date.parse(iso);
  if (!Number.isFinite(moment)) return '';
  const options = { hour: '2-digit', minute: '2-digit' };
  try {
    return new Date(moment).toLocaleTimeString(undefined, { ...options, timeZone });
  } catch {
    return new Date(moment).toLocaleTimeString(undefined, options);
  }
}

// store: the desk's store; api (agenda(day)); toggleSlot: the top bar's place for the toggle; viewSlot: where the
// view is drawn; hide: what it replaces while shown. The desk calls start(), stop(), close() and changed() (a
// callback.updated frame).
export function createAgenda({ store, api, toggleSlot, viewSlot, hide: replaced }) {
  const update = (patch) => store.set({ agenda: { ...store.state.agenda, ...patch } });
  const isOpen = () => store.state.supervisorView === NAME;
  let timer = null;
  let generation = 0; // a load started before the day changed or the view closed does not show its answer
  let undo = [];
  const controls = {
    toggle: () => (isOpen() ? close() : show()),
    refresh: () => load(),
    previous: () => go(-1),
    next: () => go(1),
    today: () => { update({ day: null }); load(); },
  };

  function start() {
    update({ day: null, report: null, loading: false, failure: null, loadedAt: null });
    undo = [
      store.subscribe(() => { if (timer !== null && !isOpen()) stopTimer(); }), // another view was shown
      mount(toggleSlot, AgendaToggle, store, { controls }),
      mount(viewSlot, AgendaView, store, { controls }),
    ];
  }

  function stop() {
    close();
    for (const step of undo) step();
    undo = [];
  }

  function show() {
    if (isOpen()) return;
    store.set({ supervisorView: NAME });
    for (const element of replaced) element.hidden = true;
    load();
  }

  function close() {
    stopTimer();
    generation += 1;
    if (!isOpen()) return;
    store.set({ supervisorView: null });
    for (const element of replaced) element.hidden = false;
  }

  function stopTimer() {
    clearTimeout(timer);
    timer = null;
  }

  function go(days) {
    const shown = store.state.agenda.report?.day ?? store.state.agenda.day;
    if (!shown) return;
    update({ day: shiftDay(shown, days) });
    load();
  }

  async function load() {
    if (!isOpen()) return;
    stopTimer();
    const mine = ++generation;
    update({ loading: true });
    try {
      const report = await api.agenda(store.state.agenda.day);
      if (mine === generation) update({ report, failure: null, loadedAt: Date.now() });
    } catch (failure) {
      if (mine === generation) update({ failure: failureText(failure) });
    }
    if (mine !== generation) return;
    update({ loading: false });
    timer = setTimeout(load, AGENDA_REFRESH_MS);
  }

  // A callback changed somewhere: the agenda shown reads its day again.
  function changed() {
    if (isOpen()) load();
  }

  return { start, stop, show, close, changed, isOpen };
}

function failureText(failure) {
  if (failure instanceof ApiError) return `Could not load the agenda: ${apiWhy(failure)}. Retrying every minute.`;
  return 'Could not load the agenda: not connected. Retrying every minute.';
}

function AgendaToggle({ state, controls }) {
  return html`
    <button id="agenda-toggle" type="button" class="secondary waiting-toggle" data-testid="agenda-tab"
            aria-pressed=${String(state.supervisorView === NAME)} aria-controls="agenda-view"
            onClick=${controls.toggle}>Agenda</button>`;
}

// Drawn again only when the agenda or whether it is shown changes (the store changes for every part of the desk).
function AgendaView({ state, controls }) {
  const view = state.agenda ?? {};
  const open = state.supervisorView === NAME;
  return useMemo(() => html`<${AgendaReport} view=${view} open=${open} controls=${controls} />`, [view, open]);
}

function AgendaReport({ view, open, controls }) {
  const { report, loadedAt } = view;
  const callbacks = Array.isArray(report?.callbacks) ? report.callbacks : [];
  const day = report?.day ?? view.day ?? '';
  const zone = report?.time_zone ?? '';
  return html`
    <${SupervisorFrame} name=${NAME} className="waiting-view agenda-view" title="Agenda of callbacks"
                        updated=${report ? updatedText(loadedAt) : ''} view=${view} open=${open} controls=${controls}>
      <p class="error banner waiting-error" data-testid="agenda-error" role="alert" hidden=${!view.failure}>
        ${view.failure ?? ''}</p>
      <div class="agenda-days">
        <div class="agenda-nav" role="group" aria-label="Day">
          <button type="button" class="secondary" data-testid="agenda-previous" disabled=${!day}
                  onClick=${controls.previous}>Previous day</button>
          <button type="button" class="secondary" data-testid="agenda-today"
                  onClick=${controls.today}>Today</button>
          <button type="button" class="secondary" data-testid="agenda-next" disabled=${!day}
                  onClick=${controls.next}>Next day</button>
        </div>
        <h3 id="agenda-day" data-testid="agenda-day" data-day=${day} aria-live="polite">
          ${day ? dayText(day) : ''}</h3>
        <span class="muted" data-testid="agenda-zone" hidden=${!zone}>${`Times in ${zone}`}</span>
      </div>
      <div class="waiting-table-wrap">
        <table class="waiting-table agenda-table" data-testid="agenda-table" aria-labelledby="agenda-day"
               hidden=${!report || callbacks.length === 0}>
          <thead><tr>${COLUMNS.map((label) => html`<th scope="col" key=${label}>${label}</th>`)}</tr></thead>
          <tbody data-testid="agenda-rows">
            ${callbacks.map((item) => html`<${AgendaRow} key=${String(item.id ?? '')} item=${item} zone=${zone} />`)}
          </tbody>
        </table>
      </div>
      <p class="muted" data-testid="agenda-empty" hidden=${!report || callbacks.length !== 0}>
        No callback is booked on this day.</p>
    <//>`;
}

function AgendaRow({ item, zone }) {
  const attempt = Number(item.attempt) || 0;
  const attempts = Number(item.attempts) || 0;
  const moment = Date.parse(item.at);
  return html`
    <tr class=${`agenda-row agenda-row--${item.state ?? ''}`} data-testid="agenda-row"
        data-callback-id=${String(item.id ?? '')} data-state=${String(item.state ?? '')}>
      <td data-testid="agenda-time">
        <time datetime=${Number.isFinite(moment) ? new Date(moment).toISOString() : undefined}>
          ${timeText(item.at, zone || undefined)}</time></td>
      <td data-testid="agenda-name">${item.name || 'Not given'}</td>
      <td data-testid="agenda-phone">${item.phone ?? ''}</td>
      <td data-testid="agenda-state">
        <span class=${`agenda-state agenda-state--${item.state ?? ''}`}>
          ${STATE_TEXT[item.state] ?? String(item.state ?? '')}</span></td>
      <td data-testid="agenda-attempt">${attempt ? `${attempt} of ${attempts || attempt}` : '—'}</td>
      <td data-testid="agenda-agent">${item.agent_name || '—'}</td>
    </tr>`;
}
