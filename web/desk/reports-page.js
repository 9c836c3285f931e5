// The Reports area's page (issue 15), loaded by reports.js the first time a supervisor or an admin opens it: the
// choice of view (Customer experience, Conversations, Callbacks), the period (From and To, both included, or a
// preset: Today, Yesterday, Last 7 days, Last 30 days, computed on the tenant's clock), the queue, then the report
// drawn generically from the server's answer (docs/reports.md, "The report API"):
// - the figures as cards (label, value by unit, "≈" before an approximate one, "—" for no data);
// - the time zone of the days, and whether the figures are exact (7 days or less) or partly approximate;
// - each table with its charts beside it (reports-chart.js, uPlot) and its CSV download (reports-table.js).

import { html, useEffect, useLayoutEffect, useMemo, useRef } from '/vendor/htm-preact-standalone.module.js';
import { Chart } from '/desk/reports-chart.js';
import { PRESETS, formatValue, presetPeriod } from '/desk/reports-format.js';
import { DataTable } from '/desk/reports-table.js';
import { REPORT_VIEWS } from '/desk/reports.js';

const NAME = 'reports';

// Drawn again only when its state or whether it is shown changes (the store changes for every part of the desk).
export function ReportsView({ state, actions }) {
  const view = state.reports;
  const open = state.supervisorView === NAME;
  return useMemo(() => html`<${ReportsPage} view=${view} open=${open} actions=${actions} />`, [view, open]);
}

function ReportsPage({ view, open, actions }) {
  const heading = useRef(null);
  useLayoutEffect(() => {
    if (open) heading.current.focus();
  }, [open]);
  useEffect(() => { // a refused period or queue: to the picker at fault
    if (open && view.failureField) document.getElementById(`reports-${view.failureField}`)?.focus();
  }, [view.failedAt]);
  const report = view.report?.view === view.view ? view.report : null;
  const loadState = view.failure ? 'error' : report && !view.loading ? 'loaded' : undefined;
  return html`
    <section id="reports-view" class="waiting-view reports-view" data-testid="reports-view" hidden=${!open}
             aria-labelledby="reports-title" aria-busy=${view.loading ? 'true' : undefined} data-state=${loadState}
             data-report=${view.view}>
      <div class="waiting-header">
        <h2 id="reports-title" tabindex="-1" ref=${heading}>Reports</h2>
        <button type="button" class="secondary" data-testid="reports-refresh" disabled=${view.loading}
                onClick=${actions.load}>Refresh</button>
      </div>
      <nav class="reports-nav" aria-label="Report views">
        ${REPORT_VIEWS.map(([key, label]) => html`
          <button type="button" key=${key} class="secondary" data-testid=${`reports-view-${key}`}
                  aria-pressed=${String(view.view === key)} onClick=${() => actions.choose(key)}>${label}</button>`)}
      </nav>
      <${Period} view=${view} actions=${actions} />
      ${view.failure ? html`
        <p id="reports-error" class="banner waiting-error" role="alert" data-testid="reports-error">${view.failure}</p>`
        : null}
      ${view.csvFailure ? html`<p class="banner waiting-error" role="alert" data-testid="reports-csv-error">
        ${view.csvFailure}</p>` : null}
      ${report ? html`<${Report} report=${report} actions=${actions} />` : null}
    </section>`;
}

function Period({ view, actions }) {
  return html`
    <form class="reports-period" data-testid="reports-period" aria-label="Period and queue"
          onSubmit=${(event) => { event.preventDefault(); actions.apply(); }}>
      <div class="reports-presets" role="group" aria-label="Period presets">
        ${PRESETS.map(([key, label]) => html`
          <button type="button" key=${key} class="secondary" data-testid=${`reports-preset-${key}`}
                  onClick=${() => actions.apply(presetPeriod(key, actions.zone()))}>${label}</button>`)}
      </div>
      <div class="reports-fields">
        <${DateField} name="from" label="From" view=${view} actions=${actions} />
        <${DateField} name="to" label="To" view=${view} actions=${actions} />
        <label for="reports-queue">Queue</label>
        <select id="reports-queue" data-testid="reports-queue" value=${view.queue}
                onChange=${(event) => actions.edit({ queue: event.currentTarget.value })}>
          <option value="">Every queue</option>
          ${(view.queues ?? []).map((queue) => html`
            <option key=${queue.id} value=${queue.id}>${String(queue.name || queue.id)}</option>`)}
        </select>
        <button type="submit" data-testid="reports-show" disabled=${view.loading}>Show</button>
      </div>
    </form>`;
}

// From or To: a report day; marked invalid, and described by the error, when the server refused it.
function DateField({ name, label, view, actions }) {
  const id = `reports-${name}`;
  return html`
    <label for=${id}>${label}</label>
    <input id=${id} type="date" data-testid=${id} required value=${view[name]}
           aria-invalid=${view.failureField === name ? 'true' : undefined}
           aria-describedby=${view.failure ? 'reports-error' : undefined}
           onInput=${(event) => actions.edit({ [name]: event.currentTarget.value })} />`;
}

function Report({ report, actions }) {
  const label = REPORT_VIEWS.find(([key]) => key === report.view)?.[1] ?? report.view;
  const period = report.from === report.to ? report.from : `${report.from} to ${report.to}`;
  const tables = report.tables ?? [];
  const charts = report.charts ?? [];
  const approximate = new Set((report.figures ?? []).filter((figure) => figure.approximate).map(({ key }) => key));
  return html`
    <div class="reports-report" data-testid="reports-report">
      <h3 id="reports-report-title">${label}, ${period}${report.queue ? `, queue ${report.queue}` : ''}</h3>
      <p class="muted reports-note" data-testid="reports-note" data-exact=${String(Boolean(report.exact))}>
        Days run midnight to midnight on the ${report.time_zone} clock. ${report.exact
          ? 'Exact: every figure is computed from each conversation of the period (7 days or less).'
          : 'Approximate beyond 7 days: medians and p90 (marked ≈) are read from daily buckets; counts, shares '
            + 'and means stay exact.'}
      </p>
      <${Figures} figures=${report.figures ?? []} />
      ${tables.map((table) => html`
        <section key=${table.key} class="reports-section" aria-labelledby=${`reports-${table.key}-heading`}
                 data-testid=${`reports-section-${table.key}`}>
          <h4 id=${`reports-${table.key}-heading`}>${String(table.title ?? table.key)}</h4>
          <div class="reports-pair">
            ${(table.rows ?? []).length ? charts.filter((chart) => chart.table === table.key).map((chart) => html`
              <${Chart} key=${chart.key} chart=${chart} table=${table} tableTitle=${String(table.title ?? table.key)}
                        idPrefix=${`reports-chart-${chart.key}`} />`) : null}
            <${DataTable} table=${table} exact=${report.exact} approximateKeys=${approximate}
                          download=${actions.download}
                          idPrefix=${`reports-${table.key}`} />
          </div>
        </section>`)}
    </div>`;
}

function Figures({ figures }) {
  return html`
    <dl class="reports-figures" data-testid="reports-figures">
      ${figures.map((figure) => html`
        <div class="reports-figure" key=${figure.key} data-testid=${`figure-${figure.key}`}
             data-value=${figure.value === null || figure.value === undefined ? '' : String(figure.value)}
             data-approximate=${String(Boolean(figure.approximate))}>
          <dt>${String(figure.label ?? figure.key)}</dt>
          <dd>${formatValue(figure.value, figure.unit, Boolean(figure.approximate))}</dd>
        </div>`)}
    </dl>`;
}
