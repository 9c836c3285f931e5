// The Reports area (issue 15), for supervisors and admins, toggled from the top bar in place of the conversations like
// the supervisor views (one view at a time: store.state.supervisorView): Customer experience, Conversations and
// Callbacks, read from GET /tenants/{tenant}/reports/{view}?from=&to=&queue= (docs/reports.md, "The report API")
// and drawn from the answer's figures, tables and charts; history read when asked, never polled (Production beside
// it is live). This module is only the top bar's button, opening and closing: the page (reports-page.js), what it
// does (reports-actions.js) and its stylesheet are fetched the first time the area opens, and uPlot when a chart is
// drawn (reports-chart.js), so that the desk's first load barely grows and agents download none of them.

import { html } from '/vendor/htm-preact-standalone.module.js';
import { mount } from '/desk/store.js';
import { canSupervise } from '/desk/supervisor-shared.js';

const NAME = 'reports';
export const REPORT_VIEWS = [['experience', 'Customer experience'], ['conversations', 'Conversations'],
  ['callbacks', 'Callbacks']];
let page = null; // the page's component and what it does, once fetched: {View, createActions}

function LazyView({ state, controller }) {
  if (controller.actions) return html`<${page.View} state=${state} actions=${controller.actions} />`;
  const failure = state.supervisorView === NAME ? state.reports?.failure : null;
  return failure ? html`<p class="banner waiting-error" role="alert">${failure}</p>` : null;
}

// store: the desk's store; api: the desk's REST client (report, reportCsv); groups(): the tenant's queues ({id,
// name}); toggleSlot, viewSlot: where the top bar's button and the area are drawn; hide: what the area replaces while
// shown; announce(text): the screen-reader announcer.
export function createReports({ store, api, groups, toggleSlot, viewSlot, hide, announce }) {
  const isOpen = () => store.state.supervisorView === NAME;
  const controller = { actions: null, toggle: () => (isOpen() ? close() : show()) };
  let undo = [];

  function start() {
    store.set({ reports: { view: 'experience', from: '', to: '', queue: '', queues: [], report: null, loading: false,
      failure: null, failureField: null, failedAt: 0, csvFailure: null } });
    undo = [
      store.subscribe((state) => { if (isOpen() && !canSupervise(state.me?.roles)) close(); }),
      mount(toggleSlot, ReportsToggle, store, { controller }),
      mount(viewSlot, LazyView, store, { controller }),
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

  async function show() {
    if (!canSupervise(store.state.me?.roles) || isOpen()) return;
    store.set({ supervisorView: NAME });
    for (const element of hide) element.hidden = true;
    if (!controller.actions) {
      addStylesheet('/desk/reports.css');
      try {
        const [view, actions] = await Promise.all([import('/desk/reports-page.js'),
          import('/desk/reports-actions.js')]);
        page = { View: view.ReportsView };
        controller.actions = actions.createActions({ store, api, groups, announce });
      } catch (failure) {
        store.set({ reports: { ...store.state.reports, failure: `Could not load the reports: ${failure.message}` } });
        return;
      }
    }
    if (isOpen()) controller.actions.opened();
  }

  function close() {
    if (!isOpen()) return;
    controller.actions?.closed();
    store.set({ supervisorView: null });
    for (const element of hide) element.hidden = false;
  }

  return { start, stop, setRoles, show, close, isOpen };
}

// A stylesheet the area needs, added once to the page when it is first used.
export function addStylesheet(href) {
  if (document.querySelector(`link[href="${href}"]`)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  document.head.append(link);
}

// aria-controls only once the area is drawn: it must name an element of the page.
function ReportsToggle({ state, controller }) {
  return html`
    <button id="reports-toggle" type="button" class="secondary waiting-toggle" data-testid="reports-tab"
            aria-pressed=${String(state.supervisorView === NAME)}
            aria-controls=${controller.actions ? 'reports-view' : undefined}
            hidden=${!canSupervise(state.me?.roles)} onClick=${controller.toggle}>Reports</button>`;
}
