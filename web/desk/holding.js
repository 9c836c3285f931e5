// The agent's chats held off the desk (issue 5): what a snooze, a transfer, a release or a reservation does to the
// Snoozed and Reserved lists (the store's `snoozed` and `reserved`; held-lists.js shows them), from our acks, the
// server's pushes and GET agents/me/held, with the notice the agent reads.

import { HeldLists } from '/desk/held-lists.js';
import { visitorLabel } from '/desk/labels.js';
import { mount } from '/desk/store.js';
import { formatMoment } from '/desk/supervisor.js';

// deps: store; api (myHeld); me(); leaveDesk(id) takes a chat off the desk, false if it was not on it; stopped();
// showNotice(text); announce(text); learnAgent(id, name); agentName(id); groupName(id).
export function createHolding(ui, deps) {
  const { snoozed, reserved } = deps.store;
  let generation = 0; // a push since a GET agents/me/held started makes its answer stale
  const render = () => deps.store.changed(); // the lists (HeldLists) draw again

  function tell(text) {
    deps.showNotice(text);
    deps.announce(text);
  }

  // From our ack or the push to every desk of ours: off the desk; kept, into the Snoozed list.
  function conversationSnoozed(conversation) {
    if (!conversation?.id) return;
    const fresh = snoozed.get(conversation.id) === undefined;
    const kept = conversation.snooze?.kept !== false && conversation.agent?.id === deps.me()?.id;
    generation += 1;
    const left = deps.leaveDesk(conversation.id);
    if (kept) {
      snoozed.set(conversation.id, { ...(snoozed.get(conversation.id) ?? {}), ...conversation });
      reserved.delete(conversation.id);
    }
    render();
    if (!left && !fresh) return; // the second of ack and push
    const until = formatMoment(conversation.snooze?.until);
    tell(kept
      ? `Chat with ${visitorLabel(conversation)} snoozed until ${until}: it comes back to you when the visitor writes or then.`
      : `Chat with ${visitorLabel(conversation)} snoozed until ${until}: it will go back to its queue.`);
  }

  // It is not ours any more: moved by us or a supervisor, or our reservation of it ended.
  function conversationTransferred(conversation) {
    if (!conversation?.id) return;
    generation += 1;
    const wasReserved = reserved.has(conversation.id);
    const wasSnoozed = snoozed.has(conversation.id);
    forget(conversation.id);
    const left = deps.leaveDesk(conversation.id);
    if (!left && !wasReserved && !wasSnoozed) return; // the second of ack and push, or not ours
    const who = visitorLabel(conversation);
    const what = conversation.medium === 'inbound_call' ? 'Call' : 'Chat'; // a callback's call (issue 14)
    // To an agent, it names them (reserved for them, or already offered to them); to a queue, nobody.
    const target = conversation.agent?.id && conversation.agent.id !== deps.me()?.id ? conversation.agent : null;
    if (target) {
      deps.learnAgent(target.id, target.name);
      tell(`${what} with ${who} transferred to ${target.name || 'another agent'}.`);
    } else if (!left && wasReserved && conversation.status === 'waiting') {
      tell(`The chat with ${who} was no longer reserved for you: it went back to its queue.`);
    } else {
      tell(`${what} with ${who} transferred to the queue ${deps.groupName(conversation.queue)}.`);
    }
  }

  function conversationReleased(conversation) {
    if (!conversation?.id) return;
    generation += 1;
    const held = snoozed.has(conversation.id) || reserved.has(conversation.id);
    forget(conversation.id);
    const left = deps.leaveDesk(conversation.id);
    if (!left && !held) return;
    tell(`A supervisor moved the chat with ${visitorLabel(conversation)} to the queue ${deps.groupName(conversation.queue)}.`);
  }

  // Back from a snooze we kept, or transferred to us, while we could not take it: offered when we can.
  function conversationReserved(conversation, reservation) {
    if (!conversation?.id) return;
    generation += 1;
    snoozed.delete(conversation.id);
    reserved.set(conversation.id, { ...conversation, reservation: reservation ?? conversation.reservation });
    render();
    tell(`${visitorLabel(conversation)} is reserved for you: it is offered to you when you are Available with a free slot.`);
  }

  async function load() {
    const mine = ++generation;
    const answer = await deps.api.myHeld();
    if (deps.stopped() || mine !== generation) return; // a push came meanwhile: it is newer
    snoozed.clear();
    reserved.clear();
    for (const conversation of answer?.snoozed ?? []) snoozed.set(conversation.id, conversation);
    for (const conversation of answer?.reserved ?? []) reserved.set(conversation.id, conversation);
    render();
  }

  function forget(conversationId) {
    if (!conversationId) return;
    const wasSnoozed = snoozed.delete(conversationId);
    const wasReserved = reserved.delete(conversationId);
    if (wasSnoozed || wasReserved) {
      generation += 1;
      render();
    }
  }

  // ASYNC-16: the visitor's page of a held chat.
  function receivePage(conversationId, page) {
    for (const list of [snoozed, reserved]) {
      const held = list.get(conversationId);
      if (held) list.set(conversationId, { ...held, page });
    }
    if (snoozed.has(conversationId) || reserved.has(conversationId)) render();
  }

  // Draws the lists in the sidebar from now on; answers the function that stops drawing them.
  function show() {
    return mount(ui.heldLists, HeldLists, deps.store, { agentName: (id) => deps.agentName(id) });
  }

  return {
    conversationSnoozed, conversationTransferred, conversationReleased, conversationReserved, load, forget,
    receivePage, show,
  };
}
