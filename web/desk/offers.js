// Offer cards: who is asking (name, email, IP, customer), the customer's record (filled by the desk, see
// contact.js), the page, the brand's custom data, the newest messages, a countdown, Accept and Reject.
// createOfferArea keeps the cards of the offers pending (the store's `offers`, conversation id -> entry) and
// answers them; the desk ticks the countdowns.

import { ServerError, h } from '/widget/connection.js';
import { customList, pageLink } from '/desk/details.js';
import { asyncBadge, customerLabel, visitorLabel } from '/desk/labels.js';

const OFFER_MESSAGES_SHOWN = 5;

// agentName(id) names the agent a transferred chat comes from.
function createOfferCard({ offer, conversation, agentName, onAccept, onReject }) {
  const visitor = conversation.visitor ?? {};
  const countdown = h('span', { class: 'countdown', 'data-testid': 'offer-countdown', role: 'timer' });
  const accept = h('button', { type: 'button', class: 'accept', 'data-testid': 'offer-accept' }, 'Accept');
  const reject = h('button', { type: 'button', class: 'reject secondary', 'data-testid': 'offer-reject' }, 'Reject');
  reject.hidden = offer.reject_allowed === false;
  const messages = h('ol', { class: 'offer-messages', 'data-testid': 'offer-messages', 'aria-label': 'Newest messages' });
  const details = h('dl', { class: 'offer-visitor', 'data-testid': 'offer-visitor' },
    h('dt', {}, 'Name'), h('dd', { 'data-testid': 'offer-visitor-name' }, visitor.name || 'Not given'),
    h('dt', {}, 'Email'), h('dd', { 'data-testid': 'offer-visitor-email' }, visitor.email || 'Not given'),
    h('dt', {}, 'IP'), h('dd', { 'data-testid': 'offer-visitor-ip' }, visitor.ip || 'Unknown'),
    h('dt', {}, 'Customer'), h('dd', { 'data-testid': 'offer-customer' }, customerLabel(visitor)));
  const page = h('p', { class: 'offer-page', 'data-testid': 'offer-page' },
    h('span', { class: 'muted' }, 'Page: '), pageLink(conversation.page));
  const custom = customList(conversation.custom, 'offer-custom');
  // CHAT-8: the record found with the offer, or a form to create one before accepting (the desk fills it).
  const record = h('div', { class: 'offer-record', 'data-testid': 'offer-record' });
  const card = h('article', {
    class: 'offer',
    'data-testid': 'offer',
    'data-conversation-id': conversation.id,
    'data-offer-id': offer.id,
    'aria-label': `Chat offer: ${visitorLabel(conversation)}`,
  },
  h('header', { class: 'offer-header' }, h('h3', {}, offerTitle(conversation)), countdown),
  ...offerFlags(conversation, agentName), details, record, page, ...(custom ? [custom] : []), messages,
  h('div', { class: 'offer-actions' }, reject, accept));
  const entry = {
    offer,
    conversation,
    expiresAt: Date.parse(offer.expires_at),
    card,
    countdown,
    accept,
    reject,
    messages,
    record,
  };
  accept.addEventListener('click', () => onAccept(entry));
  reject.addEventListener('click', () => onReject(entry));
  return entry;
}

// A conversation back from a snooze, or transferred, is offered like any chat; the offer frame still carries the
// reservation it came from (a REST read of the offer no longer does).
function offerTitle(conversation) {
  const { reservation } = conversation;
  if (reservation?.transfer_from) return 'Transferred chat';
  if (reservation) return 'Back from snooze';
  return 'New chat';
}

function offerFlags(conversation, agentName) {
  const flags = [];
  if (conversation.asynchronous) flags.push(asyncBadge());
  const from = conversation.reservation?.transfer_from;
  if (from) {
    flags.push(h('span', { class: 'offer-origin', 'data-testid': 'offer-origin' },
      `Transferred from ${agentName(from) || 'another agent'}`));
  } else if (conversation.reservation) {
    flags.push(h('span', { class: 'offer-origin', 'data-testid': 'offer-origin' }, 'You snoozed it; it is back'));
  }
  return flags.length ? [h('p', { class: 'offer-flags' }, ...flags)] : [];
}

function fillOfferMessages(entry, messages) {
  const newest = [...messages].sort((a, b) => a.seq - b.seq).slice(-OFFER_MESSAGES_SHOWN);
  entry.messages.replaceChildren(...newest.map((message) => {
    const kind = message.sender?.kind === 'agent' ? 'agent' : 'visitor';
    return h('li', { class: `offer-message offer-message--${kind}`, 'data-testid': 'offer-message', 'data-kind': kind },
      message.text ?? '');
  }));
  entry.messages.hidden = newest.length === 0;
}

// Seconds left before the server withdraws the offer; the last five are urgent.
function showCountdown(entry, remaining) {
  const text = `${remaining} s`;
  if (entry.countdown.textContent === text) return;
  entry.countdown.textContent = text;
  entry.countdown.dataset.seconds = String(remaining);
  entry.card.classList.toggle('offer--urgent', remaining <= 5);
}

