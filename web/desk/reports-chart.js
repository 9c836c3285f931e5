// One chart of a report (docs/reports.md, "The report API": {key, title, table, x, series}), drawn with uPlot
// (web/vendor/uPlot.esm.js, vendored and pinned), which is imported, with its stylesheet, the first time a chart is
// drawn: the desk's first load does not carry it. The chart plots columns of its table against the table's `x`
// column, one point per row, in the table's order (days, queues, agents, slots, attempts); a null is a gap, never 0.
// The canvas says nothing to a screen reader, so the chart is an image named by its title and described as the
// table beside it, which holds the same values as text.

import { html, useEffect, useRef, useState } from '/vendor/htm-preact-standalone.module.js';
import { formatValue, plotted } from '/desk/reports-format.js';
import { addStylesheet } from '/desk/reports.js';

const HEIGHT = 220;
const MAX_TICKS = 8; // x labels shown at most; the table has every row
const COLORS = ['#2457d6', '#b45309', '#15803d', '#7e22ce', '#b91c1c', '#0e7490'];

let uPlotModule = null;

function loadUplot() {
  addStylesheet('/vendor/uPlot.min.css');
  uPlotModule ??= import('/vendor/uPlot.esm.js').then((module) => module.default);
  return uPlotModule;
}

// The chart's series: [{key, label, unit, at}] for the columns of `table` it names (unknown ones left out).
function seriesOf(chart, table) {
  const columns = table.columns ?? [];
  return (chart.series ?? []).map((key) => ({ ...columns.find((column) => column.key === key),
    at: columns.findIndex((column) => column.key === key) })).filter((series) => series.at >= 0);
}

// The y axis from 0 (or below, for a negative NPS), with room above the highest point.
function yRange(_plot, min, max) {
  const low = Number.isFinite(min) ? Math.min(0, min) * 1.1 : 0;
  const high = Number.isFinite(max) ? Math.max(0, max) * 1.1 : 0;
  return [low, high > low ? high : low + 1];
}

export function Chart({ chart, table, tableTitle, idPrefix }) {
  const box = useRef(null);
  const [failure, setFailure] = useState(null);
  const rows = table.rows ?? [];
  const xAt = Math.max(0, (table.columns ?? []).findIndex((column) => column.key === chart.x));
  const series = seriesOf(chart, table);

  useEffect(() => {
    let plot = null;
    let cancelled = false;
    loadUplot().then((uPlot) => {
      if (cancelled || !box.current) return;
      plot = draw(uPlot, box.current, rows.map((row) => String(row[xAt] ?? '')), series, rows);
      box.current.dataset.drawn = 'true';
    }, (failed) => { if (!cancelled) setFailure(`The chart could not load: ${failed.message}.`); });
    return () => {
      cancelled = true;
      plot?.destroy();
    };
  }, [chart, table]);

  const captionId = `${idPrefix}-title`;
  return html`
    <figure class="reports-chart" data-testid=${`reports-chart-${chart.key}`}>
      <figcaption id=${captionId}>${String(chart.title ?? chart.key)}</figcaption>
      <ul class="reports-legend" aria-hidden="true">
        ${series.map((one, index) => html`<li key=${one.key}>
          <span class="reports-swatch" style=${`background:${COLORS[index % COLORS.length]}`}></span>
          ${String(one.label ?? one.key)}</li>`)}
      </ul>
      ${failure ? html`<p class="error">${failure}</p>` : html`
        <div ref=${box} class="reports-plot" role="img" aria-labelledby=${captionId}
             aria-describedby=${`${idPrefix}-described`} data-testid="reports-plot"></div>
        <p id=${`${idPrefix}-described`} class="visually-hidden">The values are in the table ${tableTitle}.</p>`}
    </figure>`;
}

function draw(uPlot, element, labels, series, rows) {
  const count = labels.length;
  const every = Math.max(1, Math.ceil(count / MAX_TICKS));
  const unit = series[0]?.unit ?? 'count';
  const data = [labels.map((_, index) => index), ...series.map((one) => rows.map((row) => plotted(row[one.at])))];
  return new uPlot({
    width: Math.max(280, Math.min(720, element.clientWidth || 560)),
    height: HEIGHT,
    legend: { show: false }, // the legend above and the table beside say it as text
    cursor: { show: false },
    scales: { x: { time: false, range: () => [-0.5, Math.max(count, 1) - 0.5] }, y: { range: yRange } },
    axes: [
      { splits: () => labels.map((_, index) => index).filter((index) => index % every === 0),
        values: (_plot, splits) => splits.map((index) => labels[index] ?? '') },
      { size: 80, values: (_plot, splits) => splits.map((value) => formatValue(value, unit)) },
    ],
    series: [{}, ...series.map((one, index) => ({
      label: String(one.label ?? one.key),
      stroke: COLORS[index % COLORS.length],
      width: 2,
      points: { show: true, size: 7, fill: COLORS[index % COLORS.length] },
    }))],
  }, data, element);
}
