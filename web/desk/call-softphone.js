// The softphone on the call card (issue 14, CB-6, docs/callbacks.md "Softphone"), for an agent who answers calls on
// the desk (`answer_calls: "desk"`): no phone rings, the offer card has Accept, and once the call is theirs the desk
// joins its room (`join_call`, then the softphone its ack names: softphone.js) and leaves it when the call ends or
// leaves them (transferred, not reached), as callback.updated frames say.
//
// When to join: as soon as the call is the agent's and the visitor is being dialled (agent first) or connected. The
// microphone and the meeting are then ready when the visitor answers, so that their first words are heard; before
// that the room is silent (the visitor's ringback is not in it).
//
// The microphone: asked once per desk (getUserMedia), at the first call; its state (allowed, refused, muted) shows
// on the card, with a Mute toggle (aria-pressed). Refused, the desk still joins to listen, says so, and offers to
// answer the next calls on the agent's own line when they have one (`set_answer_calls`). Between calls the
// microphone is released (the browser's indicator goes off); the permission stays granted, so it is not asked again.
//
// State: store.state.softphone = {conversationId, status (idle, joining, joined, failed), muted, mic (unknown,
// allowed, refused), error}.

import { html } from '/vendor/htm-preact-standalone.module.js';
import { openSoftphone } from '/desk/softphone.js';

const controllers = new WeakMap(); // store -> the desk's softphone controller, for the card's buttons

// The phases in which the desk is in the room: the visitor dialled (agent first), or connected.
const joinable = (callback) => callback?.state === 'connected'
  || (callback?.state === 'calling' && callback?.phase === 'calling_visitor');

export const answersOnDesk = (me) => me?.answer_calls === 'desk';

// deps: store; request(action, fields) over the desk's socket; apiBase (the local softphone's control is there);
// announce(text), showError(text). Answers {stop}.
export function startSoftphone({ store, request, apiBase, announce, showError }) {
  let current = null; // {id, phone, left}
  let mic = 'unknown';
  let stream = null;
  let audio = null;
  const set = (patch) => store.set({ softphone: { ...(store.state.softphone ?? {}), ...patch } });

  // The call this desk should be in: the agent's, assigned here, in a joinable phase.
  function wanted() {
    for (const [id, entry] of store.callbacks) {
      if (store.conversations.get(id)?.conversation.status === 'assigned' && joinable(entry.callback)) return id;
    }
    return null;
  }

  function follow() {
    const id = wanted();
    if (current && current.id !== id) leave();
    // A call joined stays joined if the agent switches to their line meanwhile: that is for the next calls.
    if (!current && id && answersOnDesk(store.state.me)) join(id);
  }

  async function microphone() {
    if (mic === 'refused') return null;
    try {
      stream = stream ?? await navigator.mediaDevices.getUserMedia({ audio: true });
      mic = 'allowed';
    } catch {
      mic = 'refused';
      stream = null;
      announce('The browser refused the microphone: the visitor cannot hear you.');
    }
    set({ mic });
    return stream;
  }

  function audioElement() {
    if (!audio) {
      audio = document.createElement('audio');
      audio.autoplay = true;
      audio.hidden = true;
      audio.dataset.testid = 'softphone-audio';
      document.body.append(audio);
    }
    return audio;
  }

  async function join(id) {
    const mine = { id, phone: null, left: false };
    current = mine;
    set({ conversationId: id, status: 'joining', muted: false, error: null });
    try {
      const input = await microphone();
      if (mine.left) return;
      const ack = await request('join_call', { conversation_id: id });
      if (mine.left) return;
      mine.phone = await openSoftphone(ack.softphone, { apiBase, stream: input, audio: audioElement() });
      mine.phone.onState(({ joined, muted }) => {
        if (current === mine) set({ status: joined ? 'joined' : 'joining', muted });
      });
      await mine.phone.join(ack.seat);
      if (mine.left) {
        await mine.phone.leave();
        return;
      }
      announce(input ? 'You are in the call from the desk.' : 'You are in the call from the desk, listening only.');
    } catch (error) {
      if (current === mine) set({ status: 'failed', error: error.message });
      showError(`The softphone could not join the call: ${error.message}`);
    }
  }

  function leave() {
    const was = current;
    current = null;
    was.left = true;
    was.phone?.leave().catch(() => {});
    stream?.getTracks().forEach((track) => track.stop()); // the microphone is released between calls
    stream = null;
    set({ conversationId: null, status: 'idle', muted: false, error: null });
  }

  async function setMuted(muted) {
    if (!current?.phone) return;
    try {
      await (muted ? current.phone.mute() : current.phone.unmute());
      announce(muted ? 'Your microphone is muted.' : 'Your microphone is on.');
    } catch (error) {
      showError(`Could not ${muted ? 'mute' : 'unmute'} the microphone: ${error.message}`);
    }
  }

  async function useLine() {
    try {
      const ack = await request('set_answer_calls', { answer_calls: 'line' });
      announce(`From your next call, Guichet rings ${ack.agent?.call_line || 'your line'}.`);
    } catch (error) {
      showError(`Could not switch to your line: ${error.message}`);
    }
  }

  set({ conversationId: null, status: 'idle', muted: false, mic, error: null });
  const controller = { mute: () => setMuted(true), unmute: () => setMuted(false), useLine };
  controllers.set(store, controller);
  const unsubscribe = store.subscribe(follow);
  const closing = () => current?.phone?.leave().catch(() => {}); // the page goes: out of the room now, not later
  window.addEventListener('pagehide', closing);
  follow();
  return {
    stop() {
      unsubscribe();
      window.removeEventListener('pagehide', closing);
      if (current) leave();
      audio?.remove();
      controllers.delete(store);
    },
  };
}

