// The call card (issue 13: CB-6, CB-9, CB-12): a callback's attempt is a conversation of medium "inbound_call". While
// it is offered, the offer card is a call card (CallOfferCard: no Accept, since the agent's phone rings and answering
// is accepting, unless the agent answers on the desk: call-softphone.js; Reject if the tenant allows it); once the
// agent holds it, the chat pane shows the call card (CallCard) in place of the chat's header, log and composer. Both
// show the visitor's number and name, the attempt (2 of 5), the state (ringing you, calling the visitor, connected,
// ended, not reached) with a timer from `since`, the whole case:
// the customer's record (contact.js) and the chat the callback came from (`origin`, read-only text); the held card
// also has Hang up, the recording when there is one, and Wrap up (the close form, once the call has ended).
//
// The store's `callbacks` maps a call's conversation id to {callback, origin, busy, recordingUrl}: `callback` is the
// agent's shape of it (docs/websocket.md, "callback.updated"), set by the offer frame and by callback.updated frames;
// `origin` is {conversation, messages} or null. Visitor text is only ever rendered as text.

import { loadHistory } from '/widget/connection.js';
import { html, useEffect, useState } from '/vendor/htm-preact-standalone.module.js';
import { CallConsult, consulting, createConsult } from '/desk/call-consult.js';
import { ChatRecord, OfferRecord } from '/desk/contact.js';
import { formatDuration } from '/desk/close-form.js';
import { RecordControl } from '/desk/call-record.js';
import { CallNote, CallTransfer, createTransferActions } from '/desk/call-transfer.js';
import { visitorLabel } from '/desk/labels.js';
import { mount } from '/desk/store.js';
import { CallSoftphone, answersOnDesk } from '/desk/call-softphone.js';

export const CALL_MEDIUM = 'inbound_call';
const LIVE_STATES = new Set(['calling', 'connected']); // the attempt's call is up: Hang up, not Wrap up yet
const OPEN_STATES = new Set(['booked', 'calling', 'retrying', 'connected']);
const STATE_TEXT = {
  booked: 'Booked', calling: 'Calling', retrying: 'Not reached', connected: 'Connected', not_reached: 'Not reached',
  cancelled: 'Cancelled', expired: 'Expired', ended: 'Ended',
};
const PHASE_TEXT = {
  waiting_agent: 'Waiting for an agent', ringing_agent: 'Ringing you', calling_visitor: 'Calling the visitor',
  connected: 'Connected', calling_acd: 'Calling the ACD', identifying: 'The ACD agent types their id',
};
const TIMER_TICK_MS = 500;

// Whether a conversation is a call: its medium, or the callback an offer or a frame gave for it.
export function isCall(conversation, callbacks) {
  if (!conversation) return false;
  return conversation.medium === CALL_MEDIUM || Boolean(conversation.callback) || Boolean(callbacks?.has(conversation.id));
}

function clockTime(iso) {
  const moment = Date.parse(iso);
  return Number.isFinite(moment) ? new Date(moment).toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' }) : '';
}

// "Ringing you", "Connected", "Not reached, next attempt at 9:05", "Ended"...
export function callStateText(callback) {
  if (!callback) return 'Call';
  if (callback.state === 'retrying') {
    const next = clockTime(callback.next_at);
    return next ? `Not reached, next attempt at ${next}` : 'Not reached, another attempt follows';
  }
  if (OPEN_STATES.has(callback.state) && PHASE_TEXT[callback.phase]) return PHASE_TEXT[callback.phase];
  return STATE_TEXT[callback.state] ?? String(callback.state ?? '');
}

// The time since `since` on the server's clock (now()), while the call is open.
function CallTimer({ since, now, label = 'Time in this state', testId = 'call-timer' }) {
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), TIMER_TICK_MS);
    return () => clearInterval(timer);
  }, []);
  const started = Date.parse(since);
  const text = Number.isFinite(started) ? formatDuration(now() - started) : '--:--';
  return html`<span class="call-timer" data-testid=${testId} role="timer" aria-label=${label}>${text}</span>`;
}

