// What the Reports area does (reports.js opens and closes it; this module, fetched with the page the first time it
// opens, does the rest): read a view of the report API for the period and queue chosen (the server's today when no
// period is given yet, whose dates then fill the pickers), show an answer only if it is the newest asked, and
// download a table's CSV. An agent's desk never loads it.

import { ApiError } from '/widget/connection.js';
import { REPORT_VIEWS } from '/desk/reports.js';

// store, api (report, reportCsv), groups() (the tenant's queues), announce(text): as reports.js gets them.
export function createActions({ store, api, groups, announce }) {
  const current = () => store.state.reports;
  const update = (patch) => store.set({ reports: { ...current(), ...patch } });
  let generation = 0; // an answer to an older request is not shown

  // The period and queue asked (and `extra`), as a query string.
  function query(extra = {}) {
    const { from, to, queue } = current();
    const params = { ...(from ? { from } : {}), ...(to ? { to } : {}), ...(queue ? { queue } : {}), ...extra };
    return new URLSearchParams(params).toString();
  }

  async function load() {
    const mine = ++generation;
    const { view } = current();
    update({ loading: true, failure: null, failureField: null, csvFailure: null });
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

  return {
    opened: () => {
      groups().then((queues) => update({ queues: queues ?? [] }), () => {});
      load();
    },
    closed: () => { generation += 1; },
    choose: (view) => { if (view !== current().view) { update({ view, report: null }); load(); } },
    edit: (patch) => update(patch),
    apply: (patch = {}) => { update(patch); load(); },
    load,
    download,
    zone: () => current().report?.time_zone || store.state.settings?.callback?.time_zone
      || Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
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
