// The call card's transfer and requalify forms (issue 14, CB-10), for the agent who holds a connected call:
// - Transfer to a queue (`transfer_call` with `to_queue`): the call waits there with its original request time.
// - Transfer to an agent (`transfer_call` with `to_agent`): an offer with consent; the agents listed are the tenant's
//   agents who take calls (GET /agents, the directory the transfer pickers share), but oneself. Meanwhile the card
//   says "Transferring to Bob…", then "Bob refused the transfer." or "Bob did not answer." (the callback's
//   `transfer`), the visitor still on hold until the agent resumes.
// - Requalify (`requalify_call`): another queue, as a new request, with a note for the next agent (500 characters).
// The next agent's card shows that note (CallNote). Notes and names are rendered as text only.

import { html, useEffect, useState } from '/vendor/htm-preact-standalone.module.js';

export const NOTE_MAX_CHARS = 500;

// What the card says of the last transfer to an agent; null when there is nothing to say.
export function transferText(transfer) {
  if (!transfer?.state) return null;
  const who = transfer.to_name || 'the agent';
  return {
    offered: `Transferring to ${who}…`,
    accepted: `Transferred to ${who}.`,
    refused: `${who} refused the transfer.`,
    timed_out: `${who} did not answer.`,
    failed: `${who} could not take the call.`,
  }[transfer.state] ?? null;
}

function QueueOptions({ queues }) {
  return queues.map((queue) => html`<option key=${queue.id} value=${queue.id}>${queue.name || queue.id}</option>`);
}

function formValue(event, name) {
  return event.currentTarget.elements.namedItem(name)?.value ?? '';
}

// The transfer and requalify forms. id: the call's conversation; callback: its agent view; cards: the call cards'
// actions (queues(), callAgents(), loadAgents(), transfer(), transferToAgent(), requalify()).
export function CallTransfer({ id, callback, busy, cards }) {
  const [, setLoaded] = useState(0);
  const reload = () => cards.loadAgents().then(() => setLoaded((n) => n + 1), () => {});
  // Read on showing, and again when the picker gets the focus: who takes calls, and their status, change.
  useEffect(() => { reload(); }, [id]);
  const queues = cards.queues();
  const agents = cards.callAgents();
  const offering = callback?.transfer?.state === 'offered';
  const said = transferText(callback?.transfer);
  const toQueue = (event) => {
    event.preventDefault();
    const chosen = formValue(event, 'call-transfer-queue');
    if (chosen) cards.transfer(id, chosen);
  };
  const toAgent = (event) => {
    event.preventDefault();
    const chosen = formValue(event, 'call-transfer-agent');
    if (chosen) cards.transferToAgent(id, chosen, agents.find((agent) => agent.id === chosen)?.name);
  };
  const requalify = (event) => {
    event.preventDefault();
    cards.requalify(id, formValue(event, 'call-requalify-queue'), formValue(event, 'call-requalify-note'));
  };
  return html`
    <div class="call-transfers">
      ${said ? html`<p class="call-transfer-state" data-testid="call-transfer-state" role="status"
                       data-state=${callback.transfer.state}>${said}</p>` : null}
      <form class="call-transfer" data-testid="call-transfer" onSubmit=${toQueue}>
        <label for="call-transfer-queue">Transfer the call to the queue</label>
        <select id="call-transfer-queue" name="call-transfer-queue" data-testid="call-transfer-queue">
          <${QueueOptions} queues=${queues} />
        </select>
        <button type="submit" class="secondary" data-testid="call-transfer-submit"
                disabled=${busy || offering || !queues.length}>Transfer</button>
      </form>
      <form class="call-transfer" data-testid="call-transfer-to-agent" onSubmit=${toAgent}>
        <label for="call-transfer-agent">Transfer the call to an agent</label>
        <select id="call-transfer-agent" name="call-transfer-agent" data-testid="call-transfer-agent"
                onFocus=${reload}>
          ${agents.map((agent) => html`<option key=${agent.id} value=${agent.id}>
            ${agent.status ? `${agent.name} (${agent.status})` : agent.name}</option>`)}
        </select>
        <button type="submit" class="secondary" data-testid="call-transfer-agent-submit"
                disabled=${busy || offering || !agents.length}>Offer the call</button>
      </form>
      <form class="call-transfer call-requalify" data-testid="call-requalify" onSubmit=${requalify}>
        <label for="call-requalify-queue">Requalify to the queue</label>
        <select id="call-requalify-queue" name="call-requalify-queue" data-testid="call-requalify-queue">
          <${QueueOptions} queues=${queues} />
        </select>
        <label for="call-requalify-note">Note for the next agent</label>
        <textarea id="call-requalify-note" name="call-requalify-note" data-testid="call-requalify-note" rows="2"
                  maxlength=${NOTE_MAX_CHARS} required></textarea>
        <button type="submit" class="secondary" data-testid="call-requalify-submit"
                disabled=${busy || offering || !queues.length}>Requalify</button>
      </form>
    </div>`;
}

// The requalify note the previous agent left, on the next agent's card.
export function CallNote({ callback }) {
  if (!callback?.note?.text) return null;
  return html`<p class="call-note call-requalify-note" data-testid="call-note">
    <span class="muted">${`Note from ${callback.note.by || 'the previous agent'}: `}</span>${callback.note.text}</p>`;
}

// The forms' actions, for createCallCards. deps: request(action, fields), announce(text), showError(text),
// directory (the tenant's agents: list(), cached()), me(); patch(id, changes) and update(callback) of the cards.
export function createTransferActions(deps, { patch, update }) {
  async function send(id, action, fields, done, failed) {
    patch(id, { busy: true });
    try {
      const ack = await deps.request(action, { conversation_id: id, ...fields });
      if (ack?.callback) update({ conversation_id: id, ...ack.callback });
      deps.announce(done);
    } catch (error) {
      deps.showError(`${failed}: ${error.message}`);
    } finally {
      patch(id, { busy: false });
    }
  }

  return {
    transfer: (id, queue) => send(id, 'transfer_call', { to_queue: queue },
      `The call is transferred to ${queue}: the visitor waits on hold for the next agent.`,
      'Could not transfer the call'),
    transferToAgent: (id, agentId, name) => send(id, 'transfer_call', { to_agent: agentId },
      `Transferring to ${name || agentId}: the visitor is on hold until they answer.`,
      'Could not transfer the call'),
    requalify: (id, queue, note) => send(id, 'requalify_call', { to_queue: queue, note },
      `The call is requalified to ${queue}: the visitor waits on hold for the next agent.`,
      'Could not requalify the call'),
    // The agents who take calls, but oneself, as the directory last listed them.
    callAgents: () => (deps.directory?.cached() ?? [])
      .filter((agent) => agent.takes_calls && agent.id !== deps.me?.()?.id),
    loadAgents: () => deps.directory?.list() ?? Promise.resolve([]),
  };
}
