// One table of a report (docs/reports.md, "The report API": {key, title, columns: [{key, label, unit}], rows}), as
// a real <table>: its title as the <caption> (visually hidden: the section's heading above shows it), column headers
// with scope="col", each row's first cell (the day, queue, agent, slot or attempt) as its row header. Each cell says
// its value by unit (reports-format.js) and keeps the value as the server sent it in data-value, the value the CSV
// holds. "Download CSV" asks the server for the same table as a file (reports.js). Cells are text only: queue and
// agent names are never markup.

import { html } from '/vendor/htm-preact-standalone.module.js';
import { formatValue } from '/desk/reports-format.js';

// A median or p90 of a range read from day buckets is approximate (and the service level, unless its threshold is a
// bucket's edge): the column says so when the server marks it, else the figure of the same key (`approximate`: the
// keys of the figures flagged), else, in a report that is not exact, a median's or p90's key.
export function approximateColumn(column, exact, approximate) {
  if (typeof column.approximate === 'boolean') return column.approximate;
  return approximate.has(column.key) || (!exact && /_(median|p90)$/.test(column.key));
}

export function DataTable({ table, exact, approximateKeys = new Set(), download, idPrefix }) {
  const columns = table.columns ?? [];
  const rows = table.rows ?? [];
  const approximate = columns.map((column) => approximateColumn(column, exact, approximateKeys));
  const captionId = `${idPrefix}-caption`;
  return html`
    <div class="reports-table-block">
      <div class="reports-table-wrap" role="region" aria-labelledby=${captionId} tabindex="0">
        <table class="waiting-table reports-table" data-testid=${`reports-table-${table.key}`}>
          <caption id=${captionId} class="visually-hidden">${String(table.title ?? table.key)}</caption>
          <thead><tr>${columns.map((column) => html`
            <th scope="col" key=${column.key} data-key=${column.key} data-unit=${column.unit}>
              ${String(column.label ?? column.key)}</th>`)}
          </tr></thead>
          <tbody>
            ${rows.length ? rows.map((row, index) => html`
              <tr key=${index} data-testid="reports-row">
                ${columns.map((column, at) => cell(column, row[at], approximate[at], at === 0))}
              </tr>`) : html`
              <tr><td colspan=${Math.max(columns.length, 1)} class="muted">No data for this period.</td></tr>`}
          </tbody>
        </table>
      </div>
      <button type="button" class="secondary reports-csv" data-testid=${`reports-csv-${table.key}`}
              onClick=${() => download(table.key)}>
        Download CSV<span class="visually-hidden"> of ${String(table.title ?? table.key)}</span>
      </button>
    </div>`;
}

function cell(column, value, approximate, header) {
  const raw = value === null || value === undefined ? '' : String(value);
  const said = formatValue(value, column.unit, approximate && value !== null && value !== undefined);
  const props = { key: column.key, 'data-key': column.key, 'data-value': raw, class: `reports-cell--${column.unit}` };
  return header ? html`<th scope="row" ...${props}>${said}</th>` : html`<td ...${props}>${said}</td>`;
}
