// Offer cards: who is asking (name, email, IP, customer), the customer's record (contact.js's OfferRecord), the
// page, the brand's custom data, the newest messages, a countdown, Accept and Reject. The offers pending are the
// store's `offers` (conversation id -> OfferView); createOfferArea changes them (shown, ticked, answered,
// withdrawn, read again from REST) and the OfferList component draws them all from the store. A call's offer (a
// callback's attempt, issue 13) is drawn by call-card.js's CallOfferCard: no Accept, the agent's phone rings.

import { ServerError } from '/widget/connection.js';
import { alerts } from '/desk/alerts.js';
import { html } from '/vendor/htm-preact-standalone.module.js';
import { CallOfferCard, isCall } from '/desk/call-card.js';
import { OfferRecord } from '/desk/contact.js';
import { CustomData, PageLink } from '/desk/details.js';
import { AsyncBadge, customerLabel, visitorLabel } from '/desk/labels.js';
import { mount } from '/desk/store.js';

const OFFER_MESSAGES_SHOWN = 5;
const URGENT_SECONDS = 5; // the last seconds of the countdown stand out

// One pending offer, as the store keeps it; the controller below changes it in place.
function createOfferView(offer, conversation, messages) {
  return {
    offer,
    conversation,
    expiresAt: Date.parse(offer.expires_at),
    remaining: null, // seconds left, set by tick (null until the first tick)
    messages: newestMessages(messages),
    busy: false, // an answer (accept or reject) is on its way
    rejectAllowed: offer.reject_allowed !== false,
  };
}

function newestMessages(messages) {
  return [...messages].sort((a, b) => a.seq - b.seq).slice(-OFFER_MESSAGES_SHOWN);
}

// A conversation back from a snooze, or transferred, is offered like any chat; the offer frame still carries the
// reservation it came from (a REST read of the offer no longer does).
function offerTitle(conversation) {
  const { reservation } = conversation;
  if (reservation?.transfer_from) return 'Transferred chat';
  if (reservation) return 'Back from snooze';
  return 'New chat';
}

// agentName(id) names the agent a transferred chat comes from.
function OfferFlags({ conversation, agentName }) {
  const from = conversation.reservation?.transfer_from;
  const origin = from ? `Transferred from ${agentName(from) || 'another agent'}`
    : conversation.reservation ? 'You snoozed it; it is back' : null;
  if (!conversation.asynchronous && !origin) return null;
  return html`
    <p class="offer-flags">
      ${conversation.asynchronous ? html`<${AsyncBadge} />` : null}
      ${origin ? html`<span class="offer-origin" data-testid="offer-origin">${origin}</span>` : null}
    </p>`;
}

function OfferVisitor({ visitor }) {
  return html`
    <dl class="offer-visitor" data-testid="offer-visitor">
      <dt>Name</dt><dd data-testid="offer-visitor-name">${visitor.name || 'Not given'}</dd>
      <dt>Email</dt><dd data-testid="offer-visitor-email">${visitor.email || 'Not given'}</dd>
      <dt>IP</dt><dd data-testid="offer-visitor-ip">${visitor.ip || 'Unknown'}</dd>
      <dt>Customer</dt><dd data-testid="offer-customer">${customerLabel(visitor)}</dd>
    </dl>`;
}

function OfferMessages({ messages }) {
  return html`
    <ol class="offer-messages" data-testid="offer-messages" aria-label="Newest messages" hidden=${!messages.length}>
      ${messages.map((message, index) => {
        const kind = message.sender?.kind === 'agent' ? 'agent' : 'visitor';
        return html`<li key=${message.seq ?? index} class=${`offer-message offer-message--${kind}`} data-testid="offer-message"
                        data-kind=${kind}>${message.text ?? ''}</li>`;
      })}
    </ol>`;
}

// Seconds left before the server withdraws the offer.
function Countdown({ remaining }) {
  const known = remaining !== null;
  return html`<span class="countdown" data-testid="offer-countdown" role="timer"
                    data-seconds=${known ? String(remaining) : undefined}>${known ? `${remaining} s` : ''}</span>`;
}

