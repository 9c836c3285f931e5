// The agent's Snoozed and Reserved lists (ASYNC-10, ASYNC-13): chats off the desk but still theirs, soonest first.
// A Preact component over the store's snoozed and reserved maps (holding.js mounts it in the sidebar).

import { html } from '/vendor/htm-preact-standalone.module.js';
import { visitorLabel } from '/desk/labels.js';
import { formatMoment } from '/desk/supervisor.js';

function pageText(page) {
  return page?.title || page?.url || '';
}

function Moment({ iso, testId }) {
  const moment = Date.parse(iso);
  const exact = Number.isFinite(moment)
    ? { datetime: new Date(moment).toISOString(), title: new Date(moment).toLocaleString() } : {};
  return html`<time data-testid=${testId} ...${exact}>${formatMoment(iso)}</time>`;
}

function SnoozedItem({ conversation }) {
  return html`
    <li class="held-item" data-testid="snoozed-item" data-conversation-id=${conversation.id}>
      <span class="item-title">${visitorLabel(conversation)}</span>
      <span class="item-subtitle" data-testid="snoozed-page">${pageText(conversation.page)}</span>
      <span class="held-when">Wakes <${Moment} iso=${conversation.snooze?.until} testId="snoozed-until" /></span>
      <span class="muted held-note">or when the visitor writes</span>
    </li>`;
}

function ReservedItem({ conversation, agentName }) {
  const from = conversation.reservation?.transfer_from;
  return html`
    <li class="held-item" data-testid="reserved-item" data-conversation-id=${conversation.id}>
      <span class="item-title">${visitorLabel(conversation)}</span>
      <span class="item-subtitle">${pageText(conversation.page)}</span>
      <span class="muted held-note">${from ? `Transferred from ${agentName(from) || 'another agent'}`
        : 'Back from your snooze'}</span>
      <span class="held-when">Yours until <${Moment} iso=${conversation.reservation?.until} testId="reserved-until" />
      </span>
      <span class="muted held-note">Offered to you when you are Available with a free slot</span>
    </li>`;
}

const byTime = (key) => (a, b) => String(a[key]?.until ?? '').localeCompare(String(b[key]?.until ?? ''));

// The Snoozed and Reserved sections, each hidden while empty; agentName(id) names who transferred a reserved chat.
export function HeldLists({ store, agentName }) {
  const snoozed = [...store.snoozed.values()].sort(byTime('snooze'));
  const reserved = [...store.reserved.values()].sort(byTime('reservation'));
  const count = String(snoozed.length);
  return html`
    <div id="snoozed-section" class="held-section" hidden=${snoozed.length === 0}>
      <h3 id="snoozed-title">Snoozed <span id="snoozed-count" class="active-count" data-testid="snoozed-count"
                                           data-count=${count}>${count}</span></h3>
      <ul id="snoozed-list" class="held-list" data-testid="snoozed-list" aria-labelledby="snoozed-title">
        ${snoozed.map((conversation) => html`<${SnoozedItem} key=${conversation.id} conversation=${conversation} />`)}
      </ul>
    </div>
    <div id="reserved-section" class="held-section" hidden=${reserved.length === 0}>
      <h3 id="reserved-title">Reserved for you</h3>
      <ul id="reserved-list" class="held-list" data-testid="reserved-list" aria-labelledby="reserved-title">
        ${reserved.map((conversation) => html`
          <${ReservedItem} key=${conversation.id} conversation=${conversation} agentName=${agentName} />`)}
      </ul>
    </div>`;
}