// Number, name, attempt and state of a call. conversation: the call's (its visitor's name when the callback has none).
function CallFacts({ callback, conversation, now }) {
  const attempt = Number(callback?.attempt) || 0;
  const attempts = Number(callback?.attempts) || 0;
  const open = OPEN_STATES.has(callback?.state);
  return html`
    <dl class="call-facts">
      <dt>Number</dt><dd data-testid="call-phone">${callback?.phone || 'Unknown'}</dd>
      <dt>Name</dt><dd data-testid="call-name">${callback?.name || conversation?.visitor?.name || 'Not given'}</dd>
      <dt>Attempt</dt>
      <dd data-testid="call-attempt" data-attempt=${String(attempt)}>
        ${attempt ? `${attempt} of ${attempts || attempt}` : '—'}</dd>
      <dt>State</dt>
      <dd class="call-state-line">
        <span class="call-state" data-testid="call-state" data-state=${callback?.state ?? ''}
              data-phase=${callback?.phase ?? ''}>${callStateText(callback)}</span>
        ${open && callback?.since ? html` <${CallTimer} since=${callback.since} now=${now} />` : null}
      </dd>
    </dl>
    ${callback?.record ? html`<p class="muted call-note" data-testid="call-recorded">This call is recorded.</p>` : null}`;
}

// The chat the callback came from (CB-12), read-only; `origin` is {conversation, messages} or null.
function OriginChat({ origin, id }) {
  const messages = [...(origin?.messages ?? [])].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  const title = `call-origin-title-${id}`;
  return html`
    <section class="call-origin" data-testid="call-origin" aria-labelledby=${title}>
      <h4 id=${title}>Chat before this callback</h4>
      ${messages.length ? html`
        <ol class="call-origin-messages" data-testid="call-origin-messages" tabindex="0"
            aria-labelledby=${title}>
          ${messages.map((message, index) => {
            const kind = message.sender?.kind === 'agent' ? 'agent' : 'visitor';
            const who = message.sender?.name || (kind === 'agent' ? 'Agent' : 'Visitor');
            return html`
              <li key=${message.seq ?? index} class=${`call-origin-message call-origin-message--${kind}`}
                  data-testid="call-origin-message" data-kind=${kind}>
                <span class="call-origin-sender">${who}: </span>${message.text ?? ''}</li>`;
          })}
        </ol>` : html`<p class="muted" data-testid="call-origin-none">No chat before this callback.</p>`}
    </section>`;
}

// A call's offer card; offers.js draws it for an offered call. area: the offer area (reject, records, serverNow);
// countdown: the offer's countdown element.
export function CallOfferCard({ entry, store, area, countdown }) {
  const { offer, conversation, busy } = entry;
  const call = store.callbacks.get(conversation.id) ?? {};
  const callback = call.callback ?? conversation.callback ?? null;
  const name = callback?.name || visitorLabel(conversation);
  const onDesk = answersOnDesk(store.state.me); // the softphone (issue 14): no phone rings, Accept takes the call
  return html`
    <article class="offer offer--call" data-testid="offer" data-medium="call" data-conversation-id=${conversation.id}
             data-offer-id=${offer.id} data-callback-id=${callback?.id ?? ''} aria-label=${`Call offer: ${name}`}>
      <header class="offer-header">
        <h3>${onDesk ? 'Callback for you' : 'Callback: your phone rings'}</h3>${countdown}</header>
      <${CallFacts} callback=${callback} conversation=${conversation} now=${area.serverNow} />
      <p class="call-note">${onDesk ? 'Accept to take the call on the desk.'
        : 'Answer your phone to take the call.'}</p>
      <div class="offer-record" data-testid="offer-record">
        <${OfferRecord} conversation=${conversation} store=${store} records=${area.records} />
      </div>
      <${OriginChat} origin=${call.origin ?? null} id=${`offer-${conversation.id}`} />
      <div class="offer-actions">
        <button type="button" class="reject secondary" data-testid="offer-reject" hidden=${!entry.rejectAllowed}
                disabled=${busy} onClick=${() => area.reject(entry)}>Reject</button>
        ${onDesk ? html`<button type="button" class="accept" data-testid="offer-accept" disabled=${busy}
                                onClick=${() => area.accept(entry)}>Accept</button>` : null}
      </div>
    </article>`;
}

