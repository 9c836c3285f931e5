// The console's Audit log page (issue 16, docs/admin.md "Audit log page"): who changed what, when, from which IP,
// newest first. Admins and supervisors read it alike (nothing here writes).
//
// GET /audit?from=&to=&actor=&action=&cursor= answers {"entries": [...], "next": cursor or null}: `from` and `to` are
// days (YYYY-MM-DD, UTC, both included), `actor` an agent's id, `action` a dotted name ("settings.update"); each entry
// is {id, at, actor: {id, name}, ip, action, target, before, after}, where before and after hold only what changed.
// "Load more" asks for the page after the last with `cursor`. A filter the server refuses shows its error at that
// filter, which gets the focus.

import { html, useEffect, useState } from '/vendor/htm-preact-standalone.module.js';
import { SelectField, TextField, errorOf, focusError } from '/desk/admin-form.js';

const PREFIX = 'al';
const FILTERS = ['from', 'to', 'actor', 'action'];
// The actions the console's changes record (a filter may name any other dotted name).
export const KNOWN_ACTIONS = ['settings.update', 'routing.update', 'agent.settings', 'user.invite', 'user.roles',
  'user.deactivate', 'user.reactivate', 'user.reset_password', 'callback.audio'];
const EMPTY = { from: '', to: '', actor: '', action: '' };
const MAX_VALUE_CHARS = 120;

// The query string of a page: the filters set, and the cursor of the page wanted.
export function auditQuery(filters, cursor) {
  const params = new URLSearchParams();
  for (const name of FILTERS) if (filters[name]?.trim()) params.set(name, filters[name].trim());
  if (cursor) params.set('cursor', cursor);
  const query = params.toString();
  return query ? `/audit?${query}` : '/audit';
}

// One value as the table shows it: text as is, anything else as compact JSON, cut past MAX_VALUE_CHARS.
export function shown(value) {
  if (value === undefined) return '—';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

// What changed, one line per setting: "capacity: 6 → 8"; a value that is not an object is one line on its own.
export function changes(before, after) {
  const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
  if (!isObject(before ?? {}) || !isObject(after ?? {})) return [{ key: '', before: shown(before), after: shown(after) }];
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  return keys.map((key) => ({ key, before: shown(before?.[key]), after: shown(after?.[key]) }));
}

// The cell's lines; an entry that changed nothing (a read, e.g. a recording listened to) says so.
function ChangeLines({ before, after }) {
  const lines = changes(before, after);
  if (!lines.length) return html`<span class="muted">—</span>`;
  return lines.map((line) => html`
    <p class="admin-change" key=${line.key}>${line.key ? `${line.key}: ` : ''}${line.before} → ${line.after}</p>`);
}

const when = (at) => {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? at : date.toLocaleString();
};

function Page({ api, announce }) {
  const [filters, setFilters] = useState(EMPTY);
  const [agents, setAgents] = useState([]);
  // applied: the filters of the entries shown, which "Load more" keeps whatever the boxes now say.
  const [view, setView] = useState({ entries: null, next: null, applied: EMPTY, loading: true, error: null, at: 0 });
  const form = { prefix: PREFIX, error: view.error?.field ? view.error : null, readOnly: false };

  async function load(applied, cursor) {
    setView((current) => ({ ...current, loading: true, error: null, at: 0 }));
    try {
      const page = await api.request('GET', auditQuery(applied, cursor));
      const entries = page?.entries ?? [];
      setView((current) => ({ entries: cursor ? [...(current.entries ?? []), ...entries] : entries,
        next: page?.next ?? null, applied, loading: false, error: null, at: 0 }));
      if (cursor) announce?.(`${entries.length} more entries.`);
      else announce?.(entries.length ? `${entries.length} entries shown.` : 'No entries match these filters.');
    } catch (failure) {
      const error = errorOf(failure);
      setView((current) => ({ ...current, loading: false, error, at: Date.now() }));
    }
  }

  useEffect(() => {
    load(EMPTY, null);
    api.request('GET', '/agents').then((listed) => setAgents(listed?.agents ?? []), () => setAgents([]));
  }, []);
  useEffect(() => { if (view.at) focusError(form, FILTERS, `${PREFIX}-apply`); }, [view.at]);

  const set = (name) => (value) => setFilters({ ...filters, [name]: value });
  const apply = (event) => {
    event.preventDefault();
    load(filters, null);
  };
  const actors = [['', 'Anyone'], ...agents.map((agent) => [agent.id, agent.name || agent.id])];
  const placed = Boolean(form.error) && FILTERS.some((name) => name === view.error.field);
  return html`
    <div class="admin-audit" data-testid="admin-audit">
      <form class="admin-filters" data-testid="al-filters" onSubmit=${apply} novalidate aria-label="Filter the log">
        <${TextField} form=${form} path="from" label="From (day)" value=${filters.from} onChange=${set('from')}
                      paths=${FILTERS} input=${{ type: 'date' }} />
        <${TextField} form=${form} path="to" label="To (day, included)" value=${filters.to} onChange=${set('to')}
                      paths=${FILTERS} input=${{ type: 'date' }} />
        <${SelectField} form=${form} path="actor" label="Who" value=${filters.actor} options=${actors}
                        onChange=${set('actor')} paths=${FILTERS} />
        <${TextField} form=${form} path="action" label="Action" value=${filters.action} onChange=${set('action')}
                      paths=${FILTERS} input=${{ list: 'al-actions', autocomplete: 'off', placeholder: 'e.g. user.roles' }} />
        <datalist id="al-actions">${KNOWN_ACTIONS.map((name) => html`<option key=${name} value=${name} />`)}</datalist>
        <div class="admin-actions">
          <button id="al-apply" type="submit" data-testid="al-apply" disabled=${view.loading}>Show</button>
        </div>
      </form>
      ${view.error && !placed ? html`<p class="banner waiting-error" role="alert" data-testid="al-error">
        Could not read the audit log: ${view.error.message}</p>` : null}
      ${view.entries === null ? (view.loading ? html`<p role="status">Loading the audit log…</p>` : null)
        : view.entries.length === 0 ? html`<p class="muted" role="status" data-testid="al-empty">
            No entries match these filters.</p>`
          : html`<${Entries} entries=${view.entries} />`}
      ${view.next ? html`
        <div class="admin-actions">
          <button type="button" class="secondary" data-testid="al-more" disabled=${view.loading}
                  onClick=${() => load(view.applied, view.next)}>Load more</button>
        </div>` : null}
    </div>`;
}

function Entries({ entries }) {
  return html`
    <table class="admin-table" data-testid="al-table">
      <caption class="muted">Newest first.</caption>
      <thead><tr>
        <th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th>
        <th scope="col">What changed</th><th scope="col">From IP</th>
      </tr></thead>
      <tbody>
        ${entries.map((entry) => html`
          <tr key=${entry.id} data-testid="al-row" data-entry-id=${entry.id} data-action=${entry.action}>
            <td><time datetime=${entry.at}>${when(entry.at)}</time></td>
            <td data-testid="al-row-actor">${entry.actor?.name || entry.actor?.id || '—'}</td>
            <td data-testid="al-row-action"><code>${entry.action}</code></td>
            <td data-testid="al-row-target">${entry.target || '—'}</td>
            <td data-testid="al-row-change"><${ChangeLines} before=${entry.before} after=${entry.after} /></td>
            <td data-testid="al-row-ip">${entry.ip || '—'}</td>
          </tr>`)}
      </tbody>
    </table>`;
}

export default { id: 'audit', label: 'Audit log', Page };