// area: what createOfferArea answered (accept, reject, agentName, records).
function OfferCard({ entry, store, area }) {
  const { offer, conversation, remaining, busy } = entry;
  const urgent = remaining !== null && remaining <= URGENT_SECONDS;
  if (isCall(conversation, store.callbacks)) {
    return html`<${CallOfferCard} entry=${entry} store=${store} area=${area}
                                  countdown=${html`<${Countdown} remaining=${remaining} />`} />`;
  }
  return html`
    <article class=${urgent ? 'offer offer--urgent' : 'offer'} data-testid="offer"
             data-conversation-id=${conversation.id} data-offer-id=${offer.id}
             aria-label=${`Chat offer: ${visitorLabel(conversation)}`}>
      <header class="offer-header"><h3>${offerTitle(conversation)}</h3><${Countdown} remaining=${remaining} /></header>
      <${OfferFlags} conversation=${conversation} agentName=${area.agentName} />
      <${OfferVisitor} visitor=${conversation.visitor ?? {}} />
      <div class="offer-record" data-testid="offer-record">
        <${OfferRecord} conversation=${conversation} store=${store} records=${area.records} />
      </div>
      <p class="offer-page" data-testid="offer-page"><span class="muted">Page: </span><${PageLink}
        page=${conversation.page} /></p>
      <${CustomData} custom=${conversation.custom} testId="offer-custom" />
      <${OfferMessages} messages=${entry.messages} />
      <div class="offer-actions">
        <button type="button" class="reject secondary" data-testid="offer-reject" hidden=${!entry.rejectAllowed}
                disabled=${busy} onClick=${() => area.reject(entry)}>Reject</button>
        <button type="button" class="accept" data-testid="offer-accept" disabled=${busy}
                onClick=${() => area.accept(entry)}>Accept</button>
      </div>
    </article>`;
}

// The offers section, hidden while no offer is pending.
function OfferList({ store, area }) {
  const entries = [...store.offers.values()];
  return html`
    <section id="offers" class="offers" aria-labelledby="offers-title" hidden=${entries.length === 0}>
      <h2 id="offers-title" class="visually-hidden">Offers</h2>
      <div id="offer-list" class="offer-list" data-testid="offer-list">
        ${entries.map((entry) => html`<${OfferCard} key=${entry.offer.id} entry=${entry} store=${store}
                                                    area=${area} />`)}
      </div>
    </section>`;
}