const MIC_TEXT = {
  allowed: 'Microphone: on', refused: 'Microphone: refused by the browser', unknown: 'Microphone: …',
};
const STATUS_TEXT = {
  joining: 'Joining the call on the desk…', joined: 'On the desk: you are in the call', idle: 'Not in the call',
};

// On the call card, while the desk's softphone is (or should be) in this call.
export function CallSoftphone({ store, state, conversation }) {
  const phone = state.softphone ?? {};
  const ours = phone.conversationId === conversation.id;
  if (!ours) return null;
  const controller = controllers.get(store);
  const refused = phone.mic === 'refused';
  const joined = phone.status === 'joined';
  const muted = Boolean(phone.muted);
  const line = state.me?.call_line || '';
  const onLine = !answersOnDesk(state.me);
  const micText = refused ? MIC_TEXT.refused : muted ? 'Microphone: muted' : MIC_TEXT[phone.mic] ?? MIC_TEXT.unknown;
  return html`
    <section class="call-softphone" data-testid="softphone" data-status=${phone.status ?? 'idle'}
             data-mic=${refused ? 'refused' : muted ? 'muted' : phone.mic ?? 'unknown'}
             aria-labelledby="softphone-title">
      <h3 id="softphone-title" class="visually-hidden">Softphone</h3>
      <p data-testid="softphone-status" role="status">${phone.status === 'failed'
        ? `The softphone could not join the call: ${phone.error ?? ''}` : STATUS_TEXT[phone.status] ?? ''}</p>
      <p data-testid="softphone-mic">${micText}</p>
      <div class="call-actions" role="group" aria-label="Microphone">
        <button type="button" class="secondary" data-testid="softphone-mute" aria-pressed=${String(muted)}
                disabled=${!joined || refused}
                onClick=${() => (muted ? controller?.unmute() : controller?.mute())}>Mute</button>
      </div>
      ${refused ? html`
        <div class="call-softphone-refused" data-testid="softphone-refused">
          <p>The browser refused the microphone: the visitor cannot hear you. Allow the microphone for this site in
            the browser, or answer your calls on your phone.</p>
          ${onLine ? html`<p data-testid="softphone-on-line">Your next calls ring ${line || 'your line'}.</p>`
            : line ? html`<button type="button" data-testid="softphone-use-line" onClick=${() => controller?.useLine()}>
                Answer my next calls on ${line}</button>`
            : html`<p class="muted" data-testid="softphone-no-line">You have no phone line in Guichet: an admin can
                give you one in the call settings.</p>`}
        </div>` : null}
    </section>`;
}