function setOfferBusy(entry, busy) {
  entry.accept.disabled = busy;
  entry.reject.disabled = busy;
}

// The offers section: shows, ticks and answers the cards. deps: store (offers, finishedOffers); baseTitle, the
// page's title without the count of offers; agentName(id);
// renderRecord(entry) the customer's record on the card; request(action, fields); onAccepted(entry, ack);
// onRejected(ack); showNotice(text), showError(text).
export function createOfferArea(ui, deps) {
  const { offers, finishedOffers } = deps.store;
  const { baseTitle } = deps;

  function show(offer, conversation, messages) {
    const previous = offers.get(conversation.id);
    if (previous) previous.card.remove();
    const entry = createOfferCard({
      offer, conversation, agentName: deps.agentName, onAccept: accept, onReject: reject,
    });
    deps.renderRecord(entry);
    fillOfferMessages(entry, messages);
    offers.set(conversation.id, entry);
    ui.offerList.append(entry.card);
    render();
    return entry;
  }

  function finish(entry) {
    finishedOffers.add(entry.offer.id);
    if (offers.get(entry.conversation.id) === entry) offers.delete(entry.conversation.id);
    entry.card.remove();
    render();
  }

  function render() {
    ui.offers.hidden = offers.size === 0;
    document.title = offers.size ? `(${offers.size}) ${baseTitle}` : baseTitle;
  }

  // now: the server's clock. An offer past its time is dropped (the server withdraws it and says so).
  function tick(now) {
    for (const entry of [...offers.values()]) {
      const remaining = Math.ceil((entry.expiresAt - now) / 1000);
      if (remaining <= 0) finish(entry);
      else showCountdown(entry, remaining);
    }
  }

  async function accept(entry) {
    setOfferBusy(entry, true);
    try {
      const ack = await deps.request('accept_offer', {
        conversation_id: entry.conversation.id,
        offer_id: entry.offer.id,
      });
      finish(entry);
      deps.onAccepted(entry, ack);
    } catch (error) {
      if (error instanceof ServerError) {
        finish(entry);
        deps.showNotice(`This chat can no longer be accepted (${error.message}).`);
      } else {
        setOfferBusy(entry, false);
        deps.showError('Not connected: the offer could not be accepted. Try again.');
      }
    }
  }

  async function reject(entry) {
    setOfferBusy(entry, true);
    try {
      const ack = await deps.request('reject_offer', {
        conversation_id: entry.conversation.id,
        offer_id: entry.offer.id,
      });
      finish(entry);
      deps.onRejected(ack);
      deps.showNotice('Chat rejected: you are now Away.');
    } catch (error) {
      if (error instanceof ServerError && error.code === 'forbidden') {
        entry.reject.hidden = true; // rejecting was switched off since the offer was shown
        setOfferBusy(entry, false);
        deps.showNotice('Rejecting chats is not allowed: please accept this chat.');
      } else if (error instanceof ServerError) {
        finish(entry);
        deps.showNotice(`This offer is no longer valid (${error.message}).`);
      } else {
        setOfferBusy(entry, false);
        deps.showError('Not connected: the offer could not be rejected. Try again.');
      }
    }
  }

  function withdrawn(frame) {
    const entry = offers.get(frame.conversation_id);
    if (entry && entry.offer.id === frame.offer_id) finish(entry);
    if (frame.offer_id) finishedOffers.add(frame.offer_id);
    if (frame.reason === 'timeout') deps.showNotice('Offer expired: you are now Away.');
    else if (frame.reason === 'rejected') deps.showNotice('Chat rejected: you are now Away.');
  }

  // After a reload or a reconnect, from GET /conversations: offers shown before (knownOffers, their ids) that the
  // server no longer lists are gone; those it lists are shown. show(offer, conversation, messages) shows a card;
  // isAssigned(id): accepted meanwhile; loadMessages(id) answers the newest messages.
  function resync(offered, knownOffers, { rejectAllowed, isAssigned, show: showCard, loadMessages }) {
    const offeredIds = new Set(offered.map((conversation) => conversation.offer.id));
    for (const entry of [...offers.values()]) {
      if (knownOffers.has(entry.offer.id) && !offeredIds.has(entry.offer.id)) finish(entry);
    }
    for (const conversation of offered) {
      const { offer } = conversation;
      if (finishedOffers.has(offer.id) || offers.get(conversation.id)?.offer.id === offer.id) continue;
      if (isAssigned(conversation.id)) continue;
      const entry = showCard({
        id: offer.id,
        conversation_id: conversation.id,
        expires_at: offer.expires_at,
        reject_allowed: rejectAllowed,
      }, conversation, []);
      // The offered agent may not be allowed to read the messages yet; the card then shows none.
      loadMessages(conversation.id)
        .then((messages) => { if (offers.get(conversation.id) === entry) fillOfferMessages(entry, messages); })
        .catch(() => {});
    }
  }

  return { show, finish, render, tick, withdrawn, resync };
}
