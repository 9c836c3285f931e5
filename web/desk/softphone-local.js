// The local softphone (issue 14, CB-6): in the local stack the phone emulator's rooms stand in for Chime SDK
// meetings. Joining presents the attendee's join token to the emulator's control (POST
// /__local__/rooms/{meeting}/browsers, refused unless the token is one of that room's attendees'); mute and unmute
// and leave go there too, so that tests and the /phone page see them. No audio flows. Interface: softphone.js.

import { softphoneState } from '/desk/softphone.js';

export function createSoftphone({ apiBase = '' } = {}) {
  const state = softphoneState();
  let base = null; // the room's browsers URL once joined
  let attendeeId = null;

  async function control(method, path, body) {
    const response = await fetch(`${base}${path}`, {
      method,
      keepalive: true, // a leave sent as the page closes still arrives
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || `the phone emulator answered ${response.status}`);
    return answer;
  }

  async function join(seat) {
    base = `${apiBase}/__local__/rooms/${encodeURIComponent(seat.meeting.MeetingId)}/browsers`;
    const { attendee } = await control('POST', '', { join_token: seat.attendee.JoinToken });
    attendeeId = attendee.attendee_id;
    state.set({ joined: true, muted: Boolean(attendee.muted) });
  }

  async function leave() {
    if (!attendeeId) return;
    const gone = attendeeId;
    attendeeId = null;
    state.set({ joined: false, muted: false });
    await control('DELETE', `/${encodeURIComponent(gone)}`).catch(() => {}); // the room may have closed first
  }

  async function setMuted(muted) {
    if (!attendeeId) return;
    const { attendee } = await control('PUT', `/${encodeURIComponent(attendeeId)}`, { muted });
    state.set({ muted: Boolean(attendee.muted) });
  }

  return {
    join, leave, mute: () => setMuted(true), unmute: () => setMuted(false), onState: state.onState,
  };
}
