// The agent's Snoozed and Reserved lists (ASYNC-10, ASYNC-13): chats off the desk but still theirs, soonest first.
// Preact components over the store's snoozed and reserved maps; the sections' markup is in index.html.

import { html, render } from '/vendor/htm-preact-standalone.module.js';
import { visitorLabel } from '/desk/labels.js';
import { formatMoment } from '/desk/supervisor.js';

export function pageText(page) {
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

// snoozed, reserved: conversations (full shape); agentName(id) names who transferred a reserved chat.
export function renderHeldLists(ui, { snoozed, reserved, agentName }) {
  const byTime = (key) => (a, b) => String(a[key]?.until ?? '').localeCompare(String(b[key]?.until ?? ''));
  render([...snoozed].sort(byTime('snooze')).map((conversation) => html`
    <${SnoozedItem} key=${conversation.id} conversation=${conversation} />`), ui.snoozedList);
  render([...reserved].sort(byTime('reservation')).map((conversation) => html`
    <${ReservedItem} key=${conversation.id} conversation=${conversation} agentName=${agentName} />`), ui.reservedList);
  ui.snoozedSection.hidden = snoozed.length === 0;
  ui.reservedSection.hidden = reserved.length === 0;
  ui.snoozedCount.textContent = String(snoozed.length);
  ui.snoozedCount.dataset.count = String(snoozed.length);
}