// The offers section: shows, ticks and answers the cards, drawn into ui.offersSlot. deps: store (offers,
// finishedOffers, knownContacts); baseTitle, the page's title without the count of offers; agentName(id); records
// (contact.js's createRecords, read when used); request(action, fields); onAccepted(entry, ack); onRejected(ack);
// isAssigned(id): the chat is on the desk already; showNotice(text), showError(text), announce(text).
export function createOfferArea(ui, deps) {
  const { store, baseTitle } = deps;
  const { offers, finishedOffers } = store;
  const area = {
    accept,
    reject,
    serverNow: () => serverNow(),
    agentName: deps.agentName,
    get records() { return deps.records; },
  };
  const unmount = mount(ui.offersSlot, OfferList, store, { area });

  // Every change goes through here: the page's title counts the offers, and the list is drawn again.
  function changed() {
    document.title = offers.size ? `(${offers.size}) ${baseTitle}` : baseTitle;
    store.changed();
  }

  let clockSkew = 0; // server clock minus ours, measured on live offers; keeps countdowns right on a skewed PC

  function serverNow() {
    return Date.now() + clockSkew;
  }

  // An `offer` frame: a card (with a sound, a notification and an announcement when it is new), unless the offer
  // was answered already or the chat is on the desk. contact: the customer's record the frame carries, if any.
  function receive(offer, conversation, messages, contact) {
    if (!offer?.id || !conversation?.id || finishedOffers.has(offer.id)) return;
    if (contact !== undefined) store.knownContacts.set(conversation.id, contact ?? null);
    if (deps.isAssigned(conversation.id)) return;
    const fresh = offers.get(conversation.id)?.offer.id !== offer.id;
    // A live offer was made just now, for acceptance_seconds: that measures how far our clock is from the server's.
    const offeredAt = Date.parse(offer.expires_at) - store.state.settings.acceptance_seconds * 1000;
    if (Number.isFinite(offeredAt)) clockSkew = offeredAt - Date.now();
    show(offer, conversation, messages);
    if (fresh && isCall(conversation, store.callbacks)) {
      const who = store.callbacks.get(conversation.id)?.callback?.name || visitorLabel(conversation);
      alerts.beep();
      alerts.notify('Callback', `${who}: your phone rings`, offer.id);
      deps.announce(`Callback for ${who}: your phone rings. Answer it to take the call.`);
    } else if (fresh) {
      const who = visitorLabel(conversation);
      alerts.beep();
      alerts.notify('New chat', `${who}${conversation.page?.title ? ` — ${conversation.page.title}` : ''}`, offer.id);
      deps.announce(`New chat offer: ${who}`);
    }
  }

  // A new offer for a conversation replaces its previous one, at the end of the list.
  function show(offer, conversation, messages) {
    const entry = createOfferView(offer, conversation, messages);
    offers.delete(conversation.id);
    offers.set(conversation.id, entry);
    deps.records.lookUpOffer(conversation); // the record, unless the offer frame said
    tick(serverNow());
    changed();
    return entry;
  }

  // Accepted, rejected, withdrawn or expired: never shown again.
  function drop(entry) {
    finishedOffers.add(entry.offer.id);
    if (offers.get(entry.conversation.id) === entry) offers.delete(entry.conversation.id);
  }

  function finish(entry) {
    drop(entry);
    changed();
  }

  // now: the server's clock. An offer past its time is dropped (the server withdraws it and says so). The list is
  // drawn again only when a countdown shows another second.
  function tick(now = serverNow()) {
    let moved = false;
    for (const entry of [...offers.values()]) {
      const remaining = Math.ceil((entry.expiresAt - now) / 1000);
      if (remaining <= 0) {
        drop(entry);
        moved = true;
      } else if (entry.remaining !== remaining) {
        entry.remaining = remaining;
        moved = true;
      }
    }
    if (moved) changed();
  }

  function setBusy(entry, busy) {
    entry.busy = busy;
    changed();
  }

  async function accept(entry) {
    setBusy(entry, true);
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
        setBusy(entry, false);
        deps.showError('Not connected: the offer could not be accepted. Try again.');
      }
    }
  }

  async function reject(entry) {
    setBusy(entry, true);
    try {
      const ack = await deps.request('reject_offer', {
        conversation_id: entry.conversation.id,
        offer_id: entry.offer.id,
      });
      finish(entry);
      deps.onRejected(ack);
      deps.showNotice(rejectedText(entry, ack));
    } catch (error) {
      if (error instanceof ServerError && error.code === 'forbidden') {
        entry.rejectAllowed = false; // rejecting was switched off since the offer was shown
        setBusy(entry, false);
        deps.showNotice('Rejecting chats is not allowed: please accept this chat.');
      } else if (error instanceof ServerError) {
        finish(entry);
        deps.showNotice(`This offer is no longer valid (${error.message}).`);
      } else {
        setBusy(entry, false);
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
    else if (frame.reason === 'callback_ended') deps.showNotice('The callback ended before you answered.');
  }

  // After a reload or a reconnect, from GET /conversations: offers shown before (knownOffers, their ids) that the
  // server no longer lists are gone; those it lists are shown. loadMessages(id) answers the newest messages.
  function resync(offered, knownOffers, { rejectAllowed, loadMessages }) {
    const offeredIds = new Set(offered.map((conversation) => conversation.offer.id));
    for (const entry of [...offers.values()]) {
      if (knownOffers.has(entry.offer.id) && !offeredIds.has(entry.offer.id)) finish(entry);
    }
    for (const conversation of offered) {
      const { offer } = conversation;
      if (finishedOffers.has(offer.id) || offers.get(conversation.id)?.offer.id === offer.id) continue;
      if (deps.isAssigned(conversation.id)) continue;
      const entry = show({
        id: offer.id,
        conversation_id: conversation.id,
        expires_at: offer.expires_at,
        reject_allowed: rejectAllowed,
      }, conversation, []);
      // The offered agent may not be allowed to read the messages yet; the card then shows none.
      loadMessages(conversation.id)
        .then((messages) => {
          if (offers.get(conversation.id) !== entry) return;
          entry.messages = newestMessages(messages);
          changed();
        })
        .catch(() => {});
    }
  }

  // The desk signs out: no more cards, and the title without a count.
  function stop() {
    unmount();
    document.title = baseTitle;
  }

  return { receive, show, finish, tick, serverNow, withdrawn, resync, stop };
}

// What Reject did: a chat's or a call's offer makes the agent Away; a call transferred to them (issue 14) does not.
export function rejectedText(entry, ack) {
  const call = entry.conversation?.medium === 'inbound_call';
  const what = entry.offer?.transfer_from ? 'Transfer refused' : `${call ? 'Call' : 'Chat'} rejected`;
  return ack?.agent?.status === 'away' ? `${what}: you are now Away.` : `${what}.`;
}