// The chat pane's call card, for the selected conversation when it is a call (nothing otherwise).
export function CallCard({ store, state, cards }) {
  const view = store.conversations.get(state.selectedId);
  if (!view || !isCall(view.conversation, store.callbacks)) return null;
  const { conversation } = view;
  const call = store.callbacks.get(conversation.id) ?? {};
  const callback = call.callback ?? conversation.callback ?? null;
  const held = conversation.status === 'assigned';
  const live = held && LIVE_STATES.has(callback?.state);
  const connected = held && callback?.state === 'connected';
  const onHold = connected && Boolean(callback?.held_since);
  const closing = state.panel === 'close';
  return html`
    <section class="call-card" data-testid="call-card" data-conversation-id=${conversation.id}
             data-callback-id=${callback?.id ?? ''} data-status=${conversation.status} aria-labelledby="call-title">
      <header class="call-card-header">
        <h2 id="call-title">${`Call with ${callback?.name || visitorLabel(conversation)}`}</h2>
        <div class="call-actions" role="group" aria-label="Call actions">
          <button type="button" class="secondary" data-testid="call-hold" hidden=${!connected || onHold}
                  disabled=${call.busy} onClick=${() => cards.hold(conversation.id, true)}>Hold</button>
          <button type="button" data-testid="call-resume" hidden=${!connected || !onHold || consulting(callback)}
                  disabled=${call.busy}
                  onClick=${() => cards.hold(conversation.id, false)}>Resume</button>
          <button type="button" class="danger" data-testid="call-hang-up" hidden=${!live} disabled=${call.busy}
                  onClick=${() => cards.hangUp(conversation.id)}>Hang up</button>
          <button id="call-wrap-up" type="button" data-testid="call-wrap-up" hidden=${!held || live}
                  aria-controls="close-form" aria-expanded=${String(closing)}
                  onClick=${() => cards.wrapUp()}>Wrap up</button>
        </div>
      </header>
      <${CallFacts} callback=${callback} conversation=${conversation} now=${cards.serverNow} />
      <${CallSoftphone} store=${store} state=${state} conversation=${conversation} />
      ${connected ? html`<${RecordControl} id=${conversation.id} callback=${callback} cards=${cards} />` : null}
      ${held ? html`<${CallConsult} id=${conversation.id} callback=${callback} busy=${call.busy} connected=${connected}
                                    actions=${cards.consult} />` : null}
      ${connected ? html`<${CallTransfer} id=${conversation.id} callback=${callback} busy=${call.busy}
                                          cards=${cards} />` : null}
      <${CallNote} callback=${callback} />
      ${onHold ? html`<p class="call-hold" data-testid="call-on-hold">The visitor is on hold, hearing the music:
        <${CallTimer} since=${callback.held_since} now=${cards.serverNow} label="Time on hold"
                      testId="call-hold-timer" /></p>` : null}
      ${conversation.status === 'closed' ? html`<p class="muted" data-testid="call-closed">Wrapped up.</p>` : null}
      ${callback?.recording ? html`<${Recording} call=${call} onPlay=${() => cards.playRecording(conversation.id)} />`
        : null}
      <div class="chat-contact" data-testid="call-record"><${ChatRecord} view=${view} records=${cards.records} /></div>
      <${OriginChat} origin=${call.origin ?? null} id=${conversation.id} />
    </section>`;
}

function Recording({ call, onPlay }) {
  return html`
    <div class="call-recording">
      <button type="button" class="secondary" data-testid="call-recording-play" disabled=${call.recordingBusy}
              onClick=${onPlay}>${call.recordingUrl ? 'Load the recording again' : 'Play the recording'}</button>
      ${call.recordingUrl ? html`<audio controls autoplay src=${call.recordingUrl} data-testid="call-recording"
                                        aria-label="Call recording"></audio>` : null}
    </div>`;
}

