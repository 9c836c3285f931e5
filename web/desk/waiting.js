// The supervisor's Waiting view (issue 4, ASYNC-19), for supervisors and admins: the conversations waiting in each
// distribution group, with the rule that sent them there, and for a stuck one why it is not distributed (no
// eligible agent online, all at capacity, or skill level missing); reads GET /tenants/{tenant}/waiting every
// REFRESH_MS while open. A Preact component over the store's state.waiting (the last report); visitor text is only
// ever rendered as text.

import { html, useMemo } from '/vendor/htm-preact-standalone.module.js';
import {
  Moment, PageLink, SupervisorFrame, createSupervisorView, relative, updatedText,
} from '/desk/supervisor-shared.js';

const MEDIA = {
  chat: 'Chat',
  inbound_call: 'Inbound call',
  outbound_call: 'Outbound call',
  email: 'Email',
};
// The server sends the text; these cover an answer without it.
const STUCK_TEXT = {
  no_eligible_agent_online: 'No eligible agent online',
  all_at_capacity: 'All eligible agents are at capacity',
  skill_level_missing: 'No agent has the required skill level',
  offers_declined: 'Offered and declined several times',
};
const COLUMNS = ['Group', 'Rule', 'Medium', 'Position', 'Waiting since', 'Visitor', 'Page', 'Skill needed', 'Stuck'];

// store: the desk's store; toggleSlot: the top bar's place for the toggle; viewSlot: where the view is drawn;
// hide: what the view replaces while it is shown (the conversations and the chat); load(): the GET /waiting answer.
export function createSupervisor({ store, toggleSlot, viewSlot, hide, load }) {
  return createSupervisorView({
    name: 'waiting',
    store,
    toggleSlot,
    viewSlot,
    hide,
    label: 'Waiting',
    summarize,
    View: WaitingView,
    load,
    answered: ({ waiting = [], groups = [], truncated = false }) => ({ report: { waiting, groups, truncated } }),
    what: 'the waiting conversations',
  });
}

function summarize({ waiting }) {
  const stuck = waiting.filter((item) => item.stuck).length;
  return { count: waiting.length, said: `${waiting.length} waiting${stuck ? `, ${stuck} stuck` : ''}` };
}

// Drawn again only when the report or whether it is shown changes (the store changes for every part of the desk).
function WaitingView({ state, controls }) {
  const view = state.waiting;
  const open = state.supervisorView === 'waiting';
  return useMemo(() => html`<${WaitingReport} view=${view} open=${open} controls=${controls} />`, [view, open]);
}

function WaitingReport({ view, open, controls }) {
  const { report, loadedAt } = view;
  const { waiting = [], groups = [], truncated = false } = report ?? {};
  const loaded = Boolean(report);
  // A report too large for one answer lists the oldest conversations only; the groups' counts stay whole.
  const updated = loaded ? `${updatedText(loadedAt)}${truncated ? ' · the oldest only' : ''}` : '';
  return html`
    <${SupervisorFrame} name="waiting" className="waiting-view" title="Waiting conversations" updated=${updated}
                        view=${view} open=${open} controls=${controls}>
      <p class="error banner waiting-error" data-testid="waiting-error" role="alert" hidden=${!view.failure}>
        ${view.failure ?? ''}</p>
      <div class="waiting-groups-line" hidden=${loaded && groups.length === 0}>
        <span id="waiting-groups-label" class="muted">Waiting / threshold by group:</span>
        <ul class="waiting-groups" data-testid="waiting-groups" aria-labelledby="waiting-groups-label">
          ${groups.map((group) => html`<${GroupLine} key=${String(group.id ?? '')} group=${group} />`)}
        </ul>
      </div>
      <div class="waiting-table-wrap">
        <table class="waiting-table" data-testid="waiting-table" aria-labelledby="waiting-title"
               hidden=${loaded && waiting.length === 0}>
          <thead><tr>${COLUMNS.map((label) => html`<th scope="col" key=${label}>${label}</th>`)}</tr></thead>
          <tbody data-testid="waiting-rows">
            ${waiting.map((item) => html`
              <${WaitingRow} key=${String(item.conversation_id ?? '')} item=${item} now=${loadedAt} />`)}
          </tbody>
        </table>
      </div>
      <p class="muted" data-testid="waiting-empty" hidden=${!loaded || waiting.length !== 0}>
        No conversation is waiting.</p>
      <p class="visually-hidden" role="status" aria-live="polite">${loaded ? summarize(report).said : ''}</p>
    <//>`;
}

function GroupLine({ group }) {
  const waiting = Number(group.waiting) || 0;
  const threshold = Number(group.threshold) || 0;
  const full = threshold > 0 && waiting >= threshold; // a synchronous group (0) has no queue to fill
  return html`
    <li class=${`waiting-group${full ? ' waiting-group--full' : ''}`} data-testid="waiting-group-summary"
        data-group=${String(group.id ?? '')} data-waiting=${String(waiting)} data-threshold=${String(threshold)}>
      <span class="waiting-group-name">${group.name || String(group.id ?? '')}</span>${' '}
      <span data-testid="waiting-group-count" title="waiting / threshold">${`${waiting} / ${threshold}`}</span>
      ${threshold === 0 ? html`<span class="muted"> (synchronous)</span>` : null}
      ${full ? html`<span class="waiting-full"> full</span>` : null}
    </li>`;
}

// now: when the report was loaded (the "Waiting since" times count from it).
function WaitingRow({ item, now }) {
  const reason = item.stuck?.reason ?? '';
  const stuckText = item.stuck ? (item.stuck.text || STUCK_TEXT[reason] || reason) : '';
  const since = Date.parse(item.waiting_since);
  const priority = Number(item.priority) || 0;
  return html`
    <tr class=${item.stuck ? 'waiting-row waiting-row--stuck' : 'waiting-row'} data-testid="waiting-row"
        data-conversation-id=${String(item.conversation_id ?? '')} data-group=${String(item.group ?? '')}
        data-rule=${String(item.rule ?? '')} data-stuck=${reason}>
      <td data-testid="waiting-group">${item.group_name || item.group || ''}</td>
      <td data-testid="waiting-rule" title=${priority ? `priority ${priority}` : undefined}>
        ${item.rule_name || item.rule || ''}</td>
      <td data-testid="waiting-medium">${MEDIA[item.medium] ?? String(item.medium ?? '')}</td>
      <td data-testid="waiting-position">${Number.isInteger(item.position) ? String(item.position) : ''}</td>
      <td data-testid="waiting-since">
        <${Moment} iso=${item.waiting_since} text=${Number.isFinite(since) ? relative(now - since) : ''} /></td>
      <td data-testid="waiting-visitor">${item.visitor_name || 'Not given'}</td>
      <td data-testid="waiting-page"><${PageLink} url=${item.page_url} /></td>
      <td data-testid="waiting-skill">
        ${item.skill?.skill ? `${item.skill.skill} ≥ ${item.skill.min_level ?? 1}` : '—'}</td>
      <td data-testid="waiting-stuck">${item.stuck ? html`<span class="stuck-flag">${stuckText}</span>` : null}</td>
    </tr>`;
}
