// The Chime softphone (issue 14, CB-6): the desk joins the call's room, a Chime SDK meeting, as an attendee with
// amazon-chime-sdk-js. The vendored bundle (web/vendor/amazon-chime-sdk.module.js, `make vendor-chime`) is imported
// when the softphone is created, that is when an agent who answers on the desk takes a call, never at the desk's
// load. The microphone's stream (asked once by call-softphone.js) is the audio input; the meeting's audio plays
// through the given <audio> element. Interface: softphone.js.

import { softphoneState } from '/desk/softphone.js';

export async function createSoftphone({ stream = null, audio }) {
  const sdk = await import('/vendor/amazon-chime-sdk.module.js');
  const logger = new sdk.ConsoleLogger('softphone', sdk.LogLevel.WARN);
  const state = softphoneState();
  let session = null;

  async function join(seat) {
    const configuration = new sdk.MeetingSessionConfiguration(seat.meeting, seat.attendee);
    session = new sdk.DefaultMeetingSession(configuration, logger, new sdk.DefaultDeviceController(logger));
    const av = session.audioVideo;
    if (stream) await av.startAudioInput(stream); // none: listen only (the browser refused the microphone)
    await av.bindAudioElement(audio);
    av.addObserver({
      audioVideoDidStart: () => state.set({ joined: true }),
      audioVideoDidStop: () => state.set({ joined: false }),
    });
    av.start();
  }

  async function leave() {
    if (!session) return;
    const av = session.audioVideo;
    session = null;
    av.stop();
    await av.stopAudioInput().catch(() => {});
    av.unbindAudioElement();
    state.set({ joined: false, muted: false });
  }

  async function setMuted(muted) {
    if (!session) return;
    if (muted) session.audioVideo.realtimeMuteLocalAudio();
    else session.audioVideo.realtimeUnmuteLocalAudio();
    state.set({ muted: session.audioVideo.realtimeIsLocalAudioMuted() });
  }

  return {
    join, leave, mute: () => setMuted(true), unmute: () => setMuted(false), onState: state.onState,
  };
}