// The desk's side of calls. deps: store (callbacks, conversations, offers); api (hangUp, recording, messages);
// serverNow(); records (contact.js's createRecords, read when used); openClose() opens the close form for the
// selected conversation; announce(text), showError(text). Draws CallCard into ui.callCardSlot and marks
// ui.chatPane data-medium="call" while the selected conversation is a call (desk.css hides the chat's parts).
export function createCallCards(ui, deps) {
  const { store } = deps;
  const calls = store.callbacks;
  const originLookups = new Set(); // conversation ids whose origin chat is being read
  const cards = {
    hangUp, playRecording, hold, consult: createConsult(deps, { update, patch }),
    ...createTransferActions(deps, { patch, update }), // call-transfer.js
    queues: () => deps.groups?.() ?? (deps.me?.()?.queues ?? []).map((id) => ({ id, name: id })),
    wrapUp: () => deps.openClose(),
    serverNow: () => deps.serverNow(),
    get records() { return deps.records; },
    request: (action, fields) => deps.request(action, fields), update, announce: (text) => deps.announce(text),
  };

  // An offer frame of a call: its callback and the chat it came from (store.changed() follows: offers.js).
  function receiveOffer(frame) {
    const id = frame.conversation?.id;
    if (!id || !frame.callback) return;
    const known = calls.get(id) ?? {};
    calls.set(id, { ...known, callback: frame.callback, origin: frame.origin ?? known.origin ?? null });
  }

  // A callback.updated frame: the card of the conversation it names (this attempt's) changes, if it is ours.
  function update(callback) {
    if (!callback?.id) return;
    const id = callback.conversation_id
      || [...calls].find(([, entry]) => entry.callback?.id === callback.id)?.[0];
    if (!id || (!calls.has(id) && !store.conversations.has(id) && !store.offers.has(id))) return;
    const known = calls.get(id) ?? { origin: null };
    const before = known.callback;
    calls.set(id, { ...known, callback: { ...before, ...callback } });
    const said = callStateText(callback);
    if (!before || said !== callStateText(before)) {
      const who = callback.name || callback.phone || 'the visitor';
      deps.announce(callback.state === 'ended' || callback.state === 'not_reached'
        ? `Call with ${who}: ${said}. Wrap up with a disposition.` : `Call with ${who}: ${said}.`);
    }
    store.changed();
  }

  function patch(id, changes) {
    const known = calls.get(id);
    if (!known) return;
    calls.set(id, { ...known, ...changes });
    store.changed();
  }

  async function hangUp(id) {
    const callback = calls.get(id)?.callback ?? store.conversations.get(id)?.conversation.callback;
    if (!callback?.id) return;
    if (!calls.has(id)) calls.set(id, { callback, origin: null });
    patch(id, { busy: true });
    try {
      const answer = await deps.api.hangUp(callback.id);
      if (answer?.callback) update({ conversation_id: id, ...answer.callback });
    } catch (error) {
      deps.showError(`Could not hang up: ${error.message}`);
    } finally {
      patch(id, { busy: false });
    }
  }

  // Hold or resume (issue 14, CB-10): the ack carries the callback, and every desk of the agent gets callback.updated.
  async function hold(id, on) {
    const callback = calls.get(id)?.callback ?? store.conversations.get(id)?.conversation.callback;
    if (!callback?.id) return;
    if (!calls.has(id)) calls.set(id, { callback, origin: null });
    patch(id, { busy: true });
    try {
      const ack = await deps.request(on ? 'hold_call' : 'resume_call', { conversation_id: id });
      if (ack?.callback) update({ conversation_id: id, ...ack.callback });
      deps.announce(on ? 'The visitor is on hold.' : 'The visitor is back in the call.');
    } catch (error) {
      deps.showError(`Could not ${on ? 'hold' : 'resume'} the call: ${error.message}`);
    } finally {
      patch(id, { busy: false });
    }
  }

  // GET .../recording answers a short-lived URL: asked again at each click.
  async function playRecording(id) {
    const callback = calls.get(id)?.callback;
    if (!callback?.id) return;
    patch(id, { recordingBusy: true });
    try {
      const { url } = await deps.api.recording(callback.id);
      patch(id, { recordingUrl: url, recordingBusy: false });
    } catch (error) {
      patch(id, { recordingBusy: false });
      deps.showError(`Could not load the recording: ${error.message}`);
    }
  }

  // After a reload the offer frame is gone: the origin chat is read from its conversation, if we may.
  function lookUpOrigin(conversation) {
    const { id } = conversation;
    const known = calls.get(id);
    const callback = known?.callback ?? conversation.callback;
    const originId = callback?.origin_conversation_id;
    if (!originId || known?.origin || originLookups.has(id)) return;
    originLookups.add(id);
    const messages = [];
    let maxSeq = 0;
    loadHistory(deps.api, originId, () => maxSeq, (message) => {
      messages.push(message);
      maxSeq = Math.max(maxSeq, Number(message.seq) || 0);
    }).then(() => {
      calls.set(id, { ...calls.get(id), callback: calls.get(id)?.callback ?? callback,
        origin: { conversation: { id: originId }, messages } });
      store.changed();
    }).catch(() => {});
  }

  function follow() {
    const view = store.conversations.get(store.state.selectedId);
    const call = Boolean(view) && isCall(view.conversation, calls);
    if (call) ui.chatPane.dataset.medium = 'call';
    else delete ui.chatPane.dataset.medium;
    if (call) lookUpOrigin(view.conversation);
  }

  // Draws the card from now on; answers the function that stops it.
  function show() {
    const unsubscribe = store.subscribe(follow);
    const unmount = mount(ui.callCardSlot, CallCard, store, { cards });
    return () => {
      unsubscribe();
      unmount();
    };
  }

  return {
    receiveOffer, update, show, hangUp, playRecording,
    holds: (conversation) => conversation?.status === 'assigned' && isCall(conversation, calls),
  };
}
