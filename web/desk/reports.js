// The Reports area (issue 15), for supervisors and admins, toggled from the top bar in place of the conversations like
// the supervisor views (one view at a time: store.state.supervisorView): Customer experience, Conversations and
// Callbacks, each read from GET /tenants/{tenant}/reports/{view}?from=&to=&queue= (docs/reports.md, "The report
// API") over a period and a queue the supervisor picks, and drawn generically from the answer's figures, tables and
// charts. The Production board beside it is live (production.js); these are history, read when asked, never polled.
// This module is the controller and the top bar's button; the page (reports-page.js, with its period and queue
// pickers, figures, tables and charts) and its stylesheet are fetched the first time the area opens, and uPlot when a
// chart is drawn (reports-chart.js): agents, whose desk never shows it, download none of them.

import { ApiError } from '/widget/connection.js';
import { html } from '/vendor/htm-preact-standalone.module.js';
import { mount } from '/desk/store.js';
import { canSupervise } from '/desk/supervisor-shared.js';

const NAME = 'reports';
export const REPORT_VIEWS = [['experience', 'Customer experience'], ['conversations', 'Conversations'],
  ['callbacks', 'Callbacks']];
let page = null; // the page's component, once fetched

function LazyView({ state, actions }) {
  if (page) return html`<${page} state=${state} actions=${actions} />`;
  const failure = state.supervisorView === NAME ? state.reports?.failure : null;
  return failure ? html`<p class="banner waiting-error" role="alert">${failure}</p>` : null;
}

// store: the desk's store; api: the desk's REST client (report, reportCsv); groups(): the tenant's queues ({id,
// name}); toggleSlot, viewSlot: where the top bar's button and the area are drawn; hide: what the area replaces while
// shown; announce(text): the screen-reader announcer.
export function createReports({ store, api, groups, toggleSlot, viewSlot, hide, announce }) {
  const isOpen = () => store.state.supervisorView === NAME;
  const current = () => store.state.reports;
  const update = (patch) => store.set({ reports: { ...current(), ...patch } });
  let generation = 0; // an answer to an older request is not shown
  const actions = {
    toggle: () => (isOpen() ? close() : show()),
    choose: (view) => { if (view !== current().view) { update({ view, report: null }); load(); } },
    edit: (patch) => update(patch),
    apply: (patch = {}) => { update(patch); load(); },
    load: () => load(),
    download: (table) => download(table),
    zone: () => current().report?.time_zone || store.state.settings?.callback?.time_zone
      || Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
  let undo = [];

  function start() {
    update({ view: 'experience', from: '', to: '', queue: '', queues: [], report: null, loading: false, failure: null,
      failureField: null, failedAt: 0, csvFailure: null });
    undo = [
      store.subscribe((state) => { if (isOpen() && !canSupervise(state.me?.roles)) close(); }),
      mount(toggleSlot, ReportsToggle, store, { actions }),
      mount(viewSlot, LazyView, store, { actions }),
    ];
  }

  function stop() {
    close();
    for (const step of undo) step();
    undo = [];
  }

  function setRoles(roles) {
    if (!canSupervise(roles)) close();
  }

  function show() {
    if (!canSupervise(store.state.me?.roles) || isOpen()) return;
    store.set({ supervisorView: NAME });
    for (const element of hide) element.hidden = true;
    if (!page) {
      addStylesheet('/desk/reports.css');
      import('/desk/reports-page.js').then((module) => { page = module.ReportsView; store.changed(); },
        (failure) => update({ failure: `Could not load the reports: ${failure.message}` }));
    }
    groups().then((queues) => update({ queues: queues ?? [] }), () => {});
    load();
  }

  function close() {
    if (!isOpen()) return;
    generation += 1;
    store.set({ supervisorView: null });
    for (const element of hide) element.hidden = false;
  }

  // The period and queue asked; the server's today when no period is given yet, whose dates then fill the pickers.
  function query(extra = {}) {
    const { from, to, queue } = current();
    const params = { ...(from ? { from } : {}), ...(to ? { to } : {}), ...(queue ? { queue } : {}), ...extra };
    return new URLSearchParams(params).toString();
  }

  async function load() {
    const mine = ++generation;
    const { view } = current();
    update({ loading: true, failure: null, csvFailure: null });
    try {
      const report = await api.report(view, query());
      if (mine !== generation) return;
      update({ report, loading: false, from: current().from || report.from, to: current().to || report.to });
      const label = REPORT_VIEWS.find(([key]) => key === view)?.[1] ?? view;
      announce(`${label} loaded, ${report.from} to ${report.to}.`);
    } catch (failure) {
      if (mine !== generation) return;
      // A refused parameter (a 400 naming `from`, `to` or `queue`): its picker takes the focus (reports-page.js).
      update({ loading: false, report: null, failure: failureText(failure),
        failureField: failure instanceof ApiError ? failure.field ?? null : null, failedAt: Date.now() });
    }
  }

  // The server writes the CSV (RFC 4180, docs/reports.md "CSV export"); it is fetched with the agent's token and
  // saved through a Blob URL, since a plain link could not carry the Authorization header.
  async function download(table) {
    const { view, report } = current();
    if (!report) return;
    update({ csvFailure: null });
    try {
      const blob = await api.reportCsv(view, query({ from: report.from, to: report.to, format: 'csv', table }));
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = csvName(view, table, report);
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (failure) {
      update({ csvFailure: `Could not download the CSV: ${failure.message || 'not connected'}.` });
    }
  }

  return { start, stop, setRoles, show, close, isOpen };
}

// experience-per_day-2026-12-01_2026-12-07.csv (the queue, when one is chosen, after the table).
export function csvName(view, table, report) {
  const queue = report.queue ? `-${String(report.queue).replace(/[^\w.-]/g, '')}` : '';
  return `${view}-${table}${queue}-${report.from}_${report.to}.csv`;
}

function failureText(failure) {
  if (failure instanceof ApiError) {
    if (failure.status === 403) return 'You need the supervisor or admin role to see the reports.';
    return `Could not load the report: ${failure.message}${failure.field ? ` (${failure.field})` : ''}.`;
  }
  return 'Could not load the report: not connected.';
}

// A stylesheet the area needs, added once to the page when it first opens.
export function addStylesheet(href) {
  if (document.querySelector(`link[href="${href}"]`)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  document.head.append(link);
}

function ReportsToggle({ state, actions }) {
  return html`
    <button id="reports-toggle" type="button" class="secondary waiting-toggle" data-testid="reports-tab"
            aria-pressed=${String(state.supervisorView === NAME)} aria-controls="reports-view"
            hidden=${!canSupervise(state.me?.roles)} onClick=${actions.toggle}>Reports</button>`;
}
