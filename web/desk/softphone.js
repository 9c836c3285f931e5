// The desk's softphone (issue 14, CB-6): one interface, two implementations, chosen by `join_call`'s ack
// (`softphone`, from the stack's configuration; docs/websocket.md):
// - softphone-chime.js: amazon-chime-sdk-js (the vendored bundle, imported only now: a desk that takes no call from
//   the browser never loads it);
// - softphone-local.js: the phone emulator's rooms of the local stack (local/phone_browsers.py); no audio flows.
//
// A softphone is {join(seat), leave(), mute(), unmute(), onState(listener)}: `seat` is join_call's {meeting,
// attendee}; every method answers a promise; onState(listener) calls listener({joined, muted}) at each change and
// answers the function that stops listening. options: {apiBase, stream (the microphone's MediaStream, or null:
// listen only), audio (an <audio> element the call plays through)}.

export async function openSoftphone(kind, options) {
  const implementation = kind === 'local'
    ? await import('/desk/softphone-local.js')
    : await import('/desk/softphone-chime.js');
  return implementation.createSoftphone(options);
}

// The state and listeners every implementation shares.
export function softphoneState() {
  let state = { joined: false, muted: false };
  const listeners = new Set();
  return {
    get: () => state,
    set(patch) {
      state = { ...state, ...patch };
      for (const listener of listeners) listener(state);
    },
    onState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
